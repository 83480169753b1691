"""The build: fetch clips, decode references, run the cells, write the corpus.

Cells are independent ffmpeg processes (each single-threaded), so a small
thread pool keeps the cores busy; the heaviest sources start first so the
last cells do not run alone. Finished cells are cached, so a rerun redoes
only what is missing and an interrupted build resumes.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from corpus.cells import Cell, Reference, run_cell
from corpus.encode import ENCODERS, MAX_FRAMES, Encoder, make_reference
from corpus.fetch import fetch_clip
from corpus.output import rows_per, write_corpus
from corpus.sources import SOURCES
from flipbot.errors import InputError
from flipbot.jsonfile import sha256_bytes, sha256_file

log = logging.getLogger(__name__)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class BuildConfig:
    out: Path
    cache_dir: Path
    sources: tuple[str, ...] = ()  # built-in sources to use; empty = all nine
    source_files: tuple[tuple[str, Path], ...] = ()  # local clips used instead of built-ins
    encoders: tuple[str, ...] = ()  # empty = all four
    cqs: tuple[int, ...] = ()  # empty = each encoder's own CQ list
    workers: int = 2  # one single-threaded ffmpeg per core
    max_frames: int = MAX_FRAMES


@dataclass(frozen=True)
class BuildResult:
    out: Path
    sha256: str
    rows: int
    cells: int
    cells_cached: int
    seconds: float
    rows_per_source: dict[str, int] = field(default_factory=dict)
    rows_per_encoder: dict[str, int] = field(default_factory=dict)
    fraction_vmaf_100: float = 0.0


def ffmpeg_exe() -> tuple[str, str]:
    """The imageio-ffmpeg binary (it has libvmaf) and its version line."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise InputError(
            "imageio-ffmpeg is not installed; pip install -r requirements/dev.txt"
        ) from None
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    out = subprocess.run([exe, "-version"], capture_output=True, text=True, check=False).stdout
    return exe, out.splitlines()[0] if out else "unknown"


def _encoders(config: BuildConfig) -> list[Encoder]:
    known = {e.name: e for e in ENCODERS}
    for name in config.encoders:
        if name not in known:
            raise InputError(f"--encoders: unknown encoder '{name}'; use one of {', '.join(known)}")
    chosen = [e for e in ENCODERS if not config.encoders or e.name in config.encoders]
    if config.cqs:
        chosen = [Encoder(e.name, config.cqs, e.flags) for e in chosen]
    return chosen


def _clips(config: BuildConfig) -> list[tuple[str, Path]]:
    if config.source_files:
        for name, path in config.source_files:
            if not NAME.match(name):
                raise InputError(f"--source-file: name '{name}' must be letters, digits, _ . -")
            if not path.is_file():
                raise InputError(f"--source-file {name}={path}: file not found; check the path")
        names = [n for n, _ in config.source_files]
        if len(set(names)) != len(names):
            raise InputError("--source-file: each NAME must be used once")
        return list(config.source_files)
    known = {s.name: s for s in SOURCES}
    for name in config.sources:
        if name not in known:
            raise InputError(f"--sources: unknown source '{name}'; use one of {', '.join(known)}")
    chosen = [s for s in SOURCES if not config.sources or s.name in config.sources]
    return [(s.name, fetch_clip(s, config.cache_dir)) for s in chosen]


def _reference(ffmpeg: str, version: str, name: str, clip: Path, config: BuildConfig) -> Reference:
    digest = sha256_file(clip)
    decoder = sha256_bytes(version.encode())[:8]  # another ffmpeg build decodes afresh
    y4m = config.cache_dir / "refs" / f"{name}-{digest[:12]}-max{config.max_frames}-{decoder}.y4m"
    y4m.parent.mkdir(parents=True, exist_ok=True)
    frames = make_reference(ffmpeg, clip, y4m, config.max_frames)
    if frames == 0:
        raise InputError(f"{clip}: no video frames decoded; check the clip")
    log.info("reference %s: %d frames (%s)", name, frames, y4m.name)
    return Reference(name, digest, y4m, frames, y4m.stat().st_size)


def build(config: BuildConfig) -> BuildResult:
    if config.workers < 1 or config.max_frames < 1:
        raise InputError("--workers and --max-frames must be at least 1")
    started = time.monotonic()
    ffmpeg, version = ffmpeg_exe()
    encoders = _encoders(config)
    refs = [_reference(ffmpeg, version, n, p, config) for n, p in _clips(config)]
    cells = [Cell(r, e, cq) for r in refs for e in encoders for cq in e.cqs]
    cells.sort(key=lambda c: -c.ref.pixels)  # stable: keeps encoder/CQ order within a source
    lines: list[str] = []
    cached = 0
    with ThreadPoolExecutor(max_workers=config.workers) as pool:
        futures = {
            pool.submit(run_cell, ffmpeg, version, c, config.cache_dir, config.max_frames): c
            for c in cells
        }
        for done, future in enumerate(as_completed(futures), start=1):
            try:
                cell_lines, from_cache = future.result()
            except BaseException:
                for pending in futures:
                    pending.cancel()  # stop queued cells; the running ones finish
                raise
            cached += from_cache
            lines.extend(cell_lines)
            elapsed = time.monotonic() - started
            log.info(
                "[%3d/%d] %-32s %4d rows%s  %5.0f s elapsed",
                done, len(cells), futures[future].label, len(cell_lines),
                " (cached)" if from_cache else "", elapsed,
            )  # fmt: skip
    data = write_corpus(config.out, lines)
    vmafs = [json.loads(line)["vmaf"] for line in lines]
    return BuildResult(
        out=config.out,
        sha256=sha256_bytes(data),
        rows=len(lines),
        cells=len(cells),
        cells_cached=cached,
        seconds=time.monotonic() - started,
        rows_per_source=rows_per(lines, "src"),
        rows_per_encoder=rows_per(lines, "encoder"),
        fraction_vmaf_100=sum(v >= 100.0 for v in vmafs) / len(vmafs) if vmafs else 0.0,
    )
