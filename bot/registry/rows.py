"""A registry's rows as the bot's flip sees them: the edit record and the checks before an edit.

The row types every format shares (``RowChange``, the flipped keys, the
invariant error) live in :mod:`flipbot.registry.rows`, beside the format
modules; here is what only the bot's flip needs, whatever the format: the
schema, id and field checks on the parsed document, and the edit it returns.
Nothing here picks a format.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.registry.schema import check_schema
from flipbot.errors import InputError
from flipbot.registry import BUNDLE_KEY, RegistryText, RowChange


@dataclass(frozen=True)
class RegistryEdit:
    where: str  # the registry path, for messages and the diff header
    before: str
    after: str
    changed: tuple[str, ...]  # ids whose values actually change (empty: already flipped)
    method: str  # "canonical" or "surgical" (JSON), else the format's name ("yaml")
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
