"""A target repository shaped like the one ADR-0303 comes from, before its seeds are flipped (SPEC §14).

A real git repository:

- ``model/tiny/registry.json`` (sorted, indent 2, ASCII escapes) whose rows all
  carry ``sigstore_bundle`` (``<onnx>.sigstore.json``; none of the bundles exist),
  five smoke seed rows and one production model that stays;
- every model keeps its weights in external data: ``<onnx>.data`` beside the
  ``.onnx`` (``onnx.save(..., save_as_external_data=True)``), the row's sha256
  covering only the ``.onnx``, as upstream's placeholders do;
- the ensemble manifest ``fr_regressor_v2_ensemble_v1.json`` with the repository's
  keys: kind ``fr_ensemble``, ``members[]``, the stale 6-entry ``codec_vocab``
  (version 1), ``confidence`` {conformal_q_residual null, gaussian_z, method,
  nominal_coverage}, ``eval`` {in_sample_plcc, in_sample_rmse, mean_sigma_train},
  ``ensemble_size``, scaler and feature order;
- corpora kept out of git (``runs/`` and ``corpus.jsonl`` ignored): the corpus
  the gate judges lies at ``runs/phase_a/corpus.jsonl``, and the repository pins
  corpora by a Git LFS pointer (``corpus/phase_a.jsonl``) and by a small pin
  file (``corpus/phase_a.pin.json``); reading those pins is not exercised here.

Also the training side's inputs: five synthetic LOSO files (the trainer's
format) judged by the real gate.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch

from flipbot.jsonfile import sha256_file
from flipbot.loso_file import LosoArtefact, LosoFold
from flipbot.metrics import score
from gate.__main__ import main as gate_main
from trainer.placeholders import placeholder_bytes
from trainer.recipe import Recipe

ENSEMBLE = "fr_regressor_v2_ensemble_v1"
SEEDS = (0, 1, 2, 3, 4)
FOLDER = "model/tiny"
REGISTRY = f"{FOLDER}/registry.json"
MANIFEST = f"{FOLDER}/{ENSEMBLE}.json"
CORPUS = "runs/phase_a/corpus.jsonl"
LFS_POINTER = "corpus/phase_a.jsonl"
PIN_FILE = "corpus/phase_a.pin.json"
OTHER = "vmaf_tiny_v1"  # a production model with external data that the flip leaves alone
SOURCES = ("bunny", "city", "crowd", "tennis")
ENCODERS = ("libx264", "libx265", "libsvtav1")
CQS = (19, 28, 37)
FRAMES = 5
EPOCHS = 200
LR = 1e-2
# Upstream's stale manifest fields, verbatim in value.
STALE_VOCAB = ["x264", "x265", "libsvtav1", "libvvenc", "libvpx-vp9", "unknown"]
STALE_EVAL = {
    "in_sample_plcc": -0.19678804078671105,
    "in_sample_rmse": 78.7864990234375,
    "mean_sigma_train": 0.04273277893662453,
}


@dataclass(frozen=True)
class TargetRepo:
    root: Path  # the git checkout
    loso: Path  # the gate's folder (outside the checkout)
    base_commit: str

    def path(self, rel: str) -> Path:
        return self.root / rel


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def canonical(doc: object) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def seed_id(seed: int) -> str:
    return f"{ENSEMBLE}_seed{seed}"


def save_external(data: bytes, folder: Path, name: str) -> None:
    """``name`` and ``name.data`` in ``folder``: every weight in the data file."""
    model = onnx.load_model_from_string(data)
    onnx.save_model(
        model,
        str(folder / name),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=f"{name}.data",
        size_threshold=0,
    )


def write_corpus(path: Path) -> list[dict]:
    rng = np.random.default_rng(11)
    rows = []
    for s, src in enumerate(SOURCES):
        for encoder in ENCODERS:
            for cq in CQS:
                for frame in range(FRAMES):
                    quality = 1.0 - (cq - 19) / 30 + 0.05 * rng.normal()
                    feats = {
                        "adm2": 0.7 + 0.3 * quality,
                        "vif_scale0": 0.3 + 0.5 * quality + 0.02 * s,
                        "vif_scale1": 0.5 + 0.4 * quality,
                        "vif_scale2": 0.6 + 0.35 * quality,
                        "vif_scale3": 0.65 + 0.3 * quality,
                        "motion2": 2.0 + s + 0.1 * frame,
                    }
                    rows.append(
                        {"src": src, "encoder": encoder, "cq": cq, "frame_index": frame}
                        | {"vmaf": float(np.clip(20 + 75 * quality, 0, 100))}
                        | {k: float(v) for k, v in feats.items()}
                    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


def write_loso(folder: Path, corpus: Path, rows: list[dict], seed: int) -> None:
    """A loso file in the trainer's format: held-out predictions within ~2 VMAF of the target."""
    rng = np.random.default_rng(200 + seed)
    recipe = Recipe(epochs=EPOCHS, lr=LR)
    folds = []
    for src in SOURCES:
        y = np.array([r["vmaf"] for r in rows if r["src"] == src])
        pred = y + rng.normal(scale=2.0, size=y.size)
        s = score(y, pred)
        folds.append(
            LosoFold(src, len(rows) - y.size, y.size, s.plcc, s.srocc, s.rmse, None,
                     tuple(y), tuple(pred))
        )  # fmt: skip
    LosoArtefact(
        seed=seed,
        corpus=CORPUS,  # repository-relative: where the repository keeps it (git-ignored)
        corpus_sha256=sha256_file(corpus),
        corpus_rows=len(rows),
        sources=SOURCES,
        folds=tuple(folds),
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        lr=recipe.lr,
        weight_decay=recipe.weight_decay,
        num_codecs=14,
        encoder_vocab_version=2,
        recipe=recipe.to_json(),
        device="cpu",
        versions={"flipbot": "0.1.0", "torch": torch.__version__},
        wall_time_s=1.0,
    ).write(folder)


