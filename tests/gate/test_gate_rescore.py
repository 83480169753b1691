"""The gate re-derives every fold's numbers from y_true/y_pred and judges only those."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from loso_writer import SOURCES, edit_file, write_run

from flipbot.errors import InputError
from flipbot.metrics import score
from gate.__main__ import main
from gate.fold_scores import TOLERANCE
from gate.loso_set import load_loso_set
from gate.verdict import judge_run

# Each seed's held-out predictions really score 0.54-0.91 per source.
WEAK = {0: [0.54, 0.91, 0.80], 1: [0.55, 0.90, 0.80], 2: [0.56, 0.90, 0.81]}


def gate(folder: Path, capsys: pytest.CaptureFixture[str], seeds: str = "0,1,2") -> tuple[int, str]:
    code = main([str(folder), "--seeds", seeds])
    return code, capsys.readouterr().err


def hand_set(doc: dict[str, Any], field: str = "plcc", value: float = 0.999) -> None:
    for fold in doc["folds"]:
        fold[field] = value


def test_hand_set_plcc_of_0_999_is_refused_not_promoted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, WEAK)
    for seed in WEAK:
        edit_file(tmp_path, seed, hand_set)
    code, err = gate(tmp_path, capsys)
    assert code == 2
    assert "loso_seed0.json: fold 'BigBuckBunny_25fps': field 'plcc' is 0.999" in err
    assert "give 0.54" in err and "regenerate" in err
    assert not (tmp_path / "PROMOTE.json").exists() and not (tmp_path / "HOLD.json").exists()


def test_the_same_run_untouched_is_a_hold_on_its_real_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, WEAK)
    assert gate(tmp_path, capsys)[0] == 1


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [("srocc", 0.5, "field 'srocc' is 0.5"), ("rmse", 0.25, "field 'rmse' is 0.25")],
)
def test_a_stored_srocc_or_rmse_that_is_not_the_predictions_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, value: float, shown: str
) -> None:
    write_run(tmp_path, {0: 0.97, 1: 0.971, 2: 0.972})
    edit_file(tmp_path, 2, lambda d: d["folds"][1].update({field: value}))
    code, err = gate(tmp_path, capsys)
    assert code == 2 and "loso_seed2.json: fold 'CrowdRun_25fps'" in err and shown in err


def test_a_difference_within_the_tolerance_passes_and_the_recomputed_number_is_judged(
    tmp_path: Path,
) -> None:
    write_run(tmp_path, {0: 0.97, 1: 0.971})
    real = load_loso_set(tmp_path, (0, 1)).artefacts[0].folds[0].plcc
    assert real is not None
    edit_file(tmp_path, 0, lambda d: d["folds"][0].update(plcc=real + 0.9 * TOLERANCE))
    run = load_loso_set(tmp_path, (0, 1))
    assert run.artefacts[0].folds[0].plcc == real  # the stored value is replaced
    edit_file(tmp_path, 0, lambda d: d["folds"][0].update(plcc=real + 2 * TOLERANCE))
    with pytest.raises(
        InputError, match=r"loso_seed0\.json: fold 'BigBuckBunny_25fps': field 'plcc'"
    ):
        load_loso_set(tmp_path, (0, 1))


def test_the_verdict_holds_the_recomputed_numbers_not_the_stored_ones(tmp_path: Path) -> None:
    write_run(tmp_path, {0: 0.97, 1: 0.971})
    run = load_loso_set(tmp_path, (0, 1))
    verdict = judge_run(run)
    for art in run.artefacts:
        plccs = []
        for fold in art.folds:
            mine = score(np.asarray(fold.y_true), np.asarray(fold.y_pred))
            assert (fold.plcc, fold.srocc, fold.rmse) == (mine.plcc, mine.srocc, mine.rmse)
            plccs.append(mine.plcc)
        seed = next(s for s in verdict.seeds if s.seed == art.seed)
        assert seed.plcc == pytest.approx(sum(plccs) / len(plccs), abs=1e-15)


def test_a_seed_file_copied_under_another_seed_number_is_refused_naming_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, {0: 0.97, 1: 0.971, 2: 0.972})
    shutil.copy(tmp_path / "loso_seed0.json", tmp_path / "loso_seed2.json")
    edit_file(tmp_path, 2, lambda d: d.update(seed=2))
    code, err = gate(tmp_path, capsys)
    assert code == 2
    assert "loso_seed2.json: fold 'BigBuckBunny_25fps': y_pred is identical to" in err
    assert "loso_seed0.json's" in err and "copied under another seed number" in err


def test_one_copied_fold_is_enough_to_refuse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, {0: 0.97, 1: 0.971, 2: 0.972})
    theirs = edit_file(tmp_path, 1, lambda d: None)
    tennis = json.loads(theirs.read_text())["folds"][2]
    edit_file(tmp_path, 0, lambda d: d["folds"].__setitem__(2, tennis))
    code, err = gate(tmp_path, capsys)
    assert code == 2 and "fold 'Tennis_24fps': y_pred is identical" in err
    assert "loso_seed1.json" in err


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda d: d["folds"][0].update(n_train=10**9), "field 'n_train' is 1000000000"),
        (lambda d: d["folds"][1].update(n_train=0), "fold 'CrowdRun_25fps': field 'n_train' is 0"),
        (
            lambda d: d.update(corpus_rows=37),
            "field 'corpus_rows' is 37 but the folds' n_val add up to 36",
        ),
    ],
    ids=["n_train-huge", "n_train-zero", "corpus_rows"],
)
def test_row_counts_that_are_not_leave_one_source_out_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Any, needle: str
) -> None:
    write_run(tmp_path, {0: 0.97, 1: 0.971, 2: 0.972})
    edit_file(tmp_path, 1, edit)
    code, err = gate(tmp_path, capsys)
    assert code == 2 and "loso_seed1.json" in err and needle in err, err


def test_the_trainer_row_counts_pass(tmp_path: Path) -> None:
    write_run(tmp_path, {0: 0.97}, n_val=5)
    art = load_loso_set(tmp_path, (0,)).artefacts[0]
    assert art.corpus_rows == 5 * len(SOURCES)
    assert [f.n_train for f in art.folds] == [5 * (len(SOURCES) - 1)] * len(SOURCES)


@pytest.mark.parametrize("text", ["9" * 10, "٣", "0,1,²", "1" + "0" * 5000])
def test_seeds_that_are_not_small_ascii_integers_are_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    write_run(tmp_path, {0: 0.97})
    code, err = gate(tmp_path, capsys, seeds=text)
    assert code == 2 and "--seeds" in err and len(err) < 400


def test_judge_run_rederives_a_loso_set_built_without_load_loso_set(tmp_path: Path) -> None:
    """The bot's verifier may build or keep a LosoSet itself: judge_run still checks it."""
    write_run(tmp_path, WEAK)
    run = load_loso_set(tmp_path, (0, 1, 2))
    forged = replace(
        run,
        artefacts=tuple(
            replace(a, folds=tuple(replace(f, plcc=0.999) for f in a.folds)) for a in run.artefacts
        ),
    )
    with pytest.raises(
        InputError, match=r"loso_seed0\.json: fold 'BigBuckBunny_25fps': field 'plcc' is 0\.999"
    ):
        judge_run(forged)
    copied = replace(run, artefacts=(run.artefacts[0], replace(run.artefacts[0], seed=1)))
    with pytest.raises(InputError, match=r"loso_seed1\.json: fold '.*': y_pred is identical"):
        judge_run(copied)
    assert judge_run(run).decision == "HOLD"
