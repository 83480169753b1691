"""The ends of every threshold range, the float slack, and custom thresholds kept apart.

Written to kill the mutants of gate/rules.py a mutation run found alive
(docs/MUTATION.md): each test pins one boundary from both sides.
"""

from __future__ import annotations

import math

import pytest

from flipbot.errors import InputError
from gate.rules import (
    TOLERANCE,
    Thresholds,
    at_least,
    at_most,
    evaluate_rules,
    mean,
    resolve_thresholds,
)

PLCC_FLAGS = [("mean_plcc", "--mean-plcc-threshold"), ("per_seed_min", "--per-seed-min")]


@pytest.mark.parametrize(("name", "flag"), PLCC_FLAGS)
@pytest.mark.parametrize("value", [-1.0, 1.0])
def test_a_plcc_threshold_may_be_exactly_plus_or_minus_one(
    name: str, flag: str, value: float
) -> None:
    th, overridden = resolve_thresholds(**{name: value}, allow_override=True)
    assert th.as_dict()[name] == value
    assert overridden is (value < 0.95)


@pytest.mark.parametrize(("name", "flag"), PLCC_FLAGS)
@pytest.mark.parametrize("value", [-1.5, -1.0000001, 1.0000001, 1.5, math.inf, -math.inf, math.nan])
def test_a_plcc_threshold_outside_minus_one_to_one_is_refused_even_with_override(
    name: str, flag: str, value: float
) -> None:
    with pytest.raises(InputError) as err:
        resolve_thresholds(**{name: value}, allow_override=True)
    assert str(err.value) == (f"{flag}: {value!r} is not a PLCC between -1 and 1; pass e.g. 0.95")


@pytest.mark.parametrize("value", [0.0, 0.001, 0.005])
def test_a_spread_bound_from_zero_to_the_default_needs_no_override(value: float) -> None:
    th, overridden = resolve_thresholds(plcc_spread=value)
    assert th.plcc_spread == value and overridden is False


def test_a_spread_bound_of_exactly_two_is_allowed_with_override() -> None:
    th, overridden = resolve_thresholds(plcc_spread=2.0, allow_override=True)
    assert th.plcc_spread == 2.0 and overridden is True


@pytest.mark.parametrize("value", [-0.001, -1e-300, 2.0000001, 2.5, math.inf, math.nan])
def test_a_spread_bound_outside_zero_to_two_is_refused_even_with_override(value: float) -> None:
    with pytest.raises(InputError) as err:
        resolve_thresholds(plcc_spread=value, allow_override=True)
    assert str(err.value) == (
        f"--plcc-spread-max: {value!r} is not a spread between 0 and 2; pass e.g. 0.005"
    )


def test_the_adr_values_given_explicitly_are_not_an_override() -> None:
    th, overridden = resolve_thresholds(mean_plcc=0.95, plcc_spread=0.005, per_seed_min=0.95)
    assert th == Thresholds() and overridden is False


def test_the_loosening_message_lists_every_loosened_flag_with_the_adr_value() -> None:
    with pytest.raises(InputError) as err:
        resolve_thresholds(mean_plcc=0.9, plcc_spread=0.01, per_seed_min=0.94)
    assert str(err.value) == (
        "thresholds: --mean-plcc-threshold 0.9 (ADR-0303: 0.95), --plcc-spread-max 0.01 "
        "(ADR-0303: 0.005), --per-seed-min 0.94 (ADR-0303: 0.95) loosens the ADR-0303 gate; "
        "loosening needs a new decision record, pass --allow-threshold-override only if one exists"
    )


def test_one_loosened_threshold_among_tightened_ones_is_an_override() -> None:
    th, overridden = resolve_thresholds(
        mean_plcc=0.99, plcc_spread=0.006, per_seed_min=0.98, allow_override=True
    )
    assert th == Thresholds(mean_plcc=0.99, plcc_spread=0.006, per_seed_min=0.98)
    assert overridden is True
    with pytest.raises(InputError, match=r"^thresholds: --plcc-spread-max 0\.006 \(ADR-0303"):
        resolve_thresholds(mean_plcc=0.99, plcc_spread=0.006, per_seed_min=0.98)


def test_the_slack_decides_float_noise_only() -> None:
    assert TOLERANCE == 1e-12
    assert at_least(0.95 - 0.9e-12, 0.95) and not at_least(0.95 - 1.1e-12, 0.95)
    assert at_most(0.005 + 0.9e-12, 0.005) and not at_most(0.005 + 1.1e-12, 0.005)
    assert at_least(0.95, 0.95) and at_most(0.005, 0.005)
    # Exactly at the slack's end still counts (inclusive).
    assert at_least(0.95 - TOLERANCE, 0.95) and at_most(0.005 + TOLERANCE, 0.005)


def test_the_mean_is_correctly_rounded_whatever_the_order() -> None:
    assert mean([1e16, 1.0, -1e16]) == 1.0 / 3.0  # a plain sum gives 0
    assert mean([0.1, 0.2, 0.3]) == mean([0.3, 0.1, 0.2]) == mean([0.2, 0.3, 0.1])
    assert mean([2.0, 4.0]) == 3.0


def test_each_rule_uses_its_own_threshold() -> None:
    th = Thresholds(mean_plcc=0.96, plcc_spread=0.002, per_seed_min=0.97)
    rules = evaluate_rules({0: 0.965, 1: 0.9665}, th)
    assert [(r.name, r.op, r.threshold, r.passed) for r in rules] == [
        ("mean_plcc", ">=", 0.96, True),
        ("plcc_spread", "<=", 0.002, True),
        ("per_seed_min", ">=", 0.97, False),
    ]
    assert [r.value for r in rules] == [pytest.approx(0.96575), pytest.approx(0.0015), 0.965]
    assert th.as_dict() == {"mean_plcc": 0.96, "plcc_spread": 0.002, "per_seed_min": 0.97}


def test_the_rules_describe_themselves() -> None:
    rules = evaluate_rules({0: 0.99}, Thresholds())
    assert [r.description for r in rules] == [
        "mean over seeds of the per-seed LOSO PLCC",
        "spread (max - min) of the per-seed LOSO PLCC across seeds",
        "lowest per-seed LOSO PLCC (every seed must clear it)",
    ]
    assert [r.value for r in rules] == [0.99, 0.0, 0.99]


def test_no_seed_at_all_is_an_input_error() -> None:
    with pytest.raises(InputError) as err:
        evaluate_rules({}, Thresholds())
    assert str(err.value) == "--seeds: no seeds to judge; pass at least one seed"
