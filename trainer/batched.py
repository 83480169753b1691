"""Train many FrRegressors at once as one stacked model.

Every (seed, fold) model of a LOSO run has the same shape, so M models are
one set of stacked weights ([M, in, out], applied with ``bmm``) and one
flat Adam state [M, 5569]. Each model still behaves as if trained alone by
``trainer.reference.train_one``: own init and shuffle (``trainer.recipe``
holds the seeding rule), own rows, own Adam step count (bias correction per
model), and a model whose epoch has run out of batches is not stepped at
all (no weight decay, no moment update) while bigger folds finish theirs.

A step is a handful of calls on buffers made once per prefix size
(``_Workspace``), with a hand-written backward and the models stacked
largest fold first (those still stepping are a prefix ``[:k]``); on the CPU
the stack is split over worker processes. Why each of these, with the
before/after numbers and what was tried and dropped: docs/PERFORMANCE.md.
"""

from __future__ import annotations

import ctypes
import functools
import math
import multiprocessing as mp
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from queue import Empty
from typing import Any

import numpy as np
import torch

from trainer import cpu_kernels
from trainer.cpu_kernels import Kernels
from trainer.masks import ExactMasks, MaskArgs, PoolMasks
from trainer.model import FrRegressor
from trainer.recipe import Job, Recipe, init_model, shuffle_generator
from trainer.stack import Stack

# The exact (erf) GELU and its derivative, called without the Python wrapper of F.gelu.
gelu: Callable[..., torch.Tensor] = torch._C._nn.gelu  # (its type stub lacks out=)
gelu_backward = torch.ops.aten.gelu_backward.grad_input  # the out= form

_NO_MASKS: MaskArgs = ((0, 0, 0), (0, 0, 0))  # a NULL mask base: no dropout

__all__ = ["Job", "Progress", "Recipe", "train_stacked", "train_stacked_states"]

Progress = Callable[[int, int], None]  # (epochs done, epochs in total)


@contextmanager
def flushed_denormals(device: torch.device) -> Iterator[None]:
    """Flush denormals in this thread (the CPU flag is per thread)."""
    enabled = device.type == "cpu" and torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if enabled:
            torch.set_flush_denormal(False)


def train_stacked(
    jobs: list[Job],
    recipe: Recipe,
    device: str | torch.device = "cpu",
    progress: Progress | None = None,
) -> list[FrRegressor]:
    """Train every job; returns one eval-mode float32 CPU module per job, in job order."""
    models = []
    for state in train_stacked_states(jobs, recipe, device, progress):
        model = FrRegressor(recipe.hidden, recipe.dropout)
        model.load_state_dict({k: v.float() for k, v in state.items()})
        models.append(model.eval())
    return models


def train_stacked_states(
    jobs: list[Job],
    recipe: Recipe,
    device: str | torch.device = "cpu",
    progress: Progress | None = None,
    workers: int | None = None,
) -> list[dict[str, torch.Tensor]]:
    """Like ``train_stacked`` but returns FrRegressor state dicts in the recipe's dtype.

    On the CPU the models are split into ``workers`` stacks (default: torch's
    thread count), each trained by its own process with one intra-op thread
    (see ``_train_in_processes``): no OpenMP per-op fork/join, which costs
    more than these small ops save and stalls badly when the cores are
    shared, and no GIL between the stacks.
    """
    if not jobs:
        return []
    dev = torch.device(device)
    if workers is None:
        workers = torch.get_num_threads() if dev.type == "cpu" else 1
    workers = max(1, min(workers, len(jobs)))
    if dev.type == "cpu" and recipe.torch_dtype == torch.float32:
        cpu_kernels.load()  # build or load once here, before the workers fork
    # Initial weights come from the global generator: draw them here, not in the workers.
    initial = [init_model(j.seed, recipe) for j in jobs]
    # Largest fold first (stable), so models still stepping are always a prefix;
    # dealt round-robin so every worker gets a similar share of steps.
    order = sorted(range(len(jobs)), key=lambda j: -jobs[j].n)
    groups = [order[w::workers] for w in range(workers)]
    tracker = _EpochTracker(workers, progress)
    if workers == 1:
        results = [
            _train_group(
                [initial[j] for j in groups[0]], [jobs[j] for j in groups[0]], recipe, dev,
                lambda e, t: tracker(0, e, t),
            )
        ]  # fmt: skip
    else:
        results = _train_in_processes(groups, initial, jobs, recipe, dev, tracker)
    out: list[dict[str, torch.Tensor]] = [{} for _ in jobs]
    for group, states in zip(groups, results, strict=True):
        for j, state in zip(group, states, strict=True):
            out[j] = state
    return out


