"""Byte-safe edits of a JSON document: replace or add values at paths, every other byte kept.

The ensemble manifest is edited like the registry (SPEC §8): a canonical
document (``json.dumps(indent=2, sort_keys=True)`` plus a newline) is
re-serialised; any other JSON text is edited in place, value by value, with
the span reader of :mod:`bot.registry.spans`. Either way the result is
checked: parsed, it must equal the parsed input with exactly the requested
values set.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from bot.registry import SpanReader
from flipbot.jsonfile import dumps

Path = tuple[str | int, ...]


class ManifestInvariantError(AssertionError):
    """An edit changed something it must not: a bug, never an input error."""


def set_values(text: str, changes: Sequence[tuple[Path, Any]]) -> str:
    """``text`` with each ``path`` set to its value (a missing last key of an object is added)."""
    doc = json.loads(text)
    want = copy.deepcopy(doc)
    for path, value in changes:
        _set(want, path, value)
    if want == doc:
        return text
    after = dumps(want) if dumps(doc) == text else _surgical(text, changes)
    if json.loads(after) != want:
        raise ManifestInvariantError("the manifest edit changed more than the owned values")
    return after


def _set(doc: Any, path: Path, value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = copy.deepcopy(value)


def _surgical(text: str, changes: Sequence[tuple[Path, Any]]) -> str:
    edits: list[tuple[int, int, str]] = []
    for path, value in changes:
        parent_start, spans = _locate(text, path[:-1])
        key = path[-1]
        if isinstance(spans, dict) and key not in spans:
            edits.append(_insertion(text, parent_start, spans, str(key), value))
            continue
        start, end = spans[key]
        if json.loads(text[start:end]) != value:
            edits.append((start, end, _encode(value, _indent_at(text, start))))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _locate(text: str, path: Path) -> tuple[int, Any]:
    """The start offset of the container at ``path`` and its member (or element) spans."""
    start = 0
    while True:
        reader = SpanReader(text)
        reader.pos = start
        reader.skip_ws()
        start = reader.pos
        spans: Any = reader.members() if text[start] == "{" else reader.elements()
        if not path:
            return start, spans
        start = spans[path[0]][0]
        path = path[1:]


def _indent_at(text: str, pos: int) -> str:
    line = text[text.rfind("\n", 0, pos) + 1 : pos]
    return line[: len(line) - len(line.lstrip())]


def _encode(value: Any, indent: str) -> str:
    encoded = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=True)
    return encoded.replace("\n", "\n" + indent)


def _insertion(
    text: str, start: int, spans: dict[str, tuple[int, int]], key: str, value: Any
) -> tuple[int, int, str]:
    """Add ``"key": value`` after the object's last member, in that member's indentation."""
    if not spans:
        inner = _indent_at(text, start) + "  "
        return start + 1, start + 1, f"\n{inner}{json.dumps(key)}: {_encode(value, inner)}\n"
    last_end = max(end for _, end in spans.values())
    indent = _indent_at(text, max(s for s, _ in spans.values()))
    member = f"{json.dumps(key)}: {_encode(value, indent)}"
    sep = f",\n{indent}" if "\n" in text[start:last_end] else ", "
    return last_end, last_end, sep + member
