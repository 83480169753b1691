"""Dropout masks for the stacked trainer, already scaled by 1 / (1 - p).

Two ways to draw them (``Recipe.dropout_mask``):

- ``"exact"``: per model and step, ``empty([b, hidden]).bernoulli_(1 - p,
  generator=g)`` then ``/ (1 - p)``: the very masks ``nn.Dropout`` draws on
  the CPU. Bit-exact with the reference trainer and slow; used by the
  equivalence tests.
- ``"pool"`` (default): a fixed pool of 2**22 Bernoulli(1 - p) draws made
  once; each (model, step, layer) takes a window of ``batch_size * hidden``
  consecutive entries at an offset from the model's own stream
  (``stream_seed(seed, POOL)``). Within a mask the entries are independent,
  as nn.Dropout's; two masks overlap with chance about 0.1% per pair. A
  model's masks depend only on its own seed. Why and how fast:
  docs/PERFORMANCE.md.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from trainer.recipe import POOL, Recipe, dropout_generator, stream_seed

# Per layer: (base address, address of the int64 offsets, offset step); see kernel_args.
MaskArgs = tuple[tuple[int, int, int], tuple[int, int, int]]

POOL_SIZE = 1 << 22
POOL_SEED = 303  # constant: the pool is part of the recipe, not of a seed


@functools.lru_cache(maxsize=4)
def _pool(keep: float, dtype: torch.dtype, device: str) -> torch.Tensor:
    """POOL_SIZE draws of Bernoulli(keep) / keep, made once per process and shared read-only."""
    g = torch.Generator().manual_seed(POOL_SEED)
    pool = (torch.rand(POOL_SIZE, generator=g, dtype=torch.float64) < keep).to(dtype)
    return pool.div_(keep).to(device)


class PoolMasks:
    """Mask windows for a stack of models; offsets are drawn per epoch."""

    def __init__(self, seeds: list[int], recipe: Recipe, device: torch.device) -> None:
        self.rows = recipe.batch_size
        self.hidden = recipe.hidden
        width = self.rows * self.hidden
        pool = _pool(1.0 - recipe.dropout, recipe.torch_dtype, str(device))
        self.windows = pool.unfold(0, width, 1)  # [n_windows, rows * hidden] view
        self.rngs = [np.random.Generator(np.random.PCG64(stream_seed(s, POOL))) for s in seeds]
        self.device = device
        self.offsets: list[torch.Tensor] = []
        # Windows land in one reused buffer; its per-k mask views are made once.
        self.buffer = torch.empty(2 * len(seeds), width, dtype=pool.dtype, device=device)
        self.views: dict[int, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}
        self.pool = pool

    def new_epoch(self, steps: list[int]) -> None:
        """Draw this epoch's offsets: ``steps[m]`` steps for model m (in stack order)."""
        n_windows = self.windows.shape[0]
        offs = np.zeros((max(steps), len(steps), 2), dtype=np.int64)
        for m, (rng, s) in enumerate(zip(self.rngs, steps, strict=True)):
            offs[:s, m, :] = rng.integers(0, n_windows, size=(s, 2))
        # One flat [M * 2] index per step: model-major, layer 1 then layer 2.
        self.offsets = list(torch.from_numpy(offs).to(self.device).view(len(offs), -1).unbind(0))

    def masks(self, step: int, k: int, rows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Masks [k, batch, hidden] for layers 1 and 2 of the first ``k`` models at ``step``."""
        if k not in self.views:
            out = self.buffer[: 2 * k]
            both = out.view(k, 2, self.rows, self.hidden)
            self.views[k] = (out, both[:, 0], both[:, 1])
        out, first, second = self.views[k]
        torch.index_select(self.windows, 0, self.offsets[step][: 2 * k], out=out)
        return first, second

    def kernel_args(self, step: int, k: int, rows: list[int]) -> MaskArgs:
        """The same masks for ``trainer.cpu_kernels``, read in place: no copy.

        (base, offsets, offset step) per layer: model i's mask is the
        ``rows * hidden`` pool entries from ``base + offsets[i * step]``.
        """
        offsets = self.offsets[step]
        base, at, size = self.pool.data_ptr(), offsets.data_ptr(), offsets.element_size()
        return (base, at, 2), (base, at + size, 2)


class ExactMasks:
    """The masks nn.Dropout draws, model by model (see the module docstring)."""

    def __init__(self, seeds: list[int], recipe: Recipe, device: torch.device) -> None:
        self.rows = recipe.batch_size
        self.hidden = recipe.hidden
        self.keep = 1.0 - recipe.dropout
        self.dtype = recipe.torch_dtype
        self.gens = [dropout_generator(s) for s in seeds]
        self.device = device
        self.starts = torch.zeros(0, dtype=torch.int64)
        self.held: tuple[torch.Tensor, torch.Tensor] | None = None

    def new_epoch(self, steps: list[int]) -> None:
        pass

    def masks(self, step: int, k: int, rows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        out = torch.zeros(2, k, self.rows, self.hidden, dtype=self.dtype)
        for m in range(k):
            for layer in range(2):
                noise = torch.empty(rows[m], self.hidden, dtype=self.dtype)
                noise.bernoulli_(self.keep, generator=self.gens[m])
                out[layer, m, : rows[m]] = noise.div_(self.keep)
        out = out.to(self.device)
        return out[0], out[1]

    def kernel_args(self, step: int, k: int, rows: list[int]) -> MaskArgs:
        """These masks for ``trainer.cpu_kernels`` (see ``PoolMasks.kernel_args``)."""
        self.held = self.masks(step, k, rows)  # kept alive until the next step
        block = self.rows * self.hidden
        if self.starts.numel() != k:
            self.starts = torch.arange(k, dtype=torch.int64) * block
        at = self.starts.data_ptr()
        return (self.held[0].data_ptr(), at, 1), (self.held[1].data_ptr(), at, 1)
