"""The Action's venvs: keyed and reusable on the GPU side, new and private on the trusted side.

``plan`` (step ``venvs``) names the venvs the stages need.

- The train stage (GPU runners, least trusted): ``<venv-dir>/train-<key>`` from
  ``requirements/train.txt``, the key hashing the pins (with ``-r`` includes), the Python
  version and the platform (``flipbot.venvs.venv_key``); a self-hosted runner's lasting
  ``venv-dir`` reuses it until a pin changes.
- The promote stage (the trusted job): a folder created now with ``mkdtemp`` (mode 0700) under
  ``$RUNNER_TEMP``, holding ``uv`` (from the hash-pinned ``requirements/uv.txt``), ``bot``
  (``requirements/bot.lock``) and ``torch`` (``requirements/train.lock``). Nothing in it
  existed before this job; no ``venv-dir``, no earlier ``uv`` and no Actions cache entry is
  ever read there, so nothing another job wrote is run with the token in reach.

``ensure`` (steps ``*-venv``) builds one venv; a ``.lock`` file installs with
``--require-hashes``, so the trusted job runs only packages whose bytes were pinned.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from flipbot.errors import InputError
from flipbot.venvs import bootstrap_uv, install, say, venv_key

NAMES = ("bot", "torch")
STAMP = ".flipbot-venv-key"
UV_PINS = Path(__file__).resolve().parents[2] / "requirements" / "uv.txt"
# cold, warm seconds announced on the phase line (docs/PERFORMANCE.md, "Set-up")
ESTIMATES = {"bot": (25, 5), "torch": (90, 15), "train": (90, 15)}
PRIVATE_PREFIX = "flipbot-trusted-"


def plan(env: Mapping[str, str]) -> dict[str, str]:
    """Step outputs: ``<name>`` folder ('' when not needed), ``<name>-requirements``, ``uv``
    (the folder uv is installed into) and ``fresh`` ('true' on the trusted side)."""
    trusted = env.get("TRUSTED", "false") == "true"
    wanted = {name: env.get(f"WANT_{name.upper()}", "false") == "true" for name in NAMES}
    out = {name: "" for name in NAMES} | {f"{name}-requirements": "" for name in NAMES}
    if trusted:
        root = private_root(env.get("RUNNER_TEMP", ""))
        locks = {"bot": _need(env, "BOT_LOCK"), "torch": _need(env, "TORCH_LOCK")}
        for name in NAMES:
            if wanted[name]:
                out[name], out[f"{name}-requirements"] = str(root / name), locks[name]
        return out | {"uv": str(root / "uv"), "fresh": "true"}
    folder = env.get("VENV_DIR", "")
    if not folder:
        raise InputError("step 'venvs': VENV_DIR is empty; check action.yml")
    if wanted["torch"]:
        pins = _need(env, "TRAIN_REQUIREMENTS")
        out["torch"] = f"{folder}/train-{venv_key([Path(pins)])}"
        out["torch-requirements"] = pins
    return out | {"uv": f"{folder}/uv-{venv_key([UV_PINS])}", "fresh": "false"}


def private_root(runner_temp: str) -> Path:
    """A folder that did not exist a moment ago, readable and writable by this user only."""
    parent = runner_temp if runner_temp and Path(runner_temp).is_dir() else None
    root = Path(tempfile.mkdtemp(prefix=PRIVATE_PREFIX, dir=parent))
    say(f"the trusted stage builds its venvs in {root} (new, private to this job)")
    return root


def _need(env: Mapping[str, str], key: str) -> str:
    value = env.get(key, "")
    if not value:
        raise InputError(f"step 'venvs': {key} is empty; check action.yml")
    return value


def ensure(
    folder: Path,
    requirements: Path,
    name: str = "",
    *,
    uv_dir: Path | None = None,
    fresh: bool = False,
) -> Path:
    """A finished venv at ``folder`` with ``requirements`` installed; its python.

    ``fresh``: ``folder`` must not exist yet and its parent must be the private folder
    ``plan`` made (owned by this user, mode 0700); uv is installed there from the pin unless
    this job already did. Otherwise a finished venv for the same pins is reused."""
    python = folder / "bin" / "python"
    stamp = folder / STAMP
    key = venv_key([requirements])
    if fresh:
        check_private(folder)
        if uv_dir is None or uv_dir.parent != folder.parent:
            raise InputError(f"{uv_dir}: uv must live beside {folder} on the trusted stage")
    elif python.exists() and stamp.is_file() and stamp.read_text().strip() == key:
        say(f"reusing {folder} (same pins, Python and OS)")
        os.utime(stamp)
        return python
    elif folder.exists():
        say(f"{folder} is unfinished or for other pins; building it afresh")
        shutil.rmtree(folder)
    use_uv = os.environ.get("FLIPBOT_INSTALLER", "uv") != "pip"
    uv_home = uv_dir or folder.parent / f"uv-{venv_key([UV_PINS])}"
    uv = bootstrap_uv(uv_home) if use_uv else None
    install(
        folder,
        [requirements],
        uv=uv,
        estimate_s=ESTIMATES.get(name or folder.name.split("-")[0], (60, 10)),
        require_hashes=requirements.suffix == ".lock",
    )
    stamp.write_text(key + "\n")
    return python


def check_private(folder: Path) -> None:
    """``folder`` is new, inside a folder this user owns that no one else can write."""
    parent = folder.parent
    try:
        info = parent.lstat()
    except OSError:
        info = None
    if (
        info is None
        or not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.getuid()
        or info.st_mode & 0o077
        or not parent.name.startswith(PRIVATE_PREFIX)
    ):
        raise InputError(
            f"{parent}: not a private folder made by this job's venvs step; the trusted stage "
            "builds its venvs only there (check action.yml)"
        )
    if os.path.lexists(folder):
        raise InputError(
            f"{folder} exists already; the trusted stage never reuses a venv (check action.yml)"
        )
