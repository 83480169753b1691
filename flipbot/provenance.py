"""Where a file came from: the commit it was made at."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def git_commit(cwd: Path) -> str | None:
    """``GITHUB_SHA`` in a workflow, else ``git rev-parse HEAD`` in ``cwd``, else None."""
    sha = os.environ.get("GITHUB_SHA", "").strip()
    if sha:
        return sha
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    out = done.stdout.strip()
    return out if done.returncode == 0 and out else None
