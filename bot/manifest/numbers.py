"""What the ensemble manifest says about the new members: vocabulary, confidence, evaluation.

- ``codec_vocab``: the repository's loader (SPEC §14) builds the codec input as a
  one-hot of width ``len(codec_vocab)`` and feeds it to every member. The members
  take 14 codec columns: the 12 slots of encoder vocabulary v2, then
  ``preset_norm`` and ``crf_norm``. So ``codec_vocab`` is those 14 column names in
  that order: a loader's one-hot has the members' width, and an encoder's index in
  it is its slot in the members' input. The last two are continuous columns, not
  encoders: a loader that one-hots them feeds 0/1 where the members were fitted with
  0.5 and ``(cq − cq_min)/(cq_max − cq_min)``; the PR says so.
- ``confidence``: ``conformal_q_residual`` is the split-conformal quantile of
  ``|y − mu|/sigma`` over the LOSO held-out predictions of the flipped seeds
  (``flipbot.ensemble_numbers``), at ``nominal_coverage`` 0.95, with the loader's
  ``sigma`` (sample std across members); ``gaussian_z`` the matching normal quantile.
- ``eval``: the new members on the whole pinned corpus (``in_sample_*``, their fit
  set, so in-sample) and the LOSO held-out ensemble (``loso_*``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import onnx

from bot.flip import Flip
from bot.manifest.inputs import ManifestInputs
from flipbot.ensemble_numbers import DEFAULT_COVERAGE
from flipbot.onnx_contract import INPUT_CODEC, MAX_BYTES
from gate.ensemble_loso import LosoNumbers
from gate.ensemble_loso import loso_numbers as gate_loso_numbers
from gate.loso_set import load_loso_set
from gate.rejudge import pinned_seeds


def loso_numbers(flip: Flip, coverage: float = DEFAULT_COVERAGE) -> LosoNumbers:
    """The flipped seeds' LOSO held-out numbers (the files the verdict pins, re-read)."""
    verdict, path = flip.verdict, flip.verdict_path
    run = load_loso_set(path.parent, pinned_seeds(verdict, path))
    return gate_loso_numbers(run, verdict.flip, coverage)


def members_eval(in_sample: dict[str, Any] | None, loso: dict[str, Any]) -> dict[str, Any]:
    return {**(in_sample or {}), **loso}


def codec_width(data: bytes) -> int | None:
    """The width of a model's codec input (0: it has none); None when it cannot be read."""
    if len(data) > MAX_BYTES:
        return None
    try:
        model = onnx.load_model_from_string(data)  # external data is never followed here
    except Exception:  # a corrupt file: its width is unknown, the note says so
        return None
    for tensor in model.graph.input:
        if tensor.name == INPUT_CODEC:
            dims = tensor.type.tensor_type.shape.dim
            return int(dims[-1].dim_value) if dims and dims[-1].dim_value > 0 else None
    return 0


def kept_member_widths(
    text: str,
    where: str,
    folder: str,
    given: ManifestInputs,
    read_bytes: Callable[[str], bytes | None] | None,
) -> dict[str, int | None]:
    """Members the flip keeps: id -> codec input width of their file on the base."""
    try:
        doc = json.loads(text)
    except ValueError:
        return {}  # sync_manifest refuses it with the precise message
    flipped = {m.id for m in given.members}
    out: dict[str, int | None] = {}
    members = doc.get("members") if isinstance(doc, dict) else None
    for m in members if isinstance(members, list) else []:
        if not isinstance(m, dict) or m.get("id") in flipped or not isinstance(m.get("id"), str):
            continue
        onnx_name = m.get("onnx")
        data = None
        if read_bytes is not None and isinstance(onnx_name, str) and "/" not in onnx_name:
            data = read_bytes(f"{folder}/{onnx_name}" if folder else onnx_name)
        out[m["id"]] = codec_width(data) if data is not None else None
    return out
