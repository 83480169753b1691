"""Where each registry row and each of its values sits in the JSON text.

The surgical edit of a non-canonical registry and the byte-identity check
after every rewrite both need character offsets, which ``json.loads`` does
not give. This is a small position-recording JSON reader; it only locates
spans and leaves value decoding to :mod:`json`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]

_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")


@dataclass(frozen=True)
class RowSpan:
    """One element of ``models``: its text span and the span of each member value."""

    start: int
    end: int  # exclusive
    values: dict[str, tuple[int, int]]  # key -> (start, end) of the value's text


class SpanReader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_ws(self) -> None:
        self.pos = _WS.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def expect(self, char: str) -> None:
        self.skip_ws()
        if self.text[self.pos : self.pos + 1] != char:
            raise ValueError(f"expected {char!r} at offset {self.pos}")
        self.pos += 1

    def peek(self) -> str:
        self.skip_ws()
        return self.text[self.pos : self.pos + 1]

    def string(self) -> str:
        self.expect('"')
        value, self.pos = scanstring(self.text, self.pos, True)
        return value

    def value(self) -> tuple[int, int]:
        """Skip one value; return its span."""
        char = self.peek()
        start = self.pos
        if char == "{":
            self.members()
        elif char == "[":
            self.elements()
        elif char == '"':
            self.string()
        else:
            match = _SCALAR.match(self.text, self.pos)
            if match is None:
                raise ValueError(f"unexpected text at offset {self.pos}")
            self.pos = match.end()
        return start, self.pos

    def members(self) -> dict[str, tuple[int, int]]:
        """Read an object; return each key's value span."""
        self.expect("{")
        spans: dict[str, tuple[int, int]] = {}
        if self.peek() == "}":
            self.pos += 1
            return spans
        while True:
            key = self.string()
            self.expect(":")
            self.skip_ws()
            spans[key] = self.value()
            if self.peek() == ",":
                self.pos += 1
                continue
            self.expect("}")
            return spans

    def elements(self) -> list[tuple[int, int]]:
        self.expect("[")
        spans: list[tuple[int, int]] = []
        if self.peek() == "]":
            self.pos += 1
            return spans
        while True:
            self.skip_ws()
            spans.append(self.value())
            if self.peek() == ",":
                self.pos += 1
                continue
            self.expect("]")
            return spans


def locate_rows(text: str) -> list[RowSpan]:
    """Spans of every ``models[i]`` object of a registry document.

    The caller has already parsed ``text`` with :mod:`json`, so it is valid.
    """
    reader = SpanReader(text)
    top = reader.members()
    start, end = top["models"]
    rows_reader = SpanReader(text)
    rows_reader.pos = start
    rows = []
    for row_start, row_end in rows_reader.elements():
        member_reader = SpanReader(text)
        member_reader.pos = row_start
        values = member_reader.members()
        rows.append(RowSpan(row_start, row_end, values))
    assert rows_reader.pos == end
    return rows


def encode_scalar(value: str | bool) -> str:
    """The JSON text of a new ``sha256``/``smoke`` value (ASCII escapes)."""
    return json.dumps(value, ensure_ascii=True)
