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

import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

from flipbot.errors import InputError
from flipbot.fields import (
    VALUE_BOUND,
    check_number,
    check_sha256,
    check_text,
    exact_keys,
    need,
    need_int,
    need_list,
    need_number,
    need_seeds,
    need_sha256,
    need_text,
    need_text_map,
)
from flipbot.jsonfile import read_json, write_json

SCHEMA_VERSION = 1
KIND = "flipbot.verdict"
VERDICT_NAMES = ("PROMOTE.json", "HOLD.json")
DECISIONS = ("PROMOTE", "HOLD")
# Rule values and thresholds are PLCCs (in [-1, 1]) or a spread of two (in [0, 2]).
RULE_BOUND = 2.0
LOSO_NAME = re.compile(r"loso_seed[0-9]{1,9}\.json")
SEED_KEY = re.compile(r"[0-9]{1,9}")
GIT_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")

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
        exact_keys(doc, where, _fields(cls), ("kind",))
        seeds = tuple(
            _seed_outcome(s, f"{where}: seeds[{i}]")
            for i, s in enumerate(need_list(doc, "seeds", where))
        )
        verdict = cls(
            decision=need_text(doc, "decision", where, choices=DECISIONS),
            refused=need(doc, "refused", bool, where),
            refusal_reason=need_text(doc, "refusal_reason", where, nullable=True),
            rules=tuple(
                _rule(r, f"{where}: rules[{i}]")
                for i, r in enumerate(need_list(doc, "rules", where))
            ),
            seeds=seeds,
            flip=need_seeds(doc, "flip", where),
            ensemble_flip=need(doc, "ensemble_flip", bool, where),
            diagnosis=need_text(doc, "diagnosis", where, nullable=True),
            thresholds={
                check_text(k, f"{where}: field 'thresholds': a key"): check_number(
                    v, f"{where}: field 'thresholds': '{k[:80]}'", -RULE_BOUND, RULE_BOUND
                )
                for k, v in need(doc, "thresholds", dict, where).items()
            },
            thresholds_overridden=need(doc, "thresholds_overridden", bool, where),
            sources=tuple(
                check_text(s, f"{where}: field 'sources'[{i}]")
                for i, s in enumerate(need_list(doc, "sources", where))
            ),
            per_source=tuple(
                _source_row(r, f"{where}: per_source[{i}]")
                for i, r in enumerate(need_list(doc, "per_source", where))
            ),
            recipe=need(doc, "recipe", dict, where),
            pins=pins_from_json(need(doc, "pins", dict, where), f"{where}: pins"),
            schema_version=version,
        )
        _check_consistent(verdict, where)
        return verdict

    @classmethod
    def read(cls, path: str | Path) -> Verdict:
        """Read a verdict; a ``PROMOTE.json`` must hold a PROMOTE and a ``HOLD.json`` a HOLD."""
        verdict = cls.from_json(read_json(path), str(path))
        name = Path(path).name
        if name in VERDICT_NAMES and name != verdict.filename:
            raise InputError(
                f"{path}: field 'decision' is {verdict.decision} but the file is named {name}; "
                "the verdict was edited or renamed after the gate, rerun the gate"
            )
        return verdict


def pins_from_json(doc: Any, where: str) -> Pins:
    """A verdict's pins (also copied into the flip plan): exact keys, sha256s, loso file names."""
    exact_keys(doc, where, _fields(Pins))
    loso_files = need_text_map(doc, "loso_files", where)
    for name, digest in loso_files.items():
        if not LOSO_NAME.fullmatch(name):
            raise InputError(
                f"{where}: field 'loso_files' names {name[:80]!r}, not a loso_seed<N>.json file; "
                "rerun the gate"
            )
        check_sha256(digest, f"{where}: field 'loso_files': '{name}'")
    commit = need_text(doc, "git_commit", where, nullable=True)
    if commit is not None and not GIT_COMMIT.fullmatch(commit):
        raise InputError(
            f"{where}: field 'git_commit' is {commit[:80]!r}, not a commit sha; rerun the gate"
        )
    return Pins(
        loso_files=loso_files,
        corpus=need_text(doc, "corpus", where),
        corpus_sha256=need_sha256(doc, "corpus_sha256", where),
        git_commit=commit,
        versions=need_text_map(doc, "versions", where),
    )


