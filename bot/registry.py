"""The registry flip: change only the targeted rows' ``sha256`` and ``smoke`` (SPEC §8).

The format (JSON, YAML) is picked by :func:`flipbot.registry.format_for`
from the file name; this module holds what every format shares: the checks
on the rows before the edit (schema, ids, fields), the edit record and the
atomic write. The format module rewrites only the targeted values and checks
its own result: every other row byte-identical, every other field of the
targeted rows unchanged; a failed check is a bug, never a silent edit.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.registry_schema import check_schema, schema_path_for
from flipbot.errors import InputError
from flipbot.jsonfile import write_atomic
from flipbot.registry import (
    BUNDLE_KEY,
    FLIPPED_KEYS,
    RegistryText,
    RewriteInvariantError,
    RowChange,
    format_for,
)

__all__ = [
    "BUNDLE_KEY",
    "FLIPPED_KEYS",
    "RegistryEdit",
    "RewriteInvariantError",
    "RowChange",
    "flip_registry",
    "schema_ref",
    "validate_rows",
    "write_registry",
]


@dataclass(frozen=True)
class RegistryEdit:
    where: str  # the registry path, for messages and the diff header
    before: str
    after: str
    changed: tuple[str, ...]  # ids whose values actually change (empty: already flipped)
    method: str  # "canonical" or "surgical" (JSON), or the format's own ("yaml")
    bom: bool = False  # a UTF-8 BOM starts the file (not in before/after; put back on write)

    def after_bytes(self) -> bytes:
        """The bytes to write: ``after`` exactly as edited, with the file's BOM if it had one."""
        return RegistryText(self.after, self.bom).encode()

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=f"a/{self.where}",
                tofile=f"b/{self.where}",
            )
        )


def flip_registry(
    text: str,
    changes: Sequence[RowChange],
    where: str,
    *,
    schema: dict[str, Any] | None = None,
    bom: bool = False,
) -> RegistryEdit:
    """Apply ``changes`` to the registry ``text`` (its format by the file name ``where``).

    ``text`` comes from :func:`flipbot.registry.decode_registry`: its
    newlines are the file's own (CRLF stays CRLF) and ``bom`` says whether the
    file had a BOM, so :meth:`RegistryEdit.after_bytes` differs from the file's
    bytes only in the targeted values.
    """
    fmt = format_for(where)
    signed = [c.id for c in changes if any(k == BUNDLE_KEY for k, _ in c.updates)]
    work = fmt.add_null_field(text, signed, BUNDLE_KEY, where) if signed else text
    doc = fmt.load(work, where)
    indices = validate_rows(doc, changes, where, schema)
    rows = doc["models"]
    changed = tuple(c.id for c, i in zip(changes, indices, strict=True) if c.differs(rows[i]))
    after, method = fmt.set_fields(work, changes, indices, where)
    if schema is not None:
        check_schema(fmt.load(after, where), schema, where)
    return RegistryEdit(where, text, after, changed, method, bom)


def schema_ref(text: str, where: str, path: str | Path) -> str | None:
    """The registry's relative ``$schema`` path, for a format that names its schema; else None."""
    fmt = format_for(path)
    return schema_path_for(fmt.load(text, where)) if fmt.SCHEMA_CHECKED else None


def write_registry(path: str | Path, edit: RegistryEdit) -> None:
    write_atomic(path, edit.after_bytes())


# --- shared checks ------------------------------------------------------------


def validate_rows(
    doc: Any, changes: Sequence[RowChange], where: str, schema: dict[str, Any] | None
) -> list[int]:
    """Schema-check ``doc`` and return the index of each change's row (in ``changes`` order)."""
    if schema is not None:
        check_schema(doc, schema, where)
    if not isinstance(doc, dict) or not isinstance(doc.get("models"), list):
        raise InputError(f"{where}: no 'models' list at the top level; is this a flipbot registry?")
    positions: dict[str, list[int]] = {}
    for index, row in enumerate(doc["models"]):
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            raise InputError(f"{where}: models[{index}] has no string 'id'; fix the row")
        positions.setdefault(row["id"], []).append(index)
    found = []
    for change in changes:
        hits = positions.get(change.id, [])
        if not hits:
            raise InputError(
                f"registry: no row with id '{change.id}' in {where}; check --seeds, the ensemble id "
                "or the registry path"
            )
        if len(hits) > 1:
            raise InputError(
                f"registry: id '{change.id}' appears {len(hits)} times in {where} "
                f"(models{hits}); remove the duplicate rows"
            )
        for key in change.keys:
            if key not in doc["models"][hits[0]]:
                raise InputError(f"{where}: row '{change.id}' has no '{key}' field; add it")
        for key, _ in change.updates:
            value = doc["models"][hits[0]][key]
            if not isinstance(value, str) and not (key == BUNDLE_KEY and value is None):
                raise InputError(
                    f"{where}: row '{change.id}' field '{key}' is not a string; row-updates "
                    "rewrites string fields only, fix --row-updates"
                )
        found.append(hits[0])
    return found
