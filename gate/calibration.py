"""Split-conformal calibration of the ensemble's spread, per held-out source (informational).

For every held-out frame the seeds give predictions p_1..p_S; the ensemble
predicts their mean m and its uncertainty is their spread s (population
std, ddof=0). A frame's nonconformity score is

    |y - m| / s   ("normalized": the spread measures uncertainty), or
    |y - m|       ("absolute": used when the spread collapses, e.g. one seed).

The choice is made once per run, from the spreads alone (never from
targets): the spread has collapsed when its median over all held-out frames
is below ``MIN_SPREAD``. In normalized mode a frame's spread is floored at
``MIN_SPREAD`` so no interval divides by zero. Mixing both kinds of score in
one quantile would mix units, so there is no per-frame switch.

Each held-out source is calibrated on the OTHER sources' frames only: its
scale is the conformal quantile (the ceil((n+1)·level)-th smallest of n
scores) of their scores, and its coverage is the share of its own frames
with |y - m| <= scale·s. That mirrors LOSO: the source is unseen. The scale
to ship is the same quantile over every source's frames. A source whose
coverage falls short of its target by more than ``WARN_POINTS`` is warned
about; nothing here ever changes the verdict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from gate.calibration_file import Calibration, LevelResult, SourceCalibration
from gate.loso_set import LosoSet

LEVELS = (0.90, 0.95)
MIN_SPREAD = 1e-6  # VMAF points; below this the seeds agree to float noise
WARN_POINTS = 0.05  # coverage this far below its target is worth a warning


def conformal_quantile(scores: np.ndarray, level: float) -> float | None:
    """The ceil((n+1)·level)-th smallest score; None when n is too small for ``level``."""
    n = int(scores.size)
    k = math.ceil((n + 1) * level - 1e-9)  # the epsilon keeps e.g. 20·0.95 = 19 exact
    if n == 0 or k > n:
        return None
    return float(np.partition(scores, k - 1)[k - 1])


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
    sources = sorted(y_true)
    mean = {s: preds[s].mean(axis=0) for s in sources}
    spread = {s: preds[s].std(axis=0) for s in sources}
    all_spread = np.concatenate([spread[s] for s in sources])
    normalized = bool(np.median(all_spread) >= MIN_SPREAD)
    scale_unit = {
        s: np.maximum(spread[s], MIN_SPREAD) if normalized else np.ones_like(spread[s])
        for s in sources
    }
    residual = {s: np.abs(y_true[s] - mean[s]) for s in sources}
    score = {s: residual[s] / scale_unit[s] for s in sources}

    per_source, warnings = [], []
    pooled: dict[float, list[tuple[int, float, float]]] = {lv: [] for lv in levels}
    for s in sources:
        others = np.concatenate([score[o] for o in sources if o != s] or [np.empty(0)])
        results = []
        for lv in levels:
            q = conformal_quantile(others, lv)
            if q is None:
                covered, width = residual[s].size, None
            else:
                covered = int(np.count_nonzero(residual[s] <= q * scale_unit[s]))
                width = float(np.mean(2.0 * q * scale_unit[s]))
            coverage = covered / residual[s].size
            results.append(LevelResult(lv, q, int(others.size), coverage, width))
            pooled[lv].append(
                (residual[s].size, coverage, width if width is not None else math.nan)
            )
            if coverage < lv - WARN_POINTS:
                warnings.append(
                    f"source '{s}': the {lv:.0%} interval covers {coverage:.1%} of its frames, "
                    f"more than {WARN_POINTS * 100:g} points short; the seeds' spread "
                    "under-states the error on this source"
                )
        per_source.append(
            SourceCalibration(s, int(residual[s].size), float(np.mean(spread[s])), tuple(results))
        )

    everything = np.concatenate([score[s] for s in sources])
    return Calibration(
        nonconformity="normalized" if normalized else "absolute",
        levels=tuple(levels),
        seeds=tuple(seeds),
        sources=tuple(per_source),
        overall=tuple(_pool(lv, pooled[lv], everything.size) for lv in levels),
        scale_factor={f"{lv:.2f}": conformal_quantile(everything, lv) for lv in levels},
        warnings=tuple(warnings),
        loso_files=dict(loso_files or {}),
        corpus_sha256=corpus_sha256,
    )


def _pool(level: float, parts: list[tuple[int, float, float]], n_all: int) -> LevelResult:
    n = sum(p[0] for p in parts)
    coverage = sum(p[0] * p[1] for p in parts) / n
    widths = [p[0] * p[2] for p in parts]
    mean_width = None if any(math.isnan(w) for w in widths) else sum(widths) / n
    return LevelResult(level, None, n_all, coverage, mean_width)
