"""The records inside a verdict (rules, seed outcomes, per-source rows, pins) and their readers.

Each reader takes the exact key set of its record, the right JSON types
and numbers in range: a PLCC in [-1, 1], a rule value or threshold in
[-2, 2] (a spread of two PLCCs), integer seeds, sha256 pins, and pinned
loso file names that are plain ``loso_seed<N>.json`` names (never a path).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from flipbot.errors import InputError
from flipbot.fields import (
    VALUE_BOUND,
    check_number,
    check_sha256,
    exact_keys,
    field_names,
    need,
    need_int,
    need_number,
    need_sha256,
    need_text,
    need_text_map,
)
from flipbot.untrusted_text import quoted

# Rule values and thresholds are PLCCs (in [-1, 1]) or a spread of two (in [0, 2]).
RULE_BOUND = 2.0
LOSO_NAME = re.compile(r"loso_seed[0-9]{1,9}\.json")
SEED_KEY = re.compile(r"[0-9]{1,9}")
GIT_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


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


def pins_from_json(doc: Any, where: str) -> Pins:
    """A verdict's pins (also copied into the flip plan): exact keys, sha256s, loso file names."""
    exact_keys(doc, where, field_names(Pins))
    loso_files = need_text_map(doc, "loso_files", where)
    for name, digest in loso_files.items():
        if not LOSO_NAME.fullmatch(name):
            raise InputError(
                f"{where}: field 'loso_files' names {quoted(name)}, not a loso_seed<N>.json file; "
                "rerun the gate"
            )
        check_sha256(digest, f"{where}: field 'loso_files': '{name}'")
    commit = need_text(doc, "git_commit", where, nullable=True)
    if commit is not None and not GIT_COMMIT.fullmatch(commit):
        raise InputError(
            f"{where}: field 'git_commit' is {quoted(commit)}, not a commit sha; rerun the gate"
        )
    return Pins(
        loso_files=loso_files,
        corpus=need_text(doc, "corpus", where),
        corpus_sha256=need_sha256(doc, "corpus_sha256", where),
        git_commit=commit,
        versions=need_text_map(doc, "versions", where),
    )


def rule_from_json(doc: Any, where: str) -> RuleResult:
    exact_keys(doc, where, field_names(RuleResult))
    return RuleResult(
        name=need_text(doc, "name", where),
        description=need_text(doc, "description", where),
        value=need_number(doc, "value", where, lo=-RULE_BOUND, hi=RULE_BOUND),  # type: ignore[arg-type]
        threshold=need_number(doc, "threshold", where, lo=-RULE_BOUND, hi=RULE_BOUND),  # type: ignore[arg-type]
        op=need_text(doc, "op", where, choices=(">=", "<=")),
        passed=need(doc, "passed", bool, where),
    )


def seed_outcome_from_json(doc: Any, where: str) -> SeedOutcome:
    exact_keys(doc, where, field_names(SeedOutcome))
    return SeedOutcome(
        seed=need_int(doc, "seed", where),
        plcc=need_number(doc, "plcc", where, lo=-1.0, hi=1.0),  # type: ignore[arg-type]
        passed=need(doc, "passed", bool, where),
        flips=need(doc, "flips", bool, where),
        reason=need_text(doc, "reason", where),
    )


def source_row_from_json(doc: Any, where: str) -> SourceRow:
    exact_keys(doc, where, field_names(SourceRow))
    by_seed = need(doc, "plcc_by_seed", dict, where)
    for key, value in by_seed.items():
        if not SEED_KEY.fullmatch(key):
            raise InputError(
                f"{where}: field 'plcc_by_seed' has key {quoted(key)}, not a seed number; "
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
