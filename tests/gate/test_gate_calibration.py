"""Conformal calibration of the ensemble spread: known answers, no self-calibration, never blocking."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from loso_writer import write_run

from flipbot.verdict_file import Verdict
from gate.__main__ import main
from gate.calibration import FALLBACK, SHIPPED, calibrate
from gate.conformal_methods import conformal_quantile

# Residuals |y - mean| per source: A and B small, C ten times larger (10 frames each: too few
# for a source's own quantile, so the frame-level fallback answers).
RESIDUALS = {
    "A": np.arange(1.0, 11.0),
    "B": np.arange(1.0, 11.0),
    "C": np.arange(10.0, 101.0, 10.0),
}
Y = {s: np.full(10, 50.0) + np.arange(10) for s in RESIDUALS}


def one_seed() -> dict[str, np.ndarray]:
    """A single seed: the spread is 0 everywhere."""
    return {s: (Y[s] - RESIDUALS[s])[None, :] for s in RESIDUALS}


def by_source(cal, level: float):  # type: ignore[no-untyped-def]
    i = cal.levels.index(level)
    return {src.source: src.levels[i] for src in cal.sources}


@pytest.mark.parametrize(
    ("n", "level", "expected"),
    [(19, 0.90, 18.0), (19, 0.95, 19.0), (18, 0.95, None), (9, 0.90, 9.0), (0, 0.9, None)],
)
def test_conformal_quantile_is_the_ceil_n_plus_one_level_th_score(
    n: int, level: float, expected: float | None
) -> None:
    scores = np.arange(n, 0, -1, dtype=np.float64)  # n..1, unsorted on purpose
    assert conformal_quantile(scores, level) == expected


def test_too_few_frames_per_source_fall_back_to_the_frame_quantile_known_answers() -> None:
    cal = calibrate(Y, one_seed())
    at90, at95 = by_source(cal, 0.90), by_source(cal, 0.95)
    assert {r.method for r in [*at90.values(), *at95.values()]} == {FALLBACK.name}
    # C is calibrated on A+B (20 scores, 1..10 twice): 19th and 20th smallest are 10.
    assert (at90["C"].half_width, at90["C"].coverage, at90["C"].mean_width) == ((10.0,), 0.1, 20.0)
    assert (at95["C"].half_width, at95["C"].coverage) == ((10.0,), 0.1)
    # A is calibrated on B+C (1..9, 10, 10, 20..100): 19th is 90, 20th is 100.
    assert (at90["A"].half_width, at90["A"].coverage, at90["A"].mean_width) == ((90.0,), 1.0, 180.0)
    assert at95["A"].half_width == (100.0,) and at95["B"].half_width == (100.0,)
    assert [r.n_calibration for r in at90.values()] == [2, 2, 2]
    # Constants to ship, over all 30 scores: 28th and 30th smallest.
    assert cal.interval["0.90"]["half_width"] == [80.0]
    assert cal.interval["0.95"]["half_width"] == [100.0]
    assert cal.overall[0].coverage == pytest.approx((10 + 10 + 1) / 30)
    assert [w.split("'")[1] for w in cal.warnings] == ["C", "C"]


def source_level_run() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Four sources of 20 frames at mean 70 (the 60-90 band); source k's residuals are
    (k+1)·(1..20), two seeds at mean ± 0.5."""
    y, preds = {}, {}
    for k, s in enumerate("ABCD"):
        mean = np.full(20, 70.0)
        y[s] = mean + (k + 1) * np.arange(1.0, 21.0)
        preds[s] = np.stack([mean + 0.5, mean - 0.5])
    return y, preds


def test_source_level_band_quantiles_known_answers() -> None:
    """At 90 %: a source's own quantile at 0.87 is its ceil(21·0.87) = 19th residual,
    19·(k+1); over K = 3 other sources the rank ceil(4·0.9) = 4 > 3 takes the largest."""
    cal = calibrate(*source_level_run())
    at90 = by_source(cal, 0.90)
    assert {r.method for r in at90.values()} == {SHIPPED.name}
    assert at90["A"].half_width == (76.0, 76.0, 76.0)  # 19·4, from D; empty bands: the same
    assert at90["A"].coverage == 1.0 and at90["A"].mean_width == 152.0
    assert at90["D"].half_width == (57.0, 57.0, 57.0)  # 19·3, from C
    assert at90["D"].coverage == 14 / 20  # 4·i <= 57 for i <= 14
    # Shipped, K = 4: at 90 % the largest 19th residual (76); at 95 % the content level is
    # 0.92, ceil(21·0.92) = 20th residual, 20·4.
    assert cal.interval["0.90"]["half_width"] == [76.0, 76.0, 76.0]
    assert cal.interval["0.95"]["half_width"] == [80.0, 80.0, 80.0]
    assert cal.interval["0.90"]["mean_edges"] == [60.0, 90.0]


