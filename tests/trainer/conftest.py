"""Shared fixtures of the trainer tests: small synthetic corpora written to tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.synthetic import synthetic_rows, write_corpus


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """270 rows, 3 sources of unequal size, gzip-compressed."""
    path = tmp_path / "small.jsonl.gz"
    write_corpus(path, synthetic_rows(n_rows=270, n_sources=3, seed=1))
    return path


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread() -> None:
    """The tests' models are tiny: a second intra-op thread only adds contention
    (on a busy 2-core machine it made the reference loop about 10x slower)."""
    import torch

    torch.set_num_threads(1)
