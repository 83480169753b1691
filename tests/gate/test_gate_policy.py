"""The flip policy as properties: who flips follows from the rules, for any seed PLCCs."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from gate.policy import decide
from gate.rules import Thresholds, evaluate_rules

plcc = st.one_of(
    st.integers(94_990, 95_010), st.integers(95_490, 95_510), st.integers(90_000, 100_000)
).map(lambda k: k / 100_000)


@given(st.dictionaries(st.integers(0, 9), plcc, min_size=1, max_size=6))
def test_flip_set_follows_the_rules_exactly(seed_plcc: dict[int, float]) -> None:
    th = Thresholds()
    d = decide(seed_plcc, evaluate_rules(seed_plcc, th), th)
    exact = {s: Decimal(repr(v)) for s, v in seed_plcc.items()}
    spread_ok = max(exact.values()) - min(exact.values()) <= Decimal("0.005")
    clears = {s for s, v in exact.items() if v >= Decimal("0.95")}
    mean_ok = sum(exact.values()) / len(exact) >= Decimal("0.95")
    promote = spread_ok and mean_ok and clears == set(exact)

    assert d.refused is (not spread_ok)
    assert set(d.flip) == (clears if spread_ok else set())
    assert d.decision == ("PROMOTE" if promote else "HOLD")
    assert d.ensemble_flip is promote
    assert (d.diagnosis is None) is promote
    assert (d.refusal_reason is not None) is d.refused
    assert [o.seed for o in d.seeds] == sorted(seed_plcc)
    assert all(o.flips == (o.seed in d.flip) and o.reason for o in d.seeds)
