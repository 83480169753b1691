"""The batched trainer trains each model exactly as the plain reference loop would.

float64 with the bit-exact dropout masks: every parameter of every (seed, fold)
model agrees to 1e-10. float32: the held-out PLCC per source agrees to 0.002.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from flipbot.corpus import load_corpus
from flipbot.metrics import score
from trainer.batched import train_stacked, train_stacked_states
from trainer.loso import make_folds, predict
from trainer.recipe import Job, Recipe
from trainer.reference import fit_one, train_one
from trainer.synthetic import synthetic_rows, write_corpus


def loso_jobs(corpus_path: Path, seeds: list[int]) -> list[Job]:
    corpus = load_corpus(corpus_path)
    folds = make_folds(corpus)
    return [Job(s, f.x_train, corpus.vmaf[f.train_rows]) for s in seeds for f in folds]


@pytest.mark.parametrize("batch_size", [32, 7])
def test_float64_parameters_match_the_reference_for_every_seed_and_fold(
    small_corpus: Path, batch_size: int
) -> None:
    jobs = loso_jobs(small_corpus, seeds=[0, 1])
    recipe = Recipe(epochs=3, batch_size=batch_size, dtype="float64", dropout_mask="exact")
    steps = {math.ceil(j.n / batch_size) for j in jobs}
    assert len(steps) > 1, "folds must differ in steps per epoch so that idle models are exercised"
    assert any(j.n % batch_size for j in jobs), "some folds must end on a short batch"
    batched = train_stacked_states(jobs, recipe)
    for job, state in zip(jobs, batched, strict=True):
        ref = fit_one(job, recipe).state_dict()
        assert state.keys() == ref.keys()
        for name, value in ref.items():
            assert value.dtype == torch.float64
            diff = (state[name] - value).abs().max().item()
            assert diff <= 1e-10, f"seed {job.seed}, n={job.n}, {name}: {diff}"
        # the models did move away from their initial weights
        assert (
            state["net.3.weight"]
            - fit_one(job, Recipe(epochs=0, dtype="float64")).state_dict()["net.3.weight"]
        ).abs().max() > 1e-3


def test_float64_matches_without_dropout_too(small_corpus: Path) -> None:
    jobs = loso_jobs(small_corpus, seeds=[2])
    recipe = Recipe(epochs=2, dtype="float64", dropout=0.0)
    for job, state in zip(jobs, train_stacked_states(jobs, recipe), strict=True):
        ref = fit_one(job, recipe).state_dict()
        assert max((state[k] - ref[k]).abs().max().item() for k in ref) <= 1e-10


@pytest.mark.slow
def test_float32_held_out_plcc_matches_the_reference_per_source(tmp_path: Path) -> None:
    path = tmp_path / "nine.jsonl.gz"
    write_corpus(path, synthetic_rows(n_rows=1800, n_sources=9, seed=5))
    corpus = load_corpus(path)
    folds = make_folds(corpus)
    jobs = [Job(0, f.x_train, corpus.vmaf[f.train_rows]) for f in folds]
    recipe = Recipe(epochs=6, dropout_mask="exact")
    batched = train_stacked(jobs, recipe)
    for fold, job, model in zip(folds, jobs, batched, strict=True):
        y_true = corpus.vmaf[fold.val_rows]
        ours = score(y_true, predict(model, fold.x_val)).plcc
        ref = score(y_true, predict(train_one(job, recipe), fold.x_val)).plcc
        assert ours is not None and ref is not None
        assert ours > 0.8, f"{fold.held_out}: the models must have learned something ({ours})"
        assert abs(ours - ref) <= 0.002, f"{fold.held_out}: {ours} vs {ref}"


def test_returned_modules_are_float32_eval_mode_on_the_cpu(small_corpus: Path) -> None:
    jobs = loso_jobs(small_corpus, seeds=[0])[:2]
    models = train_stacked(jobs, Recipe(epochs=1))
    for m in models:
        assert not m.training
        assert all(p.dtype == torch.float32 and p.device.type == "cpu" for p in m.parameters())
    x = torch.as_tensor(np.asarray(jobs[0].x[:4]), dtype=torch.float32)
    torch.testing.assert_close(models[0](x[:, :6], x[:, 6:]), models[0](x[:, :6], x[:, 6:]))


def test_splitting_the_stack_over_worker_threads_changes_results_only_in_the_last_bits(
    small_corpus: Path,
) -> None:
    # Kernels may round differently for a different number of stacked models
    # (MKL picks its code path by batch size), so equality is to float rounding.
    jobs = loso_jobs(small_corpus, seeds=[0, 4])
    recipe = Recipe(epochs=2)
    ticks: list[tuple[int, int]] = []
    one = train_stacked_states(jobs, recipe, workers=1)
    three = train_stacked_states(
        jobs, recipe, progress=lambda d, t: ticks.append((d, t)), workers=3
    )
    assert ticks == [(1, 2), (2, 2)]
    for a, b in zip(one, three, strict=True):
        for name in a:
            torch.testing.assert_close(a[name], b[name], rtol=0, atol=1e-5)
