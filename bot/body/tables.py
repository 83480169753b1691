"""The per-source table of the PR body, with the numbers a reviewer checks against the rules.

Rows are the held-out sources; columns the PLCC of each seed, the spread of
those PLCCs on that source (max - min), and the ensemble's PLCC, SROCC,
RMSE and frame count. The last row averages each column over the sources:
a seed's mean is its headline LOSO PLCC (the per-seed rule's value), the
spread of the means is the spread rule's value, and the mean of the means
is the mean-PLCC rule's value, so every rule can be checked against the table.
"""

from __future__ import annotations

import statistics

from flipbot.verdict_file import SourceRow, Verdict
from gate.render import escape_md, worst_source


def _fmt(value: float | None, decimals: int) -> str:
    return "n/a" if value is None else f"{value:.{decimals}f}"


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


def render_source_table(verdict: Verdict, *, decimals: int = 4, per_seed: bool = True) -> str:
    """The per-source table with a spread column and a closing per-seed mean row."""
    seeds = [str(s.seed) for s in verdict.seeds]
    shown = seeds if per_seed else []
    head = ["held-out source", *(f"PLCC seed {s}" for s in shown)]
    head += ["spread"] if per_seed else []
    head += ["ensemble PLCC", "ensemble SROCC", "ensemble RMSE", "n_val"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    worst = worst_source(verdict.per_source)
    rows = verdict.per_source
    for row in rows:
        name = escape_md(row.source)
        if row.source == worst and len(rows) > 1:
            name = f"**{name}** ⚠ worst"
        cells = [name, *(_fmt(row.plcc_by_seed.get(s), decimals) for s in shown)]
        cells += [_fmt(source_spread(row, seeds), decimals)] if per_seed else []
        cells += [
            _fmt(row.ensemble_plcc, decimals),
            _fmt(row.ensemble_srocc, decimals),
            _fmt(row.ensemble_rmse, decimals),
            str(row.n_val),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    means = seed_means(verdict)
    known = [v for v in means.values() if v is not None]
    spread = max(known) - min(known) if known and len(known) == len(means) else None
    cells = ["**per-seed mean**", *(f"**{_fmt(means.get(s), decimals)}**" for s in shown)]
    cells += [f"**{_fmt(spread, decimals)}**"] if per_seed else []
    cells += [
        _fmt(_mean([r.ensemble_plcc for r in rows]), decimals),
        _fmt(_mean([r.ensemble_srocc for r in rows]), decimals),
        _fmt(_mean([r.ensemble_rmse for r in rows]), decimals),
        str(sum(r.n_val for r in rows)),
    ]
    lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    note = (
        "The last row averages each column over the sources: a seed's mean is its LOSO PLCC "
        "(the per-seed rule), the spread of those means is the spread rule, and their mean is "
        "the mean-PLCC rule. Per-source spread is max − min over the seeds; the ensemble columns "
        "score the mean of the seeds' predictions"
    )
    note += "; ⚠ marks the lowest ensemble PLCC." if len(rows) > 1 else "."
    lines.append(note)
    return "\n".join(lines) + "\n"
