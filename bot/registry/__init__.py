"""The registry file: its rows, the byte-exact flip of JSON and YAML registries, and where each row's files live.

The names the rest of the bot may use; everything else is private to the package.
"""

from __future__ import annotations

from bot.registry.destinations import Target, clean_repo_path, derive_targets, registry_rows
from bot.registry.flip import flip_registry, is_yaml, write_registry
from bot.registry.prior import Prior, prior_from_registry
from bot.registry.rows import BUNDLE_KEY, RegistryEdit, RowChange, parse_json
from bot.registry.schema import schema_path_for
from bot.registry.spans import SpanReader

__all__ = [
    "BUNDLE_KEY",
    "Prior",
    "RegistryEdit",
    "RowChange",
    "SpanReader",
    "Target",
    "clean_repo_path",
    "derive_targets",
    "flip_registry",
    "is_yaml",
    "parse_json",
    "prior_from_registry",
    "registry_rows",
    "schema_path_for",
    "write_registry",
]
