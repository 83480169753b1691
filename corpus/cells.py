"""One cell = one (source, encoder, CQ): encode, score, rows, cached on disk.

A finished cell is a JSONL file named by a key over everything that decides
its bytes (clip sha256, frame cap, ffmpeg build, encoder flags, libvmaf
command), so an interrupted build resumes where it stopped and a changed
recipe never reuses stale rows.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.encode import Encoder, encode_command, run_ffmpeg
from corpus.score import check_frame_count, parse_vmaf_log, vmaf_command
from flipbot.jsonfile import write_atomic


@dataclass(frozen=True)
class Reference:
    src: str  # source name, the `src` of every row
    clip_sha256: str
    y4m: Path
    frames: int
    pixels: int  # width * height * frames, to start the heaviest cells first


@dataclass(frozen=True)
class Cell:
    ref: Reference
    encoder: Encoder
    cq: int

    @property
    def label(self) -> str:
        return f"{self.ref.src} {self.encoder.name} cq{self.cq}"


def row_line(row: dict[str, Any]) -> str:
    """One corpus line: keys in SPEC order (insertion order), fixed float text."""
    return json.dumps(row, ensure_ascii=True, allow_nan=False)


def cell_key(cell: Cell, ffmpeg_version: str, max_frames: int) -> str:
    recipe = {
        "clip_sha256": cell.ref.clip_sha256,
        "max_frames": max_frames,
        "ffmpeg": ffmpeg_version,
        "encode": cell.encoder.args(cell.cq),
        "vmaf": vmaf_command("ffmpeg", Path("d"), Path("r"), Path("log"))[1:],
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def cell_path(cache_dir: Path, cell: Cell, key: str) -> Path:
    return cache_dir / "cells" / cell.ref.src / f"{cell.encoder.name}_cq{cell.cq}_{key}.jsonl"


def score_cell(ffmpeg: str, cell: Cell, work_dir: Path) -> list[dict[str, Any]]:
    """Encode and score one cell; the rows in frame order."""
    tmp = Path(tempfile.mkdtemp(prefix="cell-", dir=work_dir))
    try:
        encoded = tmp / "encoded.mkv"
        log = tmp / "vmaf.json"
        run_ffmpeg(encode_command(ffmpeg, cell.ref.y4m, cell.encoder, cell.cq, encoded), cell.label)
        run_ffmpeg(vmaf_command(ffmpeg, encoded, cell.ref.y4m, log), f"{cell.label} libvmaf")
        scores = parse_vmaf_log(log.read_text(encoding="utf-8"), f"{cell.label} libvmaf log")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check_frame_count(len(scores), cell.ref.frames, cell.label)
    head = {"src": cell.ref.src, "encoder": cell.encoder.name, "cq": cell.cq}
    return [{**head, "frame_index": i, **score} for i, score in enumerate(scores)]


def run_cell(
    ffmpeg: str, ffmpeg_version: str, cell: Cell, cache_dir: Path, max_frames: int
) -> tuple[list[str], bool]:
    """The cell's corpus lines and whether they came from the cache."""
    path = cell_path(cache_dir, cell, cell_key(cell, ffmpeg_version, max_frames))
    if path.is_file():
        return path.read_text(encoding="ascii").splitlines(), True
    work = cache_dir / "tmp"
    work.mkdir(parents=True, exist_ok=True)
    lines = [row_line(row) for row in score_cell(ffmpeg, cell, work)]
    write_atomic(path, "".join(line + "\n" for line in lines))
    return lines, False
