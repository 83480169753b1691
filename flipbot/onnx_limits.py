"""Bounded model work: an onnxruntime session is built and run in a child process under limits.

An ONNX file from the training side that passes the operator allowlist can
still ask for a huge allocation (``ConstantOfShape`` or ``Expand`` to a very
large shape) or spin (a ``Loop`` told to run 10^12 times), and onnxruntime
does either inside one native call that no Python timer interrupts; the
session's build (constant folding) can do it too. So the whole of it, build
included, runs in a child (``flipbot.onnx_child``) whose address space and
CPU seconds are capped by rlimits, under a wall-clock timeout after which
the parent kills it. A model over a limit is a :class:`ModelRunError` that
names the limit; the caller turns it into exit 2 naming the file. The bot
itself never holds the model's memory: its peak RSS stays what it was before
the session (measurements in docs/PERFORMANCE.md).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]  # holds the flipbot package
_CHILD = "import sys; sys.path.insert(0, sys.argv[1]); from flipbot.onnx_child import main; "
_CHILD += "sys.exit(main(sys.argv[2:]))"


@dataclass(frozen=True)
class Limits:
    """What a child may use. The child that runs the demo's 5 members on 2,000 rows peaks at
    182 MiB RSS (200 MB of address space after its imports) and 10 ms of CPU per member;
    these are far above (docs/PERFORMANCE.md)."""

    memory_bytes: int = 2 * 1024**3  # RLIMIT_AS of the child (interpreter and imports included)
    cpu_seconds: int = 60  # RLIMIT_CPU of the child (SIGXCPU, then SIGKILL a second later)
    wall_seconds: float = 30.0  # start, session build and run; then the child is killed
    file_bytes: int = 256 * 1024**2  # RLIMIT_FSIZE: the outputs the child may write back


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Signature:
    inputs: dict[str, list[Any] | None]  # name -> shape (ints, names of free dims, or None)
    outputs: list[str]


@dataclass(frozen=True)
class BoundedRun:
    outputs: list[np.ndarray]
    signature: Signature


class ModelRunError(Exception):
    """The model could not be built or run, or went over a limit; ``reason`` says which."""

    def __init__(self, reason: str, signature: Signature | None = None, index: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.signature = signature
        self.index = index  # which job of a batch


def _gib(n: int) -> str:
    return f"{n / 1024**3:g} GiB"


def _signature(work: Path, index: int) -> Signature | None:
    path = work / f"signature{index}.json"
    if not path.is_file():
        return None
    doc = json.loads(path.read_text())
    return Signature(dict(doc["inputs"]), list(doc["outputs"]))


def _killed_reason(code: int, stderr: str, limits: Limits) -> str:
    """Why the child ended with ``code`` (negative: the signal that ended it)."""
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        return f"stopped at the CPU time limit of {limits.cpu_seconds} s (RLIMIT_CPU)"
    if code == -signal.SIGXFSZ:
        return f"its outputs exceed {limits.file_bytes} bytes (RLIMIT_FSIZE)"
    memory = f"the memory limit of {_gib(limits.memory_bytes)} (RLIMIT_AS)"
    if "alloc" in stderr.lower() or "memory" in stderr.lower():
        return f"over {memory}: {stderr}"
    if code < 0:
        return f"the child was ended by signal {signal.Signals(-code).name} (limits: {memory})"
    return stderr or f"the onnxruntime child exited {code}"


def run_bounded(
    model: bytes | str,
    feeds: dict[str, np.ndarray],
    outputs: list[str],
    limits: Limits = DEFAULT_LIMITS,
) -> BoundedRun:
    """Build ``model``'s session and run it on ``feeds`` in a child under ``limits``."""
    return run_bounded_all([(model, feeds)], outputs, limits)[0]


def run_bounded_all(
    jobs: Sequence[tuple[bytes | str, dict[str, np.ndarray]]],
    outputs: list[str],
    limits: Limits = DEFAULT_LIMITS,
) -> list[BoundedRun]:
    """Each job's session built and run, in order, in one child under ``limits`` (one start for
    all of them; the limits cover the whole batch). A :class:`ModelRunError`'s ``index`` is the
    job that was running when it failed or went over a limit."""
    with tempfile.TemporaryDirectory(prefix="flipbot-onnx-") as tmp:
        work = Path(tmp)
        for i, (model, feeds) in enumerate(jobs):
            arrays: dict[str, np.ndarray] = {f"in:{k}": v for k, v in feeds.items()}
            if isinstance(model, str):  # the path of a private copy with its external data
                arrays["model_path"] = np.array(model)
            else:
                arrays["model"] = np.frombuffer(model, dtype=np.uint8)
            with open(work / f"in{i}.npz", "wb") as fh:
                np.savez(fh, allow_pickle=False, **arrays)
        spec = asdict(limits) | {"work": str(work), "outputs": list(outputs), "jobs": len(jobs)}
        spec.pop("wall_seconds")
        cmd = [sys.executable, "-B", "-E", "-s", "-c", _CHILD, str(ROOT), json.dumps(spec)]
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=limits.wall_seconds, cwd=tmp
            )
            reason = ""
            if done.returncode != 0:
                stderr = " ".join(done.stderr.split())[-500:]
                reason = _killed_reason(done.returncode, stderr, limits)
        except subprocess.TimeoutExpired:
            reason = f"stopped after {limits.wall_seconds:g} s (wall-clock limit, session build "
            reason += "included)"
        results = []
        for i in range(len(jobs)):
            signature = _signature(work, i)
            if reason and not (work / f"out{i}.npz").is_file():
                raise ModelRunError(reason, signature, i)
            if signature is None or not (work / f"out{i}.npz").is_file():
                raise ModelRunError("the onnxruntime child wrote no result", signature, i)
            with np.load(work / f"out{i}.npz", allow_pickle=False) as archive:
                results.append(BoundedRun([archive[f"out:{n}"] for n in outputs], signature))
        return results
