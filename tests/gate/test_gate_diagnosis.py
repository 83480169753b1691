"""What the gate says about a HOLD: one diagnosis per failure pattern, and the seed outcomes.

The numbers of the cases come from real runs (tests/gate/test_real_failures.py
and the full shipped corpus, 5 seeds): e.g. one epoch on the full corpus
gives every seed above 0.95 and a spread of 0.016, which re-seeding would
not fix.
"""

from __future__ import annotations

import pytest

from gate.policy import RECIPE_EPOCHS, decide, lone_outlier
from gate.rules import Thresholds, evaluate_rules

TH = Thresholds()

RESEED = (
    "seeds disagree although every seed clears the per-seed minimum: the spread is seed noise, "
    "so re-seed (cheap: train other seeds) or, if the spread is expected for this corpus, write "
    "a new decision record for the spread bound"
)
UNSTABLE = (
    "seeds disagree and some are weak: training is unstable or under-fit; raise --epochs (or "
    "check the learning rate) and retrain every seed, then re-seed if the spread stays"
)
DATA = (
    "the seeds agree but are all weak (tight spread, low mean): the model is not the problem, the "
    "data is; check the corpus and the loader (feature order, feature scaling, targets and source "
    "labels) before retraining"
)
WEAK_SEEDS = (
    "the seeds agree and the mean clears, but some seed is below the per-seed minimum: the model "
    "is probably under-fit; raise --epochs and retrain the weak seeds"
)
# Full shipped corpus, 5 seeds, 1 epoch (mean 0.96059, min 0.95063, spread 0.01588).
ONE_EPOCH = {0: 0.96101, 1: 0.965, 2: 0.95063, 3: 0.96651, 4: 0.95978}


def diagnosis(seed_plcc: dict[int, float], epochs: int | None = None) -> str | None:
    return decide(seed_plcc, evaluate_rules(seed_plcc, TH), TH, epochs=epochs).diagnosis


@pytest.mark.parametrize("epochs", [None, RECIPE_EPOCHS, 400])
def test_only_the_spread_failing_after_a_full_run_says_re_seed(epochs: int | None) -> None:
    assert RECIPE_EPOCHS == 200
    assert diagnosis({0: 0.99, 1: 0.98}, epochs) == RESEED


def test_only_the_spread_failing_after_a_short_run_says_raise_the_epochs() -> None:
    assert diagnosis(ONE_EPOCH, epochs=1) == (
        "seeds disagree although every seed clears the per-seed minimum, and the run trained 1 "
        "epoch(s), fewer than the recipe's 200: seeds that stop early have not converged to one "
        "model, so raise --epochs (to 200) and retrain every seed before re-seeding"
    )
    assert "trained 199 epoch(s)" in str(diagnosis(ONE_EPOCH, epochs=199))


def test_one_seed_apart_from_agreeing_others_is_named() -> None:
    # The 100x learning-rate seed of the real-failure test, 40 epochs.
    seeds = {0: 0.96937, 1: 0.97216, 2: 0.98165}
    assert diagnosis(seeds, epochs=40) == (
        "seed 2 alone breaks the spread (PLCC 0.98165; the other seeds agree within 0.00279): its "
        "training went differently from the others' (learning rate, recipe, runner or library "
        "versions, or a run that went unstable); check how seed 2 was trained and retrain it with "
        "the run's recipe"
    )
    low = {0: 0.99, 1: 0.991, 2: 0.9, 3: 0.9905}
    assert str(diagnosis(low)).startswith("seed 2 alone breaks the spread (PLCC 0.90000;")


