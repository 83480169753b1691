"""Pictures a reviewer reads faster than tables (PNG, matplotlib's Agg backend).

- ``loso_scatter.png``: predicted vs true VMAF, one small panel per held-out
  source with the identity line, colour and marker = seed.
- ``loso_plcc_strip.png``: left, each seed's PLCC per held-out source (zoomed to
  the data, the ensemble as a bar); right, the gate's rules on the seeds' PLCC_i:
  a band of width ``plcc-spread-max`` around their mean and the per-seed minimum
  (drawn, or marked at the bottom edge with its distance when it lies far below).

Colours are Okabe-Ito (safe for the common colour-vision deficiencies) and every
seed also has its own marker shape. Run: ``python -m gate.plots LOSO_DIR``;
``make pictures`` redraws docs/img/ from the shipped corpus. Informational only:
the gate's decision never depends on a picture.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from flipbot.errors import EXIT_INPUT, EXIT_OK, InputError
from flipbot.inputs import thresholds
from flipbot.loso_file import LosoArtefact
from flipbot.metrics import score
from flipbot.verdict_file import PER_SEED_PLCC_MIN, PLCC_SPREAD_MAX

SCATTER_NAME = "loso_scatter.png"
STRIP_NAME = "loso_plcc_strip.png"
# At most this many points per (seed, source) panel: a 2,500-frame source
# drawn five times is a blot, not a picture; a fixed stride keeps it reproducible.
MAX_POINTS = 400
# Okabe & Ito (2008), yellow last (weak on white); black is kept for the ensemble.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
BAND, RULE = "#BBBBBB", "#D55E00"
DPI = 110


def seed_style(k: int) -> dict[str, Any]:
    return {"color": OKABE_ITO[k % len(OKABE_ITO)], "marker": MARKERS[k % len(MARKERS)]}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


Member = tuple[int, np.ndarray, np.ndarray]  # seed, y_true, y_pred


def _by_source(artefacts: Sequence[LosoArtefact]) -> dict[str, list[Member]]:
    panels: dict[str, list[Member]] = {}
    for art in sorted(artefacts, key=lambda a: a.seed):
        for fold in art.folds:
            panels.setdefault(fold.held_out, []).append(
                (art.seed, np.asarray(fold.y_true), np.asarray(fold.y_pred))
            )
    return panels


def per_source_plcc(artefacts: Sequence[LosoArtefact]) -> dict[int, dict[str, float]]:
    """seed -> source -> PLCC recomputed from the fold's predictions (undefined left out)."""
    out: dict[int, dict[str, float]] = {}
    for art in artefacts:
        out[art.seed] = {}
        for fold in art.folds:
            plcc = score(np.asarray(fold.y_true), np.asarray(fold.y_pred)).plcc
            if plcc is not None:
                out[art.seed][fold.held_out] = plcc
    return out


def seed_plcc(artefacts: Sequence[LosoArtefact]) -> dict[int, float]:
    """PLCC_i as the gate defines it: mean over every held-out source (undefined = 0)."""
    table = per_source_plcc(artefacts)
    return {a.seed: math.fsum(table[a.seed].values()) / len(a.folds) for a in artefacts}


