"""Each conformal candidate on synthetic corpora whose truth is known behaves as its theory says."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

from gate.calibration_study import CANDIDATES
from gate.conformal_methods import (
    Frames,
    Interval,
    Method,
    leave_one_source_out,
    pooled,
    source_quantile,
)

N = 4000  # frames per source: binomial noise on a coverage is about 0.5 points
ABSOLUTE = Method("absolute", normalized=False, estimator="frame")
NORMALIZED = Method("normalized", normalized=True, estimator="frame")
SOURCE_PLAIN = Method("source", normalized=False, estimator="source")
SOURCE_RANK = Method("source rank", normalized=False, estimator="source", rule="rank")
MONDRIAN = Method("mondrian", normalized=False, estimator="frame", mean_edges=(40.0, 60.0, 80.0))


def corpus(
    noise: dict[str, float], *, heteroscedastic: bool = False, seed: int = 0
) -> list[Frames]:
    """y = mean + e; e ~ N(0, noise[source]), times the seeds' spread when heteroscedastic."""
    rng = np.random.default_rng(seed)
    out = []
    for name, scale in noise.items():
        mean = rng.uniform(20.0, 100.0, N)
        spread = rng.uniform(0.5, 2.0, N)
        e = rng.normal(0.0, scale, N) * (spread if heteroscedastic else 1.0)
        out.append(Frames(name, mean + e, mean, spread))
    return out


def coverage(results, source: str) -> float:  # type: ignore[no-untyped-def]
    return next(r.coverage for r in results if r.source == source)


QUIET = {f"s{i}": 1.0 for i in range(9)}
ONE_LOUD = QUIET | {"loud": 10.0}


def test_frames_exchangeable_every_method_covers_each_source_near_its_level() -> None:
    frames = corpus(QUIET)
    for method in (ABSOLUTE, NORMALIZED, MONDRIAN):
        for level in (0.90, 0.95):
            results = leave_one_source_out(method, frames, level)
            assert all(abs(r.coverage - level) < 0.02 for r in results), (method.name, level)


def test_normalized_scores_adapt_to_the_spread_absolute_ones_do_not() -> None:
    """Noise proportional to the seeds' spread: the normalized interval covers ~90 % in every
    spread band (locally weighted conformal); the absolute one only on average."""
    frames = corpus(QUIET, heteroscedastic=True)
    for method, low_ok, high_ok in ((NORMALIZED, True, True), (ABSOLUTE, False, False)):
        interval = method.fit(frames[1:], 0.90)
        f = frames[0]
        covered = np.abs(f.y - f.mean) <= interval.half(f.mean, f.spread)
        high, low = f.spread > 1.6, f.spread < 0.9
        assert bool(abs(covered[high].mean() - 0.90) < 0.03) is high_ok, method.name
        assert bool(abs(covered[low].mean() - 0.90) < 0.03) is low_ok, method.name
    interval = ABSOLUTE.fit(frames[1:], 0.90)
    f = frames[0]
    covered = np.abs(f.y - f.mean) <= interval.half(f.mean, f.spread)
    assert covered[f.spread > 1.6].mean() < 0.85 < 0.97 < covered[f.spread < 0.9].mean()


def mixture_quantile(level: float, k_quiet: int, loud: float) -> float:
    """The level-quantile of |e| when k_quiet unit sources and one loud source are pooled."""

    def cdf(q: float) -> float:
        return (k_quiet * (2 * stats.norm.cdf(q) - 1) + 2 * stats.norm.cdf(q / loud) - 1) / (
            k_quiet + 1
        )

    return float(optimize.brentq(lambda q: cdf(q) - level, 0.0, 100.0))


def test_one_loud_source_frame_pooling_under_covers_it_as_computed() -> None:
    frames = corpus(ONE_LOUD)
    results = leave_one_source_out(ABSOLUTE, frames, 0.90)
    q_quiet = stats.norm.ppf(0.95)  # calibrated on the 9 quiet sources only
    assert coverage(results, "loud") == pytest.approx(
        2 * stats.norm.cdf(q_quiet / 10) - 1, abs=0.02
    )
    q_mix = mixture_quantile(0.90, 8, 10.0)  # 8 quiet + the loud one
    expected_quiet = 2 * stats.norm.cdf(q_mix) - 1
    assert all(
        r.coverage == pytest.approx(expected_quiet, abs=0.02) for r in results if r.source != "loud"
    )
    assert pooled(results)[0] == pytest.approx((9 * expected_quiet + 0.131) / 10, abs=0.02)


def test_one_loud_source_source_level_quantiles_as_the_order_statistics_say() -> None:
    """Per-source 90 % quantiles: ~1.645 for a quiet source, ~16.45 for the loud one. Held-out
    quiet: 8 quiet values and the loud one; plain np.quantile interpolates 20 % of the way to
    the loud value; the rank rule takes ceil(10*0.9) = 9th of 9, the loud value itself. Held-out
    loud: every value is quiet, so it is under-covered either way: exactly 9 of 10 sources are
    covered, the rank rule's rank/(K+1) = 9/10."""
    frames = corpus(ONE_LOUD)
    q, loud_q = stats.norm.ppf(0.95), 10 * stats.norm.ppf(0.95)
    plain = leave_one_source_out(SOURCE_PLAIN, frames, 0.90)
    rank = leave_one_source_out(SOURCE_RANK, frames, 0.90)
    for results, half in ((plain, q + 0.2 * (loud_q - q)), (rank, loud_q)):
        quiet = [r for r in results if r.source != "loud"]
        assert all(r.mean_width == pytest.approx(2 * half, rel=0.05) for r in quiet)
        assert all(r.coverage > 0.999 for r in quiet)
        assert coverage(results, "loud") == pytest.approx(2 * stats.norm.cdf(q / 10) - 1, abs=0.03)
        assert sum(r.coverage >= 0.90 for r in results) == 9


def test_source_quantile_rules_known_answers() -> None:
    values = np.arange(1.0, 9.0)  # K = 8
    assert source_quantile(values, 0.90, "plain") == pytest.approx(7.3)  # linear at 6.3
    assert source_quantile(values, 0.90, "rank") == 8.0  # ceil(9*0.9) = 9 > 8: the largest
    assert source_quantile(np.arange(1.0, 21.0), 0.90, "rank") == 19.0  # ceil(21*0.9) = 19


def test_interval_cells_and_half_widths_are_what_a_consumer_computes() -> None:
    interval = Interval(0.9, False, (50.0, 80.0, 95.0), (), (4.0, 3.0, 2.0, 1.0))
    mean = np.array([10.0, 50.0, 79.9, 80.0, 95.0, 99.0])
    assert interval.half(mean, np.ones(6)).tolist() == [4.0, 3.0, 3.0, 2.0, 1.0, 1.0]
    scaled = Interval(0.9, True, (), (1.0,), (2.0, 3.0))
    assert scaled.half(np.zeros(3), np.array([0.5, 1.0, 2.0])).tolist() == [1.0, 3.0, 6.0]


def test_every_candidate_fits_and_reports_finite_numbers() -> None:
    frames = corpus(ONE_LOUD)
    for method in CANDIDATES:
        for level in (0.90, 0.95):
            results = leave_one_source_out(method, frames, level)
            cov, width = pooled(results)
            assert 0.0 < cov <= 1.0 and 0.0 < width < 200.0, method.name
