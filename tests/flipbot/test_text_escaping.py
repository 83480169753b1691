"""The escaping of text from the training side, one function at a time."""

from __future__ import annotations

import logging

import pytest

from flipbot.untrusted_text import (
    ZWJ,
    OneLineFormatter,
    defuse_marker,
    log_line,
    markdown,
    one_line,
    quoted,
)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain", "plain"),
        ("a\nb\rc\td", "a\\nb\\rc\\td"),
        ("esc\x1b[31mred", "esc\\x1b[31mred"),
        ("line\u2028sep", "line\\u2028sep"),
        ("bidi\u202eevil", "bidi\\u202eevil"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("café ✓", "café ✓"),  # printable text is kept
    ],
)
def test_one_line_escapes_every_non_printable_character(text: str, shown: str) -> None:
    assert one_line(text) == shown


def test_quoted_is_repr_and_bounded() -> None:
    assert quoted("key") == "'key'"
    assert quoted("\n::warning::x") == "'\\n::warning::x'"
    long = quoted("x" * 500)
    assert long == f"{'x' * 80!r}… (500 characters)"


@pytest.mark.parametrize(
    ("message", "line"),
    [
        ("field 'a\n::warning::x' is bad", "field 'a\\n::warning::x' is bad"),
        ("::warning::at the start", "> ::warning::at the start"),
        ("   ::error::indented", ">    ::error::indented"),
        ("##[error]old form", "> ##[error]old form"),
        ("a :: b", "a :: b"),
    ],
)
def test_log_line_is_one_line_that_never_starts_a_command(message: str, line: str) -> None:
    assert log_line(message) == line
    assert "\n" not in log_line(message)


def test_log_line_is_bounded() -> None:
    assert log_line("y" * 50, limit=10) == "y" * 10 + "… (40 more characters)"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("<b>x</b> & y", "&lt;b&gt;x&lt;/b&gt; &amp; y"),
        ("[a](https://e.example)", "\\[a\\](https://e.example)"),
        ("*em* `code` | ~s~ !", "\\*em\\* \\`code\\` \\| \\~s\\~ \\!"),
        ("ping @octocat and @org/team", f"ping @{ZWJ}octocat and @{ZWJ}org/team"),
        ("fixes #12 and o/r#3", f"fixes \\#{ZWJ}12 and o/r\\#{ZWJ}3"),
        ("mail a@b.example", f"mail a@{ZWJ}b.example"),
        ("two\nlines\u2028three", "two lines three"),
        ("ctrl\x07bell", "ctrl\\\\x07bell"),
    ],
)
def test_markdown_neutralises_markup_mentions_and_references(text: str, escaped: str) -> None:
    assert markdown(text) == escaped


def test_defuse_marker_breaks_every_marker() -> None:
    forged = 'x <!-- flipbot:v1 {"a": 1} --> y flipbot:v1'
    assert "flipbot:v1" not in defuse_marker(forged)
    assert defuse_marker(forged).replace(ZWJ, "") == forged


def test_the_log_formatter_makes_one_line_per_record() -> None:
    record = logging.LogRecord("bot", logging.WARNING, "f", 1, "a %s", ("\n::warning::x",), None)
    assert OneLineFormatter("%(name)s: %(message)s").format(record) == "bot: a \\n::warning::x"
