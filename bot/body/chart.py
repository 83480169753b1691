"""A picture in the PR body that never expires: a Mermaid ``xychart-beta`` of the LOSO PLCCs.

GitHub renders ```` ```mermaid ```` blocks in PR bodies, so the chart lives in
the body itself instead of behind a link to an Actions artifact (deleted
after 14 days). One category per held-out source; bars are the ensemble's
PLCC, one line per seed, and a flat line at the per-seed threshold (0.95).
xychart has no legend, so the line under the block says which is which.

Source names come from the corpus: inside the block they are reduced to
``[A-Za-z0-9_.-]`` (a quote or a backtick must never end the string or the
fence). Values are finite numbers with four decimals; a source with an
undefined PLCC makes no chart at all rather than a misleading one.
"""

from __future__ import annotations

import math
import re

from flipbot.verdict_file import Verdict

MAX_SOURCES = 40  # past this the x-axis labels overlap; the tables carry the numbers
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def chart_label(source: str) -> str:
    return _UNSAFE.sub("_", source)[:24] or "_"


def _values(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.4f}" for v in values) + "]"


def render_chart(verdict: Verdict, threshold: float | None = None) -> str:
    """The Markdown (fenced Mermaid block + one caption line), or "" when no chart fits."""
    rows = verdict.per_source
    seeds = [str(s.seed) for s in verdict.seeds]
    if not rows or not seeds or len(rows) > MAX_SOURCES:
        return ""
    lines_by_seed: dict[str, list[float]] = {}
    for seed in seeds:
        values = [row.plcc_by_seed.get(seed) for row in rows]
        if any(v is None or not math.isfinite(v) for v in values):
            return ""
        lines_by_seed[seed] = [float(v) for v in values if v is not None]
    ensemble = [row.ensemble_plcc for row in rows]
    if any(v is None or not math.isfinite(v) for v in ensemble):
        return ""
    bars = [float(v) for v in ensemble if v is not None]
    limit = verdict.thresholds.get("per_seed_min", 0.95) if threshold is None else threshold
    everything = [v for values in lines_by_seed.values() for v in values] + bars + [limit]
    low = math.floor((min(everything) - 0.005) * 100) / 100
    high = min(1.0, math.ceil((max(everything) + 0.001) * 100) / 100)
    labels = ", ".join(f'"{chart_label(row.source)}"' for row in rows)
    block = [
        "```mermaid",
        "---",  # wide and short: nine or more source names fit under the axis
        "config:",
        "  xyChart:",
        f"    width: {max(600, min(1200, 90 * len(rows)))}",
        "    height: 360",
        "    xAxis:",
        "      labelFontSize: 12",
        "---",
        "xychart-beta",
        '    title "Held-out PLCC per source"',
        f"    x-axis [{labels}]",
        f'    y-axis "PLCC" {low:.2f} --> {high:.2f}',
        f'    bar "ensemble" {_values(bars)}',
        *(f'    line "seed {seed}" {_values(values)}' for seed, values in lines_by_seed.items()),
        f'    line "threshold" {_values([limit] * len(rows))}',
        "```",
    ]
    caption = (
        f"Bars: the ensemble's PLCC per held-out source; lines: seeds {', '.join(seeds)} "
        f"(one each); the flat line: the {limit:g} per-seed threshold."
    )
    return "\n".join(block) + "\n\n" + caption + "\n"
