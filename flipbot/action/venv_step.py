"""The Action's private venvs: one keyed folder per set of pins, reused until a pin changes.

``plan`` (step ``venvs``) names each venv the stages need ``<venv-dir>/<name>-<key>``,
the key hashing its requirement file (with ``-r`` includes), the Python version and
the platform (``flipbot.venvs.venv_key``). On a GitHub-hosted runner action.yml
restores the light venvs (gate, bot) with actions/cache under a key made of theirs;
on a self-hosted runner a lasting ``venv-dir`` keeps them. Either way a changed pin
is a new folder: a stale venv is never reused.

``ensure`` (steps ``*-venv``) returns at once when the folder holds a finished venv
(a stamp written last), else builds it afresh. A ``.lock`` file is installed with
``--require-hashes``: the write job runs only packages whose bytes were pinned.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from flipbot.errors import InputError
from flipbot.venvs import bootstrap_uv, install, say, venv_key

NAMES = ("base", "bot", "train")
CACHED = ("base", "bot")  # light venvs worth a hosted-runner cache; torch is not
STAMP = ".flipbot-venv-key"
UV_PINS = Path(__file__).resolve().parents[2] / "requirements" / "uv.txt"
# cold, warm seconds announced on the phase line (docs/PERFORMANCE.md, "Set-up")
ESTIMATES = {"base": (40, 8), "bot": (25, 5), "train": (90, 15)}


def plan(env: Mapping[str, str]) -> dict[str, str]:
    """Step outputs: ``<name>`` folder ('' when not needed), ``<name>-requirements``,
    ``cache-key`` and ``cache-paths`` (newline list; '' when nothing to cache)."""
    root = env.get("VENV_DIR", "")
    if not root:
        raise InputError("step 'venvs': VENV_DIR is empty; check action.yml")
    out: dict[str, str] = {}
    keys: list[str] = []
    for name in NAMES:
        requirements = env.get(f"{name.upper()}_REQUIREMENTS", "")
        wanted = env.get(f"WANT_{name.upper()}", "false") == "true"
        if not (wanted and requirements):
            out[name] = out[f"{name}-requirements"] = ""
            continue
        key = venv_key([Path(requirements)])
        out[name] = f"{root}/{name}-{key}"
        out[f"{name}-requirements"] = requirements
        if name in CACHED:
            keys.append(f"{name}-{key}")
    cached = [out[name] for name in CACHED if out[name]]
    out["cache-paths"] = "\n".join(cached)
    out["cache-key"] = f"flipbot-venvs-{sys.platform}-{'-'.join(keys)}" if cached else ""
    return out


def ensure(folder: Path, requirements: Path, name: str = "") -> Path:
    """A finished venv at ``folder`` with ``requirements`` installed; its python."""
    python = folder / "bin" / "python"
    stamp = folder / STAMP
    key = venv_key([requirements])
    if python.exists() and stamp.is_file() and stamp.read_text().strip() == key:
        say(f"reusing {folder} (same pins, Python and OS)")
        os.utime(stamp)
        return python
    if folder.exists():
        say(f"{folder} is unfinished or for other pins; building it afresh")
        shutil.rmtree(folder)
    use_uv = os.environ.get("FLIPBOT_INSTALLER", "uv") != "pip"
    uv = bootstrap_uv(folder.parent / f"uv-{venv_key([UV_PINS])}") if use_uv else None
    install(
        folder,
        [requirements],
        uv=uv,
        estimate_s=ESTIMATES.get(name or folder.name.split("-")[0], (60, 10)),
        require_hashes=requirements.suffix == ".lock",
    )
    stamp.write_text(key + "\n")
    return python
