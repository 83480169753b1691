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
from flipbot.fields import (
    check_int,
    exact_keys,
    field_names,
    need,
    need_list,
    need_sha256,
    need_text,
    present,
)
from flipbot.jsonfile import read_json, write_json
from flipbot.verdict_file import VERDICT_NAMES, pins_from_json

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
        exact_keys(doc, where, field_names(cls), ("kind",))
        pins = need(doc, "pins", dict, where)
        pins_from_json(pins, f"{where}: pins")  # held to the verdict's pin types
        return cls(
            registry=need_text(doc, "registry", where),
            ensemble_id=need_text(doc, "ensemble_id", where),
            verdict_file=need_text(doc, "verdict_file", where, choices=VERDICT_NAMES),
            verdict_sha256=need_sha256(doc, "verdict_sha256", where),
            pins=pins,
            rows=tuple(
                _row(r, f"{where}: rows[{i}]") for i, r in enumerate(need_list(doc, "rows", where))
            ),
            files=tuple(
                _file(f, f"{where}: files[{i}]")
                for i, f in enumerate(need_list(doc, "files", where))
            ),
            drift_sha256=_optional_sha256(doc, where),
            recipe=need(doc, "recipe", dict, where) if "recipe" in doc else None,
            schema_version=version,
        )

    @classmethod
    def read(cls, path: str | Path) -> FlipPlan:
        return cls.from_json(read_json(path), str(path))


def _optional_sha256(doc: dict[str, Any], where: str) -> str | None:
    return None if doc.get("drift_sha256") is None else need_sha256(doc, "drift_sha256", where)


def _row(doc: Any, where: str) -> PlanRow:
    exact_keys(doc, where, field_names(PlanRow))
    seed = present(doc, "seed", where)
    return PlanRow(
        id=need_text(doc, "id", where),
        seed=None if seed is None else check_int(seed, f"{where}: field 'seed'"),
        sha256=need_sha256(doc, "sha256", where),
        smoke=need(doc, "smoke", bool, where),
    )


def _file(doc: Any, where: str) -> PlanFile:
    exact_keys(doc, where, field_names(PlanFile))
    return PlanFile(
        path=need_text(doc, "path", where),
        artifact=need_text(doc, "artifact", where),
        sha256=need_sha256(doc, "sha256", where),
    )
