"""The corpus loader: what it returns, and every defect it refuses (exit 2, file + line, nothing written)."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from flipbot.corpus import FRAME_INDEX_MAX, NUMBER_BOUNDS, load_corpus, load_corpus_bytes
from flipbot.errors import InputError
from flipbot.features import FEATURE_ORDER
from trainer.__main__ import main
from trainer.synthetic import synthetic_rows, write_corpus


def good_rows() -> list[dict[str, Any]]:
    return synthetic_rows(n_rows=40, n_sources=2, seed=3)


def as_lines(rows: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(r) for r in rows]


def test_loader_returns_rows_in_file_order_with_features_in_canonical_order(tmp_path: Path) -> None:
    rows = good_rows()
    path = tmp_path / "c.jsonl"
    write_corpus(path, rows)
    corpus = load_corpus(path)
    assert corpus.rows == 40
    assert corpus.sources == ("bigbuckbunny", "bikes")
    assert corpus.src.tolist() == [r["src"] for r in rows]
    np.testing.assert_array_equal(corpus.features[7], [rows[7][k] for k in FEATURE_ORDER])
    assert corpus.vmaf[5] == rows[5]["vmaf"]
    assert corpus.frame_index.dtype == np.int64
    assert corpus.cq_min == min(r["cq"] for r in rows)


def test_sha256_is_of_the_bytes_as_stored_and_gzip_reads_the_same_rows(tmp_path: Path) -> None:
    rows = good_rows()
    plain, packed = tmp_path / "c.jsonl", tmp_path / "c.jsonl.gz"
    write_corpus(plain, rows)
    write_corpus(packed, rows)
    a, b = load_corpus(plain), load_corpus(packed)
    assert a.sha256 == hashlib.sha256(plain.read_bytes()).hexdigest()
    assert b.sha256 == hashlib.sha256(packed.read_bytes()).hexdigest()
    assert a.sha256 != b.sha256
    np.testing.assert_array_equal(a.features, b.features)


def test_blank_lines_and_extra_keys_are_accepted(tmp_path: Path) -> None:
    lines = as_lines([r | {"note": "extra"} for r in good_rows()])
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(lines[:10]) + "\n\n" + "\n".join(lines[10:]) + "\n")
    assert load_corpus(path).rows == 40


def _replace(line_no: int, text: str) -> list[str]:
    lines = as_lines(good_rows())
    lines[line_no - 1] = text
    return lines


def _row_with(**changes: Any) -> str:
    row = good_rows()[2] | changes
    return json.dumps({k: v for k, v in row.items() if v is not _DROP})


_DROP = object()

# (case id, file lines, line number the message must name or None, words it must contain)
BAD_CORPORA: list[tuple[str, list[str], int | None, str]] = [
    ("missing key", _replace(3, _row_with(vmaf=_DROP)), 3, "key 'vmaf' is missing"),
    (
        "NaN token",
        _replace(4, _row_with(adm2="@").replace('"@"', "NaN")),
        4,
        "non-finite number NaN",
    ),
    ("Infinity token", _replace(4, _row_with(cq="@").replace('"@"', "-Infinity")), 4, "non-finite"),
    ("overflowing number", _replace(5, _row_with(vmaf="@").replace('"@"', "1e999")), 5, "finite"),
    ("string value", _replace(6, _row_with(motion2="3.2")), 6, "'motion2' must be a number"),
    ("boolean value", _replace(7, _row_with(cq=True)), 7, "'cq' must be a number"),
    ("not JSON", _replace(8, '{"src": "bikes", '), 8, "not valid JSON"),
    ("not an object", _replace(9, "[1, 2, 3]"), 9, "expected a JSON object"),
    ("src not a string", _replace(10, _row_with(src=7)), 10, "'src' must be a non-empty string"),
    (
        "frame_index not an int",
        _replace(11, _row_with(frame_index=2.5)),
        11,
        "'frame_index' must be an integer",
    ),
    # Numbers JSON holds but the arrays or the scaler do not (exit 3 before the bounds):
    # 1e308 squared is inf in the scaler, so every standardised feature was NaN after training.
    ("huge feature", _replace(3, _row_with(adm2=1e308)), 3, "'adm2' is 1e+308, outside"),
    ("negative huge feature", _replace(4, _row_with(motion2=-2e6)), 4, "'motion2' is -2000000.0"),
    ("400-digit cq", _replace(5, _row_with(cq=10**400)), 5, "'cq' is a 401-digit integer"),
    ("cq out of range", _replace(6, _row_with(cq=-3)), 6, "'cq' is -3, outside"),
    ("vmaf out of range", _replace(7, _row_with(vmaf=1500.0)), 7, "'vmaf' is 1500.0, outside"),
    (
        "huge frame_index",
        _replace(8, _row_with(frame_index=2**70)),
        8,
        "'frame_index' is a 22-digit",
    ),
    ("negative frame_index", _replace(9, _row_with(frame_index=-1)), 9, "'frame_index' is -1"),
    ("empty file", [], None, "empty"),
    ("one source", [_row_with(src="only")] * 5, 1, "at least 2 sources"),
]


@pytest.mark.parametrize(
    ("lines", "line_no", "words"), [c[1:] for c in BAD_CORPORA], ids=[c[0] for c in BAD_CORPORA]
)
def test_bad_corpus_exits_2_naming_file_and_line_and_writes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    lines: list[str],
    line_no: int | None,
    words: str,
) -> None:
    corpus = tmp_path / "bad.jsonl"
    corpus.write_text("".join(line + "\n" for line in lines))
    out = tmp_path / "out"
    code = main(
        ["loso", "--corpus", str(corpus), "--seeds", "0", "--out-dir", str(out), "--epochs", "1"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert str(corpus) in err
    if line_no is not None:
        assert f"{corpus}:{line_no}" in err
    assert words in err
    assert not out.exists()


def test_missing_file_bad_gzip_and_non_utf8_exit_2_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_gzip = tmp_path / "broken.jsonl.gz"
    bad_gzip.write_bytes(gzip.compress(b'{"src": "a"}\n' * 50)[:30])
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"src": "caf\xe9"}\n')
    cases = [
        (tmp_path / "nope.jsonl", "not found"),
        (bad_gzip, "gzip"),
        (latin, "UTF-8"),
        (tmp_path, "cannot read"),
    ]
    for path, words in cases:
        out = tmp_path / "out"
        code = main(["loso", "--corpus", str(path), "--seeds", "0", "--out-dir", str(out)])
        err = capsys.readouterr().err
        assert code == 2, path
        assert str(path) in err and words in err
        assert not out.exists()


def test_loader_raises_input_error_not_a_crash_for_a_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(_replace(2, _row_with(vif_scale2=None))) + "\n")
    with pytest.raises(InputError, match=r"c\.jsonl:2: 'vif_scale2' must be a number"):
        load_corpus(path)


def test_the_edges_of_every_bound_are_accepted(tmp_path: Path) -> None:
    rows = good_rows()
    for i, (key, (low, high)) in enumerate(NUMBER_BOUNDS.items()):
        rows[2 * i][key], rows[2 * i + 1][key] = low, high
    rows[-1]["frame_index"], rows[-2]["frame_index"] = 0, FRAME_INDEX_MAX
    path = tmp_path / "edges.jsonl"
    write_corpus(path, rows)
    corpus = load_corpus(path)
    assert corpus.frame_index.max() == 2**32 - 1
    assert corpus.cq.max() == 255.0 and corpus.vmaf.min() == -100.0
    assert corpus.features[4, 0] == -1e6 and corpus.features[5, 0] == 1e6  # adm2, third key
    assert np.isfinite(corpus.features.std(axis=0)).all()


def test_bytes_loader_reads_what_the_path_loader_reads_and_names_its_source(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.jsonl.gz"
    write_corpus(path, good_rows())
    data = path.read_bytes()
    from_path = load_corpus(path)
    from_bytes = load_corpus_bytes(data, "corpus/c.jsonl.gz@abc123")
    assert from_bytes.path == "corpus/c.jsonl.gz@abc123"
    assert from_bytes.sha256 == from_path.sha256 == hashlib.sha256(data).hexdigest()
    np.testing.assert_array_equal(from_bytes.features, from_path.features)
    np.testing.assert_array_equal(from_bytes.codec_block(), from_path.codec_block())
    # gzip is recognised by its magic bytes whatever the name says
    assert load_corpus_bytes(data, "blob").rows == 40

    lines = as_lines(good_rows())
    lines[4] = _row_with(frame_index=2**70)
    bad = ("\n".join(lines) + "\n").encode()
    with pytest.raises(InputError, match=r"^base:c\.jsonl:5: 'frame_index' is a 22-digit integer"):
        load_corpus_bytes(bad, "base:c.jsonl")
    with pytest.raises(InputError, match=r"^blob\.gz: not a readable gzip file"):
        load_corpus_bytes(b"\x1f\x8bnot gzip", "blob.gz")
