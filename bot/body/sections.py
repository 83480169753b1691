"""The sections of the reviewer-first PR body, each a Markdown string (SPEC §9).

Order of reading: one summary line, the gate table, the per-source table,
the chart; then collapsed ``<details>``: what changes in the registry and
files (old -> new sha256), calibration, provenance, how to verify locally,
how to revert; last the controls. Each sentence says only what is known:
the plan tells whether an ensemble-level row flips, the base's registry
whether a flipped row replaced a placeholder or a production model.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from bot.body.context import BodyContext
from flipbot import __version__
from flipbot.untrusted_text import defuse_marker, one_line
from flipbot.verdict_file import RuleResult
from gate.calibration import WARN_POINTS
from gate.render import describe_interval, escape_md, format_rule_value
from gate.warning_list import IN_BODY, WarningBounds, warning_items


def code(text: str) -> str:
    """``text`` as an inline code span that cannot break out of it or out of a table cell."""
    inner = defuse_marker(one_line(" ".join(text.split())))
    return "`" + inner.replace("`", "'").replace("|", "\\|") + "`"


def details(title: str, body: str, *, open_: bool = False) -> str:
    """A collapsed section; GitHub needs the blank line after ``<summary>`` for Markdown inside."""
    tag = "<details open>" if open_ else "<details>"
    return f"{tag}\n<summary>{title}</summary>\n\n{body.rstrip()}\n\n</details>\n"


def _rule(rule: RuleResult) -> str:
    op = {">=": "≥", "<=": "≤"}.get(rule.op, rule.op)
    mark = "" if rule.passed else " ❌"
    return f"{format_rule_value(rule)} ({op} {rule.threshold:g}){mark}"


def _seed_list(seeds: list[int]) -> str:
    return ", ".join(str(s) for s in seeds) or "none"


def _replaces(ctx: BodyContext) -> str:
    """'replacing 5 placeholders' / 'replacing 1 production model and 4 placeholders' / ''."""
    if ctx.prior is None:
        return ""
    smokes = [ctx.prior.smoke(i) for i in ctx.flip.flipped_ids]
    production, placeholders = smokes.count(False), smokes.count(True)
    parts = []
    if production:
        parts.append(f"**{production} production model{'s' if production > 1 else ''}**")
    if placeholders:
        parts.append(f"{placeholders} placeholder{'s' if placeholders > 1 else ''}")
    return f", replacing {' and '.join(parts)}" if parts else ""


def ensemble_sentence(ctx: BodyContext) -> str:
    """What happens to the ensemble-level row, from what export and the registry say."""
    plan, verdict, ens = ctx.flip.plan, ctx.flip.verdict, ctx.ensemble_id
    if plan is not None and any(r.seed is None for r in plan.rows):
        return f"The ensemble-level row {code(ens)} flips too (its manifest is in the files)."
    if ctx.prior is not None and ens not in ctx.prior.rows:
        return f"The registry has no ensemble-level row {code(ens)}; only the seed rows flip."
    if not verdict.ensemble_flip:
        return (
            f"The ensemble-level row {code(ens)} stays `smoke: true`: it flips only when every "
            "seed clears and all three rules hold."
        )
    if ctx.prior is not None:
        return (
            f"The ensemble-level row {code(ens)} stays `smoke: true`: the registry lists members "
            "this run did not judge."
        )
    return f"Export wrote no ensemble-level row for {code(ens)}; only the seed rows flip."


def trust_warnings(ctx: BodyContext) -> str:
    """The bold warnings of an explicit override (loosened thresholds, another recipe), or ""."""
    lines = []
    if ctx.flip.verdict.thresholds_overridden:
        lines += [
            "**⚠ Warning: the gate thresholds were loosened through an explicit override. "
            "This is not ADR-0303's gate; review the numbers below before merging.**",
            "",
        ]
    if ctx.flip.recipe_override:
        changed = "; ".join(escape_md(d) for d in ctx.flip.recipe_override)
        lines += [
            "**⚠ Warning: these models were fitted with another recipe than the one the gate "
            f"judged ({changed}), shipped through an explicit override. The LOSO numbers below "
            "are those of the judged recipe; review before merging.**",
            "",
        ]
    return "\n".join(lines)


def summary(ctx: BodyContext, bounds: WarningBounds = IN_BODY) -> str:
    """One line: decision, what flips, headline numbers, base commit; then what does not flip.
    The gate's warnings are counted beyond ``bounds`` (the job summary's are wider)."""
    verdict = ctx.flip.verdict
    rules = {r.name: r for r in verdict.rules}
    flipping = [s.seed for s in verdict.seeds if s.flips]
    staying = [s for s in verdict.seeds if not s.flips]
    decision = "HOLD, partial flip" if verdict.decision == "HOLD" else verdict.decision
    numbers = "; ".join(
        f"{label} {_rule(rules[name])}"
        for name, label in (
            ("mean_plcc", "mean PLCC"),
            ("plcc_spread", "spread"),
            ("per_seed_min", "lowest seed"),
        )
        if name in rules
    )
    base = f"base {code(ctx.base_sha[:12])}" if ctx.base_sha else "the local working tree"
    line = (
        f"**{decision}**: flips seeds {_seed_list(flipping)} of {code(ctx.ensemble_id)} to "
        f"production{_replaces(ctx)}; {numbers}; on {base}."
    )
    lines = [line, ""]
    warnings = trust_warnings(ctx)
    if warnings:
        lines += [warnings]
    for seed in staying:
        lines.append(f"- seed {seed.seed} stays `smoke: true`: {escape_md(seed.reason)}")
    lines.append(f"- {ensemble_sentence(ctx)}")
    # The gate's warnings (e.g. twin sources): one line each, in the same list.
    lines += [*warning_items(verdict.warnings, bounds), ""]
    if verdict.diagnosis:
        lines += [f"**Diagnosis:** {escape_md(verdict.diagnosis)}", ""]
    return "\n".join(lines)


def calibration(ctx: BodyContext) -> str:
    """One line per source whose intervals fall short (informational; never part of the gate)."""
    cal = ctx.flip.calibration
    if cal is None:
        return ""
    lines = [
        f"Split conformal, {escape_md(cal.method)} (docs/CALIBRATION.md); each source is judged "
        "by the interval fitted on the other sources only.",
        "",
        f"Interval to ship (fitted on every source): {describe_interval(cal)}.",
        "",
    ]
    short = 0
    for src in cal.sources:
        misses = [r for r in src.levels if r.coverage < r.level - WARN_POINTS]
        if misses:
            short += 1
            what = ", ".join(f"{r.level:.0%} interval covers {r.coverage:.1%}" for r in misses)
            lines.append(f"- ⚠ {escape_md(src.source)}: {what} of its frames")
    if not short:
        lines.append(
            f"Every source's coverage is within {WARN_POINTS * 100:g} points of its target."
        )
    else:
        lines += [
            "",
            f"{short} of {len(cal.sources)} sources fall more than {WARN_POINTS * 100:g} points "
            "short: there the seeds' spread under-states the error.",
        ]
    return "\n".join(lines) + "\n"


def _short(sha: str | None) -> str:
    """The first 16 hex digits: enough to tell files apart; the full values are in 'Verify'."""
    return code(sha[:16] + "…") if sha and len(sha) > 16 else code(sha) if sha else "—"


def changes(ctx: BodyContext) -> str:
    """Registry rows (before -> after) and files (old -> new sha256)."""
    prior = ctx.prior
    lines = [
        f"Registry {code(ctx.registry)}: only these rows change, and only the fields shown.",
        "",
        "| row | before | after | replaces |" if prior else "| row | after |",
        "|---|---|---|---|" if prior else "|---|---|",
    ]
    by_id = {c.id: c for c in ctx.flip.changes}
    for row_id, change in by_id.items():
        after = f"`smoke: false` {_short(change.sha256)}"
        if prior is None:
            lines.append(f"| {code(row_id)} | {after} |")
            continue
        old_smoke = prior.smoke(row_id)
        before = f"`smoke: {str(old_smoke).lower()}` {_short(prior.sha256(row_id))}"
        replaces = {True: "a placeholder", False: "**a production model**", None: "?"}[old_smoke]
        lines.append(f"| {code(row_id)} | {before} | {after} | {replaces} |")
    updates = [(i, k, v) for i, fields in ctx.row_updates.items() for k, v in fields.items()]
    if updates:
        lines += ["", "Other fields of the flipped rows (the `row-updates` input):", ""]
        for row_id, key, value in updates:
            old = prior.rows.get(row_id, {}).get(key) if prior else None
            was = f" (was {code(str(old))})" if isinstance(old, str) else ""
            lines.append(f"- {code(row_id)} {code(key)} → {code(value)}{was}")
    onnx_to_row = {}
    if prior is not None:
        folder = PurePosixPath(ctx.registry).parent
        for row_id in by_id:
            name = prior.onnx_of(row_id)
            if name:
                onnx_to_row[str(folder / name)] = row_id
    lines += ["", "| file | before | after |", "|---|---|---|"]
    signing = ctx.signing
    for f in (*ctx.flip.files, *ctx.derived_files, *ctx.signed_files, *ctx.extra_files):
        if f.path in onnx_to_row and prior is not None:
            before = _short(prior.sha256(onnx_to_row[f.path]))
        elif prior is not None and prior.paths is not None:
            before = "replaced" if f.path in prior.paths else "new file"
        else:
            before = "—"
        extra = (
            " (repository template)"
            if f in ctx.extra_files
            else " (Sigstore bundle)"
            if signing is not None and signing.is_bundle(f.path)
            else " (signed promotion record)"
            if signing is not None and f.path == signing.record
            else " (the verdict, kept as evidence)"
            if f in ctx.derived_files and f.sha256 == ctx.flip.verdict_sha256
            else " (ensemble manifest, synced)"
            if f in ctx.derived_files
            else ""
        )
        lines.append(f"| {code(f.path)}{extra} | {before} | {_short(f.sha256)} |")
    for gone in ctx.removed:
        lines.append(
            f"| {code(gone.path)} (weights of the replaced {code(PurePosixPath(gone.model).name)}, "
            f"used by nothing after the flip) | {gone.size:,} bytes | **removed** |"
        )
    if ctx.manifest_notes:
        lines += ["", "Ensemble manifest:", "", *ctx.manifest_notes]
    return "\n".join(lines) + "\n"


def provenance(ctx: BodyContext) -> str:
    pins = ctx.flip.verdict.pins
    rows = [
        ("base commit", code(ctx.base_sha) if ctx.base_sha else "local working tree (dry run)"),
        ("corpus", f"{code(pins.corpus)} sha256 {code(pins.corpus_sha256)}"),
        ("verdict", f"{code(ctx.flip.verdict_path.name)} sha256 {code(ctx.flip.verdict_sha256)}"),
        ("training commit", code(pins.git_commit or "unknown")),
        ("workflow run", f"[{ctx.run_url}]({ctx.run_url})" if ctx.run_url else "local run"),
        ("flipbot", code(__version__)),
    ]
    if ctx.plots_url:
        rows.insert(5, ("PNG pictures", f"[workflow artifact]({ctx.plots_url}) (expires)"))
    return "\n".join(["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]) + "\n"
