"""One trained FrRegressor -> the bytes of one self-contained ONNX file (SPEC §7).

The graph contract consumers rely on: opset 17, inputs ``features`` float32
[batch, 6] and ``codec_onehot`` float32 [batch, 14], output ``score`` float32
[batch], a dynamic batch axis, and every weight stored inside the one file so
its sha256 covers them.

We use the TorchScript exporter (``dynamo=False``): 0.07 s a seed against ~1 s
for the dynamo exporter, which also needs ``onnxscript`` (SPEC §12). For the
same weights and library versions it writes the same bytes every time (no
timestamps, deterministic node names), so a rerun gives the same sha256.
"""

from __future__ import annotations

import io
import warnings

import torch
from torch import nn

from flipbot.features import FEATURE_ORDER, NUM_CODECS
from flipbot.onnx_contract import BATCH_AXIS, INPUT_SHAPES, OPSET, OUTPUT_SHAPES


def to_onnx_bytes(model: nn.Module) -> bytes:
    """Export ``model`` (eval mode, float32, on the CPU) to ONNX bytes."""
    model = model.to("cpu", torch.float32).eval()
    # A batch of 2 so the tracer cannot specialise the batch axis to 1.
    example = (torch.zeros(2, len(FEATURE_ORDER)), torch.zeros(2, NUM_CODECS))
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # The legacy-exporter deprecation notice is expected: we choose it on purpose.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            example,
            buf,  # type: ignore[arg-type]  # the TorchScript exporter accepts a file object
            dynamo=False,
            opset_version=OPSET,
            input_names=list(INPUT_SHAPES),
            output_names=list(OUTPUT_SHAPES),
            dynamic_axes={name: {0: BATCH_AXIS} for name in (*INPUT_SHAPES, *OUTPUT_SHAPES)},
            do_constant_folding=True,
        )
    return buf.getvalue()
