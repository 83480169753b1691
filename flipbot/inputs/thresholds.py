"""The gate's thresholds as inputs: their ranges and the one loosening rule.

The Action's three threshold inputs, ``python -m gate``'s and ``bot promote``'s flags and the
re-judge of a verdict all read thresholds here, so a value refused (or a loosening allowed)
through one door is refused (or allowed) through every door. ``where`` names the value as the
caller does (``input 'mean-plcc-min'``, ``--mean-plcc-threshold``). Standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from flipbot.errors import InputError
from flipbot.verdict_file import MEAN_PLCC_MIN, PER_SEED_PLCC_MIN, PLCC_SPREAD_MAX


def _number(value: str | float) -> float:
    if isinstance(value, float | int):
        return float(value)
    try:
        return float(value.strip())
    except ValueError:
        return math.nan


def plcc_threshold(where: str, value: str | float) -> float:
    """A PLCC minimum (the mean's or every seed's): a finite number from -1 to 1."""
    number = _number(value)
    if not (math.isfinite(number) and -1.0 <= number <= 1.0):
        raise InputError(f"{where}: {value!r} is not a PLCC between -1 and 1; pass e.g. 0.95")
    return number


def spread_threshold(where: str, value: str | float) -> float:
    """The largest allowed max - min of the seeds' PLCC: a finite number from 0 to 2."""
    number = _number(value)
    if not (math.isfinite(number) and 0.0 <= number <= 2.0):
        raise InputError(f"{where}: {value!r} is not a spread between 0 and 2; pass e.g. 0.005")
    return number


def loosened(names: Sequence[str], values: tuple[float, float, float]) -> list[str]:
    """Each of ``values`` (mean, spread, per-seed minimum) that is looser than ADR-0303's, as
    ``"<name> <value> (ADR-0303: <value>)"``; ``names`` are the three in the caller's words."""
    mean_plcc, plcc_spread, per_seed_min = values
    return [
        f"{name} {new} (ADR-0303: {old})"
        for name, new, old, looser in (
            (names[0], mean_plcc, MEAN_PLCC_MIN, mean_plcc < MEAN_PLCC_MIN),
            (names[1], plcc_spread, PLCC_SPREAD_MAX, plcc_spread > PLCC_SPREAD_MAX),
            (names[2], per_seed_min, PER_SEED_PLCC_MIN, per_seed_min < PER_SEED_PLCC_MIN),
        )
        if looser
    ]


def check_loosening(
    names: Sequence[str],
    values: tuple[float, float, float],
    *,
    allowed: bool,
    override: str,
) -> bool:
    """Whether ``values`` loosen ADR-0303's thresholds (:func:`loosened`); refused unless
    ``allowed``. ``override`` says how the caller allows it (``pass --allow-threshold-override``)."""
    found = loosened(names, values)
    if found and not allowed:
        raise InputError(
            f"thresholds: {', '.join(found)} loosens the ADR-0303 gate; loosening needs a new "
            f"decision record, {override} only if one exists"
        )
    return bool(found)
