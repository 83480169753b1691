"""The ONNX files a flip ships, checked on the trusted side (SPEC §7, §11), without torch.

Two checks from the torch-free shared modules: the static contract of each
file (``flipbot.onnx_contract``: opset, operator allowlist, input/output
names, types and shapes, weights inside, size bound) and the members'
behaviour on the pinned corpus (``flipbot.onnx_behaviour``: onnxruntime on a
fixed seeded sample; the in-sample PLCC must clear the per-seed minimum and
the members must agree), so random or sabotaged weights that pass the
allowlist are refused. Both need onnx and onnxruntime, which are part of the
bot's requirements (requirements/base.txt): the checks never skip.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from flipbot.corpus import Corpus, load_corpus_bytes
from flipbot.ensemble_numbers import ensemble_eval
from flipbot.features import Scaler, codec_block
from flipbot.onnx_behaviour import Member, check_behaviour, run_member
from flipbot.onnx_contract import check_onnx_contract


@dataclass(frozen=True)
class ShippedModel:
    seed: int
    onnx: bytes
    feature_mean: tuple[float, ...]  # from the seed's sidecar
    feature_std: tuple[float, ...]
    where: str  # the ONNX file as the messages name it


def check_models(
    models: tuple[ShippedModel, ...], corpus: bytes, corpus_where: str, per_seed_min: float
) -> dict[str, Any] | None:
    """Raise InputError unless every model meets the contract and behaves.

    Returns the members' in-sample numbers on the whole corpus (the ensemble manifest's
    ``eval``), or None without models.
    """
    if not models:
        return None
    for model in models:
        check_onnx_contract(model.onnx, model.where)
    members = [
        Member(m.seed, m.onnx, tuple(m.feature_mean), tuple(m.feature_std), m.where) for m in models
    ]
    data = load_corpus_bytes(corpus, corpus_where)
    check_behaviour(members, data, per_seed_min=per_seed_min)
    return in_sample(members, data)


def in_sample(members: list[Member], corpus: Corpus) -> dict[str, Any]:
    """The members on every corpus row, as the repository's loader combines them (mu, sigma)."""
    codec = codec_block(corpus.encoder.tolist(), corpus.cq, corpus.cq_min, corpus.cq_max)
    codec32 = np.ascontiguousarray(codec, dtype=np.float32)
    preds = []
    for m in members:
        scaler = Scaler(tuple(m.feature_mean), tuple(m.feature_std))
        features = np.ascontiguousarray(scaler.apply(corpus.features), dtype=np.float32)
        preds.append(run_member(m, features, codec32))
    numbers = ensemble_eval(corpus.vmaf, np.vstack(preds))
    return {
        "in_sample_plcc": numbers["plcc"],
        "in_sample_rmse": numbers["rmse"],
        "mean_sigma_train": numbers["mean_sigma"],
        "in_sample_rows": corpus.rows,
        "in_sample_seeds": [m.seed for m in members],
    }