def _train_group(
    models: list[FrRegressor],
    jobs: list[Job],
    recipe: Recipe,
    dev: torch.device,
    progress: Progress | None,
) -> list[dict[str, torch.Tensor]]:
    with flushed_denormals(dev):
        stack = Stack.from_models(models, recipe, dev)
        _train(stack, jobs, recipe, dev, progress)
    return stack.state_dicts()


def _train_in_processes(
    groups: list[list[int]],
    initial: list[FrRegressor],
    jobs: list[Job],
    recipe: Recipe,
    dev: torch.device,
    tracker: _EpochTracker,
) -> list[list[dict[str, torch.Tensor]]]:
    """One process per stack, one intra-op thread each.

    Measured on 2 cores (45 models, 5,640 rows): two worker threads in one
    process ran an epoch in 0.42 s, two processes in 0.30 s. These steps are
    many small ops, and a thread holds the GIL between them, so threads
    serialise on it; processes do not. Models are independent, so the split
    changes no result beyond float rounding of the stacked kernels.
    """
    # fork, as torch's DataLoader workers do on Linux: the children use one intra-op thread and
    # no CUDA (the stack is split only on the CPU), and, unlike spawn, fork needs no
    # ``if __name__ == "__main__"`` guard in the caller's script.
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    procs = [
        ctx.Process(
            target=_process_worker,
            args=(w, [initial[j] for j in g], [jobs[j] for j in g], recipe, str(dev), queue),
            daemon=True,
        )
        for w, g in enumerate(groups)
    ]
    for proc in procs:
        proc.start()
    results: list[list[dict[str, torch.Tensor]] | None] = [None] * len(groups)
    try:
        while any(r is None for r in results):
            try:
                kind, w, payload = queue.get(timeout=5.0)
            except Empty:
                dead = [p for p in procs if not p.is_alive() and p.exitcode != 0]
                if dead:
                    raise RuntimeError(
                        f"a training worker process died (exit code {dead[0].exitcode})"
                    ) from None
                continue
            if kind == "epoch":
                tracker(w, payload[0], payload[1])
            elif kind == "done":
                results[w] = [{k: torch.from_numpy(v) for k, v in st.items()} for st in payload]
            else:
                raise RuntimeError(f"training worker {w} failed:\n{payload}")
    finally:
        for proc in procs:
            proc.join(timeout=10.0)
            if proc.is_alive():
                proc.kill()
    return [r for r in results if r is not None]


def _process_worker(
    w: int,
    models: list[FrRegressor],
    jobs: list[Job],
    recipe: Recipe,
    device: str,
    queue: Any,
) -> None:
    try:
        torch.set_num_threads(1)
        states = _train_group(
            models, jobs, recipe, torch.device(device), lambda e, t: queue.put(("epoch", w, (e, t)))
        )
        queue.put(("done", w, [{k: v.numpy() for k, v in st.items()} for st in states]))
    except BaseException:
        queue.put(("error", w, traceback.format_exc()))


