"""The flip PR body and the job-summary report (SPEC §9).

The body carries provenance, the gate table, the per-source table, the
seed outcomes and a hidden ``<!-- flipbot:v1 {...} -->`` block that the next
run reads back to decide whether anything changed. GitHub rejects bodies of
65,536 characters or more, so the per-source table is shortened in tiers:
fewer decimals, then no per-seed columns, then no table at all (with a
pointer to the job summary, which always keeps the full table).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.flip import Flip
from flipbot import __version__
from flipbot.jsonfile import sha256_bytes
from gate.render import (
    escape_md,
    render_calibration,
    render_gate_table,
    render_report_tables,
    render_seed_outcomes,
    render_source_table,
)

BODY_LIMIT = 65_536  # GitHub's maximum PR body length, in characters
MARKER = "flipbot:v1"
_BLOCK = re.compile(r"<!-- flipbot:v1 (\{.*?\}) -->", re.DOTALL)
TIERS = ("full", "fewer decimals", "no per-seed columns", "no per-source table")


@dataclass(frozen=True)
class BodyContext:
    flip: Flip
    base_sha: str  # the base commit the flip was built on ("" in a local dry run)
    registry: str  # repository-relative registry path
    run_url: str | None  # link to the workflow run; left out of the hidden block's content hash
    # Link to the uploaded LOSO pictures (an Actions artifact); per run, so also left out.
    plots_url: str | None = None


@dataclass(frozen=True)
class Body:
    text: str
    tier: int  # index into TIERS
    hidden: dict[str, Any]


def _hidden_json(hidden: dict[str, Any]) -> str:
    text = json.dumps(hidden, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    # "--" and ">" must never close the HTML comment early; JSON lets us escape them.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("-", "\\u002d")


def read_hidden(body: str | None) -> dict[str, Any] | None:
    """The hidden block of an earlier run's body, or None (no block, or unreadable)."""
    match = _BLOCK.search(body or "")
    if match is None:
        return None
    try:
        value = json.loads(match.group(1))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def code(text: str) -> str:
    """``text`` as an inline code span that cannot break out of it or out of a table cell."""
    return "`" + " ".join(text.split()).replace("`", "'").replace("|", "\\|") + "`"


