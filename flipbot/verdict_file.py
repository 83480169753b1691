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
from flipbot.fields import (
    check_number,
    check_text,
    exact_keys,
    field_names,
    need,
    need_list,
    need_seeds,
    need_text,
)
from flipbot.jsonfile import read_json, write_json
from flipbot.untrusted_text import quoted

# The records inside a verdict; other modules import them from here too.
from flipbot.verdict_records import (
    RULE_BOUND,
    Pins,
    RuleResult,
    SeedOutcome,
    SourceRow,
    pins_from_json,
    rule_from_json,
    seed_outcome_from_json,
    source_row_from_json,
)

SCHEMA_VERSION = 1
KIND = "flipbot.verdict"
VERDICT_NAMES = ("PROMOTE.json", "HOLD.json")
DECISIONS = ("PROMOTE", "HOLD")
# The reason a flip is refused when the verdict names none: no seed cleared the gate (HOLD).
NO_SEED_CLEARED = "no seed cleared the gate"

# ADR-0303. Changing these needs a new decision record, never a silent edit.
MEAN_PLCC_MIN = 0.95
PLCC_SPREAD_MAX = 0.005
PER_SEED_PLCC_MIN = 0.95


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
        # "warnings" (informational, e.g. twin sources) is newer than schema 1: optional.
        required = [name for name in field_names(cls) if name != "warnings"]
        exact_keys(doc, where, required, ("kind", "warnings"))
        seeds = tuple(
            seed_outcome_from_json(s, f"{where}: seeds[{i}]")
            for i, s in enumerate(need_list(doc, "seeds", where))
        )
        verdict = cls(
            decision=need_text(doc, "decision", where, choices=DECISIONS),
            refused=need(doc, "refused", bool, where),
            refusal_reason=need_text(doc, "refusal_reason", where, nullable=True),
            rules=tuple(
                rule_from_json(r, f"{where}: rules[{i}]")
                for i, r in enumerate(need_list(doc, "rules", where))
            ),
            seeds=seeds,
            flip=need_seeds(doc, "flip", where),
            ensemble_flip=need(doc, "ensemble_flip", bool, where),
            diagnosis=need_text(doc, "diagnosis", where, nullable=True),
            thresholds={
                check_text(k, f"{where}: field 'thresholds': a key"): check_number(
                    v, f"{where}: field 'thresholds': {quoted(k)}", -RULE_BOUND, RULE_BOUND
                )
                for k, v in need(doc, "thresholds", dict, where).items()
            },
            thresholds_overridden=need(doc, "thresholds_overridden", bool, where),
            sources=tuple(
                check_text(s, f"{where}: field 'sources'[{i}]")
                for i, s in enumerate(need_list(doc, "sources", where))
            ),
            per_source=tuple(
                source_row_from_json(r, f"{where}: per_source[{i}]")
                for i, r in enumerate(need_list(doc, "per_source", where))
            ),
            recipe=need(doc, "recipe", dict, where),
            pins=pins_from_json(need(doc, "pins", dict, where), f"{where}: pins"),
            schema_version=version,
            warnings=_warnings(doc, where),
        )
        _check_consistent(verdict, where)
        return verdict

    @classmethod
    def read(cls, path: str | Path) -> Verdict:
        """Read a verdict; a ``PROMOTE.json`` must hold a PROMOTE and a ``HOLD.json`` a HOLD."""
        verdict = cls.from_json(read_json(path), str(path))
        check_file_name(verdict, path)
        return verdict


def check_file_name(verdict: Verdict, path: str | Path) -> None:
    """A ``PROMOTE.json`` must hold a PROMOTE and a ``HOLD.json`` a HOLD."""
    name = Path(path).name
    if name in VERDICT_NAMES and name != verdict.filename:
        raise InputError(
            f"{path}: field 'decision' is {verdict.decision} but the file is named {name}; "
            "the decision and the file name disagree (the verdict was edited or renamed after "
            "the gate), rerun the gate"
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


def _warnings(doc: dict[str, Any], where: str) -> tuple[str, ...]:
    if "warnings" not in doc:
        return ()
    return tuple(
        check_text(w, f"{where}: field 'warnings'[{i}]")
        for i, w in enumerate(need_list(doc, "warnings", where))
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