def test_lone_outlier_needs_three_seeds_and_exactly_one_candidate() -> None:
    assert lone_outlier({0: 0.99, 1: 0.98}, 0.005) is None
    seed, rest = lone_outlier({0: 0.99, 1: 0.9902, 2: 0.97}, 0.005)  # type: ignore[misc]
    assert seed == 2 and rest == pytest.approx(0.0002)
    # Dropping either end would do: that is seed noise, not one bad seed.
    assert lone_outlier({0: 0.99, 1: 0.985, 2: 0.98}, 0.005) is None
    # Dropping no single seed is enough.
    assert lone_outlier({0: 0.99, 1: 0.97, 2: 0.95}, 0.005) is None
    # The others' spread exactly at the bound still counts as agreeing.
    assert lone_outlier({0: 0.955, 1: 0.95, 2: 0.99}, 0.005) == (2, 0.955 - 0.95)


def test_disagreeing_seeds_with_a_weak_one_point_at_training() -> None:
    assert diagnosis({0: 0.99, 1: 0.94}) == UNSTABLE
    assert diagnosis({0: 0.64, 1: 0.56, 2: 0.79}, epochs=5) == UNSTABLE
    # The mean failing while every seed clears cannot happen; a low mean with a spread does.
    assert diagnosis({0: 0.96, 1: 0.93}, epochs=1) == UNSTABLE


def test_agreeing_weak_seeds_blame_the_data_even_after_a_short_run() -> None:
    assert diagnosis({0: 0.0069, 1: 0.0034, 2: 0.0039}, epochs=80) == DATA
    assert diagnosis({0: 0.90, 1: 0.901, 2: 0.899}) == DATA


def test_a_weak_seed_under_an_agreeing_mean_is_under_fit() -> None:
    assert diagnosis({0: 0.953, 1: 0.952, 2: 0.9495}) == WEAK_SEEDS


def test_a_promote_has_no_diagnosis_and_flips_every_seed() -> None:
    d = decide({0: 0.99, 1: 0.991}, evaluate_rules({0: 0.99, 1: 0.991}, TH), TH, epochs=1)
    assert d.decision == "PROMOTE" and d.diagnosis is None and d.refusal_reason is None
    assert d.flip == (0, 1) and d.ensemble_flip is True and d.refused is False
    assert [o.reason for o in d.seeds] == [
        "PLCC 0.99000 clears the per-seed minimum 0.95",
        "PLCC 0.99100 clears the per-seed minimum 0.95",
    ]


def test_a_refusal_names_the_spread_and_refuses_every_seed() -> None:
    seeds = {3: 0.99, 1: 0.9834}
    d = decide(seeds, evaluate_rules(seeds, TH), TH)
    assert d.refused is True and d.decision == "HOLD" and d.flip == ()
    assert d.ensemble_flip is False
    assert d.refusal_reason == (
        "the per-seed PLCC spread 0.00660 exceeds 0.005: the seeds disagree about which sources "
        "they generalise to, so the ensemble's spread would not measure uncertainty; no seed flips"
    )
    assert [(o.seed, o.passed, o.flips) for o in d.seeds] == [(1, True, False), (3, True, False)]
    assert {o.reason for o in d.seeds} == {"the spread rule failed, so every seed is refused"}


def test_a_hold_without_refusal_flips_the_seeds_that_clear() -> None:
    seeds = {0: 0.953, 1: 0.9495, 2: 0.952}
    d = decide(seeds, evaluate_rules(seeds, TH), TH)
    assert d.decision == "HOLD" and d.refused is False and d.refusal_reason is None
    assert d.flip == (0, 2) and d.ensemble_flip is False
    weak = d.seeds[1]
    assert (weak.seed, weak.passed, weak.flips) == (1, False, False)
    assert weak.reason == "PLCC 0.94950 is below the per-seed minimum 0.95"


def test_custom_thresholds_decide_who_flips() -> None:
    th = Thresholds(mean_plcc=0.95, plcc_spread=0.05, per_seed_min=0.97)
    seeds = {0: 0.96, 1: 0.98}
    d = decide(seeds, evaluate_rules(seeds, th), th)
    assert d.flip == (1,) and d.decision == "HOLD"
    assert d.seeds[0].reason == "PLCC 0.96000 is below the per-seed minimum 0.97"
