"""The three ADR-0303 rules: inclusive edges, float rounding, thresholds that only tighten."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flipbot.errors import InputError
from gate.rules import TOLERANCE, Thresholds, evaluate_rules, resolve_thresholds


def outcome(values: list[float], th: Thresholds | None = None) -> dict[str, bool]:
    rules = evaluate_rules(dict(enumerate(values)), th or Thresholds())
    return {r.name: r.passed for r in rules}


def test_upstream_real_numbers_pass_every_rule_with_their_values() -> None:
    rules = evaluate_rules(
        dict(enumerate([0.99751, 0.99716, 0.99781, 0.99693, 0.99686])), Thresholds()
    )
    by = {r.name: r for r in rules}
    assert by["mean_plcc"].value == pytest.approx(0.997254, abs=1e-12)
    assert round(by["mean_plcc"].value, 5) == 0.99725
    assert by["plcc_spread"].value == pytest.approx(0.00095, abs=1e-12)
    assert by["per_seed_min"].value == 0.99686
    assert [r.passed for r in rules] == [True, True, True]
    assert [(r.op, r.threshold) for r in rules] == [(">=", 0.95), ("<=", 0.005), (">=", 0.95)]


def test_spread_exactly_at_the_bound_passes_despite_float_rounding() -> None:
    spread = 0.955 - 0.950
    assert spread == 0.0050000000000000044 and spread > 0.005  # the float noise is real
    assert outcome([0.955, 0.950]) == {"mean_plcc": True, "plcc_spread": True, "per_seed_min": True}


def test_spread_one_hundred_thousandth_over_the_bound_fails() -> None:
    assert outcome([0.95501, 0.950])["plcc_spread"] is False


def test_plcc_exactly_095_passes_and_094999_fails() -> None:
    assert outcome([0.95, 0.95, 0.95]) == {
        "mean_plcc": True,
        "plcc_spread": True,
        "per_seed_min": True,
    }
    assert outcome([0.95, 0.94999, 0.95]) == {
        "mean_plcc": False,
        "plcc_spread": True,
        "per_seed_min": False,
    }


def test_every_rule_is_reported_after_one_fails() -> None:
    rules = evaluate_rules({0: 0.90, 1: 0.99}, Thresholds())
    assert [(r.name, r.passed) for r in rules] == [
        ("mean_plcc", False),
        ("plcc_spread", False),
        ("per_seed_min", False),
    ]
    assert rules[0].value == pytest.approx(0.945)
    assert rules[1].value == pytest.approx(0.09)
    assert rules[2].value == 0.90


def test_tolerance_is_far_below_a_reported_decimal() -> None:
    assert TOLERANCE == 1e-12


# PLCCs given to 5 decimals, as reports print them: the gate must decide
# exactly as decimal arithmetic does, i.e. float noise never flips an edge.
# Most draws sit at 0.95 and 0.955, where the mean, minimum and spread edges are.
five_decimals = st.one_of(
    st.integers(94_998, 95_002),
    st.integers(95_498, 95_502),
    st.integers(94_000, 100_000),
).map(lambda k: k / 100_000)


@given(st.lists(five_decimals, min_size=1, max_size=6))
def test_rules_match_exact_decimal_arithmetic_near_the_edges(values: list[float]) -> None:
    exact = [Decimal(repr(v)) for v in values]
    mean = sum(exact) / len(exact)
    assert outcome(values) == {
        "mean_plcc": mean >= Decimal("0.95"),
        "plcc_spread": max(exact) - min(exact) <= Decimal("0.005"),
        "per_seed_min": min(exact) >= Decimal("0.95"),
    }


@given(st.lists(five_decimals, min_size=2, max_size=6), st.randoms())
def test_rule_outcome_does_not_depend_on_seed_order(values: list[float], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(values)
    rnd.shuffle(shuffled)
    assert outcome(values) == outcome(shuffled)


def test_defaults_are_adr_0303_and_not_overridden() -> None:
    th, overridden = resolve_thresholds()
    assert th.as_dict() == {"mean_plcc": 0.95, "plcc_spread": 0.005, "per_seed_min": 0.95}
    assert overridden is False


def test_tightening_is_allowed_without_override() -> None:
    th, overridden = resolve_thresholds(mean_plcc=0.97, plcc_spread=0.002, per_seed_min=0.96)
    assert th.as_dict() == {"mean_plcc": 0.97, "plcc_spread": 0.002, "per_seed_min": 0.96}
    assert overridden is False


@pytest.mark.parametrize(
    ("kwargs", "flag"),
    [
        ({"mean_plcc": 0.9}, "--mean-plcc-threshold"),
        ({"plcc_spread": 0.01}, "--plcc-spread-max"),
        ({"per_seed_min": 0.94}, "--per-seed-min"),
    ],
)
def test_loosening_is_refused_without_override_and_marked_with_it(
    kwargs: dict[str, float], flag: str
) -> None:
    with pytest.raises(InputError, match=f"{flag}.*loosens the ADR-0303 gate"):
        resolve_thresholds(**kwargs)  # type: ignore[arg-type]
    th, overridden = resolve_thresholds(**kwargs, allow_override=True)  # type: ignore[arg-type]
    assert overridden is True
    assert next(iter(kwargs.values())) in th.as_dict().values()


@pytest.mark.parametrize(
    "kwargs",
    [{"mean_plcc": float("nan")}, {"per_seed_min": 1.5}, {"plcc_spread": -0.001}],
)
def test_nonsense_thresholds_are_input_errors(kwargs: dict[str, float]) -> None:
    with pytest.raises(InputError):
        resolve_thresholds(**kwargs, allow_override=True)  # type: ignore[arg-type]
