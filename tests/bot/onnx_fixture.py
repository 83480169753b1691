"""Real, small ensemble members for the bot's tests: a linear model as an ONNX graph (SPEC §7).

The bot checks every ONNX file it ships (contract and behaviour on the pinned corpus), so
its test inputs are real models: least squares of VMAF on the standardised features and
the codec block of the fixture corpus (in-sample PLCC 0.998 on its 600 rows), written with
``onnx.helper`` (no torch) as Concat -> MatMul -> Add -> Reshape, opset 17, inputs
``features`` [batch, 6] and ``codec_onehot`` [batch, 14], output ``score`` [batch]. Each seed
and generation nudges the weights a little, so the files differ while the members agree.
"""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CORPUS_FILE = Path(__file__).resolve().parents[1] / "action/data/corpus_small.jsonl.gz"
FEATURES = ("adm2", "vif_scale0", "vif_scale1", "vif_scale2", "vif_scale3", "motion2")
VOCAB = (
    "libx264",
    "libx265",
    "libsvtav1",
    "libvvenc",
    "libvpx-vp9",
    "h264_nvenc",
    "hevc_nvenc",
    "av1_nvenc",
    "h264_qsv",
    "hevc_qsv",
    "av1_qsv",
    "unknown",
)


@functools.cache
def fitted() -> tuple[np.ndarray, float, tuple[float, ...], tuple[float, ...]]:
    """(weights [20], bias, feature mean, feature std) of the least-squares fit."""
    rows = [json.loads(line) for line in gzip.decompress(CORPUS_FILE.read_bytes()).splitlines()]
    x = np.array([[r[k] for k in FEATURES] for r in rows], dtype=np.float64)
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std < 1e-8] = 1.0
    cq = np.array([r["cq"] for r in rows], dtype=np.float64)
    codec = np.zeros((len(rows), 14))
    for i, r in enumerate(rows):
        codec[i, VOCAB.index(r["encoder"]) if r["encoder"] in VOCAB else 11] = 1.0
    codec[:, 12] = 0.5
    codec[:, 13] = (cq - cq.min()) / max(cq.max() - cq.min(), 1e-12)
    a = np.concatenate([(x - mean) / std, codec, np.ones((len(rows), 1))], axis=1)
    w, *_ = np.linalg.lstsq(a, np.array([r["vmaf"] for r in rows]), rcond=None)
    return w[:20], float(w[20]), tuple(mean.tolist()), tuple(std.tolist())


@functools.cache
def member_onnx(seed: int, generation: int = 0) -> bytes:
    w, b, _, _ = fitted()
    nudge = np.random.default_rng([seed, generation]).normal(0.0, 1e-3, 20)
    weights = (w * (1.0 + nudge)).astype(np.float32).reshape(20, 1)
    graph = helper.make_graph(
        [
            helper.make_node("Concat", ["features", "codec_onehot"], ["x"], axis=1),
            helper.make_node("MatMul", ["x", "w"], ["y"]),
            helper.make_node("Add", ["y", "b"], ["z"]),
            helper.make_node("Reshape", ["z", "shape"], ["score"]),
        ],
        f"member_seed{seed}_gen{generation}",
        [
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 6]),
            helper.make_tensor_value_info("codec_onehot", TensorProto.FLOAT, ["batch", 14]),
        ],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch"])],
        [
            numpy_helper.from_array(weights, "w"),
            numpy_helper.from_array(np.array([b + 1e-4 * generation], np.float32), "b"),
            numpy_helper.from_array(np.array([-1], np.int64), "shape"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()
