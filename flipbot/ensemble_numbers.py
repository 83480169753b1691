"""The numbers an ensemble manifest carries about its members (SPEC §14), numpy only.

The target repository's loader predicts ``mu`` = the mean of the members and
``sigma`` = their sample standard deviation (``ddof=1``), and its conformal
interval is ``mu ± conformal_q_residual · sigma``. Both numbers here use the
same definitions:

- :func:`conformal_q`: split-conformal quantile of the normalised residual
  ``|y − mu| / sigma`` at ``nominal_coverage``: the ``ceil((n + 1)·c)``-th smallest of
  the n scores (None when n is too small for that rank). Computed from the LOSO
  held-out predictions, each frame predicted by models that never saw its source.
  ``sigma`` is floored at ``SIGMA_FLOOR`` so that a frame where the seeds agree
  exactly gives a large, finite score rather than a division by zero.
- :func:`ensemble_eval`: PLCC and RMSE of ``mu`` against ``y``, and the mean ``sigma``.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from flipbot.features import ENCODER_VOCAB_V2
from flipbot.metrics import score

# The repository loader's one-hot vocabulary: one name per codec column of the members
# (the 12 encoder slots of vocabulary v2, then the two continuous columns).
CODEC_VOCAB: tuple[str, ...] = (*ENCODER_VOCAB_V2, "preset_norm", "crf_norm")
SIGMA_FLOOR = 1e-6  # VMAF points
DEFAULT_COVERAGE = 0.95


def gaussian_z(coverage: float) -> float:
    """The two-sided standard-normal quantile for ``coverage`` (0.95 -> 1.959964)."""
    return NormalDist().inv_cdf(0.5 + 0.5 * coverage)


def mu_sigma(preds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``preds`` [members, n] -> mean and sample std (ddof=1; zeros for one member)."""
    p = np.asarray(preds, dtype=np.float64)
    mu = p.mean(axis=0)
    sigma = p.std(axis=0, ddof=1) if p.shape[0] >= 2 else np.zeros_like(mu)
    return mu, sigma


def conformal_q(y: np.ndarray, preds: np.ndarray, coverage: float) -> float | None:
    mu, sigma = mu_sigma(preds)
    scores = np.sort(np.abs(np.asarray(y, dtype=np.float64) - mu) / np.maximum(sigma, SIGMA_FLOOR))
    n = scores.size
    rank = math.ceil((n + 1) * coverage)
    if n == 0 or rank > n:
        return None
    return float(scores[rank - 1])


def ensemble_eval(y: np.ndarray, preds: np.ndarray) -> dict[str, float | None]:
    mu, sigma = mu_sigma(preds)
    s = score(np.asarray(y, dtype=np.float64), mu)
    return {"plcc": s.plcc, "rmse": s.rmse, "mean_sigma": float(sigma.mean())}
