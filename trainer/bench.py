"""``python -m trainer.bench``: the batched trainer against the reference loop.

Shape: the default recipe's LOSO (5 seeds x every fold of a 9-source,
5,640-row corpus, batch 32). The shipped corpus is used, subsampled to
5,640 rows, when it exists; otherwise the synthetic corpus of the same shape.
Both trainers run in this process at reduced epochs and are projected to 200
epochs: batched = (first epoch, which includes setup) + 199 x (mean later
epoch); reference = 45 x 200 x (mean seconds per model-epoch over the nine
seed-0 folds). The PLCC agreement compares those same nine seed-0 models.
"exact masks" repeats the batched seed-0 run with the reference's own
dropout masks: the remaining difference is float rounding. "pool masks" is
the shipped fast path, whose masks are a different random stream, so its
difference is seed-to-seed noise. Peak memory of a 35,000-row run is
measured in a child process. The last line is ``speedup: <x>``. Timings on
a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from flipbot.corpus import Corpus, load_corpus
from flipbot.metrics import score
from trainer import cpu_kernels
from trainer.batched import train_stacked
from trainer.loso import make_folds, predict
from trainer.recipe import Job, Recipe
from trainer.reference import train_one
from trainer.synthetic import synthetic_rows, write_corpus

SHIPPED = Path("corpus/flipbot_corpus_v1.jsonl.gz")
BENCH_ROWS = 5640  # upstream's corpus size
SEEDS = (0, 1, 2, 3, 4)
FULL_EPOCHS = Recipe.epochs
TARGET_SECONDS = 30.0  # the full recipe on 2 cores
TARGET_SPEEDUP = 60.0  # against the reference loop measured in the same run


def bench_corpus(rows: int) -> tuple[Corpus, str]:
    if SHIPPED.exists():
        full = load_corpus(SHIPPED)
        pick = np.sort(
            np.random.default_rng(0).choice(full.rows, size=min(rows, full.rows), replace=False)
        )
        return full.subset(pick), f"{SHIPPED} subsampled to {len(pick)} rows"
    corpus, _ = synthetic_corpus(rows)
    return corpus, f"synthetic ({SHIPPED} not built yet)"


def loso_jobs(corpus: Corpus, seeds: tuple[int, ...]) -> tuple[list[Job], list]:
    folds = make_folds(corpus)
    return [Job(s, f.x_train, corpus.vmaf[f.train_rows]) for s in seeds for f in folds], folds


def time_batched(jobs: list[Job], recipe: Recipe) -> tuple[float, list]:
    """Projected seconds for FULL_EPOCHS, and the trained models."""
    stamps: list[float] = []
    start = time.perf_counter()
    models = train_stacked(
        jobs, recipe, "cpu", lambda done, total: stamps.append(time.perf_counter())
    )
    first = stamps[0] - start
    later = (stamps[-1] - stamps[0]) / (len(stamps) - 1) if len(stamps) > 1 else first
    return first + later * (FULL_EPOCHS - 1), models


def plcc_deltas(
    corpus: Corpus, folds: list, ours: list, reference: list
) -> tuple[list[float], list[float], list[float]]:
    deltas, a_all, b_all = [], [], []
    for fold, a_model, b_model in zip(folds, ours, reference, strict=True):
        y = corpus.vmaf[fold.val_rows]
        a = score(y, predict(a_model, fold.x_val)).plcc
        b = score(y, predict(b_model, fold.x_val)).plcc
        if a is not None and b is not None:
            deltas.append(abs(a - b))
            a_all.append(a)
            b_all.append(b)
    return deltas, a_all, b_all


def memory_probe(rows: int) -> int:
    """Train 5 seeds x 9 folds for one epoch on ``rows`` rows; print peak RSS in MiB."""
    corpus, _ = synthetic_corpus(rows)
    jobs, _ = loso_jobs(corpus, SEEDS)
    train_stacked(jobs, Recipe(epochs=1))
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    return 0


def synthetic_corpus(rows: int) -> tuple[Corpus, str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.jsonl.gz"
        write_corpus(path, synthetic_rows(n_rows=rows))
        return load_corpus(path), "synthetic"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trainer.bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--epochs", type=int, default=10, help="epochs actually run (default: %(default)s)"
    )
    parser.add_argument(
        "--threads", default="1,2", help="thread counts to time the batched trainer with"
    )
    parser.add_argument("--memory-rows", type=int, default=35_000, help="0 skips the memory probe")
    parser.add_argument("--memory-probe", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_probe:
        torch.set_num_threads(1)
        return memory_probe(args.memory_probe)

    corpus, label = bench_corpus(BENCH_ROWS)
    jobs, folds = loso_jobs(corpus, SEEDS)
    recipe = Recipe(epochs=args.epochs)
    print(f"corpus: {label}")
    print(f"cpu kernels: {cpu_kernels.status()}")
    print(
        f"rows: {corpus.rows}, sources: {len(folds)}, seeds: {len(SEEDS)}, models: {len(jobs)}, batch: {recipe.batch_size}"
    )

    projected: dict[int, float] = {}
    seed0: list = []
    for threads in [int(t) for t in args.threads.split(",") if int(t) <= (os.cpu_count() or 1)]:
        torch.set_num_threads(threads)
        seconds, models = time_batched(jobs, recipe)
        projected[threads] = seconds
        seed0 = seed0 or models[: len(folds)]
        print(
            f"batched, {threads} thread(s): {seconds / FULL_EPOCHS:.3f} s/epoch, projected {FULL_EPOCHS} epochs: {seconds:.1f} s"
        )
    threads = min(projected, key=lambda t: projected[t])
    print(f"threads chosen: {threads} (one worker process, one stack, per thread)")

    # The upstream loop is fastest on one thread (SPEC §12).
    torch.set_num_threads(1)
    start = time.perf_counter()
    reference = [train_one(j, recipe) for j in jobs[: len(folds)]]
    per_model_epoch = (time.perf_counter() - start) / (len(folds) * args.epochs)
    ref_projected = per_model_epoch * len(jobs) * FULL_EPOCHS
    print(
        f"reference, 1 thread: {per_model_epoch:.3f} s per model-epoch ({len(folds)} models x {args.epochs} epochs), "
        f"projected {len(jobs)} models x {FULL_EPOCHS} epochs: {ref_projected:.0f} s"
    )

    exact = train_stacked(jobs[: len(folds)], replace(recipe, dropout_mask="exact"))
    for name, models in (("exact masks", exact), ("pool masks", seed0)):
        deltas, ours, refs = plcc_deltas(corpus, folds, models, reference)
        print(
            f"plcc agreement, {name}, after {args.epochs} epochs (seed 0, {len(deltas)} sources): "
            f"max |batched - reference| {max(deltas):.4f}; mean PLCC batched {np.mean(ours):.4f}, "
            f"reference {np.mean(refs):.4f}"
        )

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    line = f"peak RSS: this process {rss} MiB"
    if args.memory_rows:
        probe = subprocess.run(
            [sys.executable, "-m", "trainer.bench", "--memory-probe", str(args.memory_rows)],
            capture_output=True,
            text=True,
            check=True,
        )
        line += f"; {args.memory_rows}-row corpus, 45 models: {probe.stdout.strip()} MiB"
    print(line)
    speedup = ref_projected / projected[threads]
    verdicts = [
        f"full recipe <= {TARGET_SECONDS:.0f} s: {projected[threads]:.1f} s "
        + ("met" if projected[threads] <= TARGET_SECONDS else "missed"),
        f"speedup >= {TARGET_SPEEDUP:.0f}x: " + ("met" if speedup >= TARGET_SPEEDUP else "missed"),
    ]
    print("targets: " + "; ".join(verdicts))
    print(f"speedup: {speedup:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
