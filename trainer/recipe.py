"""The training recipe, one training job, and the seeding rule both trainers share.

The batched and the reference trainer follow one seeding rule, which is what
lets ``tests/trainer/test_equivalence.py`` compare them parameter by parameter:

- init: ``torch.manual_seed(seed)`` then ``FrRegressor(hidden, dropout)``
  (float32, then cast to the recipe dtype): every fold of a seed starts from
  the same weights, as upstream's trainer did.
- shuffle: a ``torch.Generator`` seeded with ``stream_seed(seed, SHUFFLE)``
  draws ``torch.randperm(n_train)`` each epoch, walked in mini-batches.
- dropout: ``"exact"`` masks from ``stream_seed(seed, DROPOUT)`` as
  ``nn.Dropout`` draws them (the reference installs that seed globally);
  ``"pool"`` (the batched default) as in ``trainer.masks``.

``stream_seed`` derives independent 32-bit seeds from ``(seed, stream)`` with
``numpy.random.SeedSequence``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import torch

from trainer.model import DROPOUT, HIDDEN, FrRegressor

SHUFFLE = 1
DROPOUT_STREAM = 2
POOL = 3


@dataclass(frozen=True)
class Recipe:
    """Every knob that changes the numbers. Defaults are SPEC §4 (ADR-0303's recipe)."""

    epochs: int = 200
    batch_size: int = 32
    lr: float = 5e-4
    # Coupled L2: added to the gradient before the moments, as torch.optim.Adam does
    # (not AdamW's decoupled decay).
    weight_decay: float = 1e-5
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    hidden: int = HIDDEN
    dropout: float = DROPOUT
    # float64 exists for the equivalence tests; float32 is what ships.
    dtype: Literal["float32", "float64"] = "float32"
    # "pool": windows into a fixed pool of Bernoulli draws (fast, statistically
    # equivalent, see trainer.masks); "exact": the masks nn.Dropout would draw.
    dropout_mask: Literal["pool", "exact"] = "pool"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def torch_dtype(self) -> torch.dtype:
        return torch.float64 if self.dtype == "float64" else torch.float32


@dataclass(frozen=True)
class Job:
    """One model to train: its seed and its training rows.

    ``x`` [n, 20] float64: scaled canonical-6 features then the 14-column codec
    block; ``y`` [n] float64 VMAF targets.
    """

    seed: int
    x: np.ndarray
    y: np.ndarray

    @property
    def n(self) -> int:
        return int(self.y.shape[0])


def stream_seed(seed: int, stream: int) -> int:
    """An independent 32-bit seed for one random stream of one model seed."""
    return int(np.random.SeedSequence((seed, stream)).generate_state(1)[0])


def init_model(seed: int, recipe: Recipe) -> FrRegressor:
    """The initial network of ``seed`` in the recipe's dtype, without touching the global RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = FrRegressor(recipe.hidden, recipe.dropout)
    return model.to(recipe.torch_dtype)


def shuffle_generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(stream_seed(seed, SHUFFLE))


def dropout_generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(stream_seed(seed, DROPOUT_STREAM))
