"""Markdown views of a verdict: the gate table, the per-source table, the seed outcomes.

The bot puts these in the flip PR body and the gate in the job summary, so
both show the same numbers. Source names come from the corpus and are
escaped: a name must never break a table or inject markup.
"""

from __future__ import annotations

from flipbot.untrusted_text import defuse_marker, markdown, one_line
from flipbot.verdict_file import RuleResult, SourceRow, Verdict
from gate.calibration_file import Calibration
from gate.warning_list import IN_SUMMARY, warning_items

_OPS = {">=": "≥", "<=": "≤"}
_RULE_LABEL = {
    "mean_plcc": "mean PLCC over seeds",
    "plcc_spread": "PLCC spread across seeds (max − min)",
    "per_seed_min": "every seed's PLCC (lowest shown)",
}


def escape_md(text: str) -> str:
    """Escape text read from a file for Markdown and HTML: see ``flipbot.untrusted_text``."""
    return markdown(text)


def _code(text: str) -> str:
    """``text`` as an inline code span it cannot leave (no backtick, pipe or newline inside)."""
    inner = defuse_marker(one_line(" ".join(str(text).split())))
    return "`" + inner.replace("`", "'").replace("|", "/") + "`"


def _fmt(value: float | None, decimals: int) -> str:
    return "n/a" if value is None else f"{value:.{decimals}f}"


def format_rule_value(rule: RuleResult, decimals: int = 5) -> str:
    """The value with enough decimals that it never looks equal to a threshold it misses."""
    for d in range(decimals, 13):
        shown = f"{rule.value:.{d}f}"
        if rule.passed or shown != f"{rule.threshold:.{d}f}":
            return shown
    return repr(rule.value)


def render_gate_table(verdict: Verdict) -> str:
    lines = ["| rule | value | threshold | result |", "|---|---:|---:|:---:|"]
    for rule in verdict.rules:
        label = _RULE_LABEL.get(rule.name, escape_md(rule.name))
        result = "✅ pass" if rule.passed else "❌ **fail**"
        threshold = f"{_OPS.get(rule.op, rule.op)} {rule.threshold:g}"
        lines.append(
            f"| {label} (`{rule.name}`) | {format_rule_value(rule)} | {threshold} | {result} |"
        )
    if verdict.thresholds_overridden:
        lines.append("")
        lines.append(
            "**Thresholds were loosened with an explicit override; ADR-0303's gate is not "
            "what passed here.**"
        )
    return "\n".join(lines) + "\n"


def worst_source(rows: tuple[SourceRow, ...]) -> str | None:
    """The source the ensemble generalises to worst (an undefined PLCC counts as worst)."""
    if not rows:
        return None
    return min(
        rows, key=lambda r: (r.ensemble_plcc is not None, r.ensemble_plcc or 0.0, r.source)
    ).source


def render_source_table(verdict: Verdict, *, decimals: int = 4) -> str:
    seeds = [str(s.seed) for s in verdict.seeds]
    head = ["held-out source", *(f"PLCC seed {s}" for s in seeds)]
    head += ["ensemble PLCC", "ensemble SROCC", "ensemble RMSE", "n_val"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    worst = worst_source(verdict.per_source)
    for row in verdict.per_source:
        name = escape_md(row.source)
        if row.source == worst:
            name = f"**{name}** ⚠ worst"
        cells = [name, *(_fmt(row.plcc_by_seed.get(s), decimals) for s in seeds)]
        cells += [
            _fmt(row.ensemble_plcc, decimals),
            _fmt(row.ensemble_srocc, decimals),
            _fmt(row.ensemble_rmse, decimals),
            str(row.n_val),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "Ensemble columns score the mean of the seeds' held-out predictions; "
        "⚠ marks the source with the lowest ensemble PLCC."
    )
    return "\n".join(lines) + "\n"


def render_seed_outcomes(verdict: Verdict) -> str:
    lines = []
    if verdict.refused:
        lines.append(f"**Refused — nothing flips.** {escape_md(verdict.refusal_reason or '')}")
        lines.append("")
    for s in verdict.seeds:
        what = "flips to `smoke: false`" if s.flips else "stays `smoke: true`"
        lines.append(f"- seed {s.seed} (PLCC {s.plcc:.5f}): {what} — {escape_md(s.reason)}")
    ensemble = (
        "may flip, if the registry has one and every member was judged (every seed clears "
        "and all three rules hold)"
        if verdict.ensemble_flip
        else "stays smoke (it flips only when every seed clears and all three rules hold)"
    )
    lines.append(f"- ensemble-level entry: {ensemble}")
    if verdict.diagnosis:
        lines.append("")
        lines.append(f"**Diagnosis:** {escape_md(verdict.diagnosis)}")
    return "\n".join(lines) + "\n"


def render_summary(verdict: Verdict) -> str:
    """The whole Markdown report for ``$GITHUB_STEP_SUMMARY``."""
    flips = ", ".join(map(str, verdict.flip)) or "none"
    parts = [
        f"## flipbot gate: {verdict.decision}" + (" (refused)" if verdict.refused else ""),
        "",
        f"Seeds that flip: {flips}. Corpus sha256 {_code(verdict.pins.corpus_sha256)}, "
        f"commit {_code(verdict.pins.git_commit or 'unknown')}.",
        "",
        render_report_tables(verdict),
    ]
    if verdict.warnings:
        parts += [*warning_items(verdict.warnings, IN_SUMMARY), ""]
    return "\n".join(parts)


def render_report_tables(verdict: Verdict) -> str:
    """The gate table, the seed outcomes and the full per-source table, in report order."""
    parts = [
        render_gate_table(verdict),
        "### Seeds",
        "",
        render_seed_outcomes(verdict),
        "### Per held-out source",
        "",
        render_source_table(verdict),
    ]
    return "\n".join(parts)


def describe_interval(cal: Calibration) -> str:
    """``0.90: ±[a, b, c] VMAF by mean band (<e1, <e2, ...)`` per level."""
    parts = []
    for key, c in cal.interval.items():
        if c is None:
            parts.append(f"{escape_md(key)}: n/a")
            continue
        half = ", ".join(f"{h:.3g}" for h in c["half_width"])
        edges = ", ".join(f"{e:g}" for e in c["mean_edges"])
        parts.append(
            f"{escape_md(key)}: ±[{half}] VMAF by mean band "
            + (f"(edges {edges})" if edges else "(one band)")
        )
    return "; ".join(parts)


def render_calibration(cal: Calibration) -> str:
    """Coverage and width of the conformal intervals per held-out source (informational)."""
    levels = [f"{lv:.0%}" for lv in cal.levels]
    head = ["held-out source", "mean spread"]
    head += [f"{lv} coverage" for lv in levels] + [f"{lv} width" for lv in levels]
    lines = [
        "### Calibration of the ensemble's intervals (informational)",
        "",
        f"Split conformal, {escape_md(cal.method)} (docs/CALIBRATION.md); each source is judged "
        "by the interval fitted on the other sources only. Widths in VMAF points.",
        "",
        "| " + " | ".join(head) + " |",
        "|---|" + "---:|" * (len(head) - 1),
    ]
    for src in cal.sources:
        cells = [escape_md(src.source), f"{src.mean_spread:.3f}"]
        cells += [f"{r.coverage:.1%}" for r in src.levels]
        cells += [_fmt(r.mean_width, 3) for r in src.levels]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"Interval to ship (fitted on every source): {describe_interval(cal)}."]
    lines += [f"- ⚠ {escape_md(w)}" for w in cal.warnings]
    return "\n".join(lines) + "\n"
