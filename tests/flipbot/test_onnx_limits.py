"""onnxruntime sessions built and run in a child process under memory, CPU and wall-clock limits:
real ONNX files (allowlisted ops, the members' interface) that ask for too much are stopped, an
honest one runs and gives the same numbers as in-process onnxruntime."""

from __future__ import annotations

import time

import numpy as np
import onnxruntime as ort
import pytest
from hostile_models import endless_loop_model, huge_constant_model, huge_expand_model

from flipbot.onnx_contract import check_onnx_contract
from flipbot.onnx_limits import Limits, ModelRunError, run_bounded, run_bounded_all

ROWS = 2000
FEEDS = {
    "features": np.random.default_rng(0).normal(size=(ROWS, 6)).astype(np.float32),
    "codec_onehot": np.zeros((ROWS, 14), np.float32),
}


def refusal(model: bytes, limits: Limits) -> tuple[str, float]:
    check_onnx_contract(model, "hostile.onnx")  # nothing static to object to
    t0 = time.perf_counter()
    with pytest.raises(ModelRunError) as err:
        run_bounded(model, FEEDS, ["score"], limits)
    return err.value.reason, time.perf_counter() - t0


@pytest.mark.parametrize(
    "model",
    [huge_constant_model(), huge_expand_model()],
    ids=["ConstantOfShape 16 GiB", "Expand 3.1 GB at run time"],
)
def test_a_huge_allocation_is_stopped_at_the_memory_limit(model: bytes) -> None:
    reason, seconds = refusal(model, Limits())
    assert reason.startswith("over the memory limit of 2 GiB (RLIMIT_AS): "), reason
    assert "allocate" in reason.lower() and seconds < 30.0


def test_an_endless_loop_is_stopped_at_the_wall_clock_limit() -> None:
    reason, seconds = refusal(endless_loop_model(), Limits(wall_seconds=2.0))
    assert reason == "stopped after 2 s (wall-clock limit, session build included)"
    assert 2.0 <= seconds < 6.0


def test_an_endless_loop_is_stopped_at_the_cpu_limit() -> None:
    reason, seconds = refusal(endless_loop_model(), Limits(cpu_seconds=1, wall_seconds=60.0))
    assert reason == "stopped at the CPU time limit of 1 s (RLIMIT_CPU)"
    assert seconds < 30.0


def test_an_honest_model_gives_what_onnxruntime_gives_in_process() -> None:
    model = huge_expand_model(width=8)  # [rows, 6, 8] summed: 8 x the sum of the features
    run = run_bounded(model, FEEDS, ["score"])
    (direct,) = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(
        ["score"], FEEDS
    )
    assert run.outputs[0].dtype == np.float32 and run.outputs[0].shape == (ROWS,)
    np.testing.assert_array_equal(run.outputs[0], direct)
    np.testing.assert_allclose(run.outputs[0], 8 * FEEDS["features"].sum(axis=1), rtol=1e-5)
    assert run.signature.inputs == {"features": ["batch", 6], "codec_onehot": ["batch", 14]}
    assert run.signature.outputs == ["score"]


def test_a_file_onnxruntime_cannot_read_is_its_error() -> None:
    with pytest.raises(ModelRunError) as err:
        run_bounded(b"not an onnx file", FEEDS, ["score"])
    assert err.value.signature is None and "INVALID_PROTOBUF" in err.value.reason


def test_in_a_batch_the_job_that_went_over_is_named_and_the_others_ran() -> None:
    honest = huge_expand_model(width=4)
    with pytest.raises(ModelRunError) as err:
        run_bounded_all([(honest, FEEDS), (huge_expand_model(), FEEDS), (honest, FEEDS)], ["score"])
    assert err.value.index == 1 and "memory limit" in err.value.reason
    runs = run_bounded_all([(honest, FEEDS), (huge_expand_model(width=2), FEEDS)], ["score"])
    np.testing.assert_allclose(runs[0].outputs[0], 2 * runs[1].outputs[0], rtol=1e-6)
