"""Conformal intervals for the ensemble, calibrated leave-one-source-out (informational).

For every held-out frame the seeds give predictions p_1..p_S; the ensemble
predicts their mean m, and its spread s is their population std. The
shipped interval (``SHIPPED``, chosen by ``python -m gate.calibration_study``
on the shipped corpus; docs/CALIBRATION.md has the comparison) is

    m ± half_width[band(m)],  bands of m: < 60, 60-90, >= 90 VMAF,

where each band's half-width is a *source-level* quantile: every
calibration source contributes its own (level - 0.03)-quantile of |y - m|
in the band, and the band takes the ceil((K+1)·level)-th smallest of those
K values (the largest for K < 19 at 90 %). Sources, not frames, are the
exchangeable units: frames of one clip share its content, so a frame-level
quantile is calibrated on average but not on the source a user needs.

Each held-out source is judged by the interval fitted on the OTHER sources
only (as LOSO trains); the constants to ship are fitted on every source.
When too few sources or frames make the source-level quantile impossible
(fewer than 2 sources with 20 frames), the frame-level absolute quantile
is used and named. A source covered more than ``WARN_POINTS`` below its
target is warned about; nothing here ever changes the verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from gate.calibration_file import Calibration, LevelResult, SourceCalibration
from gate.conformal_methods import Frames, Interval, Method
from gate.loso_set import LosoSet

LEVELS = (0.90, 0.95)
WARN_POINTS = 0.05  # coverage this far below its target is worth a warning
SHIPPED = Method(
    "source-level, 3 bands, rank, content -3",
    normalized=False,
    estimator="source",
    rule="rank",
    mean_edges=(60.0, 90.0),
    content_offset=0.03,
)
FALLBACK = Method("absolute, frames pooled", normalized=False, estimator="frame")


def calibrate_run(run: LosoSet, levels: Sequence[float] = LEVELS) -> Calibration:
    """Calibrate from a checked LOSO run's held-out predictions."""
    folds = [{f.held_out: f for f in art.folds} for art in run.artefacts]
    y_true = {s: np.asarray(folds[0][s].y_true, dtype=np.float64) for s in run.sources}
    preds = {s: np.asarray([by[s].y_pred for by in folds], dtype=np.float64) for s in run.sources}
    return calibrate(
        y_true,
        preds,
        levels=levels,
        seeds=run.seeds,
        loso_files=dict(sorted(run.sha256.items())),
        corpus_sha256=run.first.corpus_sha256,
    )


def fit(frames: Sequence[Frames], level: float) -> tuple[Interval | None, str]:
    """The shipped method's interval, else the fallback's, else None (too little data)."""
    for method in (SHIPPED, FALLBACK):
        try:
            return method.fit(frames, level), method.name
        except ValueError:
            continue
    return None, "none: too few calibration frames"


def calibrate(
    y_true: Mapping[str, np.ndarray],
    preds: Mapping[str, np.ndarray],
    *,
    levels: Sequence[float] = LEVELS,
    seeds: Sequence[int] = (),
    loso_files: Mapping[str, str] | None = None,
    corpus_sha256: str = "",
) -> Calibration:
    """``y_true[source]``: [n]; ``preds[source]``: [seeds, n]. Sources in sorted order."""
    frames = [Frames.from_seeds(s, y_true[s], preds[s]) for s in sorted(y_true)]
    return calibrate_frames(
        frames, levels=levels, seeds=seeds, loso_files=loso_files, corpus_sha256=corpus_sha256
    )


def calibrate_frames(
    frames: Sequence[Frames],
    *,
    levels: Sequence[float] = LEVELS,
    seeds: Sequence[int] = (),
    loso_files: Mapping[str, str] | None = None,
    corpus_sha256: str = "",
) -> Calibration:
    """The same from each source's truth, ensemble mean and spread."""
    per_source, warnings = [], []
    pooled: dict[float, list[tuple[int, float, float | None]]] = {lv: [] for lv in levels}
    for f in frames:
        others = [o for o in frames if o is not f]
        results = []
        residual = np.abs(f.y - f.mean)
        for lv in levels:
            interval, method = fit(others, lv)
            if interval is None:
                covered, width, half_widths = residual.size, None, None
            else:
                half = interval.half(f.mean, f.spread)
                covered = int(np.count_nonzero(residual <= half))
                width, half_widths = float(np.mean(2.0 * half)), interval.half_width
            coverage = covered / residual.size
            results.append(LevelResult(lv, method, half_widths, len(others), coverage, width))
            pooled[lv].append((residual.size, coverage, width))
            if coverage < lv - WARN_POINTS:
                warnings.append(
                    f"source '{f.source}': the {lv:.0%} interval covers {coverage:.1%} of its "
                    f"frames, more than {WARN_POINTS * 100:g} points short; the other sources "
                    "under-state the error on this one"
                )
        per_source.append(
            SourceCalibration(f.source, int(f.y.size), float(np.mean(f.spread)), tuple(results))
        )
    shipped = {f"{lv:.2f}": fit(frames, lv) for lv in levels}
    return Calibration(
        method=SHIPPED.name,
        levels=tuple(levels),
        seeds=tuple(seeds),
        sources=tuple(per_source),
        overall=tuple(_pool(lv, pooled[lv], len(frames)) for lv in levels),
        interval={k: _constants(i, m) for k, (i, m) in shipped.items()},
        warnings=tuple(warnings),
        loso_files=dict(loso_files or {}),
        corpus_sha256=corpus_sha256,
    )


def _constants(interval: Interval | None, method: str) -> dict[str, object] | None:
    """What a consumer needs: half = half_width[band], band = #edges <= mean (VMAF points)."""
    if interval is None:
        return None
    return {
        "method": method,
        "mean_edges": list(interval.mean_edges),
        "spread_edges": list(interval.spread_edges),
        "half_width": list(interval.half_width),
        "normalized": interval.normalized,
    }


def _pool(level: float, parts: list[tuple[int, float, float | None]], k: int) -> LevelResult:
    n = sum(p[0] for p in parts)
    coverage = sum(p[0] * p[1] for p in parts) / n
    widths = [p[2] for p in parts]
    mean_width = (
        None if any(w is None for w in widths) else sum(p[0] * (p[2] or 0.0) for p in parts) / n
    )
    return LevelResult(level, SHIPPED.name, None, k, coverage, mean_width)
