"""The checks an exported model must pass before it may ship (SPEC §7).

- every node's op is on libvmaf's operator allowlist, subgraphs (If/Loop/Scan
  bodies) and local functions included;
- the graph contract: opset, input/output names, float32 element types, shapes;
- the weights live inside the file (no external data) and it is under 50 MiB;
- ``onnx.checker.check_model(full_check=True)``;
- onnxruntime's output matches torch's on real corpus rows.

Each failed check raises ``ExportCheckError`` naming the model and the check.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import AttributeProto, TensorProto
from onnx.external_data_helper import uses_external_data
from torch import nn

from trainer.onnx_export import INPUT_SHAPES, MAX_BYTES, OPSET, OUTPUT_SHAPES

# libvmaf's operator allowlist, verbatim from SPEC §7.
ALLOWED_OPS: frozenset[str] = frozenset(
    {
        "Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat",
        "Slice", "Gather", "Cast", "Shape", "Expand", "Add", "Sub", "Mul", "Div", "Neg",
        "Abs", "Sqrt", "Pow", "Exp", "Log", "Clip", "Min", "Max", "Sum", "Mean",
        "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "GlobalAveragePool",
        "GlobalMaxPool", "Gemm", "MatMul", "Conv", "ConvTranspose", "MaxPool", "AveragePool",
        "Resize", "BatchNormalization", "LayerNormalization", "InstanceNormalization", "Relu",
        "LeakyRelu", "Sigmoid", "Tanh", "Softmax", "Elu", "Selu", "Softplus", "Softsign",
        "Gelu", "Erf", "HardSigmoid", "HardSwish", "PRelu", "Dropout", "QuantizeLinear",
        "DequantizeLinear", "Constant", "ConstantOfShape", "Pad", "Reciprocal", "ReduceProd",
        "GatherND", "ScatterND", "BitShift", "Loop", "If",
    }
)  # fmt: skip
DEFAULT_DOMAINS = ("", "ai.onnx")
PARITY_TOLERANCE = 1e-4  # VMAF points, max abs difference onnxruntime vs torch


class ExportCheckError(Exception):
    """An exported model failed a check: a bug in the exporter, never shipped."""


def forbidden_ops(model: onnx.ModelProto) -> list[str]:
    """Every node outside the allowlist, as ``where: domain::op`` strings (empty if clean).

    Walks the main graph, every graph-valued attribute (If branches, Loop and
    Scan bodies) to any depth, and the model's local functions. An op from a
    non-default domain (e.g. ``com.microsoft``) is forbidden even if its name
    matches an allowed one.
    """
    found = []
    for where, node in _walk(model.graph.node, "graph"):
        if node.op_type not in ALLOWED_OPS or node.domain not in DEFAULT_DOMAINS:
            found.append(f"{where}: {node.domain or 'ai.onnx'}::{node.op_type}")
    for fn in model.functions:
        for where, node in _walk(fn.node, f"function {fn.domain}::{fn.name}"):
            if node.op_type not in ALLOWED_OPS or node.domain not in DEFAULT_DOMAINS:
                found.append(f"{where}: {node.domain or 'ai.onnx'}::{node.op_type}")
    return found


def _walk(nodes: Iterable[onnx.NodeProto], where: str) -> Iterator[tuple[str, onnx.NodeProto]]:
    for i, node in enumerate(nodes):
        here = f"{where} > node {i} '{node.name}'"
        yield here, node
        for attr in node.attribute:
            if attr.type == AttributeProto.GRAPH:
                yield from _walk(attr.g.node, f"{here} > {attr.name}")
            elif attr.type == AttributeProto.GRAPHS:
                for j, sub in enumerate(attr.graphs):
                    yield from _walk(sub.node, f"{here} > {attr.name}[{j}]")


def check_model_bytes(data: bytes, name: str) -> onnx.ModelProto:
    """Run every static check on one exported model; return the parsed model."""
    if len(data) > MAX_BYTES:
        raise ExportCheckError(f"{name}: {len(data)} bytes, over the {MAX_BYTES}-byte limit")
    model = onnx.load_from_string(data)
    bad = forbidden_ops(model)
    if bad:
        raise ExportCheckError(f"{name}: ops outside libvmaf's allowlist: {'; '.join(bad)}")
    external = [t.name for t in _tensors(model) if uses_external_data(t)]
    if external:
        raise ExportCheckError(f"{name}: weights stored outside the file: {', '.join(external)}")
    _check_interface(model, name)
    try:
        onnx.checker.check_model(model, full_check=True)
    except onnx.checker.ValidationError as exc:
        raise ExportCheckError(f"{name}: onnx.checker failed: {exc}") from None
    return model


def _tensors(model: onnx.ModelProto) -> Iterator[TensorProto]:
    """Initializers and Constant-node tensors of every (sub)graph."""
    graphs = [model.graph]
    while graphs:
        graph = graphs.pop()
        yield from graph.initializer
        for node in graph.node:
            for attr in node.attribute:
                if attr.type == AttributeProto.TENSOR:
                    yield attr.t
                graphs.extend([attr.g] if attr.type == AttributeProto.GRAPH else attr.graphs)


def _check_interface(model: onnx.ModelProto, name: str) -> None:
    opsets = {o.domain: o.version for o in model.opset_import}
    if opsets.get("", opsets.get("ai.onnx")) != OPSET:
        raise ExportCheckError(f"{name}: opset {opsets}, expected {OPSET}")
    inputs = {v.name: v for v in model.graph.input}
    outputs = {v.name: v for v in model.graph.output}
    for kind, have, want in (("inputs", inputs, INPUT_SHAPES), ("outputs", outputs, OUTPUT_SHAPES)):
        if list(have) != list(want):
            raise ExportCheckError(f"{name}: {kind} {list(have)}, expected {list(want)}")
        for vname, value in have.items():
            tensor = value.type.tensor_type
            shape = tuple(d.dim_param or d.dim_value for d in tensor.shape.dim)
            if tensor.elem_type != TensorProto.FLOAT or shape != want[vname]:
                raise ExportCheckError(
                    f"{name}: {vname} is {TensorProto.DataType.Name(tensor.elem_type)}{list(shape)}, "
                    f"expected FLOAT{list(want[vname])}"
                )


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
