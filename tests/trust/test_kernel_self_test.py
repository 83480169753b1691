"""A fused kernel that writes nothing is refused on every run of the self-test, even right after a
correct run left its results in memory that ``torch.empty`` would hand out again."""

from __future__ import annotations

import dataclasses
import os
import shutil

import pytest
import torch

from trainer import cpu_kernels

needs_cc = pytest.mark.skipif(
    shutil.which(os.environ.get("CC", "cc")) is None, reason="no C compiler on this machine"
)


@needs_cc
@pytest.mark.parametrize("broken", ["gelu_forward", "gelu_backward", "head", "adam"])
def test_a_kernel_that_writes_nothing_is_refused_on_every_run(broken: str) -> None:
    cpu_kernels._load.cache_clear()
    kernels = cpu_kernels.load()
    assert kernels is not None
    silent = dataclasses.replace(kernels, **{broken: lambda *args: None})
    for run in range(20):
        assert cpu_kernels._self_test(kernels) == "", run  # leaves correct results behind
        problem = cpu_kernels._self_test(silent)
        assert "differs" in problem, (run, problem)


def test_every_output_buffer_starts_as_nan() -> None:
    poisoned = cpu_kernels._poisoned((2, 3))
    assert poisoned.shape == (2, 3) and bool(torch.isnan(poisoned).all())
