"""The flip pull request's lifecycle on GitHub, and the same flip applied to a local checkout.

The names the rest of the bot may use; everything else is private to the package.
"""

from __future__ import annotations

from bot.pr.commit_plan import BaseMoved
from bot.pr.lifecycle import run_pr
from bot.pr.local import extra_files_diff, run_local

__all__ = ["BaseMoved", "extra_files_diff", "run_local", "run_pr"]
