"""``trainer export`` end to end: a tiny real corpus, loso files judged by the real gate,
a full-corpus fit of the cleared seeds, and the files the bot ships (SPEC §7)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import numpy_helper

from flipbot.features import FEATURE_ORDER
from flipbot.jsonfile import sha256_file
from flipbot.loso_file import LosoArtefact, LosoFold
from flipbot.metrics import score
from flipbot.plan_file import FlipPlan
from flipbot.verdict_file import Verdict
from gate.__main__ import main as gate_main
from trainer import cpu_kernels
from trainer.__main__ import main as trainer_main
from trainer.model import FrRegressor
from trainer.onnx_check import Parity
from trainer.recipe import Recipe

ROOT = Path(__file__).resolve().parents[2]
SEEDS = (0, 1, 2)
# Enough to fit the tiny corpus: the bot runs the shipped members on it and refuses
# untrained weights (flipbot.onnx_behaviour), so the members export writes must be good.
EPOCHS = 200
LR = 1e-2
OVERRIDE_EPOCHS = 150  # a fit off the judged recipe that is still a good model
SOURCES = ("bunny", "city", "tennis")
ENCODERS = ("libx264", "libx265", "libaom-av1")  # the last maps to the "unknown" slot
CQS = (19, 31, 43)
FRAMES = 6
ENSEMBLE = "fr_regressor_v2_ensemble_v1"


def write_corpus(path: Path) -> list[dict]:
    rng = np.random.default_rng(7)
    rows = []
    for s, src in enumerate(SOURCES):
        for encoder in ENCODERS:
            for cq in CQS:
                for frame in range(FRAMES):
                    quality = 1.0 - (cq - 19) / 40 + 0.05 * rng.normal()
                    feats = {
                        "adm2": 0.7 + 0.3 * quality,
                        "vif_scale0": 0.3 + 0.5 * quality + 0.02 * s,
                        "vif_scale1": 0.5 + 0.4 * quality,
                        "vif_scale2": 0.6 + 0.35 * quality,
                        "vif_scale3": 0.65 + 0.3 * quality,
                        "motion2": 2.0 + s + 0.1 * frame,
                    }
                    vmaf = float(np.clip(20 + 75 * quality, 0, 100))
                    rows.append(
                        {
                            "src": src,
                            "encoder": encoder,
                            "cq": cq,
                            "frame_index": frame,
                            "vmaf": vmaf,
                        }
                        | {k: float(v) for k, v in feats.items()}
                    )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


def write_loso(folder: Path, corpus: Path, rows: list[dict], seed: int) -> None:
    """A real loso file (the trainer's format): per-source predictions close to the target."""
    rng = np.random.default_rng(100 + seed)
    recipe = Recipe(epochs=EPOCHS, lr=LR)
    folds = []
    for src in SOURCES:
        y = np.array([r["vmaf"] for r in rows if r["src"] == src])
        pred = y + rng.normal(scale=2.0, size=y.size)  # held-out PLCC about 0.994
        s = score(y, pred)
        folds.append(
            LosoFold(
                src,
                len(rows) - y.size,
                y.size,
                s.plcc,
                s.srocc,
                s.rmse,
                None,
                tuple(y),
                tuple(pred),
            )
        )
    LosoArtefact(
        seed=seed,
        corpus=corpus.name,  # repository-relative, as the bot reads it from the base
        corpus_sha256=sha256_file(corpus),
        corpus_rows=len(rows),
        sources=SOURCES,
        folds=tuple(folds),
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        lr=recipe.lr,
        weight_decay=recipe.weight_decay,
        num_codecs=14,
        encoder_vocab_version=2,
        recipe=recipe.to_json(),
        device="cpu",
        versions={"flipbot": "0.1.0", "torch": torch.__version__},
        wall_time_s=1.0,
    ).write(folder)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkout-like folder: corpus, the real registry, loso files and the gate's verdict."""
    root = tmp_path_factory.mktemp("run")
    (root / ".git").mkdir()  # so registry paths are repository-relative, as in a checkout
    (root / "model" / "tiny").mkdir(parents=True)
    shutil.copy(
        ROOT / "model" / "tiny" / "registry.json", root / "model" / "tiny" / "registry.json"
    )
    corpus = root / "corpus.jsonl"
    rows = write_corpus(corpus)
    loso = root / "loso"
    loso.mkdir()
    for seed in SEEDS:
        write_loso(loso, corpus, rows, seed)
    assert gate_main([str(loso), "--seeds", ",".join(map(str, SEEDS))]) == 0  # PROMOTE
    return root


def copy_run(run: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "run"
    shutil.copytree(run, dest)
    return dest


def export(root: Path, out: Path, *extra: str) -> int:
    threads = torch.get_num_threads()  # --threads sets torch's global; restore it for other tests
    try:
        return trainer_main(
            [
                "export",
                "--corpus", str(root / "corpus.jsonl"),
                "--verdict-dir", str(root / "loso"),
                "--registry", str(root / "model" / "tiny" / "registry.json"),
                "--out-dir", str(out),
                "--device", "cpu",
                "--threads", "1",
                *extra,
            ]
        )  # fmt: skip
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def exported(run: Path) -> Path:
    out = run / "export"
    assert export(run, out) == 0
    return out


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` -> sha256 (to prove nothing changed)."""
    return {
        str(p.relative_to(folder)): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()
    }


def onnx_as_torch(path: Path) -> FrRegressor:
    """A torch module rebuilt from the ONNX file's own initializers."""
    weights = {
        t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
        for t in onnx.load(path).graph.initializer
    }
    model = FrRegressor()
    model.load_state_dict(weights)
    return model.eval()


# --- the happy path -------------------------------------------------------


def test_export_writes_one_onnx_and_sidecar_per_seed_and_a_plan(exported: Path) -> None:
    names = sorted(p.name for p in exported.iterdir())
    stems = [f"{ENSEMBLE}_seed{s}" for s in SEEDS]
    assert names == sorted(
        [
            *(f"{s}.onnx" for s in stems),
            *(f"{s}.json" for s in stems),
            "flip_plan.json",
            "drift.json",
        ]
    )
    assert not [p for p in exported.parent.iterdir() if p.name.startswith(".export.")]


def test_onnx_runs_in_onnxruntime_and_matches_torch_on_corpus_rows(
    run: Path, exported: Path
) -> None:
    rows = [json.loads(line) for line in (run / "corpus.jsonl").read_text().splitlines()]
    raw = np.array([[r[k] for k in FEATURE_ORDER] for r in rows])
    for seed in SEEDS:
        path = exported / f"{ENSEMBLE}_seed{seed}.onnx"
        sidecar = json.loads(path.with_suffix(".json").read_text())
        feats = ((raw - sidecar["feature_mean"]) / np.array(sidecar["feature_std"])).astype(
            np.float32
        )
        codec = np.zeros((len(rows), 14), np.float32)
        for i, r in enumerate(rows):
            slot = (
                ("libx264", "libx265").index(r["encoder"]) if r["encoder"] != "libaom-av1" else 11
            )
            codec[i, slot] = 1.0
            codec[i, 12] = 0.5
            codec[i, 13] = (r["cq"] - 19) / (43 - 19)
        session = ort.InferenceSession(path.read_bytes(), providers=["CPUExecutionProvider"])
        (got,) = session.run(["score"], {"features": feats, "codec_onehot": codec})
        with torch.no_grad():
            want = onnx_as_torch(path)(torch.from_numpy(feats), torch.from_numpy(codec)).numpy()
        assert got.shape == (len(rows),) and got.dtype == np.float32
        assert float(np.max(np.abs(got - want))) <= 1e-4
        assert float(np.std(got)) > 0  # a real model, not a constant
        checks = sidecar["export_checks"]
        assert checks["parity_max_abs_diff"] <= 1e-4
        assert 0 <= checks["parity_vs_float64_max_abs_diff"] <= 1e-4
        assert checks["parity_rows"] == len(rows)


def test_onnx_interface_opset_and_no_external_data(exported: Path) -> None:
    for seed in SEEDS:
        path = exported / f"{ENSEMBLE}_seed{seed}.onnx"
        model = onnx.load(path, load_external_data=False)
        onnx.checker.check_model(model, full_check=True)
        assert model.opset_import[0].version == 17
        assert [i.name for i in model.graph.input] == ["features", "codec_onehot"]
        assert [o.name for o in model.graph.output] == ["score"]
        assert all(not t.external_data for t in model.graph.initializer)
        assert path.stat().st_size < 50 * 1024 * 1024
    assert not list(exported.glob("*.data"))


def test_sidecar_holds_real_values(run: Path, exported: Path) -> None:
    rows = [json.loads(line) for line in (run / "corpus.jsonl").read_text().splitlines()]
    raw = np.array([[r[k] for k in FEATURE_ORDER] for r in rows])
    verdict = Verdict.read(run / "loso" / "PROMOTE.json")
    for seed in SEEDS:
        onnx_path = exported / f"{ENSEMBLE}_seed{seed}.onnx"
        side = json.loads(onnx_path.with_suffix(".json").read_text())
        assert (side["id"], side["seed"], side["ensemble_id"], side["kind"]) == (
            f"{ENSEMBLE}_seed{seed}",
            seed,
            ENSEMBLE,
            "fr",
        )
        assert side["sha256"] == sha256_file(onnx_path)
        assert side["opset"] == 17 and side["encoder_vocab_version"] == 2
        assert side["encoder_vocab"][0] == "libx264" and side["encoder_vocab"][-1] == "unknown"
        assert side["codec_block_layout"][-2:] == ["preset_norm", "crf_norm"]
        assert side["feature_order"] == list(FEATURE_ORDER)
        np.testing.assert_allclose(side["feature_mean"], raw.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(side["feature_std"], raw.std(axis=0), rtol=1e-12)
        assert side["input_names"] == ["features", "codec_onehot"]
        assert side["output_names"] == ["score"]
        assert side["io_shapes"] == {
            "features": {"dtype": "float32", "shape": ["batch", 6]},
            "codec_onehot": {"dtype": "float32", "shape": ["batch", 14]},
            "score": {"dtype": "float32", "shape": ["batch"]},
        }
        assert side["corpus"] == {
            "path": "corpus.jsonl",  # relative to the checkout (the folder with .git)
            "sha256": sha256_file(run / "corpus.jsonl"),
            "n_rows": len(rows),
            "cq_min": 19.0,
            "cq_max": 43.0,
        }
        assert side["codec_aware"] is True
        assert side["codec_block_layout"][0] == "encoder_onehot[libx264]"
        assert side["training_recipe"] == {
            "batch_size": 32,
            "depth": 2,
            "dropout": 0.1,
            "epochs": EPOCHS,
            "fit_set": "full_corpus",
            "hidden": 64,
            "in_features": 6,
            "loss": "MSE",
            "lr": verdict.recipe["lr"],  # this fixture's verdict judged a faster recipe
            "num_codecs": 14,
            "optimizer": "Adam",
            "scaler": "fit_on_full_corpus",
            "weight_decay": 1e-5,
        }
        assert side["training"]["recipe"]["epochs"] == EPOCHS
        assert side["training"]["epochs_from"] == "verdict"
        assert (side["training"]["device"], side["training"]["cpu_threads"]) == ("cpu", 1)
        assert side["training"]["cpu_kernels"] == cpu_kernels.status()  # which kernels fitted it
        loso = LosoArtefact.read(run / "loso" / f"loso_seed{seed}.json")
        rules = {r.name: r for r in verdict.rules}
        assert side["gate"] == {
            "mean_plcc": rules["mean_plcc"].value,
            "mean_plcc_threshold": 0.95,
            "passed": True,
            "per_seed_min_threshold": 0.95,
            "plcc_spread": rules["plcc_spread"].value,
            "plcc_spread_max": 0.005,
            "this_seed_loso_plcc": pytest.approx(loso.mean_plcc, abs=1e-12),
            "verdict": "PROMOTE",
        }
        assert side["loso_mean_plcc"] == rules["mean_plcc"].value
        assert side["parent_adrs"] == ["ADR-0303"]
        assert f"seed={seed}" in side["notes"] and f"{len(rows)} rows" in side["notes"]
        evidence = side["gate_evidence"]
        assert evidence["seed_loso_plcc"] == pytest.approx(loso.mean_plcc, abs=1e-12)
        assert evidence["decision"] == "PROMOTE"
        assert evidence["verdict_sha256"] == sha256_file(run / "loso" / "PROMOTE.json")
        assert sorted(evidence["rules"]) == sorted(r.name for r in verdict.rules)
        versions = side["provenance"]["versions"]
        assert versions["torch"] == torch.__version__ and versions["onnx"] == onnx.__version__
        assert set(versions) == {"flipbot", "torch", "onnx", "onnxruntime", "python"}
        calibration = json.loads((run / "loso" / "calibration.json").read_text())
        assert side["calibration"]["sha256"] == sha256_file(run / "loso" / "calibration.json")
        constants = side["calibration"]["constants"]
        assert constants["interval"] == calibration["interval"]
        assert constants["levels"] == calibration["levels"]
        assert "sources" not in constants  # per-source detail stays in the gate's file
        assert "kind" not in constants and side["calibration"]["document"] == "flipbot.calibration"


def test_plan_rows_and_files_carry_the_files_real_sha256(run: Path, exported: Path) -> None:
    plan = FlipPlan.read(exported / "flip_plan.json")
    verdict_path = run / "loso" / "PROMOTE.json"
    assert plan.registry == "model/tiny/registry.json"
    assert plan.ensemble_id == ENSEMBLE
    assert (plan.verdict_file, plan.verdict_sha256) == ("PROMOTE.json", sha256_file(verdict_path))
    assert plan.pins == dataclasses.asdict(Verdict.read(verdict_path).pins)
    assert [(r.id, r.seed, r.smoke) for r in plan.rows] == [
        (f"{ENSEMBLE}_seed{s}", s, False) for s in SEEDS
    ]
    for row in plan.rows:
        assert row.sha256 == sha256_file(exported / f"{row.id}.onnx")
    assert len(plan.files) == 2 * len(SEEDS)
    for f in plan.files:
        assert f.sha256 == sha256_file(exported / f.artifact)
        assert f.path == f"model/tiny/{f.artifact}"
    # no ensemble-level row in the registry: no manifest, no plan row for it
    assert all(r.seed is not None for r in plan.rows)


def test_export_is_deterministic_bit_for_bit(run: Path, exported: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert export(run, again) == 0
    for seed in SEEDS:
        name = f"{ENSEMBLE}_seed{seed}.onnx"
        assert hashlib.sha256((again / name).read_bytes()).hexdigest() == sha256_file(
            exported / name
        )
    first, second = (
        FlipPlan.read(exported / "flip_plan.json"),
        FlipPlan.read(again / "flip_plan.json"),
    )
    assert first.rows == second.rows


def test_rerun_replaces_a_previous_export_whole(run: Path, tmp_path: Path) -> None:
    root = copy_run(run, tmp_path)
    out = root / "export"
    assert export(root, out, "--epochs", "1") == 0
    first = tree(out)
    assert export(root, out) == 0
    second = tree(out)
    assert sorted(first) == sorted(second)
    assert first[f"{ENSEMBLE}_seed0.onnx"] != second[f"{ENSEMBLE}_seed0.onnx"]  # 1 vs 3 epochs
    side = json.loads((out / f"{ENSEMBLE}_seed0.json").read_text())
    assert side["training"]["epochs_from"] == "verdict"


def test_epochs_override_is_recorded_in_the_sidecar(run: Path, tmp_path: Path) -> None:
    root = copy_run(run, tmp_path)
    assert export(root, root / "out", "--epochs", "1") == 0
    side = json.loads((root / "out" / f"{ENSEMBLE}_seed1.json").read_text())
    assert side["training"]["recipe"]["epochs"] == 1
    assert side["training"]["epochs_from"] == "--epochs"


def test_without_calibration_json_the_sidecar_has_no_calibration(run: Path, tmp_path: Path) -> None:
    root = copy_run(run, tmp_path)
    (root / "loso" / "calibration.json").unlink()
    assert export(root, root / "out", "--epochs", "1") == 0
    for seed in SEEDS:
        side = json.loads((root / "out" / f"{ENSEMBLE}_seed{seed}.json").read_text())
        assert "calibration" not in side


def test_calibration_from_another_run_is_refused(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_run(run, tmp_path)
    path = root / "loso" / "calibration.json"
    doc = json.loads(path.read_text())
    doc["corpus_sha256"] = "f" * 64
    path.write_text(json.dumps(doc))
    assert_refused(root, root / "out", 2, capsys, "calibration.json", "another run")


def add_ensemble_row(root: Path, keep_members: tuple[int, ...]) -> None:
    reg_path = root / "model" / "tiny" / "registry.json"
    registry = json.loads(reg_path.read_text())
    members = {f"{ENSEMBLE}_seed{s}" for s in keep_members}
    registry["models"] = [
        r
        for r in registry["models"]
        if not r["id"].startswith(f"{ENSEMBLE}_seed") or r["id"] in members
    ]
    registry["models"].append(
        {"id": ENSEMBLE, "kind": "fr_ensemble", "onnx": f"{ENSEMBLE}.onnx", "opset": 17,
         "sha256": "0" * 64, "smoke": True, "license": "BSD-3-Clause-Plus-Patent"}
    )  # fmt: skip
    reg_path.write_text(json.dumps(registry, indent=2, sort_keys=True) + "\n")


def test_ensemble_row_stays_when_the_verdict_judged_only_some_members(
    run: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = copy_run(run, tmp_path)
    add_ensemble_row(root, keep_members=(0, 1, 2, 3, 4))  # five members, three judged
    assert Verdict.read(root / "loso" / "PROMOTE.json").ensemble_flip
    out = root / "out"
    with caplog.at_level("INFO"):
        assert export(root, out) == 0
    plan = FlipPlan.read(out / "flip_plan.json")
    assert [r.seed for r in plan.rows] == list(SEEDS)
    assert not (out / f"{ENSEMBLE}.json").exists()
    assert "registry lists members [0, 1, 2, 3, 4]" in caplog.text


def test_ensemble_row_gets_a_manifest_when_the_verdict_lets_it_flip(
    run: Path, tmp_path: Path
) -> None:
    root = copy_run(run, tmp_path)
    # The ensemble's members are exactly the judged seeds: drop the registry's seed 3 and 4 rows.
    add_ensemble_row(root, keep_members=SEEDS)
    assert Verdict.read(root / "loso" / "PROMOTE.json").ensemble_flip
    out = root / "out"
    assert export(root, out) == 0
    plan = FlipPlan.read(out / "flip_plan.json")
    ensemble_rows = [r for r in plan.rows if r.seed is None]
    assert [r.id for r in ensemble_rows] == [ENSEMBLE]
    manifest_path = out / f"{ENSEMBLE}.json"
    assert ensemble_rows[0].sha256 == sha256_file(manifest_path)
    manifest = json.loads(manifest_path.read_text())
    assert manifest["aggregation"] == "mean"
    # What the repository's ensemble loader reads (SPEC §14): one-hot width == codec input.
    assert len(manifest["codec_vocab"]) == 14 and manifest["codec_vocab"][-1] == "crf_norm"
    side = json.loads((out / f"{ENSEMBLE}_seed0.json").read_text())
    assert manifest["feature_mean"] == side["feature_mean"]
    assert manifest["confidence"]["conformal_q_residual"] > 0
    assert manifest["confidence"]["nominal_coverage"] == 0.95
    assert manifest["eval"]["loso_seeds"] == list(SEEDS)
    assert [(m["seed"], m["sha256"]) for m in manifest["members"]] == [
        (s, sha256_file(out / f"{ENSEMBLE}_seed{s}.onnx")) for s in SEEDS
    ]
    assert {f.artifact: f.path for f in plan.files}[
        manifest_path.name
    ] == f"model/tiny/{ENSEMBLE}.json"


def rejudge_with(root: Path, *flags: str) -> Verdict:
    """Run the real gate again on the copied loso files, with tightened thresholds."""
    gate_main([str(root / "loso"), "--seeds", ",".join(map(str, SEEDS)), *flags])
    found = [root / "loso" / n for n in ("PROMOTE.json", "HOLD.json")]
    return Verdict.read(next(p for p in found if p.exists()))


def test_hold_with_a_partial_flip_set_exports_only_those_seeds(run: Path, tmp_path: Path) -> None:
    root = copy_run(run, tmp_path)
    plcc = sorted(o.plcc for o in Verdict.read(root / "loso" / "PROMOTE.json").seeds)
    # A per-seed minimum between the weakest seed and the others: a genuine partial HOLD.
    hold = rejudge_with(root, "--per-seed-min", repr((plcc[0] + plcc[1]) / 2))
    assert hold.decision == "HOLD" and len(hold.flip) == len(SEEDS) - 1
    out = root / "out"
    assert export(root, out, "--epochs", str(OVERRIDE_EPOCHS)) == 0
    plan = FlipPlan.read(out / "flip_plan.json")
    assert [r.seed for r in plan.rows] == sorted(hold.flip)
    assert plan.verdict_file == "HOLD.json"
    assert sorted(p.name for p in out.glob("*.onnx")) == [
        f"{ENSEMBLE}_seed{s}.onnx" for s in sorted(hold.flip)
    ]
    # Fitted with --epochs 150 on a verdict judged at 200: the bot ships it only when told to.
    from bot.trust.base_view import worktree_base
    from bot.trust.verify import TrustOptions, verify
    from flipbot.errors import InputError

    base = worktree_base(root / "model" / "tiny" / "registry.json")
    with pytest.raises(InputError, match="recipe the verdict judged .epochs 150 .judged: 200"):
        verify(root / "loso", out, base)
    flip = verify(root / "loso", out, base, TrustOptions(allow_recipe_override=True))
    assert flip.recipe_override == ("epochs 150 (judged: 200)",)


@pytest.mark.parametrize(
    ("edit", "field", "why"),
    [
        # re-judged by the gate: it gives PROMOTE on these loso files
        (
            {"decision": "HOLD", "flip": (2, 0), "ensemble_flip": False},
            "decision",
            "the gate gives",
        ),
        # refused by the verdict reader already: the flip list must be judged seeds
        ({"flip": (0, 1, 4)}, "flip", "names seed 4, which the verdict never judged"),
    ],
    ids=["PROMOTE edited to a partial HOLD", "flip names a seed never judged"],
)
def test_an_edited_verdict_is_refused_before_anything_is_fitted(
    run: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edit: dict,
    field: str,
    why: str,
) -> None:
    root = copy_run(run, tmp_path)
    promote = root / "loso" / "PROMOTE.json"
    edited = dataclasses.replace(Verdict.read(promote), **edit)
    promote.unlink()
    edited.write(root / "loso")
    assert_refused(root, root / "out", 2, capsys, f"field '{field}'", why)
    assert not (root / "out").exists()


def test_the_bot_accepts_the_exported_plan(run: Path, exported: Path) -> None:
    from bot.trust.base_view import worktree_base
    from bot.trust.verify import verify

    flip = verify(run / "loso", exported, worktree_base(run / "model" / "tiny" / "registry.json"))
    assert not flip.recipe_override
    assert flip.flipped_ids == tuple(f"{ENSEMBLE}_seed{s}" for s in SEEDS)
    assert {f.path for f in flip.files} == {
        f"model/tiny/{ENSEMBLE}_seed{s}.{x}" for s in SEEDS for x in ("onnx", "json")
    }


def test_export_accepts_a_yaml_registry_as_the_bot_does(run: Path, tmp_path: Path) -> None:
    """The same rows as YAML (CRLF line ends, a comment): export targets them, the bot flips them."""
    from ruamel.yaml import YAML

    from bot.registry.flip import flip_registry
    from bot.trust.base_view import worktree_base
    from flipbot.registry_text import read_registry

    root = copy_run(run, tmp_path)
    json_registry = root / "model" / "tiny" / "registry.json"
    rows = json.loads(json_registry.read_text())["models"]
    json_registry.unlink()
    registry = root / "model" / "tiny" / "registry.yaml"
    with registry.open("w", encoding="utf-8", newline="\r\n") as fh:
        fh.write("# the tiny model's registry, as YAML\n")
        yaml = YAML(typ="safe", pure=True)
        yaml.default_flow_style = False  # one `key: value` line per field, as people write it
        yaml.dump({"schema_version": 1, "models": rows}, fh)
    out = root / "out"
    threads = torch.get_num_threads()
    try:
        code = trainer_main(
            [
                "export",
                "--corpus", str(root / "corpus.jsonl"),
                "--verdict-dir", str(root / "loso"),
                "--registry", str(registry),
                "--out-dir", str(out),
                "--device", "cpu",
                "--threads", "1",
            ]
        )  # fmt: skip
    finally:
        torch.set_num_threads(threads)
    assert code == 0
    plan = FlipPlan.read(out / "flip_plan.json")
    assert plan.registry == "model/tiny/registry.yaml"
    assert [r.seed for r in plan.rows] == list(SEEDS)
    from bot.trust.verify import verify

    flip = verify(root / "loso", out, worktree_base(registry))
    raw = read_registry(registry)
    edit = flip_registry(raw.text, flip.changes, plan.registry, bom=raw.bom)
    assert edit.changed == tuple(f"{ENSEMBLE}_seed{s}" for s in SEEDS)
    before, after = registry.read_bytes().split(b"\r\n"), edit.after_bytes().split(b"\r\n")
    changed = [b for a, b in zip(before, after, strict=True) if a != b]
    assert sorted(changed) == sorted(
        [f"  sha256: {r.sha256}".encode() for r in plan.rows] + [b"  smoke: false"] * len(SEEDS)
    )


# --- refusals: nothing written ----------------------------------------------


def assert_refused(
    root: Path, out: Path, code: int, capsys: pytest.CaptureFixture[str], *needles: str
) -> None:
    before = tree(root)
    assert export(root, out) == code
    err = capsys.readouterr().err
    for needle in needles:
        assert needle in err
    assert tree(root) == before  # registry, loso folder, corpus and out-dir untouched
    assert not [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]


def test_tampered_corpus_is_refused_with_exit_2(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_run(run, tmp_path)
    with (root / "corpus.jsonl").open("a") as fh:
        fh.write("\n")
    assert_refused(root, root / "out", 2, capsys, "corpus.jsonl", "pinned by")
    assert not (root / "out").exists()


def test_tampered_loso_file_is_refused_naming_it(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_run(run, tmp_path)
    loso = root / "loso" / "loso_seed1.json"
    loso.write_text(loso.read_text().replace('"device": "cpu"', '"device": "cuda"'))
    assert_refused(root, root / "out", 2, capsys, "loso_seed1.json", "differs")


def test_missing_loso_file_is_refused_naming_it(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_run(run, tmp_path)
    (root / "loso" / "loso_seed2.json").unlink()
    assert_refused(root, root / "out", 2, capsys, "loso_seed2.json", "missing")


def test_registry_without_a_seed_row_is_refused(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_run(run, tmp_path)
    reg = root / "model" / "tiny" / "registry.json"
    doc = json.loads(reg.read_text())
    doc["models"] = [m for m in doc["models"] if m["id"] != f"{ENSEMBLE}_seed2"]
    reg.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    assert_refused(root, root / "out", 2, capsys, f"no row with id '{ENSEMBLE}_seed2'")


def test_wrong_ensemble_id_is_refused(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_run(run, tmp_path)
    before = tree(root)
    assert export(root, root / "out", "--ensemble-id", "fr_regressor_v3") == 2
    assert "no row with id 'fr_regressor_v3_seed0'" in capsys.readouterr().err
    assert tree(root) == before


@pytest.mark.parametrize("refused", [True, False])
def test_refused_verdict_or_empty_flip_set_exits_1(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], refused: bool
) -> None:
    root = copy_run(run, tmp_path)
    # Tightened thresholds (allowed without an override): no spread at all, or no seed clears.
    flags = ("--plcc-spread-max", "0") if refused else ("--per-seed-min", "1.0")
    hold = rejudge_with(root, *flags)
    assert (hold.refused, hold.flip) == (refused, ())
    assert not (root / "loso" / "PROMOTE.json").exists()
    assert_refused(
        root,
        root / "out",
        1,
        capsys,
        "nothing to export",
        "refused" if refused else "empty flip set",
    )


def test_out_dir_with_foreign_files_is_refused(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_run(run, tmp_path)
    (root / "out").mkdir()
    (root / "out" / "notes.txt").write_text("mine\n")
    assert_refused(root, root / "out", 2, capsys, "notes.txt", "not a previous export")


def test_failed_check_after_training_leaves_the_previous_export_untouched(
    run: Path,
    exported: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_run(run, tmp_path)
    out = root / exported.name  # the previous export, copied with the run
    assert (out / "flip_plan.json").is_file()
    import trainer.export as export_module

    monkeypatch.setattr(export_module, "measure_parity", lambda *a: Parity(0.5, 0.25))
    assert_refused(root, out, 3, capsys, "0.5 VMAF points", "please report")
