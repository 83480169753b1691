"""``trainer export``: fit the cleared seeds on the full corpus and ship them (SPEC §7).

Linear on purpose:
1. check the verdict's pins (corpus + loso files), its flip set, the registry
   rows and the output folder; nothing is written before all of them pass;
2. fit one model per cleared seed on the whole corpus with the verdict's recipe
   (all seeds stacked in one ``train_stacked`` call);
3. export each to ONNX, check it (allowlist, checker, interface, parity with
   torch on every corpus row), write it with its sidecar;
4. measure the score drift of every flipped row against its current file in
   the working tree (``drift.json``, informational, pinned in the plan);
5. write the ensemble manifest (only when it may flip) and the flip plan;
6. publish: all of it was staged beside ``out_dir`` and is renamed into place
   only now, so a failure leaves ``out_dir`` (and the registry and model
   folder, which export never writes) as they were.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flipbot.errors import InputError
from flipbot.jsonfile import dumps, sha256_bytes, sha256_file
from flipbot.plan_file import FlipPlan, PlanFile, PlanRow
from flipbot.registry import load_registry_doc
from flipbot.sidecar_shape import DEFAULT_PARENT_ADRS, check_sidecar
from trainer.drift import FILENAME as DRIFT_FILENAME
from trainer.drift import Candidate, ModelInputs, measure_drift
from trainer.export_manifest import manifest_bytes, read_calibration
from trainer.full_fit import FullCorpus, fit_seeds, load_full_corpus
from trainer.onnx_check import (
    PARITY_TOLERANCE,
    ExportCheckError,
    Parity,
    check_model_bytes,
    measure_parity,
)
from trainer.onnx_export import to_onnx_bytes
from trainer.pins import read_pinned_verdict, seeds_to_export
from trainer.registry_view import (
    DEFAULT_ENSEMBLE_ID,
    RegistryTargets,
    read_targets,
    repo_relative,
    seed_row_id,
)
from trainer.sidecar import CorpusPin, Sidecar, gate_numbers, provenance
from trainer.staging import check_out_dir, staged_folder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportRequest:
    corpus: Path
    verdict_dir: Path  # the gate's folder: the verdict and the loso files it pins
    registry: Path  # read only: export checks rows, the bot edits them
    out_dir: Path
    ensemble_id: str = DEFAULT_ENSEMBLE_ID
    device: str = "auto"  # auto | cpu | cuda
    epochs: int | None = None  # None: the verdict's recipe
    threads: int | None = None  # CPU threads for torch; None: torch's choice
    parent_adrs: tuple[str, ...] = DEFAULT_PARENT_ADRS  # the sidecars' `parent_adrs`


@dataclass(frozen=True)
class ExportReport:
    out_dir: Path
    plan: FlipPlan
    parity: dict[int, Parity]  # seed -> onnxruntime vs torch, in VMAF points
    notes: tuple[str, ...]
    fit_seconds: float
    export_seconds: float


def run_export(request: ExportRequest) -> ExportReport:
    pinned = read_pinned_verdict(request.verdict_dir, request.corpus)
    verdict = pinned.verdict
    seeds = seeds_to_export(verdict, pinned.path)
    targets = read_targets(request.registry, request.ensemble_id, seeds)
    check_out_dir(request.out_dir)
    calibration = read_calibration(Path(request.verdict_dir), verdict)
    data = load_full_corpus(request.corpus, verdict.pins.corpus_sha256)

    log.info("fitting seeds %s on the full corpus (%d rows)", list(seeds), data.rows)
    t0 = time.perf_counter()
    fit = fit_seeds(
        data,
        seeds,
        verdict.recipe,
        epochs=request.epochs,
        device=request.device,
        threads=request.threads,
    )
    fit_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    corpus_pin = CorpusPin(
        path=repo_relative(Path(request.corpus)),
        sha256=verdict.pins.corpus_sha256,
        n_rows=data.rows,
        cq_min=data.cq_min,
        cq_max=data.cq_max,
    )
    made_by = provenance(verdict)
    rows: list[PlanRow] = []
    files: list[PlanFile] = []
    parity: dict[int, Parity] = {}
    notes: list[str] = []
    candidates: list[Candidate] = []
    with staged_folder(Path(request.out_dir)) as stage:
        for seed, model in zip(seeds, fit.models, strict=True):
            onnx_name = targets.seed_onnx[seed]
            data_bytes = to_onnx_bytes(model)
            parity[seed] = checked_parity(data_bytes, onnx_name, model, data)
            sidecar = Sidecar(
                id=seed_row_id(request.ensemble_id, seed),
                seed=seed,
                ensemble_id=request.ensemble_id,
                onnx=onnx_name,
                sha256=sha256_bytes(data_bytes),
                corpus=corpus_pin,
                scaler=data.scaler,
                training=fit.training,
                verdict=verdict,
                gate_evidence=gate_numbers(verdict, pinned.path.name, pinned.sha256, seed),
                parity=parity[seed],
                provenance=made_by,
                calibration=calibration,
                parent_adrs=request.parent_adrs,
            )
            files.append(_write(stage, targets, onnx_name, data_bytes))
            files.append(_write(stage, targets, sidecar_name(onnx_name), _sidecar_text(sidecar)))
            rows.append(PlanRow(id=sidecar.id, seed=seed, sha256=sidecar.sha256, smoke=False))
            new_inputs = ModelInputs(data.scaler, data.cq_min, data.cq_max)
            plcc = sidecar.gate_evidence.get("seed_loso_plcc")
            candidates.append(Candidate(sidecar.id, seed, onnx_name, data_bytes, new_inputs, plcc))
            log.info(
                "seed %d: %s sha256 %s, onnxruntime vs torch %.3g",
                seed,
                onnx_name,
                sidecar.sha256,
                parity[seed].max_abs_diff,
            )

        if targets.ensemble_onnx is None:
            notes.append(
                f"no ensemble-level row '{request.ensemble_id}' in the registry: manifest left out"
            )
        elif not verdict.ensemble_flip:
            notes.append(
                f"the verdict does not let '{request.ensemble_id}' flip: manifest left out"
            )
        elif set(targets.member_seeds) != set(verdict.flip):
            notes.append(
                f"the verdict flips seeds {sorted(verdict.flip)} but the registry lists members "
                f"{list(targets.member_seeds)}: '{request.ensemble_id}' flips only when every "
                "member was judged and cleared; manifest left out"
            )
        else:
            manifest = manifest_bytes(
                request.ensemble_id, rows, targets, pinned, calibration, data.scaler
            )
            files.append(_write(stage, targets, sidecar_name(targets.ensemble_onnx), manifest))
            rows.append(PlanRow(request.ensemble_id, None, files[-1].sha256, smoke=False))
        for note in notes:
            log.info("%s", note)

        drift_sha256 = _write_drift(stage, request, candidates)
        plan = FlipPlan(
            registry=targets.registry,
            ensemble_id=request.ensemble_id,
            verdict_file=pinned.path.name,
            verdict_sha256=pinned.sha256,
            pins=asdict(verdict.pins),
            rows=tuple(rows),
            files=tuple(files),
            drift_sha256=drift_sha256,
            recipe=dict(fit.training["recipe"]),
        )
        plan.write(stage)
        for f in plan.files:  # re-read what was written before publishing it
            if sha256_file(stage / f.artifact) != f.sha256:
                raise ExportCheckError(
                    f"{f.artifact}: its bytes on disk differ from the plan's sha256"
                )
    return ExportReport(
        Path(request.out_dir), plan, parity, tuple(notes), fit_seconds, time.perf_counter() - t0
    )


def _write_drift(stage: Path, request: ExportRequest, candidates: list[Candidate]) -> str:
    """drift.json in the stage; its sha256 for the plan. Informational: it never refuses."""
    from flipbot.corpus import load_corpus

    corpus = load_corpus(request.corpus)
    registry = load_registry_doc(Path(request.registry))  # JSON or YAML, as read_targets
    smoke: dict[str, bool | None] = {
        r["id"]: r.get("smoke") if isinstance(r.get("smoke"), bool) else None
        for r in registry.get("models", [])
        if isinstance(r, dict) and isinstance(r.get("id"), str)
    }
    drift = measure_drift(corpus, Path(request.registry).parent, candidates, smoke)
    data = _text(drift.to_json())
    (stage / DRIFT_FILENAME).write_bytes(data)
    for row in drift.seeds:
        log.info("drift seed %d (%s): %s", row.seed, row.label, row.reason or "compared")
    return sha256_bytes(data)


def checked_parity(data: bytes, name: str, model: Any, corpus: FullCorpus) -> Parity:
    """Every static check, then onnxruntime vs torch on every corpus row."""
    check_model_bytes(data, name)
    parity = measure_parity(data, model, corpus.features, corpus.codec)
    if not parity.max_abs_diff <= PARITY_TOLERANCE:
        raise ExportCheckError(
            f"{name}: onnxruntime differs from torch by {parity.max_abs_diff:.3g} VMAF points "
            f"(limit {PARITY_TOLERANCE}; vs the float64 evaluation of the same weights: "
            f"{parity.vs_float64:.3g})"
        )
    return parity


def _sidecar_text(sidecar: Sidecar) -> bytes:
    """The sidecar's bytes, once the repository's reader and libvmaf's scan read them right."""
    data = _text(sidecar.to_json())
    try:
        check_sidecar(json.loads(data), data.decode("ascii"), sidecar_name(sidecar.onnx))
    except InputError as exc:
        raise ExportCheckError(str(exc)) from None
    return data


def sidecar_name(onnx_name: str) -> str:
    return Path(onnx_name).stem + ".json"


def _text(doc: dict[str, Any]) -> bytes:
    return dumps(doc).encode("ascii")


def _write(stage: Path, targets: RegistryTargets, name: str, data: bytes) -> PlanFile:
    (stage / name).write_bytes(data)
    return PlanFile(path=targets.repo_path(name), artifact=name, sha256=sha256_bytes(data))
