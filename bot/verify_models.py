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

from flipbot.corpus import load_corpus_bytes
from flipbot.onnx_behaviour import Member, check_behaviour
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
) -> None:
    """Raise InputError unless every model meets the contract and behaves."""
    if not models:
        return
    for model in models:
        check_onnx_contract(model.onnx, model.where)
    members = [
        Member(m.seed, m.onnx, tuple(m.feature_mean), tuple(m.feature_std), m.where) for m in models
    ]
    check_behaviour(members, load_corpus_bytes(corpus, corpus_where), per_seed_min=per_seed_min)
