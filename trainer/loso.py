"""Leave-one-source-out evaluation: folds, one stacked training run, artefacts.

For each held-out source (a *fold*) the scaler is fit on that fold's training
rows only, so nothing of the held-out source leaks into its model. Every
(seed, fold) model is trained in one ``train_stacked`` call; each seed's
folds become one ``LosoArtefact``.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import torch

import flipbot
from flipbot.corpus import Corpus
from flipbot.features import ENCODER_VOCAB_VERSION, NUM_CODECS, Scaler
from flipbot.loso_file import DRY_RUN_NOTE, LosoArtefact, LosoFold
from flipbot.metrics import score
from trainer import cpu_kernels
from trainer.batched import Progress, train_stacked
from trainer.model import N_FEATURES, FrRegressor
from trainer.recipe import Job, Recipe

PREDICTION_DECIMALS = 6  # held-out y_true / y_pred in the artefact


@dataclass(frozen=True, eq=False)
class Fold:
    """One held-out source: training rows, held-out rows, and the fold-local scaler."""

    held_out: str
    train_rows: np.ndarray  # [n_train] corpus row indices
    val_rows: np.ndarray  # [n_val] corpus row indices, in corpus order
    scaler: Scaler  # fit on the training rows' canonical-6 only
    x_train: np.ndarray  # [n_train, 20] scaled features + codec block
    x_val: np.ndarray  # [n_val, 20], scaled with the training rows' scaler


def make_fold(corpus: Corpus, codec: np.ndarray, held_out: str) -> Fold:
    is_val = corpus.src == held_out
    train_rows, val_rows = np.flatnonzero(~is_val), np.flatnonzero(is_val)
    scaler = Scaler.fit(corpus.features[train_rows])

    def block(rows: np.ndarray) -> np.ndarray:
        return np.concatenate([scaler.apply(corpus.features[rows]), codec[rows]], axis=1)

    return Fold(held_out, train_rows, val_rows, scaler, block(train_rows), block(val_rows))


def make_folds(corpus: Corpus) -> list[Fold]:
    codec = corpus.codec_block()
    return [make_fold(corpus, codec, s) for s in corpus.sources]


def predict(model: FrRegressor, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        xt = torch.as_tensor(x, dtype=torch.float32)
        return model(xt[:, :N_FEATURES], xt[:, N_FEATURES:]).double().numpy()


def device_label(device: torch.device) -> str:
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return f"cpu ({platform.machine()}, {torch.get_num_threads()} threads, {cpu_kernels.status()})"


def versions() -> dict[str, str]:
    return {
        "flipbot": flipbot.__version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
    }


def _train(
    jobs: list[Job],
    recipe: Recipe,
    device: torch.device,
    progress: Progress | None,
    lr_factor: Mapping[int, float],
) -> list[FrRegressor]:
    """One stack per distinct learning rate (one stack in every real run), in job order."""
    factors = sorted({lr_factor.get(j.seed, 1.0) for j in jobs})
    if factors == [1.0]:
        return train_stacked(jobs, recipe, device, progress)
    models: list[FrRegressor | None] = [None] * len(jobs)
    for factor in factors:
        idx = [i for i, j in enumerate(jobs) if lr_factor.get(j.seed, 1.0) == factor]
        trained = train_stacked(
            [jobs[i] for i in idx], replace(recipe, lr=recipe.lr * factor), device, progress
        )
        for i, model in zip(idx, trained, strict=True):
            models[i] = model
    return [m for m in models if m is not None]


def run_loso(
    corpus: Corpus,
    seeds: list[int],
    recipe: Recipe,
    device: torch.device,
    progress: Progress | None = None,
    dry_run: bool = False,
    *,
    lr_factor: Mapping[int, float] | None = None,
) -> list[LosoArtefact]:
    """Train every (seed, fold) model at once; one artefact per seed, in ``seeds`` order.

    ``lr_factor`` is a test-only knob (no CLI flag reaches it): seed -> a factor
    on the recipe's learning rate for that seed's models, which train in their
    own stack. The artefacts still record the recipe, as a seed that went
    unstable on a runner would: tests/gate/test_real_failures.py uses it to
    show the gate refusing such a run.
    """
    folds = make_folds(corpus)
    jobs = [Job(seed, f.x_train, corpus.vmaf[f.train_rows]) for seed in seeds for f in folds]
    start = time.perf_counter()
    models = _train(jobs, recipe, device, progress, lr_factor or {})
    wall = time.perf_counter() - start
    artefacts = []
    for i, seed in enumerate(seeds):
        results = []
        for j, fold in enumerate(folds):
            # Score exactly the values the file stores, so the gate recomputes the same numbers.
            y_true = np.round(corpus.vmaf[fold.val_rows], PREDICTION_DECIMALS)
            y_pred = np.round(predict(models[i * len(folds) + j], fold.x_val), PREDICTION_DECIMALS)
            s = score(y_true, y_pred)
            results.append(
                LosoFold(
                    held_out=fold.held_out,
                    n_train=len(fold.train_rows),
                    n_val=len(fold.val_rows),
                    plcc=s.plcc,
                    srocc=s.srocc,
                    rmse=s.rmse,
                    undefined_reason=s.undefined_reason,
                    y_true=tuple(y_true.tolist()),
                    y_pred=tuple(y_pred.tolist()),
                )
            )
        artefacts.append(
            LosoArtefact(
                seed=seed,
                corpus=corpus.path,
                corpus_sha256=corpus.sha256,
                corpus_rows=corpus.rows,
                sources=corpus.sources,
                folds=tuple(results),
                epochs=recipe.epochs,
                batch_size=recipe.batch_size,
                lr=recipe.lr,
                weight_decay=recipe.weight_decay,
                num_codecs=NUM_CODECS,
                encoder_vocab_version=ENCODER_VOCAB_VERSION,
                recipe=recipe.to_json(),
                device=device_label(device),
                versions=versions(),
                # All seeds of a run train together: this is the run's wall time.
                wall_time_s=round(wall, 3),
                note=DRY_RUN_NOTE if dry_run else None,
            )
        )
    return artefacts
