"""``python -m trainer audit``: re-train chosen LOSO folds on the CPU, write their predictions.

The trusted side (``python -m bot promote``) runs this as a child process
without any token: it writes the folds it drew into a picks file
(``{"folds": [[seed, "source"], ...]}``) and compares the result with the
loso files itself (``gate.audit_check``). With ``--loso-dir`` this command
also compares and exits 2 naming the first fold beyond the tolerance.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import torch

from flipbot.corpus import load_corpus
from flipbot.errors import EXIT_OK, InputError
from flipbot.fields import check_int, check_text, need_list
from flipbot.inputs import rules
from flipbot.jsonfile import read_json, write_json
from flipbot.loso_file import LosoArtefact, loso_filename
from gate.audit_check import check_fold, compare_fold
from trainer.audit import Recomputed, retrain_folds
from trainer.progress import EpochProgress
from trainer.recipe import Recipe

log = logging.getLogger("trainer")
KIND = "flipbot.audit"
SCHEMA_VERSION = 1


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Re-train the (seed, held-out source) folds named in --picks on the CPU with the recipe "
        "and write their held-out predictions (rounded as loso files store them) to --out."
    )
    parser.add_argument("--corpus", required=True, type=Path, help="corpus JSONL(.gz)")
    parser.add_argument(
        "--picks", required=True, type=Path, help='JSON {"folds": [[seed, "source"], ...]}'
    )
    parser.add_argument("--out", required=True, type=Path, help="where the predictions go (JSON)")
    parser.add_argument("--epochs", default=str(Recipe.epochs), help="default: %(default)s")
    parser.add_argument("--batch-size", default=str(Recipe.batch_size), help="default: %(default)s")
    parser.add_argument("--threads", type=int, default=None, help="CPU workers (default: cores)")
    parser.add_argument(
        "--loso-dir", type=Path, default=None, help="also compare with loso_seed{N}.json here"
    )


def read_picks(path: Path) -> list[tuple[int, str]]:
    doc = read_json(path)
    if not isinstance(doc, dict):
        raise InputError(f"{path}: expected a JSON object with 'folds'; write the picks file")
    picks = []
    for i, item in enumerate(need_list(doc, "folds", str(path))):
        what = f"{path}: folds[{i}]"
        if not isinstance(item, list) or len(item) != 2:
            raise InputError(f"{what}: expected [seed, source]; fix the picks file")
        picks.append((check_int(item[0], f"{what}[0]"), check_text(item[1], f"{what}[1]")))
    if not picks or len(set(picks)) != len(picks):
        raise InputError(f"{path}: 'folds' is empty or names a fold twice; fix the picks file")
    return picks


def run(args: argparse.Namespace) -> int:
    epochs = rules.epochs("--epochs", args.epochs)
    batch_size = rules.batch_size("--batch-size", args.batch_size)
    if args.threads is not None and args.threads < 1:
        raise InputError(f"--threads: {args.threads} must be at least 1")
    picks = read_picks(args.picks)
    corpus = load_corpus(args.corpus)
    unknown = sorted({src for _, src in picks} - set(corpus.sources))
    if unknown:
        raise InputError(
            f"{args.picks}: sources {unknown!r} are not in {args.corpus}; fix the picks"
        )
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    recipe = Recipe(epochs=epochs, batch_size=batch_size)
    log.info("audit: re-training %d fold(s), %d epochs, on the CPU", len(picks), recipe.epochs)
    got, wall, device = retrain_folds(corpus, picks, recipe, EpochProgress("audit"))
    write_json(args.out, result_json(got, corpus.sha256, recipe, device, wall))
    log.info("audit: %d fold(s) re-trained in %.1f s -> %s", len(got), wall, args.out)
    if args.loso_dir is not None:
        compare_all(got, args.loso_dir)
    return EXIT_OK


def result_json(
    got: list[Recomputed], corpus_sha256: str, recipe: Recipe, device: str, wall: float
) -> dict[str, Any]:
    return {
        "kind": KIND,
        "schema_version": SCHEMA_VERSION,
        "corpus_sha256": corpus_sha256,
        "recipe": recipe.to_json(),
        "device": device,
        "wall_time_s": round(wall, 3),
        "folds": [{"seed": r.seed, "held_out": r.held_out, "y_pred": list(r.y_pred)} for r in got],
    }


def compare_all(got: list[Recomputed], loso_dir: Path) -> None:
    for r in got:
        path = loso_dir / loso_filename(r.seed)
        art = LosoArtefact.read(path)
        fold = next((f for f in art.folds if f.held_out == r.held_out), None)
        if fold is None or len(fold.y_pred) != len(r.y_pred):
            raise InputError(
                f"{path}: no fold {r.held_out!r} with its held-out rows; regenerate it"
            )
        result = compare_fold(r.seed, r.held_out, fold.y_true, fold.y_pred, r.y_pred)
        check_fold(result, str(path))
        log.info(
            "audit: %s seed %d: max |d| %.2g VMAF, |dPLCC| %.2g: ok",
            r.held_out,
            r.seed,
            result.max_abs_diff,
            result.plcc_diff,
        )
