"""Score drift on real files: two real exports, the current files in the working tree, and an
independent onnxruntime computation of what the new models change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper
from test_export import ENSEMBLE, SEEDS, copy_run, export, run  # noqa: F401  (run: a fixture)

from flipbot.features import FEATURE_ORDER, codec_block
from flipbot.jsonfile import dumps, sha256_file
from flipbot.plan_file import FlipPlan
from trainer.drift import PLACEHOLDER

REPO = Path(__file__).resolve().parents[2]


def apply_locally(root: Path, export_dir: Path) -> None:
    """What `python -m bot --local` does to the working tree: files in, rows flipped."""
    tiny = root / "model" / "tiny"
    plan = FlipPlan.read(export_dir / "flip_plan.json")
    for f in plan.files:
        shutil.copy(export_dir / f.artifact, tiny / Path(f.path).name)
    registry = json.loads((tiny / "registry.json").read_text())
    new = {r.id: r.sha256 for r in plan.rows}
    for row in registry["models"]:
        if row["id"] in new:
            row["sha256"], row["smoke"] = new[row["id"]], False
    (tiny / "registry.json").write_text(dumps(registry))


def scores(onnx_path: Path, sidecar: dict, rows: list[dict]) -> np.ndarray:
    """One model on every corpus row, built from its sidecar alone (no flipbot code path)."""
    raw = np.array([[r[k] for k in FEATURE_ORDER] for r in rows])
    feats = (raw - np.array(sidecar["feature_mean"])) / np.array(sidecar["feature_std"])
    cq = np.array([r["cq"] for r in rows], dtype=np.float64)
    codec = codec_block(
        [r["encoder"] for r in rows], cq, sidecar["corpus"]["cq_min"], sidecar["corpus"]["cq_max"]
    )
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    inputs = {"features": feats.astype(np.float32), "codec_onehot": codec.astype(np.float32)}
    return session.run(["score"], inputs)[0].astype(np.float64)


def read_drift(out: Path) -> dict:
    plan = FlipPlan.read(out / "flip_plan.json")
    assert plan.drift_sha256 == sha256_file(out / "drift.json")  # pinned by the plan
    return json.loads((out / "drift.json").read_text())


@pytest.fixture(scope="module")
def two_exports(run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:  # noqa: F811
    """Export at 1 epoch, apply it to the working tree, export again at 3 epochs."""
    root = copy_run(run, tmp_path_factory.mktemp("drift"))
    assert export(root, root / "first", "--epochs", "1") == 0
    apply_locally(root, root / "first")
    assert export(root, root / "second") == 0
    return root, root / "first", root / "second"


def test_drift_between_two_real_exports_equals_an_independent_onnxruntime_run(
    two_exports: tuple[Path, Path, Path],
) -> None:
    root, first, second = two_exports
    rows = [json.loads(line) for line in (root / "corpus.jsonl").read_text().splitlines()]
    src = np.array([r["src"] for r in rows])
    encoder = np.array([r["encoder"] for r in rows])
    drift = read_drift(second)
    assert drift["kind"] == "flipbot.drift" and drift["rows"] == len(rows)
    deltas = {}
    for row in drift["seeds"]:
        stem = f"{ENSEMBLE}_seed{row['seed']}"
        old_side = json.loads((first / f"{stem}.json").read_text())
        new_side = json.loads((second / f"{stem}.json").read_text())
        delta = scores(second / f"{stem}.onnx", new_side, rows) - scores(
            first / f"{stem}.onnx", old_side, rows
        )
        deltas[row["seed"]] = delta
        assert row["reason"] is None and row["label"] == "replaces a production model"
        assert row["old_sha256"] == sha256_file(first / f"{stem}.onnx")
        assert row["old_inputs"] == f"its sidecar {stem}.json"
        assert row["old_loso_plcc"] == old_side["gate"]["this_seed_loso_plcc"]
        overall = row["drift"]["overall"]
        assert overall["max_abs"] > 0.01  # 1 vs 3 epochs: the scores really move
        assert overall["mean_delta"] == pytest.approx(delta.mean(), abs=1e-4)
        assert overall["p95_abs"] == pytest.approx(np.percentile(np.abs(delta), 95), abs=1e-4)
        assert overall["max_abs"] == pytest.approx(np.abs(delta).max(), abs=1e-4)
        assert overall["share_over_1"] == np.mean(np.abs(delta) > 1.0)
        for s, got in row["drift"]["by_source"].items():
            assert got["mean_abs"] == pytest.approx(np.abs(delta[src == s]).mean(), abs=1e-4)
            assert got["n"] == int(np.sum(src == s))
        for e, got in row["drift"]["by_encoder"].items():
            assert got["mean_delta"] == pytest.approx(delta[encoder == e].mean(), abs=1e-4)
    ensemble = np.mean([deltas[s] for s in SEEDS], axis=0)
    assert drift["ensemble_seeds"] == list(SEEDS)
    assert drift["ensemble"]["overall"]["mean_abs"] == pytest.approx(
        np.abs(ensemble).mean(), abs=1e-4
    )
    assert drift["ensemble"]["overall"]["share_over_jnd"] == np.mean(np.abs(ensemble) > 6.0)


def test_identical_files_drift_exactly_zero(
    two_exports: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    root = copy_run(two_exports[0], tmp_path)
    apply_locally(root, root / "second")
    assert export(root, root / "third") == 0  # export is deterministic: the same bytes again
    drift = read_drift(root / "third")
    for row in drift["seeds"]:
        assert row["old_sha256"] == row["new_sha256"]
        stats = [row["drift"]["overall"], *row["drift"]["by_source"].values()]
        assert all(s["max_abs"] == 0.0 and s["mean_delta"] == 0.0 for s in stats)
    assert drift["ensemble"]["overall"]["max_abs"] == 0.0


def other_signature_model() -> bytes:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])
    y = helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch", 3])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["score"])], "g", [x], [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def test_missing_corrupt_and_other_signature_files_are_reported_not_fatal(
    run: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    root = copy_run(run, tmp_path)
    tiny = root / "model" / "tiny"
    (tiny / f"{ENSEMBLE}_seed1.onnx").write_bytes(b"not an onnx file")
    (tiny / f"{ENSEMBLE}_seed2.onnx").write_bytes(other_signature_model())
    assert export(root, root / "out", "--epochs", "1") == 0
    by_seed = {r["seed"]: r for r in read_drift(root / "out")["seeds"]}
    assert by_seed[0]["reason"] == f"no current file {ENSEMBLE}_seed0.onnx in the working tree"
    assert by_seed[1]["reason"].startswith("onnxruntime cannot load or run it")
    assert by_seed[2]["reason"].startswith("another input/output signature")
    assert all(r["drift"] is None and r["label"] == PLACEHOLDER for r in by_seed.values())
    drift = read_drift(root / "out")
    assert drift["ensemble"] is None and drift["ensemble_seeds"] == []


def test_placeholders_are_labelled_and_compared_with_the_new_corpus_scaler(
    run: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    root = copy_run(run, tmp_path)
    for seed in SEEDS:
        name = f"{ENSEMBLE}_seed{seed}.onnx"
        shutil.copy(REPO / "model" / "tiny" / name, root / "model" / "tiny" / name)
    assert export(root, root / "out", "--epochs", "1") == 0
    drift = read_drift(root / "out")
    rows = [json.loads(line) for line in (root / "corpus.jsonl").read_text().splitlines()]
    new_side = json.loads((root / "out" / f"{ENSEMBLE}_seed0.json").read_text())
    old = scores(root / "model" / "tiny" / f"{ENSEMBLE}_seed0.onnx", new_side, rows)
    new = scores(root / "out" / f"{ENSEMBLE}_seed0.onnx", new_side, rows)
    row = drift["seeds"][0]
    assert row["label"] == PLACEHOLDER and row["old_smoke"] is True
    assert row["old_inputs"].startswith("the new corpus scaler")
    assert row["drift"]["overall"]["mean_abs"] == pytest.approx(np.abs(new - old).mean(), abs=1e-4)
    assert onnx.load(root / "model" / "tiny" / f"{ENSEMBLE}_seed0.onnx")  # untouched, loadable


def infinite_scores_model() -> bytes:
    """The shipping signature, but every score is +inf (a corrupt current model)."""
    f = helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 6])
    c = helper.make_tensor_value_info("codec_onehot", TensorProto.FLOAT, ["batch", 14])
    s = helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch"])
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [1])
    inf = helper.make_tensor("inf", TensorProto.FLOAT, [], [float("inf")])
    nodes = [
        helper.make_node("ReduceSum", ["features", "axes"], ["sum"], keepdims=0),
        helper.make_node("Mul", ["sum", "zero"], ["zeros"]),
        helper.make_node("Add", ["zeros", "inf"], ["score"]),
    ]
    zero = helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])
    graph = helper.make_graph(nodes, "g", [f, c], [s], initializer=[axes, inf, zero])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def test_a_current_model_with_non_finite_scores_is_reported(run: Path, tmp_path: Path) -> None:  # noqa: F811
    from flipbot.corpus import load_corpus
    from flipbot.features import Scaler
    from trainer.drift import Candidate, ModelInputs, measure_drift

    corpus = load_corpus(run / "corpus.jsonl")
    (tmp_path / "m.onnx").write_bytes(infinite_scores_model())
    scaler = Scaler.fit(corpus.features)
    new = (REPO / "model" / "tiny" / f"{ENSEMBLE}_seed0.onnx").read_bytes()
    inputs = ModelInputs(scaler, corpus.cq_min, corpus.cq_max)
    drift = measure_drift(corpus, tmp_path, [Candidate("m", 0, "m.onnx", new, inputs, None)], {})
    (row,) = drift.seeds
    assert row.reason == f"its scores are not finite on {corpus.rows} corpus rows"
    assert drift.ensemble is None
    json.loads(dumps(drift.to_json()))  # strict JSON: no NaN or Infinity tokens
