"""The production fit: every cleared seed on the whole corpus, with the gate's recipe.

Unlike a LOSO fold, the scaler is fit on all rows (its mean/std go into the
sidecar) and the CQ range is the corpus's. All seeds train stacked in one
``train_stacked`` call, one Job per seed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from flipbot.errors import InputError
from flipbot.features import ENCODER_VOCAB_VERSION, NUM_CODECS, Scaler
from trainer.recipe import Job, Recipe

# Keys the gate copies into the verdict's recipe that describe the inputs, not the fit.
_INPUT_KEYS = {"num_codecs": NUM_CODECS, "encoder_vocab_version": ENCODER_VOCAB_VERSION}


@dataclass(frozen=True)
class FullCorpus:
    features: np.ndarray  # [n, 6] float64, standardised with ``scaler``
    codec: np.ndarray  # [n, 14] float64
    y: np.ndarray  # [n] VMAF
    scaler: Scaler
    cq_min: float
    cq_max: float

    @property
    def rows(self) -> int:
        return int(self.y.shape[0])


@dataclass(frozen=True)
class Fit:
    models: list[nn.Module]  # one eval-mode float32 CPU module per seed, in seed order
    training: dict[str, Any]  # the recipe used, the device, and where the epochs came from


def load_full_corpus(path: str | Path, pinned_sha256: str) -> FullCorpus:
    """Load and validate the corpus; its bytes must be the ones the verdict pinned."""
    from flipbot.corpus import load_corpus

    corpus = load_corpus(path)
    if corpus.sha256 != pinned_sha256:  # the file changed since the pins were checked
        raise InputError(
            f"{path}: sha256 {corpus.sha256} differs from the verdict's pin {pinned_sha256}; "
            "pass the corpus the gate judged"
        )
    scaler = Scaler.fit(corpus.features)
    return FullCorpus(
        features=scaler.apply(corpus.features),
        codec=corpus.codec_block(),
        y=np.asarray(corpus.vmaf, dtype=np.float64),
        scaler=scaler,
        cq_min=corpus.cq_min,
        cq_max=corpus.cq_max,
    )


def recipe_from_verdict(recipe: dict[str, Any], epochs: int | None) -> Recipe:
    """The trainer's ``Recipe`` the gate validated (``epochs`` overrides its epoch count)."""
    known = {f.name for f in dataclasses.fields(Recipe)}
    for key, want in _INPUT_KEYS.items():
        if key in recipe and recipe[key] != want:
            raise InputError(
                f"verdict recipe: {key} is {recipe[key]!r} but this trainer builds {want}; "
                "export with the flipbot version that trained the seeds"
            )
    unknown = sorted(set(recipe) - known - set(_INPUT_KEYS))
    if unknown:
        raise InputError(
            f"verdict recipe: field(s) {', '.join(unknown)} unknown to this trainer; "
            "export with the flipbot version that trained the seeds"
        )
    values = {k: v for k, v in recipe.items() if k in known}
    if epochs is not None:
        if epochs < 1:
            raise InputError(f"--epochs {epochs}: must be at least 1")
        values["epochs"] = epochs
    try:
        return Recipe(**values)
    except (TypeError, ValueError) as exc:
        raise InputError(f"verdict recipe: {exc}; rerun the gate") from None


def resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError(
            "--device cuda: no CUDA device is visible to torch; use --device cpu or auto"
        )
    if device not in ("cpu", "cuda"):
        raise InputError(f"--device {device}: expected auto, cpu or cuda")
    return device


def fit_seeds(
    data: FullCorpus,
    seeds: tuple[int, ...],
    verdict_recipe: dict[str, Any],
    *,
    epochs: int | None = None,
    device: str = "auto",
    threads: int | None = None,
) -> Fit:
    from trainer import cpu_kernels  # lazy, like the batched trainer: heavy to import
    from trainer.batched import train_stacked
    from trainer.progress import EpochProgress

    recipe = recipe_from_verdict(verdict_recipe, epochs)
    where = resolve_device(device)
    if threads is not None:
        if threads < 1:
            raise InputError(f"--threads {threads}: must be at least 1")
        torch.set_num_threads(threads)
    x = np.concatenate([data.features, data.codec], axis=1)  # [n, 20]
    jobs = [Job(seed=seed, x=x, y=data.y) for seed in seeds]
    models = train_stacked(jobs, recipe, where, EpochProgress("export"))
    training = {
        "recipe": dataclasses.asdict(recipe),
        "device": where,
        # float32 sums depend on the thread count and on the CPU kernels (fused C or torch):
        # same inputs + same threads + same kernels -> same bytes
        "cpu_threads": torch.get_num_threads(),
        "cpu_kernels": cpu_kernels.status() if where == "cpu" else None,
        "epochs_from": "--epochs" if epochs is not None else "verdict",
        "scaler": "whole corpus",
    }
    return Fit(models=list(models), training=training)
