"""The static contract every shipped ONNX file must meet (SPEC §7), torch-free.

One definition for both sides: ``trainer export`` checks what it wrote, the
bot checks what it received from the GPU runner before committing it.

- the bytes are at most 50 MiB and parse as an ONNX model; they are parsed
  from memory, so external data is never followed (and then refused);
- only the default ONNX domain is imported, at opset 17;
- every node's op is on libvmaf's operator allowlist and in the default
  domain, in subgraphs (If/Loop/Scan bodies) to any depth and in local
  functions;
- inputs ``features`` float32 [batch, 6] and ``codec_onehot`` float32
  [batch, 14], output ``score`` float32 [batch], nothing else;
- every weight lives inside the file (no tensor with external data);
- ``onnx.checker.check_model(full_check=True)`` passes.

A failed check raises ``InputError`` naming the file and the check.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import onnx
from google.protobuf.message import DecodeError
from onnx import AttributeProto, TensorProto
from onnx.external_data_helper import uses_external_data

from flipbot.errors import InputError
from flipbot.features import FEATURE_ORDER, NUM_CODECS

OPSET = 17
BATCH_AXIS = "batch"
INPUT_FEATURES = "features"
INPUT_CODEC = "codec_onehot"
OUTPUT_SCORE = "score"
# name -> shape, with the batch axis as its symbolic name
INPUT_SHAPES: dict[str, tuple[str | int, ...]] = {
    INPUT_FEATURES: (BATCH_AXIS, len(FEATURE_ORDER)),
    INPUT_CODEC: (BATCH_AXIS, NUM_CODECS),
}
OUTPUT_SHAPES: dict[str, tuple[str | int, ...]] = {OUTPUT_SCORE: (BATCH_AXIS,)}
MAX_BYTES = 50 * 1024 * 1024  # SPEC §7: a model file stays under 50 MiB

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


def check_onnx_contract(data: bytes, where: str) -> None:
    """Run every static check on one model's bytes; raise ``InputError`` naming ``where``."""
    checked_model(data, where)


def checked_model(data: bytes, where: str) -> onnx.ModelProto:
    """``check_onnx_contract``, returning the parsed model for callers that go on to use it."""
    if len(data) > MAX_BYTES:
        raise InputError(
            f"{where}: {len(data)} bytes, over the {MAX_BYTES}-byte limit of SPEC §7; "
            "ship the model the exporter wrote"
        )
    try:
        # from memory: a path-based load would read (and trust) external data files
        model = onnx.load_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise InputError(
            f"{where}: not an ONNX model ({exc}); ship the file `trainer export` wrote"
        ) from None
    if len(model.training_info):  # graphs of their own, outside what inference runs
        raise InputError(
            f"{where}: holds {len(model.training_info)} training_info graph(s); "
            "export an inference-only model"
        )
    bad = forbidden_ops(model)
    if bad:
        raise InputError(
            f"{where}: ops outside libvmaf's allowlist: {'; '.join(bad)}; "
            "export with allowlisted ops only"
        )
    external = [t.name or "(unnamed)" for t in _tensors(model) if uses_external_data(t)]
    if external:
        raise InputError(
            f"{where}: weights stored outside the file: {', '.join(external)}; "
            "export with every weight inside the one .onnx file"
        )
    _check_opsets(model, where)
    _check_interface(model, where)
    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        raise InputError(f"{where}: onnx.checker failed: {exc}") from None
    return model


def forbidden_ops(model: onnx.ModelProto) -> list[str]:
    """Every node outside the allowlist, as ``where: domain::op`` strings (empty if clean).

    Walks the main graph, every graph-valued attribute (If branches, Loop and
    Scan bodies) to any depth, and the model's local functions. An op from a
    non-default domain (e.g. ``com.microsoft``) is forbidden even if its name
    matches an allowed one; so is a call of a local function (its op is the
    function's name).
    """
    walks = [_walk(model.graph.node, "graph")]
    walks += [_walk(fn.node, f"function {fn.domain}::{fn.name}") for fn in model.functions]
    return [
        f"{where}: {node.domain or 'ai.onnx'}::{node.op_type}"
        for walk in walks
        for where, node in walk
        if node.op_type not in ALLOWED_OPS or node.domain not in DEFAULT_DOMAINS
    ]


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


def _tensors(model: onnx.ModelProto) -> Iterator[TensorProto]:
    """Initializers and attribute tensors (dense and sparse) of every graph and function."""
    graphs = [model.graph]
    node_lists = [list(fn.node) for fn in model.functions]
    while graphs or node_lists:
        if graphs:
            graph = graphs.pop()
            yield from graph.initializer
            for sparse in graph.sparse_initializer:
                yield from (sparse.values, sparse.indices)
            node_lists.append(list(graph.node))
            continue
        for node in node_lists.pop():
            for attr in node.attribute:
                yield from ([attr.t] if attr.HasField("t") else [])
                yield from attr.tensors
                if attr.HasField("sparse_tensor"):
                    yield from (attr.sparse_tensor.values, attr.sparse_tensor.indices)
                for sparse in attr.sparse_tensors:
                    yield from (sparse.values, sparse.indices)
                graphs.extend([attr.g] if attr.HasField("g") else [])
                graphs.extend(attr.graphs)


def _check_opsets(model: onnx.ModelProto, where: str) -> None:
    opsets = {o.domain: o.version for o in model.opset_import}
    foreign = sorted(set(opsets) - set(DEFAULT_DOMAINS))
    if foreign:
        raise InputError(
            f"{where}: imports non-default operator domain(s) {foreign}; "
            "export with the default ONNX domain only"
        )
    if len(model.opset_import) != 1 or opsets.get("", opsets.get("ai.onnx")) != OPSET:
        raise InputError(f"{where}: opset {opsets}, expected {OPSET}; export with opset {OPSET}")


def _check_interface(model: onnx.ModelProto, where: str) -> None:
    inputs = {v.name: v for v in model.graph.input}
    outputs = {v.name: v for v in model.graph.output}
    for kind, have, want in (("inputs", inputs, INPUT_SHAPES), ("outputs", outputs, OUTPUT_SHAPES)):
        if list(have) != list(want) or len(have) != len(getattr(model.graph, kind[:-1])):
            raise InputError(f"{where}: {kind} {list(have)}, expected {list(want)} (SPEC §7)")
        for name, value in have.items():
            tensor = value.type.tensor_type
            shape = tuple(d.dim_param or d.dim_value for d in tensor.shape.dim)
            if (
                value.type.WhichOneof("value") != "tensor_type"
                or tensor.elem_type != TensorProto.FLOAT
                or shape != want[name]
            ):
                raise InputError(
                    f"{where}: {name} is {_type_name(tensor.elem_type)}"
                    f"{list(shape)}, expected FLOAT{list(want[name])} (SPEC §7)"
                )


def _type_name(elem_type: int) -> str:
    try:
        return TensorProto.DataType.Name(elem_type)
    except ValueError:  # a number outside the enum, as a tampered file may hold
        return f"element type {elem_type}"
