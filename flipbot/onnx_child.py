"""The child process that builds and runs one onnxruntime session under limits.

Started by ``flipbot.onnx_limits.run_bounded`` as ``python -c`` with one JSON
argument: the work folder, the rlimits, the output names. It lowers its own
rlimits first (address space, CPU seconds, file size, no core file), then
imports numpy and onnxruntime, then for each job ``i`` in order reads
``in{i}.npz`` (the model's bytes and the inputs; no pickles), builds the
session, writes ``signature{i}.json`` (input names and shapes, output
names), runs it and writes ``out{i}.npz``; the first job without an output
is the one that failed. Exit codes:
0 done; 1 onnxruntime refused or failed (one line on stderr); a signal when a
limit killed it (SIGXCPU for CPU time; the parent's timeout kills with SIGKILL).
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path
from typing import Any

EXIT_FAILED = 1


def _limit(spec: dict[str, Any]) -> None:
    for name, value in (
        ("RLIMIT_AS", spec["memory_bytes"]),
        ("RLIMIT_CPU", spec["cpu_seconds"]),
        ("RLIMIT_FSIZE", spec["file_bytes"]),
        ("RLIMIT_CORE", 0),
    ):
        which = getattr(resource, name)
        _, hard = resource.getrlimit(which)
        soft = value if hard == resource.RLIM_INFINITY else min(value, hard)
        # CPU: the soft limit sends SIGXCPU; the hard one, a second later, SIGKILL.
        new_hard = soft + 1 if name == "RLIMIT_CPU" and hard == resource.RLIM_INFINITY else soft
        try:
            resource.setrlimit(which, (soft, new_hard))
        except (ValueError, OSError):  # e.g. RLIMIT_AS on macOS: the wall-clock limit still holds
            print(f"flipbot: {name} could not be set on this system", file=sys.stderr)


def _fail(text: str) -> int:
    print(" ".join(text.split())[:500], file=sys.stderr)
    return EXIT_FAILED


def run(spec: dict[str, Any]) -> int:
    _limit(spec)
    import numpy as np
    import onnxruntime as ort

    work = Path(spec["work"])
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 4  # failures are reported below, not as stderr noise
    for i in range(spec["jobs"]):
        with np.load(work / f"in{i}.npz", allow_pickle=False) as archive:
            model: bytes | str = (
                str(archive["model_path"])
                if "model_path" in archive.files
                else archive["model"].tobytes()
            )
            feeds = {k[3:]: archive[k] for k in archive.files if k.startswith("in:")}
        try:
            session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
            inputs = session.get_inputs()
            signature = {
                "inputs": {x.name: list(x.shape) if x.shape else None for x in inputs},
                "outputs": [o.name for o in session.get_outputs()],
            }
            (work / f"signature{i}.json").write_text(json.dumps(signature))
            outputs = session.run(list(spec["outputs"]), feeds)
        except MemoryError:
            return _fail("MemoryError: out of memory")
        except Exception as exc:  # onnxruntime raises its own types (Fail, InvalidGraph, ...)
            return _fail(f"{type(exc).__name__}: {exc}")
        arrays = {}
        for name, value in zip(spec["outputs"], outputs, strict=True):
            if not isinstance(value, np.ndarray) or value.dtype.hasobject:
                return _fail(f"output '{name}' is a {type(value).__name__}, not a tensor")
            arrays[f"out:{name}"] = value
        del session, outputs, feeds, model
        with open(work / f"out{i}.npz", "wb") as fh:
            np.savez(fh, allow_pickle=False, **arrays)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    return run(json.loads(args[0]))
