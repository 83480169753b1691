"""``trainer export``: fit the cleared seeds on the full corpus and ship them (SPEC §7).

Linear on purpose:
1. check the verdict's pins (corpus + loso files), its flip set and the registry rows;
2. fit one model per cleared seed on the whole corpus with the verdict's recipe
   (all seeds stacked in one ``train_stacked`` call);
3. export each to ONNX, check it (allowlist, checker, interface, parity with
   torch on the corpus rows), write it with its sidecar;
4. write the flip plan (and the ensemble manifest when it may flip);
5. publish: everything was written into a temporary folder beside ``out_dir``
   and is renamed into place only now, so any failure leaves ``out_dir`` (and
   the registry and model folder, which export never writes) as they were.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flipbot.errors import InputError
from flipbot.jsonfile import dumps, read_json, sha256_bytes, sha256_file
from flipbot.plan_file import FILENAME as PLAN_FILENAME
from flipbot.plan_file import FlipPlan, PlanFile, PlanRow
from flipbot.verdict_file import Verdict
from trainer.full_fit import FullCorpus, fit_seeds, load_full_corpus
from trainer.onnx_check import (
    PARITY_TOLERANCE,
    ExportCheckError,
    check_model_bytes,
    parity_max_abs_diff,
)
from trainer.onnx_export import to_onnx_bytes
from trainer.pins import read_pinned_verdict, seeds_to_export
from trainer.registry_view import DEFAULT_ENSEMBLE_ID, RegistryTargets, read_targets, seed_row_id
from trainer.sidecar import CorpusPin, Sidecar, ensemble_manifest, gate_numbers, provenance

log = logging.getLogger(__name__)
CALIBRATION_FILE = "calibration.json"
# Keys of calibration.json that are not ensemble-level constants: per-source
# detail and the pins (checked against the verdict instead).
_CALIBRATION_PER_RUN = frozenset({"sources", "loso_files", "corpus_sha256"})


@dataclass(frozen=True)
class ExportRequest:
    corpus: Path
    verdict_dir: Path  # the gate's folder: the verdict and the loso files it pins
    registry: Path  # read only: export checks rows, the bot edits them
    out_dir: Path
    ensemble_id: str = DEFAULT_ENSEMBLE_ID
    device: str = "auto"  # auto | cpu | cuda
    epochs: int | None = None  # None: the verdict's recipe


@dataclass(frozen=True)
class ExportReport:
    out_dir: Path
    plan: FlipPlan
    parity: dict[int, float]  # seed -> max |onnxruntime - torch| in VMAF points
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
    data = load_full_corpus(request.corpus)

    log.info("fitting seeds %s on the full corpus (%d rows)", list(seeds), data.rows)
    t0 = time.perf_counter()
    fit = fit_seeds(data, seeds, verdict.recipe, epochs=request.epochs, device=request.device)
    fit_seconds = time.perf_counter() - t0

    notes: list[str] = []
    out = Path(request.out_dir)
    created = _make_parents(out.parent)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        t0 = time.perf_counter()
        corpus_pin = CorpusPin(
            path=Path(request.corpus).as_posix(),
            sha256=verdict.pins.corpus_sha256,
            rows=data.rows,
            cq_min=data.cq_min,
            cq_max=data.cq_max,
        )
        rows: list[PlanRow] = []
        files: list[PlanFile] = []
        members: list[tuple[str, int, str, str]] = []
        parity: dict[int, float] = {}
        for seed, model in zip(seeds, fit.models, strict=True):
            row_id = seed_row_id(request.ensemble_id, seed)
            onnx_name = targets.seed_onnx[seed]
            data_bytes = to_onnx_bytes(model)
            check_model_bytes(data_bytes, onnx_name)
            diff = parity_max_abs_diff(data_bytes, model, data.features, data.codec)
            if not diff <= PARITY_TOLERANCE:
                raise ExportCheckError(
                    f"{onnx_name}: onnxruntime differs from torch by {diff:.3g} VMAF points "
                    f"(limit {PARITY_TOLERANCE})"
                )
            parity[seed] = diff
            onnx_sha = sha256_bytes(data_bytes)
            sidecar = Sidecar(
                id=row_id,
                seed=seed,
                ensemble_id=request.ensemble_id,
                onnx=onnx_name,
                sha256=onnx_sha,
                corpus=corpus_pin,
                scaler=data.scaler,
                training=fit.training,
                gate=gate_numbers(verdict, pinned.path.name, pinned.sha256, seed),
                parity_max_abs_diff=diff,
                provenance=provenance(verdict),
                calibration=calibration,
            )
            side_name = Path(onnx_name).stem + ".json"
            files.append(_write(stage, targets, onnx_name, data_bytes))
            files.append(_write(stage, targets, side_name, dumps(sidecar.to_json()).encode()))
            rows.append(PlanRow(id=row_id, seed=seed, sha256=onnx_sha, smoke=False))
            members.append((row_id, seed, onnx_name, onnx_sha))
            log.info("seed %d: %s sha256 %s, parity %.3g", seed, onnx_name, onnx_sha, diff)

        if targets.ensemble_onnx is not None and verdict.ensemble_flip:
            name = Path(targets.ensemble_onnx).stem + ".json"
            gate = gate_numbers(verdict, pinned.path.name, pinned.sha256)
            manifest = dumps(ensemble_manifest(request.ensemble_id, members, gate, calibration))
            plan_file = _write(stage, targets, name, manifest.encode())
            files.append(plan_file)
            rows.append(
                PlanRow(id=request.ensemble_id, seed=None, sha256=plan_file.sha256, smoke=False)
            )
        elif targets.ensemble_onnx is None:
            notes.append(
                f"no ensemble-level row '{request.ensemble_id}' in the registry: manifest left out"
            )
        else:
            notes.append(
                f"verdict does not let the ensemble row '{request.ensemble_id}' flip: manifest left out"
            )
        for note in notes:
            log.info("%s", note)

        _refuse_name_clashes(files)
        plan = FlipPlan(
            registry=targets.registry,
            ensemble_id=request.ensemble_id,
            verdict_file=pinned.path.name,
            verdict_sha256=pinned.sha256,
            pins=asdict(verdict.pins),
            rows=tuple(rows),
            files=tuple(files),
        )
        plan.write(stage)
        _verify_stage(stage, plan)
        export_seconds = time.perf_counter() - t0
        _publish(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        for folder in reversed(created):
            with contextlib.suppress(OSError):  # only if still empty
                folder.rmdir()
        raise
    return ExportReport(out, plan, parity, tuple(notes), fit_seconds, export_seconds)


def _write(stage: Path, targets: RegistryTargets, name: str, data: bytes) -> PlanFile:
    (stage / name).write_bytes(data)
    return PlanFile(path=targets.repo_path(name), artifact=name, sha256=sha256_bytes(data))


def _refuse_name_clashes(files: list[PlanFile]) -> None:
    names = [f.artifact for f in files] + [PLAN_FILENAME]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(
            f"registry: rows share the output file name(s) {', '.join(dupes)}; give each row its own onnx name"
        )


def _verify_stage(stage: Path, plan: FlipPlan) -> None:
    """Re-read what was written: every planned file exists with its planned sha256."""
    for f in plan.files:
        actual = sha256_file(stage / f.artifact)
        if actual != f.sha256:
            raise ExportCheckError(f"{f.artifact}: written sha256 {actual} != planned {f.sha256}")


def read_calibration(folder: Path, verdict: Verdict) -> dict[str, Any] | None:
    """The gate's ensemble-level calibration constants, if it wrote ``calibration.json``.

    Per-source rows stay in the gate's file; the sidecar gets the constants to
    ship (scale factors, levels, pooled coverage) and the file's sha256. A file
    made from other loso files than the verdict's is stale: refused.
    """
    path = folder / CALIBRATION_FILE
    if not path.is_file():
        return None
    doc = read_json(path)
    if not isinstance(doc, dict):
        raise InputError(f"{path}: expected a JSON object; rerun the gate")
    for key, pinned in (
        ("loso_files", verdict.pins.loso_files),
        ("corpus_sha256", verdict.pins.corpus_sha256),
    ):
        if key in doc and doc[key] != pinned:
            raise InputError(
                f"{path}: its {key} differ from the verdict's pins, so it belongs to another run; "
                "rerun the gate or remove it"
            )
    constants = {k: v for k, v in doc.items() if k not in _CALIBRATION_PER_RUN}
    return {"file": CALIBRATION_FILE, "sha256": sha256_file(path), "constants": constants}


def check_out_dir(out: Path) -> None:
    """``out`` must be new, empty, or a previous export (only its plan's files): we replace it whole."""
    out = Path(out)
    if not out.exists():
        return
    if not out.is_dir():
        raise InputError(f"{out}: --out-dir exists and is not a folder; choose a new folder")
    names = {p.name for p in out.iterdir()}
    ours = set()
    if PLAN_FILENAME in names:
        with contextlib.suppress(InputError):
            ours = {PLAN_FILENAME} | {f.artifact for f in FlipPlan.read(out / PLAN_FILENAME).files}
    foreign = sorted(names - ours)
    if foreign:
        raise InputError(
            f"{out}: --out-dir holds files that are not a previous export ({', '.join(foreign[:5])}); "
            "choose an empty or new folder"
        )


def _publish(stage: Path, out: Path) -> None:
    """Swap the staged folder into place; a previous export is replaced as a whole."""
    os.chmod(stage, 0o755)  # mkdtemp made it 0700
    if not out.exists():
        os.replace(stage, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.rmdir(old)
    os.replace(out, old)
    try:
        os.replace(stage, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _make_parents(folder: Path) -> list[Path]:
    """mkdir -p, returning the folders it created (to remove them again on failure)."""
    missing = []
    for p in [folder, *folder.parents]:
        if p.exists():
            break
        missing.append(p)
    folder.mkdir(parents=True, exist_ok=True)
    return list(reversed(missing))


__all__ = ["ExportReport", "ExportRequest", "FullCorpus", "run_export"]
