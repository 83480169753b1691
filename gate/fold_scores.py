"""Each fold's numbers, re-derived: the gate never judges a PLCC it did not compute.

A loso file stores each fold's PLCC, SROCC and RMSE next to the held-out
targets and predictions they came from. The numbers are only a claim: the
gate recomputes all three from ``y_true``/``y_pred`` with the trainer's own
``flipbot.metrics.score`` and refuses a file whose claim disagrees by more
than ``TOLERANCE``; the verdict is then computed from the recomputed
numbers, so a stored number can never decide a rule.

``TOLERANCE`` = 1e-9. The trainer scores exactly the 6-decimal values it
stores, so recomputing is the same arithmetic on the same float64 inputs:
on the shipped corpus (corpus/flipbot_corpus_v1.jsonl.gz, 23,220 rows,
9 folds, seeds 0 and 1) the largest difference measured is 0.0 for PLCC,
SROCC and RMSE. What remains is a different numpy/scipy build summing in
another order, about 1e-16 relative (RMSE is at most a few tens of VMAF
points: ~1e-14 absolute). 1e-9 is five orders above that and six below
the fifth decimal the reports print. For scale: a trainer that scored its
predictions *before* rounding them to 6 decimals (flipbot before this
check) left differences of up to 1.2e-10 in PLCC and 1.7e-8 in RMSE on
the same data; such files are refused and must be retrained.

Two more claims are checked here: the row counts of leave-one-source-out
(every corpus row is held out exactly once; each fold trains on all other
rows), and that no two seeds hold the same predictions for a source, which
only a seed file copied under another seed number does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from flipbot.errors import InputError
from flipbot.loso_file import LosoArtefact, loso_filename
from flipbot.metrics import score

TOLERANCE = 1e-9


def rescore(art: LosoArtefact, path: Path) -> LosoArtefact:
    """``art`` with every fold's PLCC/SROCC/RMSE recomputed; refuse a stored number that differs."""
    folds = []
    for fold in art.folds:
        mine = score(
            np.asarray(fold.y_true, dtype=np.float64), np.asarray(fold.y_pred, dtype=np.float64)
        )
        for name in ("plcc", "srocc", "rmse"):
            stored, recomputed = getattr(fold, name), getattr(mine, name)
            if not _agree(stored, recomputed):
                raise InputError(
                    f"{path}: fold '{fold.held_out}': field '{name}' is {stored!r} but its "
                    f"y_true/y_pred give {recomputed!r} (tolerance {TOLERANCE:g}); the stored "
                    "numbers are not those of the stored predictions, regenerate the file"
                )
        folds.append(
            replace(
                fold,
                plcc=mine.plcc,
                srocc=mine.srocc,
                rmse=mine.rmse,
                undefined_reason=mine.undefined_reason,
            )
        )
    return replace(art, folds=tuple(folds))


def _agree(stored: float | None, recomputed: float | None) -> bool:
    if stored is None or recomputed is None:
        return stored is None and recomputed is None
    return abs(stored - recomputed) <= TOLERANCE


def check_row_counts(art: LosoArtefact, path: Path) -> None:
    """Every corpus row is held out once, and each fold trains on all the other rows."""
    held_out = sum(f.n_val for f in art.folds)
    if held_out != art.corpus_rows:
        raise InputError(
            f"{path}: field 'corpus_rows' is {art.corpus_rows} but the folds' n_val add up to "
            f"{held_out}; leave-one-source-out holds out every row once, regenerate the file"
        )
    for fold in art.folds:
        expected = art.corpus_rows - fold.n_val
        if fold.n_train != expected or fold.n_train < 1:
            raise InputError(
                f"{path}: fold '{fold.held_out}': field 'n_train' is {fold.n_train} but "
                f"corpus_rows {art.corpus_rows} - n_val {fold.n_val} = {expected} (at least 1); "
                "a fold trains on every row of the other sources, regenerate the file"
            )


def check_distinct_predictions(artefacts: Sequence[LosoArtefact], folder: Path) -> None:
    """Two seeds never predict a source identically: refuse a seed file copied under another seed."""
    seen: dict[tuple[str, tuple[float, ...]], int] = {}
    for art in artefacts:
        for fold in art.folds:
            first = seen.setdefault((fold.held_out, fold.y_pred), art.seed)
            if first != art.seed:
                raise InputError(
                    f"{folder / loso_filename(art.seed)}: fold '{fold.held_out}': y_pred is "
                    f"identical to {folder / loso_filename(first)}'s; two seeds never predict "
                    f"exactly alike, so one file was copied under another seed number; retrain "
                    f"seed {art.seed} (or {first})"
                )
