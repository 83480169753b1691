"""The registry's row types, shared by every format and by the bot's flip (SPEC §8).

A flip changes a few fields of a few rows (``RowChange``); everything else
must stay as it was. The parsed half of that promise is format-free and
lives here (``check_rows_unchanged``); each format module adds its own byte
or line check on top. A failed check is a bug (``RewriteInvariantError``),
never an input error and never a silent edit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

FLIPPED_KEYS = ("sha256", "smoke")
# Set by signing: may be null or missing before; the rewrite adds it then.
BUNDLE_KEY = "sigstore_bundle"


class RewriteInvariantError(AssertionError):
    """A rewrite touched something it must not: a bug, never an input error."""


@dataclass(frozen=True)
class RowChange:
    id: str
    sha256: str
    smoke: bool
    # Other string fields of the row to rewrite (the row-updates input): (field, new value).
    updates: tuple[tuple[str, str], ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        """Every field this change may touch."""
        return FLIPPED_KEYS + tuple(k for k, _ in self.updates)

    def differs(self, row: dict[str, Any]) -> bool:
        return (row["sha256"], row["smoke"]) != (self.sha256, self.smoke) or any(
            row.get(k) != v for k, v in self.updates
        )


def check_rows_unchanged(
    before: Any, after: Any, targets: set[str] | dict[str, tuple[str, ...]], where: str
) -> None:
    """Parsed check: non-target rows equal, target rows equal outside their changed keys."""
    keys = targets if isinstance(targets, dict) else dict.fromkeys(targets, FLIPPED_KEYS)
    old, new = before["models"], after["models"]
    if len(old) != len(new) or {k: v for k, v in before.items() if k != "models"} != {
        k: v for k, v in after.items() if k != "models"
    }:
        raise RewriteInvariantError(f"{where}: the rewrite changed rows or top-level fields")
    for a, b in zip(old, new, strict=True):
        if a.get("id") in keys:
            a = {k: v for k, v in a.items() if k not in keys[a["id"]]}
            b = {k: v for k, v in b.items() if k not in keys[b["id"]]}
        if a != b or list(a) != list(b):
            raise RewriteInvariantError(f"{where}: the rewrite changed row '{a.get('id')}'")


def rows_lacking(doc: Any, ids: Iterable[str], key: str) -> list[int]:
    """Indices of the rows named by ``ids`` that have no ``key`` (other rows are ignored)."""
    wanted = set(ids)
    models = doc.get("models") if isinstance(doc, dict) else None
    return [
        i
        for i, row in enumerate(models if isinstance(models, list) else [])
        if isinstance(row, dict) and row.get("id") in wanted and key not in row
    ]
