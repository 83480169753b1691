"""``calibration.json``: how well the ensemble's spread measures its error (informational).

Written by the gate next to the verdict; never part of the decision. See
``gate.calibration`` for the method.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flipbot.errors import InputError
from flipbot.fields import need
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
        """Read a calibration.json back (for the PR body and export's sidecars)."""
        try:
            version = need(doc, "schema_version", int, where)
            if version != SCHEMA_VERSION or doc.get("kind") != KIND:
                raise InputError(f"{where}: not a flipbot calibration of schema {SCHEMA_VERSION}")

            def levels(rows: list[dict[str, Any]]) -> tuple[LevelResult, ...]:
                return tuple(
                    LevelResult(
                        **(
                            r
                            | {
                                "half_width": None
                                if r["half_width"] is None
                                else tuple(r["half_width"])
                            }
                        )
                    )
                    for r in rows
                )

            return cls(
                method=need(doc, "method", str, where),
                levels=tuple(need(doc, "levels", list, where)),
                seeds=tuple(need(doc, "seeds", list, where)),
                sources=tuple(
                    SourceCalibration(**(s | {"levels": levels(s["levels"])}))
                    for s in need(doc, "sources", list, where)
                ),
                overall=levels(need(doc, "overall", list, where)),
                interval=need(doc, "interval", dict, where),
                warnings=tuple(need(doc, "warnings", list, where)),
                loso_files=need(doc, "loso_files", dict, where),
                corpus_sha256=need(doc, "corpus_sha256", str, where),
                schema_version=version,
            )
        except (TypeError, KeyError) as exc:
            raise InputError(f"{where}: malformed calibration ({exc}); rerun the gate") from None

    @classmethod
    def read(cls, path: str | Path) -> Calibration:
        return cls.from_json(read_json(path), str(path))
