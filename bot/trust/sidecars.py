"""A received seed sidecar, held to the target repository's shape and to the verdict (SPEC §14).

The repository's own tests read ``gate.passed`` and ``gate.verdict``; its model
audit compares ``input_names``/``output_names`` with the graph; libvmaf reads
``kind`` by substring scan. A sidecar from the GPU side is a claim like any
other: its repository keys must have the right names and types, its gate
block must be the re-judged verdict's numbers for that seed, its
``training_recipe`` must be the summary of the recipe it says it was fitted
with, its corpus the verdict's, its input layout flipbot's, and no nested key
may shadow one libvmaf scans for.
"""

from __future__ import annotations

from typing import Any

from flipbot.errors import InputError
from flipbot.features import (
    CODEC_BLOCK_LAYOUT,
    ENCODER_VOCAB_V2,
    ENCODER_VOCAB_VERSION,
    FEATURE_ORDER,
    NUM_CODECS,
)
from flipbot.sidecar_shape import check_sidecar, gate_block, training_recipe
from flipbot.verdict_file import Verdict
from gate.rejudge import first_difference

_LAYOUT = {
    "codec_block_layout": list(CODEC_BLOCK_LAYOUT),
    "encoder_vocab": list(ENCODER_VOCAB_V2),
    "encoder_vocab_version": ENCODER_VOCAB_VERSION,
    "feature_order": list(FEATURE_ORDER),
    "kind": "fr",
    "codec_aware": True,
}


def check_seed_sidecar(doc: Any, raw: bytes, where: str, verdict: Verdict, seed: int) -> None:
    """InputError (exit 2) unless the sidecar is what export writes for this seed and verdict."""
    check_sidecar(doc, raw.decode("utf-8", errors="replace"), where)
    expected: dict[str, Any] = dict(_LAYOUT)
    expected["gate"] = gate_block(verdict, seed)
    expected["loso_mean_plcc"] = expected["gate"]["mean_plcc"]
    training = doc.get("training")
    recipe = training.get("recipe") if isinstance(training, dict) else None
    if isinstance(recipe, dict):
        try:
            expected["training_recipe"] = training_recipe(recipe, len(FEATURE_ORDER), NUM_CODECS)
        except (KeyError, TypeError, ValueError):
            raise InputError(
                f"{where}: field 'training.recipe' is incomplete; rerun export"
            ) from None
    for key, want in expected.items():
        found = first_difference(doc.get(key), want, key)
        if found is not None:
            field, got, wanted = found
            raise InputError(
                f"{where}: field '{field}' is {_short(got)} but the re-judged verdict and the "
                f"recipe give {_short(wanted)}; rerun export on this verdict"
            )
    if doc["corpus"]["sha256"] != verdict.pins.corpus_sha256:
        raise InputError(
            f"{where}: field 'corpus.sha256' is not the corpus the verdict pins; rerun export"
        )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
