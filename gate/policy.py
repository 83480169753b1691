"""Who flips, and what to do about a HOLD (SPEC §6 flip policy).

- spread rule fails -> refuse everything: no seed flips, no PR. Seeds that
  disagree about which sources they generalise to make the ensemble's
  spread a poor measure of uncertainty, so no member ships.
- otherwise every seed with PLCC_i >= the per-seed minimum flips; a seed
  below stays ``smoke: true`` with its reason.
- the ensemble-level registry entry flips only when every seed clears and
  all three rules hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from flipbot.verdict_file import RuleResult, SeedOutcome
from gate.rules import MEAN_PLCC, PER_SEED_MIN, PLCC_SPREAD, Thresholds, at_least


@dataclass(frozen=True)
class Decision:
    decision: Literal["PROMOTE", "HOLD"]
    refused: bool
    refusal_reason: str | None
    seeds: tuple[SeedOutcome, ...]
    flip: tuple[int, ...]
    ensemble_flip: bool
    diagnosis: str | None


def decide(
    seed_plcc: Mapping[int, float], rules: tuple[RuleResult, ...], th: Thresholds
) -> Decision:
    by_name = {r.name: r for r in rules}
    all_hold = all(r.passed for r in rules)
    spread = by_name[PLCC_SPREAD]
    refused = not spread.passed
    refusal_reason = None
    if refused:
        refusal_reason = (
            f"the per-seed PLCC spread {spread.value:.5f} exceeds {spread.threshold}: the seeds "
            "disagree about which sources they generalise to, so the ensemble's spread would not "
            "measure uncertainty; no seed flips"
        )
    outcomes = []
    for seed, plcc in sorted(seed_plcc.items()):
        clears = at_least(plcc, th.per_seed_min)
        if refused:
            flips, reason = False, "the spread rule failed, so every seed is refused"
        elif clears:
            flips, reason = True, f"PLCC {plcc:.5f} clears the per-seed minimum {th.per_seed_min}"
        else:
            flips, reason = (
                False,
                f"PLCC {plcc:.5f} is below the per-seed minimum {th.per_seed_min}",
            )
        outcomes.append(
            SeedOutcome(seed=seed, plcc=plcc, passed=clears, flips=flips, reason=reason)
        )
    flip = tuple(o.seed for o in outcomes if o.flips)
    return Decision(
        decision="PROMOTE" if all_hold else "HOLD",
        refused=refused,
        refusal_reason=refusal_reason,
        seeds=tuple(outcomes),
        flip=flip,
        ensemble_flip=all_hold and all(o.passed for o in outcomes),
        diagnosis=None if all_hold else diagnose(by_name),
    )


def diagnose(by_name: Mapping[str, RuleResult]) -> str:
    """The likely cause of a HOLD and the next step, from which rules failed."""
    mean_ok = by_name[MEAN_PLCC].passed
    spread_ok = by_name[PLCC_SPREAD].passed
    seeds_ok = by_name[PER_SEED_MIN].passed
    if not spread_ok and seeds_ok and mean_ok:
        return (
            "seeds disagree although every seed clears the per-seed minimum: the spread is seed "
            "noise, so re-seed (cheap: train other seeds) or, if the spread is expected for this "
            "corpus, write a new decision record for the spread bound"
        )
    if not spread_ok:
        return (
            "seeds disagree and some are weak: training is unstable or under-fit; raise --epochs "
            "(or check the learning rate) and retrain every seed, then re-seed if the spread stays"
        )
    if not mean_ok:
        return (
            "the seeds agree but are all weak (tight spread, low mean): the model is not the "
            "problem, the data is; check the corpus and the loader (feature order, feature "
            "scaling, targets and source labels) before retraining"
        )
    return (
        "the seeds agree and the mean clears, but some seed is below the per-seed minimum: "
        "the model is probably under-fit; raise --epochs and retrain the weak seeds"
    )
