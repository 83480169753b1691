"""LOSO files whose seeds disagree: the cheap, deterministic way to reach the refusal path.

The gate reads only ``loso_seed{N}.json``; who trained them does not matter to it. These
files follow the trainer's format exactly (``LosoArtefact``) and pass every input check,
but seed 0 predicts the held-out sources well (PLCC about 0.99) and seed 1 poorly (about
0.96), so the spread rule (max - min <= 0.005) fails and the gate refuses every seed.
The thresholds are left alone: the numbers are what fails, never a loosened rule.

``python -m tests.action.loso_fixture DIR`` rewrites the committed copy in
tests/action/data/refuse/. Since the trusted side ties loso files to the pinned corpus, the
end-to-end test hands these files to the promote job as invented ones: refused before the gate.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from flipbot import __version__
from flipbot.loso_file import LosoArtefact, LosoFold
from flipbot.metrics import score

SOURCES = ("bikes", "bigbuckbunny", "vtest")
ROWS_PER_SOURCE = 24
NOISE_BY_SEED = {0: 1.5, 1: 6.0, 2: 1.4, 3: 1.6, 4: 1.5}  # VMAF points of prediction noise
RECIPE = {
    "epochs": 30,
    "batch_size": 32,
    "lr": 5e-4,
    "weight_decay": 1e-5,
    "hidden": 64,
    "dropout": 0.1,
    "dtype": "float32",
}
CORPUS_SHA256 = "5" * 64  # a stand-in pin: the refusal path never reads the corpus


def _fold(source_index: int, seed: int, *, shared_noise: float | None = None) -> LosoFold:
    """One held-out source. ``shared_noise``: every seed gets the same error of that size
    (plus a hair of its own), so the seeds agree; otherwise the seed's own NOISE_BY_SEED."""
    rng = np.random.default_rng(1000 * source_index + seed)
    truth_rng = np.random.default_rng(source_index)  # same targets for every seed
    y_true = np.round(np.sort(truth_rng.uniform(35.0, 99.0, ROWS_PER_SOURCE)), 4)
    if shared_noise is None:
        error = rng.normal(0.0, NOISE_BY_SEED[seed], ROWS_PER_SOURCE)
    else:
        common = np.random.default_rng(10_000 + source_index).normal(
            0.0, shared_noise, ROWS_PER_SOURCE
        )
        error = common + rng.normal(0.0, 0.05, ROWS_PER_SOURCE)
    y_pred = np.round(y_true + error, 4)
    s = score(y_true, y_pred)
    return LosoFold(
        held_out=SOURCES[source_index],
        n_train=ROWS_PER_SOURCE * (len(SOURCES) - 1),
        n_val=ROWS_PER_SOURCE,
        plcc=s.plcc,
        srocc=s.srocc,
        rmse=s.rmse,
        undefined_reason=None,
        y_true=tuple(float(v) for v in y_true),
        y_pred=tuple(float(v) for v in y_pred),
    )


def disagreeing_seeds(seeds: tuple[int, ...] = (0, 1)) -> list[LosoArtefact]:
    return _artefacts(seeds, shared_noise=None)


def weak_agreeing_seeds(seeds: tuple[int, ...] = (0, 1)) -> list[LosoArtefact]:
    """Seeds that agree (spread holds) but all fall below the per-seed minimum: a HOLD
    that is not a refusal and flips nothing."""
    return _artefacts(seeds, shared_noise=9.0)


def _artefacts(seeds: tuple[int, ...], *, shared_noise: float | None) -> list[LosoArtefact]:
    return [
        LosoArtefact(
            seed=seed,
            corpus="corpus/e2e_fixture.jsonl",
            corpus_sha256=CORPUS_SHA256,
            corpus_rows=ROWS_PER_SOURCE * len(SOURCES),
            sources=SOURCES,
            folds=tuple(_fold(i, seed, shared_noise=shared_noise) for i in range(len(SOURCES))),
            epochs=RECIPE["epochs"],  # type: ignore[arg-type]
            batch_size=RECIPE["batch_size"],  # type: ignore[arg-type]
            lr=RECIPE["lr"],  # type: ignore[arg-type]
            weight_decay=RECIPE["weight_decay"],  # type: ignore[arg-type]
            num_codecs=14,
            encoder_vocab_version=2,
            recipe=dict(RECIPE),
            device="cpu",
            versions={
                "flipbot": __version__,
                "python": "3.11",
                "torch": "2.13.0",
                "numpy": np.__version__,
            },
            wall_time_s=1.0,
        )
        for seed in seeds
    ]


def write_disagreeing_seeds(out_dir: Path, seeds: tuple[int, ...] = (0, 1)) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    return [a.write(out_dir) for a in disagreeing_seeds(seeds)]


if __name__ == "__main__":
    for path in write_disagreeing_seeds(Path(sys.argv[1])):
        print(path)
