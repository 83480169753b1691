"""The per-source table: each held-out source's PLCC per seed and the ensemble's scores.

The ensemble column scores the mean of the seeds' held-out predictions,
read from the loso files themselves, so it is right even when the seeds
were trained on different runners and merged into one folder.
"""

from __future__ import annotations

import math

import numpy as np

from flipbot.metrics import score
from flipbot.verdict_file import SourceRow
from gate.loso_set import LosoSet


def source_rows(run: LosoSet) -> tuple[SourceRow, ...]:
    folds = [{f.held_out: f for f in art.folds} for art in run.artefacts]
    rows = []
    for source in sorted(run.sources):
        mine = [by_source[source] for by_source in folds]
        y_true = np.asarray(mine[0].y_true, dtype=np.float64)  # equal across seeds (checked)
        y_mean = np.mean([np.asarray(f.y_pred, dtype=np.float64) for f in mine], axis=0)
        s = score(y_true, y_mean)
        rows.append(
            SourceRow(
                source=source,
                n_val=mine[0].n_val,
                plcc_by_seed={
                    str(art.seed): float(f.plcc)  # type: ignore[arg-type]  # non-null (checked)
                    for art, f in zip(run.artefacts, mine, strict=True)
                },
                ensemble_plcc=s.plcc,
                ensemble_srocc=s.srocc,
                ensemble_rmse=s.rmse,
            )
        )
    return tuple(rows)


def seed_plcc(run: LosoSet) -> dict[int, float]:
    """PLCC_i per seed: the mean over held-out sources of that seed's per-source PLCC.

    ``math.fsum`` rounds the sum once, so the order of the sources never matters.
    """
    return {
        art.seed: math.fsum(f.plcc for f in art.folds if f.plcc is not None) / len(art.folds)
        for art in run.artefacts
    }
