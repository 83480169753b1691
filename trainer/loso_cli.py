"""``python -m trainer loso``: train the LOSO seeds and write ``loso_seed{N}.json``.

The library raises InputError; ``trainer.__main__`` turns it into exit 2.
Inputs are checked before any training and nothing is written when one is
bad.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
from pathlib import Path

import torch

from flipbot.corpus import load_corpus
from flipbot.errors import EXIT_OK, InputError
from flipbot.inputs import rules
from flipbot.loso_file import LosoArtefact
from trainer.loso import run_loso
from trainer.progress import EpochProgress
from trainer.recipe import Recipe

log = logging.getLogger("trainer")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Leave-one-source-out training: for every seed and every source, train on the other "
        "sources and score the held-out one. Writes one loso_seed{N}.json per seed into "
        "--out-dir for `python -m gate`. All (seed, source) models train at once as one "
        "stacked model."
    )
    parser.add_argument(
        "--corpus", required=True, type=Path, help="corpus JSONL (.jsonl or .jsonl.gz)"
    )
    parser.add_argument(
        "--seeds",
        required=True,
        help="comma-separated ensemble seeds, e.g. 0,1,2,3,4; a single seed (3) trains one "
        "member, so seeds can be spread over runners and gated together",
    )
    parser.add_argument("--out-dir", required=True, type=Path, help="folder for loso_seed{N}.json")
    parser.add_argument("--epochs", default=str(Recipe.epochs), help="default: %(default)s")
    parser.add_argument("--batch-size", default=str(Recipe.batch_size), help="default: %(default)s")
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="auto = cuda when available, else cpu (default: %(default)s)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU workers (one process and one thread each), each training its own share of the "
        "models (default: torch's thread count, "
        "usually one per core)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="1 epoch, files marked note=dry-run (the gate refuses them): a quick smoke test",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")


def parse_seeds(text: str) -> list[int]:
    return list(rules.seeds("--seeds", text))


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA device is available; use --device cpu or auto")
    return torch.device(name)


def check_out_dir(path: Path) -> None:
    """Create ``path`` if needed and prove it is writable (the probe file is removed)."""
    if path.exists() and not path.is_dir():
        raise InputError(f"--out-dir {path}: exists and is not a folder; pick another path")
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-probe.", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(
            f"--out-dir {path}: not writable ({exc.strerror}); pick a writable folder"
        ) from None


def run(args: argparse.Namespace) -> int:
    seeds = parse_seeds(args.seeds)
    epochs = rules.epochs("--epochs", args.epochs)
    epochs = 1 if args.dry_run else epochs
    batch_size = rules.batch_size("--batch-size", args.batch_size)
    if args.threads is not None and args.threads < 1:
        raise InputError(f"--threads: {args.threads} must be at least 1")
    device = pick_device(args.device)
    corpus = load_corpus(args.corpus)
    check_out_dir(args.out_dir)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    recipe = Recipe(epochs=epochs, batch_size=batch_size)
    n_models = len(seeds) * len(corpus.sources)
    log.info(
        "loso: %d rows, %d sources, seeds %s: %d models, %d epochs on %s%s",
        corpus.rows,
        len(corpus.sources),
        ",".join(map(str, seeds)),
        n_models,
        epochs,
        device,
        " (dry-run)" if args.dry_run else "",
    )
    artefacts = run_loso(corpus, seeds, recipe, device, EpochProgress("loso"), args.dry_run)
    paths = [a.write(args.out_dir) for a in artefacts]
    if args.json:
        print(json.dumps(summary(artefacts, paths), indent=2, sort_keys=True))
    else:
        for a, p in zip(artefacts, paths, strict=True):
            mean = a.mean_plcc
            shown = f"{mean:.5f}" if mean is not None else "undefined"
            print(f"seed {a.seed}: mean PLCC {shown} over {len(a.folds)} sources -> {p}")
        if args.dry_run:
            print("note: dry-run (1 epoch); the gate refuses these files")
    return EXIT_OK


def summary(artefacts: list[LosoArtefact], paths: list[Path]) -> dict[str, object]:
    return {
        "files": [str(p) for p in paths],
        "note": artefacts[0].note if artefacts else None,
        "seeds": {
            str(a.seed): {
                "mean_plcc": a.mean_plcc,
                "per_source_plcc": {f.held_out: f.plcc for f in a.folds},
            }
            for a in artefacts
        },
        "wall_time_s": artefacts[0].wall_time_s if artefacts else None,
    }
