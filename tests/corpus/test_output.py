"""The corpus file: sorted rows, reproducible gzip bytes, y4m frame counting."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from corpus.cells import row_line
from corpus.encode import count_y4m_frames
from corpus.output import corpus_bytes, rows_per, write_corpus
from flipbot.errors import InputError


def line(src: str, encoder: str, cq: int, i: int) -> str:
    return row_line({"src": src, "encoder": encoder, "cq": cq, "frame_index": i, "vmaf": 1.5})


LINES = [
    line("b", "libx264", 25, 0),
    line("a", "libx265", 19, 1),
    line("a", "libx264", 43, 0),
    line("a", "libx264", 7, 10),
    line("a", "libx264", 7, 2),
]


def test_rows_sort_by_source_encoder_numeric_cq_then_frame(tmp_path: Path) -> None:
    out = tmp_path / "c.jsonl"
    write_corpus(out, LINES)
    keys = [
        (r["src"], r["encoder"], r["cq"], r["frame_index"])
        for r in map(json.loads, out.read_text().splitlines())
    ]
    assert keys == [
        ("a", "libx264", 7, 2),
        ("a", "libx264", 7, 10),
        ("a", "libx264", 43, 0),
        ("a", "libx265", 19, 1),
        ("b", "libx264", 25, 0),
    ]


def test_gzip_bytes_do_not_depend_on_time_or_input_order(tmp_path: Path) -> None:
    first = corpus_bytes(LINES, "x.jsonl.gz")
    second = corpus_bytes(list(reversed(LINES)), "x.jsonl.gz")
    assert first == second
    assert first[4:8] == b"\x00\x00\x00\x00"  # gzip MTIME field
    assert b"x.jsonl\x00" in first[:20]  # fixed member name, not the temp file's
    assert gzip.decompress(first) == corpus_bytes(LINES, "x.jsonl")


def test_row_line_keeps_spec_key_order_and_refuses_nan() -> None:
    assert line("s", "e", 1, 0).startswith('{"src": "s", "encoder": "e", "cq": 1, "frame_index": 0')
    with pytest.raises(ValueError):
        row_line({"vmaf": float("nan")})


def test_rows_per_groups_and_counts() -> None:
    assert rows_per(LINES, "src") == {"a": 4, "b": 1}
    assert rows_per(LINES, "src", "encoder") == {"a/libx264": 3, "a/libx265": 1, "b/libx264": 1}


def y4m(frames: int, width: int = 4, height: int = 2) -> bytes:
    body = b"".join(b"FRAME\n" + bytes(width * height * 3 // 2) for _ in range(frames))
    return f"YUV4MPEG2 W{width} H{height} F25:1 Ip C420mpeg2\n".encode() + body


def test_y4m_frames_are_counted_from_headers(tmp_path: Path) -> None:
    path = tmp_path / "r.y4m"
    path.write_bytes(y4m(3))
    assert count_y4m_frames(path) == 3
    path.write_bytes(y4m(3)[:-1])
    with pytest.raises(InputError, match="frame 2 is truncated"):
        count_y4m_frames(path)
