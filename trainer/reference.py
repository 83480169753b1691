"""The reference trainer: one model, a plain loop, ``torch.optim.Adam``.

This is how upstream trains one LOSO fold, kept readable on purpose. The
batched trainer (``trainer.batched``) must agree with it: parameter for
parameter in float64 with ``dropout_mask="exact"``, and in held-out PLCC in
float32. The seeding rule they share is in ``trainer.recipe``.
"""

from __future__ import annotations

import torch
from torch import nn

from trainer.model import N_FEATURES, FrRegressor
from trainer.recipe import DROPOUT_STREAM, Job, Recipe, init_model, shuffle_generator, stream_seed


def train_one(job: Job, recipe: Recipe) -> FrRegressor:
    """Train one model on ``job``; returns an eval-mode float32 CPU module."""
    return fit_one(job, recipe).float().eval()


def fit_one(job: Job, recipe: Recipe) -> FrRegressor:
    """Train one model on ``job``; returns it in the recipe's dtype (for the equivalence tests)."""
    dtype = recipe.torch_dtype
    model = init_model(job.seed, recipe)
    x = torch.as_tensor(job.x, dtype=dtype)  # [n, 20]: scaled features, then codec block
    y = torch.as_tensor(job.y, dtype=dtype)  # [n]
    shuffle = shuffle_generator(job.seed)
    optimizer = torch.optim.Adam(
        model.parameters(),
        lr=recipe.lr,
        betas=(recipe.beta1, recipe.beta2),
        eps=recipe.eps,
        weight_decay=recipe.weight_decay,
    )
    loss_fn = nn.MSELoss()
    # nn.Dropout draws from the global generator: give it this seed's dropout
    # stream for the duration of the loop, and restore the caller's state after.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(stream_seed(job.seed, DROPOUT_STREAM))
        model.train()
        for _epoch in range(recipe.epochs):
            perm = torch.randperm(job.n, generator=shuffle)
            for start in range(0, job.n, recipe.batch_size):
                batch = perm[start : start + recipe.batch_size]
                xb, yb = x[batch], y[batch]
                pred = model(xb[:, :N_FEATURES], xb[:, N_FEATURES:])
                loss = loss_fn(pred, yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    return model.eval()
