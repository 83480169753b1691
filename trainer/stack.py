"""M networks' parameters, gradients and Adam state as flat [M, 5569] buffers.

Row m is model m. Each layer is a view into the flat buffer, stored
input-major so ``bmm(x, w)`` needs no transpose: w1 [M, 20, H], b1 [M, H],
w2 [M, H, H], b2 [M, H], w3 [M, H, 1], b3 [M, 1]. One flat buffer keeps the
Adam update at a handful of ops for all models together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

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

    @property
    def params(self) -> tuple[torch.Tensor, ...]:
        return _views(self.flat, self.hidden)

    @property
    def grads(self) -> tuple[torch.Tensor, ...]:
        return _views(self.grad_flat, self.hidden)

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
        zeros = [torch.zeros_like(flat) for _ in range(3)]
        return cls(recipe.hidden, flat, *zeros)

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

    def adam(self, counts: np.ndarray, recipe: Recipe) -> None:
        """One torch.optim.Adam step (coupled L2) of the first ``len(counts)`` models.

        ``counts`` holds each model's step number including this step, so the
        bias corrections are per model, as if each had its own optimizer.
        """
        k = len(counts)
        p, g = self.flat[:k], self.grad_flat[:k]
        exp_avg, exp_avg_sq = self.exp_avg[:k], self.exp_avg_sq[:k]
        if recipe.weight_decay != 0:
            g.add_(p, alpha=recipe.weight_decay)
        exp_avg.lerp_(g, 1 - recipe.beta1)
        exp_avg_sq.mul_(recipe.beta2).addcmul_(g, g, value=1 - recipe.beta2)
        bias1 = 1 - recipe.beta1 ** counts.astype(np.float64)
        bias2_sqrt = np.sqrt(1 - recipe.beta2 ** counts.astype(np.float64))
        # torch.optim.Adam: p -= lr / bias1 * m / (sqrt(v) / bias2_sqrt + eps); multiplied
        # through by bias2_sqrt, so each model's corrections are one [k, 1] factor each.
        factor = torch.from_numpy(-recipe.lr / bias1 * bias2_sqrt).to(p).unsqueeze(1)
        eps = torch.from_numpy(recipe.eps * bias2_sqrt).to(p).unsqueeze(1)
        denom = exp_avg_sq.sqrt().add_(eps)
        p.addcdiv_(exp_avg * factor, denom)
