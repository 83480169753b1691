"""The gate's warnings as Markdown list items, bounded: repeated warnings are counted, not listed
(the PR body, the bot's and the gate's job summary).

A warning can quote source names (up to 10,000 characters each) and one run
can hold hundreds of them (a twin-source warning per pair of sources), so a
list of all of them can exceed GitHub's body limit on its own. Warnings of
one kind (the same text once names and numbers are taken out) are shown up
to ``per_kind`` times, at most ``total`` in all, each cut to ``chars``
characters; the rest is one counted line per kind pointing to the job
summary, which shows many more under larger bounds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flipbot.untrusted_text import markdown

# Names in quotes and numbers (with decimals, signs, percent) vary inside one kind.
_VARIABLE = re.compile(r"'[^']*'|\"[^\"]*\"|[-+]?\d[\d.,]*%?")


@dataclass(frozen=True)
class WarningBounds:
    per_kind: int  # warnings shown per kind
    total: int  # warnings shown in all
    chars: int  # characters of one shown warning (before escaping)


IN_BODY = WarningBounds(per_kind=3, total=10, chars=600)
IN_SUMMARY = WarningBounds(per_kind=50, total=200, chars=2_000)


def kind_of(warning: str) -> str:
    """What a warning says once its names and numbers are taken out."""
    return " ".join(_VARIABLE.sub("…", warning).split())


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:chars] + f"… ({len(text) - chars} more characters)"


def warning_items(
    warnings: tuple[str, ...] | list[str], bounds: WarningBounds, where: str = "the job summary"
) -> list[str]:
    """``- ⚠ warning`` lines (escaped), then ``- ⚠ N more warnings of this kind (...)`` lines."""
    shown: list[str] = []
    per_kind: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for warning in warnings:
        kind = kind_of(warning)
        if per_kind.get(kind, 0) < bounds.per_kind and len(shown) < bounds.total:
            per_kind[kind] = per_kind.get(kind, 0) + 1
            shown.append(f"- ⚠ {markdown(_cut(warning, bounds.chars))}")
        else:
            hidden[kind] = hidden.get(kind, 0) + 1
    kinds = list(hidden.items())
    for kind, count in kinds[: bounds.total]:
        plural = "warnings" if count > 1 else "warning"
        shown.append(
            f"- ⚠ {count} more {plural} of this kind ({markdown(_cut(kind, 100))}): see {where}"
        )
    rest = sum(count for _, count in kinds[bounds.total :])
    if rest:
        shown.append(f"- ⚠ {rest} more warnings of other kinds: see {where}")
    return shown