def registry_row(row_id: str, onnx_name: str, sha256: str, smoke: bool, notes: str) -> dict:
    return {
        "id": row_id,
        "kind": "fr",
        "license": "BSD-3-Clause-Plus-Patent",
        "license_url": "https://example.invalid/LICENSE",
        "notes": notes,
        "onnx": onnx_name,
        "opset": 17,
        "sha256": sha256,
        "sigstore_bundle": f"{onnx_name}.sigstore.json",
        "smoke": smoke,
    }


SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["schema_version", "models"],
    "properties": {
        "$schema": {"type": "string"},
        "schema_version": {"const": 1},
        "models": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "kind", "onnx", "sha256", "opset", "smoke", "sigstore_bundle"],
                "properties": {
                    "sha256": {"pattern": "^[0-9a-f]{64}$", "type": "string"},
                    "sigstore_bundle": {"pattern": "\\.sigstore\\.json$", "type": "string"},
                    "smoke": {"type": "boolean"},
                },
            },
        },
    },
}


def build(root: Path, loso: Path) -> TargetRepo:
    """The repository at ``root`` (committed on ``main``) and the gate's folder at ``loso``."""
    folder = root / FOLDER
    folder.mkdir(parents=True)
    rows = []
    members = []
    for seed in SEEDS:
        name = f"{seed_id(seed)}.onnx"
        save_external(placeholder_bytes(seed), folder, name)
        sha = sha256_file(folder / name)
        note = f"Ensemble member of {ENSEMBLE} (seed={seed}); smoke placeholder."
        rows.append(registry_row(seed_id(seed), name, sha, True, note))
        members.append({"id": seed_id(seed), "onnx": name, "seed": seed, "sha256": sha})
    save_external(placeholder_bytes(7), folder, f"{OTHER}.onnx")
    other_sha = sha256_file(folder / f"{OTHER}.onnx")
    rows.insert(0, registry_row(OTHER, f"{OTHER}.onnx", other_sha, False, "Production model."))
    registry = {"$schema": "registry.schema.json", "models": rows, "schema_version": 1}
    (folder / "registry.json").write_text(canonical(registry))
    (folder / "registry.schema.json").write_text(canonical(SCHEMA))
    manifest = {
        "codec_vocab": STALE_VOCAB,
        "codec_vocab_version": 1,
        "confidence": {
            "conformal_q_residual": None,
            "gaussian_z": 1.959963984540054,
            "method": "ensemble",
            "nominal_coverage": 0.95,
        },
        "ensemble_size": len(SEEDS),
        "eval": STALE_EVAL,
        "feature_mean": [0.70, 0.57, 0.60, 0.69, 0.74, 14.97],
        "feature_order": [
            "adm2",
            "vif_scale0",
            "vif_scale1",
            "vif_scale2",
            "vif_scale3",
            "motion2",
        ],
        "feature_std": [0.18, 0.23, 0.19, 0.16, 0.14, 8.38],
        "id": ENSEMBLE,
        "kind": "fr_ensemble",
        "members": members,
        "smoke": True,
    }
    (root / MANIFEST).write_text(canonical(manifest))
    (root / ".gitignore").write_text("runs/\ncorpus.jsonl\n")
    (root / ".gitattributes").write_text(
        "model/tiny/*.onnx binary -filter\ncorpus/*.jsonl filter=lfs diff=lfs merge=lfs -text\n"
    )
    corpus = root / CORPUS
    corpus_rows = write_corpus(corpus)
    size, digest = corpus.stat().st_size, sha256_file(corpus)
    (root / LFS_POINTER).parent.mkdir(parents=True)
    (root / LFS_POINTER).write_text(
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{digest}\nsize {size}\n"
    )
    (root / PIN_FILE).write_text(canonical({"path": CORPUS, "sha256": digest, "size": size}))
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "models@example.invalid")
    git(root, "config", "user.name", "Models")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "models before the flip")
    loso.mkdir(parents=True)
    for seed in SEEDS:
        write_loso(loso, corpus, corpus_rows, seed)
    assert gate_main([str(loso), "--seeds", ",".join(map(str, SEEDS))]) == 0  # PROMOTE
    return TargetRepo(root, loso, git(root, "rev-parse", "HEAD").strip())
