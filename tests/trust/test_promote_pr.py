"""PR mode: ``bot promote`` reads the base through the API (the corpus an LFS pointer there)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from promote_repo import CORPUS, REGISTRY, ROOT, SEEDS, main


def _base(data: bytes) -> dict[str, bytes]:
    files = {
        str(p.relative_to(ROOT)): p.read_bytes() for p in (ROOT / "model").rglob("*") if p.is_file()
    }
    sha = hashlib.sha256(data).hexdigest()
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {len(data)}\n"
    return files | {CORPUS: pointer.encode()}


def test_promote_opens_the_pr_from_the_api_base_and_the_pinned_bytes(
    github_standin,  # type: ignore[no-untyped-def]
    promote_inputs: tuple[bytes, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data, honest = promote_inputs
    github_standin.seed(_base(data))
    loso = tmp_path / "gpu"
    shutil.copytree(honest, loso)
    (tmp_path / "corpus.gz").write_bytes(data)
    work = tmp_path / "checkout"  # no checkout of the base: everything comes through the API
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("FLIPBOT_TOKEN", github_standin.token)
    code = main(
        [
            "promote", "--loso-dir", str(loso), "--seeds", ",".join(map(str, SEEDS)),
            "--corpus", CORPUS, "--corpus-bytes", str(tmp_path / "corpus.gz"),
            "--registry", REGISTRY, "--repo", github_standin.repo_full_name, "--base", "main",
            "--api-url", github_standin.base_url,
        ]
    )  # fmt: skip
    assert code == 0
    [pull] = github_standin.pulls()
    files = github_standin.branch_files(pull.head)
    rows = {r["id"]: r for r in json.loads(files[REGISTRY])["models"]}
    for seed in SEEDS:
        row = rows[f"fr_regressor_v2_ensemble_v1_seed{seed}"]
        assert row["smoke"] is False
        assert row["sha256"] == hashlib.sha256(files[f"model/tiny/{row['onnx']}"]).hexdigest()
    assert files[CORPUS].startswith(b"version https://git-lfs")  # the pointer stays a pointer
