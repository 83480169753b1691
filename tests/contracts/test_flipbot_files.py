"""The shared file helpers: canonical text, atomic writes, strict reads, metrics."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from flipbot.errors import InputError
from flipbot.jsonfile import dumps, read_json, sha256_file, write_atomic, write_json
from flipbot.metrics import score


def test_dumps_is_sorted_indented_ascii_with_trailing_newline() -> None:
    assert dumps({"b": 1, "a": "é"}) == '{\n  "a": "\\u00e9",\n  "b": 1\n}\n'


def test_dumps_refuses_nan() -> None:
    with pytest.raises(ValueError):
        dumps({"plcc": math.nan})


def test_write_json_round_trips_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "x.json"
    write_json(target, {"k": [1, 2]})
    assert read_json(target) == {"k": [1, 2]}
    assert [p.name for p in target.parent.iterdir()] == ["x.json"]


def test_failed_atomic_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    target.write_text("old\n")

    with pytest.raises(TypeError):
        write_atomic(target, 12345)  # type: ignore[arg-type]
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_read_json_rejects_nan_token_and_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "loso_seed0.json"
    bad.write_text('{"plcc": NaN}')
    with pytest.raises(InputError, match="loso_seed0.json"):
        read_json(bad)


def test_read_json_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope.json: file not found"):
        read_json(tmp_path / "nope.json")


def test_sha256_file_matches_known_digest(tmp_path: Path) -> None:
    p = tmp_path / "abc"
    p.write_bytes(b"abc")
    assert sha256_file(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_score_matches_closed_form_values() -> None:
    t = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([1.0, 2.0, 3.0, 5.0])
    s = score(t, p)
    assert s.plcc == pytest.approx(0.9827076298239907, abs=1e-12)
    assert s.srocc == pytest.approx(1.0)
    assert s.rmse == pytest.approx(0.5)
    assert s.undefined_reason is None


@pytest.mark.parametrize(
    ("t", "p", "reason"),
    [
        ([1.0, 2.0], [3.0, 3.0], "constant predictions"),
        ([5.0, 5.0], [1.0, 2.0], "constant targets"),
        ([5.0], [1.0], "at least 2"),
    ],
)
def test_undefined_correlation_is_none_with_reason(
    t: list[float], p: list[float], reason: str
) -> None:
    s = score(np.array(t), np.array(p))
    assert s.plcc is None and s.srocc is None
    assert s.undefined_reason is not None and reason in s.undefined_reason
    assert json.loads(dumps({"plcc": s.plcc})) == {"plcc": None}


def test_atomic_write_uses_umask_mode_for_new_and_keeps_existing_mode(tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        fresh = tmp_path / "new.json"
        write_json(fresh, {})
        assert fresh.stat().st_mode & 0o777 == 0o644
        kept = tmp_path / "kept.sh"
        kept.write_text("x")
        kept.chmod(0o755)
        write_atomic(kept, "y")
        assert kept.stat().st_mode & 0o777 == 0o755
    finally:
        os.umask(old)
