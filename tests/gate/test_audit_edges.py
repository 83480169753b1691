"""The audit's edges: the sample-size flag's bounds, uneven deals, undefined PLCC, exact messages."""

from __future__ import annotations

import math

import pytest

from flipbot.errors import InputError
from gate.audit_check import FoldAudit, check_fold, compare_fold
from gate.audit_sample import p_escape, parse_sample, per_seed_counts, worst_p_detect


@pytest.mark.parametrize(
    ("text", "folds"),
    [("1", 1), ("45", 45), ("999999", 999999), (" 7 ", 7), ("all", None), ("ALL", None),
     ("default", 5), ("", 5), ("007", 7)],
)  # fmt: skip
def test_a_sample_size_from_one_to_six_digits_or_all_is_taken(text: str, folds: int | None) -> None:
    """``default`` (and nothing) is one fold per seed: 5 for the five seeds here."""
    assert parse_sample(text, 5) == folds


@pytest.mark.parametrize("text", ["0", "1000000", "00000000001"])
def test_zero_and_a_seven_digit_size_are_refused(text: str) -> None:
    with pytest.raises(InputError, match="is not a fold count"):
        parse_sample(text, 5)


def test_the_refusal_quotes_the_first_forty_characters_and_the_fix() -> None:
    with pytest.raises(InputError) as caught:
        parse_sample("y" * 50, 5)
    assert str(caught.value) == (
        f"--audit-sample: {'y' * 40!r} is not a fold count; give 'default', 'all' or a number "
        "of folds from 1 to 999999 ('default' audits one fold per seed)"
    )


def test_folds_are_dealt_one_more_to_the_first_seeds() -> None:
    assert per_seed_counts(5, 9, 12) == [3, 3, 2, 2, 2]
    assert per_seed_counts(5, 9, 5) == [1, 1, 1, 1, 1]
    assert per_seed_counts(2, 3, None) == [3, 3]
    assert per_seed_counts(2, 3, 6) == [3, 3]


def test_forged_and_drawn_counts_must_name_the_same_seeds() -> None:
    with pytest.raises(ValueError, match="zip"):
        p_escape([1, 1], [1], 9)


def test_two_forged_folds_are_best_hidden_in_two_seeds() -> None:
    # One fold drawn per seed of 9: two forged in one seed escape 7/9, in two seeds (8/9)^2.
    assert worst_p_detect(2, 5, 9, 5) == pytest.approx(1 - (8 / 9) ** 2)


def test_an_uneven_deal_is_averaged_over_which_seed_gets_more() -> None:
    # 2 seeds x 3 sources, 3 folds drawn (2 from one seed, 1 from the other, either way round):
    # one forged fold is caught half the time, as 3 of 6 folds are drawn.
    assert worst_p_detect(1, 2, 3, 3) == pytest.approx(0.5)


def test_the_fold_numbers_are_the_max_and_rms_of_the_difference() -> None:
    result = compare_fold(2, "tree", [10, 20, 30, 40], [10, 21, 32, 40], [10, 20, 30, 40])
    assert (result.seed, result.held_out, result.max_abs_diff) == (2, "tree", 2.0)
    assert result.rms_diff == pytest.approx(math.sqrt(5 / 4))
    assert result.plcc_diff == pytest.approx(0.002636337155325741)


def test_constant_predictions_on_both_sides_differ_by_no_plcc() -> None:
    result = compare_fold(0, "bikes", [1.0, 2.0, 3.0], [5.0, 5.0, 5.0], [5.0, 5.0, 5.0])
    assert result.plcc_diff == 0.0 and result.passed


@pytest.mark.parametrize("constant_side", ["stored", "recomputed"])
def test_plcc_undefined_on_one_side_only_never_passes(constant_side: str) -> None:
    constant, varying = [5.0, 5.0, 5.0], [5.0, 5.0, 5.01]
    stored, recomputed = (constant, varying) if constant_side == "stored" else (varying, constant)
    result = compare_fold(0, "bikes", [1.0, 2.0, 3.0], stored, recomputed)
    assert result.max_abs_diff == pytest.approx(0.01)
    assert result.plcc_diff == math.inf and not result.passed


def test_predictions_of_another_length_are_a_bug() -> None:
    with pytest.raises(ValueError) as caught:
        compare_fold(0, "bikes", [1.0, 2.0], [1.0, 2.0], [1.0])
    assert str(caught.value) == "stored and re-computed predictions differ in length"


def test_the_refusal_names_file_fold_seed_numbers_limits_and_fix() -> None:
    with pytest.raises(InputError) as caught:
        check_fold(FoldAudit(2, "tree", 2.0, 1.1, 0.0026), "loso_seed2.json")
    assert str(caught.value) == (
        "loso_seed2.json: fold 'tree' (seed 2): the stored held-out predictions differ from the "
        "audit's re-training by max 2 VMAF (limit 0.05) and 0.0026 in PLCC (limit 1e-05); they "
        "are not what the recipe gives on this corpus, retrain the seed with "
        "`python -m trainer loso` and this flipbot"
    )


def test_each_limit_is_inclusive() -> None:
    assert FoldAudit(0, "a", 0.05, 0.0, 1e-5).passed
    assert not FoldAudit(0, "a", 0.0500001, 0.0, 0.0).passed
    assert not FoldAudit(0, "a", 0.0, 0.0, 1.00001e-5).passed
