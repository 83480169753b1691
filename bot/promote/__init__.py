"""``python -m bot promote``: from loso files to the flip, with the gate and export as token-free children.

The names the rest of the bot may use; everything else is private to the package.
"""

from __future__ import annotations

from bot.promote.command import main

__all__ = ["main"]