class _EpochTracker:
    """Reports an epoch once every worker has finished it."""

    def __init__(self, workers: int, progress: Progress | None) -> None:
        self.done = [0] * workers
        self.reported = 0
        self.progress = progress
        self.lock = threading.Lock()

    def __call__(self, worker: int, epochs_done: int, total: int) -> None:
        with self.lock:
            self.done[worker] = epochs_done
            while self.progress is not None and self.reported < min(self.done):
                self.reported += 1
                self.progress(self.reported, total)


def _train(
    stack: Stack, jobs: list[Job], recipe: Recipe, dev: torch.device, progress: Progress | None
) -> None:
    dt, bs, m_count = recipe.torch_dtype, recipe.batch_size, len(jobs)
    ns = [j.n for j in jobs]
    steps = [math.ceil(n / bs) for n in ns]
    n_steps = steps[0]
    width = n_steps * bs
    active = [sum(1 for s in steps if s > t) for t in range(n_steps)]  # k at each step
    # Rows in each model's batch at each step (the last batch may be short).
    rows = [[min(bs, n - t * bs) for n in ns] for t in range(n_steps)]

    # Inputs with a constant-1 column after the 20 features: layer 1's bias rides in its bmm.
    n_in = jobs[0].x.shape[1]
    x_all = torch.zeros(m_count, max(ns), n_in + 1, dtype=dt)
    x_all[:, :, n_in] = 1.0
    y_all = torch.zeros(m_count, max(ns), dtype=dt)
    # Loss-gradient weight of each position of an epoch: 2 / b on real rows
    # (d mean((out - y)^2) / d out), 0 on the padding after a model's last row.
    weight = torch.zeros(m_count, width, dtype=dt)
    for m, job in enumerate(jobs):
        x_all[m, : job.n, :n_in] = torch.as_tensor(job.x, dtype=dt)
        y_all[m, : job.n] = torch.as_tensor(job.y, dtype=dt)
        per_row = np.zeros(width)
        per_row[: job.n] = (
            2.0 / np.repeat([min(bs, job.n - t * bs) for t in range(steps[m])], bs)[: job.n]
        )
        weight[m] = torch.from_numpy(per_row)
    x_all, y_all, weight = x_all.to(dev), y_all.to(dev), weight.to(dev)
    w_steps = weight.view(m_count, n_steps, bs, 1).unbind(1)

    shufflers = [shuffle_generator(j.seed) for j in jobs]
    seeds = [j.seed for j in jobs]
    masks = (
        None
        if recipe.dropout == 0
        else (ExactMasks if recipe.dropout_mask == "exact" else PoolMasks)(seeds, recipe, dev)
    )
    workspaces: dict[int, _Workspace] = {}
    kernels = cpu_kernels.load() if dev.type == "cpu" and dt == torch.float32 else None
    x_ep = torch.empty(m_count, n_steps, bs, n_in + 1, dtype=dt, device=dev)
    y_ep = torch.empty(m_count, n_steps, bs, 1, dtype=dt, device=dev)
    x_steps, y_steps = x_ep.unbind(1), y_ep.unbind(1)
    idx = torch.zeros(m_count, width, dtype=torch.int64)
    row_base = torch.arange(m_count, dtype=torch.int64).unsqueeze(1) * max(ns)
    for epoch in range(recipe.epochs):
        for m, job in enumerate(jobs):
            idx[m, : job.n] = torch.randperm(job.n, generator=shufflers[m])
        idx_dev = (idx + row_base).view(-1).to(dev)
        # This epoch's batches, into x_ep [M, steps, batch, 21] and y_ep [M, steps, batch, 1]; index_select
        # on the flattened rows is several times faster than gather with an expanded index.
        torch.index_select(x_all.view(-1, n_in + 1), 0, idx_dev, out=x_ep.view(-1, n_in + 1))
        torch.index_select(y_all.view(-1), 0, idx_dev, out=y_ep.view(-1))
        if masks is not None:
            masks.new_epoch(steps)
        for t in range(n_steps):
            k = active[t]
            ws = workspaces.get(k) or workspaces.setdefault(k, _Workspace(stack, k, bs))
            if k == m_count:
                x, y, w = x_steps[t], y_steps[t], w_steps[t]
            else:
                x, y, w = x_steps[t][:k], y_steps[t][:k], w_steps[t][:k]
            if kernels is not None:
                mk_args = masks.kernel_args(t, k, rows[t]) if masks is not None else _NO_MASKS
                _step_fused(ws, kernels, x, y, w, mk_args)
                stack.adam_blocks(k, recipe, kernels, ws.c_sizes, ws.c_grads)
            else:
                mk = masks.masks(t, k, rows[t]) if masks is not None else None
                _step(ws, x, y, w, mk)
                stack.adam(k, recipe)
        if progress is not None:
            progress(epoch + 1, recipe.epochs)


