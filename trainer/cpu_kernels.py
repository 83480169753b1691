"""Fused float32 CPU kernels (``cpu_kernels.c``), compiled on first use.

Four one-pass functions replace about twenty torch calls of the stacked
trainer's CPU step: bias + GELU + dropout of a layer (also storing
GELU'(z) * mask for the backward), the GELU backward, the output head with
the loss and layer 2's GELU backward, and Adam reading the gradient blocks
in place. The matmuls stay torch's (MKL).

Built with the system C compiler into ``$XDG_CACHE_HOME/flipbot/kernels``
(keyed by the source's and flags' sha256) and used only where it can be
(x86-64 Linux with AVX2/FMA, glibc's libmvec, float32, CPU) and after it
reproduced torch on random data to 1e-5; otherwise, or with
``FLIPBOT_CPU_KERNELS=torch``, the torch path runs. ``status()`` says which
and why. Measurements: docs/PERFORMANCE.md.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

SOURCE = Path(__file__).with_name("cpu_kernels.c")
FLAGS = ["-O3", "-mavx2", "-mfma", "-fopenmp-simd", "-fno-math-errno", "-fno-trapping-math"]
ENV_SWITCH = "FLIPBOT_CPU_KERNELS"  # "torch" turns the C kernels off

_P, _L = ctypes.c_void_p, ctypes.c_long
_SIGNATURES = {
    "gelu_forward": [_L, _L, _L, _P, _P, _L, _P, _P, _L, _P, _P],
    "gelu_backward": [_L, _L, _P, _P],
    "head": [_L, _L, _L, _P, _P, _P, _L, _P, _L, _P, _L, _P, _P, _P, _P, _P],
    "adam": [_L, _L, _P, _P, _P, _P, _P, _L, _P, *[ctypes.c_double] * 5],
}


@dataclass(frozen=True)
class Kernels:
    """The loaded library's functions (arguments: see ``cpu_kernels.c``)."""

    gelu_forward: Any
    gelu_backward: Any
    head: Any
    adam: Any


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "flipbot" / "kernels"


@functools.cache
def _load() -> tuple[Kernels | None, str]:
    if os.environ.get(ENV_SWITCH, "").lower() == "torch":
        return None, f"torch kernels ({ENV_SWITCH}=torch)"
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        return None, f"torch kernels (no C kernels for {platform.system()} {platform.machine()})"
    if torch.backends.cpu.get_cpu_capability() not in ("AVX2", "AVX512"):
        return None, "torch kernels (CPU without AVX2)"
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if compiler is None:
        return None, "torch kernels (no C compiler)"
    source = SOURCE.read_bytes()
    digest = hashlib.sha256(source + " ".join(FLAGS).encode()).hexdigest()[:16]
    target = cache_dir() / f"cpu_kernels-{digest}.so"
    try:
        if not target.exists():
            _compile(compiler, target)
        lib = ctypes.CDLL(str(target))
    except (OSError, subprocess.SubprocessError) as err:
        return None, f"torch kernels (C kernels did not build: {str(err).strip()[:200]})"
    funcs = {}
    for name, argtypes in _SIGNATURES.items():
        func = getattr(lib, name)
        func.argtypes, func.restype = argtypes, None
        funcs[name] = func
    kernels = Kernels(**funcs)
    problem = _self_test(kernels)
    if problem:
        return None, f"torch kernels (C kernels failed their self-test: {problem})"
    return kernels, "fused C kernels"


