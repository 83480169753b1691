"""``calibration.json``: how well the ensemble's spread measures its error (informational).

Written by the gate next to the verdict; never part of the decision. See
``gate.calibration`` for the method.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from flipbot.jsonfile import write_json

SCHEMA_VERSION = 1
KIND = "flipbot.calibration"
FILENAME = "calibration.json"


@dataclass(frozen=True)
class LevelResult:
    """One target coverage level on one held-out source (or on all of them pooled)."""

    level: float  # the target coverage, e.g. 0.9
    # Conformal quantile of the nonconformity scores of the OTHER sources: the
    # interval is mean ± scale·spread (normalized) or mean ± scale (absolute).
    # None when the calibration set is too small for this level.
    scale: float | None
    # Frames the scale was calibrated on (other sources only); for the pooled
    # ``overall`` rows, the number of held-out frames pooled.
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
    nonconformity: Literal["normalized", "absolute"]
    levels: tuple[float, ...]
    seeds: tuple[int, ...]
    sources: tuple[SourceCalibration, ...]
    # Pooled over every held-out frame, each judged with its own source's scale.
    overall: tuple[LevelResult, ...]
    # The factor to ship, calibrated on every source: str(level) -> scale.
    scale_factor: dict[str, float | None]
    warnings: tuple[str, ...]
    loso_files: dict[str, str]  # file name -> sha256, as in the verdict's pins
    corpus_sha256: str
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {
            "kind": KIND,
            "informational": True,
            "method": (
                "split conformal, leave one source out: each held-out source is calibrated on "
                "the other sources' frames only"
            ),
        }

    def write(self, out_dir: str | Path) -> Path:
        path = Path(out_dir) / FILENAME
        write_json(path, self.to_json())
        return path
