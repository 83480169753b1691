"""The registry flip: change only the targeted rows' ``sha256`` and ``smoke`` (SPEC §8).

A canonical JSON registry (``json.dumps(indent=2, sort_keys=True)`` plus a
newline, ASCII escapes) is re-serialised; any other JSON text is edited
surgically, value by value, so every other byte stays as it was. YAML
registries go through :mod:`bot.registry_yaml`. After every rewrite the
result is checked: every other row byte-identical, every other field of
the targeted rows unchanged; a failed check is a bug, never a silent edit.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from bot.registry_spans import RowSpan, encode_scalar, locate_rows
from flipbot.errors import InputError
from flipbot.jsonfile import dumps, write_atomic
from flipbot.registry_text import RegistryText
from flipbot.registry_text import is_yaml as is_yaml

FLIPPED_KEYS = ("sha256", "smoke")
# Set by signing (bot.bundle_plan): may be null or missing before; the rewrite adds it then.
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


def flip_registry(
    text: str,
    changes: Sequence[RowChange],
    where: str,
    *,
    schema: dict[str, Any] | None = None,
    bom: bool = False,
) -> RegistryEdit:
    """Apply ``changes`` to the registry ``text`` (JSON or YAML by the file name).

    ``text`` comes from :func:`flipbot.registry_text.decode_registry`: its
    newlines are the file's own (CRLF stays CRLF) and ``bom`` says whether the
    file had a BOM, so :meth:`RegistryEdit.after_bytes` differs from the file's
    bytes only in the targeted values.
    """
    signed = [c.id for c in changes if any(k == BUNDLE_KEY for k, _ in c.updates)]
    work = text
    if signed:
        from bot.registry_insert import add_null_field

        work = add_null_field(text, signed, BUNDLE_KEY, where)
    if is_yaml(where):
        from bot.registry_yaml import flip_yaml

        edit = flip_yaml(work, changes, where, schema=schema)
    else:
        edit = flip_json(work, changes, where, schema=schema)
    return replace(edit, before=text, bom=bom)


def write_registry(path: str | Path, edit: RegistryEdit) -> None:
    write_atomic(path, edit.after_bytes())


# --- shared checks ------------------------------------------------------------


def validate_rows(
    doc: Any, changes: Sequence[RowChange], where: str, schema: dict[str, Any] | None
) -> list[int]:
    """Schema-check ``doc`` and return the index of each change's row (in ``changes`` order)."""
    if schema is not None:
        from bot.registry_schema import check_schema

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


# --- JSON ---------------------------------------------------------------------


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


def flip_json(
    text: str, changes: Sequence[RowChange], where: str, *, schema: dict[str, Any] | None = None
) -> RegistryEdit:
    doc = parse_json(text, where)
    indices = validate_rows(doc, changes, where, schema)
    rows = doc["models"]
    changed = tuple(c.id for c, i in zip(changes, indices, strict=True) if c.differs(rows[i]))
    canonical = dumps(doc) == text
    if canonical:
        new_doc = json.loads(text)
        for change, index in zip(changes, indices, strict=True):
            new_doc["models"][index] |= {"sha256": change.sha256, "smoke": change.smoke}
            new_doc["models"][index] |= dict(change.updates)
        after = dumps(new_doc)
    else:
        after = _surgical(text, locate_rows(text), changes, indices)
    check_json_rewrite(text, after, {c.id: c.keys for c in changes}, where)
    if schema is not None:
        from bot.registry_schema import check_schema

        check_schema(json.loads(after), schema, where)
    return RegistryEdit(where, text, after, changed, "canonical" if canonical else "surgical")


def _surgical(
    text: str, spans: list[RowSpan], changes: Sequence[RowChange], indices: list[int]
) -> str:
    edits: list[tuple[int, int, str]] = []
    for change, index in zip(changes, indices, strict=True):
        values = spans[index].values
        edits.append((*values["sha256"], encode_scalar(change.sha256)))
        edits.append((*values["smoke"], encode_scalar(change.smoke)))
        edits += [(*values[key], encode_scalar(value)) for key, value in change.updates]
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def check_json_rewrite(
    before: str, after: str, targets: set[str] | dict[str, tuple[str, ...]], where: str
) -> None:
    """Every byte identical except the values of the target rows' flipped keys."""
    keys = targets if isinstance(targets, dict) else dict.fromkeys(targets, FLIPPED_KEYS)
    old_doc, new_doc = json.loads(before), json.loads(after)
    check_rows_unchanged(old_doc, new_doc, targets, where)
    old_spans, new_spans = locate_rows(before), locate_rows(after)

    def skeleton(text: str, spans: list[RowSpan], rows: list[Any]) -> list[str]:
        parts, cursor = [], 0
        for span, row in zip(spans, rows, strict=True):
            if row["id"] in keys:
                parts.append(text[cursor : span.start])
                masked = sorted(span.values[k] for k in keys[row["id"]])
                inner = span.start
                for start, end in masked:
                    parts += [text[inner:start], "<flipped value>"]
                    inner = end
                parts.append(text[inner : span.end])
                cursor = span.end
        return [*parts, text[cursor:]]

    if skeleton(before, old_spans, old_doc["models"]) != skeleton(
        after, new_spans, new_doc["models"]
    ):
        raise RewriteInvariantError(f"{where}: bytes outside the targeted rows changed")
