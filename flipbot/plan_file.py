"""``flip_plan.json``: what ``trainer export`` produced for the bot to ship (SPEC §7).

Export writes the ONNX files and sidecars into its output folder plus this
plan; the bot's registry module applies ``rows`` to the registry it reads
from the base branch, and commits ``files`` and the registry together.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flipbot.errors import InputError
from flipbot.fields import need
from flipbot.jsonfile import read_json, write_json

SCHEMA_VERSION = 1
KIND = "flipbot.flip_plan"
FILENAME = "flip_plan.json"
DRIFT_FILENAME = "drift.json"  # export's score-drift report beside the plan (trainer/drift.py)


@dataclass(frozen=True)
class PlanRow:
    """A registry row to change: only ``sha256`` and ``smoke`` are touched."""

    id: str  # e.g. "fr_regressor_v2_ensemble_v1_seed0"
    seed: int | None  # None for an ensemble-level row
    sha256: str  # of the new ONNX file; for an ensemble-level row, of its manifest JSON
    smoke: bool  # always False in a flip


@dataclass(frozen=True)
class PlanFile:
    """A file to commit: ``artifact`` (relative to the plan's folder) -> ``path`` in the repo."""

    path: str  # repository-relative destination, e.g. "model/tiny/fr_..._seed0.onnx"
    artifact: str  # file name inside the export folder
    sha256: str


@dataclass(frozen=True)
class FlipPlan:
    registry: str  # repository-relative registry path the plan was made for
    ensemble_id: str
    verdict_file: str  # "PROMOTE.json" | "HOLD.json"
    verdict_sha256: str
    pins: dict[str, Any]  # a copy of the verdict's pins
    rows: tuple[PlanRow, ...]
    files: tuple[PlanFile, ...]
    # sha256 of drift.json in the plan's folder (informational, not committed); None: not measured
    drift_sha256: str | None = None
    # The recipe every shipped model was fitted with (trainer's Recipe); the bot compares it
    # with the recipe the verdict judged. None only in plans written before it was recorded.
    recipe: dict[str, Any] | None = None
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"kind": KIND}

    def write(self, out_dir: str | Path) -> Path:
        path = Path(out_dir) / FILENAME
        write_json(path, self.to_json())
        return path

    @classmethod
    def from_json(cls, doc: Any, where: str) -> FlipPlan:
        version = need(doc, "schema_version", int, where)
        if version != SCHEMA_VERSION or doc.get("kind") != KIND:
            raise InputError(
                f"{where}: not a flipbot flip plan of schema {SCHEMA_VERSION}; rerun export"
            )
        try:
            return cls(
                registry=need(doc, "registry", str, where),
                ensemble_id=need(doc, "ensemble_id", str, where),
                verdict_file=need(doc, "verdict_file", str, where),
                verdict_sha256=need(doc, "verdict_sha256", str, where),
                pins=need(doc, "pins", dict, where),
                rows=tuple(PlanRow(**r) for r in need(doc, "rows", list, where)),
                files=tuple(PlanFile(**f) for f in need(doc, "files", list, where)),
                drift_sha256=_optional_sha256(doc, where),
                recipe=need(doc, "recipe", dict, where) if "recipe" in doc else None,
                schema_version=version,
            )
        except TypeError as exc:
            raise InputError(f"{where}: malformed flip plan ({exc}); rerun export") from None

    @classmethod
    def read(cls, path: str | Path) -> FlipPlan:
        return cls.from_json(read_json(path), str(path))


def _optional_sha256(doc: dict[str, Any], where: str) -> str | None:
    value = doc.get("drift_sha256")
    if value is not None and not (isinstance(value, str) and len(value) == 64):
        raise InputError(f"{where}: drift_sha256 must be a sha256 hex string or null; rerun export")
    return value
