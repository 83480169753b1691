"""The registry flip for YAML registries (same rows as the JSON form).

ruamel.yaml's round-trip loader reads the document and tells where each
value sits; the new values are then written into exactly those tokens, in
the token's own quoting style. Re-dumping the whole document would keep
comments and order too, but it can re-indent sequences and re-wrap long
lines; pre-commit's rule "rewrite one line, don't reformat the file" is the
contract here, and the check after the edit enforces it.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from bot.registry.rows import (
    FLIPPED_KEYS,
    RegistryEdit,
    RewriteInvariantError,
    RowChange,
    check_rows_unchanged,
    validate_rows,
)
from bot.registry.schema import check_schema
from flipbot.errors import InputError

_TOKEN = {
    '"': re.compile(r'"(?:[^"\\]|\\.)*"'),
    "'": re.compile(r"'(?:[^']|'')*'"),
}
_PLAIN = re.compile(r"[^\s,#\]}]+")


def _load(text: str, where: str) -> Any:
    try:
        return YAML(typ="rt").load(text)
    except YAMLError as exc:
        raise InputError(
            f"{where}: not valid YAML ({exc}); fix the file".replace("\n", " ")
        ) from None


def _plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts/lists (for comparison and the schema)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    for kind in (int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node


def _token_end(line: str, col: int) -> int:
    pattern = _TOKEN.get(line[col : col + 1], _PLAIN)
    match = pattern.match(line, col)
    if match is None:
        raise InputError(f"cannot find the value token at column {col + 1} of {line!r}")
    return match.end()


def _string_end(line: str, col: int, value: str, where: str) -> int:
    """End of a one-line string value: quoted, or plain up to a comment (spaces allowed)."""
    if line[col : col + 1] in _TOKEN:
        return _token_end(line, col)
    if line[col : col + 1] in ("|", ">"):
        raise InputError(f"{where}: a block scalar; row-updates rewrites one-line values only")
    body = line.rstrip("\r\n")
    comment = body.find(" #", col)
    end = len(body[: comment if comment >= 0 else len(body)].rstrip())
    if body[col:end] != value:  # a folded plain scalar spans lines: not ours to rewrite
        raise InputError(f"{where}: spans lines; row-updates rewrites one-line values only")
    return end


def _render(old_token: str, value: str | bool) -> str:
    if isinstance(value, bool):
        word = "true" if value else "false"
        if old_token[:1].isupper():
            word = word.upper() if old_token.isupper() else word.capitalize()
        return word
    quote = old_token[:1] if old_token[:1] in _TOKEN else ""
    return f"{quote}{value}{quote}"


def flip_yaml(
    text: str, changes: Sequence[RowChange], where: str, *, schema: dict[str, Any] | None = None
) -> RegistryEdit:
    data = _load(text, where)
    plain = _plain(data)
    indices = validate_rows(plain, changes, where, schema)
    rows = plain["models"]
    changed = tuple(c.id for c, i in zip(changes, indices, strict=True) if c.differs(rows[i]))
    lines = text.splitlines(keepends=True)
    allowed: set[int] = set()
    edits: list[tuple[int, int, int, str]] = []  # line, start col, end col, new token
    for change, index in zip(changes, indices, strict=True):
        row = data["models"][index]
        for key in FLIPPED_KEYS:
            line, col = row.lc.value(key)
            end = _token_end(lines[line], col)
            edits.append((line, col, end, _render(lines[line][col:end], getattr(change, key))))
            allowed.add(line)
        for key, value in change.updates:  # row-updates: a double-quoted (JSON) string
            line, col = row.lc.value(key)
            if row[key] is None:  # sigstore_bundle: null (or ~) before the first signing
                end = _token_end(lines[line], col)
            else:
                end = _string_end(lines[line], col, row[key], f"{where}: row '{change.id}' {key}")
            edits.append((line, col, end, json.dumps(value, ensure_ascii=False)))
            allowed.add(line)
    for line, col, end, new in sorted(edits, reverse=True):
        lines[line] = lines[line][:col] + new + lines[line][end:]
    after = "".join(lines)
    _check(text, after, changes, indices, allowed, where)
    if schema is not None:
        check_schema(_plain(_load(after, where)), schema, where)
    return RegistryEdit(where, text, after, changed, "yaml")


def _check(
    before: str,
    after: str,
    changes: Sequence[RowChange],
    indices: list[int],
    allowed: set[int],
    where: str,
) -> None:
    old, new = before.splitlines(), after.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag != "replace" or i2 - i1 != j2 - j1 or not set(range(i1, i2)) <= allowed:
            raise RewriteInvariantError(f"{where}: the YAML rewrite changed lines {i1 + 1}..{i2}")
    old_doc, new_doc = _plain(_load(before, where)), _plain(_load(after, where))
    check_rows_unchanged(old_doc, new_doc, {c.id: c.keys for c in changes}, where)
    for change, index in zip(changes, indices, strict=True):
        row = new_doc["models"][index]
        if change.differs(row):
            raise RewriteInvariantError(f"{where}: row '{change.id}' did not take the new values")
