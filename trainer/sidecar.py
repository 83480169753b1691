"""The documents written beside the ONNX files (SPEC §7).

- ``<id>.json``, the sidecar of one ensemble member: everything a consumer
  needs to build the input vectors (feature order and scaler, codec block
  layout) and everything a reviewer needs to trust the weights (corpus pin,
  recipe, gate numbers, parity check, provenance);
- the ensemble manifest, regenerated only when the registry has an
  ensemble-level row and the verdict lets it flip.
"""

from __future__ import annotations

import platform
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import onnx
import onnxruntime
import torch

import flipbot
from flipbot.ensemble_numbers import CODEC_VOCAB
from flipbot.features import (
    CODEC_BLOCK_LAYOUT,
    ENCODER_VOCAB_V2,
    ENCODER_VOCAB_VERSION,
    FEATURE_ORDER,
    NUM_CODECS,
    Scaler,
)
from flipbot.onnx_contract import INPUT_SHAPES, OPSET, OUTPUT_SHAPES
from flipbot.provenance import git_commit
from flipbot.sidecar_shape import (
    DEFAULT_PARENT_ADRS,
    INPUT_NAMES,
    OUTPUT_NAMES,
    gate_block,
    training_recipe,
)
from flipbot.verdict_file import Verdict
from gate.ensemble_loso import LosoNumbers
from trainer.onnx_check import PARITY_TOLERANCE, Parity

SIDECAR_SCHEMA_VERSION = 2
MANIFEST_KIND = "flipbot.ensemble_manifest"


@dataclass(frozen=True)
class CorpusPin:
    path: str  # repository-relative when inside a checkout, else as given
    sha256: str
    n_rows: int
    cq_min: float
    cq_max: float


@dataclass(frozen=True)
class Sidecar:
    id: str
    seed: int
    ensemble_id: str
    onnx: str  # the ONNX file's name, in the same folder
    sha256: str  # of the ONNX file's bytes
    corpus: CorpusPin
    scaler: Scaler  # the whole-corpus scaler the production fit used
    training: dict[str, Any]  # the recipe actually used, plus device and epoch source
    verdict: Verdict  # the gate's verdict this seed flips under
    gate_evidence: dict[str, Any]  # the verdict's rules keyed by rule, its file and sha256
    parity: Parity  # measured onnxruntime vs torch over every corpus row
    provenance: dict[str, Any]
    calibration: dict[str, Any] | None = None  # ensemble-level, if the gate wrote one
    parent_adrs: tuple[str, ...] = DEFAULT_PARENT_ADRS

    def to_json(self) -> dict[str, Any]:
        """The repository's keys (SPEC §14) and, beside them, flipbot's evidence.

        No key below the top level, and no string value, is a word libvmaf's
        substring scan looks for (``flipbot.sidecar_shape``).
        """
        gate = gate_block(self.verdict, self.seed)
        doc: dict[str, Any] = {
            # --- the repository's keys, names and types ---------------------
            "codec_aware": True,
            "codec_block_layout": list(CODEC_BLOCK_LAYOUT),
            "corpus": asdict(self.corpus),
            "encoder_vocab": list(ENCODER_VOCAB_V2),
            "encoder_vocab_version": ENCODER_VOCAB_VERSION,
            "ensemble_id": self.ensemble_id,
            "feature_mean": list(self.scaler.mean),
            "feature_order": list(FEATURE_ORDER),
            "feature_std": list(self.scaler.std),
            "gate": gate,
            "id": self.id,
            "input_names": list(INPUT_NAMES),
            "kind": "fr",
            "loso_mean_plcc": gate["mean_plcc"],
            "notes": self.notes(gate),
            "onnx": self.onnx,
            "opset": OPSET,
            "output_names": list(OUTPUT_NAMES),
            "parent_adrs": list(self.parent_adrs),
            "seed": self.seed,
            "sha256": self.sha256,
            "training_recipe": training_recipe(
                self.training["recipe"], len(FEATURE_ORDER), NUM_CODECS
            ),
            # --- flipbot's evidence -------------------------------------------
            "schema_version": SIDECAR_SCHEMA_VERSION,
            "smoke": False,
            "io_shapes": {n: {"dtype": "float32", "shape": list(s)} for n, s in _shapes().items()},
            "training": self.training,
            "gate_evidence": self.gate_evidence,
            "export_checks": {
                "allowlist": "libvmaf operator allowlist (SPEC §7)",
                "onnx_checker": "full_check",
                "parity_max_abs_diff": self.parity.max_abs_diff,
                "parity_vs_float64_max_abs_diff": self.parity.vs_float64,
                "parity_rows": self.corpus.n_rows,
                "parity_tolerance": PARITY_TOLERANCE,
                "external_data": False,
            },
            "provenance": self.provenance,
        }
        if self.calibration is not None:
            doc["calibration"] = self.calibration
        return doc

    def notes(self, gate: dict[str, Any]) -> str:
        return (
            f"Production ensemble member of {self.ensemble_id} (seed={self.seed}). Fit on the "
            f"full corpus {self.corpus.path} ({self.corpus.n_rows} rows, sha256 "
            f"{self.corpus.sha256[:12]}) after the LOSO gate ({gate['verdict']}, mean PLCC "
            f"{gate['mean_plcc']:.4f}, spread {gate['plcc_spread']:.5f}, this seed "
            f"{gate['this_seed_loso_plcc']:.4f}). 6 canonical features + 14-column codec block "
            "(12-slot encoder one-hot v2, preset_norm, crf_norm) -> VMAF. Exported by flipbot "
            f"{flipbot.__version__}; the evidence is under gate_evidence, training, export_checks."
        )


