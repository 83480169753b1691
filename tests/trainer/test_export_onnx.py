"""ONNX export of one network and the checks a shipped model must pass (SPEC §7)."""

from __future__ import annotations

import hashlib

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper

from flipbot.onnx_contract import ALLOWED_OPS, forbidden_ops
from trainer.model import FrRegressor
from trainer.onnx_check import ExportCheckError, check_model_bytes, measure_parity
from trainer.onnx_export import to_onnx_bytes

SPEC_ALLOWLIST = """Identity, Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Slice,
Gather, Cast, Shape, Expand, Add, Sub, Mul, Div, Neg, Abs, Sqrt, Pow, Exp, Log, Clip, Min,
Max, Sum, Mean, ReduceMean, ReduceSum, ReduceMax, ReduceMin, GlobalAveragePool,
GlobalMaxPool, Gemm, MatMul, Conv, ConvTranspose, MaxPool, AveragePool, Resize,
BatchNormalization, LayerNormalization, InstanceNormalization, Relu, LeakyRelu, Sigmoid,
Tanh, Softmax, Elu, Selu, Softplus, Softsign, Gelu, Erf, HardSigmoid, HardSwish, PRelu,
Dropout, QuantizeLinear, DequantizeLinear, Constant, ConstantOfShape, Pad, Reciprocal,
ReduceProd, GatherND, ScatterND, BitShift, Loop, If"""


def seeded_model(seed: int) -> FrRegressor:
    torch.manual_seed(seed)
    return FrRegressor().eval()


def test_allowlist_is_the_spec_list_verbatim() -> None:
    assert {w.strip() for w in SPEC_ALLOWLIST.split(",")} == ALLOWED_OPS
    assert len(ALLOWED_OPS) == 70


def test_exported_graph_has_the_shipping_interface() -> None:
    model = onnx.load_from_string(to_onnx_bytes(seeded_model(0)))
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)]

    def shape(v: onnx.ValueInfoProto) -> list[str | int]:
        return [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]

    assert [(v.name, shape(v)) for v in model.graph.input] == [
        ("features", ["batch", 6]),
        ("codec_onehot", ["batch", 14]),
    ]
    assert [(v.name, shape(v)) for v in model.graph.output] == [("score", ["batch"])]
    types = {v.type.tensor_type.elem_type for v in [*model.graph.input, *model.graph.output]}
    assert types == {TensorProto.FLOAT}
    # 5,569 float32 parameters, all inside the file
    assert sum(int(np.prod(t.dims)) for t in model.graph.initializer) == 5569
    assert all(t.data_location == TensorProto.DEFAULT for t in model.graph.initializer)
    assert forbidden_ops(model) == []
    assert "Dropout" not in {n.op_type for n in model.graph.node}  # eval mode


def test_onnxruntime_matches_torch_on_odd_batch_sizes() -> None:
    net = seeded_model(3)
    data = to_onnx_bytes(net)
    rng = np.random.default_rng(0)
    for n in (1, 7, 300):
        feats = rng.normal(size=(n, 6))
        codec = np.zeros((n, 14))
        codec[:, 0] = 1.0
        codec[:, 12] = 0.5
        codec[:, 13] = rng.uniform(size=n)
        parity = measure_parity(data, net, feats, codec)
        assert 0.0 <= parity.max_abs_diff <= 1e-4
        assert 0.0 <= parity.vs_float64 <= 1e-4
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    (out,) = session.run(
        ["score"],
        {"features": np.zeros((5, 6), np.float32), "codec_onehot": np.zeros((5, 14), np.float32)},
    )
    assert out.shape == (5,) and out.dtype == np.float32


def test_export_is_bit_exact_for_the_same_weights() -> None:
    a = to_onnx_bytes(seeded_model(1))
    b = to_onnx_bytes(seeded_model(1))
    c = to_onnx_bytes(seeded_model(2))
    assert hashlib.sha256(a).hexdigest() == hashlib.sha256(b).hexdigest()
    assert a != c


def _graph_with(nodes: list[onnx.NodeProto], name: str = "g") -> onnx.GraphProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    return helper.make_graph(nodes, name, [x], [y])


def test_allowlist_rejects_a_top_level_topk() -> None:
    k = helper.make_node(
        "Constant", [], ["k"], value=helper.make_tensor("kv", TensorProto.INT64, [1], [2])
    )
    topk = helper.make_node("TopK", ["x", "k"], ["y", "idx"], name="top")
    model = helper.make_model(_graph_with([k, topk]))
    assert forbidden_ops(model) == ["graph > node 1 'top': ai.onnx::TopK"]
    with pytest.raises(ExportCheckError, match="TopK"):
        check_model_bytes(model.SerializeToString(), "topk.onnx")


