"""The ensemble manifest and the committed verdict ride along with a flip: locally and in the PR."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from bot_inputs import (
    CORPUS,
    CORPUS_BYTES,
    REGISTRY,
    SCHEMA,
    SHIPPED_REGISTRY,
    install_base,
    make_verdict,
    write_inputs,
)
from test_lifecycle import BRANCH, bot_run, writes

from bot.__main__ import main
from flipbot.jsonfile import sha256_bytes

E = "fr_regressor_v2_ensemble_v1"
MANIFEST = f"model/tiny/{E}.json"
VERDICT = f"model/tiny/{E}.verdict.json"


def manifest_text() -> str:
    members = ",\n".join(
        f'    {{"id": "{E}_seed{n}", "seed": {n}, "onnx": "{E}_seed{n}.onnx", "sha256": "{n}{"0" * 63}"}}'
        for n in (0, 1, 9)
    )
    return (
        '{\n  "kind": "fr_ensemble",\n  "owner": "models-team",\n  "smoke": true,\n'
        f'  "members": [\n{members}\n  ],\n  "evaluation": {{"plcc": 0.42}}\n}}\n'
    )


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "model/tiny").mkdir(parents=True)
    shutil.copy(SHIPPED_REGISTRY, tmp_path / REGISTRY)
    shutil.copy(SCHEMA, tmp_path / "model/tiny/registry.schema.json")
    (tmp_path / MANIFEST).write_text(manifest_text())
    install_base(tmp_path)
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_TOKEN", "FLIPBOT_TOKEN", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def argv(root: Path, *extra: str) -> list[str]:
    return [
        "--verdict-dir", str(root / "in/loso"), "--artifacts", str(root / "in/export"),
        "--registry", REGISTRY, "--repo", "local/flipbot", "--base", "main", *extra,
    ]  # fmt: skip


def check_synced(manifest: str, verdict_bytes: bytes, files: dict[str, bytes]) -> None:
    doc = json.loads(manifest)
    for n in (0, 1):
        assert doc["members"][n]["sha256"] == sha256_bytes(files[f"model/tiny/{E}_seed{n}.onnx"])
    assert doc["members"][2]["sha256"] == "9" + "0" * 63  # not flipped: kept
    assert doc["owner"] == "models-team" and doc["evaluation"] == {"plcc": 0.42}
    assert doc["gate"]["decision"] == "PROMOTE" and doc["smoke"] is True  # seed 9 is no member row
    assert doc["gate"]["verdict_sha256"] == sha256_bytes(verdict_bytes)
    before, after = manifest_text().splitlines(), manifest.splitlines()
    assert [b for b in before if "seed9" in b or "owner" in b] == [
        a for a in after if "seed9" in a or "owner" in a
    ]


def test_apply_local_syncs_the_manifest_commits_the_verdict_and_reruns_write_nothing(
    workdir: Path,
) -> None:
    write_inputs(workdir / "in", make_verdict(seeds=(0, 1)))
    assert main(argv(workdir, "--apply-local")) == 0
    verdict = (workdir / "in/loso/PROMOTE.json").read_bytes()
    assert (workdir / VERDICT).read_bytes() == verdict
    files = {f"model/tiny/{p.name}": p.read_bytes() for p in (workdir / "model/tiny").iterdir()}
    check_synced((workdir / MANIFEST).read_text(), verdict, files)
    stamp = {p: p.stat().st_mtime_ns for p in (workdir / "model/tiny").iterdir()}
    assert main(argv(workdir, "--apply-local")) == 0
    assert {p: p.stat().st_mtime_ns for p in (workdir / "model/tiny").iterdir()} == stamp


def test_pr_commit_carries_the_synced_manifest_and_the_verdict(github_standin, tmp_path) -> None:
    github_standin.seed(
        {
            REGISTRY: SHIPPED_REGISTRY.read_bytes(),
            "model/tiny/registry.schema.json": SCHEMA.read_bytes(),
            MANIFEST: manifest_text().encode(),
            CORPUS: CORPUS_BYTES,
        }
    )
    write_inputs(tmp_path, make_verdict(seeds=(0, 1)))
    assert bot_run(github_standin, tmp_path).operation == "created"
    files = github_standin.branch_files(BRANCH)
    verdict = (tmp_path / "loso/PROMOTE.json").read_bytes()
    assert files[VERDICT] == verdict
    check_synced(files[MANIFEST].decode(), verdict, files)
    before = writes(github_standin)
    assert bot_run(github_standin, tmp_path).operation == "unchanged"
    assert writes(github_standin) == before  # an identical rerun writes nothing


def test_the_verdict_lands_where_verdict_file_says_inside_the_registry_folder(
    workdir: Path,
) -> None:
    write_inputs(workdir / "in", make_verdict(seeds=(0, 1)))
    audit = "model/tiny/audit/flip.verdict.json"
    assert main(argv(workdir, "--apply-local", f"--verdict-file={audit}")) == 0
    assert (workdir / audit).read_bytes() == (workdir / "in/loso/PROMOTE.json").read_bytes()
    assert not (workdir / VERDICT).exists()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("docs/flip.verdict.json", "must sit in the folder of model/tiny/registry.json"),
        ("model/tiny/../../Makefile.json", "not a clean repository-relative path"),
        (".github/workflows/x.json", "not a clean repository-relative path"),
        ("model/tiny/flip.verdict.txt", "must name a .json file"),
        ("model/tiny/registry.json", "must sit in the folder of model/tiny/registry.json"),
    ],
)
def test_a_verdict_file_outside_the_registry_folder_is_exit_2_and_nothing_is_written(
    workdir: Path, capsys: pytest.CaptureFixture[str], path: str, message: str
) -> None:
    write_inputs(workdir / "in", make_verdict(seeds=(0, 1)))
    before = {p: p.read_bytes() for p in workdir.rglob("*") if p.is_file()}
    assert main(argv(workdir, "--apply-local", f"--verdict-file={path}")) == 2
    assert message in capsys.readouterr().err
    assert {p: p.read_bytes() for p in workdir.rglob("*") if p.is_file()} == before


def test_the_body_names_the_manifest_fields_that_are_now_stale(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fixture manifest keeps an old in-sample `evaluation` block flipbot cannot vouch for."""
    write_inputs(workdir / "in", make_verdict(seeds=(0, 1)))
    assert main(argv(workdir, "--dry-run")) == 0
    out = capsys.readouterr().out
    assert (
        f"- `{MANIFEST}`: `evaluation` describes the old members and was kept; it is **stale** now."
        in out
    )
    assert f"- `{MANIFEST}`: updated `members[0].sha256`" in out
