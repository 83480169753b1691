"""The one place that picks a registry's format, by the file name's suffix.

Every reader and every edit of the registry asks :func:`format_for`: the
trainer's export and the bot's flip, the verifier, the PR body, signing.
A format is a module with the members of :class:`RegistryFormat`; adding
one (TOML, say) is a new module ``flipbot/registry/toml_format.py`` and one
entry in ``FORMATS`` below. A name no format claims is read as JSON (the
first entry), as it always was: ``registry.yml.json`` and ``registry.ymlx``
are JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any, Protocol

import flipbot.registry.json_format as json_format
import flipbot.registry.yaml_format as yaml_format
from flipbot.registry.rows import RowChange


class RegistryFormat(Protocol):
    """What a format module holds: its name, its suffixes and three functions."""

    NAME: str  # also the edit's method when it has only one ("yaml")
    SUFFIXES: tuple[str, ...]  # lower case, with the dot
    SCHEMA_CHECKED: bool  # whether the bot checks the document against its "$schema"

    def load(self, text: str, where: str) -> Any:
        """The document as plain dicts and lists; an InputError naming ``where`` if invalid."""
        ...

    def set_fields(
        self, text: str, changes: Sequence[RowChange], indices: Sequence[int], where: str
    ) -> tuple[str, str]:
        """``text`` with only the changed values rewritten, checked; and the method's name."""
        ...

    def add_null_field(self, text: str, ids: Sequence[str], key: str, where: str) -> str:
        """``text`` with ``key: null`` added to each row of ``ids`` that lacks it, checked."""
        ...


# The formats, the default (for any other suffix) first. A new format: one entry here.
FORMATS: tuple[RegistryFormat, ...] = (json_format, yaml_format)


def format_for(path: str | PurePath) -> RegistryFormat:
    """The format of the registry at ``path`` (its suffix, case ignored)."""
    suffix = PurePath(path).suffix.lower()
    return next((f for f in FORMATS if suffix in f.SUFFIXES), FORMATS[0])


def is_yaml(path: str | PurePath) -> bool:
    return format_for(path) is yaml_format
