"""``bot promote`` on a repository that pins its corpus without committing it (SPEC §14)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from harness import snapshot
from promote_repo import make_repo, promote


@pytest.mark.parametrize("form", ["lfs", "pin"])
def test_the_pinned_bytes_are_used_and_other_bytes_refused(
    form: str,
    promote_inputs: tuple[bytes, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data, honest = promote_inputs
    repo = make_repo(tmp_path / "repo", data, form)
    monkeypatch.chdir(repo)
    loso = tmp_path / "gpu"
    shutil.copytree(honest, loso)
    good, bad = tmp_path / "good.gz", tmp_path / "bad.gz"
    good.write_bytes(data)
    bad.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    before = snapshot(repo)
    assert promote(loso, "--corpus-bytes", str(bad)) == 2
    assert "--corpus-bytes: sha256" in capsys.readouterr().err
    assert promote(loso) == 2
    assert "pass its bytes with --corpus-bytes" in capsys.readouterr().err
    assert snapshot(repo) == before
    assert promote(loso, "--corpus-bytes", str(good), mode="--dry-run") == 0
    assert snapshot(repo) == before
