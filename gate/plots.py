"""Pictures a reviewer reads faster than tables (PNG, matplotlib's Agg backend).

- ``loso_scatter.png``: predicted vs true VMAF, one panel per held-out source,
  colour = seed, with the identity line.
- ``loso_plcc_strip.png``: per-source PLCC of every seed (and the ensemble) as
  a strip chart, with the 0.95 production line.

Run: ``python -m gate.plots LOSO_DIR [--out-dir DIR]``. Informational only:
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
from flipbot.loso_file import LosoArtefact
from flipbot.metrics import score
from flipbot.verdict_file import PER_SEED_PLCC_MIN

SCATTER_NAME = "loso_scatter.png"
STRIP_NAME = "loso_plcc_strip.png"
# At most this many points per (seed, source) panel: a 2,500-frame source
# drawn five times is a blot, not a picture; a fixed stride keeps it reproducible.
MAX_POINTS = 600


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _by_source(
    artefacts: Sequence[LosoArtefact],
) -> dict[str, list[tuple[int, np.ndarray, np.ndarray]]]:
    panels: dict[str, list[tuple[int, np.ndarray, np.ndarray]]] = {}
    for art in sorted(artefacts, key=lambda a: a.seed):
        for fold in art.folds:
            panels.setdefault(fold.held_out, []).append(
                (art.seed, np.asarray(fold.y_true), np.asarray(fold.y_pred))
            )
    return panels


def plot_scatter(artefacts: Sequence[LosoArtefact], path: Path) -> Path:
    plt = _pyplot()
    panels = _by_source(artefacts)
    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.9 * rows), squeeze=False)
    for ax, (source, members) in zip(axes.flat, sorted(panels.items()), strict=False):
        lo = min(float(t.min()) for _, t, _ in members)
        hi = max(float(t.max()) for _, t, _ in members)
        for seed, t, p in members:
            stride = max(1, len(t) // MAX_POINTS)
            ax.scatter(t[::stride], p[::stride], s=5, alpha=0.45, label=f"seed {seed}")
        ensemble = np.mean([p for _, _, p in members], axis=0)
        plcc = score(members[0][1], ensemble).plcc
        ax.plot([lo, hi], [lo, hi], color="black", linewidth=0.8)
        ax.set_title(
            f"{source}\nensemble PLCC {plcc:.4f}" if plcc is not None else source, fontsize=9
        )
        ax.set_xlabel("true VMAF", fontsize=8)
        ax.set_ylabel("predicted VMAF", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), markerscale=3, fontsize=8)
    fig.suptitle("LOSO held-out predictions (each panel: a source no seed trained on)", fontsize=11)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_plcc_strip(artefacts: Sequence[LosoArtefact], path: Path) -> Path:
    plt = _pyplot()
    panels = _by_source(artefacts)
    sources = sorted(panels)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(sources) + 2), 4.2))
    seeds = sorted({a.seed for a in artefacts})
    offsets = np.linspace(-0.25, 0.25, len(seeds)) if len(seeds) > 1 else np.zeros(1)
    lows: list[float] = []
    for k, seed in enumerate(seeds):
        xs, ys = [], []
        for i, source in enumerate(sources):
            for s, t, p in panels[source]:
                plcc = score(t, p).plcc
                if s == seed and plcc is not None:
                    xs.append(i + offsets[k])
                    ys.append(plcc)
        lows.extend(ys)
        ax.scatter(xs, ys, s=22, label=f"seed {seed}")
    ens = [
        score(panels[s][0][1], np.mean([p for _, _, p in panels[s]], axis=0)).plcc for s in sources
    ]
    ax.scatter(
        range(len(sources)),
        [np.nan if v is None else v for v in ens],
        marker="_",
        s=400,
        color="black",
        label="ensemble",
    )
    ax.axhline(PER_SEED_PLCC_MIN, color="crimson", linestyle="--", linewidth=1, label="0.95 gate")
    ax.set_xticks(range(len(sources)), sources, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("held-out PLCC")
    ax.set_ylim(min([PER_SEED_PLCC_MIN - 0.01, *lows]), 1.0005)
    ax.set_title("Per-source LOSO PLCC by seed")
    ax.legend(fontsize=7, loc="lower left", ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def render_plots(artefacts: Sequence[LosoArtefact], out_dir: Path) -> list[Path]:
    if not artefacts:
        raise InputError(
            f"{out_dir}: no loso_seed*.json to plot; run `python -m trainer loso` first"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        plot_scatter(artefacts, out_dir / SCATTER_NAME),
        plot_plcc_strip(artefacts, out_dir / STRIP_NAME),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gate.plots",
        description="Render the LOSO scatter and PLCC strip chart (PNG) from loso_seed*.json files.",
    )
    parser.add_argument("loso_dir", type=Path, help="folder holding loso_seed{N}.json")
    parser.add_argument("--out-dir", type=Path, help="where the PNGs go (default: LOSO_DIR)")
    args = parser.parse_args(argv)
    try:
        files = sorted(args.loso_dir.glob("loso_seed*.json"))
        paths = render_plots([LosoArtefact.read(f) for f in files], args.out_dir or args.loso_dir)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    for p in paths:
        print(p)
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
