"""``python -m gate LOSO_DIR --seeds 0,1,2,3,4``: judge a LOSO run, write the verdict.

Exit codes: 0 PROMOTE, 1 HOLD (0 with --exit-zero), 2 bad input (nothing
written), 3 a bug.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from flipbot.cli import run_guarded
from flipbot.errors import EXIT_NO, EXIT_OK, InputError
from flipbot.input_bounds import check_path_length
from flipbot.jsonfile import dumps
from flipbot.untrusted_text import log_line
from flipbot.verdict_file import MEAN_PLCC_MIN, PER_SEED_PLCC_MIN, PLCC_SPREAD_MAX
from gate.calibration import calibrate_run
from gate.calibration_file import FILENAME as CALIBRATION_FILENAME
from gate.calibration_file import Calibration
from gate.console import format_calibration, format_console, workflow_annotations
from gate.loso_set import LosoSet, load_loso_set, parse_seeds
from gate.render import render_calibration, render_summary
from gate.rules import TOLERANCE, Thresholds, resolve_thresholds
from gate.verdict import judge_run


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m gate",
        description=(
            "Judge a leave-one-source-out run against the ADR-0303 gate: mean of the per-seed "
            f"PLCC >= {MEAN_PLCC_MIN}, spread (max - min) of the per-seed PLCC <= "
            f"{PLCC_SPREAD_MAX}, every seed's PLCC >= {PER_SEED_PLCC_MIN} (inclusive, with "
            f"{TOLERANCE:g} float slack). Writes PROMOTE.json or HOLD.json (and removes a "
            "stale one of the other kind). If the spread rule fails every seed is refused; "
            "otherwise each seed that clears the per-seed minimum flips. Also writes "
            "calibration.json, an informational conformal check of the ensemble's spread."
        ),
        epilog="Exit codes: 0 PROMOTE, 1 HOLD (0 with --exit-zero), 2 bad input, 3 a bug.",
    )
    p.add_argument("loso_dir", metavar="LOSO_DIR", help="folder holding loso_seed{N}.json")
    p.add_argument(
        "--seeds",
        required=True,
        help="the exact seed set to judge, e.g. 0,1,2,3,4 (a missing or extra file is an error)",
    )
    p.add_argument("--json", action="store_true", help="print the verdict JSON, not the table")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 on HOLD (still 2 on bad input)")
    p.add_argument(
        "--summary",
        metavar="PATH",
        help="append the Markdown report to PATH (in a workflow: $GITHUB_STEP_SUMMARY)",
    )
    p.add_argument("--out-dir", metavar="DIR", help="where to write the verdict (default LOSO_DIR)")
    p.add_argument(
        "--plots",
        action="store_true",
        help="also render loso_scatter.png and loso_plcc_strip.png next to the verdict "
        "(informational; needs matplotlib)",
    )
    p.add_argument(
        "--mean-plcc-threshold",
        metavar="X",
        help=f"minimum mean PLCC (default {MEAN_PLCC_MIN}; raising it is allowed)",
    )
    p.add_argument(
        "--plcc-spread-max",
        metavar="X",
        help=f"maximum per-seed PLCC spread (default {PLCC_SPREAD_MAX}; lowering it is allowed)",
    )
    p.add_argument(
        "--per-seed-min",
        metavar="X",
        help=f"minimum PLCC of every seed (default {PER_SEED_PLCC_MIN}; raising it is allowed)",
    )
    p.add_argument(
        "--allow-threshold-override",
        action="store_true",
        help="permit LOOSENING a threshold (needs a new decision record); the verdict says so",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return int(exc.code or 0)
    return run_guarded("gate", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    for flag, path in (
        ("LOSO_DIR", args.loso_dir),
        ("--out-dir", args.out_dir or ""),
        ("--summary", args.summary or ""),
    ):
        check_path_length(flag, path)
    seeds = parse_seeds(args.seeds)
    if args.summary and not Path(args.summary).parent.is_dir():
        raise InputError(f"--summary {args.summary}: its folder does not exist; create it first")
    thresholds, overridden = resolve_thresholds(
        mean_plcc=args.mean_plcc_threshold,
        plcc_spread=args.plcc_spread_max,
        per_seed_min=args.per_seed_min,
        allow_override=args.allow_threshold_override,
    )
    run = load_loso_set(args.loso_dir, seeds)
    verdict = judge_run(run, thresholds, thresholds_overridden=overridden)
    out_dir = Path(args.out_dir or args.loso_dir)
    written = verdict.write(out_dir)
    calibration = _calibrate(run, out_dir)
    pictures = _plots(run, out_dir, thresholds) if args.plots else []
    if args.summary:
        with open(args.summary, "a", encoding="utf-8") as fh:
            fh.write(render_summary(verdict) + "\n")
            if calibration is not None:
                fh.write(render_calibration(calibration) + "\n")
            if pictures:
                names = ", ".join(f"`{p.name}`" for p in pictures)
                fh.write(f"Pictures ({names}) are in this run's artifacts.\n")
    # With --json, stdout is the verdict and nothing else.
    stream = sys.stderr if args.json else sys.stdout
    if args.json:
        sys.stdout.write(dumps(verdict.to_json()))
    else:
        sys.stdout.write(format_console(verdict, written))
    if calibration is not None:
        stream.write(format_calibration(calibration, out_dir / CALIBRATION_FILENAME))
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in workflow_annotations(verdict, calibration):
            print(line, file=stream)
    if verdict.decision == "PROMOTE" or args.exit_zero:
        return EXIT_OK
    return EXIT_NO


def _plots(run: LosoSet, out_dir: Path, th: Thresholds) -> list[Path]:
    """Pictures are informational too: a failure is a warning, never a verdict change."""
    try:
        from gate.plots import render_plots

        return render_plots(
            run.artefacts, out_dir, spread_max=th.plcc_spread, per_seed_min=th.per_seed_min
        )
    except Exception as exc:
        print(
            f"gate: warning: plots were not rendered ({log_line(str(exc))}); the verdict stands",
            file=sys.stderr,
        )
        return []


def _calibrate(run: LosoSet, out_dir: Path) -> Calibration | None:
    """calibration.json is informational: a failure here never changes the verdict."""
    try:
        calibration = calibrate_run(run)
        calibration.write(out_dir)
        return calibration
    except Exception:
        (out_dir / CALIBRATION_FILENAME).unlink(missing_ok=True)  # never leave a stale one
        traceback.print_exc()
        print(
            "gate: warning: calibration failed (a bug, please report it); the verdict stands",
            file=sys.stderr,
        )
        return None


if __name__ == "__main__":
    sys.exit(main())
