"""The ensemble's LOSO held-out numbers an ensemble manifest carries (SPEC §14).

From a checked LOSO run (``gate.loso_set``): every held-out frame with the
prediction of each given seed's fold model, then the repository loader's
confidence keys (``conformal_q_residual`` at ``nominal_coverage``, ``gaussian_z``,
``method``) and the ``loso_*`` evaluation (``flipbot.ensemble_numbers`` has the
definitions). Shared by export (its own manifest) and the bot (a synced one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from flipbot.ensemble_numbers import DEFAULT_COVERAGE, conformal_q, ensemble_eval, gaussian_z
from gate.loso_set import LosoSet

CONFORMAL_METHOD = "ensemble+conformal"  # the repository's name for mu ± q·sigma


@dataclass(frozen=True)
class LosoNumbers:
    confidence: dict[str, Any] | None  # the loader's confidence keys; None if q is undefined
    eval: dict[str, Any]  # loso_* numbers


def held_out(run: LosoSet, seeds: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """``y`` [n] and the seeds' predictions [len(seeds), n], every held-out frame once."""
    arts = [a for a in run.artefacts if a.seed in set(seeds)]
    if not arts:
        raise ValueError(f"the LOSO run has none of the seeds {list(seeds)}")
    y = np.concatenate([np.asarray(f.y_true, dtype=np.float64) for f in arts[0].folds])
    preds = np.vstack(
        [np.concatenate([np.asarray(f.y_pred, dtype=np.float64) for f in a.folds]) for a in arts]
    )
    return y, preds


def loso_numbers(
    run: LosoSet, seeds: Sequence[int], coverage: float = DEFAULT_COVERAGE
) -> LosoNumbers:
    y, preds = held_out(run, seeds)
    used = [a.seed for a in run.artefacts if a.seed in set(seeds)]
    numbers = ensemble_eval(y, preds)
    evaluation = {
        "loso_plcc": numbers["plcc"],
        "loso_rmse": numbers["rmse"],
        "loso_mean_sigma": numbers["mean_sigma"],
        "loso_frames": int(y.size),
        "loso_seeds": used,
    }
    q = conformal_q(y, preds, coverage)
    if q is None:
        return LosoNumbers(None, evaluation)
    confidence = {
        "conformal_q_residual": q,
        "gaussian_z": gaussian_z(coverage),
        "method": CONFORMAL_METHOD,
        "nominal_coverage": coverage,
        "conformal_q_from": (
            f"LOSO held-out predictions of seeds {used} ({y.size} frames): quantile of "
            "|y - mu| / sigma, sigma the sample std across seeds"
        ),
    }
    return LosoNumbers(confidence, evaluation)
