"""A registry format for tests only: the TOML subset ``[[models]]`` + ``key = value`` lines.

Not shipped. It shows what a new format is: one module with the members of
``flipbot.registry.formats.RegistryFormat``; registering it is one entry in
``FORMATS`` (the tests patch that tuple instead of editing it).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from typing import Any

from flipbot.errors import InputError
from flipbot.registry.rows import RewriteInvariantError, RowChange, check_rows_unchanged

NAME = "toml"
SUFFIXES: tuple[str, ...] = (".toml",)
SCHEMA_CHECKED = False
_FIELD = re.compile(r"(?P<key>[A-Za-z0-9_]+)\s*=\s*(?P<value>.*?)(?P<tail>\s*(#.*)?\r?\n?)$")


def load(text: str, where: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: not valid TOML ({exc}); fix the file") from None


def set_fields(
    text: str, changes: Sequence[RowChange], indices: Sequence[int], where: str
) -> tuple[str, str]:
    """Rewrite the value of each changed ``key = value`` line in its ``[[models]]`` table."""
    wanted = {
        i: dict((("sha256", c.sha256), ("smoke", c.smoke), *c.updates))
        for c, i in zip(changes, indices, strict=True)
    }
    lines, row = text.splitlines(keepends=True), -1
    for n, line in enumerate(lines):
        if line.strip() == "[[models]]":
            row += 1
        elif (m := _FIELD.match(line)) and m["key"] in wanted.get(row, {}):
            new = json.dumps(wanted[row][m["key"]])  # a TOML basic string or true/false
            lines[n] = line[: m.start("value")] + new + m["tail"]
    after = "".join(lines)
    check_rows_unchanged(
        load(text, where), load(after, where), {c.id: c.keys for c in changes}, where
    )
    allowed = sum(len(fields) for fields in wanted.values())
    moved = sum(a != b for a, b in zip(text.splitlines(), after.splitlines(), strict=True))
    if moved > allowed:
        raise RewriteInvariantError(f"{where}: the TOML rewrite changed other lines")
    return after, NAME


def add_null_field(text: str, ids: Sequence[str], key: str, where: str) -> str:
    raise InputError(f"{where}: TOML has no null; add '{key} = \"\"' to the rows {list(ids)}")