def _compile(compiler: str, target: Path) -> None:
    """Compile into a temp file beside ``target`` and rename: concurrent builds are safe."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".cpu_kernels.", suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        cmd = [compiler, *FLAGS, "-shared", "-fPIC", str(SOURCE), "-o", tmp, "-lmvec", "-lm"]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise subprocess.SubprocessError(done.stderr or f"{compiler} exited {done.returncode}")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load() -> Kernels | None:
    """The kernels, or None when the torch path must be used (``status()`` says why)."""
    return _load()[0]


def status() -> str:
    """Which CPU kernels the trainer uses, and why, e.g. ``"fused C kernels"``."""
    return _load()[1]


def reference_head(
    h2: torch.Tensor,
    w3: torch.Tensor,
    b3: torch.Tensor,
    y: torch.Tensor,
    w: torch.Tensor,
    gp2: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """What ``head`` computes, in torch ops: d2, g3, gb3, gb2 (see ``cpu_kernels.c``).

    h2, gp2 [k, B, H]; w3 [k, H]; b3 [k]; y, w [k, B].
    """
    d_out = ((h2 * w3[:, None, :]).sum(2) + b3[:, None] - y) * w  # [k, B]
    d2 = d_out[:, :, None] * w3[:, None, :] * gp2
    return d2, (h2 * d_out[:, :, None]).sum(1), d_out.sum(1), d2.sum(1)


def _self_test(kern: Kernels) -> str:
    """Empty when the kernels reproduce torch on random data (to 1e-5); else what differed."""
    g = torch.Generator().manual_seed(0)
    k, rows, hidden = 3, 5, 16
    shape = (k, rows, hidden)
    z = torch.randn(shape, generator=g) * 3
    bias = torch.randn(k, hidden, generator=g)
    # Masks read in place from a pool at per-model offsets (every other entry: m_step 2).
    pool = (torch.rand(1000, generator=g) < 0.9).float() / 0.9
    offsets = torch.tensor([7, 0, 500, 0, 123, 0])
    masks = torch.stack([pool[o : o + rows * hidden].view(rows, hidden) for o in (7, 500, 123)])
    gp, h = _poisoned(shape), _poisoned(shape)
    kern.gelu_forward(
        k, rows, hidden, z.data_ptr(), bias.data_ptr(), hidden, pool.data_ptr(),
        offsets.data_ptr(), 2, gp.data_ptr(), h.data_ptr(),
    )  # fmt: skip
    x = z + bias[:, None, :]
    checks = [
        ("GELU * mask", h, torch.nn.functional.gelu(x) * masks),
        ("GELU' * mask", gp, torch.ops.aten.gelu_backward(masks, x)),
    ]
    d = torch.randn(shape, generator=g)
    got = d.clone()
    kern.gelu_backward(k, rows * hidden, gp.data_ptr(), got.data_ptr())
    checks.append(("GELU backward", got, torch.ops.aten.gelu_backward(d * masks, x)))
    # w3 then b3 in one row per model, as in the trainer's flat parameters.
    params = torch.randn(k, hidden + 1, generator=g)
    y, w = torch.randn(k, rows, generator=g), torch.full((k, rows), 2.0 / rows)
    outs = (_poisoned(shape), _poisoned((k, hidden)), _poisoned((k,)), _poisoned((k, hidden)))
    kern.head(
        k, rows, hidden, h.data_ptr(), params.data_ptr(), params[:, hidden].data_ptr(),
        hidden + 1, y.data_ptr(), rows, w.data_ptr(), rows, gp.data_ptr(),
        *(t.data_ptr() for t in outs),
    )  # fmt: skip
    want = reference_head(h, params[:, :hidden], params[:, hidden], y, w, gp)
    checks += zip(("head d2", "head g3", "head gb3", "head gb2"), outs, want, strict=True)
    checks += _adam_checks(kern, g)
    for name, got_t, want_t in checks:
        unwritten = int(torch.isnan(got_t).sum())
        if unwritten:
            return f"{name} differs: {unwritten} of {got_t.numel()} values are NaN (not written)"
        if not torch.allclose(got_t, want_t, atol=1e-5, rtol=1e-5):
            return f"{name} differs by {(got_t - want_t).abs().max().item():.2e}"
    return ""


def _poisoned(shape: tuple[int, ...]) -> torch.Tensor:
    """An output buffer full of NaN: a kernel that writes nothing cannot pass on memory
    an earlier correct run left behind (``torch.empty`` may hand out that memory)."""
    return torch.full(shape, float("nan"))


def _adam_checks(kern: Kernels, g: torch.Generator) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """Two models with different step counts, gradients in two blocks, three steps,
    against torch's own fused Adam given the same packed gradients."""
    k, sizes = 2, (3, 5)
    hp: dict[str, Any] = dict(lr=5e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2)
    width = sum(sizes)
    param = torch.randn(k, width, generator=g)
    ours = [param.clone(), torch.zeros(k, width), torch.zeros(k, width)]
    theirs = [param.clone(), torch.zeros(k, width), torch.zeros(k, width)]
    steps = torch.tensor([0.0, 7.0])
    their_steps = [torch.tensor(0.0), torch.tensor(7.0)]
    size_arr = (ctypes.c_long * 2)(*sizes)
    for _ in range(3):
        blocks = [torch.randn(k, n, generator=g) for n in sizes]
        grad_arr = (ctypes.c_void_p * 2)(*(b.data_ptr() for b in blocks))
        kern.adam(
            k, 2, size_arr, grad_arr, *(t.data_ptr() for t in ours), width, steps.data_ptr(),
            hp["lr"], hp["beta1"], hp["beta2"], hp["eps"], hp["weight_decay"],
        )  # fmt: skip
        packed = torch.cat(blocks, dim=1)
        for s in their_steps:
            s += 1
        torch._fused_adam_(
            list(theirs[0].unbind(0)), list(packed.unbind(0)), list(theirs[1].unbind(0)),
            list(theirs[2].unbind(0)), [], their_steps, amsgrad=False, maximize=False, **hp,
        )  # fmt: skip
    return [("adam " + n, a, b) for n, a, b in zip(("param", "m", "v"), ours, theirs, strict=True)]
