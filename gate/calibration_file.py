"""``calibration.json``: how well the ensemble's spread measures its error (informational).

Written by the gate next to the verdict; never part of the decision. See
``gate.calibration`` for the method.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flipbot.errors import InputError
from flipbot.fields import (
    check_number,
    check_text,
    exact_keys,
    field_names,
    need,
    need_int,
    need_list,
    need_number,
    need_seeds,
    need_text,
    need_text_map,
)
from flipbot.jsonfile import read_json, write_json

SCHEMA_VERSION = 2
KIND = "flipbot.calibration"
FILENAME = "calibration.json"


@dataclass(frozen=True)
class LevelResult:
    """One target coverage level on one held-out source (or on all of them pooled)."""

    level: float  # the target coverage, e.g. 0.9
    method: str  # the method that fitted it (the shipped one, or the fallback for tiny runs)
    # Half-width per band of the ensemble mean, fitted on the OTHER sources only
    # (None when they are too few for this level, and for the pooled ``overall`` rows).
    half_width: tuple[float, ...] | None
    # Sources the interval was calibrated on (the other sources); for ``overall``, all of them.
    n_calibration: int
    coverage: float  # share of this source's frames inside their interval
    mean_width: float | None  # mean interval width in VMAF points; None when scale is None


@dataclass(frozen=True)
class SourceCalibration:
    source: str
    n_val: int
    mean_spread: float  # mean over frames of the seeds' prediction std (VMAF points)
    levels: tuple[LevelResult, ...]


@dataclass(frozen=True)
class Calibration:
    method: str  # the shipped method (gate.calibration.SHIPPED), docs/CALIBRATION.md
    levels: tuple[float, ...]
    seeds: tuple[int, ...]
    sources: tuple[SourceCalibration, ...]
    # Pooled over every held-out frame, each judged with its own source's scale.
    overall: tuple[LevelResult, ...]
    # The constants to ship, fitted on every source: "0.90" -> {method, mean_edges,
    # spread_edges, half_width, normalized}; None when too few sources. A consumer's
    # interval: mean ± half_width[i], i = number of mean_edges <= mean (README).
    interval: dict[str, dict[str, Any] | None]
    warnings: tuple[str, ...]
    loso_files: dict[str, str]  # file name -> sha256, as in the verdict's pins
    corpus_sha256: str
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {
            "kind": KIND,
            "informational": True,
            "protocol": (
                "split conformal, leave one source out: each held-out source is judged by the "
                "interval fitted on the other sources only"
            ),
        }

    def write(self, out_dir: str | Path) -> Path:
        path = Path(out_dir) / FILENAME
        write_json(path, self.to_json())
        return path

    @classmethod
    def from_json(cls, doc: Any, where: str) -> Calibration:
        """Read a calibration.json back (for the PR body and export's sidecars).

        It comes from the GPU side like the verdict: every record is held to its
        key set, types and ranges, so a bad one is exit 2, never a traceback.
        """
        version = need(doc, "schema_version", int, where)
        if version != SCHEMA_VERSION or doc.get("kind") != KIND:
            raise InputError(f"{where}: not a flipbot calibration of schema {SCHEMA_VERSION}")
        exact_keys(doc, where, field_names(cls), ("kind", "informational", "protocol"))
        return cls(
            method=need_text(doc, "method", where),
            levels=tuple(
                check_number(x, f"{where}: field 'levels'[{i}]", 0.0, 1.0)
                for i, x in enumerate(need_list(doc, "levels", where))
            ),
            seeds=need_seeds(doc, "seeds", where),
            sources=tuple(
                _source(s, f"{where}: sources[{i}]")
                for i, s in enumerate(need_list(doc, "sources", where))
            ),
            overall=_levels(doc, where, "overall"),
            interval=_interval(need(doc, "interval", dict, where), f"{where}: field 'interval'"),
            warnings=tuple(
                check_text(w, f"{where}: field 'warnings'[{i}]")
                for i, w in enumerate(need_list(doc, "warnings", where))
            ),
            loso_files=need_text_map(doc, "loso_files", where),
            corpus_sha256=need_text(doc, "corpus_sha256", where),  # "" when calibrated in memory
            schema_version=version,
        )

    @classmethod
    def read(cls, path: str | Path) -> Calibration:
        return cls.from_json(read_json(path), str(path))


# Scales, widths and spreads are VMAF points (or multiples of the spread).
BOUND = 1e9


def _levels(doc: Any, where: str, key: str) -> tuple[LevelResult, ...]:
    rows = []
    for i, row in enumerate(need_list(doc, key, where)):
        rw = f"{where}: field '{key}'[{i}]"
        exact_keys(row, rw, field_names(LevelResult))
        rows.append(
            LevelResult(
                level=need_number(row, "level", rw, lo=0.0, hi=1.0),  # type: ignore[arg-type]
                method=need_text(row, "method", rw),
                half_width=_numbers(row, "half_width", rw, nullable=True, lo=0.0),
                n_calibration=need_int(row, "n_calibration", rw),
                coverage=need_number(row, "coverage", rw, lo=0.0, hi=1.0),  # type: ignore[arg-type]
                mean_width=need_number(row, "mean_width", rw, nullable=True, lo=0.0, hi=BOUND),
            )
        )
    return tuple(rows)


def _source(doc: Any, where: str) -> SourceCalibration:
    exact_keys(doc, where, field_names(SourceCalibration))
    return SourceCalibration(
        source=need_text(doc, "source", where),
        n_val=need_int(doc, "n_val", where),
        mean_spread=need_number(doc, "mean_spread", where, lo=0.0, hi=BOUND),  # type: ignore[arg-type]
        levels=_levels(doc, where, "levels"),
    )


def _numbers(
    doc: Any, key: str, where: str, *, nullable: bool = False, lo: float = -BOUND
) -> tuple[float, ...] | None:
    if nullable and doc.get(key) is None and key in doc:
        return None
    return tuple(
        check_number(x, f"{where}: field '{key}'[{i}]", lo, BOUND)
        for i, x in enumerate(need_list(doc, key, where))
    )


_INTERVAL_KEYS = ("method", "mean_edges", "spread_edges", "half_width", "normalized")


def _interval(doc: dict[str, Any], where: str) -> dict[str, dict[str, Any] | None]:
    """The shipped constants (they reach the ensemble manifest): every value checked."""
    out: dict[str, dict[str, Any] | None] = {}
    for level, constants in doc.items():
        check_text(level, f"{where}: a key")
        lw = f"{where}['{level[:40]}']"
        if constants is None:
            out[level] = None
            continue
        exact_keys(constants, lw, _INTERVAL_KEYS)
        out[level] = {
            "method": need_text(constants, "method", lw),
            "mean_edges": list(_numbers(constants, "mean_edges", lw) or ()),
            "spread_edges": list(_numbers(constants, "spread_edges", lw) or ()),
            "half_width": list(_numbers(constants, "half_width", lw, lo=0.0) or ()),
            "normalized": need(constants, "normalized", bool, lw),
        }
    return out
