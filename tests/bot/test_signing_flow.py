"""Signing drives through the whole PR flow with a stub signer (no network): where bundles go,
the registry field, the promotion record, reruns, and the `sign` modes."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path

import pytest
from bot_inputs import (
    CORPUS,
    CORPUS_BYTES,
    REGISTRY,
    SCHEMA,
    SHIPPED_REGISTRY,
    make_verdict,
    onnx_bytes,
    write_inputs,
)
from stub_signer import StubChecker, StubSigner, stub_setup

from bot.__main__ import main
from bot.config import build_config
from bot.github_api.repo import GitHubRepo
from bot.outcome import Outcome
from bot.pr.lifecycle import run_pr
from bot.signing.policy import IdentityPolicy
from bot.signing.record import PREDICATE_TYPE, STATEMENT_TYPE
from bot.trust.base_view import api_base
from bot.trust.verify import verify
from flipbot.errors import InputError
from flipbot.jsonfile import sha256_bytes, sha256_file

BRANCH = "flipbot/registry"
SEEDS = ("fr_regressor_v2_ensemble_v1_seed0", "fr_regressor_v2_ensemble_v1_seed1")
RECORD = "model/tiny/fr_regressor_v2_ensemble_v1.promotion.sigstore.json"
VERDICT = "model/tiny/fr_regressor_v2_ensemble_v1.verdict.json"
OIDC = {
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://t.invalid/token",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "x",
    "GITHUB_ACTIONS": "true",
}


def seed_repo(standin, registry: bytes | None = None) -> str:
    return standin.seed(
        {
            REGISTRY: registry or SHIPPED_REGISTRY.read_bytes(),
            "model/tiny/registry.schema.json": SCHEMA.read_bytes(),
            CORPUS: CORPUS_BYTES,
        }
    )


def bot_run(standin, root: Path, signer: StubSigner | None, run_id: int = 7, **kw) -> Outcome:
    config = build_config(
        verdict_dir=str(root / "loso"),
        artifacts=str(root / "export"),
        registry=REGISTRY,
        repo=standin.repo_full_name,
        base="main",
        mode="pr",
        labels="flip",
        api_url=standin.base_url,
        env={
            "FLIPBOT_TOKEN": standin.token,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": standin.repo_full_name,
            "GITHUB_RUN_ID": str(run_id),
            **(OIDC if signer else {}),
        },
        **kw,
    )
    config = replace(config, write_interval_s=0.0, backoff_s=0.01, max_wait_s=3.0)
    api = GitHubRepo(
        config.api_url, config.token or "", config.repo, write_interval_s=0.0, sleep=lambda s: None
    )
    flip = verify(root / "loso", root / "export", api_base(api, config.base, config.registry))
    setup = stub_setup(signer, standin.repo_full_name) if signer else None
    return run_pr(config, flip, api, setup)


def writes(standin) -> list[str]:
    return [f"{r.method} {r.path}" for r in standin.writes()]


def rows(standin) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads(standin.branch_files(BRANCH)[REGISTRY])["models"]}


def statement(bundle: bytes) -> dict:
    return json.loads(base64.b64decode(json.loads(bundle)["payload"]))


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    write_inputs(tmp_path, make_verdict(seeds=(0, 1), sources=("a", "b")))
    return tmp_path


def test_signed_flip_commits_a_bundle_per_model_the_registry_field_and_the_record(
    github_standin, inputs
):
    seed_repo(github_standin)
    signer = StubSigner()
    out = bot_run(github_standin, inputs, signer)
    assert out.operation == "created"
    files = github_standin.branch_files(BRANCH)
    policy = IdentityPolicy("https://github.com/octo/models/.github/workflows/.+")
    for seed, rid in enumerate(SEEDS):
        bundle = files[f"model/tiny/{rid}.onnx.sigstore.json"]
        StubChecker().check_blob(onnx_bytes(seed), bundle, policy)  # signs the committed bytes
        assert files[f"model/tiny/{rid}.onnx"] == onnx_bytes(seed)
        assert rows(github_standin)[rid]["sigstore_bundle"] == f"{rid}.onnx.sigstore.json"
    # Only the flipped rows' lines change: the field was null, now the bundle's path.
    before = SHIPPED_REGISTRY.read_text().splitlines()
    after = files[REGISTRY].decode().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 6 and all(
        "sha256" in a or "smoke" in a or "sigstore_bundle" in a for a, _ in changed
    )
    assert (
        rows(github_standin)["vmaf_tiny_v2"]["sigstore_bundle"] == "vmaf_tiny_v2.onnx.sigstore.json"
    )
    doc = statement(files[RECORD])
    assert (doc["_type"], doc["predicateType"]) == (STATEMENT_TYPE, PREDICATE_TYPE)
    assert {s["name"]: s["digest"]["sha256"] for s in doc["subject"]} == {
        f"model/tiny/{SEEDS[0]}.onnx": sha256_bytes(onnx_bytes(0)),
        f"model/tiny/{SEEDS[1]}.onnx": sha256_bytes(onnx_bytes(1)),
        VERDICT: sha256_file(inputs / "loso" / "PROMOTE.json"),
    }
    pred = doc["predicate"]
    assert pred["decision"] == "PROMOTE" and pred["base_commit"] == github_standin.branch_sha(
        "main"
    )
    assert [s["seed"] for s in pred["seeds"]] == [0, 1] and pred["audit"] is None
    assert pred["workflow_run"] == "https://github.com/octo/models/actions/runs/7"
    assert sorted(signer.signed) == sorted(
        [f"blob {sha256_bytes(onnx_bytes(0))}", f"blob {sha256_bytes(onnx_bytes(1))}", "statement"]
    )
    body = github_standin.pull(out.number).body
    assert "**Signed:** 2 model(s)" in body and "(signed promotion record)" in body
    assert body.count("(Sigstore bundle)") == 2
    assert f"cosign verify-blob --bundle model/tiny/{SEEDS[0]}.onnx.sigstore.json" in body
    assert "python -m bot verify-signatures --registry model/tiny/registry.json" in body
    revert = body.split("<summary>Revert</summary>")[1]
    assert f"  model/tiny/{SEEDS[1]}.onnx.sigstore.json \\\n" in revert
    assert f"  {RECORD}\n```" in revert


def test_identical_rerun_keeps_every_bundle_and_writes_nothing(github_standin, inputs):
    seed_repo(github_standin)
    first = bot_run(github_standin, inputs, StubSigner())
    github_standin.clear_journal()
    again_signer = StubSigner()
    again = bot_run(github_standin, inputs, again_signer, run_id=8)
    assert writes(github_standin) == []
    assert again_signer.signed == []
    assert (again.operation, again.head_sha) == ("unchanged", first.head_sha)


def test_only_what_changed_is_signed_again(github_standin, tmp_path):
    seed_repo(github_standin)
    write_inputs(tmp_path, make_verdict(seeds=(0, 1)))
    bot_run(github_standin, tmp_path, StubSigner())
    bundles = {p: b for p, b in github_standin.branch_files(BRANCH).items() if "onnx.sig" in p}
    # A new verdict on the same model bytes: the bundles are kept, the record is signed anew.
    write_inputs(tmp_path, make_verdict(seeds=(0, 1), variant=1))
    signer = StubSigner()
    bot_run(github_standin, tmp_path, signer)
    files = github_standin.branch_files(BRANCH)
    assert signer.signed == ["statement"]
    assert {p: files[p] for p in bundles} == bundles
    subjects = {s["name"]: s["digest"]["sha256"] for s in statement(files[RECORD])["subject"]}
    assert subjects[VERDICT] == sha256_file(tmp_path / "loso" / "PROMOTE.json")
    # New model bytes: each changed model is signed again.
    write_inputs(tmp_path, make_verdict(seeds=(0, 1), variant=1), generation=1)
    signer = StubSigner()
    bot_run(github_standin, tmp_path, signer)
    assert onnx_bytes(0, 1) != onnx_bytes(0) and onnx_bytes(1, 1) != onnx_bytes(1)
    assert sorted(signer.signed) == sorted(
        [f"blob {sha256_bytes(onnx_bytes(s, 1))}" for s in (0, 1)] + ["statement"]
    )


def test_a_bundle_that_does_not_verify_for_the_identity_stops_before_any_write(
    github_standin, inputs
):
    seed_repo(github_standin)
    github_standin.clear_journal()
    other = StubSigner(
        identity="https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main"
    )
    with pytest.raises(InputError, match="does not verify for issuer"):
        bot_run(github_standin, inputs, other)
    assert writes(github_standin) == []


def test_auto_without_a_token_leaves_the_models_unsigned_and_says_why(github_standin, inputs):
    seed_repo(github_standin)
    out = bot_run(github_standin, inputs, None)
    files = github_standin.branch_files(BRANCH)
    assert not [p for p in files if p.endswith(".sigstore.json")]
    assert all(rows(github_standin)[rid]["sigstore_bundle"] is None for rid in SEEDS)
    body = github_standin.pull(out.number).body
    assert "**Unsigned:**" in body and "id-token: write" in body
    assert "cosign verify-blob" not in body


def test_the_rows_own_bundle_path_is_used_and_its_line_left_alone(github_standin, inputs):
    doc = json.loads(SHIPPED_REGISTRY.read_text())
    for row in doc["models"]:
        if row["id"] == SEEDS[0]:
            row["sigstore_bundle"] = "sigs/seed0.sigstore.json"
    seed_repo(github_standin, (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode())
    bot_run(github_standin, inputs, StubSigner())
    files = github_standin.branch_files(BRANCH)
    assert "model/tiny/sigs/seed0.sigstore.json" in files
    assert f"model/tiny/{SEEDS[0]}.onnx.sigstore.json" not in files
    assert rows(github_standin)[SEEDS[0]]["sigstore_bundle"] == "sigs/seed0.sigstore.json"


@pytest.mark.parametrize("value", ["../../x.sigstore.json", "seed0.json", 7])
def test_a_bundle_path_outside_the_folder_or_of_another_kind_is_refused(
    github_standin, inputs, value
):
    doc = json.loads(SHIPPED_REGISTRY.read_text())
    for row in doc["models"]:
        if row["id"] == SEEDS[0]:
            row["sigstore_bundle"] = value
    seed_repo(github_standin, (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode())
    github_standin.clear_journal()
    with pytest.raises(InputError, match="sigstore_bundle"):
        bot_run(github_standin, inputs, StubSigner())
    assert writes(github_standin) == []


def test_sign_required_without_a_token_exits_2_before_any_write(
    github_standin, inputs, monkeypatch, capsys
):
    seed_repo(github_standin)
    github_standin.clear_journal()
    for name in ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FLIPBOT_TOKEN", github_standin.token)
    argv = [
        "--verdict-dir", str(inputs / "loso"), "--artifacts", str(inputs / "export"),
        "--registry", REGISTRY, "--repo", github_standin.repo_full_name, "--base", "main",
        "--api-url", github_standin.base_url, "--sign", "required",
    ]  # fmt: skip
    assert main(argv) == 2
    assert "--sign required: the job has no OIDC token" in capsys.readouterr().err
    assert writes(github_standin) == []
    assert github_standin.branch_sha(BRANCH) is None


def test_sign_modes_and_patterns_are_checked_at_start():
    common = dict(verdict_dir="v", artifacts="a", registry=REGISTRY, repo="o/r", base="main")
    with pytest.raises(InputError, match="--sign 'maybe'"):
        build_config(mode="dry-run", env={}, sign="maybe", **common)
    with pytest.raises(InputError, match="not a regular expression"):
        build_config(mode="dry-run", env={}, identity_regexp="(", **common)
    config = build_config(
        mode="dry-run", env={}, sign="required", **common
    )  # a dry run signs nothing
    assert config.policy.pattern == "https://github.com/o/r/.github/workflows/.+"
    assert build_config(mode="apply-local", env=OIDC, sign="required", **common).oidc is True


def test_sign_setup_signs_only_where_a_token_is_trusted():
    from bot.signing.setup import GHES, NO_TOKEN, sign_setup

    policy = IdentityPolicy("x")
    assert sign_setup("auto", "pr", True, policy).backend is not None
    assert sign_setup("auto", "pr", False, policy).unsigned == NO_TOKEN
    assert sign_setup("auto", "pr", True, policy, ghes=True).unsigned == GHES
    assert sign_setup("required", "pr", True, policy, ghes=True).backend is not None
    assert "dry run" in str(sign_setup("required", "dry-run", True, policy).unsigned)
    assert sign_setup("off", "apply-local", True, policy).backend is None
    common = dict(verdict_dir="v", artifacts="a", registry=REGISTRY, repo="o/r", base="main")
    ghes = build_config(mode="dry-run", env={}, api_url="https://git.example.com/api/v3", **common)
    assert ghes.ghes and not build_config(mode="dry-run", env={}, **common).ghes


def test_unsigned_flip_says_the_bundle_the_row_names_no_longer_matches(github_standin, inputs):
    doc = json.loads(SHIPPED_REGISTRY.read_text())
    for row in doc["models"]:
        if row["id"] == SEEDS[0]:
            row["sigstore_bundle"] = "seed0.old.sigstore.json"
    seed_repo(github_standin, (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode())
    out = bot_run(github_standin, inputs, None)
    body = github_standin.pull(out.number).body
    assert "The registry still names `seed0.old.sigstore.json`, which signed the previous" in body
    assert rows(github_standin)[SEEDS[0]]["sigstore_bundle"] == "seed0.old.sigstore.json"
