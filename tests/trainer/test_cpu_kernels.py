"""The fused C kernels: built and cached once, refused when wrong, and the float32
training they run agrees with the torch path (which test_equivalence proves exact
against the reference loop in float64)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from flipbot.corpus import load_corpus
from trainer import cpu_kernels
from trainer.batched import train_stacked_states
from trainer.loso import device_label, make_folds
from trainer.recipe import Job, Recipe

HAVE_CC = shutil.which(os.environ.get("CC", "cc")) is not None
needs_cc = pytest.mark.skipif(not HAVE_CC, reason="no C compiler on this machine")


@pytest.fixture(autouse=True)
def fresh_load() -> Iterator[None]:
    """Every test decides afresh (the choice is cached per process)."""
    cpu_kernels._load.cache_clear()
    yield
    cpu_kernels._load.cache_clear()


def failing_compiler(tmp_path: Path) -> Path:
    cc = tmp_path / "broken-cc"
    cc.write_text("#!/bin/sh\necho 'boom: no such luck' >&2\nexit 1\n")
    cc.chmod(cc.stat().st_mode | stat.S_IXUSR)
    return cc


@needs_cc
def test_kernels_build_pass_their_self_test_and_are_used() -> None:
    assert cpu_kernels.load() is not None
    assert cpu_kernels.status() == "fused C kernels"
    assert device_label(torch.device("cpu")).endswith(", fused C kernels)")


def test_switched_off_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLIPBOT_CPU_KERNELS", "torch")
    assert cpu_kernels.load() is None
    assert cpu_kernels.status() == "torch kernels (FLIPBOT_CPU_KERNELS=torch)"
    assert device_label(torch.device("cpu")).endswith(
        ", torch kernels (FLIPBOT_CPU_KERNELS=torch))"
    )


def test_without_a_compiler_the_torch_path_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CC", "/nonexistent/cc")
    assert cpu_kernels.load() is None
    assert cpu_kernels.status() == "torch kernels (no C compiler)"


def test_a_failed_build_says_why_and_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("CC", str(failing_compiler(tmp_path)))
    assert cpu_kernels.load() is None
    assert cpu_kernels.status().startswith(
        "torch kernels (C kernels did not build: boom: no such luck"
    )
    assert list((tmp_path / "cache" / "flipbot" / "kernels").iterdir()) == []


@needs_cc
def test_the_build_is_cached_per_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert cpu_kernels.load() is not None
    built = list((tmp_path / "cache" / "flipbot" / "kernels").iterdir())
    assert len(built) == 1 and built[0].name.startswith("cpu_kernels-")
    assert built[0].suffix == ".so"
    # A second process (here: a cleared cache) loads the library without compiling:
    # a compiler that can only fail is never called.
    cpu_kernels._load.cache_clear()
    monkeypatch.setenv("CC", str(failing_compiler(tmp_path)))
    assert cpu_kernels.status() == "fused C kernels"
    assert list((tmp_path / "cache" / "flipbot" / "kernels").iterdir()) == built


@needs_cc
@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("gelu_forward", "GELU * mask differs"),
        ("gelu_backward", "GELU backward differs"),
        ("head", "head d2 differs"),
        ("adam", "adam param differs"),
    ],
)
def test_the_self_test_refuses_a_wrong_kernel(broken: str, message: str) -> None:
    kernels = cpu_kernels.load()
    assert kernels is not None and cpu_kernels._self_test(kernels) == ""
    wrong = dataclasses.replace(kernels, **{broken: lambda *args: None})  # computes nothing
    assert message in cpu_kernels._self_test(wrong)


def loso_jobs(corpus_path: Path, seeds: list[int]) -> list[Job]:
    corpus = load_corpus(corpus_path)
    return [Job(s, f.x_train, corpus.vmaf[f.train_rows]) for s in seeds for f in make_folds(corpus)]


def train_both_ways(
    jobs: list[Job], recipe: Recipe, monkeypatch: pytest.MonkeyPatch, workers: int = 1
) -> tuple[list[dict[str, torch.Tensor]], list[dict[str, torch.Tensor]]]:
    assert cpu_kernels.load() is not None
    fused = train_stacked_states(jobs, recipe, workers=workers)
    monkeypatch.setenv("FLIPBOT_CPU_KERNELS", "torch")
    cpu_kernels._load.cache_clear()
    assert cpu_kernels.load() is None
    plain = train_stacked_states(jobs, recipe, workers=workers)
    return fused, plain


@needs_cc
@pytest.mark.parametrize(
    "recipe",
    [
        Recipe(epochs=3, dropout_mask="exact"),
        Recipe(epochs=3),  # pool masks, read in place by the kernels
        Recipe(epochs=3, dropout=0.0),  # no masks at all
        Recipe(epochs=3, batch_size=7),  # many short last batches and idle models
    ],
    ids=["exact-masks", "pool-masks", "no-dropout", "batch-7"],
)
def test_float32_training_agrees_with_the_torch_path(
    small_corpus: Path, recipe: Recipe, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = loso_jobs(small_corpus, seeds=[0, 3])
    assert len({j.n for j in jobs}) > 1, "folds of different sizes: some steps have idle models"
    fused, plain = train_both_ways(jobs, recipe, monkeypatch)
    moved = 0.0
    for job, a, b in zip(jobs, fused, plain, strict=True):
        for name in b:
            assert a[name].dtype == torch.float32
            diff = (a[name] - b[name]).abs().max().item()
            assert diff <= 1e-5, f"seed {job.seed}, n={job.n}, {name}: {diff}"
        initial = train_stacked_states([job], dataclasses.replace(recipe, epochs=0))[0]
        moved = max(moved, (a["net.3.weight"] - initial["net.3.weight"]).abs().max().item())
    assert moved > 1e-3  # the models trained


@needs_cc
def test_worker_processes_use_the_kernels_too(
    small_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = loso_jobs(small_corpus, seeds=[1])
    fused, plain = train_both_ways(jobs, Recipe(epochs=2), monkeypatch, workers=2)
    diffs = [(a[n] - b[n]).abs().max().item() for a, b in zip(fused, plain, strict=True) for n in b]
    assert max(diffs) <= 1e-5
    # float rounding of the fused passes differs from torch's: equal bits would mean the
    # workers silently ran the torch path
    assert max(diffs) > 0.0
