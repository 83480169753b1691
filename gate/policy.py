"""Who flips, and what to do about a HOLD (SPEC §6 flip policy).

- spread rule fails -> refuse everything: no seed flips, no PR. Seeds that
  disagree about which sources they generalise to make the ensemble's
  spread a poor measure of uncertainty, so no member ships.
- otherwise every seed with PLCC_i >= the per-seed minimum flips; a seed
  below stays ``smoke: true`` with its reason.
- the ensemble-level registry entry flips only when every seed clears and
  all three rules hold.

The diagnosis of a HOLD reads the failing rules and the seeds; each pattern
was reproduced by a real broken run (tests/gate/test_real_failures.py):
- one seed apart from the others, which agree: that seed's training (a seed
  at 100x the learning rate);
- spread only, after a run shorter than the recipe's epochs: raise --epochs
  (the full shipped corpus at 1-3 epochs: every seed >= 0.95, spread
  0.016-0.0057; re-seeding would not help; from 4 epochs it PROMOTEs);
- spread only, after a full run: seed noise, re-seed;
- spread and weak seeds: under-fit or unstable, raise --epochs (5 epochs);
- tight spread, low mean: the data (targets shuffled, a feature swapped);
- only the per-seed minimum: weak seeds, raise --epochs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from flipbot.verdict_file import RuleResult, SeedOutcome
from gate.rules import MEAN_PLCC, PER_SEED_MIN, PLCC_SPREAD, Thresholds, at_least, at_most

# SPEC §4, ADR-0303's recipe (trainer.recipe.Recipe.epochs; the gate does not import the
# trainer, tests/gate/test_gate_policy.py keeps the two equal).
RECIPE_EPOCHS = 200


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
    seed_plcc: Mapping[int, float],
    rules: tuple[RuleResult, ...],
    th: Thresholds,
    *,
    epochs: int | None = None,
) -> Decision:
    """Who flips; ``epochs`` (the run's, from its loso files) only sharpens the diagnosis."""
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
        diagnosis=None if all_hold else diagnose(by_name, seed_plcc, epochs),
    )


def diagnose(
    by_name: Mapping[str, RuleResult], seed_plcc: Mapping[int, float], epochs: int | None = None
) -> str:
    """The likely cause of a HOLD and the next step, from which rules failed and the seeds."""
    mean_ok = by_name[MEAN_PLCC].passed
    spread = by_name[PLCC_SPREAD]
    seeds_ok = by_name[PER_SEED_MIN].passed
    if not spread.passed:
        lone = lone_outlier(seed_plcc, spread.threshold)
        if lone is not None:
            seed, rest = lone
            return (
                f"seed {seed} alone breaks the spread (PLCC {seed_plcc[seed]:.5f}; the other "
                f"seeds agree within {rest:.5f}): its training went differently from the others' "
                "(learning rate, recipe, runner or library versions, or a run that went unstable); "
                f"check how seed {seed} was trained and retrain it with the run's recipe"
            )
        if seeds_ok and mean_ok and epochs is not None and epochs < RECIPE_EPOCHS:
            return (
                f"seeds disagree although every seed clears the per-seed minimum, and the run "
                f"trained {epochs} epoch(s), fewer than the recipe's {RECIPE_EPOCHS}: seeds that "
                "stop early have not converged to one model, so raise --epochs (to "
                f"{RECIPE_EPOCHS}) and retrain every seed before re-seeding"
            )
        if seeds_ok and mean_ok:
            return (
                "seeds disagree although every seed clears the per-seed minimum: the spread is "
                "seed noise, so re-seed (cheap: train other seeds) or, if the spread is expected "
                "for this corpus, write a new decision record for the spread bound"
            )
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


def lone_outlier(seed_plcc: Mapping[int, float], spread_max: float) -> tuple[int, float] | None:
    """The one seed without which the others meet the spread bound, and their spread.

    Needs at least three seeds (two seeds that disagree have no majority) and
    exactly one such seed: when dropping either end would do, it is seed noise.
    """
    if len(seed_plcc) < 3:
        return None
    found = []
    for seed in seed_plcc:
        rest = [v for s, v in seed_plcc.items() if s != seed]
        if at_most(max(rest) - min(rest), spread_max):
            found.append((seed, max(rest) - min(rest)))
    return found[0] if len(found) == 1 else None
