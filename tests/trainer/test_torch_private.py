"""The private torch entry points the trainer calls, each checked in one place.

``trainer/batched.py``, ``trainer/stack.py`` and ``trainer/cpu_kernels.py`` use
torch internals for speed (docs/PERFORMANCE.md says why each one). They are not
public API: a torch upgrade may move or change them. Each test resolves one by its
dotted name and calls it the way the trainer does, so an upgrade fails here, loudly,
with the entry point's name, rather than deep inside a training run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

torch = pytest.importorskip("torch")

# name -> (how the trainer calls it, as a check that raises on a change)
ENTRY_POINTS: dict[str, str] = {
    "torch._C._nn.gelu": "batched.py: gelu(z, out=h) (the public stub has no out=)",
    "torch.ops.aten.gelu_backward.grad_input": "batched.py: the out= form of GELU's backward",
    "torch.ops.aten.gelu_backward": "cpu_kernels.py: the reference the C kernels are checked on",
    "torch._fused_adam_": "stack.py, cpu_kernels.py: one fused Adam step over row lists",
}


def resolve(name: str) -> Any:
    """``torch.a.b.c`` -> the object, or a failure naming the first missing part."""
    parts = name.split(".")
    try:
        return functools.reduce(getattr, parts[1:], torch)
    except (AttributeError, RuntimeError) as exc:
        pytest.fail(
            f"{name} is gone in torch {torch.__version__} ({exc}); the trainer uses it in "
            f"{ENTRY_POINTS.get(name, '?')}: pin torch back in requirements/train.txt or replace the call",
            pytrace=False,
        )


def call(name: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except (TypeError, RuntimeError) as exc:
        pytest.fail(
            f"{name} changed its signature in torch {torch.__version__} ({exc}); the trainer "
            f"calls it in {ENTRY_POINTS[name]}",
            pytrace=False,
        )


def test_gelu_with_out_matches_the_public_gelu() -> None:
    gelu = resolve("torch._C._nn.gelu")
    z = torch.linspace(-3.0, 3.0, 13)
    out = torch.empty_like(z)
    got = call("torch._C._nn.gelu", lambda: gelu(z, out=out))
    assert got.data_ptr() == out.data_ptr(), "torch._C._nn.gelu no longer writes into out="
    torch.testing.assert_close(out, torch.nn.functional.gelu(z))


def test_gelu_backward_grad_input_writes_into_out() -> None:
    backward = resolve("torch.ops.aten.gelu_backward.grad_input")
    z = torch.linspace(-3.0, 3.0, 13, requires_grad=True)
    torch.nn.functional.gelu(z).sum().backward()
    out = torch.empty(13)
    call(
        "torch.ops.aten.gelu_backward.grad_input",
        lambda: backward(torch.ones(13), z.detach(), grad_input=out),
    )
    torch.testing.assert_close(out, z.grad)


def test_gelu_backward_is_the_derivative() -> None:
    backward = resolve("torch.ops.aten.gelu_backward")
    z = torch.linspace(-3.0, 3.0, 13, requires_grad=True)
    torch.nn.functional.gelu(z).sum().backward()
    got = call("torch.ops.aten.gelu_backward", lambda: backward(torch.ones(13), z.detach()))
    torch.testing.assert_close(got, z.grad)


def test_fused_adam_matches_torch_optim_adam() -> None:
    fused = resolve("torch._fused_adam_")
    hp = {"lr": 1e-2, "beta1": 0.9, "beta2": 0.999, "weight_decay": 1e-5, "eps": 1e-8}
    g = torch.Generator().manual_seed(0)
    start, grads = torch.randn(2, 5, generator=g), torch.randn(2, 5, generator=g)
    params = [r.clone() for r in start]
    m, v = [torch.zeros(5) for _ in range(2)], [torch.zeros(5) for _ in range(2)]
    steps = [torch.ones((), dtype=torch.float32) for _ in range(2)]
    call(
        "torch._fused_adam_",
        lambda: fused(params, list(grads), m, v, [], steps, amsgrad=False, maximize=False, **hp),
    )
    ref = start.clone().requires_grad_(True)
    opt = torch.optim.Adam([ref], lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]),
                           eps=hp["eps"], weight_decay=hp["weight_decay"])  # fmt: skip
    ref.grad = grads.clone()
    opt.step()
    torch.testing.assert_close(torch.stack(params), ref.detach())


def test_a_missing_entry_point_fails_with_its_name() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"torch\._C\._nn\.no_such_gelu is gone"):
        resolve("torch._C._nn.no_such_gelu")


def test_every_private_call_in_the_trainer_is_listed() -> None:
    """A new private call must get a test here: scan the trainer for torch._ / torch.ops."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "trainer"
    found = {
        m.group(0)
        for path in root.glob("*.py")
        for m in re.finditer(r"torch\.(?:_(?!_)[A-Za-z_.]+|ops\.[A-Za-z_.]+)", path.read_text())
    }
    listed = set(ENTRY_POINTS)
    assert found - listed == set(), f"unlisted private torch calls: {sorted(found - listed)}"
