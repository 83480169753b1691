"""Export's ensemble-level documents: the gate's calibration constants and the manifest.

- :func:`read_calibration`: the constants of ``calibration.json`` beside the verdict
  (pinned to the same run), for every sidecar and the manifest;
- :func:`manifest_bytes`: the ensemble manifest export writes when the registry has an
  ensemble-level row, with what the repository's loader reads (SPEC §14).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flipbot.errors import InputError
from flipbot.features import Scaler
from flipbot.jsonfile import dumps, read_json, sha256_file
from flipbot.plan_file import PlanRow
from flipbot.verdict_file import Verdict
from gate.ensemble_loso import loso_numbers
from gate.loso_set import load_loso_set
from gate.rejudge import pinned_seeds
from trainer.pins import PinnedVerdict
from trainer.registry_view import RegistryTargets
from trainer.sidecar import ensemble_manifest, gate_numbers

CALIBRATION_FILE = "calibration.json"
# Keys of calibration.json that are not ensemble-level constants: per-source
# detail, and the pins (checked against the verdict's instead).
_CALIBRATION_PER_RUN = frozenset({"sources", "loso_files", "corpus_sha256"})


def manifest_bytes(
    ensemble_id: str,
    rows: list[PlanRow],
    targets: RegistryTargets,
    pinned: PinnedVerdict,
    calibration: dict[str, Any] | None,
    scaler: Scaler,
) -> bytes:
    members = [
        (r.id, r.seed, targets.seed_onnx[r.seed], r.sha256) for r in rows if r.seed is not None
    ]
    gate = gate_numbers(pinned.verdict, pinned.path.name, pinned.sha256)
    verdict = pinned.verdict
    run = load_loso_set(pinned.path.parent, pinned_seeds(verdict, pinned.path))
    loso = loso_numbers(run, verdict.flip)
    doc = ensemble_manifest(ensemble_id, members, gate, calibration, scaler=scaler, loso=loso)
    return dumps(doc).encode("ascii")


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
    pins = verdict.pins
    for key, pinned in (("loso_files", pins.loso_files), ("corpus_sha256", pins.corpus_sha256)):
        if key in doc and doc[key] != pinned:
            raise InputError(
                f"{path}: its {key} differ from the verdict's pins, so it belongs to another run; "
                "rerun the gate or remove it"
            )
    constants = {k: v for k, v in doc.items() if k not in _CALIBRATION_PER_RUN}
    # libvmaf's sidecar scan reads the first "kind" anywhere: the document's kind is kept
    # under another key so that only the sidecar's own `kind` is ever read.
    document = constants.pop("kind", None)
    return {
        "file": CALIBRATION_FILE,
        "sha256": sha256_file(path),
        "document": document,
        "constants": constants,
    }
