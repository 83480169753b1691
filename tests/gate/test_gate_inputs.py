"""Every input check: exit 2, the message names the offending file, no verdict is written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from loso_writer import edit_file, make_artefact, write_run

from gate.__main__ import main

GOOD = {0: 0.99, 1: 0.991, 2: 0.992}


def run_gate(folder: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main([str(folder), "--seeds", "0,1,2", *extra])
    return code, capsys.readouterr().err


def assert_refused(folder: Path, capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    code, err = run_gate(folder, capsys)
    assert code == 2, err
    for needle in needles:
        assert needle in err
    assert not (folder / "PROMOTE.json").exists()
    assert not (folder / "HOLD.json").exists()
    return err


def test_the_good_run_passes_so_each_failure_below_is_the_edit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_gate(write_run(tmp_path, GOOD), capsys)[0] == 0


def test_missing_seed_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_run(tmp_path, {0: 0.99, 2: 0.99})
    err = assert_refused(tmp_path, capsys, "loso_seed1.json", "missing")
    assert "--seeds" in err


def test_extra_seed_file_not_asked_for_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, {**GOOD, 7: 0.99})
    assert_refused(tmp_path, capsys, "loso_seed7.json", "not in --seeds 0,1,2")


def test_zero_padded_loso_file_name_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, GOOD)
    (tmp_path / "loso_seed01.json").write_text((tmp_path / "loso_seed1.json").read_text())
    assert_refused(tmp_path, capsys, "loso_seed01.json", "expected loso_seed1.json")


def test_seed_field_that_disagrees_with_the_file_name_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, GOOD)
    edit_file(tmp_path, 1, lambda d: d.update(seed=4))
    assert_refused(tmp_path, capsys, "loso_seed1.json", "'seed' is 4")


def test_different_corpus_sha256_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, GOOD)
    edit_file(tmp_path, 2, lambda d: d.update(corpus_sha256="cd" * 32))
    assert_refused(tmp_path, capsys, "loso_seed2.json", "corpus_sha256")


def test_different_sources_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_run(tmp_path, {0: 0.99, 1: 0.99})
    make_artefact(2, 0.99, sources=("BigBuckBunny_25fps", "CrowdRun_25fps")).write(tmp_path)
    assert_refused(tmp_path, capsys, "loso_seed2.json", "sources")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("epochs", 100),
        ("batch_size", 64),
        ("lr", 1e-3),
        ("weight_decay", 0.0),
        ("recipe", {"dropout": 0.2, "hidden": 64, "dtype": "float32"}),
        ("encoder_vocab_version", 1),
        ("num_codecs", 13),
    ],
)
def test_different_recipe_field_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, value: Any
) -> None:
    write_run(tmp_path, GOOD)
    edit_file(tmp_path, 1, lambda d: d.update({field: value}))
    assert_refused(tmp_path, capsys, "loso_seed1.json", f"'{field}'")


def test_dry_run_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_run(tmp_path, GOOD)
    make_artefact(1, 0.99, note="dry-run", epochs=1).write(tmp_path)
    assert_refused(tmp_path, capsys, "loso_seed1.json", "dry run")


def _null_plcc(doc: dict[str, Any]) -> None:
    doc["folds"][1].update(plcc=None, srocc=None, undefined_reason="constant predictions")


def test_null_plcc_names_the_source_and_its_recorded_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, GOOD)
    edit_file(tmp_path, 0, _null_plcc)
    assert_refused(
        tmp_path,
        capsys,
        "loso_seed0.json",
        "CrowdRun_25fps",
        "PLCC is null",
        "constant predictions",
    )


@pytest.mark.parametrize("token", ["NaN", "Infinity", "1e999"])
def test_non_finite_plcc_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], token: str
) -> None:
    write_run(tmp_path, GOOD)
    path = tmp_path / "loso_seed2.json"
    text = path.read_text()
    assert '"plcc": 0.992' in text
    path.write_text(text.replace('"plcc": 0.992', f'"plcc": {token}', 1))
    assert_refused(tmp_path, capsys, "loso_seed2.json")


def test_folds_that_do_not_cover_the_sources_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, GOOD)
    edit_file(tmp_path, 1, lambda d: d["folds"][2].update(held_out="BigBuckBunny_25fps"))
    assert_refused(tmp_path, capsys, "loso_seed1.json", "held_out")


def test_different_targets_for_a_source_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, GOOD)

    def shift(doc: dict[str, Any]) -> None:
        doc["folds"][0]["y_true"][3] += 0.5

    edit_file(tmp_path, 2, shift)
    assert_refused(tmp_path, capsys, "loso_seed2.json", "y_true differs", "BigBuckBunny_25fps")


def test_prediction_count_that_disagrees_with_n_val_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, GOOD)
    edit_file(tmp_path, 1, lambda d: d["folds"][0]["y_pred"].pop())
    assert_refused(tmp_path, capsys, "loso_seed1.json", "n_val")


def test_unknown_schema_version_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, GOOD)
    edit_file(tmp_path, 0, lambda d: d.update(schema_version=99))
    assert_refused(tmp_path, capsys, "loso_seed0.json", "schema_version 99")


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["folds"][0]["y_true"].__setitem__(0, "x"),
        lambda d: d.pop("folds"),
        lambda d: d.update(sources=[1, 2, 3]),
    ],
)
def test_malformed_file_is_an_input_error_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Callable[[dict[str, Any]], None]
) -> None:
    write_run(tmp_path, GOOD)
    edit_file(tmp_path, 1, edit)
    assert_refused(tmp_path, capsys, "loso_seed1.json")


def test_file_that_is_not_json_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_run(tmp_path, GOOD)
    (tmp_path / "loso_seed1.json").write_text("{not json")
    assert_refused(tmp_path, capsys, "loso_seed1.json", "not valid strict JSON")


@pytest.mark.parametrize("seeds", ["", "0,,1", "0,1,a", "-1,0", "0,1,1"])
def test_bad_seed_list_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seeds: str
) -> None:
    write_run(tmp_path, GOOD)
    assert main([str(tmp_path), "--seeds", seeds]) == 2
    assert "--seeds" in capsys.readouterr().err


def test_missing_folder_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_gate(tmp_path / "nope", capsys)
    assert code == 2 and "nope: not a folder" in err


def test_input_error_leaves_an_older_verdict_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, GOOD)
    assert run_gate(tmp_path, capsys)[0] == 0
    before = (tmp_path / "PROMOTE.json").read_bytes()
    edit_file(tmp_path, 1, lambda d: d.update(epochs=7))
    assert run_gate(tmp_path, capsys)[0] == 2
    assert (tmp_path / "PROMOTE.json").read_bytes() == before
    assert not (tmp_path / "HOLD.json").exists()
