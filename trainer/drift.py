"""How far a flip moves the scores users get: the current ONNX vs the new one, on the corpus.

For every flipped row whose current file exists in the working tree, export
runs both models on every corpus row and writes ``drift.json`` (informational,
never part of the decision; pinned by sha256 in the flip plan). Each model
gets its own input preparation: the new one the whole-corpus scaler and CQ
range it was fitted with, the current one those of its own sidecar
(``<stem>.json`` beside it) when that sidecar describes the same bytes, else
the new corpus's (a placeholder has no sidecar). Δ = new − old, in VMAF
points, per seed and for the ensemble mean, overall, per source and per
encoder: mean Δ, mean |Δ|, p95 |Δ|, max |Δ|, and the share of frames moving
by more than 1 and by more than ``drift_stats.JND_VMAF`` points (docs/EXPORT.md names the
source of 6 ≈ one just-noticeable difference).

The current file is loaded from its path in the registry's folder, its
external data files too (``<model>.onnx.data``, regular files of that folder
only: ``trainer.current_model``). A current file that is missing, has another
input/output signature, names data files it may not, or fails to load is
reported with the reason; nothing here raises for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from flipbot.corpus import Corpus
from flipbot.features import Scaler, codec_block
from flipbot.jsonfile import read_json, sha256_bytes
from flipbot.onnx_limits import ModelRunError, Signature, run_bounded
from flipbot.plan_file import DRIFT_FILENAME
from trainer.current_model import CurrentModelError, loadable
from trainer.drift_stats import THRESHOLDS, Breakdown
from trainer.onnx_export import INPUT_SHAPES, OUTPUT_SHAPES

SCHEMA_VERSION = 1
KIND = "flipbot.drift"
FILENAME = DRIFT_FILENAME
PLACEHOLDER = "replaces a placeholder"


@dataclass(frozen=True)
class RowDrift:
    """One flipped registry row: its current file against the new one."""

    id: str
    seed: int
    onnx: str  # the row's file name, in the registry's folder
    old_smoke: bool | None  # the row's `smoke` before the flip (None: not readable)
    label: str  # "replaces a placeholder" | "replaces a production model"
    old_sha256: str | None  # of the current file's bytes; None when missing
    new_sha256: str
    old_inputs: str  # where the current model's scaler and CQ range came from
    old_loso_plcc: float | None  # from the current sidecar's gate evidence, if it has one
    new_loso_plcc: float | None  # from this verdict
    reason: str | None = None  # why no comparison: missing, signature, load failure
    drift: Breakdown | None = None


@dataclass(frozen=True)
class Drift:
    corpus_sha256: str
    rows: int
    seeds: tuple[RowDrift, ...]
    ensemble_seeds: tuple[int, ...]  # the compared seeds the ensemble means are taken over
    ensemble: Breakdown | None
    notes: tuple[str, ...] = field(default=())
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {
            "kind": KIND,
            "informational": True,
            "delta": "new - old, VMAF points",
            "thresholds": list(THRESHOLDS),
        }


@dataclass(frozen=True)
class ModelInputs:
    """What one model is fed: the corpus standardised with its scaler, codec block with its CQ range."""

    scaler: Scaler
    cq_min: float
    cq_max: float


@dataclass(frozen=True)
class Candidate:
    """One flipped row as export sees it."""

    id: str
    seed: int
    onnx: str
    new_bytes: bytes
    new_inputs: ModelInputs
    new_loso_plcc: float | None


def measure_drift(
    corpus: Corpus,
    folder: Path,
    candidates: Sequence[Candidate],
    old_smoke: Mapping[str, bool | None],
) -> Drift:
    """``folder``: the registry's folder in the working tree, where the current files are."""
    rows, old_preds, new_preds = [], {}, {}
    for c in candidates:
        new = predict(c.new_bytes, corpus, c.new_inputs)
        row, old = _compare_one(corpus, folder, c, old_smoke.get(c.id))
        if old is not None:
            delta = new - old
            row = _with(row, drift=Breakdown.of(delta, corpus.src, corpus.encoder))
            old_preds[c.seed], new_preds[c.seed] = old, new
        rows.append(row)
    compared = tuple(sorted(old_preds))
    ensemble = None
    notes = []
    if compared:
        delta = np.mean([new_preds[s] for s in compared], axis=0) - np.mean(
            [old_preds[s] for s in compared], axis=0
        )
        ensemble = Breakdown.of(delta, corpus.src, corpus.encoder)
    if len(compared) < len(candidates):
        missing = sorted(set(c.seed for c in candidates) - set(compared))
        notes.append(
            f"seeds {missing} have no comparable current file; the ensemble drift is over "
            f"seeds {list(compared)} only"
        )
    return Drift(corpus.sha256, corpus.rows, tuple(rows), compared, ensemble, tuple(notes))


