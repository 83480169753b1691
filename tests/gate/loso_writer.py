"""Writes real ``loso_seed{N}.json`` files (through LosoArtefact) for the gate's tests.

Each fold gets deterministic VMAF-like targets and predictions built to
have exactly the requested Pearson correlation with them, so the recorded
PLCC, the predictions and the ensemble column all agree the way a trainer's
output does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from flipbot.loso_file import LosoArtefact, LosoFold, loso_filename
from flipbot.metrics import score

SOURCES = ("BigBuckBunny_25fps", "CrowdRun_25fps", "Tennis_24fps")
UPSTREAM_SOURCES = (
    "BigBuckBunny_25fps",
    "BirdsInCage_30fps",
    "CrowdRun_25fps",
    "ElFuente1_30fps",
    "ElFuente2_30fps",
    "FoxBird_25fps",
    "OldTownCross_25fps",
    "Seeking_25fps",
    "Tennis_24fps",
)
CORPUS_SHA = "ab" * 32
RECIPE = {"dropout": 0.1, "hidden": 64, "dtype": "float32"}


def targets(source: str, n_val: int) -> tuple[float, ...]:
    """VMAF-like targets, different per source, identical for every seed."""
    k = sum(map(ord, source)) % 7
    t = np.linspace(35.0, 96.0, n_val) + 2.5 * np.sin(np.arange(n_val) * (1.0 + k))
    return tuple(float(v) for v in t)


def predictions_with_plcc(y_true: Sequence[float], rho: float, salt: int) -> tuple[float, ...]:
    """Predictions whose PLCC with ``y_true``, as the gate recomputes it, is exactly ``rho``.

    The construction is exact up to float rounding; about one noise draw in three
    also rounds to exactly ``rho``, so a few draws are tried (the gate judges the
    recomputed PLCC, and edge tests need 0.95 to be 0.95, not 0.9499999999999999).
    """
    t = np.asarray(y_true, dtype=np.float64)
    first = None
    for attempt in range(64):
        p = _mixed(t, rho, salt + 1_000_003 * attempt)
        if score(t, np.asarray(p)).plcc == rho:
            return p
        first = first or p
    assert first is not None
    return first


def _mixed(t: np.ndarray, rho: float, salt: int) -> tuple[float, ...]:
    """``rho`` times the centred targets plus orthogonal noise, rescaled to the targets' spread."""
    tc = t - t.mean()
    u = np.random.default_rng(salt).normal(size=t.size)
    u -= u.mean()
    u -= (u @ tc) / (tc @ tc) * tc  # orthogonal to the centred targets
    mix = rho * tc / np.linalg.norm(tc) + math.sqrt(max(0.0, 1 - rho * rho)) * u / np.linalg.norm(u)
    return tuple(float(v) for v in t.mean() + np.linalg.norm(tc) * mix)


def make_artefact(
    seed: int,
    plcc: float | Sequence[float],
    *,
    sources: Sequence[str] = SOURCES,
    n_val: int = 12,
    y_pred: Mapping[str, Sequence[float]] | None = None,
    **changes: Any,
) -> LosoArtefact:
    """One seed's artefact; ``plcc`` is one value for every source or one per source."""
    plccs = [plcc] * len(sources) if isinstance(plcc, float | int) else list(plcc)
    folds = []
    for i, (source, rho) in enumerate(zip(sources, plccs, strict=True)):
        y = targets(source, n_val)
        if y_pred is not None and source in y_pred:
            p = tuple(float(v) for v in y_pred[source])
        else:
            p = predictions_with_plcc(y, float(rho), salt=1000 * seed + i)
        s = score(np.asarray(y), np.asarray(p))  # what the trainer stores: the numbers of y, p
        folds.append(
            LosoFold(
                held_out=source,
                n_train=n_val * (len(sources) - 1),
                n_val=n_val,
                plcc=s.plcc,
                srocc=s.srocc,
                rmse=s.rmse,
                undefined_reason=s.undefined_reason,
                y_true=y,
                y_pred=p,
            )
        )
    art = LosoArtefact(
        seed=seed,
        corpus="corpus/flipbot_corpus_v1.jsonl.gz",
        corpus_sha256=CORPUS_SHA,
        corpus_rows=n_val * len(sources),
        sources=tuple(sorted(sources)),
        folds=tuple(sorted(folds, key=lambda f: f.held_out)),
        epochs=200,
        batch_size=32,
        lr=5e-4,
        weight_decay=1e-5,
        num_codecs=14,
        encoder_vocab_version=2,
        recipe=dict(RECIPE),
        device="cpu",
        versions={"flipbot": "0.1.0", "python": "3.11", "torch": "2.13.0", "numpy": "2.4.6"},
        wall_time_s=12.5,
    )
    return replace(art, **changes)


def write_run(folder: Path, plcc_by_seed: Mapping[int, float | Sequence[float]], **kw: Any) -> Path:
    """Write one loso file per seed into ``folder``; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for seed, plcc in plcc_by_seed.items():
        make_artefact(seed, plcc, **kw).write(folder)
    return folder


def edit_file(folder: Path, seed: int, edit: Any) -> Path:
    """Apply ``edit(doc)`` to the JSON of ``loso_seed{seed}.json`` (for corrupt-input tests)."""
    path = folder / loso_filename(seed)
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return path
