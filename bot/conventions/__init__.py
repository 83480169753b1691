"""A repository's PR conventions (templates, extra files, row updates, people) as bot inputs, and their rendering.

The names the rest of the bot may use; everything else is private to the package.
"""

from __future__ import annotations

from bot.conventions.parse import Conventions, build_conventions, parse_identity
from bot.conventions.render import Rendered, render_conventions
from bot.conventions.template_vars import flip_facts
from bot.conventions.templates import BodyLayout, Template

__all__ = [
    "BodyLayout",
    "Conventions",
    "Rendered",
    "Template",
    "build_conventions",
    "flip_facts",
    "parse_identity",
    "render_conventions",
]
