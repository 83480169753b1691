"""Signing in local runs: --apply-local writes the bundles and the record into the working
tree (a rerun writes nothing), a dry run signs nothing and says so, and verify-signatures
checks the result."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from bot_inputs import (
    REGISTRY,
    SCHEMA,
    SHIPPED_REGISTRY,
    install_base,
    make_verdict,
    verified_flip,
    write_inputs,
)
from stub_signer import StubChecker, StubSigner, stub_setup

from bot.__main__ import main
from bot.config import build_config
from bot.pr.local import run_local
from bot.signing.verify import main as verify_signatures
from flipbot.jsonfile import sha256_bytes

SEED0 = "fr_regressor_v2_ensemble_v1_seed0"
RECORD = "model/tiny/fr_regressor_v2_ensemble_v1.promotion.sigstore.json"
OIDC = {
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://t.invalid/token",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "x",
    "GITHUB_ACTIONS": "true",
}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / "model/tiny").mkdir(parents=True)
    shutil.copy(SHIPPED_REGISTRY, tmp_path / REGISTRY)
    shutil.copy(SCHEMA, tmp_path / "model/tiny/registry.schema.json")
    install_base(tmp_path)
    monkeypatch.chdir(tmp_path)
    for name in (
        "GITHUB_TOKEN",
        "FLIPBOT_TOKEN",
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_ACTIONS",
    ):
        monkeypatch.delenv(name, raising=False)
    write_inputs(tmp_path / "in", make_verdict(seeds=(0, 1)))
    return tmp_path


def apply(root: Path, signer: StubSigner):
    config = build_config(
        verdict_dir=str(root / "in/loso"),
        artifacts=str(root / "in/export"),
        registry=REGISTRY,
        repo="octo/models",
        base="main",
        mode="apply-local",
        env=OIDC,
    )
    flip = verified_flip(root / "in", registry_root=root)
    return run_local(config, flip, stub_setup(signer))


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in (root / "model").rglob("*")
        if p.is_file()
    }


def test_apply_local_writes_bundles_and_record_and_a_rerun_writes_nothing(workdir):
    first = apply(workdir, StubSigner())
    assert first.outcome.operation == "updated"
    files = tree(workdir)
    assert f"model/tiny/{SEED0}.onnx.sigstore.json" in files and RECORD in files
    row = next(r for r in json.loads(files[REGISTRY])["models"] if r["id"] == SEED0)
    assert row["sigstore_bundle"] == f"{SEED0}.onnx.sigstore.json"
    signer = StubSigner()
    again = apply(workdir, signer)
    assert (again.outcome.operation, signer.signed, tree(workdir)) == ("unchanged", [], files)


def test_verify_signatures_passes_on_the_signed_tree_and_names_what_fails(workdir, capsys):
    apply(workdir, StubSigner())
    args = ["--registry", REGISTRY, "--repo", "octo/models"]
    # The shipped registry's other production rows have no model file in this tree: refused.
    assert verify_signatures(args, checker=StubChecker()) == 1
    assert "FAIL vmaf_tiny_v2: vmaf_tiny_v2.onnx is missing" in capsys.readouterr().out
    doc = json.loads((workdir / REGISTRY).read_text())
    doc["models"] = [r for r in doc["models"] if r["id"] not in ("vmaf_tiny_v2", "fr_regressor_v2")]
    (workdir / REGISTRY).write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    assert verify_signatures(args, checker=StubChecker()) == 0
    out = capsys.readouterr().out
    assert "3 verified, 0 failed" in out and f"ok   {RECORD}" in out
    verdict = workdir / "model/tiny/fr_regressor_v2_ensemble_v1.verdict.json"
    verdict.write_bytes(verdict.read_bytes() + b" ")
    assert verify_signatures(args, checker=StubChecker()) == 1
    assert (
        f"FAIL {RECORD}: subject 'model/tiny/fr_regressor_v2_ensemble_v1.verdict.json'"
        in capsys.readouterr().out
    )
    assert (
        verify_signatures(["--registry", REGISTRY, "--repo", "someone/else"], checker=StubChecker())
        == 1
    )


def test_default_dry_run_and_apply_local_without_a_token_sign_nothing_and_say_why(
    workdir, capsys, monkeypatch
):
    for name in ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    argv = [
        "--verdict-dir",
        "in/loso",
        "--artifacts",
        "in/export",
        "--registry",
        REGISTRY,
        "--repo",
        "octo/models",
        "--base",
        "main",
    ]
    assert main([*argv, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "**Unsigned:**" in out and "a dry run signs nothing" in out
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main([*argv, "--apply-local"]) == 0
    out = capsys.readouterr().out
    assert "::warning::the flipped models are not signed: the job has no OIDC token" in out
    assert "**Unsigned:**" in out
    assert not list((workdir / "model").rglob("*.sigstore.json"))
    row = next(
        r for r in json.loads((workdir / REGISTRY).read_text())["models"] if r["id"] == SEED0
    )
    assert row["sigstore_bundle"] is None and row["smoke"] is False


def test_apply_local_with_sign_required_and_no_token_is_exit_2_and_writes_nothing(
    workdir, capsys, monkeypatch
):
    for name in ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    before = tree(workdir)
    argv = ["--verdict-dir", "in/loso", "--artifacts", "in/export", "--registry", REGISTRY]
    argv += ["--repo", "octo/models", "--base", "main", "--apply-local", "--sign", "required"]
    assert main(argv) == 2
    assert "--sign required: the job has no OIDC token" in capsys.readouterr().err
    assert tree(workdir) == before


def test_verify_signatures_takes_an_ensemble_row_by_its_manifest(tmp_path, capsys):
    folder = tmp_path / "model/tiny"
    folder.mkdir(parents=True)
    manifest = b'{"kind": "fr_ensemble"}\n'
    (folder / "ens.json").write_bytes(manifest)
    row = {"id": "ens", "onnx": "ens.onnx", "sha256": sha256_bytes(manifest), "smoke": False}
    (folder / "registry.json").write_text(json.dumps({"models": [row]}))
    args = ["--root", str(tmp_path), "--registry", REGISTRY, "--repo", "octo/models"]
    assert verify_signatures(args, checker=StubChecker()) == 0
    assert "ok   ens: ensemble row" in capsys.readouterr().out
    (folder / "ens.json").write_bytes(manifest + b" ")
    assert verify_signatures(args, checker=StubChecker()) == 1
