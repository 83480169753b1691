"""Publish an output folder all at once: stage beside it, rename into place at the end.

A failure at any point (a failed model check, a bug, Ctrl-C) leaves the
output folder exactly as it was: absent, or the previous export intact.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from flipbot.errors import InputError
from flipbot.plan_file import DRIFT_FILENAME, FlipPlan
from flipbot.plan_file import FILENAME as PLAN_FILENAME


def check_out_dir(out: Path) -> None:
    """``out`` must be new, empty, or a previous export (only its plan's files): it is replaced whole."""
    out = Path(out)
    if not out.exists():
        return
    if not out.is_dir():
        raise InputError(f"{out}: --out-dir exists and is not a folder; choose a new folder")
    names = {p.name for p in out.iterdir()}
    ours: set[str] = set()
    if PLAN_FILENAME in names:
        with contextlib.suppress(InputError):
            plan = FlipPlan.read(out / PLAN_FILENAME)
            ours = {PLAN_FILENAME} | {f.artifact for f in plan.files}
            ours |= {DRIFT_FILENAME} if plan.drift_sha256 else set()
    foreign = sorted(names - ours)
    if foreign:
        raise InputError(
            f"{out}: --out-dir holds files that are not a previous export ({', '.join(foreign[:5])}); "
            "choose an empty or new folder"
        )


@contextlib.contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Yield an empty folder beside ``out``; on success it replaces ``out``, on failure it goes."""
    out = Path(out)
    created = _make_parents(out.parent)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        yield stage
        _publish(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        for folder in reversed(created):
            with contextlib.suppress(OSError):  # only if still empty
                folder.rmdir()
        raise


def _publish(stage: Path, out: Path) -> None:
    os.chmod(stage, 0o755)  # mkdtemp made it 0700
    if not out.exists():
        os.replace(stage, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.rmdir(old)
    os.replace(out, old)
    try:
        os.replace(stage, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _make_parents(folder: Path) -> list[Path]:
    """mkdir -p, returning the folders it created, outermost first."""
    missing = []
    for p in [folder, *folder.parents]:
        if p.exists():
            break
        missing.append(p)
    folder.mkdir(parents=True, exist_ok=True)
    return list(reversed(missing))
