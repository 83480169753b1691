"""Field readers that turn a malformed document into an InputError naming the field."""

from __future__ import annotations

import math
from typing import Any

from flipbot.errors import InputError


def need(doc: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """Return ``doc[key]`` if present and of ``kind``; else raise an InputError.

    ``bool`` is never accepted where a number is asked for.
    """
    if not isinstance(doc, dict):
        raise InputError(f"{where}: expected a JSON object; regenerate the file")
    if key not in doc:
        raise InputError(f"{where}: field '{key}' is missing; regenerate the file")
    value = doc[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise InputError(f"{where}: field '{key}' must be {_names(kinds)}, got a boolean")
    if not isinstance(value, kinds):
        raise InputError(
            f"{where}: field '{key}' must be {_names(kinds)}, got {type(value).__name__}"
        )
    return value


def need_number(
    doc: dict[str, Any], key: str, where: str, *, nullable: bool = False
) -> float | None:
    if nullable and key in doc and doc[key] is None:
        return None
    value = need(doc, key, (int, float), where)
    if not math.isfinite(value):
        raise InputError(f"{where}: field '{key}' must be a finite number, got {value!r}")
    return float(value)


def _names(kinds: tuple[type, ...]) -> str:
    return " or ".join({int: "a number", float: "a number"}.get(k, k.__name__) for k in kinds)
