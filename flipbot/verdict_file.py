"""``PROMOTE.json`` / ``HOLD.json``: the gate's verdict (SPEC §6).

Written by ``gate``; read by ``trainer export`` and ``bot``, which refuse to
act when the pins do not match the files they are given.

Decision semantics:
- ``PROMOTE``: all three rules hold; every seed flips (and an ensemble-level
  registry entry may flip: ``ensemble_flip``).
- ``HOLD`` with ``refused``: the spread rule failed; nothing flips, no PR.
- ``HOLD`` without ``refused``: some rule failed but the spread holds; the
  seeds that individually clear still flip (``flip`` may be non-empty).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from flipbot.errors import InputError
from flipbot.fields import need
from flipbot.jsonfile import read_json, write_json

SCHEMA_VERSION = 1
KIND = "flipbot.verdict"
VERDICT_NAMES = ("PROMOTE.json", "HOLD.json")

# ADR-0303. Changing these needs a new decision record, never a silent edit.
MEAN_PLCC_MIN = 0.95
PLCC_SPREAD_MAX = 0.005
PER_SEED_PLCC_MIN = 0.95


@dataclass(frozen=True)
class RuleResult:
    name: str  # "mean_plcc" | "plcc_spread" | "per_seed_min"
    description: str
    value: float
    threshold: float
    op: Literal[">=", "<="]
    passed: bool


@dataclass(frozen=True)
class SeedOutcome:
    seed: int
    plcc: float  # the seed's mean per-source LOSO PLCC
    passed: bool  # plcc >= per-seed threshold
    flips: bool
    reason: str  # why it flips or stays smoke, one sentence


@dataclass(frozen=True)
class SourceRow:
    """One held-out source of the per-source table."""

    source: str
    n_val: int
    plcc_by_seed: dict[str, float]  # str(seed) -> PLCC
    ensemble_plcc: float | None  # PLCC of the mean of the seeds' predictions
    ensemble_srocc: float | None
    ensemble_rmse: float


@dataclass(frozen=True)
class Pins:
    loso_files: dict[str, str]  # file name -> sha256
    corpus: str
    corpus_sha256: str
    git_commit: str | None
    versions: dict[str, str]


@dataclass(frozen=True)
class Verdict:
    decision: Literal["PROMOTE", "HOLD"]
    refused: bool
    refusal_reason: str | None
    rules: tuple[RuleResult, ...]
    seeds: tuple[SeedOutcome, ...]
    flip: tuple[int, ...]  # seeds whose registry rows flip to smoke: false
    ensemble_flip: bool  # an ensemble-level registry entry may flip
    diagnosis: str | None  # for HOLD: what probably went wrong and what to do
    thresholds: dict[str, float]  # rule name (mean_plcc, plcc_spread, per_seed_min) -> threshold
    thresholds_overridden: bool  # a threshold was loosened through an explicit override
    sources: tuple[str, ...]
    per_source: tuple[SourceRow, ...]
    recipe: dict[str, Any]
    pins: Pins
    schema_version: int = SCHEMA_VERSION
    # Informational findings (e.g. two sources that look identical): shown, never decisive.
    warnings: tuple[str, ...] = ()

    @property
    def filename(self) -> str:
        return f"{self.decision}.json"

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["kind"] = KIND
        return doc

    def write(self, out_dir: str | Path) -> Path:
        """Write the verdict and remove a stale verdict of the other kind."""
        out = Path(out_dir)
        path = out / self.filename
        write_json(path, self.to_json())
        for name in VERDICT_NAMES:
            if name != self.filename:
                (out / name).unlink(missing_ok=True)
        return path

    @classmethod
    def from_json(cls, doc: Any, where: str) -> Verdict:
        version = need(doc, "schema_version", int, where)
        if version != SCHEMA_VERSION or doc.get("kind") != KIND:
            raise InputError(
                f"{where}: not a flipbot verdict of schema {SCHEMA_VERSION}; rerun the gate"
            )
        try:
            pins = Pins(**need(doc, "pins", dict, where))
            return cls(
                decision=need(doc, "decision", str, where),
                refused=need(doc, "refused", bool, where),
                refusal_reason=doc.get("refusal_reason"),
                rules=tuple(RuleResult(**r) for r in need(doc, "rules", list, where)),
                seeds=tuple(SeedOutcome(**s) for s in need(doc, "seeds", list, where)),
                flip=tuple(need(doc, "flip", list, where)),
                ensemble_flip=need(doc, "ensemble_flip", bool, where),
                diagnosis=doc.get("diagnosis"),
                thresholds=need(doc, "thresholds", dict, where),
                thresholds_overridden=need(doc, "thresholds_overridden", bool, where),
                sources=tuple(need(doc, "sources", list, where)),
                per_source=tuple(SourceRow(**r) for r in need(doc, "per_source", list, where)),
                recipe=need(doc, "recipe", dict, where),
                pins=pins,
                schema_version=version,
                warnings=_warnings(doc, where),
            )
        except TypeError as exc:
            raise InputError(f"{where}: malformed verdict ({exc}); rerun the gate") from None

    @classmethod
    def read(cls, path: str | Path) -> Verdict:
        return cls.from_json(read_json(path), str(path))


def _warnings(doc: dict[str, Any], where: str) -> tuple[str, ...]:
    found = doc.get("warnings", [])
    if not isinstance(found, list) or not all(isinstance(w, str) for w in found):
        raise InputError(f"{where}: 'warnings' must be a list of strings; rerun the gate")
    return tuple(found)


def find_verdict(folder: str | Path) -> Path:
    """The one verdict file in ``folder``; an InputError if none or both."""
    folder = Path(folder)
    found = [folder / n for n in VERDICT_NAMES if (folder / n).exists()]
    if len(found) != 1:
        what = "no verdict" if not found else "both PROMOTE.json and HOLD.json"
        raise InputError(f"{folder}: {what} found; run `python -m gate {folder}` first")
    return found[0]
