"""The trusted side's checks: every file the flip ships is verified here against the base, and only here a ``Flip`` is built.

The names the rest of the bot may use; everything else is private to the package.
"""

from __future__ import annotations

from bot.trust.base_view import api_base, confined, same_registry, worktree_base
from bot.trust.verify import TrustOptions, check_commit, verify

__all__ = [
    "TrustOptions",
    "api_base",
    "check_commit",
    "confined",
    "same_registry",
    "verify",
    "worktree_base",
]
