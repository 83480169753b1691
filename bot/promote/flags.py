"""The flags of ``python -m bot promote`` that ``python -m bot`` has not: inputs of the trusted side."""

from __future__ import annotations

import argparse
import sys

from bot.registry import clean_repo_path
from flipbot.errors import InputError
from flipbot.input_bounds import check_path_length
from flipbot.inputs import rules
from flipbot.loso_recipe import DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS
from flipbot.verdict_file import MEAN_PLCC_MIN, PER_SEED_PLCC_MIN, PLCC_SPREAD_MAX
from gate.rules import resolve_thresholds

DEFAULT_CORPUS = "corpus/flipbot_corpus_v1.jsonl.gz"


def add_promote_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("training-side input and the workflow's recipe")
    group.add_argument(
        "--loso-dir", required=True, help="folder with loso_seed<N>.json (nothing else is read)"
    )
    group.add_argument("--seeds", default="0,1,2,3,4", help="the seed set (default: %(default)s)")
    group.add_argument(
        "--corpus",
        default=DEFAULT_CORPUS,
        help="the corpus path in the repository: the file, a Git LFS pointer, or absent with a "
        "pin file <path>.sha256 beside it (default: %(default)s)",
    )
    group.add_argument(
        "--corpus-bytes",
        default=None,
        help="a file with the corpus bytes when the repository pins the corpus without committing "
        "it; used only when its sha256 (and size) equal the pin",
    )
    group.add_argument("--epochs", default=str(DEFAULT_EPOCHS), help="default: %(default)s")
    group.add_argument("--batch-size", default=str(DEFAULT_BATCH_SIZE), help="default: %(default)s")
    group.add_argument(
        "--audit-sample",
        default=rules.AUDIT_DEFAULT,
        help="folds the audit re-trains: 'default' (one per seed), a count dealt evenly over "
        "the seeds, or 'all' (default: %(default)s)",
    )
    group.add_argument(
        "--train-python",
        default=sys.executable,
        help="the Python (with requirements/train.txt) that runs audit, gate and export "
        "(default: this one)",
    )
    group.add_argument(
        "--work-dir",
        default=None,
        help="create the work dir inside this folder and keep it (default: a temporary one, "
        "removed at the end)",
    )
    gate = parser.add_argument_group("gate thresholds (as `python -m gate`)")
    gate.add_argument("--mean-plcc-threshold", help=f"default {MEAN_PLCC_MIN}")
    gate.add_argument("--plcc-spread-max", help=f"default {PLCC_SPREAD_MAX}")
    gate.add_argument("--per-seed-min", help=f"default {PER_SEED_PLCC_MIN}")
    gate.add_argument(
        "--allow-threshold-override",
        action="store_true",
        help="permit LOOSENING a threshold (needs a new decision record); the PR says so",
    )


def check_promote_flags(args: argparse.Namespace) -> None:
    """Refuse a loosened threshold without the override flag, bad paths and counts, before any
    work; ``--epochs``, ``--batch-size``, ``--audit-sample`` and the thresholds become their
    values (by the rules the Action's inputs use)."""
    for flag in ("loso_dir", "corpus", "corpus_bytes", "train_python", "work_dir"):
        check_path_length("--" + flag.replace("_", "-"), getattr(args, flag) or "")
    try:
        clean_repo_path(args.corpus, "--corpus")
    except InputError:
        raise InputError(
            f"--corpus {args.corpus[:200]!r}: not a clean repository-relative path; name the "
            "corpus as the repository holds it, e.g. corpus/flipbot_corpus_v1.jsonl.gz"
        ) from None
    chosen, _ = resolve_thresholds(
        mean_plcc=args.mean_plcc_threshold,
        plcc_spread=args.plcc_spread_max,
        per_seed_min=args.per_seed_min,
        allow_override=args.allow_threshold_override,
    )
    # The given ones as their values; the gate's flags pass only those (none: ADR-0303's).
    for name, value in (
        ("mean_plcc_threshold", chosen.mean_plcc),
        ("plcc_spread_max", chosen.plcc_spread),
        ("per_seed_min", chosen.per_seed_min),
    ):
        if getattr(args, name) is not None:
            setattr(args, name, value)
    args.audit_sample = rules.audit_sample("--audit-sample", args.audit_sample)
    args.epochs = rules.epochs("--epochs", args.epochs)
    args.batch_size = rules.batch_size("--batch-size", args.batch_size)


def gate_flags(args: argparse.Namespace) -> list[str]:
    """The gate's flags for this run: seeds, thresholds, override, pictures."""
    flags = ["--seeds", args.seeds, "--plots"]
    for name, value in (
        ("--mean-plcc-threshold", args.mean_plcc_threshold),
        ("--plcc-spread-max", args.plcc_spread_max),
        ("--per-seed-min", args.per_seed_min),
    ):
        if value is not None:
            flags += [name, repr(float(value))]
    if args.allow_threshold_override:
        flags.append("--allow-threshold-override")
    return flags
