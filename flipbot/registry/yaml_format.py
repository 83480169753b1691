"""The YAML registry (same rows as the JSON form): read it, rewrite values, add a field.

One ruamel.yaml configuration reads every YAML registry, for looking and for
editing alike: the round-trip loader, which also tells where each value
sits. The new values are written into exactly those tokens, in the token's
own quoting style. Re-dumping the whole document would keep comments and
order too, but it can re-indent sequences and re-wrap long lines;
pre-commit's rule "rewrite one line, don't reformat the file" is the
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

from flipbot.errors import InputError
from flipbot.registry.rows import (
    FLIPPED_KEYS,
    RewriteInvariantError,
    RowChange,
    check_rows_unchanged,
    rows_lacking,
)

NAME = "yaml"
SUFFIXES: tuple[str, ...] = (".yaml", ".yml")
SCHEMA_CHECKED = False  # no "$schema" convention for the YAML form

_TOKEN = {
    '"': re.compile(r'"(?:[^"\\]|\\.)*"'),
    "'": re.compile(r"'(?:[^']|'')*'"),
}
_PLAIN = re.compile(r"[^\s,#\]}]+")


def _load(text: str, where: str) -> Any:
    """The document with positions (ruamel's round-trip containers): the one loader."""
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


def load(text: str, where: str) -> Any:
    """The document as plain dicts and lists."""
    return _plain(_load(text, where))


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


def set_fields(
    text: str, changes: Sequence[RowChange], indices: Sequence[int], where: str
) -> tuple[str, str]:
    """``text`` with each change written into its row's tokens (``indices``); the method."""
    data = _load(text, where)
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
    return after, "yaml"


def _check(
    before: str,
    after: str,
    changes: Sequence[RowChange],
    indices: Sequence[int],
    allowed: set[int],
    where: str,
) -> None:
    old, new = before.splitlines(), after.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag != "replace" or i2 - i1 != j2 - j1 or not set(range(i1, i2)) <= allowed:
            lines = f"lines {i1 + 1}..{i2}" if i2 > i1 else f"{j2 - j1} line(s) after line {i1}"
            raise RewriteInvariantError(f"{where}: the YAML rewrite changed {lines}")
    old_doc, new_doc = load(before, where), load(after, where)
    check_rows_unchanged(old_doc, new_doc, {c.id: c.keys for c in changes}, where)
    for change, index in zip(changes, indices, strict=True):
        row = new_doc["models"][index]
        if change.differs(row):
            raise RewriteInvariantError(f"{where}: row '{change.id}' did not take the new values")


# --- a missing field ------------------------------------------------------------


def add_null_field(text: str, ids: Sequence[str], key: str, where: str) -> str:
    """``text`` with a ``key: null`` line after the ``sha256`` line of each row lacking it."""
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
    if "".join(kept) != text or load(after, where) != expected:
        raise RewriteInvariantError(f"{where}: adding '{key}' changed other lines")
    return after