def plot_scatter(artefacts: Sequence[LosoArtefact], path: Path) -> Path:
    plt = _pyplot()
    panels = _by_source(artefacts)
    seeds = sorted({a.seed for a in artefacts})
    cols = min(4, math.ceil(math.sqrt(len(panels))))  # 4 sources: 2 x 2; 9: 3 x 3
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.9 * cols, 2.9 * rows + 0.6), squeeze=False)
    for ax, (source, members) in zip(axes.flat, sorted(panels.items()), strict=False):
        lo = min(min(float(t.min()), float(p.min())) for _, t, p in members)
        hi = max(max(float(t.max()), float(p.max())) for _, t, p in members)
        ax.plot([lo, hi], [lo, hi], color="black", linewidth=0.8, zorder=3)
        for seed, t, p in members:
            stride = max(1, len(t) // MAX_POINTS)
            style = seed_style(seeds.index(seed))
            ax.scatter(t[::stride], p[::stride], s=4, alpha=0.5, linewidths=0,
                       label=f"seed {seed}", **style)  # fmt: skip
        plcc = score(members[0][1], np.mean([p for _, _, p in members], axis=0)).plcc
        title = source if plcc is None else f"{source}  (ensemble PLCC {plcc:.3f})"
        ax.set_title(title, fontsize=8)
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_aspect("equal")
        ax.tick_params(labelsize=7)
    for i, ax in enumerate(axes.flat[: len(panels)]):
        if i + cols >= len(panels):  # the lowest panel of its column
            ax.set_xlabel("true VMAF", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("predicted VMAF", fontsize=8)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    legend = fig.legend(handles, labels, loc="lower center", ncol=len(labels), markerscale=4,
                        fontsize=8, frameon=False)  # fmt: skip
    for handle in legend.legend_handles:
        handle.set_alpha(1.0)
    fig.suptitle("Held-out predictions: each panel is a source no seed trained on", fontsize=10)
    fig.tight_layout(rect=(0, 0.3 / (2.9 * rows + 0.6), 1, 0.97), h_pad=1.2)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _zoom(values: list[float], pad_min: float = 0.002, cap: bool = True) -> tuple[float, float]:
    """The values' range plus a margin (PLCC never exceeds 1: capped unless asked not to)."""
    lo, hi = min(values), max(values)
    pad = max(0.12 * (hi - lo), pad_min)
    return lo - pad, min(hi + pad, 1.0 + pad / 4) if cap else hi + pad


def _strips(ax: Any, artefacts: Sequence[LosoArtefact], seeds: list[int]) -> None:
    table = per_source_plcc(artefacts)
    sources = sorted({s for row in table.values() for s in row})
    offsets = np.linspace(-0.25, 0.25, len(seeds)) if len(seeds) > 1 else np.zeros(1)
    for k, seed in enumerate(seeds):
        xs = [i + offsets[k] for i, s in enumerate(sources) if s in table[seed]]
        ys = [table[seed][s] for s in sources if s in table[seed]]
        ax.scatter(xs, ys, s=24, label=f"seed {seed}", zorder=3, **seed_style(k))
    panels = _by_source(artefacts)
    ens = [score(panels[s][0][1], np.mean([p for _, _, p in panels[s]], axis=0)).plcc
           for s in sources]  # fmt: skip
    ax.scatter(range(len(sources)), [np.nan if v is None else v for v in ens], marker="_",
               s=500, color="black", label="ensemble", zorder=2)  # fmt: skip
    ax.set_xticks(range(len(sources)), sources, rotation=30, ha="right", fontsize=8)
    values = [v for row in table.values() for v in row.values()]
    values += [v for v in ens if v is not None]
    if values:
        ax.set_ylim(*_zoom(values))
    ax.set_ylabel("held-out PLCC", fontsize=9)
    ax.set_title("Each seed's PLCC per held-out source", fontsize=9)
    ax.grid(axis="y", color="#EEEEEE")
    ax.legend(fontsize=7, loc="lower left", ncol=min(4, len(seeds) + 1))


def _rules(ax: Any, plcc: dict[int, float], spread_max: float, minimum: float) -> None:
    seeds = sorted(plcc)
    values = [plcc[s] for s in seeds]
    mean = math.fsum(values) / len(values)
    spread = max(values) - min(values)
    ax.axhspan(mean - spread_max / 2, mean + spread_max / 2, color=BAND, alpha=0.45,
               label=f"mean ± {spread_max / 2:g} (band {spread_max:g} wide)")  # fmt: skip
    ax.axhline(mean, color="black", linewidth=0.8)
    for k, seed in enumerate(seeds):
        ax.scatter([k], [plcc[seed]], s=40, zorder=3, **seed_style(k))
    band = [mean - spread_max / 2, mean + spread_max / 2]
    lo, hi = _zoom([*values, *band], pad_min=0.001, cap=False)  # the whole band stays in view
    if minimum >= lo - 2 * (hi - lo) / 3:  # near enough to show without hiding the seeds
        lo = min(lo, minimum - (hi - lo) / 10)
        ax.axhline(minimum, color=RULE, linestyle="--", linewidth=1.2,
                   label=f"per-seed minimum {minimum:g}")  # fmt: skip
    else:
        ax.annotate(f"per-seed minimum {minimum:g}\n↓ {min(values) - minimum:.3f} below the "
                    "lowest seed", xy=(0.5, 0.02), xycoords="axes fraction", ha="center",
                    va="bottom", fontsize=7, color=RULE)  # fmt: skip
    if hi > 1.0:  # the band may reach past what a PLCC can be
        ax.axhline(1.0, color="#888888", linewidth=0.6, linestyle=":")
    ax.set_ylim(lo, hi)
    ax.set_xlim(-0.6, len(seeds) - 0.4)
    ax.set_xticks(range(len(seeds)), [f"seed {s}" for s in seeds], rotation=30, fontsize=8)
    verdict = "within" if spread <= spread_max + 1e-12 else "OUTSIDE"
    ax.set_title(f"Gate rules on each seed's PLCC_i\n(its mean over sources)\n"
                 f"spread {spread:.4f} {verdict} {spread_max:g}", fontsize=9)  # fmt: skip
    ax.grid(axis="y", color="#EEEEEE")
    ax.legend(fontsize=7, loc="upper right")


def strip_figure(
    artefacts: Sequence[LosoArtefact],
    *,
    spread_max: float = PLCC_SPREAD_MAX,
    per_seed_min: float = PER_SEED_PLCC_MIN,
) -> Any:
    """The strip chart as a matplotlib figure: axes[0] per source, axes[1] the rules."""
    plt = _pyplot()
    seeds = sorted({a.seed for a in artefacts})
    n_sources = len({f.held_out for a in artefacts for f in a.folds})
    width = max(6.0, 0.8 * n_sources + 2)
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(width + 3.2, 4.2), gridspec_kw={"width_ratios": [width, 3.2]}
    )
    _strips(left, artefacts, seeds)
    _rules(right, seed_plcc(artefacts), spread_max, per_seed_min)
    fig.tight_layout()
    return fig


def plot_plcc_strip(
    artefacts: Sequence[LosoArtefact],
    path: Path,
    *,
    spread_max: float = PLCC_SPREAD_MAX,
    per_seed_min: float = PER_SEED_PLCC_MIN,
) -> Path:
    fig = strip_figure(artefacts, spread_max=spread_max, per_seed_min=per_seed_min)
    fig.savefig(path, dpi=DPI)
    _pyplot().close(fig)
    return path


def render_plots(
    artefacts: Sequence[LosoArtefact],
    out_dir: Path,
    *,
    spread_max: float = PLCC_SPREAD_MAX,
    per_seed_min: float = PER_SEED_PLCC_MIN,
) -> list[Path]:
    if not artefacts:
        raise InputError(
            f"{out_dir}: no loso_seed*.json to plot; run `python -m trainer loso` first"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    strip = out_dir / STRIP_NAME
    return [
        plot_scatter(artefacts, out_dir / SCATTER_NAME),
        plot_plcc_strip(artefacts, strip, spread_max=spread_max, per_seed_min=per_seed_min),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gate.plots",
        description="Render the LOSO scatter and PLCC strip chart (PNG) from loso_seed*.json files.",
    )
    parser.add_argument("loso_dir", type=Path, help="folder holding loso_seed{N}.json")
    parser.add_argument("--out-dir", type=Path, help="where the PNGs go (default: LOSO_DIR)")
    parser.add_argument(
        "--plcc-spread-max", default=str(PLCC_SPREAD_MAX), help="line drawn (default: %(default)s)"
    )
    parser.add_argument(
        "--per-seed-min", default=str(PER_SEED_PLCC_MIN), help="line drawn (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    try:
        spread_max = thresholds.spread_threshold("--plcc-spread-max", args.plcc_spread_max)
        per_seed_min = thresholds.plcc_threshold("--per-seed-min", args.per_seed_min)
        files = sorted(args.loso_dir.glob("loso_seed*.json"))
        paths = render_plots(
            [LosoArtefact.read(f) for f in files],
            args.out_dir or args.loso_dir,
            spread_max=spread_max,
            per_seed_min=per_seed_min,
        )
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    for p in paths:
        print(p)
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