def predict(data: bytes | str, corpus: Corpus, inputs: ModelInputs) -> np.ndarray:
    """[n] float64 scores of one ONNX model (its bytes, or the path of a private copy with its
    external data: trainer.current_model) on every corpus row (raises if it will not run).

    The session is built and run in a child process under memory, CPU and wall-clock
    limits (``flipbot.onnx_limits``): the current file is whatever the repository holds."""
    names = list(INPUT_SHAPES)
    feats = inputs.scaler.apply(corpus.features).astype(np.float32)  # [n, 6]
    codec = codec_block(corpus.encoder.tolist(), corpus.cq, inputs.cq_min, inputs.cq_max)
    feeds = {names[0]: feats, names[1]: codec.astype(np.float32)}
    try:
        run = run_bounded(data, feeds, list(OUTPUT_SHAPES))
    except ModelRunError as exc:
        if exc.signature is not None:
            _check_signature(exc.signature)
        raise
    _check_signature(run.signature)
    (out,) = run.outputs
    return np.asarray(out, dtype=np.float64).reshape(-1)


class SignatureMismatch(ValueError):
    pass


def _check_signature(signature: Signature) -> None:
    want_in = {n: s[-1] for n, s in INPUT_SHAPES.items()}
    have_in = {name: shape[-1] if shape else None for name, shape in signature.inputs.items()}
    have_out = signature.outputs
    if have_in != want_in or have_out != list(OUTPUT_SHAPES):
        raise SignatureMismatch(
            f"inputs {have_in} and outputs {have_out}, expected {want_in} and {list(OUTPUT_SHAPES)}"
        )


def _compare_one(
    corpus: Corpus, folder: Path, c: Candidate, smoke: bool | None
) -> tuple[RowDrift, np.ndarray | None]:
    label = PLACEHOLDER if smoke is not False else "replaces a production model"
    row = RowDrift(
        id=c.id,
        seed=c.seed,
        onnx=c.onnx,
        old_smoke=smoke,
        label=label,
        old_sha256=None,
        new_sha256=sha256_bytes(c.new_bytes),
        old_inputs="",
        old_loso_plcc=None,
        new_loso_plcc=c.new_loso_plcc,
    )
    path = folder / c.onnx
    if not path.is_file() and not path.is_symlink():
        return _with(row, reason=f"no current file {path.name} in the working tree"), None
    try:
        with loadable(folder, c.onnx) as (data, model):
            row = _with(row, old_sha256=sha256_bytes(data))
            inputs, where, plcc = _old_inputs(
                folder / (Path(c.onnx).stem + ".json"), row.old_sha256, c
            )
            row = _with(row, old_inputs=where, old_loso_plcc=plcc)
            old = predict(model, corpus, inputs)
        if not np.all(np.isfinite(old)):
            bad = int(np.count_nonzero(~np.isfinite(old)))
            return _with(row, reason=f"its scores are not finite on {bad} corpus rows"), None
        return row, old
    except SignatureMismatch as exc:
        return _with(row, reason=f"another input/output signature: {exc}"), None
    except CurrentModelError as exc:
        return _with(row, reason=f"{path.name} cannot be loaded safely: {exc}"), None
    except Exception as exc:  # ModelRunError: a corrupt file, a failed run, a limit
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _with(row, reason=f"onnxruntime cannot load or run it: {first[:200]}"), None


def _old_inputs(
    sidecar: Path, old_sha256: str | None, c: Candidate
) -> tuple[ModelInputs, str, float | None]:
    """The current model's scaler and CQ range from its own sidecar, when it describes these bytes."""
    fallback = "the new corpus scaler and CQ range (no sidecar beside the current file)"
    if not sidecar.is_file():
        return c.new_inputs, fallback, None
    try:
        doc = read_json(sidecar)
        if doc.get("sha256") != old_sha256:
            return (
                c.new_inputs,
                "the new corpus scaler (the current sidecar describes other bytes)",
                None,
            )
        inputs = ModelInputs(
            Scaler(tuple(map(float, doc["feature_mean"])), tuple(map(float, doc["feature_std"]))),
            float(doc["corpus"]["cq_min"]),
            float(doc["corpus"]["cq_max"]),
        )
        gate = doc.get("gate", {})
        # The repository's key (SPEC §14); flipbot's sidecars of schema 1 named it seed_loso_plcc.
        plcc = gate.get("this_seed_loso_plcc", gate.get("seed_loso_plcc"))
        return inputs, f"its sidecar {sidecar.name}", plcc if isinstance(plcc, float) else None
    except Exception as exc:  # an unreadable sidecar is a finding, not a crash
        return (
            c.new_inputs,
            f"the new corpus scaler (sidecar {sidecar.name} unreadable: {exc})",
            None,
        )


def _with(row: RowDrift, **changes: Any) -> RowDrift:
    from dataclasses import replace

    return replace(row, **changes)
