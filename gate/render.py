"""Markdown views of a verdict: the gate table, the per-source table, the seed outcomes.

The bot puts these in the flip PR body and the gate in the job summary, so
both show the same numbers. Source names come from the corpus and are
escaped: a name must never break a table or inject markup.
"""

from __future__ import annotations

import statistics

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


def source_spread(row: SourceRow, seeds: list[str]) -> float | None:
    """max - min of the seeds' PLCC on one source (None when a seed has no value)."""
    values = [row.plcc_by_seed.get(s) for s in seeds]
    known = [v for v in values if v is not None]
    return max(known) - min(known) if len(known) == len(seeds) and known else None


def seed_means(verdict: Verdict) -> dict[str, float | None]:
    """Each seed's mean PLCC over the held-out sources: the headline per-seed PLCC."""
    return {
        str(s.seed): _mean([r.plcc_by_seed.get(str(s.seed)) for r in verdict.per_source])
        for s in verdict.seeds
    }


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.fmean(known) if known and len(known) == len(values) else None


def render_source_table(
    verdict: Verdict, *, decimals: int = 4, per_seed: bool = True, with_rules: bool = False
) -> str:
    """The per-source table: a row per held-out source, the PLCC of each seed (``per_seed``),
    the ensemble's PLCC, SROCC, RMSE and frame count; ⚠ marks the lowest ensemble PLCC.

    ``with_rules`` (the PR body) ties the table to the rules: a spread column (max - min of the
    seeds' PLCC on each source) and a closing row that averages each column over the sources:
    a seed's mean is its headline LOSO PLCC (the per-seed rule), the spread of the means is the
    spread rule, and the mean of the means is the mean-PLCC rule.
    """
    seeds = [str(s.seed) for s in verdict.seeds]
    shown = seeds if per_seed else []
    spread = per_seed and with_rules
    head = ["held-out source", *(f"PLCC seed {s}" for s in shown)]
    head += ["spread"] if spread else []
    head += ["ensemble PLCC", "ensemble SROCC", "ensemble RMSE", "n_val"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    rows = verdict.per_source
    worst = worst_source(rows)
    for row in rows:
        name = escape_md(row.source)
        if row.source == worst and len(rows) > 1:
            name = f"**{name}** ⚠ worst"
        cells = [name, *(_fmt(row.plcc_by_seed.get(s), decimals) for s in shown)]
        cells += [_fmt(source_spread(row, seeds), decimals)] if spread else []
        cells += [
            _fmt(row.ensemble_plcc, decimals),
            _fmt(row.ensemble_srocc, decimals),
            _fmt(row.ensemble_rmse, decimals),
            str(row.n_val),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if with_rules:
        means = seed_means(verdict)
        known = [v for v in means.values() if v is not None]
        of_means = max(known) - min(known) if known and len(known) == len(means) else None
        cells = ["**per-seed mean**", *(f"**{_fmt(means.get(s), decimals)}**" for s in shown)]
        cells += [f"**{_fmt(of_means, decimals)}**"] if spread else []
        cells += [
            _fmt(_mean([r.ensemble_plcc for r in rows]), decimals),
            _fmt(_mean([r.ensemble_srocc for r in rows]), decimals),
            _fmt(_mean([r.ensemble_rmse for r in rows]), decimals),
            str(sum(r.n_val for r in rows)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    if with_rules:
        note = (
            "The last row averages each column over the sources: a seed's mean is its LOSO PLCC "
            "(the per-seed rule), the spread of those means is the spread rule, and their mean is "
            "the mean-PLCC rule. Per-source spread is max − min over the seeds; the ensemble "
            "columns score the mean of the seeds' predictions"
        )
        note += "; ⚠ marks the lowest ensemble PLCC." if len(rows) > 1 else "."
    else:
        note = "Ensemble columns score the mean of the seeds' held-out predictions" + (
            "; ⚠ marks the source with the lowest ensemble PLCC." if len(rows) > 1 else "."
        )
    lines.append(note)
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
