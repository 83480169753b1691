"""Real ONNX members that pass the static contract (allowlisted ops, the right interface) but
ask onnxruntime for too much: memory at session build or at run time, or endless time."""

from __future__ import annotations

from onnx import TensorProto, helper

F = TensorProto.FLOAT
INPUTS = [
    helper.make_tensor_value_info("features", F, ["batch", 6]),
    helper.make_tensor_value_info("codec_onehot", F, ["batch", 14]),
]
OUTPUT = [helper.make_tensor_value_info("score", F, ["batch"])]


def _int64(name: str, values: list[int], dims: list[int] | None = None) -> object:
    shape = [len(values)] if dims is None else dims
    tensor = helper.make_tensor(name + "_v", TensorProto.INT64, shape, values)
    return helper.make_node("Constant", [], [name], value=tensor)


def _model(nodes: list[object]) -> bytes:
    graph = helper.make_graph(nodes, "g", INPUTS, OUTPUT)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    return model.SerializeToString()


def huge_constant_model(side: int = 2**16) -> bytes:
    """ConstantOfShape of a constant [side, side] float32 (16 GiB for 2^16), summed and added to
    feature 0: onnxruntime's constant folding fills it while the session is built."""
    ones = helper.make_tensor("one", F, [1], [1.0])
    return _model(
        [
            _int64("shape", [side, side]),
            helper.make_node("ConstantOfShape", ["shape"], ["big"], value=ones),
            helper.make_node("ReduceSum", ["big"], ["total"], keepdims=0),
            _int64("col", [0], dims=[]),
            helper.make_node("Gather", ["features", "col"], ["f0"], axis=1),
            helper.make_node("Add", ["f0", "total"], ["score"]),
        ]
    )


def huge_expand_model(width: int = 2**16) -> bytes:
    """Expand of the features to [batch, 6, width] at run time (3.1 GB for 2,000 rows and 2^16),
    summed back to [batch]: small enough that the machine would hand it over unbounded."""
    return _model(
        [
            _int64("axis", [2]),
            helper.make_node("Unsqueeze", ["features", "axis"], ["f3"]),
            _int64("shape", [1, 1, width]),
            helper.make_node("Expand", ["f3", "shape"], ["wide"]),
            _int64("axes", [1, 2]),
            helper.make_node("ReduceSum", ["wide", "axes"], ["score"], keepdims=0),
        ]
    )


def endless_loop_model(trips: int = 10**12) -> bytes:
    """A Loop told to run ``trips`` times over the features, then feature 0 as the score."""
    body = helper.make_graph(
        [helper.make_node("Identity", ["cin"], ["cout"]), helper.make_node("Abs", ["v"], ["vout"])],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cin", TensorProto.BOOL, []),
            helper.make_tensor_value_info("v", F, ["batch", 6]),
        ],
        [
            helper.make_tensor_value_info("cout", TensorProto.BOOL, []),
            helper.make_tensor_value_info("vout", F, ["batch", 6]),
        ],
    )
    true = helper.make_tensor("cv", TensorProto.BOOL, [], [True])
    return _model(
        [
            _int64("m", [trips], dims=[]),
            helper.make_node("Constant", [], ["c"], value=true),
            helper.make_node("Loop", ["m", "c", "features"], ["looped"], name="spin", body=body),
            _int64("k", [0], dims=[]),
            helper.make_node("Gather", ["looped", "k"], ["score"], axis=1),
        ]
    )
