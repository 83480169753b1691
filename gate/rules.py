"""The three ADR-0303 rules and the thresholds they use (SPEC §6).

Each seed's PLCC_i is the mean over held-out sources of that seed's
per-source PLCC. The rules are on the seeds:

- ``mean_plcc``:    mean_i PLCC_i                  >= 0.95
- ``plcc_spread``:  max_i PLCC_i - min_i PLCC_i    <= 0.005
- ``per_seed_min``: min_i PLCC_i                   >= 0.95

All comparisons are inclusive. Float arithmetic cannot represent 0.005 or
0.95 exactly: seeds 0.955 and 0.950 give a spread of 0.0050000000000000044.
A comparison therefore allows ``TOLERANCE`` = 1e-12 of rounding slack. It
is far below anything a PLCC can meaningfully resolve (the reports print 5
decimals) and far above float64 rounding of sums of a few numbers near 1
(about 1e-16 each), so it only ever decides float noise, never a real
difference.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from flipbot.errors import InputError
from flipbot.verdict_file import (
    MEAN_PLCC_MIN,
    PER_SEED_PLCC_MIN,
    PLCC_SPREAD_MAX,
    RuleResult,
)

TOLERANCE = 1e-12

MEAN_PLCC = "mean_plcc"
PLCC_SPREAD = "plcc_spread"
PER_SEED_MIN = "per_seed_min"


@dataclass(frozen=True)
class Thresholds:
    mean_plcc: float = MEAN_PLCC_MIN
    plcc_spread: float = PLCC_SPREAD_MAX
    per_seed_min: float = PER_SEED_PLCC_MIN

    def as_dict(self) -> dict[str, float]:
        return {
            MEAN_PLCC: self.mean_plcc,
            PLCC_SPREAD: self.plcc_spread,
            PER_SEED_MIN: self.per_seed_min,
        }


def resolve_thresholds(
    *,
    mean_plcc: float | None = None,
    plcc_spread: float | None = None,
    per_seed_min: float | None = None,
    allow_override: bool = False,
) -> tuple[Thresholds, bool]:
    """Apply requested thresholds on top of ADR-0303's; return them and whether any loosens.

    Tightening (a higher minimum, a lower maximum spread) is always allowed.
    Loosening needs ``allow_override`` and is then reported as overridden.
    """
    base = Thresholds()
    chosen = Thresholds(
        mean_plcc=base.mean_plcc if mean_plcc is None else mean_plcc,
        plcc_spread=base.plcc_spread if plcc_spread is None else plcc_spread,
        per_seed_min=base.per_seed_min if per_seed_min is None else per_seed_min,
    )
    for flag, value in (
        ("--mean-plcc-threshold", chosen.mean_plcc),
        ("--per-seed-min", chosen.per_seed_min),
    ):
        if not (math.isfinite(value) and -1.0 <= value <= 1.0):
            raise InputError(f"{flag}: {value!r} is not a PLCC between -1 and 1; pass e.g. 0.95")
    if not (math.isfinite(chosen.plcc_spread) and 0.0 <= chosen.plcc_spread <= 2.0):
        raise InputError(
            f"--plcc-spread-max: {chosen.plcc_spread!r} is not a spread between 0 and 2; "
            "pass e.g. 0.005"
        )
    loosened = [
        f"{flag} {new} (ADR-0303: {old})"
        for flag, new, old, looser in (
            (
                "--mean-plcc-threshold",
                chosen.mean_plcc,
                base.mean_plcc,
                chosen.mean_plcc < base.mean_plcc,
            ),
            (
                "--plcc-spread-max",
                chosen.plcc_spread,
                base.plcc_spread,
                chosen.plcc_spread > base.plcc_spread,
            ),
            (
                "--per-seed-min",
                chosen.per_seed_min,
                base.per_seed_min,
                chosen.per_seed_min < base.per_seed_min,
            ),
        )
        if looser
    ]
    if loosened and not allow_override:
        raise InputError(
            f"thresholds: {', '.join(loosened)} loosens the ADR-0303 gate; loosening needs a new "
            "decision record, pass --allow-threshold-override only if one exists"
        )
    return chosen, bool(loosened)


def at_least(value: float, threshold: float) -> bool:
    return value >= threshold - TOLERANCE


def at_most(value: float, threshold: float) -> bool:
    return value <= threshold + TOLERANCE


def mean(values: list[float]) -> float:
    """Mean with a correctly rounded sum, so the order of the values never matters."""
    return math.fsum(values) / len(values)


def evaluate_rules(seed_plcc: Mapping[int, float], th: Thresholds) -> tuple[RuleResult, ...]:
    """All three rules, each evaluated and reported whatever the others say."""
    if not seed_plcc:
        raise InputError("--seeds: no seeds to judge; pass at least one seed")
    values = list(seed_plcc.values())
    avg, spread, low = mean(values), max(values) - min(values), min(values)
    return (
        RuleResult(
            name=MEAN_PLCC,
            description="mean over seeds of the per-seed LOSO PLCC",
            value=avg,
            threshold=th.mean_plcc,
            op=">=",
            passed=at_least(avg, th.mean_plcc),
        ),
        RuleResult(
            name=PLCC_SPREAD,
            description="spread (max - min) of the per-seed LOSO PLCC across seeds",
            value=spread,
            threshold=th.plcc_spread,
            op="<=",
            passed=at_most(spread, th.plcc_spread),
        ),
        RuleResult(
            name=PER_SEED_MIN,
            description="lowest per-seed LOSO PLCC (every seed must clear it)",
            value=low,
            threshold=th.per_seed_min,
            op=">=",
            passed=at_least(low, th.per_seed_min),
        ),
    )
