"""Child processes of the trusted side (audit, gate, export) with no token in their environment.

``python -m bot promote`` holds the write token; the stages it runs as
children execute numerical code on files from the training side, so they
get an environment without it: every variable that names a token, secret,
password, credential or key, every ``ACTIONS_*`` runtime variable (the
cache, results and OIDC request tokens and URLs), every ``INPUT_*`` (a
composite action's inputs, the token input included), and any variable
whose value contains a token the bot holds are dropped.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from flipbot.errors import EXIT_INPUT, EXIT_NO, EXIT_OK, InputError

log = logging.getLogger("bot")

_SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|_KEY$|^ACTIONS_|^INPUT_", re.IGNORECASE
)
# Named here too so a reader sees them; the pattern already covers each.
TOKEN_VARIABLES = (
    "FLIPBOT_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GH_ENTERPRISE_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
)
CODE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding bot/, gate/, trainer/


def child_env(
    env: Mapping[str, str], secrets: Sequence[str] = (), extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``env`` without anything that could carry a token; ``extra`` added (never a secret)."""
    held = [s for s in secrets if s]
    out = {
        name: value
        for name, value in env.items()
        if not _SECRET_NAME.search(name) and not any(s in value for s in held)
    }
    out |= dict(extra or {})
    return out


@dataclass(frozen=True)
class Child:
    """How to start the stages: the Python (``--train-python``) and the base environment."""

    python: str
    env: dict[str, str]  # already scrubbed by ``child_env``

    def run(self, stage: str, argv: Sequence[str], cwd: Path, *, allow_no: bool = False) -> int:
        """Run ``python -m <argv>``; 0 (or 1 with ``allow_no``) returns, 2 raises, else a bug."""
        env = self.env | {"PYTHONPATH": _pythonpath(self.env.get("PYTHONPATH"))}
        log.info("%s: %s -m %s", stage, self.python, " ".join(argv))
        try:
            done = subprocess.run([self.python, "-m", *argv], cwd=cwd, env=env, check=False)
        except OSError as exc:
            raise InputError(
                f"--train-python {self.python}: cannot start it ({exc.strerror}); pass a Python "
                "with requirements/train.txt installed"
            ) from None
        if done.returncode == EXIT_OK or (allow_no and done.returncode == EXIT_NO):
            return done.returncode
        if done.returncode == EXIT_INPUT:
            raise InputError(f"{stage}: refused its input (its message is above); nothing written")
        raise RuntimeError(f"{stage}: exited {done.returncode} (a bug; its output is above)")


def _pythonpath(existing: str | None) -> str:
    """flipbot's own code first, so the child runs the same code as this process."""
    return os.pathsep.join([str(CODE_ROOT), *([existing] if existing else [])])
