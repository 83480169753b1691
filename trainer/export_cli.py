"""``python -m trainer export``: the command line of trainer/export.py.

``trainer/__main__.py`` calls ``configure`` to add these flags to its
``export`` subcommand and ``run`` to execute it; ``main`` runs it alone.
Exit codes: 0 exported, 1 nothing to export (refused verdict or empty flip
set), 2 bad input (nothing written), 3 a bug (please report).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

from flipbot.errors import EXIT_BUG, EXIT_INPUT, EXIT_NO, EXIT_OK, InputError
from flipbot.inputs import rules
from flipbot.sidecar_shape import DEFAULT_PARENT_ADRS
from flipbot.untrusted_text import configure_logging, log_line
from trainer.onnx_check import ExportCheckError
from trainer.pins import NothingToExport
from trainer.registry_view import DEFAULT_ENSEMBLE_ID

DESCRIPTION = """\
Fit every seed the gate cleared on the FULL corpus (the verdict's recipe,
one stacked run), export each to ONNX (opset 17, weights inside the file,
libvmaf operator allowlist, onnxruntime == torch within 1e-4), and write
OUT_DIR/<id>.onnx, OUT_DIR/<id>.json (sidecar) and OUT_DIR/flip_plan.json
for the bot. Refuses unless the corpus and every loso file still match the
sha256 pinned by the verdict. Never edits the registry: the bot applies the
plan. Everything is written to a temporary folder and renamed into place at
the end, so a failure leaves OUT_DIR as it was.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--corpus", required=True, type=Path, help="the corpus JSONL(.gz) the gate judged"
    )
    parser.add_argument(
        "--verdict-dir",
        required=True,
        type=Path,
        help="the gate's folder: PROMOTE.json or HOLD.json and the loso_seed{N}.json files it pins",
    )
    parser.add_argument(
        "--registry",
        required=True,
        type=Path,
        help="model registry JSON (read only: rows must exist)",
    )
    parser.add_argument(
        "--out-dir",
        required=True,
        type=Path,
        help="where the ONNX files, sidecars and flip_plan.json go (new, empty or a previous export)",
    )
    parser.add_argument(
        "--ensemble-id",
        default=DEFAULT_ENSEMBLE_ID,
        help="registry rows are <id>_seed<N> (default: %(default)s)",
    )
    parser.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), default="auto", help="training device"
    )
    parser.add_argument(
        "--epochs",
        default=None,
        help="override the verdict's epoch count (default: the verdict's recipe)",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)"
    )
    parser.add_argument(
        "--parent-adrs",
        default=",".join(DEFAULT_PARENT_ADRS),
        help="the sidecars' parent_adrs, comma-separated (default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")


def run(args: argparse.Namespace) -> int:
    from trainer.export import ExportRequest, run_export

    configure_logging("export: %(message)s")
    try:
        request = ExportRequest(
            corpus=args.corpus,
            verdict_dir=args.verdict_dir,
            registry=args.registry,
            out_dir=args.out_dir,
            ensemble_id=args.ensemble_id,
            device=args.device,
            epochs=None if args.epochs is None else rules.epochs("--epochs", args.epochs),
            threads=args.threads,
            parent_adrs=tuple(a.strip() for a in args.parent_adrs.split(",") if a.strip()),
        )
        report = run_export(request)
    except InputError as exc:
        print(f"error: {log_line(str(exc))}", file=sys.stderr)
        return EXIT_INPUT
    except NothingToExport as exc:
        print(f"nothing to export: {log_line(str(exc))}", file=sys.stderr)
        return EXIT_NO
    except ExportCheckError as exc:
        print(
            f"export check failed (nothing written): {log_line(str(exc))}; please report",
            file=sys.stderr,
        )
        return EXIT_BUG
    except Exception:
        traceback.print_exc()
        print("export failed with a bug (nothing written); please report", file=sys.stderr)
        return EXIT_BUG
    if args.json:
        summary = {
            "out_dir": str(report.out_dir),
            "rows": [{"id": r.id, "seed": r.seed, "sha256": r.sha256} for r in report.plan.rows],
            "parity_max_abs_diff": {str(k): v.max_abs_diff for k, v in report.parity.items()},
            "notes": list(report.notes),
            "fit_seconds": report.fit_seconds,
            "export_seconds": report.export_seconds,
        }
        print(json.dumps(summary, indent=2, sort_keys=True))
    else:
        for row in report.plan.rows:
            print(f"{row.id}: sha256 {row.sha256} (smoke: false)")
        print(f"flip plan: {report.out_dir / 'flip_plan.json'}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer export")
    configure(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
