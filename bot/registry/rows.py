"""A registry's rows as the flip sees them: the change, the edit, and the checks every format shares.

JSON and YAML flips (:mod:`bot.registry.flip`, :mod:`bot.registry.yaml_flip`) and the field
insertion (:mod:`bot.registry.insert`) all build on these; nothing here picks a format.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.registry.schema import check_schema
from flipbot.errors import InputError
from flipbot.registry_text import RegistryText

FLIPPED_KEYS = ("sha256", "smoke")
# Set by signing (bot.signing.bundle_plan): may be null or missing before; the rewrite adds it then.
BUNDLE_KEY = "sigstore_bundle"


class RewriteInvariantError(AssertionError):
    """A rewrite touched something it must not: a bug, never an input error."""


@dataclass(frozen=True)
class RowChange:
    id: str
    sha256: str
    smoke: bool
    # Other string fields of the row to rewrite (the row-updates input): (field, new value).
    updates: tuple[tuple[str, str], ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        """Every field this change may touch."""
        return FLIPPED_KEYS + tuple(k for k, _ in self.updates)

    def differs(self, row: dict[str, Any]) -> bool:
        return (row["sha256"], row["smoke"]) != (self.sha256, self.smoke) or any(
            row.get(k) != v for k, v in self.updates
        )


@dataclass(frozen=True)
class RegistryEdit:
    where: str  # the registry path, for messages and the diff header
    before: str
    after: str
    changed: tuple[str, ...]  # ids whose values actually change (empty: already flipped)
    method: Literal["canonical", "surgical", "yaml"]
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


def check_rows_unchanged(
    before: Any, after: Any, targets: set[str] | dict[str, tuple[str, ...]], where: str
) -> None:
    """Parsed check: non-target rows equal, target rows equal outside their changed keys."""
    keys = targets if isinstance(targets, dict) else dict.fromkeys(targets, FLIPPED_KEYS)
    old, new = before["models"], after["models"]
    if len(old) != len(new) or {k: v for k, v in before.items() if k != "models"} != {
        k: v for k, v in after.items() if k != "models"
    }:
        raise RewriteInvariantError(f"{where}: the rewrite changed rows or top-level fields")
    for a, b in zip(old, new, strict=True):
        if a.get("id") in keys:
            a = {k: v for k, v in a.items() if k not in keys[a["id"]]}
            b = {k: v for k, v in b.items() if k not in keys[b["id"]]}
        if a != b or list(a) != list(b):
            raise RewriteInvariantError(f"{where}: the rewrite changed row '{a.get('id')}'")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise ValueError(f"duplicate key(s) {dupes} in one object")
    return dict(pairs)


def _reject_constant(token: str) -> Any:
    raise ValueError(f"non-standard JSON number {token}")


def parse_json(text: str, where: str) -> Any:
    try:
        return json.loads(
            text, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant
        )
    except ValueError as exc:
        raise InputError(f"{where}: not valid JSON ({exc}); fix the file") from None
