"""The flip deletes the external-data files only the replaced models used (SPEC §14), in the PR."""

from __future__ import annotations

import re
from pathlib import Path

import onnx
from bot_inputs import (
    CORPUS,
    CORPUS_BYTES,
    REGISTRY,
    SCHEMA,
    SHIPPED_REGISTRY,
    make_verdict,
    write_inputs,
)
from onnx_fixture import member_onnx
from test_lifecycle import BRANCH, bot_run, writes

E = "fr_regressor_v2_ensemble_v1"
FOLDER = "model/tiny"


def with_external_data(tmp: Path, name: str, location: str) -> tuple[bytes, bytes]:
    """A real model saved with its weights in ``location``: (.onnx bytes, data bytes)."""
    tmp.mkdir(parents=True, exist_ok=True)
    onnx.save_model(
        onnx.load_model_from_string(member_onnx(7)),
        str(tmp / name),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=location,
        size_threshold=0,
    )
    return (tmp / name).read_bytes(), (tmp / location).read_bytes()


def test_the_pr_commit_deletes_the_unused_data_files_and_keeps_a_shared_one(
    github_standin, tmp_path: Path
) -> None:
    seed0, seed0_data = with_external_data(
        tmp_path / "a", f"{E}_seed0.onnx", f"{E}_seed0.onnx.data"
    )
    seed1, shared = with_external_data(tmp_path / "b", f"{E}_seed1.onnx", "shared.onnx.data")
    other, _ = with_external_data(tmp_path / "c", "vmaf_tiny_v2.onnx", "shared.onnx.data")
    github_standin.seed(
        {
            REGISTRY: SHIPPED_REGISTRY.read_bytes(),
            f"{FOLDER}/registry.schema.json": SCHEMA.read_bytes(),
            CORPUS: CORPUS_BYTES,
            f"{FOLDER}/{E}_seed0.onnx": seed0,
            f"{FOLDER}/{E}_seed0.onnx.data": seed0_data,
            f"{FOLDER}/{E}_seed1.onnx": seed1,
            f"{FOLDER}/shared.onnx.data": shared,  # the kept vmaf_tiny_v2 still names it
            f"{FOLDER}/vmaf_tiny_v2.onnx": other,
        }
    )
    write_inputs(tmp_path / "run", make_verdict(seeds=(0, 1)))
    outcome = bot_run(github_standin, tmp_path / "run")
    assert outcome.operation == "created"
    files = github_standin.branch_files(BRANCH)
    assert f"{FOLDER}/{E}_seed0.onnx.data" not in files  # deleted in the flip commit
    assert files[f"{FOLDER}/shared.onnx.data"] == shared  # still used: kept
    assert files[f"{FOLDER}/vmaf_tiny_v2.onnx"] == other
    pull = github_standin.pulls()[0]
    assert f"`{FOLDER}/{E}_seed0.onnx.data` (weights of the replaced `{E}_seed0.onnx`" in pull.body
    assert "shared.onnx.data" not in pull.body
    revert = pull.body[pull.body.index("git checkout") :]
    assert re.search(rf"{FOLDER}/{E}_seed0\.onnx\.data\n", revert)
    before = writes(github_standin)
    assert bot_run(github_standin, tmp_path / "run").operation == "unchanged"
    assert writes(github_standin) == before  # an identical rerun writes nothing
