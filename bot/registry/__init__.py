"""The registry as the bot edits it: the flip, the rows' destinations and what the base held.

The format (JSON, YAML) is not decided here: every read and every edit goes
through :mod:`flipbot.registry` (``format_for``, one module per format),
which the trainer shares. The names the rest of the bot may use; everything
else is private to the package.
"""

from __future__ import annotations

from bot.registry.destinations import Target, clean_repo_path, derive_targets
from bot.registry.flip import flip_registry, schema_ref, write_registry
from bot.registry.prior import Prior, prior_from_registry
from bot.registry.rows import RegistryEdit
from flipbot.registry import BUNDLE_KEY, RowChange

__all__ = [
    "BUNDLE_KEY",
    "Prior",
    "RegistryEdit",
    "RowChange",
    "Target",
    "clean_repo_path",
    "derive_targets",
    "flip_registry",
    "prior_from_registry",
    "schema_ref",
    "write_registry",
]