def test_no_source_calibrates_itself() -> None:
    y, preds = source_level_run()
    base = by_source(calibrate(y, preds), 0.90)
    wild = dict(y) | {"A": y["A"] + 1000.0}  # A's own errors become enormous
    after = by_source(calibrate(wild, preds), 0.90)
    assert after["A"].half_width == base["A"].half_width == (76.0, 76.0, 76.0)
    assert after["A"].coverage == 0.0
    assert after["B"].half_width != base["B"].half_width


def test_too_few_calibration_frames_give_no_scale_and_strict_json(tmp_path: Path) -> None:
    y = {"A": np.array([1.0, 2.0, 3.0]), "B": np.array([4.0, 5.0, 6.0])}
    preds = {s: np.stack([y[s] + 1, y[s] - 1]) for s in y}
    cal = calibrate(y, preds)
    assert all(
        r.half_width is None and r.coverage == 1.0 for src in cal.sources for r in src.levels
    )
    assert cal.interval == {"0.90": None, "0.95": None}
    doc = json.loads(cal.write(tmp_path).read_text())
    assert doc["sources"][0]["levels"][0]["mean_width"] is None
    assert doc["informational"] is True and doc["kind"] == "flipbot.calibration"


def test_gate_writes_calibration_next_to_the_verdict_with_the_same_pins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loso = write_run(tmp_path / "loso", {0: 0.99, 1: 0.991, 2: 0.992})
    out = tmp_path / "out"
    summary = tmp_path / "summary.md"
    assert (
        main([str(loso), "--seeds", "0,1,2", "--out-dir", str(out), "--summary", str(summary)]) == 0
    )
    doc = json.loads((out / "calibration.json").read_text())
    verdict = Verdict.read(out / "PROMOTE.json")
    assert doc["loso_files"] == verdict.pins.loso_files
    assert doc["seeds"] == [0, 1, 2] and doc["method"] == SHIPPED.name
    assert [s["source"] for s in doc["sources"]] == list(verdict.sources)
    assert f"calibration ({SHIPPED.name}, informational)" in capsys.readouterr().out
    assert "### Calibration of the ensemble's intervals (informational)" in summary.read_text()


def test_calibration_failure_never_changes_the_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import gate.__main__ as cli

    loso = write_run(tmp_path, {0: 0.99, 1: 0.991})
    (loso / "calibration.json").write_text("{}\n")  # stale, from an earlier run

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "calibrate_run", boom)
    assert main([str(loso), "--seeds", "0,1"]) == 0
    assert (loso / "PROMOTE.json").exists() and not (loso / "calibration.json").exists()
    assert "calibration failed" in capsys.readouterr().err


def test_calibration_markdown_shows_coverage_width_scale_and_warnings() -> None:
    from gate.render import render_calibration

    md = render_calibration(calibrate(Y, one_seed()))
    rows = [ln for ln in md.splitlines() if ln.startswith("| ")]
    assert rows[0] == (
        "| held-out source | mean spread | 90% coverage | 95% coverage | 90% width | 95% width |"
    )
    assert rows[1:] == [
        "| A | 0.000 | 100.0% | 100.0% | 180.000 | 200.000 |",
        "| B | 0.000 | 100.0% | 100.0% | 180.000 | 200.000 |",
        "| C | 0.000 | 10.0% | 10.0% | 20.000 | 20.000 |",
    ]
    assert (
        "Interval to ship (fitted on every source): 0.90: ±[80] VMAF by mean band (one band); "
        "0.95: ±[100] VMAF by mean band (one band)." in md
    )
    assert md.count("- ⚠ source 'C'") == 2


def test_calibration_file_reads_back_equal(tmp_path: Path) -> None:
    from gate.calibration_file import Calibration

    cal = calibrate(*source_level_run())
    assert Calibration.read(cal.write(tmp_path)) == cal


def test_gate_plots_flag_writes_both_pictures_and_names_them_in_the_summary(tmp_path: Path) -> None:
    loso = write_run(tmp_path / "loso", {0: 0.99, 1: 0.991})
    summary = tmp_path / "summary.md"
    assert main([str(loso), "--seeds", "0,1", "--plots", "--summary", str(summary)]) == 0
    assert (loso / "loso_scatter.png").read_bytes()[:4] == b"\x89PNG"
    assert (loso / "loso_plcc_strip.png").read_bytes()[:4] == b"\x89PNG"
    assert "`loso_scatter.png`, `loso_plcc_strip.png`" in summary.read_text()
