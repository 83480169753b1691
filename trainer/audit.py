"""The audit's re-computation: re-train chosen (seed, held-out source) folds, predict the held-out rows.

The trusted side picks the folds (``gate.audit_sample``) and compares the
predictions this module returns with the ones a loso file stores
(``gate.audit_check``). A fold trained here is the same model as inside a
full LOSO run: ``trainer.recipe`` keys init, shuffle and dropout masks by the
model's seed and its own rows, never by its position in the stack, so the
stack of a few folds trains each exactly as the 45-model stack does
(measured bit-equal on the shipped corpus: docs/DESIGN.md, "Audit").
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from flipbot.corpus import Corpus
from trainer.batched import Progress, train_stacked
from trainer.loso import PREDICTION_DECIMALS, device_label, make_fold, predict
from trainer.recipe import Job, Recipe


@dataclass(frozen=True)
class Recomputed:
    seed: int
    held_out: str
    y_pred: tuple[float, ...]  # held-out rows in corpus order, rounded as loso files store them


def retrain_folds(
    corpus: Corpus,
    picks: Sequence[tuple[int, str]],
    recipe: Recipe,
    progress: Progress | None = None,
) -> tuple[list[Recomputed], float, str]:
    """Train each picked (seed, source) fold on the CPU; predictions, wall seconds, device label."""
    unknown = sorted({src for _, src in picks} - set(corpus.sources))
    if unknown:
        raise ValueError(f"sources {unknown} are not in the corpus")
    codec = corpus.codec_block()
    folds = {src: make_fold(corpus, codec, src) for src in sorted({src for _, src in picks})}
    jobs = [
        Job(seed, folds[src].x_train, corpus.vmaf[folds[src].train_rows]) for seed, src in picks
    ]
    start = time.perf_counter()
    models = train_stacked(jobs, recipe, torch.device("cpu"), progress)
    wall = time.perf_counter() - start
    out = []
    for (seed, src), model in zip(picks, models, strict=True):
        y_pred = np.round(predict(model, folds[src].x_val), PREDICTION_DECIMALS)
        out.append(Recomputed(seed, src, tuple(y_pred.tolist())))
    return out, wall, device_label(torch.device("cpu"))
