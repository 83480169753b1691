"""The JSON registry: read it, rewrite targeted values byte-safely, add a missing field.

A canonical registry (``json.dumps(indent=2, sort_keys=True)`` plus a
newline, ASCII escapes) is re-serialised; any other JSON text is edited
surgically, value by value (:mod:`flipbot.registry.json_spans` says where
each value sits), so every other byte stays as it was. After every rewrite
the result is checked: every other row byte-identical, every other field of
the targeted rows unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from flipbot.errors import InputError
from flipbot.jsonfile import dumps
from flipbot.registry.json_spans import RowSpan, encode_scalar, locate_rows
from flipbot.registry.rows import (
    FLIPPED_KEYS,
    RewriteInvariantError,
    RowChange,
    check_rows_unchanged,
    rows_lacking,
)

NAME = "json"
SUFFIXES: tuple[str, ...] = (".json",)
SCHEMA_CHECKED = True  # the document names its JSON Schema in "$schema"


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise ValueError(f"duplicate key(s) {dupes} in one object")
    return dict(pairs)


def _reject_constant(token: str) -> Any:
    raise ValueError(f"non-standard JSON number {token}")


def load(text: str, where: str) -> Any:
    """The document as plain dicts and lists: strict JSON, no duplicate keys, no NaN."""
    try:
        return json.loads(
            text, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant
        )
    except ValueError as exc:
        raise InputError(f"{where}: not valid JSON ({exc}); fix the file") from None


def set_fields(
    text: str, changes: Sequence[RowChange], indices: Sequence[int], where: str
) -> tuple[str, str]:
    """``text`` with each change written into its row (``indices``); the edit's method."""
    doc = load(text, where)
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
    return after, "canonical" if canonical else "surgical"


def _surgical(
    text: str, spans: list[RowSpan], changes: Sequence[RowChange], indices: Sequence[int]
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


# --- a missing field ------------------------------------------------------------


def add_null_field(text: str, ids: Sequence[str], key: str, where: str) -> str:
    """``text`` with ``key: null`` right after the ``sha256`` of each row of ``ids`` lacking it.

    In that line's own indentation, key quoting and newline; a canonical
    registry is re-serialised instead (sorted keys put the field in its place).
    """
    doc = load(text, where)
    missing = rows_lacking(doc, ids, key)
    if not missing:
        return text
    if dumps(doc) == text:
        for i in missing:
            doc["models"][i][key] = None
        return dumps(doc)
    spans = locate_rows(text)
    pieces: list[tuple[int, str]] = []
    for i in missing:
        if "sha256" not in spans[i].values:
            raise InputError(f"{where}: models[{i}] has no 'sha256' field; fix the row")
        start, end = spans[i].values["sha256"]
        line_start = text.rfind("\n", 0, start) + 1
        prefix = text[line_start:start]
        own_line = prefix.lstrip().startswith('"sha256"')
        newline = "\r\n" if text[max(0, line_start - 2) : line_start] == "\r\n" else "\n"
        if own_line:
            added = "," + newline + prefix.replace('"sha256"', json.dumps(key), 1) + "null"
        else:
            added = f", {json.dumps(key)}: null"
        pieces.append((end, added))
    after = text
    for at, added in sorted(pieces, reverse=True):
        after = after[:at] + added + after[at:]
    _check_added(text, after, pieces, missing, key, where)
    return after


def _check_added(
    before: str, after: str, pieces: list[tuple[int, str]], rows: list[int], key: str, where: str
) -> None:
    rebuilt, cursor, shift = [], 0, 0
    for at, added in sorted(pieces):
        rebuilt.append(after[cursor : at + shift])
        cursor = at + shift + len(added)
        shift += len(added)
    rebuilt.append(after[cursor:])
    expected = json.loads(before)
    for i in rows:
        expected["models"][i][key] = None
    if "".join(rebuilt) != before or json.loads(after) != expected:
        raise RewriteInvariantError(f"{where}: adding '{key}' changed other bytes")
