"""Honest differences of the audit: re-train folds, compare with a LOSO run's stored predictions.

    python tools/audit_tolerance.py --loso-dir artifacts/loso --picks 0:alea,3:tree --threads 2
    FLIPBOT_CPU_KERNELS=torch python tools/audit_tolerance.py ...   # the torch kernels

Prints one JSON line: per fold max |d|, RMS d (VMAF) and |d PLCC|, the training seconds and the
load average. docs/DESIGN.md ("The audit") holds the numbers that set gate/audit_check.py.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from flipbot.corpus import load_corpus
from flipbot.loso_file import LosoArtefact, loso_filename
from gate.audit_check import compare_fold
from trainer.audit import retrain_folds
from trainer.recipe import Recipe


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", default="corpus/flipbot_corpus_v1.jsonl.gz")
    p.add_argument("--loso-dir", required=True, type=Path)
    p.add_argument("--picks", required=True, help="seed:source,... (source names of the corpus)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=200)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    corpus = load_corpus(args.corpus)
    picks = [(int(s), src) for s, src in (x.split(":", 1) for x in args.picks.split(","))]
    start = time.perf_counter()
    got, wall, device = retrain_folds(corpus, picks, Recipe(epochs=args.epochs))
    rows = []
    for r in got:
        art = LosoArtefact.read(args.loso_dir / loso_filename(r.seed))
        fold = next(f for f in art.folds if f.held_out == r.held_out)
        res = compare_fold(r.seed, r.held_out, fold.y_true, fold.y_pred, r.y_pred)
        d = np.asarray(r.y_pred) - np.asarray(fold.y_pred)
        rows.append({"seed": r.seed, "source": r.held_out, "max_abs": res.max_abs_diff,
                     "rms": res.rms_diff, "plcc": res.plcc_diff, "n": int(d.size)})  # fmt: skip
    print(json.dumps({
        "device": device, "kernels": os.environ.get("FLIPBOT_CPU_KERNELS", "fused"),
        "train_s": round(wall, 2), "total_s": round(time.perf_counter() - start, 2),
        "load": os.getloadavg(), "folds": rows,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
