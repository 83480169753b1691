"""``python -m bot``: apply a flip plan to the registry and open (or update) the flip PR.

Exit codes: 0 done, 1 refusal (unless --no-fail-on-refusal), 2 bad input or a
GitHub error with its fix, 3 a bug.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from bot.config import BotConfig
from bot.flags import add_convention_flags, add_flip_flags, config_from_args
from bot.promote import main as promote_main
from bot.run import flip_verified, open_base
from bot.signing import verify_signatures_main
from bot.workflow import annotate_error, mask, phase
from flipbot.cli import run_guarded
from flipbot.errors import EXIT_INPUT, InputError
from flipbot.untrusted_text import configure_logging, log_line

__all__ = ["add_convention_flags", "build_parser", "execute", "main"]

log = logging.getLogger("bot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=(
            "Apply the flip plan written by `trainer export` to the registry on the base branch and "
            "open or update one flip pull request; on a refused verdict, write nothing and report why. "
            "The token comes only from the environment (FLIPBOT_TOKEN, else GITHUB_TOKEN)."
        ),
        epilog=(
            "The PR lives on the branch flipbot/<registry-stem>, rebuilt from the base tip on every "
            "run; an identical rerun writes nothing. Add the label 'stop-updating' to freeze the PR; "
            "commits pushed by people are never overwritten. Step outputs go to $GITHUB_OUTPUT, the "
            "report to $GITHUB_STEP_SUMMARY. Exit codes: 0 done, 1 refused (unless "
            "--no-fail-on-refusal), 2 bad input or a GitHub error (the message names the fix), 3 a bug."
        ),
    )
    parser.add_argument(
        "--verdict-dir", required=True, help="folder with PROMOTE.json or HOLD.json"
    )
    parser.add_argument(
        "--artifacts", required=True, help="export folder with flip_plan.json, ONNX files, sidecars"
    )
    add_flip_flags(parser)
    return parser


def _config(args: argparse.Namespace) -> BotConfig:
    return config_from_args(args, args.verdict_dir, args.artifacts)


def _run(config: BotConfig) -> int:
    if config.token:
        mask(config.token)  # before anything else can log
    api, base = open_base(config)
    # Every run narrates its phases (under Actions one log group each, as `bot promote` does);
    # a local run's report follows the last group, under Actions fenced by stop-commands.
    return flip_verified(config, api, base, phase)


def main(argv: list[str] | None = None) -> int:
    configure_logging("%(name)s: %(message)s")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["promote"]:
        return promote_main(argv[1:])
    if argv[:1] == ["verify-signatures"]:
        return verify_signatures_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        config = _config(args)
    except InputError as exc:
        print(f"error: {log_line(str(exc))}", file=sys.stderr)
        return EXIT_INPUT
    return execute(config)


def execute(config: BotConfig) -> int:
    """Run the bot for ``config``; print errors and map them to exit codes."""
    annotate = annotate_error if os.environ.get("GITHUB_ACTIONS") == "true" else None
    return run_guarded("bot", lambda: _run(config), on_input_error=annotate)


if __name__ == "__main__":
    sys.exit(main())
