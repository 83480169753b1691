"""LOSO folds, the loso_seed{N}.json artefact and the `trainer loso` command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from flipbot.corpus import load_corpus
from flipbot.features import Scaler
from flipbot.loso_file import LosoArtefact
from trainer.__main__ import main
from trainer.loso import make_folds, run_loso
from trainer.recipe import Recipe

UPSTREAM_KEYS = {
    "seed", "corpus", "n_folds", "folds", "mean_plcc", "std_plcc", "min_plcc", "max_plcc",
    "mean_srocc", "mean_rmse", "epochs", "batch_size", "lr", "weight_decay", "num_codecs",
    "encoder_vocab_version", "wall_time_s",
}  # fmt: skip
UPSTREAM_FOLD_KEYS = {"held_out", "n_train", "n_val", "plcc", "srocc", "rmse"}


def _strict(text: str) -> dict:
    def reject(token: str) -> float:
        raise AssertionError(f"non-strict JSON token {token}")

    return json.loads(text, parse_constant=reject)


def test_fold_scaler_is_fit_on_training_rows_only(small_corpus: Path) -> None:
    corpus = load_corpus(small_corpus)
    folds = make_folds(corpus)
    assert [f.held_out for f in folds] == list(corpus.sources)
    for fold in folds:
        assert set(corpus.src[fold.train_rows]) == set(corpus.sources) - {fold.held_out}
        assert fold.scaler == Scaler.fit(corpus.features[fold.train_rows])


def test_held_out_rows_do_not_change_their_folds_scaler_or_training_block(
    small_corpus: Path,
) -> None:
    corpus = load_corpus(small_corpus)
    held = corpus.sources[0]
    shifted = corpus.features.copy()
    shifted[corpus.src == held] *= 100.0
    changed = type(corpus)(**{**corpus.__dict__, "features": shifted})
    before, after = make_folds(corpus)[0], make_folds(changed)[0]
    assert before.held_out == after.held_out == held
    assert before.scaler == after.scaler
    np.testing.assert_array_equal(before.x_train, after.x_train)
    assert not np.allclose(before.x_val, after.x_val)
    # ...while the other folds, which train on those rows, do see the change.
    assert make_folds(corpus)[1].scaler != make_folds(changed)[1].scaler


def test_single_seed_run_writes_only_its_file_with_upstream_keys_in_strict_json(
    small_corpus: Path, tmp_path: Path
) -> None:
    out = tmp_path / "loso"
    code = main(
        [
            "loso",
            "--corpus",
            str(small_corpus),
            "--seeds",
            "3",
            "--out-dir",
            str(out),
            "--epochs",
            "2",
            "--device",
            "cpu",
        ]
    )
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["loso_seed3.json"]
    text = (out / "loso_seed3.json").read_text()
    assert text.endswith("}\n") and text.startswith('{\n  "')
    doc = _strict(text)
    assert doc.keys() >= UPSTREAM_KEYS
    assert {"schema_version", "corpus_sha256", "device", "versions"} <= doc.keys()
    assert doc["seed"] == 3 and doc["n_folds"] == 3 and doc["epochs"] == 2 and doc["note"] is None
    assert doc["encoder_vocab_version"] == 2 and doc["num_codecs"] == 14
    for fold in doc["folds"]:
        assert fold.keys() >= UPSTREAM_FOLD_KEYS
        assert len(fold["y_true"]) == len(fold["y_pred"]) == fold["n_val"]
        assert all(round(v, 6) == v for v in fold["y_pred"])
    assert doc["mean_plcc"] == pytest.approx(np.mean([f["plcc"] for f in doc["folds"]]))
    assert LosoArtefact.read(out / "loso_seed3.json").seed == 3
    assert sum(f["n_val"] for f in doc["folds"]) == doc["corpus_rows"] == 270


def test_a_seed_trains_the_same_alone_as_with_other_seeds(small_corpus: Path) -> None:
    corpus = load_corpus(small_corpus)
    recipe = Recipe(epochs=2)
    alone = run_loso(corpus, [3], recipe, torch.device("cpu"))[0]
    together = run_loso(corpus, [0, 3], recipe, torch.device("cpu"))[1]
    assert together.seed == 3
    for a, b in zip(alone.folds, together.folds, strict=True):
        # equal up to float rounding: kernels may round differently for another stack size
        np.testing.assert_allclose(a.y_pred, b.y_pred, rtol=0, atol=1e-3)
        assert a.plcc == pytest.approx(b.plcc, abs=1e-6)


def test_dry_run_trains_one_epoch_and_marks_the_file(
    small_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "loso"
    assert (
        main(
            [
                "loso",
                "--corpus",
                str(small_corpus),
                "--seeds",
                "0,1",
                "--out-dir",
                str(out),
                "--dry-run",
                "--json",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["note"] == "dry-run" and set(summary["seeds"]) == {"0", "1"}
    for seed in (0, 1):
        doc = _strict((out / f"loso_seed{seed}.json").read_text())
        assert doc["note"] == "dry-run" and doc["epochs"] == 1


def test_undefined_plcc_is_null_with_a_reason(small_corpus: Path, tmp_path: Path) -> None:
    corpus = load_corpus(small_corpus)
    flat = corpus.vmaf.copy()
    flat[corpus.src == corpus.sources[1]] = 100.0  # every frame of one source hits libvmaf's cap
    capped = type(corpus)(**{**corpus.__dict__, "vmaf": flat})
    art = run_loso(capped, [0], Recipe(epochs=1), torch.device("cpu"))[0]
    doc = _strict(json.dumps(art.to_json(), allow_nan=False))
    fold = doc["folds"][1]
    assert fold["plcc"] is None and fold["srocc"] is None
    assert "constant targets" in fold["undefined_reason"]
    assert doc["mean_plcc"] is None
    assert doc["folds"][0]["plcc"] is not None and doc["folds"][0]["undefined_reason"] is None


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--seeds", "0,,1"], "--seeds"),
        (["--seeds", "a"], "--seeds"),
        (["--seeds", "1,1"], "repeats"),
        (["--seeds", "0", "--epochs", "0"], "--epochs"),
        (["--seeds", "0", "--batch-size", "0"], "--batch-size"),
        (["--seeds", "0", "--threads", "0"], "--threads"),
    ],
)
def test_bad_arguments_exit_2_and_write_nothing(
    small_corpus: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    words: str,
) -> None:
    out = tmp_path / "loso"
    assert main(["loso", "--corpus", str(small_corpus), "--out-dir", str(out), *flags]) == 2
    assert words in capsys.readouterr().err
    assert not out.exists()


def test_out_dir_that_is_a_file_exits_2(
    small_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    assert (
        main(["loso", "--corpus", str(small_corpus), "--seeds", "0", "--out-dir", str(blocker)])
        == 2
    )
    assert "not a folder" in capsys.readouterr().err
    assert blocker.read_text() == "x"


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_device_cuda_without_cuda_exits_2(
    small_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "loso"
    assert (
        main(
            [
                "loso",
                "--corpus",
                str(small_corpus),
                "--seeds",
                "0",
                "--out-dir",
                str(out),
                "--device",
                "cuda",
            ]
        )
        == 2
    )
    assert "--device cuda" in capsys.readouterr().err
    assert not out.exists()


def test_help_lists_both_commands_and_missing_flags_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "loso" in text and "export" in text
    assert main(["loso", "--seeds", "0"]) == 2
    assert "--corpus" in capsys.readouterr().err
