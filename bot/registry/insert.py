"""Add a missing field to registry rows as ``null``, one line per row, nothing else touched.

A row without ``sigstore_bundle`` gets the field when its model is signed.
The rewrite itself only replaces values that exist, so the field is first
added as ``null`` right after the row's ``sha256`` (in that line's own
indentation, key quoting and newline), then set like any other value. The
result is checked: parsed, it is the old document with ``null`` added to those
rows; as text, it is the old text with the added pieces and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from bot.registry.rows import RewriteInvariantError, parse_json
from bot.registry.spans import locate_rows
from bot.registry.yaml_flip import _load, _plain
from flipbot.errors import InputError
from flipbot.jsonfile import dumps
from flipbot.registry_text import is_yaml


def rows_lacking(doc: Any, ids: Iterable[str], key: str) -> list[int]:
    """Indices of the rows named by ``ids`` that have no ``key`` (other rows are ignored)."""
    wanted = set(ids)
    models = doc.get("models") if isinstance(doc, dict) else None
    return [
        i
        for i, row in enumerate(models if isinstance(models, list) else [])
        if isinstance(row, dict) and row.get("id") in wanted and key not in row
    ]


def add_null_field(text: str, ids: Iterable[str], key: str, where: str) -> str:
    """``text`` with ``key: null`` added to each row of ``ids`` that lacks it."""
    if is_yaml(where):
        return _yaml(text, list(ids), key, where)
    doc = parse_json(text, where)
    missing = rows_lacking(doc, ids, key)
    if not missing:
        return text
    if dumps(doc) == text:  # canonical: sorted keys put the field in its place
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
    _check(text, after, pieces, missing, key, where)
    return after


def _check(
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


def _yaml(text: str, ids: list[str], key: str, where: str) -> str:
    data = _load(text, where)
    missing = rows_lacking(_plain(data), ids, key)
    if not missing:
        return text
    lines = text.splitlines(keepends=True)
    inserts: list[tuple[int, str]] = []
    for i in missing:
        row = data["models"][i]
        if "sha256" not in row:
            raise InputError(f"{where}: models[{i}] has no 'sha256' field; fix the row")
        line, col = row.lc.key("sha256")
        body = lines[line]
        if not body[col:].startswith(("sha256", '"sha256"', "'sha256'")) or body.rstrip().endswith(
            ("{", ",", "}")
        ):
            raise InputError(
                f"{where}: row '{row.get('id')}' is not in block style; add '{key}: null' to it"
            )
        newline = "\r\n" if body.endswith("\r\n") else "\n"
        inserts.append((line + 1, " " * col + f"{key}: null" + newline))
    for at, added in sorted(inserts, reverse=True):
        lines.insert(at, added)
    after = "".join(lines)
    expected = _plain(data)
    for i in missing:
        expected["models"][i][key] = None
    kept = [
        ln
        for n, ln in enumerate(lines)
        if n not in {at + k for k, (at, _) in enumerate(sorted(inserts))}
    ]
    if "".join(kept) != text or _plain(_load(after, where)) != expected:
        raise RewriteInvariantError(f"{where}: adding '{key}' changed other lines")
    return after
