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
from flipbot.inputs import thresholds
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
# The three thresholds' flags (mean, spread, per-seed minimum), as the gate and the bot name them.
FLAGS = ("--mean-plcc-threshold", "--plcc-spread-max", "--per-seed-min")


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
    mean_plcc: float | str | None = None,
    plcc_spread: float | str | None = None,
    per_seed_min: float | str | None = None,
    allow_override: bool = False,
) -> tuple[Thresholds, bool]:
    """Apply requested thresholds on top of ADR-0303's; return them and whether any loosens.

    A value is a number (a verdict's) or the text of a flag, read by the rules the Action's
    threshold inputs use (:mod:`flipbot.inputs.thresholds`). Tightening (a higher minimum, a lower maximum spread) is always allowed.
    Loosening needs ``allow_override`` and is then reported as overridden.
    """
    base = Thresholds()
    chosen = Thresholds(
        mean_plcc=thresholds.plcc_threshold(
            FLAGS[0], base.mean_plcc if mean_plcc is None else mean_plcc
        ),
        plcc_spread=thresholds.spread_threshold(
            FLAGS[1], base.plcc_spread if plcc_spread is None else plcc_spread
        ),
        per_seed_min=thresholds.plcc_threshold(
            FLAGS[2], base.per_seed_min if per_seed_min is None else per_seed_min
        ),
    )
    loosened = thresholds.check_loosening(
        FLAGS,
        (chosen.mean_plcc, chosen.plcc_spread, chosen.per_seed_min),
        allowed=allow_override,
        override="pass --allow-threshold-override",
    )
    return chosen, loosened


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
