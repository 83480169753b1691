"""The flip pull request's body and the job summary, section by section.

The names the rest of the bot may use; everything else is private to the package.
"""

from __future__ import annotations

from bot.body.context import BodyContext
from bot.body.pr_body import Body, build_body, read_hidden, render_refusal, render_summary

__all__ = ["Body", "BodyContext", "build_body", "read_hidden", "render_refusal", "render_summary"]
