"""The gate's terminal output: a compact plain-text table and GitHub annotations.

Every line goes through ``flipbot.untrusted_text.log_line``: a source name or reason read from a
loso file never splits a line or starts a workflow command."""

from __future__ import annotations

from pathlib import Path

from flipbot.untrusted_text import log_line
from flipbot.verdict_file import Verdict
from gate.calibration_file import Calibration
from gate.render import describe_interval, format_rule_value, worst_source


def format_console(verdict: Verdict, written: Path | None = None) -> str:
    """Rules, seeds and per-source numbers as aligned plain text."""
    head = f"flipbot gate: {verdict.decision}" + (" (REFUSED)" if verdict.refused else "")
    lines = [
        head,
        f"  {len(verdict.seeds)} seed(s), {len(verdict.sources)} held-out source(s), "
        f"corpus sha256 {verdict.pins.corpus_sha256[:12]}",
        "",
        f"  {'rule':<14} {'value':>10}  {'threshold':<10} result",
    ]
    for r in verdict.rules:
        result = "pass" if r.passed else "FAIL"
        lines.append(
            f"  {r.name:<14} {format_rule_value(r):>10}  {r.op} {r.threshold:<7g} {result}"
        )
    if verdict.thresholds_overridden:
        lines.append("  thresholds LOOSENED by explicit override (not ADR-0303's gate)")
    lines += ["", f"  {'seed':<6} {'PLCC':>8}  outcome"]
    for s in verdict.seeds:
        outcome = "flips" if s.flips else "stays smoke"
        lines.append(f"  {s.seed:<6} {s.plcc:>8.5f}  {outcome}: {s.reason}")
    ensemble = "may flip (if the registry has one)" if verdict.ensemble_flip else "stays smoke"
    lines.append(f"  ensemble entry: {ensemble}")
    lines += ["", *_source_lines(verdict)]
    if verdict.refusal_reason:
        lines += ["", f"refused: {verdict.refusal_reason}"]
    if verdict.diagnosis:
        lines += ["", f"diagnosis: {verdict.diagnosis}"]
    if verdict.warnings:
        lines += ["", *(f"warning: {w}" for w in verdict.warnings)]
    if written is not None:
        lines += ["", f"verdict written to {written}"]
    return _text(lines)


def _text(lines: list[str]) -> str:
    """The lines, each one line for the log: names and reasons come from the loso files."""
    return "".join(log_line(line) + "\n" for line in lines)


def _source_lines(verdict: Verdict) -> list[str]:
    seeds = [str(s.seed) for s in verdict.seeds]
    width = max([len("source"), *(len(r.source) for r in verdict.per_source)])
    cols = [f"s{s}" for s in seeds] + ["ens.PLCC", "SROCC", "RMSE"]
    lines = [f"  {'source':<{width}} {'n_val':>6} " + " ".join(f"{c:>8}" for c in cols)]
    worst = worst_source(verdict.per_source)
    for r in verdict.per_source:
        values = [r.plcc_by_seed.get(s) for s in seeds]
        values += [r.ensemble_plcc, r.ensemble_srocc, r.ensemble_rmse]
        cells = " ".join("     n/a" if v is None else f"{v:>8.4f}" for v in values)
        mark = "  <- worst" if r.source == worst else ""
        lines.append(f"  {r.source:<{width}} {r.n_val:>6} {cells}{mark}")
    return lines


def _escape_command(text: str) -> str:
    # GitHub workflow-command data escaping: % first, then line breaks.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def format_calibration(cal: Calibration, written: Path) -> str:
    """One line per level, then the under-coverage warnings (informational)."""
    lines = [f"calibration ({cal.method}, informational): {written}"]
    for lv in cal.overall:
        width = "n/a" if lv.mean_width is None else f"{lv.mean_width:.3f}"
        worst = min(
            (s for s in cal.sources), key=lambda s: s.levels[cal.levels.index(lv.level)].coverage
        )
        worst_cov = worst.levels[cal.levels.index(lv.level)].coverage
        lines.append(
            f"  {lv.level:.0%} interval: coverage {lv.coverage:.1%} across held-out sources "
            f"(worst {worst.source} {worst_cov:.1%}), mean width {width} VMAF"
        )
    lines.append(f"  to ship: {describe_interval(cal)}")
    lines += [f"  warning: {w}" for w in cal.warnings]
    return _text(lines)


def workflow_annotations(verdict: Verdict, cal: Calibration | None = None) -> list[str]:
    """``::error`` lines for a refusal, ``::warning`` for any other HOLD or poor calibration."""
    calibration = [
        f"::warning title=flipbot calibration::{_escape_command(w)}"
        for w in (cal.warnings if cal is not None else ())
    ]
    findings = [f"::warning title=flipbot gate::{_escape_command(w)}" for w in verdict.warnings]
    return _verdict_annotations(verdict) + findings + calibration


def _verdict_annotations(verdict: Verdict) -> list[str]:
    if verdict.refused:
        lines = [f"::error title=flipbot gate::{_escape_command(str(verdict.refusal_reason))}"]
        lines += [
            f"::error title=flipbot gate::rule {r.name} failed: {format_rule_value(r)} not {r.op} "
            f"{r.threshold:g}"
            for r in verdict.rules
            if not r.passed
        ]
        return lines
    if verdict.decision == "HOLD":
        return [f"::warning title=flipbot gate::HOLD: {_escape_command(str(verdict.diagnosis))}"]
    return []
