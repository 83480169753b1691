"""The flip PR body and the job-summary report (SPEC §9).

Reviewer-first: one summary line, the gate table, the per-source table (a
spread column and a per-seed mean row that ties to the rules), a Mermaid
chart, then collapsed ``<details>`` for the registry rows and files (old ->
new sha256), score drift and calibration (informational), provenance,
verify-locally and revert, and the controls. A repository may replace the
layout with its own template (:class:`BodyLayout`), which gets every part
below as a variable. The bot always appends a hidden ``<!-- flipbot:v1 {...} -->``
block that the next run reads back to decide whether anything changed.

GitHub rejects bodies of 65,536 characters or more, so the per-source table
is shortened in tiers: fewer decimals, then no per-seed columns (and no
chart), then no table at all (with a pointer to the job summary, which
always keeps the full table). The gate's warnings are counted beyond a few
of each kind (gate/warning_list.py). Should the last tier still be too long
(hundreds of long names, a repository's template), it is cut at a line end
with a note, and the hidden block is appended whole: the body always fits.
Text from the received files is escaped (flipbot/untrusted_text.py), and
any ``flipbot:v1`` in it is broken, so the only hidden block is the bot's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from bot.body import howto as body_howto
from bot.body import sections as body_sections
from bot.body import signing as body_signing
from bot.body.chart import render_chart
from bot.body.context import BodyContext
from bot.body.drift import render_drift
from bot.body.tables import render_source_table
from bot.conventions import BodyLayout, flip_facts
from bot.flip import Flip
from flipbot import __version__
from flipbot.errors import InputError
from flipbot.jsonfile import sha256_bytes
from flipbot.untrusted_text import defuse_marker
from flipbot.verdict_file import NO_SEED_CLEARED
from gate.render import escape_md, render_gate_table
from gate.warning_list import IN_BODY, IN_SUMMARY, warning_items

__all__ = ["BODY_LIMIT", "Body", "BodyContext", "BodyLayout", "build_body", "read_hidden"]

BODY_LIMIT = 65_536  # GitHub's maximum PR body length, in characters
MARKER = "flipbot:v1"
_BLOCK = re.compile(r"<!-- flipbot:v1 (\{.*?\}) -->", re.DOTALL)
TIERS = ("full", "fewer decimals", "no per-seed columns", "no per-source table")
CUT_NOTE = (
    "\n\n_This body was cut to fit GitHub's limit of 65,536 characters; the job summary of "
    "the workflow run shows all of it._"
)


@dataclass(frozen=True)
class Body:
    text: str
    tier: int  # index into TIERS
    hidden: dict[str, Any]
    cut: bool = False  # even the last tier was too long: cut to fit, with a note


def cut_to_fit(text: str, room: int) -> str:
    """``text`` cut (at a line end) to fewer than ``room`` characters, what the cut left open
    (a code fence, ``<details>``) closed, and a note that points to the job summary."""
    if room <= len(CUT_NOTE) + 1:
        raise InputError(
            f"the PR body's hidden block alone is {BODY_LIMIT - room} characters, over GitHub's "
            f"limit of {BODY_LIMIT}: the flip plan lists too many files; ship fewer per flip"
        )
    keep = room - len(CUT_NOTE) - 1
    while True:
        kept = text[:keep]
        if "\n" in kept[keep // 2 :]:
            kept = kept[: kept.rindex("\n")]
        fences = sum(1 for line in kept.splitlines() if line.lstrip().startswith("```"))
        closers = "\n```" if fences % 2 else ""
        open_details = max(0, kept.count("<details") - kept.count("</details>"))
        closers += "\n\n</details>" * min(open_details, 50)
        if len(kept) + len(closers) + len(CUT_NOTE) < room:
            return kept + closers + CUT_NOTE
        keep -= len(closers) + 1


def _hidden_json(hidden: dict[str, Any]) -> str:
    text = json.dumps(hidden, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    # "--" and ">" must never close the HTML comment early; JSON lets us escape them.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("-", "\\u002d")


def read_hidden(body: str | None) -> dict[str, Any] | None:
    """The hidden block of an earlier run's body (the last one: the bot appends its own after
    everything else), or None (no block, or unreadable)."""
    matches = list(_BLOCK.finditer(body or ""))
    if not matches:
        return None
    match = matches[-1]
    try:
        value = json.loads(match.group(1))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _source_section(ctx: BodyContext, tier: int) -> str:
    verdict = ctx.flip.verdict
    if tier < 2:
        return render_source_table(verdict, decimals=4 if tier == 0 else 3)
    if tier == 2:
        return (
            render_source_table(verdict, decimals=3, per_seed=False)
            + "\nPer-seed PLCC columns are in the job summary of the workflow run.\n"
        )
    where = f"the [workflow run's job summary]({ctx.run_url})" if ctx.run_url else "the job summary"
    return f"_{len(verdict.per_source)} held-out sources: the table is too long for a PR body; see {where}._\n"


def body_parts(ctx: BodyContext, tier: int = 0, *, full_drift: bool = False) -> dict[str, str]:
    """Every part of the default body, by the name a body template uses for it. The job summary
    gets the full drift report (every seed); the body the compact one, dropped in the last tier."""
    last = tier == len(TIERS) - 1
    return {
        "summary": body_sections.summary(ctx, IN_SUMMARY if full_drift else IN_BODY),
        "gate_table": render_gate_table(ctx.flip.verdict),
        "source_table": _source_section(ctx, tier),
        "chart": render_chart(ctx.flip.verdict) if tier < 2 else "",
        "drift": "" if last and not full_drift else render_drift(ctx, full=full_drift),
        "changes": body_sections.changes(ctx),
        "signatures": body_signing.status(ctx),
        "calibration": "" if last else body_sections.calibration(ctx),
        "provenance": body_sections.provenance(ctx),
        "verify": body_howto.verify_locally(ctx),
        "revert": body_howto.revert(ctx),
        "controls": body_howto.controls(ctx),
    }


def default_body(parts: dict[str, str]) -> str:
    details = body_sections.details
    sections = [
        parts["summary"],
        parts["signatures"],
        "### Gate\n\n" + parts["gate_table"],
        "### Per held-out source\n\n" + parts["source_table"],
        parts["chart"],
        details("Registry rows and files (old → new sha256)", parts["changes"]),
        details("Score drift: new models vs the current files (informational)", parts["drift"])
        if parts["drift"]
        else "",
        details("Calibration of the ensemble's intervals (informational)", parts["calibration"])
        if parts["calibration"]
        else "",
        details("Provenance", parts["provenance"]),
        details("Verify locally", parts["verify"]),
        details("Revert", parts["revert"]),
        "---\n\n" + parts["controls"],
    ]
    return "\n".join(s for s in sections if s)


def _markdown_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """The facts for a Markdown body: the text that comes from the received files, escaped."""
    escaped = {k: escape_md(facts[k]) for k in ("corpus", "training_commit") if facts.get(k)}
    return facts | escaped | {"sources": [escape_md(s) for s in facts["sources"]]}


def _render(ctx: BodyContext, tier: int, layout: BodyLayout, *, with_run: bool) -> str:
    if not with_run:
        ctx = replace(ctx, run_url=None, plots_url=None)
    parts = body_parts(ctx, tier)
    facts = _markdown_facts(
        flip_facts(ctx.flip, base_sha=ctx.base_sha, registry=ctx.registry, run_url=ctx.run_url)
    )
    variables = {**facts, **parts, "tier": TIERS[tier]}
    variables["default_body"] = default_body(parts)
    header = layout.header.render(variables) if layout.header else ""
    footer = layout.footer.render(variables) if layout.footer else ""
    variables |= {"header": header, "footer": footer}
    if layout.template is not None:
        text = layout.template.render(variables)
        warnings = body_sections.trust_warnings(ctx)
        # An override's warning shows whatever the repository's template leaves out.
        return text if warnings.strip() in text else warnings + "\n" + text
    return "\n".join(p for p in (header, variables["default_body"], footer) if p)


def build_body(
    ctx: BodyContext, *, limit: int = BODY_LIMIT, layout: BodyLayout | None = None
) -> Body:
    """The first tier whose body fits under ``limit`` characters (hidden block included)."""
    layout = layout or BodyLayout()
    for tier in range(len(TIERS)):
        content = _render(ctx, tier, layout, with_run=False)
        hidden = {
            "base_sha": ctx.base_sha,
            "content_sha256": sha256_bytes(content.encode("utf-8")),
            "files": {f.path: f.sha256 for f in (*ctx.flip.files, *ctx.extra_files)},
            "flipped": list(ctx.flip.flipped_ids),
            "verdict_sha256": ctx.flip.verdict_sha256,
            "version": __version__,
        }
        text = defuse_marker(_render(ctx, tier, layout, with_run=True).rstrip("\n"))
        block = f"\n\n<!-- {MARKER} {_hidden_json(hidden)} -->\n"
        if len(text) + len(block) < limit:
            return Body(text + block, tier, hidden)
    # Still too long (e.g. hundreds of long source names in warnings or a repository's template):
    # the last tier, cut, with a note; the hidden block is appended whole.
    return Body(cut_to_fit(text, limit - len(block)) + block, tier, hidden, cut=True)


def render_summary(ctx: BodyContext, operation: str, pr_url: str | None) -> str:
    """The job summary: the full default body (tier 0) plus what the bot did."""
    done = f"**flipbot: {operation}**" + (f" — {pr_url}" if pr_url else "")
    return defuse_marker(done + "\n\n" + default_body(body_parts(ctx, 0, full_drift=True)))


def render_refusal(flip: Flip) -> str:
    """The refusal report: the reason once, the gate table and the per-source table."""
    verdict = flip.verdict
    parts = [
        "## flipbot refused to open a flip pull request",
        "",
        f"**Reason:** {escape_md(verdict.refusal_reason or NO_SEED_CLEARED)}",
        "",
        "No branch, commit or pull request was written. Nothing flips.",
        "",
        "### Gate",
        "",
        render_gate_table(verdict),
        "### Per held-out source",
        "",
        render_source_table(verdict),
    ]
    if verdict.diagnosis:
        parts += ["", f"**Diagnosis:** {escape_md(verdict.diagnosis)}"]
    if verdict.warnings:
        parts += ["", *warning_items(verdict.warnings, IN_SUMMARY)]
    return defuse_marker("\n".join(parts))
