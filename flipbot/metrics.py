"""PLCC, SROCC and RMSE of one held-out source, shared by trainer and gate.

PLCC/SROCC of a constant vector (or of fewer than 2 frames) is undefined:
it is returned as None with a reason, never as a number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Scores:
    plcc: float | None
    srocc: float | None
    rmse: float
    undefined_reason: str | None


def score(y_true: np.ndarray, y_pred: np.ndarray) -> Scores:
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    if t.shape != p.shape or t.ndim != 1:
        raise ValueError(f"score: shapes differ or are not 1-D: {t.shape} vs {p.shape}")
    rmse = float(np.sqrt(np.mean((t - p) ** 2))) if t.size else float("nan")
    reason = None
    if t.size < 2:
        reason = f"{t.size} frame(s): correlation needs at least 2"
    elif np.ptp(t) == 0:
        reason = "constant targets: every held-out frame has the same VMAF"
    elif np.ptp(p) == 0:
        reason = "constant predictions: the model predicts one value for every frame"
    if reason is not None:
        return Scores(None, None, rmse, reason)
    plcc = float(stats.pearsonr(t, p).statistic)
    srocc = float(stats.spearmanr(t, p).statistic)
    return Scores(plcc, srocc, rmse, None)
