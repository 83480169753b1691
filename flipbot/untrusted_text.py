"""Text that came from the training side, made safe for where it is shown.

Strings and JSON keys of the stage files (loso files, verdicts, plans,
sidecars, drift and calibration reports) are written by the least trusted
machines. Wherever they are shown they go through one of these:

- :func:`quoted` — a value inside an error message: Python ``repr`` style
  (quotes, every control or invisible character escaped), bounded in length;
- :func:`log_line` — a whole line for the log: one line, no control
  character, never starting with ``::`` (a workflow command such as
  ``::warning::`` or ``::add-mask::``) nor ``##[`` (the older form), bounded;
- :func:`markdown` — text in the PR body or the job summary: newlines folded,
  HTML ``& < >`` as entities, Markdown's link, emphasis and code characters
  backslash-escaped, ``@mentions`` and ``#123`` references broken by a
  zero-width joiner so they notify nobody and link nothing;
- :func:`defuse_marker` — a rendered body or summary: any ``flipbot:v1``
  that is not the bot's own hidden block (which is appended after) is broken,
  so a forged ``<!-- flipbot:v1 {...} -->`` inside a code span is never read back.
"""

from __future__ import annotations

import logging
import re

MAX_QUOTED = 80  # characters of a value shown in an error message
MAX_LINE = 4_000  # characters of one log line
ZWJ = "\u200d"  # zero-width joiner: invisible, but no mention or reference matches across it
MARKER = "flipbot:v1"

_MD_SPECIAL = re.compile(r"([\\`*|\[\]#!~])")
# "_" is only emphasis next to a non-alphanumeric character (GFM intraword rule).
_LOOSE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_MENTION = re.compile(r"@(?=[0-9A-Za-z])")
_REFERENCE = re.compile(r"#(?=[0-9])")
_COMMAND_START = re.compile(r"^\s*(::|##\[)")


def _escape_char(char: str) -> str:
    return repr(char)[1:-1] if char not in "'\"" else char


def one_line(text: str) -> str:
    """``text`` with every non-printable character (newline, CR, tab, ESC, U+2028, bidi
    controls, zero-width characters...) written as its Python escape, e.g. ``\\n``."""
    return "".join(c if c.isprintable() else _escape_char(c) for c in text)


def quoted(value: object, limit: int = MAX_QUOTED) -> str:
    """``value`` as a quoted, escaped, bounded string for an error message: ``'a\\nb'``."""
    text = str(value)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text)} characters)"


def log_line(message: str, limit: int = MAX_LINE) -> str:
    """``message`` as one log line that the runner cannot read as a workflow command."""
    text = one_line(message)
    if len(text) > limit:
        text = text[:limit] + f"… ({len(text) - limit} more characters)"
    return "> " + text if _COMMAND_START.match(text) else text


def markdown(text: object) -> str:
    """Escape text read from a file for Markdown and HTML (a table cell, a list item).

    Newlines are folded (one would end a table row); ``\\ ` * | [ ] # ! ~`` and loose ``_``
    are backslash-escaped; ``& < >`` become entities, so no tag, link, comment or entity
    survives; ``@name`` and ``#123`` get a zero-width joiner after ``@`` / ``#``.
    """
    folded = one_line(" ".join(str(text).split()))
    escaped = _LOOSE_UNDERSCORE.sub(r"\\_", _MD_SPECIAL.sub(r"\\\1", folded))
    escaped = escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _REFERENCE.sub("#" + ZWJ, _MENTION.sub("@" + ZWJ, escaped))


def defuse_marker(text: str) -> str:
    """``text`` with every ``flipbot:v1`` broken (the bot appends its own block afterwards)."""
    return text.replace(MARKER, MARKER.replace(":", ZWJ + ":"))


class OneLineFormatter(logging.Formatter):
    """A log formatter whose every record is one :func:`log_line`."""

    def format(self, record: logging.LogRecord) -> str:
        return log_line(super().format(record))


def configure_logging(fmt: str, level: int = logging.INFO) -> None:
    """``logging.basicConfig`` to stderr, every record through :func:`log_line`."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter(fmt))
    logging.basicConfig(level=level, handlers=[handler])
