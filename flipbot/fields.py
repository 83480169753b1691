"""Field readers that turn a malformed document into an InputError naming the field.

Every stage file crosses a trust boundary (the loso files and the flip plan
come from GPU runners), so a reader accepts only what the writer can write:
the exact key set, the right JSON type, finite numbers in a sane range,
integers of a sane size (never a boolean), bounded strings. Anything else
is an InputError (exit 2) naming the file and the field, never a traceback.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Collection
from typing import Any

from flipbot.errors import InputError
from flipbot.untrusted_text import quoted

# Integers (seeds, epochs, row counts) are at most this: far above any real
# run, far below where float() or a C library would overflow.
MAX_INT = 10**9
# VMAF-like values (targets, predictions) are at most this in magnitude.
VALUE_BOUND = 1e6
# Free text (names, reasons, paths, versions) is at most this many characters.
MAX_TEXT = 10_000
SHA256_RE = re.compile(r"[0-9a-f]{64}")


def need(doc: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """Return ``doc[key]`` if present and of ``kind``; else raise an InputError.

    ``bool`` is never accepted where a number is asked for.
    """
    value = present(doc, key, where)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        raise InputError(
            f"{where}: field '{key}' must be {_names(kinds)}, got {_kind(value)}; "
            "regenerate the file"
        )
    return value


def present(doc: Any, key: str, where: str) -> Any:
    """``doc[key]``; an InputError if ``doc`` is not an object or lacks ``key``."""
    if not isinstance(doc, dict):
        raise InputError(f"{where}: expected a JSON object, got {_kind(doc)}; regenerate the file")
    if key not in doc:
        raise InputError(f"{where}: field '{key}' is missing; regenerate the file")
    return doc[key]


def need_number(
    doc: dict[str, Any],
    key: str,
    where: str,
    *,
    nullable: bool = False,
    lo: float = -VALUE_BOUND,
    hi: float = VALUE_BOUND,
) -> float | None:
    """A finite number in ``[lo, hi]`` (an int is accepted and converted), or None if nullable."""
    value = present(doc, key, where)
    if nullable and value is None:
        return None
    return check_number(value, f"{where}: field '{key}'", lo, hi)


def check_number(value: Any, what: str, lo: float, hi: float) -> float:
    """``value`` as a float if it is a finite JSON number in ``[lo, hi]``; ``what`` names it."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{what} must be a number, got {_kind(value)}; regenerate the file")
    try:
        number = float(value)
    except OverflowError:  # a JSON integer of hundreds of digits
        raise InputError(
            f"{what} is a {len(str(abs(value)))}-digit integer, outside [{lo:g}, {hi:g}]; "
            "regenerate the file"
        ) from None
    if not math.isfinite(number) or not lo <= number <= hi:
        raise InputError(
            f"{what} must be a finite number in [{lo:g}, {hi:g}], got {number!r}; "
            "regenerate the file"
        )
    return number


def need_int(doc: dict[str, Any], key: str, where: str, *, lo: int = 0, hi: int = MAX_INT) -> int:
    """An integer (never a boolean, never a float or a string) in ``[lo, hi]``."""
    return check_int(present(doc, key, where), f"{where}: field '{key}'", lo, hi)


def check_int(value: Any, what: str, lo: int = 0, hi: int = MAX_INT) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{what} must be an integer, got {_kind(value)}; regenerate the file")
    if not lo <= value <= hi:
        shown = value if abs(value) < 10**30 else f"a {len(str(abs(value)))}-digit integer"
        raise InputError(
            f"{what} must be an integer in [{lo}, {hi}], got {shown}; regenerate the file"
        )
    return value


def need_text(
    doc: dict[str, Any],
    key: str,
    where: str,
    *,
    nullable: bool = False,
    choices: Collection[str] | None = None,
) -> Any:
    """A string of at most MAX_TEXT characters (one of ``choices`` if given), or None if nullable."""
    value = present(doc, key, where)
    if nullable and value is None:
        return None
    return check_text(value, f"{where}: field '{key}'", choices)


def check_text(value: Any, what: str, choices: Collection[str] | None = None) -> str:
    if not isinstance(value, str):
        raise InputError(f"{what} must be a string, got {_kind(value)}; regenerate the file")
    if len(value) > MAX_TEXT:
        raise InputError(
            f"{what} is {len(value)} characters long (at most {MAX_TEXT}); regenerate the file"
        )
    if choices is not None and value not in choices:
        allowed = " or ".join(repr(c) for c in sorted(choices))
        raise InputError(f"{what} must be {allowed}, got {quoted(value)}; regenerate the file")
    return value


def need_sha256(doc: dict[str, Any], key: str, where: str) -> str:
    return check_sha256(present(doc, key, where), f"{where}: field '{key}'")


def check_sha256(value: Any, what: str) -> str:
    if not isinstance(value, str) or not SHA256_RE.fullmatch(value):
        raise InputError(
            f"{what} must be a sha256 (64 lowercase hex digits), got {quoted(value)}; "
            "regenerate the file"
        )
    return value


def need_list(doc: dict[str, Any], key: str, where: str) -> list[Any]:
    return need(doc, key, list, where)


def need_text_map(doc: dict[str, Any], key: str, where: str) -> dict[str, str]:
    """A JSON object whose values are all bounded strings (versions, pinned sha256s...)."""
    value = need(doc, key, dict, where)
    for k, v in value.items():
        check_text(k, f"{where}: field '{key}': a key")
        check_text(v, f"{where}: field '{key}': {quoted(k)}")
    return value


def need_seeds(doc: dict[str, Any], key: str, where: str) -> tuple[int, ...]:
    """A list of distinct integer seeds (``["0", 1]`` or ``[true]`` is refused)."""
    seeds = tuple(
        check_int(s, f"{where}: field '{key}'[{i}] (a seed)")
        for i, s in enumerate(need_list(doc, key, where))
    )
    if len(set(seeds)) != len(seeds):
        raise InputError(f"{where}: field '{key}' names a seed twice; regenerate the file")
    return seeds


def field_names(record: type) -> tuple[str, ...]:
    """The keys a frozen dataclass writes with ``asdict``: what its reader must find."""
    return tuple(f.name for f in dataclasses.fields(record))


def exact_keys(
    doc: Any, where: str, required: Collection[str], optional: Collection[str] = ()
) -> dict[str, Any]:
    """``doc`` as a dict holding every ``required`` key and nothing outside required + optional."""
    if not isinstance(doc, dict):
        raise InputError(f"{where}: expected a JSON object, got {_kind(doc)}; regenerate the file")
    missing = sorted(set(required) - doc.keys())
    if missing:
        raise InputError(f"{where}: field '{missing[0]}' is missing; regenerate the file")
    extra = sorted(doc.keys() - set(required) - set(optional))
    if extra:
        raise InputError(
            f"{where}: field {quoted(extra[0])} is not one this file has; regenerate the file"
        )
    return doc


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {
        str: "a string",
        list: "a list",
        dict: "an object",
        int: "an integer",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _names(kinds: tuple[type, ...]) -> str:
    names = {
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
        bool: "a boolean",
        type(None): "null",
    }
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))
