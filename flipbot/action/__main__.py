"""``python -m flipbot.action``: the composite Action's own helper steps.

Runs on the runner's plain ``python3`` (standard library only), before any
virtual environment exists:

- ``inputs``: validate the ``FLIPBOT_INPUT_*`` variables action.yml forwards
  and publish the normalised values as step outputs;
- ``verdict DIR``: publish the decision of the verdict in DIR;
- ``venvs``: name the venv folders the stages need: keyed ones for the train
  stage, a new private folder for the trusted one (``flipbot.action.venv_step.plan``);
- ``venv``: build the venv ``$VENV`` with ``$REQUIREMENTS`` installed (a
  ``.lock`` with ``--require-hashes``; ``$FRESH=true``: never reuse anything), and
  publish its ``python``;
- ``run STAGE``: run one stage (train, promote) with the argv that
  ``flipbot.action.commands`` builds from the step's environment.

Exit codes: 0 done, 2 bad input (one ``::error::`` line naming the input
and the fix), 3 a bug.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from flipbot.action.commands import STAGES, make_venv, run_stage
from flipbot.action.inputs import parse_inputs
from flipbot.action.outputs import input_outputs, verdict_outputs, write_outputs
from flipbot.action.venv_step import plan as plan_venvs
from flipbot.errors import EXIT_BUG, EXIT_INPUT, EXIT_OK, InputError
from flipbot.untrusted_text import log_line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m flipbot.action",
        description="Helper steps of flipbot's composite Action (action.yml). "
        "Outputs go to $GITHUB_OUTPUT; without it they are printed.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    inputs = sub.add_parser(
        "inputs", help="validate the FLIPBOT_INPUT_* environment and publish the normalised inputs"
    )
    inputs.add_argument(
        "--workspace",
        default=os.environ.get("GITHUB_WORKSPACE", "."),
        help="the repository root every path must stay inside (default: $GITHUB_WORKSPACE or .)",
    )
    verdict = sub.add_parser("verdict", help="publish verdict, refused, flip of the verdict in DIR")
    verdict.add_argument("dir", help="the folder holding PROMOTE.json or HOLD.json")
    verdict.add_argument(
        "--if-present", action="store_true", help="empty outputs when there is no verdict"
    )
    sub.add_parser("venvs", help="name the venv folders the stages need; publish them")
    sub.add_parser(
        "venv", help="build (or reuse) the venv $VENV with $REQUIREMENTS; publish python"
    )
    run = sub.add_parser("run", help="run one stage with the argv built from the environment")
    run.add_argument("stage", choices=STAGES)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Runs on the runner's own python3, which may predate requires-python.
    if sys.version_info < (3, 11):  # noqa: UP036
        print(
            "::error title=flipbot::flipbot needs Python 3.11 or newer on the runner; "
            "add actions/setup-python before this action",
            flush=True,
        )
        return EXIT_INPUT
    try:
        if args.command == "inputs":
            values = input_outputs(parse_inputs(os.environ, Path(args.workspace)))
        elif args.command == "verdict":
            values = verdict_outputs(args.dir, if_present=args.if_present)
        elif args.command == "venvs":
            values = plan_venvs(os.environ)
        elif args.command == "venv":
            values = {"python": str(make_venv(os.environ))}
        else:
            run_stage(args.stage, os.environ)  # replaces this process
            return EXIT_BUG
    except InputError as exc:
        # One line, escaped: a value echoed in the message never starts a workflow command.
        print(f"::error title=flipbot::{log_line(str(exc)).replace('%', '%25')}", flush=True)
        return EXIT_INPUT
    except Exception:
        traceback.print_exc()
        print(
            "::error title=flipbot::internal error in the Action's helper; please report",
            flush=True,
        )
        return EXIT_BUG
    text = write_outputs(values)
    if not os.environ.get("GITHUB_OUTPUT"):
        sys.stdout.write(text)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