class _Workspace:
    """Every buffer one step of the first k models reads or writes, made once per k.

    Parameter views; activations and their gradients; gradient blocks, which
    the torch path packs into the flat gradient rows with one ``torch.cat``
    and the C Adam reads where they are. Every op writes into these (``out=``), so a step allocates nothing
    and touches the same few MB each time; on 2 cores the two worker
    processes share the L3 cache, and a smaller, stable working set is what
    keeps them from slowing each other down.
    """

    def __init__(self, stack: Stack, k: int, batch: int) -> None:
        self.params = stack.prefix(k)
        w1b1, w2 = self.params[0], self.params[1]
        hidden = w2.shape[2]
        new = functools.partial(torch.empty, dtype=w2.dtype, device=w2.device)
        self.z1, self.h1, self.z2, self.h2 = (new(k, batch, hidden) for _ in range(4))
        self.gp1, self.gp2 = new(k, batch, hidden), new(k, batch, hidden)  # C kernels: GELU' * mask
        self.d2, self.d1 = new(k, batch, hidden), new(k, batch, hidden)  # layer 2 / 1 gradients
        self.out = new(k, batch, 1)
        self.g1 = new(w1b1.shape)  # w1 and b1 [k, 21, H]
        self.g2 = new(w2.shape)  # w2 [k, H, H]
        self.gb2 = new(k, hidden)  # b2 [k, H]
        self.g3 = new(k, hidden)  # w3 [k, H], its flat order
        self.gb3 = new(k, 1)  # b3 [k, 1]
        self.parts = [self.g1.view(k, -1), self.g2.view(k, -1), self.gb2, self.g3, self.gb3]
        self.grad = stack.grad_flat[:k]
        # For the C kernels: sizes, and addresses that stay fixed for the whole run.
        self.k, self.batch, self.hidden = k, batch, hidden
        w3_t, b3 = self.params[3], self.params[4]
        self.p_stride = stack.flat.stride(0)  # w3, b2, b3 of model i: i rows of flat further
        self.ptr = {
            name: getattr(self, name).data_ptr()
            for name in ("z1", "gp1", "h1", "z2", "gp2", "h2", "d2", "d1", "g3", "gb3", "gb2")
        }
        self.ptr["w3"], self.ptr["b3"] = w3_t.data_ptr(), b3.data_ptr()
        self.ptr["b2"] = self.params[2].data_ptr()
        # The gradient blocks, in flat-row order, for the C Adam.
        self.c_sizes = (ctypes.c_long * len(self.parts))(*(t.shape[1] for t in self.parts))
        self.c_grads = (ctypes.c_void_p * len(self.parts))(*(t.data_ptr() for t in self.parts))


