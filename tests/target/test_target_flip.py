"""A flip of the target-repository fixture, judged by that repository's own consumers (SPEC §14).

``trainer export`` on the fixture's corpus and verdict, then ``bot --apply-local``
on its git checkout; the repository's current test of the flipped rows, its model
audit, libvmaf's sidecar scan and its ensemble loader must accept the result, no
external-data file may be left unreferenced, the corpus stays out of git, and the
registry change is exactly the targeted lines.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper
from target_consumers import (
    SCANNED,
    ensemble_loader_smoke,
    flipped_rows_test,
    libvmaf_scan,
    model_audit,
)
from target_repo import (
    CORPUS,
    FOLDER,
    LFS_POINTER,
    MANIFEST,
    OTHER,
    PIN_FILE,
    REGISTRY,
    SEEDS,
    STALE_EVAL,
    TargetRepo,
    build,
    git,
    seed_id,
)

from bot.__main__ import main as bot_main
from flipbot.ensemble_numbers import conformal_q
from flipbot.jsonfile import sha256_file
from flipbot.loso_file import LosoArtefact
from flipbot.sidecar_shape import CORPUS_KEYS, GATE_KEYS, RECIPE_KEYS, TOP_KEYS
from trainer.__main__ import main as trainer_main

IDS = [seed_id(s) for s in SEEDS]


@dataclass(frozen=True)
class Flipped:
    repo: TargetRepo
    pristine: Path  # a copy of the checkout before the flip
    export: Path
    before_loader_error: str  # what the loader said on the tree before the flip
    dry_run_out: str  # the bot's --dry-run output: the PR body and the registry diff


def bot(repo_root: Path, loso: Path, export: Path, *mode: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(repo_root)
        for name in ("GITHUB_TOKEN", "FLIPBOT_TOKEN", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
            mp.delenv(name, raising=False)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = bot_main(
                ["--verdict-dir", str(loso), "--artifacts", str(export), "--registry", REGISTRY,
                 "--repo", "local/models", "--base", "main", *mode]
            )  # fmt: skip
    return code, out.getvalue(), err.getvalue()


def export(repo: TargetRepo, out: Path) -> int:
    threads = torch.get_num_threads()
    try:
        return trainer_main(
            ["export", "--corpus", str(repo.path(CORPUS)), "--verdict-dir", str(repo.loso),
             "--registry", str(repo.path(REGISTRY)), "--out-dir", str(out),
             "--device", "cpu", "--threads", "1"]
        )  # fmt: skip
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def flipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flipped]:
    tmp = tmp_path_factory.mktemp("target")
    repo = build(tmp / "repo", tmp / "loso")
    pristine = tmp / "pristine"
    shutil.copytree(repo.root, pristine, symlinks=True)
    try:
        ensemble_loader_smoke(repo.path(MANIFEST))
        before = ""
    except Exception as exc:  # onnxruntime's own error type
        before = str(exc)
    out = tmp / "export"
    assert export(repo, out) == 0
    code, dry_run, err = bot(repo.root, repo.loso, out, "--dry-run")
    assert code == 0, err
    code, _, err = bot(repo.root, repo.loso, out, "--apply-local")
    assert code == 0, err
    yield Flipped(repo, pristine, out, before, dry_run)


def test_the_fixture_reproduces_the_loader_failure_before_the_flip(flipped: Flipped) -> None:
    assert "codec_onehot" in flipped.before_loader_error
    assert "Got: 6 Expected: 14" in flipped.before_loader_error


def test_the_repositorys_current_test_of_the_flipped_rows_passes(flipped: Flipped) -> None:
    flipped_rows_test(flipped.repo.path(REGISTRY), IDS)


def test_the_model_audit_finds_no_sidecar_graph_mismatch(flipped: Flipped) -> None:
    folder = flipped.repo.path(FOLDER)
    assert [m for i in IDS for m in model_audit(folder / f"{i}.onnx")] == []


def test_libvmaf_scan_reads_kind_fr_and_nothing_else_it_looks_for(flipped: Flipped) -> None:
    for row_id in IDS:
        sidecar = flipped.repo.path(f"{FOLDER}/{row_id}.json")
        text = sidecar.read_text()
        assert sidecar.stat().st_size <= 1 << 20
        assert libvmaf_scan(text, "kind") == "fr"
        assert {k: libvmaf_scan(text, k) for k in SCANNED if k != "kind"} == dict.fromkeys(
            [k for k in SCANNED if k != "kind"]
        )
        assert [k for k in SCANNED if f'"{k}"' in text] == ["kind"]  # not even as a value


def test_sidecars_have_every_repository_key_with_its_type(flipped: Flipped) -> None:
    registry = {r["id"]: r for r in json.loads(flipped.repo.path(REGISTRY).read_text())["models"]}
    for row_id in IDS:
        side = json.loads(flipped.repo.path(f"{FOLDER}/{row_id}.json").read_text())
        for keys, doc in (
            (TOP_KEYS, side),
            (CORPUS_KEYS, side["corpus"]),
            (GATE_KEYS, side["gate"]),
            (RECIPE_KEYS, side["training_recipe"]),
        ):
            assert {k: type(doc[k]).__name__ for k in keys} == {
                k: ("float" if t is float else t.__name__)
                for k, t in keys.items()  # type: ignore[union-attr]
            }
        assert side["codec_block_layout"][:2] == [
            "encoder_onehot[libx264]",
            "encoder_onehot[libx265]",
        ]
        assert side["codec_block_layout"][12:] == ["preset_norm", "crf_norm"]
        assert side["corpus"]["path"] == CORPUS and side["corpus"]["n_rows"] == 180
        assert side["sha256"] == registry[row_id]["sha256"]
        assert side["training_recipe"]["fit_set"] == "full_corpus"


def test_the_ensemble_loader_runs_all_five_members_and_exits_0(flipped: Flipped) -> None:
    manifest_path = flipped.repo.path(MANIFEST)
    assert ensemble_loader_smoke(manifest_path) == 0
    doc = json.loads(manifest_path.read_text())
    assert len(doc["members"]) == 5 and len(doc["codec_vocab"]) == 14
    assert doc["codec_vocab"][:2] == ["libx264", "libx265"]
    assert doc["codec_vocab"][12:] == ["preset_norm", "crf_norm"]
    assert doc["codec_vocab_version"] == 2
    registry = {r["id"]: r for r in json.loads(flipped.repo.path(REGISTRY).read_text())["models"]}
    assert [m["sha256"] for m in doc["members"]] == [registry[i]["sha256"] for i in IDS]
    assert doc["smoke"] is False


def test_the_manifest_confidence_is_the_conformal_quantile_of_the_loso_predictions(
    flipped: Flipped,
) -> None:
    doc = json.loads(flipped.repo.path(MANIFEST).read_text())
    arts = [LosoArtefact.read(flipped.repo.loso / f"loso_seed{s}.json") for s in SEEDS]
    y = [v for f in arts[0].folds for v in f.y_true]
    preds = [[v for f in a.folds for v in f.y_pred] for a in arts]
    mu, sigma = np.mean(preds, axis=0), np.std(preds, axis=0, ddof=1)
    scores = np.sort(np.abs(np.asarray(y) - mu) / sigma)
    k = int(np.ceil((len(y) + 1) * 0.95))  # 172 of 180
    confidence = doc["confidence"]
    assert confidence["conformal_q_residual"] == pytest.approx(scores[k - 1], rel=1e-12)
    assert confidence["conformal_q_residual"] == pytest.approx(
        conformal_q(np.asarray(y), np.asarray(preds), 0.95), rel=1e-12
    )
    assert confidence["nominal_coverage"] == 0.95
    assert confidence["gaussian_z"] == pytest.approx(1.959963984540054, rel=1e-12)
    assert confidence["method"] == "ensemble+conformal"
    held_out = np.mean(np.abs(np.asarray(y) - mu) <= confidence["conformal_q_residual"] * sigma)
    assert held_out >= 0.95  # the quantile covers its own calibration frames at the level


def test_eval_describes_the_new_members_and_says_which_numbers_are_which(flipped: Flipped) -> None:
    doc = json.loads(flipped.repo.path(MANIFEST).read_text())
    ev = doc["eval"]
    assert ev["in_sample_plcc"] != STALE_EVAL["in_sample_plcc"]
    assert ev["in_sample_plcc"] > 0.95 and ev["in_sample_rows"] == 180
    assert ev["in_sample_seeds"] == list(SEEDS) and ev["loso_seeds"] == list(SEEDS)
    assert 0.95 < ev["loso_plcc"] <= 1.0 and ev["loso_frames"] == 180
    assert ev["mean_sigma_train"] > 0 and ev["loso_mean_sigma"] > 0
    body = flipped.dry_run_out
    assert "codec_vocab had 6 entries" in body
    assert "not vouched for" not in body  # ensemble_size is 5, as many as the members


def test_no_external_data_file_is_left_unreferenced(flipped: Flipped) -> None:
    folder = flipped.repo.path(FOLDER)
    referenced = set()
    for model in folder.glob("*.onnx"):
        proto = onnx.load(str(model), load_external_data=False)
        for t in proto.graph.initializer:
            referenced |= {e.value for e in t.external_data if e.key == "location"}
    data_files = {p.name for p in folder.glob("*.data")}
    assert data_files == referenced == {f"{OTHER}.onnx.data"}
    status = git(flipped.repo.root, "status", "--porcelain").splitlines()
    deleted = sorted(line[3:] for line in status if line.startswith(" D"))
    assert deleted == [f"{FOLDER}/{i}.onnx.data" for i in IDS]


def test_the_pr_body_lists_the_removals_in_files_and_revert(flipped: Flipped) -> None:
    body = flipped.dry_run_out
    for row_id in IDS:
        assert f"`{FOLDER}/{row_id}.onnx.data` (weights of the replaced `{row_id}.onnx`" in body
    revert = body[body.index("git checkout") :]
    assert all(f"{FOLDER}/{i}.onnx.data" in revert for i in IDS)
    assert "restores the 5 external-data files this flip deletes" in body


def test_drift_compares_every_current_model_with_external_data(flipped: Flipped) -> None:
    drift = json.loads((flipped.export / "drift.json").read_text())
    pristine = flipped.pristine / FOLDER
    assert [(r["seed"], r["reason"]) for r in drift["seeds"]] == [(s, None) for s in SEEDS]
    assert [r["old_sha256"] for r in drift["seeds"]] == [
        sha256_file(pristine / f"{i}.onnx") for i in IDS
    ]
    assert drift["ensemble_seeds"] == list(SEEDS) and drift["ensemble"] is not None


def test_the_corpus_is_not_committed_and_its_pins_are(flipped: Flipped) -> None:
    root = flipped.repo.root
    tracked = git(root, "ls-files").split()
    assert CORPUS not in tracked and not [p for p in tracked if p.startswith("runs/")]
    assert git(root, "check-ignore", CORPUS).strip() == CORPUS
    assert CORPUS not in git(root, "status", "--porcelain", "--untracked-files=all")
    assert {LFS_POINTER, PIN_FILE} <= set(tracked)
    digest = sha256_file(root / CORPUS)
    assert f"oid sha256:{digest}" in (root / LFS_POINTER).read_text()
    assert json.loads((root / PIN_FILE).read_text())["sha256"] == digest


def test_the_registry_change_is_exactly_the_targeted_lines(flipped: Flipped) -> None:
    diff = git(flipped.repo.root, "diff", "-U0", "--", REGISTRY).splitlines()
    changed = [d for d in diff if d[:1] in "+-" and d[:3] not in ("+++", "---")]
    assert len(changed) == 20  # 5 rows x (sha256, smoke) x (old, new)
    assert all(d.strip("+- ").startswith(('"sha256":', '"smoke":')) for d in changed)
    assert sorted(d for d in changed if '"smoke"' in d) == sorted(
        ['-      "smoke": true'] * 5 + ['+      "smoke": false'] * 5
    )


def test_a_rerun_changes_nothing(flipped: Flipped) -> None:
    before = git(flipped.repo.root, "status", "--porcelain")
    stamp = {p: p.stat().st_mtime_ns for p in flipped.repo.path(FOLDER).iterdir()}
    code, _, err = bot(flipped.repo.root, flipped.repo.loso, flipped.export, "--apply-local")
    assert code == 0, err
    assert git(flipped.repo.root, "status", "--porcelain") == before
    assert {p: p.stat().st_mtime_ns for p in flipped.repo.path(FOLDER).iterdir()} == stamp


def _width8_model() -> bytes:
    graph = helper.make_graph(
        [helper.make_node("Identity", ["features"], ["score"])],
        "legacy",
        [
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 6]),
            helper.make_tensor_value_info("codec_onehot", TensorProto.FLOAT, ["batch", 8]),
        ],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch", 6])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def test_a_manifest_whose_layout_cannot_match_the_members_is_exit_2(
    flipped: Flipped, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(flipped.pristine, root, symlinks=True)
    manifest = json.loads((root / MANIFEST).read_text())
    manifest["members"].append(
        {"id": "legacy_v2", "onnx": "legacy_v2.onnx", "seed": 9, "sha256": "0" * 64}
    )
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    (root / FOLDER / "legacy_v2.onnx").write_bytes(_width8_model())
    before = {str(p): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}
    code, _, err = bot(root, flipped.repo.loso, flipped.export, "--apply-local")
    assert code == 2, err
    assert "'legacy_v2' takes 8" in err and "no codec_vocab fits both" in err
    assert {str(p): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()} == before
    assert os.path.exists(root / FOLDER / f"{IDS[0]}.onnx.data")
