"""The audit's draw (stratified, every seed by default), its detection chances, its comparison."""

from __future__ import annotations

import random
from collections import Counter
from math import comb

import numpy as np
import pytest

from flipbot.errors import InputError
from gate.audit_check import MAX_ABS_DIFF, PLCC_DIFF, check_fold, compare_fold
from gate.audit_sample import draw_folds, p_escape, parse_sample, worst_p_detect

SEEDS = (0, 1, 2, 3, 4)
SOURCES = tuple(f"s{i}" for i in range(9))


def test_the_default_sample_draws_one_fold_of_every_seed() -> None:
    seen: Counter[tuple[int, str]] = Counter()
    for _ in range(400):
        picks = draw_folds(SEEDS, SOURCES, len(SEEDS))
        assert sorted(seed for seed, _ in picks) == list(SEEDS)
        seen.update(picks)
    assert len(seen) == 45  # every fold can be drawn


def test_a_larger_sample_deals_folds_evenly_and_all_takes_every_fold() -> None:
    picks = draw_folds(SEEDS, SOURCES, 12)
    per_seed = Counter(seed for seed, _ in picks)
    assert len(picks) == len(set(picks)) == 12 and set(per_seed.values()) == {2, 3}
    assert draw_folds(SEEDS, SOURCES, None) == [(s, src) for s in SEEDS for src in SOURCES]


def test_the_draw_is_not_the_module_random_generator() -> None:
    random.seed(1)
    first = [draw_folds(SEEDS, SOURCES, 5) for _ in range(20)]
    random.seed(1)
    second = [draw_folds(SEEDS, SOURCES, 5) for _ in range(20)]
    assert first != second  # secrets.SystemRandom: reseeding the global generator changes nothing


@pytest.mark.parametrize("text", ["0", "-1", "x", "1.5", "all,1"])
def test_a_bad_sample_size_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="--audit-sample"):
        parse_sample(text, 5)


def test_detection_chances_match_the_hypergeometric_formula() -> None:
    # One fold per seed of 9: a single forged fold is drawn with chance 1/9.
    assert worst_p_detect(1, 5, 9, 5) == pytest.approx(1 / 9)
    # A whole seed forged is always caught.
    assert p_escape([9, 0, 0, 0, 0], [1, 1, 1, 1, 1], 9) == 0.0
    # Spreading m forged folds over seeds is the forger's best: 1 - (8/9)^m for m <= 5.
    assert worst_p_detect(3, 5, 9, 5) == pytest.approx(1 - (8 / 9) ** 3)
    # Per seed: C(F - m, k) / C(F, k).
    assert p_escape([2], [3], 9) == pytest.approx(comb(7, 3) / comb(9, 3))
    assert worst_p_detect(1, 5, 9, None) == 1.0


def test_honest_differences_pass_and_a_forgery_names_its_fold() -> None:
    rng = np.random.default_rng(0)
    y_true = rng.uniform(20, 100, 300)
    honest = y_true + rng.normal(0, 3, 300)
    near = honest + rng.uniform(-1e-4, 1e-4, 300)  # as the torch vs C kernels measured
    ok = compare_fold(0, "bikes", y_true, honest, near)
    assert ok.passed and ok.max_abs_diff <= 1e-4 and ok.plcc_diff < PLCC_DIFF
    check_fold(ok, "loso_seed0.json")
    forged = (honest + y_true) / 2
    bad = compare_fold(0, "bikes", y_true, forged, honest)
    assert not bad.passed and bad.max_abs_diff > MAX_ABS_DIFF
    with pytest.raises(InputError, match=r"loso_seed0.json: fold 'bikes' \(seed 0\)"):
        check_fold(bad, "loso_seed0.json")


def test_a_shift_within_the_row_limit_is_still_caught_by_the_plcc_limit() -> None:
    y_true = np.linspace(20, 100, 400)
    honest = y_true + np.sin(np.arange(400)) * 4
    nudged = honest + np.where(honest < y_true, 0.049, -0.049)  # every row toward the truth
    result = compare_fold(1, "tree", y_true, nudged, honest)
    assert result.max_abs_diff <= MAX_ABS_DIFF and result.plcc_diff > PLCC_DIFF
    assert not result.passed