def _fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _rule(doc: Any, where: str) -> RuleResult:
    exact_keys(doc, where, _fields(RuleResult))
    return RuleResult(
        name=need_text(doc, "name", where),
        description=need_text(doc, "description", where),
        value=need_number(doc, "value", where, lo=-RULE_BOUND, hi=RULE_BOUND),  # type: ignore[arg-type]
        threshold=need_number(doc, "threshold", where, lo=-RULE_BOUND, hi=RULE_BOUND),  # type: ignore[arg-type]
        op=need_text(doc, "op", where, choices=(">=", "<=")),
        passed=need(doc, "passed", bool, where),
    )


def _seed_outcome(doc: Any, where: str) -> SeedOutcome:
    exact_keys(doc, where, _fields(SeedOutcome))
    return SeedOutcome(
        seed=need_int(doc, "seed", where),
        plcc=need_number(doc, "plcc", where, lo=-1.0, hi=1.0),  # type: ignore[arg-type]
        passed=need(doc, "passed", bool, where),
        flips=need(doc, "flips", bool, where),
        reason=need_text(doc, "reason", where),
    )


def _source_row(doc: Any, where: str) -> SourceRow:
    exact_keys(doc, where, _fields(SourceRow))
    by_seed = need(doc, "plcc_by_seed", dict, where)
    for key, value in by_seed.items():
        if not SEED_KEY.fullmatch(key):
            raise InputError(
                f"{where}: field 'plcc_by_seed' has key {key[:80]!r}, not a seed number; "
                "rerun the gate"
            )
        check_number(value, f"{where}: field 'plcc_by_seed': '{key}'", -1.0, 1.0)
    return SourceRow(
        source=need_text(doc, "source", where),
        n_val=need_int(doc, "n_val", where),
        plcc_by_seed={k: float(v) for k, v in by_seed.items()},
        ensemble_plcc=need_number(doc, "ensemble_plcc", where, nullable=True, lo=-1.0, hi=1.0),
        ensemble_srocc=need_number(doc, "ensemble_srocc", where, nullable=True, lo=-1.0, hi=1.0),
        ensemble_rmse=need_number(doc, "ensemble_rmse", where, lo=0.0, hi=2 * VALUE_BOUND),  # type: ignore[arg-type]
    )


def _check_consistent(verdict: Verdict, where: str) -> None:
    """What a verdict says about itself must agree (the gate's rules are re-run elsewhere)."""
    judged = [s.seed for s in verdict.seeds]
    if len(set(judged)) != len(judged):
        raise InputError(f"{where}: field 'seeds' lists a seed twice; rerun the gate")
    strangers = sorted(set(verdict.flip) - set(judged))
    if strangers:
        raise InputError(
            f"{where}: field 'flip' names seed {strangers[0]}, which the verdict never judged "
            "(field 'seeds'); rerun the gate"
        )
    if verdict.decision == "PROMOTE" and verdict.refused:
        raise InputError(
            f"{where}: field 'decision' is PROMOTE but field 'refused' is true; rerun the gate"
        )


def find_verdict(folder: str | Path) -> Path:
    """The one verdict file in ``folder``; an InputError if none or both."""
    folder = Path(folder)
    try:
        found = [folder / n for n in VERDICT_NAMES if (folder / n).exists()]
    except OSError as exc:
        raise InputError(f"{folder}: cannot be read ({exc.strerror}); check the path") from None
    if len(found) != 1:
        what = "no verdict" if not found else "both PROMOTE.json and HOLD.json"
        raise InputError(f"{folder}: {what} found; run `python -m gate {folder}` first")
    return found[0]
