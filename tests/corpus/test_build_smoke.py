"""The builder end to end on a synthetic clip: encode, score, rows, resume.

Uses an ffmpeg lavfi test pattern (no downloads), one encoder, one CQ: the
same encode/score/row code that built the shipped corpus.
"""

from __future__ import annotations

import gzip
import json
import math
import subprocess
from pathlib import Path

import pytest

from corpus.build import main
from corpus.cells import Cell, Reference, score_cell
from corpus.encode import ENCODERS
from corpus.score import FEATURES
from flipbot.errors import InputError

imageio_ffmpeg = pytest.importorskip(
    "imageio_ffmpeg", reason="imageio-ffmpeg (the ffmpeg with libvmaf) is not installed"
)

FRAMES = 30
KEYS = ["src", "encoder", "cq", "frame_index", "vmaf", *FEATURES]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 frames of a moving test pattern, odd-sized to exercise the even crop."""
    path = tmp_path_factory.mktemp("clip") / "synth.mkv"
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y"]
    cmd += ["-f", "lavfi", "-i", "testsrc2=size=161x121:rate=25"]
    cmd += ["-frames:v", str(FRAMES), "-c:v", "ffv1", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(cmd, check=True)
    return path


@pytest.fixture(scope="module")
def built(clip: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    work = tmp_path_factory.mktemp("build")
    out, cache = work / "c.jsonl.gz", work / "cache"
    argv = ["--source-file", f"synth={clip}", "--encoders", "libx264", "--cqs", "19"]
    argv += ["--cache-dir", str(cache), "--out", str(out), "--workers", "1"]
    return out, cache, main(argv)


def read_rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


def test_build_writes_one_row_per_frame_with_spec_keys(built: tuple[Path, Path, int]) -> None:
    out, _, code = built
    assert code == 0
    rows = read_rows(out)
    assert len(rows) == FRAMES
    assert [list(r) for r in rows] == [KEYS] * FRAMES
    assert [r["frame_index"] for r in rows] == list(range(FRAMES))
    assert {(r["src"], r["encoder"], r["cq"]) for r in rows} == {("synth", "libx264", 19)}


def test_scores_are_finite_in_range_and_high_for_crf_19(built: tuple[Path, Path, int]) -> None:
    rows = read_rows(built[0])
    for row in rows:
        values = [row[k] for k in ["vmaf", *FEATURES]]
        assert all(isinstance(v, float) and math.isfinite(v) for v in values), row
        assert 0.0 <= row["vmaf"] <= 100.0  # type: ignore[operator]
        assert all(0.0 <= row[k] <= 1.5 for k in FEATURES if k != "motion2"), row  # type: ignore[operator]
        assert row["motion2"] >= 0.0  # type: ignore[operator]
    assert min(r["vmaf"] for r in rows) > 80.0  # type: ignore[type-var]
    assert rows[0]["motion2"] == 0.0  # no previous frame
    assert max(r["motion2"] for r in rows) > 0.0  # type: ignore[type-var]


def test_rerun_reuses_the_cached_cell_and_writes_identical_bytes(
    built: tuple[Path, Path, int], clip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, cache, _ = built
    cells = list((cache / "cells" / "synth").glob("*.jsonl"))
    assert len(cells) == 1
    again = out.parent / "again" / out.name  # same name: the gzip header holds it
    argv = ["--source-file", f"synth={clip}", "--encoders", "libx264", "--cqs", "19"]
    capsys.readouterr()
    assert main([*argv, "--cache-dir", str(cache), "--out", str(again), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cells_cached"] == 1
    assert again.read_bytes() == out.read_bytes()


def test_scored_frames_must_match_the_reference(
    built: tuple[Path, Path, int], tmp_path: Path
) -> None:
    _, cache, _ = built
    y4m = next((cache / "refs").glob("synth-*.y4m"))
    lying = Reference("synth", "0" * 64, y4m, FRAMES + 1, 0)
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    with pytest.raises(
        InputError, match=f"scored {FRAMES} frames but the reference has {FRAMES + 1}"
    ):
        score_cell(exe, Cell(lying, ENCODERS[0], 43), tmp_path)


def test_bad_source_file_and_unknown_encoder_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing, out = tmp_path / "nope.mp4", str(tmp_path / "o.jsonl")
    assert main(["--source-file", f"x={missing}", "--cache-dir", str(tmp_path), "--out", out]) == 2
    assert "nope.mp4: file not found" in capsys.readouterr().err
    assert main(["--encoders", "libfoo", "--cache-dir", str(tmp_path), "--out", out]) == 2
    assert "unknown encoder 'libfoo'" in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()


def test_partial_build_refuses_to_overwrite_the_shipped_corpus(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--encoders", "libx264", "--cache-dir", "/nonexistent"]) == 2
    assert "pass --out PATH" in capsys.readouterr().err
