"""The audit's re-training gives a fold's model exactly as the full LOSO stack does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from flipbot.corpus import load_corpus
from flipbot.jsonfile import write_json
from flipbot.loso_recipe import recipe_json
from trainer.__main__ import main
from trainer.audit import retrain_folds
from trainer.loso import run_loso
from trainer.recipe import Recipe
from trainer.synthetic import synthetic_rows, write_corpus

SHIPPED = Path(__file__).resolve().parents[2] / "corpus/flipbot_corpus_v1.jsonl.gz"


@pytest.mark.parametrize(("epochs", "batch_size"), [(200, 32), (3, 64)])
def test_the_trusted_side_recipe_is_the_trainers(epochs: int, batch_size: int) -> None:
    assert recipe_json(epochs, batch_size) == Recipe(epochs=epochs, batch_size=batch_size).to_json()


@pytest.mark.slow
def test_a_fold_retrained_alone_equals_it_inside_the_full_stack_on_the_shipped_corpus() -> None:
    """2 seeds x 9 sources in one stack vs 3 of those folds in a stack of their own: bit-equal."""
    corpus = load_corpus(SHIPPED)
    recipe = Recipe(epochs=2)
    full = {
        a.seed: {f.held_out: f.y_pred for f in a.folds}
        for a in run_loso(corpus, [0, 1], recipe, torch.device("cpu"))
    }
    picks = [(1, "tree"), (0, "alea"), (1, "world")]
    got, _, _ = retrain_folds(corpus, picks, recipe)
    for r in got:
        assert r.y_pred == full[r.seed][r.held_out]


def test_trainer_audit_reports_honest_folds_and_refuses_a_forged_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus_path = tmp_path / "c.jsonl.gz"
    write_corpus(corpus_path, synthetic_rows(300, 3))
    corpus = load_corpus(corpus_path)
    for art in run_loso(corpus, [0, 1], Recipe(epochs=4), torch.device("cpu")):
        art.write(tmp_path)
    picks = tmp_path / "picks.json"
    write_json(picks, {"folds": [[0, corpus.sources[0]], [1, corpus.sources[2]]]})
    argv = ["audit", "--corpus", str(corpus_path), "--picks", str(picks), "--epochs", "4"]
    out = tmp_path / "audit.json"
    assert main([*argv, "--out", str(out), "--loso-dir", str(tmp_path)]) == 0
    doc = json.loads(out.read_text())
    assert [(f["seed"], f["held_out"]) for f in doc["folds"]] == [
        (0, corpus.sources[0]),
        (1, corpus.sources[2]),
    ]
    loso1 = json.loads((tmp_path / "loso_seed1.json").read_text())
    assert doc["folds"][1]["y_pred"] == loso1["folds"][2]["y_pred"]
    loso1["folds"][2]["y_pred"][0] += 1.0
    write_json(tmp_path / "loso_seed1.json", loso1)
    assert main([*argv, "--out", str(out), "--loso-dir", str(tmp_path)]) == 2
    assert f"fold '{corpus.sources[2]}' (seed 1)" in capsys.readouterr().err