def test_allowlist_finds_a_forbidden_op_inside_an_if_branch() -> None:
    out_t = helper.make_tensor_value_info("t", TensorProto.FLOAT, [2])
    k = helper.make_node(
        "Constant", [], ["k"], value=helper.make_tensor("kv", TensorProto.INT64, [1], [2])
    )
    topk = helper.make_node("TopK", ["x", "k"], ["t", "i"], name="hidden_topk")
    then_g = helper.make_graph([k, topk], "then", [], [out_t])
    else_g = helper.make_graph(
        [helper.make_node("Slice", ["x", "s", "e"], ["t"], name="ok_slice")], "else", [], [out_t]
    )
    cond = helper.make_node(
        "Constant", [], ["c"], value=helper.make_tensor("cv", TensorProto.BOOL, [], [True])
    )
    branch = helper.make_node(
        "If", ["c"], ["y"], name="branch", then_branch=then_g, else_branch=else_g
    )
    model = helper.make_model(_graph_with([cond, branch]))
    bad = forbidden_ops(model)
    assert bad == ["graph > node 1 'branch' > then_branch > node 1 'hidden_topk': ai.onnx::TopK"]
    with pytest.raises(ExportCheckError, match="hidden_topk"):
        check_model_bytes(model.SerializeToString(), "if.onnx")


def test_allowlist_rejects_an_allowed_name_from_a_custom_domain() -> None:
    gelu = helper.make_node("Gelu", ["x"], ["y"], name="ms_gelu", domain="com.microsoft")
    model = helper.make_model(_graph_with([gelu]))
    assert forbidden_ops(model) == ["graph > node 0 'ms_gelu': com.microsoft::Gelu"]


def test_check_rejects_external_data_and_a_wrong_interface() -> None:
    data = to_onnx_bytes(seeded_model(0))
    model = onnx.load_from_string(data)
    tensor = model.graph.initializer[0]
    tensor.data_location = TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", "weights.onnx.data"
    with pytest.raises(ExportCheckError, match="outside the file"):
        check_model_bytes(model.SerializeToString(), "ext.onnx")

    renamed = onnx.load_from_string(data)
    renamed.graph.output[0].name = "vmaf"
    with pytest.raises(ExportCheckError, match=r"outputs \['vmaf'\], expected \['score'\]"):
        check_model_bytes(renamed.SerializeToString(), "renamed.onnx")

    old_opset = onnx.load_from_string(data)
    old_opset.opset_import[0].version = 13
    with pytest.raises(ExportCheckError, match="opset"):
        check_model_bytes(old_opset.SerializeToString(), "old.onnx")


def test_check_runs_the_full_onnx_checker() -> None:
    # The right interface and ops, but the Concat reads a tensor nothing produces.
    broken = onnx.load_from_string(to_onnx_bytes(seeded_model(0)))
    assert broken.graph.node[0].op_type == "Concat"
    broken.graph.node[0].input[1] = "nowhere"
    with pytest.raises(ExportCheckError, match="onnx.checker failed.*nowhere"):
        check_model_bytes(broken.SerializeToString(), "broken.onnx")


FORBIDDEN_SAMPLE = ("TopK", "NonMaxSuppression", "RandomNormal", "Einsum", "Scan", "Where")


@st.composite
def node_trees(draw: st.DrawFn, depth: int = 0) -> list[onnx.NodeProto]:
    """Nodes with ops on and off the allowlist, some holding If/Loop subgraphs, to depth 3."""
    ops = st.sampled_from(sorted(ALLOWED_OPS - {"If", "Loop"}) + list(FORBIDDEN_SAMPLE))
    nodes = []
    for i in range(draw(st.integers(0, 4))):
        nodes.append(helper.make_node(draw(ops), [], [], name=f"d{depth}n{i}"))
    if depth < 3 and draw(st.booleans()):
        then_g = helper.make_graph(draw(node_trees(depth + 1)), "then", [], [])
        else_g = helper.make_graph(draw(node_trees(depth + 1)), "else", [], [])
        nodes.append(
            helper.make_node(
                "If", [], [], name=f"if{depth}", then_branch=then_g, else_branch=else_g
            )
        )
    if depth < 3 and draw(st.booleans()):
        body = helper.make_graph(draw(node_trees(depth + 1)), "body", [], [])
        nodes.append(helper.make_node("Loop", [], [], name=f"loop{depth}", body=body))
    return nodes


def _all_ops(nodes: list[onnx.NodeProto]) -> list[str]:
    ops = []
    for n in nodes:
        ops.append(n.op_type)
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                ops.extend(_all_ops(list(a.g.node)))
    return ops


@settings(max_examples=60, deadline=None)
@given(node_trees())
def test_allowlist_finds_every_forbidden_op_at_any_depth(nodes: list[onnx.NodeProto]) -> None:
    model = helper.make_model(helper.make_graph(nodes, "g", [], []))
    found = [entry.rsplit("::", 1)[1] for entry in forbidden_ops(model)]
    assert sorted(found) == sorted(op for op in _all_ops(nodes) if op in FORBIDDEN_SAMPLE)
