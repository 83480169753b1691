"""The audit phase of ``bot promote``: draw folds, re-train them in a child, compare.

The draw (``gate.audit_sample``) happens here, after the loso files are
read, with ``secrets.SystemRandom``; the child ``python -m trainer audit``
only re-trains and writes predictions; the comparison with the stored
predictions (``gate.audit_check``) happens here again, on the side without
torch. Detection chances and costs: docs/DESIGN.md, "Audit".
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from bot.promote.children import Child
from flipbot.errors import InputError
from flipbot.jsonfile import read_json, write_json
from flipbot.loso_file import LosoArtefact, loso_filename
from gate.audit_check import MAX_ABS_DIFF, PLCC_DIFF, check_fold, compare_fold
from gate.audit_sample import draw_folds, parse_sample, worst_p_detect
from gate.corpus_tie import CorpusFacts

log = logging.getLogger("bot")


def run_audit(
    child: Child,
    root: Path,
    args: argparse.Namespace,
    artefacts: tuple[LosoArtefact, ...],
    facts: CorpusFacts,
    seeds: tuple[int, ...],
) -> dict[str, Any]:
    """Re-train a secret sample of folds and compare; the summary the promotion record keeps."""
    n = parse_sample(args.audit_sample, len(seeds))
    picks = draw_folds(seeds, facts.sources, n)
    unaudited = sorted(set(seeds) - {seed for seed, _ in picks})
    if unaudited:
        log.warning(
            "audit: seeds %s have no fold in a sample of %s; raise --audit-sample", unaudited, n
        )
    if n is not None and n <= 2 * len(seeds) and len(facts.sources) <= 40:
        log.info(
            "audit: %d of %d folds drawn; a forgery of 1 fold is caught with chance >= %.3f",
            len(picks),
            len(seeds) * len(facts.sources),
            worst_p_detect(1, len(seeds), len(facts.sources), n),
        )
    picks_path, out_path = root / "audit" / "picks.json", root / "audit" / "predictions.json"
    write_json(picks_path, {"folds": [[seed, src] for seed, src in picks]})
    argv = [
        "trainer", "audit",
        "--corpus", str(root / "repo" / facts.path),
        "--picks", str(picks_path),
        "--out", str(out_path),
        "--epochs", str(args.epochs),
        "--batch-size", str(args.batch_size),
    ]  # fmt: skip
    child.run("audit", argv, root)
    got = _recomputed(read_json(out_path), picks)
    by_seed = {a.seed: a for a in artefacts}
    folds: list[dict[str, Any]] = []
    for (seed, src), y_pred in zip(picks, got, strict=True):
        art = by_seed[seed]
        fold = next(f for f in art.folds if f.held_out == src)  # tied: every source is a fold
        result = compare_fold(seed, src, fold.y_true, fold.y_pred, y_pred)
        log.info(
            "audit: seed %d, %s: max |d| %.2g VMAF, |d PLCC| %.2g: %s",
            seed, src, result.max_abs_diff, result.plcc_diff, "ok" if result.passed else "FORGED",
        )  # fmt: skip
        check_fold(result, str(Path(args.loso_dir) / loso_filename(seed)))
        folds.append(
            {
                "seed": seed,
                "held_out": src,
                "max_abs_diff": result.max_abs_diff,
                "plcc_diff": result.plcc_diff,
            }
        )
    return {
        "sample": "all" if n is None else n,
        "folds_total": len(seeds) * len(facts.sources),
        "tolerance": {"max_abs_diff": MAX_ABS_DIFF, "plcc_diff": PLCC_DIFF},
        "folds": folds,
        "passed": True,
    }


def _recomputed(doc: Any, picks: list[tuple[int, str]]) -> list[list[float]]:
    """The child's predictions, in pick order; anything else is a bug of the child."""
    folds = doc.get("folds") if isinstance(doc, dict) else None
    if not isinstance(folds, list) or [(f.get("seed"), f.get("held_out")) for f in folds] != picks:
        raise RuntimeError("trainer audit wrote other folds than it was asked for")
    out = []
    for f in folds:
        y = f.get("y_pred")
        if not isinstance(y, list) or not all(isinstance(v, float | int) for v in y):
            raise InputError("trainer audit: predictions are not numbers")
        out.append([float(v) for v in y])
    return out
