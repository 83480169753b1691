"""``python -m trainer {loso,export,audit}``: the trainer's command line.

Only this module prints errors and picks exit codes: 0 done, 2 bad input
(one sentence naming the file/field and the fix), 3 a bug (traceback,
please report).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from types import ModuleType

from flipbot.cli import run_guarded
from flipbot.errors import EXIT_INPUT
from flipbot.untrusted_text import configure_logging

COMMANDS = {
    "loso": ("trainer.loso_cli", "train the LOSO seeds, write loso_seed{N}.json"),
    "export": (
        "trainer.export_cli",
        "fit the cleared seeds on the full corpus, export ONNX + sidecars",
    ),
    "audit": (
        "trainer.audit_cli",
        "re-train chosen LOSO folds on the CPU, write their predictions",
    ),
}


def _load(name: str) -> ModuleType | None:
    """The command's module, or None while it does not exist in this checkout."""
    module = COMMANDS[name][0]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None
        raise


def build_parser(command: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trainer",
        description="flipbot trainer: LOSO training of the deep ensemble and ONNX export.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{loso,export,audit}")
    for name, (_, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        # Import a command's module only when it runs (export pulls in onnx).
        module = _load(name) if name == command else None
        if module is not None:
            module.configure(p)
            p.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if a in COMMANDS), None)
    configure_logging("%(message)s")
    if command is not None and _load(command) is None:
        print(f"error: `{command}` is not available in this checkout", file=sys.stderr)
        return EXIT_INPUT
    try:
        args = build_parser(command).parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return run_guarded("trainer", lambda: int(args.run(args)))


if __name__ == "__main__":
    sys.exit(main())
