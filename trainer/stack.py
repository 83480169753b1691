"""M networks' parameters, gradients and Adam state as flat [M, 5569] buffers.

Row m is model m. Each layer is a view into the flat buffer, stored
input-major so ``bmm(x, w)`` needs no transpose: w1 [M, 20, H], b1 [M, H],
w2 [M, H, H], b2 [M, H], w3 [M, H, 1], b3 [M, 1]. One flat buffer keeps the
Adam update at a handful of ops for all models together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from trainer.cpu_kernels import Kernels
from trainer.model import N_FEATURES, FrRegressor
from trainer.recipe import Recipe

N_IN = N_FEATURES + 14  # 6 features + 14-column codec block


def _shapes(hidden: int) -> list[tuple[int, ...]]:
    return [(N_IN, hidden), (hidden,), (hidden, hidden), (hidden,), (hidden, 1), (1,)]


def _views(flat: torch.Tensor, hidden: int) -> tuple[torch.Tensor, ...]:
    views, col = [], 0
    for shape in _shapes(hidden):
        size = int(np.prod(shape))
        views.append(flat[:, col : col + size].view(flat.shape[0], *shape))
        col += size
    return tuple(views)


@dataclass
class Stack:
    """Mutable training state of M stacked models."""

    hidden: int
    flat: torch.Tensor  # [M, P] parameters
    grad_flat: torch.Tensor  # [M, P] gradients of the last step
    exp_avg: torch.Tensor  # [M, P] Adam first moment
    exp_avg_sq: torch.Tensor  # [M, P] Adam second moment
    _rows: list[list[torch.Tensor]] = field(default_factory=list)  # per-model row views
    _steps: list[torch.Tensor] = field(default_factory=list)  # per-model Adam step counts
    _step_counts: torch.Tensor = field(default_factory=lambda: torch.zeros(0))  # their storage
    _prefixes: dict[int, tuple[torch.Tensor, ...]] = field(default_factory=dict)

    @property
    def params(self) -> tuple[torch.Tensor, ...]:
        return _views(self.flat, self.hidden)

    def prefix(self, k: int) -> tuple[torch.Tensor, ...]:
        """Views of the first k models, shaped for the step (cached: k takes few values).

        w1 and b1 together [k, 21, H] (b1 is stored right after w1, so with a
        constant-1 input column layer 1 is one ``bmm`` and its gradient one
        more), w2 [k, H, H], b2 [k, 1, H], w3 transposed [k, 1, H], b3 [k, 1, 1],
        w2 transposed [k, H, H].
        """
        if k not in self._prefixes:
            h = self.hidden
            w1b1 = self.flat[:k, : (N_IN + 1) * h].view(k, N_IN + 1, h)
            _, _, w2, b2, w3, b3 = (p[:k] for p in self.params)
            self._prefixes[k] = (
                w1b1,
                w2,
                b2.unsqueeze(1),
                w3.transpose(1, 2),
                b3.unsqueeze(1),
                w2.transpose(1, 2),
            )
        return self._prefixes[k]

    @classmethod
    def from_models(cls, models: list[FrRegressor], recipe: Recipe, device: torch.device) -> Stack:
        rows = []
        for model in models:
            state = model.state_dict()
            parts = [
                state["net.0.weight"].T,
                state["net.0.bias"],
                state["net.3.weight"].T,
                state["net.3.bias"],
                state["net.6.weight"].T,
                state["net.6.bias"],
            ]
            rows.append(torch.cat([p.reshape(-1) for p in parts]))
        flat = torch.stack(rows).to(device=device, dtype=recipe.torch_dtype).contiguous()
        return cls(
            recipe.hidden,
            flat,
            torch.zeros_like(flat),
            torch.zeros_like(flat),
            torch.zeros_like(flat),
        )

    def state_dicts(self) -> list[dict[str, torch.Tensor]]:
        """One FrRegressor state dict per stacked model, on the CPU, in the training dtype."""
        w1, b1, w2, b2, w3, b3 = (p.detach().cpu() for p in self.params)
        return [
            {
                "net.0.weight": w1[m].T.contiguous(),
                "net.0.bias": b1[m].clone(),
                "net.3.weight": w2[m].T.contiguous(),
                "net.3.bias": b2[m].clone(),
                "net.6.weight": w3[m].T.contiguous(),
                "net.6.bias": b3[m].clone(),
            }
            for m in range(self.flat.shape[0])
        ]

    @property
    def step_counts(self) -> torch.Tensor:
        """Each model's Adam step count, [M] float32 (torch's own step dtype).

        One tensor: torch's kernel reads each model's 0-d view of it and one
        in-place add steps all k counters (_foreach_add_ over 45 0-d tensors cost
        about as much as the Adam step itself); the C kernel steps it itself.
        """
        if self._step_counts.numel() == 0:
            self._step_counts = torch.zeros(
                self.flat.shape[0], dtype=torch.float32, device=self.flat.device
            )
        return self._step_counts

    def adam(self, k: int, recipe: Recipe) -> None:
        """One torch.optim.Adam step (coupled L2) of the first ``k`` models.

        torch's fused Adam kernel, given one tensor and one step counter per
        model, so the bias corrections are per model, as if each model had its
        own optimizer; one pass over the state instead of a dozen ops.
        """
        if not self._rows:
            self._rows = [
                list(t.unbind(0))
                for t in (self.flat, self.grad_flat, self.exp_avg, self.exp_avg_sq)
            ]
            self._steps = list(self.step_counts.unbind(0))
        p, g, m, v = (rows[:k] for rows in self._rows)
        steps = self._steps[:k]
        self._step_counts[:k] += 1
        torch._fused_adam_(
            p,
            g,
            m,
            v,
            [],
            steps,
            amsgrad=False,
            lr=recipe.lr,
            beta1=recipe.beta1,
            beta2=recipe.beta2,
            weight_decay=recipe.weight_decay,
            eps=recipe.eps,
            maximize=False,
        )

    def adam_blocks(self, k: int, recipe: Recipe, kern: Kernels, sizes: Any, grads: Any) -> None:
        """``adam`` in the C kernel, the gradients read from their blocks in place.

        ``sizes`` and ``grads`` (ctypes arrays) give each gradient block's width
        per model and address, in the order of the flat row; the blocks are never
        packed into ``grad_flat``. Same step counts, same update, float32 rounding.
        """
        kern.adam(
            k, len(sizes), sizes, grads,
            self.flat.data_ptr(), self.exp_avg.data_ptr(), self.exp_avg_sq.data_ptr(),
            self.flat.stride(0), self.step_counts.data_ptr(),
            recipe.lr, recipe.beta1, recipe.beta2, recipe.eps, recipe.weight_decay,
        )  # fmt: skip
