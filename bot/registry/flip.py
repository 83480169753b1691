"""The registry flip: change only the targeted rows' ``sha256`` and ``smoke`` (SPEC §8).

A canonical JSON registry (``json.dumps(indent=2, sort_keys=True)`` plus a
newline, ASCII escapes) is re-serialised; any other JSON text is edited
surgically, value by value, so every other byte stays as it was. YAML
registries go through :mod:`bot.registry.yaml_flip`. After every rewrite the
result is checked: every other row byte-identical, every other field of
the targeted rows unchanged; a failed check is a bug, never a silent edit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.registry.insert import add_null_field
from bot.registry.rows import (
    BUNDLE_KEY,
    FLIPPED_KEYS,
    RegistryEdit,
    RewriteInvariantError,
    RowChange,
    check_rows_unchanged,
    parse_json,
    validate_rows,
)
from bot.registry.schema import check_schema
from bot.registry.spans import RowSpan, encode_scalar, locate_rows
from bot.registry.yaml_flip import flip_yaml
from flipbot.jsonfile import dumps, write_atomic
from flipbot.registry_text import is_yaml as is_yaml


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
        work = add_null_field(text, signed, BUNDLE_KEY, where)
    if is_yaml(where):
        edit = flip_yaml(work, changes, where, schema=schema)
    else:
        edit = flip_json(work, changes, where, schema=schema)
    return replace(edit, before=text, bom=bom)


def write_registry(path: str | Path, edit: RegistryEdit) -> None:
    write_atomic(path, edit.after_bytes())


# --- JSON ---------------------------------------------------------------------


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
