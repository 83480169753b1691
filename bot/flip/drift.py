"""Export's ``drift.json`` as Markdown: how far the flip moves the scores users get.

Informational, never part of the decision. The PR body gets the compact
form (a line per seed, the ensemble per source, per encoder inside
``<details>``); the job summary gets the full one (every seed per source and
per encoder too). The file is pinned by sha256 in the flip plan; a plan
without the pin (an older export) simply has no drift section.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flipbot.errors import InputError
from flipbot.fields import need
from flipbot.jsonfile import read_json, sha256_file
from flipbot.plan_file import DRIFT_FILENAME, FlipPlan
from gate.render import escape_md

KIND = "flipbot.drift"
JND_SOURCE = "6 VMAF points ≈ one just-noticeable difference (docs/EXPORT.md)"


@dataclass(frozen=True)
class DriftReport:
    doc: dict[str, Any]  # drift.json as read (checked against the plan's sha256)

    @property
    def compact(self) -> str:
        return render_drift(self.doc, full=False)

    @property
    def full(self) -> str:
        return render_drift(self.doc, full=True)


def load_drift(artifacts_dir: str | Path, plan: FlipPlan) -> DriftReport | None:
    """drift.json beside the plan when the plan pins one; its bytes must be the pinned ones."""
    if plan.drift_sha256 is None:
        return None
    path = Path(artifacts_dir) / DRIFT_FILENAME
    if not path.is_file():
        raise InputError(f"{path}: pinned by the flip plan but missing; rerun `trainer export`")
    if sha256_file(path) != plan.drift_sha256:
        raise InputError(
            f"{path}: sha256 differs from the flip plan's drift_sha256; the export folder "
            "changed after export, rerun `trainer export`"
        )
    doc = read_json(path)
    if need(doc, "kind", str, str(path)) != KIND:
        raise InputError(f"{path}: not a flipbot drift report; rerun `trainer export`")
    for key, kind in (("seeds", list), ("ensemble_seeds", list), ("rows", int)):
        need(doc, key, kind, str(path))
    try:  # made on the untrusted side: a shape the renderer cannot show is refused here
        for full in (False, True):
            render_drift(doc, full=full)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise InputError(
            f"{path}: malformed drift report ({type(exc).__name__}: {exc}); rerun `trainer export`"
        ) from None
    return DriftReport(doc)


HEAD = "| {} | n | mean Δ | mean \\|Δ\\| | p95 \\|Δ\\| | max \\|Δ\\| | > 1 | > 6 (JND) |"
RULE = "|---|---:|---:|---:|---:|---:|---:|---:|"


def _row(name: str, s: dict[str, Any]) -> str:
    cells = [escape_md(name), escape_md(s["n"]), f"{s['mean_delta']:+.2f}"]
    cells += [f"{s[k]:.2f}" for k in ("mean_abs", "p95_abs", "max_abs")]
    cells += [f"{s[k]:.1%}" for k in ("share_over_1", "share_over_jnd")]
    return "| " + " | ".join(cells) + " |"


def _table(first: str, breakdown: dict[str, Any], key: str) -> list[str]:
    lines = [HEAD.format(first), RULE]
    lines += [_row(name, s) for name, s in breakdown[key].items()]
    return [*lines, _row("all frames", breakdown["overall"]), ""]


def _seed_line(row: dict[str, Any]) -> str:
    old, new = row.get("old_loso_plcc"), row.get("new_loso_plcc")
    who = f"seed {escape_md(row['seed'])} ({escape_md(row['label'])})"
    plcc = f"; LOSO PLCC {old:.4f} → {new:.4f}" if old is not None and new is not None else ""
    if row.get("drift") is None:
        return f"- {who}: not compared: {escape_md(row['reason'])}"
    s = row["drift"]["overall"]
    return (
        f"- {who}: mean Δ {s['mean_delta']:+.2f}, "
        f"mean |Δ| {s['mean_abs']:.2f}, max |Δ| {s['max_abs']:.2f}{plcc}"
    )


def render_drift(doc: dict[str, Any], *, full: bool) -> str:
    lines = [
        "### Score drift: new models vs the current files (informational)",
        "",
        f"Δ = new − old VMAF on all {escape_md(doc['rows'])} corpus frames; {JND_SOURCE}. "
        "It never changes the decision.",
        "",
        *(_seed_line(r) for r in doc["seeds"]),
        *(f"- {escape_md(n)}" for n in doc.get("notes", [])),
        "",
    ]
    ensemble = doc.get("ensemble")
    if ensemble is None:
        return "\n".join([*lines, "_No current file could be compared: no ensemble drift._", ""])
    seeds = ", ".join(escape_md(s) for s in doc["ensemble_seeds"])
    lines += [f"Ensemble mean (seeds {seeds}), per source:", ""]
    lines += _table("source", ensemble, "by_source")
    lines += ["<details><summary>Ensemble mean per encoder</summary>", ""]
    lines += [*_table("encoder", ensemble, "by_encoder"), "</details>", ""]
    if full:
        for row in doc["seeds"]:
            if row.get("drift") is None:
                continue
            who = f"Seed {escape_md(row['seed'])} ({escape_md(row['label'])})"
            lines += [f"{who}, per source and per encoder:", ""]
            lines += _table("source", row["drift"], "by_source")
            lines += _table("encoder", row["drift"], "by_encoder")
    return "\n".join(lines)
