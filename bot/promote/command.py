"""``python -m bot promote``: the trusted side, from loso files to the flip (SPEC §11).

Phases (each a log group in a workflow):

1. base: the registry, the corpus pin and the member rows' files at the base
   commit (PR mode: the API; locally: the working tree), and the corpus
   bytes the pin accepts, into a fresh private work dir (``bot.promote.workdir``);
2. tie: ``loso_seed<N>.json`` of the requested seeds, and nothing else of
   ``--loso-dir``, each tied to the corpus and the workflow's recipe;
3. audit: folds drawn with ``secrets.SystemRandom`` re-trained by
   ``python -m trainer audit`` and compared (``gate.audit_check``);
4. gate: ``python -m gate`` with this command's thresholds;
5. export: ``python -m trainer export`` (full-corpus CPU fit, ONNX, sidecars,
   plan, drift, calibration);
6. verify, plan, commit and pull request (or write the working tree): the bot's
   verifier on the base of phase 1, then the flip commit planned on that very
   commit (``bot.run``, ``bot.pr.commit_plan``); PR, ``--dry-run``, ``--apply-local``.

Stages 3-5 are child processes without any token (``bot.promote.children``) that
write only into the work dir.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import logging
import os
import shutil
import stat
import sys
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from bot.config import BotConfig
from bot.flags import add_flip_flags, config_from_args
from bot.flip import BaseView
from bot.promote.audit import run_audit
from bot.promote.children import Child, child_env
from bot.promote.flags import add_promote_flags, check_promote_flags, gate_flags
from bot.promote.workdir import make_workdir, mirror_base, take_loso_files
from bot.run import flip_verified, open_base
from bot.trust import same_registry
from bot.workflow import Phase, annotate_error, mask, phase
from flipbot.cli import run_guarded
from flipbot.corpus_pin import PinnedCorpus, resolve_corpus
from flipbot.errors import EXIT_INPUT, InputError
from flipbot.loso_recipe import recipe_fields
from flipbot.provenance import git_commit
from flipbot.untrusted_text import log_line
from gate.loso_set import parse_seeds

log = logging.getLogger("bot")
CORPUS_MAX_BYTES = 1 << 30  # far above a real corpus (the shipped one: 0.7 MB compressed)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot promote",
        description=(
            "The trusted side: tie the loso files to the corpus the base commit pins, audit them "
            "by re-training a secret sample of folds, judge them with the gate, export the cleared "
            "seeds, and flip (PR, --dry-run or --apply-local). Only loso_seed<N>.json of --seeds "
            "is read from --loso-dir; audit, gate and export run as child processes without any "
            "token, in a private work dir."
        ),
        epilog="Exit codes: 0 done, 1 refused (unless --no-fail-on-refusal), 2 bad input, 3 a bug.",
    )
    add_promote_flags(parser)
    add_flip_flags(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        check_promote_flags(args)  # first: the config below takes --loso-dir as a placeholder
        config = config_from_args(args, args.loso_dir, args.loso_dir)
    except InputError as exc:
        print(f"error: {log_line(str(exc))}", file=sys.stderr)
        return EXIT_INPUT
    annotate = annotate_error if os.environ.get("GITHUB_ACTIONS") == "true" else None
    return run_guarded("bot promote", lambda: promote(args, config), on_input_error=annotate)


def promote(args: argparse.Namespace, config: BotConfig) -> int:
    if config.token:
        mask(config.token)  # before anything else can log
    seeds = parse_seeds(args.seeds)
    registry = _repo_relative(config.registry)
    supplied = _read_supplied(args.corpus_bytes)
    timings: dict[str, float] = {}
    step: Phase = functools.partial(phase, command="promote", timings=timings)
    root = make_workdir(args.work_dir)
    try:
        with step("base"):
            api, base = open_base(config)
            view = base(registry)
            pinned = resolve_corpus(view.read, args.corpus, view.where, supplied)
            log.info(
                "promote: corpus %s (%s, sha256 %s)",
                args.corpus,
                pinned.pin.form,
                pinned.pin.sha256[:12],
            )
            mirror_base(root, view, pinned, config.ensemble_id, seeds)
        with step("tie"):
            recipe = recipe_fields(args.epochs, args.batch_size)
            facts, artefacts = take_loso_files(root, Path(args.loso_dir), seeds, pinned, recipe)
        # The C kernels (and matplotlib's cache) go into this run's own cache: never a .so another
        # job left behind, nothing written outside the work dir.
        extra = {
            "GITHUB_SHA": view.commit or git_commit(Path.cwd()) or "",
            "XDG_CACHE_HOME": str(root / "cache"),
            "MPLCONFIGDIR": str(root / "cache" / "matplotlib"),
        }
        env = child_env(os.environ, [config.token or ""], extra)
        child = Child(args.train_python, env)
        with step("audit"):
            audit = run_audit(child, root, args, artefacts, facts, seeds)
        with step("gate"):
            child.run("gate", ["gate", "loso", *gate_flags(args)], root, allow_no=True)
        with step("export"):
            child.run(
                "export",
                _export_argv(root, registry, pinned, config),
                root / "repo",
                allow_no=True,
            )
        done = dataclasses.replace(
            config, verdict_dir=root / "loso", artifacts=root / "export", audit=audit
        )
        code = flip_verified(done, api, _pinned_base(view, pinned, config), step)
        log.info("promote: timings %s", ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
        return code
    finally:
        if args.work_dir is None:
            shutil.rmtree(root, ignore_errors=True)
        else:
            log.info("promote: work dir kept at %s", root)


def _export_argv(root: Path, registry: str, pinned: PinnedCorpus, config: BotConfig) -> list[str]:
    return [
        "trainer", "export",
        "--corpus", pinned.pin.path,
        "--verdict-dir", str(root / "loso"),
        "--registry", registry,
        "--out-dir", str(root / "export"),
        "--ensemble-id", config.ensemble_id,
        "--device", "cpu",
    ]  # fmt: skip


def _pinned_base(
    view: BaseView, pinned: PinnedCorpus, config: BotConfig
) -> Callable[[str], BaseView]:
    """The one base view of this run for the verifier, the corpus path reading the pinned bytes."""

    def read(path: str) -> bytes | None:
        return pinned.data if path == pinned.pin.path else view.read(path)

    def load(plan_registry: str) -> BaseView:
        same_registry(config.registry, plan_registry)
        return dataclasses.replace(view, read=read)

    return load


def _repo_relative(registry: Path) -> str:
    """--registry as a repository-relative path (locally: relative to the current folder)."""
    if registry.is_absolute():
        try:
            registry = registry.relative_to(Path.cwd())
        except ValueError:
            raise InputError(
                f"--registry {registry}: outside the current folder; run from the repository root "
                "with a repository-relative path"
            ) from None
    return PurePosixPath(registry.as_posix()).as_posix()


def _read_supplied(path: str | None) -> bytes | None:
    """--corpus-bytes: a regular file of at most CORPUS_MAX_BYTES (no symlink)."""
    if path is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise InputError(
            f"--corpus-bytes {path}: cannot read it ({exc.strerror}); pass the corpus file itself"
        ) from None
    with os.fdopen(fd, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode) or size > CORPUS_MAX_BYTES:
            raise InputError(
                f"--corpus-bytes {path}: not a regular file of at most {CORPUS_MAX_BYTES} bytes; "
                "pass the corpus file itself"
            )
        return fh.read(CORPUS_MAX_BYTES + 1)
