"""The inputs export checks before it trains: recipe, registry rows, device, out-dir, corpus pin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flipbot.errors import InputError
from flipbot.jsonfile import sha256_file
from trainer.full_fit import load_full_corpus, recipe_from_verdict, resolve_device
from trainer.recipe import Recipe
from trainer.registry_view import read_targets, repo_relative
from trainer.staging import check_out_dir, staged_folder

ROOT = Path(__file__).resolve().parents[2]
ENSEMBLE = "fr_regressor_v2_ensemble_v1"


def verdict_recipe(**changes: object) -> dict:
    """What the gate copies into a verdict: upstream keys, then the trainer's recipe."""
    return {"num_codecs": 14, "encoder_vocab_version": 2, **Recipe(epochs=7).to_json(), **changes}


def test_recipe_from_verdict_rebuilds_the_trainers_recipe() -> None:
    assert recipe_from_verdict(verdict_recipe(), None) == Recipe(epochs=7)
    assert recipe_from_verdict(verdict_recipe(lr=1e-3), 2) == Recipe(epochs=2, lr=1e-3)


@pytest.mark.parametrize(
    ("changes", "epochs", "needle"),
    [
        ({"num_codecs": 13}, None, "num_codecs is 13"),
        ({"encoder_vocab_version": 1}, None, "encoder_vocab_version is 1"),
        ({"label_smoothing": 0.1}, None, "label_smoothing unknown"),
        ({}, 0, "--epochs 0"),
    ],
)
def test_recipe_from_verdict_refuses_what_it_cannot_reproduce(
    changes: dict, epochs: int | None, needle: str
) -> None:
    with pytest.raises(InputError, match=needle):
        recipe_from_verdict(verdict_recipe(**changes), epochs)


def test_device_auto_resolves_and_a_missing_cuda_is_an_input_error() -> None:
    import torch

    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="--device cuda"):
            resolve_device("cuda")


def write_registry(folder: Path, rows: list[dict]) -> Path:
    path = folder / "registry.json"
    path.write_text(
        json.dumps({"models": rows, "schema_version": 1}, indent=2, sort_keys=True) + "\n"
    )
    return path


def seed_row(seed: int, onnx: str | None = None) -> dict:
    return {"id": f"{ENSEMBLE}_seed{seed}", "onnx": onnx or f"{ENSEMBLE}_seed{seed}.onnx"}


def test_targets_read_from_the_real_registry() -> None:
    targets = read_targets(ROOT / "model" / "tiny" / "registry.json", ENSEMBLE, (0, 4))
    assert targets.registry == "model/tiny/registry.json"
    assert targets.seed_onnx == {0: f"{ENSEMBLE}_seed0.onnx", 4: f"{ENSEMBLE}_seed4.onnx"}
    assert targets.ensemble_onnx is None  # the shipped registry has no ensemble-level row
    assert targets.repo_path("x.json") == "model/tiny/x.json"


@pytest.mark.parametrize(
    ("rows", "needle"),
    [
        ([seed_row(0), seed_row(0)], "appears twice"),
        ([seed_row(0, "../evil.onnx")], "plain \\*.onnx file name"),
        ([seed_row(0, "seed0.onnx.data")], "plain \\*.onnx file name"),
        (
            [seed_row(0, "shared.onnx"), {"id": f"{ENSEMBLE}_seed1", "onnx": "shared.onnx"}],
            "shared",
        ),
        ([seed_row(0, "flip_plan.onnx"), seed_row(1)], "flip_plan"),
    ],
)
def test_registry_rows_that_export_cannot_ship_are_refused(
    tmp_path: Path, rows: list[dict], needle: str
) -> None:
    registry = write_registry(tmp_path, rows)
    with pytest.raises(InputError, match=needle):
        read_targets(registry, ENSEMBLE, (0, 1) if len(rows) > 1 else (0,))


def test_repo_relative_finds_the_checkout_root(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "model" / "tiny").mkdir(parents=True)
    assert (
        repo_relative(tmp_path / "model" / "tiny" / "registry.json") == "model/tiny/registry.json"
    )


def test_out_dir_check_accepts_new_empty_and_previous_exports(tmp_path: Path) -> None:
    check_out_dir(tmp_path / "new")
    (tmp_path / "empty").mkdir()
    check_out_dir(tmp_path / "empty")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        check_out_dir(tmp_path / "file")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "flip_plan.json").write_text("{}")
    with pytest.raises(InputError, match=r"not a previous export \(flip_plan.json\)"):
        check_out_dir(broken)


def test_staged_folder_removes_everything_it_made_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "out"
    with pytest.raises(RuntimeError), staged_folder(out) as stage:
        (stage / "x.onnx").write_bytes(b"partial")
        raise RuntimeError("check failed")
    assert list(tmp_path.iterdir()) == []  # not even the parents it created
    with staged_folder(out) as stage:
        (stage / "x.onnx").write_bytes(b"whole")
    assert [p.name for p in out.parent.iterdir()] == ["out"]
    assert (out / "x.onnx").read_bytes() == b"whole"


def test_full_corpus_refuses_bytes_other_than_the_pinned_ones(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    row = {"src": "a", "encoder": "libx264", "cq": 20, "frame_index": 0, "vmaf": 90.0}
    features = {"adm2": 0.9, "vif_scale0": 0.5, "vif_scale1": 0.6, "vif_scale2": 0.7}
    lines = [row | features | {"vif_scale3": 0.8, "motion2": 1.0, "src": s} for s in ("a", "b")]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in lines))
    data = load_full_corpus(corpus, sha256_file(corpus))
    assert data.rows == 2 and data.cq_min == data.cq_max == 20.0
    assert data.codec[:, 13].tolist() == [0.5, 0.5]  # all CQs equal -> crf_norm 0.5
    with pytest.raises(InputError, match="differs from the verdict's pin"):
        load_full_corpus(corpus, "0" * 64)


def test_export_help_explains_the_flags() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "trainer", "export", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for flag in (
        "--corpus",
        "--verdict-dir",
        "--registry",
        "--out-dir",
        "--ensemble-id",
        "--device",
        "--epochs",
    ):
        assert flag in done.stdout
    assert "Never edits the registry" in done.stdout


def test_provenance_commit_is_the_workflow_sha_else_the_checkouts_head(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flipbot.provenance import git_commit

    monkeypatch.setenv("GITHUB_SHA", "0123abcd" * 5)
    assert git_commit(ROOT) == "0123abcd" * 5
    monkeypatch.delenv("GITHUB_SHA")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert git_commit(ROOT) == (head.stdout.strip() if head.returncode == 0 else None)