def _step(
    ws: _Workspace,
    x: torch.Tensor,
    y: torch.Tensor,
    w: torch.Tensor,
    masks: tuple[torch.Tensor, torch.Tensor] | None,
) -> None:
    """Forward and hand-written backward of the first k models; gradients into the flat rows."""
    w1b1, w2, b2, w3_t, b3, w2_t = ws.params
    # Forward. x [k, B, 21] (last column 1) -> z1, h1 [k, B, H] -> z2, h2 [k, B, H] -> out [k, B, 1]
    z1 = torch.bmm(x, w1b1, out=ws.z1)
    h1 = gelu(z1, out=ws.h1)
    if masks is not None:
        h1.mul_(masks[0])
    z2 = torch.baddbmm(b2, h1, w2, out=ws.z2)
    h2 = gelu(z2, out=ws.h2)
    if masks is not None:
        h2.mul_(masks[1])
    # The one-unit output layer as multiply-and-sum: bmm with N=1 (and its backward, below)
    # cost several times as much as the elementwise form at this size.
    out = torch.sum(torch.mul(h2, w3_t, out=ws.d2), 2, keepdim=True, out=ws.out).add_(b3)
    # Backward of mean squared error; padding rows have weight 0.
    d_out = out.sub_(y).mul_(w)  # [k, B, 1]
    d_h2 = torch.mul(d_out, w3_t, out=ws.d2)  # [k, B, H]
    if masks is not None:
        d_h2.mul_(masks[1])
    d_z2 = gelu_backward(d_h2, z2, grad_input=ws.d2)
    d_h1 = torch.bmm(d_z2, w2_t, out=ws.d1)
    if masks is not None:
        d_h1.mul_(masks[0])
    d_z1 = gelu_backward(d_h1, z1, grad_input=ws.d1)
    torch.bmm(x.transpose(1, 2), d_z1, out=ws.g1)  # w1 and b1: the 1-column gives b1's sum
    torch.bmm(h1.transpose(1, 2), d_z2, out=ws.g2)
    torch.sum(d_z2, 1, out=ws.gb2)
    torch.sum(h2.mul_(d_out), 1, out=ws.g3)  # h2 is not needed after this
    torch.sum(d_out, 1, out=ws.gb3)
    # Separate results then one copy: bmm(out=<strided view>) is several times slower.
    torch.cat(ws.parts, dim=1, out=ws.grad)


def _step_fused(
    ws: _Workspace,
    kern: Kernels,
    x: torch.Tensor,
    y: torch.Tensor,
    w: torch.Tensor,
    masks: MaskArgs,
) -> None:
    """``_step`` with the elementwise work in the C kernels (float32 on the CPU).

    The matmuls stay torch's. Each layer's bias, GELU and dropout is one
    pass that also stores GELU'(z) * mask for the backward; the output head
    down to layer 2's pre-activation gradient (with the b2, w3, b3
    gradients) one more; masks are read in place. The gradients stay in
    their blocks: the C Adam (called next) reads them there.
    """
    w1b1, w2, _, _, _, w2_t = ws.params
    k, rows, hidden, p = ws.k, ws.batch, ws.hidden, ws.ptr
    (m1, o1, s1), (m2, o2, s2) = masks
    torch.bmm(x, w1b1, out=ws.z1)
    kern.gelu_forward(k, rows, hidden, p["z1"], None, 0, m1, o1, s1, p["gp1"], p["h1"])
    torch.bmm(ws.h1, w2, out=ws.z2)
    kern.gelu_forward(k, rows, hidden, p["z2"], p["b2"], ws.p_stride, m2, o2, s2, p["gp2"], p["h2"])
    kern.head(
        k, rows, hidden, p["h2"], p["w3"], p["b3"], ws.p_stride,
        y.data_ptr(), y.stride(0), w.data_ptr(), w.stride(0),
        p["gp2"], p["d2"], p["g3"], p["gb3"], p["gb2"],
    )  # fmt: skip
    torch.bmm(ws.d2, w2_t, out=ws.d1)
    kern.gelu_backward(k, rows * hidden, p["gp1"], p["d1"])
    torch.bmm(x.transpose(1, 2), ws.d1, out=ws.g1)
    torch.bmm(ws.h1.transpose(1, 2), ws.d2, out=ws.g2)
