"""What the base branch held before the flip, so the body says only what is known.

Read from the registry text the flip was applied to (the base commit's, or
the working tree's in a local run): each row by id. The body uses it to say
whether a flipped row replaces a production model (``smoke: false`` before)
or a placeholder, to show the old sha256 beside the new one, and whether the
registry has an ensemble-level row at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.registry.flip import is_yaml, parse_json


@dataclass(frozen=True)
class Prior:
    rows: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # id -> row, before
    # Repository paths that exist in the base (None: not known, e.g. not looked up).
    paths: frozenset[str] | None = None

    def smoke(self, row_id: str) -> bool | None:
        row = self.rows.get(row_id)
        value = row.get("smoke") if row else None
        return value if isinstance(value, bool) else None

    def sha256(self, row_id: str) -> str | None:
        row = self.rows.get(row_id)
        value = row.get("sha256") if row else None
        return value if isinstance(value, str) else None

    def onnx_of(self, row_id: str) -> str | None:
        row = self.rows.get(row_id)
        value = row.get("onnx") if row else None
        return value if isinstance(value, str) else None


def prior_from_registry(text: str, where: str, paths: frozenset[str] | None = None) -> Prior:
    """The rows of an already validated registry text (the flip has parsed it before)."""
    if is_yaml(where):
        from ruamel.yaml import YAML

        doc: Any = YAML(typ="safe", pure=True).load(text)
    else:
        doc = parse_json(text, where)
    models = doc.get("models") if isinstance(doc, dict) else None
    rows = {
        row["id"]: dict(row)
        for row in models or []
        if isinstance(row, dict) and isinstance(row.get("id"), str)
    }
    return Prior(rows, paths)
