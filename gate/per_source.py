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
    by_seed = {art.seed: {f.held_out: f for f in art.folds} for art in run.artefacts}
    rows = []
    for source in sorted(run.sources):
        mine = {seed: folds[source] for seed, folds in by_seed.items()}
        first = next(iter(mine.values()))  # y_true and n_val are equal across seeds (checked)
        # score() reads both as float64; the mean of the seeds' predictions is float64 too.
        s = score(np.asarray(first.y_true), np.mean([f.y_pred for f in mine.values()], axis=0))
        rows.append(
            SourceRow(
                source=source,
                n_val=first.n_val,
                plcc_by_seed={
                    str(seed): float(f.plcc)  # type: ignore[arg-type]  # non-null (checked)
                    for seed, f in mine.items()
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