def _shapes() -> dict[str, tuple[str | int, ...]]:
    return {**INPUT_SHAPES, **OUTPUT_SHAPES}


def gate_numbers(
    verdict: Verdict, verdict_file: str, verdict_sha256: str, seed: int | None = None
) -> dict[str, Any]:
    """The verdict's rules (keyed by rule) and thresholds; with ``seed``, that seed's outcome."""
    doc: dict[str, Any] = {
        "decision": verdict.decision,
        "verdict_file": verdict_file,
        "verdict_sha256": verdict_sha256,
        "rules": {
            r.name: {k: v for k, v in asdict(r).items() if k != "name"} for r in verdict.rules
        },
        "thresholds": dict(verdict.thresholds),
        "thresholds_overridden": verdict.thresholds_overridden,
        "sources": list(verdict.sources),
    }
    if seed is not None:
        outcome = {s.seed: s for s in verdict.seeds}.get(seed)
        doc["seed_loso_plcc"] = outcome.plcc if outcome else None
        doc["seed_reason"] = outcome.reason if outcome else None
    return doc


def provenance(verdict: Verdict) -> dict[str, Any]:
    return {
        "git_commit": git_commit(Path(__file__).resolve().parent),
        "gate_git_commit": verdict.pins.git_commit,
        "versions": {
            "flipbot": flipbot.__version__,
            "torch": torch.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
            "python": platform.python_version(),
        },
    }


def ensemble_manifest(
    ensemble_id: str,
    members: list[tuple[str, int, str, str]],
    gate: dict[str, Any],
    calibration: dict[str, Any] | None,
    *,
    scaler: Scaler,
    loso: LosoNumbers,
) -> dict[str, Any]:
    """members: (row id, seed, onnx file name, sha256) per seed, in seed order.

    Besides flipbot's own keys it carries what the repository's ensemble loader reads
    (SPEC §14): ``codec_vocab`` (one name per codec column of the members), the scaler,
    and ``confidence`` with ``conformal_q_residual`` from the LOSO predictions; ``eval``
    holds the LOSO held-out numbers (no in-sample ones: export does not run the ONNX files
    on the corpus as an ensemble).
    """
    doc: dict[str, Any] = {
        "schema_version": SIDECAR_SCHEMA_VERSION,
        "kind": MANIFEST_KIND,
        "id": ensemble_id,
        "aggregation": "mean",
        "members": [{"id": i, "seed": s, "onnx": f, "sha256": h} for i, s, f, h in members],
        "ensemble_size": len(members),
        "codec_vocab": list(CODEC_VOCAB),
        "codec_vocab_version": ENCODER_VOCAB_VERSION,
        "feature_order": list(FEATURE_ORDER),
        "feature_mean": list(scaler.mean),
        "feature_std": list(scaler.std),
        "eval": loso.eval,
        "gate": gate,
    }
    confidence: dict[str, Any] = dict(loso.confidence or {})
    if calibration is not None:
        doc["calibration"] = calibration
        confidence["flipbot_intervals"] = calibration["constants"].get("interval")
    if confidence:
        doc["confidence"] = confidence
    return doc
