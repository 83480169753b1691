"""What a verdict is pinned to: the exact loso files, the corpus, the commit, the tools.

Later stages refuse to act on a verdict whose pins do not match the files
they are given. The gate never reads the corpus: its path and sha256 come
from the loso files (checked equal across seeds).
"""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np
import scipy

from flipbot import __version__ as flipbot_version
from flipbot.provenance import git_commit
from flipbot.verdict_file import Pins
from gate.loso_set import LosoSet


def collect_pins(run: LosoSet, *, cwd: str | Path | None = None) -> Pins:
    return Pins(
        loso_files=dict(sorted(run.sha256.items())),
        corpus=run.first.corpus,
        corpus_sha256=run.first.corpus_sha256,
        git_commit=git_commit(Path.cwd() if cwd is None else Path(cwd)),
        versions=tool_versions(),
    )


def tool_versions() -> dict[str, str]:
    return {
        "flipbot": flipbot_version,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }
