"""The checks an exported model must pass before it may ship (SPEC §7).

The static contract (allowlist, interface, external data, size, checker) is
``flipbot.onnx_contract``, shared with the bot; here it only changes error type:
on the trainer's side a model that fails it is a bug in the exporter. What is
left here needs torch: onnxruntime's output matches torch's on real corpus rows.

Each failed check raises ``ExportCheckError`` naming the model and the check.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

from flipbot.errors import InputError
from flipbot.onnx_contract import INPUT_SHAPES, OUTPUT_SHAPES, checked_model

PARITY_TOLERANCE = 1e-4  # VMAF points, max abs difference onnxruntime vs torch


class ExportCheckError(Exception):
    """An exported model failed a check: a bug in the exporter, never shipped."""


def check_model_bytes(data: bytes, name: str) -> onnx.ModelProto:
    """Run every static check of ``flipbot.onnx_contract`` on one exported model."""
    try:
        return checked_model(data, name)
    except InputError as exc:
        raise ExportCheckError(str(exc)) from None


@dataclass(frozen=True)
class Parity:
    """onnxruntime vs torch over the given rows, in VMAF points."""

    max_abs_diff: float  # vs the float32 torch module that is exported: the checked number
    # vs the same weights evaluated in float64 by torch: how far onnxruntime is from the
    # exact function. Both float32 engines round differently (each ~4e-5 from it on
    # VMAF-sized outputs), so their difference is the larger of the two.
    vs_float64: float


def measure_parity(
    data: bytes, model: nn.Module, features: np.ndarray, codec: np.ndarray
) -> Parity:
    """Run the ONNX bytes in onnxruntime and the module in torch on the same float32 rows."""
    feats = np.ascontiguousarray(features, dtype=np.float32)  # [n, 6]
    codes = np.ascontiguousarray(codec, dtype=np.float32)  # [n, 14]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    names = list(INPUT_SHAPES)
    (ort_out,) = session.run(list(OUTPUT_SHAPES), {names[0]: feats, names[1]: codes})
    model = model.to("cpu").eval()
    with torch.no_grad():
        t32 = model.float()(torch.from_numpy(feats), torch.from_numpy(codes)).numpy()
        exact = copy.deepcopy(model).double()
        t64 = exact(torch.from_numpy(feats).double(), torch.from_numpy(codes).double()).numpy()
    if ort_out.shape != t32.shape:
        raise ExportCheckError(f"onnxruntime output {ort_out.shape} != torch output {t32.shape}")
    got = ort_out.astype(np.float64)
    return Parity(
        max_abs_diff=float(np.max(np.abs(got - t32.astype(np.float64)))),
        vs_float64=float(np.max(np.abs(got - t64))),
    )