def _compact_table(ctx: BodyContext) -> str:
    lines = [
        "| held-out source | ensemble PLCC | SROCC | RMSE | n_val |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in ctx.flip.verdict.per_source:
        cells = [escape_md(row.source)]
        cells += [
            "n/a" if v is None else f"{v:.3f}" for v in (row.ensemble_plcc, row.ensemble_srocc)
        ]
        cells += [f"{row.ensemble_rmse:.3f}", str(row.n_val)]
        lines.append("| " + " | ".join(cells) + " |")
    return (
        "\n".join(lines) + "\n\nPer-seed PLCC columns are in the job summary of the workflow run.\n"
    )


def _source_section(ctx: BodyContext, tier: int) -> str:
    if tier == 0:
        return render_source_table(ctx.flip.verdict, decimals=4)
    if tier == 1:
        return render_source_table(ctx.flip.verdict, decimals=2)
    if tier == 2:
        return _compact_table(ctx)
    where = f"the [workflow run's job summary]({ctx.run_url})" if ctx.run_url else "the job summary"
    return f"_{len(ctx.flip.verdict.per_source)} held-out sources: the table is too long for a PR body; see {where}._\n"


def _headline(ctx: BodyContext) -> list[str]:
    verdict, plan = ctx.flip.verdict, ctx.flip.plan
    flipped = ", ".join(f"`{i}`" for i in ctx.flip.flipped_ids) or "none"
    lines = [f"## Flip {len(ctx.flip.flipped_ids)} ensemble member(s) to production", ""]
    if verdict.thresholds_overridden:
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
    if verdict.decision == "HOLD":
        lines += [
            "**HOLD with a partial flip:** the spread bound holds, so the seeds that clear the "
            "per-seed bound flip and the others stay `smoke: true`; the ensemble-level entry "
            "does not flip.",
            "",
        ]
    ensemble = plan.ensemble_id if plan else "?"
    lines += [
        f"Verdict **{verdict.decision}** for ensemble {code(ensemble)}. Rows flipped to "
        f"`smoke: false` with new `sha256`: {flipped}.",
        "",
    ]
    return lines


def _provenance(ctx: BodyContext) -> list[str]:
    pins = ctx.flip.verdict.pins
    run = f"[{ctx.run_url}]({ctx.run_url})" if ctx.run_url else "local run"
    rows = [
        ("base commit", code(ctx.base_sha) if ctx.base_sha else "local working tree (dry run)"),
        ("corpus", f"{code(pins.corpus)} sha256 {code(pins.corpus_sha256)}"),
        ("verdict", f"{code(ctx.flip.verdict_path.name)} sha256 {code(ctx.flip.verdict_sha256)}"),
        ("training commit", code(pins.git_commit or "unknown")),
        ("workflow run", run),
        (
            "pictures",
            f"[LOSO scatter and PLCC strip chart]({ctx.plots_url})"
            if ctx.plots_url
            else "not uploaded",
        ),
        ("flipbot", f"`{__version__}`"),
    ]
    return ["### Provenance", "", "| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), ""]


def _calibration(ctx: BodyContext, tier: int) -> list[str]:
    # Informational, never part of the decision: the first thing dropped for length.
    if ctx.flip.calibration is None or tier == len(TIERS) - 1:
        return []
    return [render_calibration(ctx.flip.calibration)]


def _drift(ctx: BodyContext, tier: int, *, full: bool) -> list[str]:
    # Informational like the calibration: dropped with it for length; the summary has it all.
    drift = ctx.flip.drift
    if drift is None or (tier == len(TIERS) - 1 and not full):
        return []
    return [drift.full if full else drift.compact]


def _files(ctx: BodyContext) -> list[str]:
    lines = [
        "### Files",
        "",
        f"- {code(ctx.registry)} (only the flipped rows' `sha256` and `smoke`)",
    ]
    lines += [f"- {code(f.path)} sha256 {code(f.sha256)}" for f in ctx.flip.files]
    return [*lines, ""]


def _render(ctx: BodyContext, tier: int, *, with_run: bool, full: bool = False) -> str:
    if not with_run:
        ctx = BodyContext(ctx.flip, ctx.base_sha, ctx.registry, None, None)
    parts = [
        *_headline(ctx),
        *_provenance(ctx),
        "### Gate",
        "",
        render_gate_table(ctx.flip.verdict),
        "### Seeds",
        "",
        render_seed_outcomes(ctx.flip.verdict),
        "### Per held-out source",
        "",
        _source_section(ctx, tier),
        *_calibration(ctx, tier),
        *_drift(ctx, tier, full=full),
        *_files(ctx),
    ]
    return "\n".join(parts)


def build_body(ctx: BodyContext, *, limit: int = BODY_LIMIT) -> Body:
    """The first tier whose body fits under ``limit`` characters (hidden block included)."""
    for tier in range(len(TIERS)):
        content = _render(ctx, tier, with_run=False)
        hidden = {
            "base_sha": ctx.base_sha,
            "content_sha256": sha256_bytes(content.encode("utf-8")),
            "files": {f.path: f.sha256 for f in ctx.flip.files},
            "flipped": list(ctx.flip.flipped_ids),
            "verdict_sha256": ctx.flip.verdict_sha256,
            "version": __version__,
        }
        text = _render(ctx, tier, with_run=True) + f"\n<!-- {MARKER} {_hidden_json(hidden)} -->\n"
        if len(text) < limit:
            return Body(text, tier, hidden)
    raise ValueError(
        f"the PR body does not fit in {limit} characters even without the per-source table"
    )


def render_summary(ctx: BodyContext, operation: str, pr_url: str | None) -> str:
    """The job summary: the full body (tier 0) plus what the bot did."""
    done = f"**flipbot: {operation}**" + (f" — {pr_url}" if pr_url else "")
    return done + "\n\n" + _render(ctx, 0, with_run=True, full=True)


def render_refusal(flip: Flip) -> str:
    verdict = flip.verdict
    parts = [
        "## flipbot refused to open a flip pull request",
        "",
        f"**Reason:** {escape_md(verdict.refusal_reason or 'no seed cleared the gate')}",
        "",
        "No branch, commit or pull request was written. Nothing flips.",
        "",
        "### Gate",
        "",
        render_report_tables(verdict),
    ]
    return "\n".join(parts)
