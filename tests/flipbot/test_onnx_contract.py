"""The static ONNX contract the bot checks without torch: each tampering refused by name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from flipbot.errors import InputError
from flipbot.onnx_contract import MAX_BYTES, check_onnx_contract, checked_model

ROOT = Path(__file__).resolve().parents[2]
# A real torch export (the committed smoke placeholder): the graph every member has.
REAL = (ROOT / "model" / "tiny" / "fr_regressor_v2_ensemble_v1_seed0.onnx").read_bytes()


def tampered(change: Callable[[onnx.ModelProto], object]) -> bytes:
    model = onnx.load_from_string(REAL)
    change(model)
    return model.SerializeToString()


def test_the_real_export_meets_the_contract() -> None:
    check_onnx_contract(REAL, "seed0.onnx")
    model = checked_model(REAL, "seed0.onnx")
    assert [v.name for v in model.graph.input] == ["features", "codec_onehot"]
    assert sum(len(t.raw_data) for t in model.graph.initializer) == 5569 * 4


def _external(model: onnx.ModelProto) -> None:
    tensor = model.graph.initializer[2]
    tensor.data_location = TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", "/etc/passwd"  # must never be read


def _external_constant(model: onnx.ModelProto) -> None:
    tensor = model.graph.node[2].attribute[0].t  # the value of a Constant node
    tensor.name = "c2"
    tensor.data_location = TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", "c2.bin"


def _training_info(model: onnx.ModelProto) -> None:
    model.training_info.add().algorithm.CopyFrom(helper.make_graph([], "train", [], []))


def _rename_input(model: onnx.ModelProto) -> None:
    model.graph.input[0].name = "feats"


def _wider_input(model: onnx.ModelProto) -> None:
    model.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 7


def _double_input(model: onnx.ModelProto) -> None:
    model.graph.input[1].type.tensor_type.elem_type = TensorProto.DOUBLE


def _fixed_batch(model: onnx.ModelProto) -> None:
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1


def _extra_input(model: onnx.ModelProto) -> None:
    model.graph.input.append(helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch"]))


def _score_2d(model: onnx.ModelProto) -> None:
    model.graph.output[0].type.tensor_type.shape.dim.add().dim_value = 1


def _unknown_type(model: onnx.ModelProto) -> None:
    model.graph.output[0].type.tensor_type.elem_type = 999


def _topk(model: onnx.ModelProto) -> None:
    model.graph.node[2].op_type = "TopK"


def _ms_domain(model: onnx.ModelProto) -> None:
    model.graph.node[4].domain = "com.microsoft"  # an Erf, allowed by name only
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))


def _foreign_import(model: onnx.ModelProto) -> None:
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))


def _opset_13(model: onnx.ModelProto) -> None:
    model.opset_import[0].version = 13


def _hidden_in_if(model: onnx.ModelProto) -> None:
    out = helper.make_tensor_value_info("t", TensorProto.FLOAT, None)
    then_g = helper.make_graph(
        [helper.make_node("Einsum", [], ["t"], name="hidden")], "t", [], [out]
    )
    else_g = helper.make_graph([helper.make_node("Identity", ["c"], ["t"])], "e", [], [out])
    model.graph.node.append(
        helper.make_node("If", ["c"], ["u"], name="branch", then_branch=then_g, else_branch=else_g)
    )


def _local_function(model: onnx.ModelProto) -> None:
    fn = helper.make_function(
        "custom", "Shady", ["x"], ["y"], [helper.make_node("Scan", ["x"], ["y"], name="inner")],
        [helper.make_opsetid("", 17)],
    )  # fmt: skip
    model.functions.append(fn)
    model.graph.node.append(helper.make_node("Shady", ["features"], ["z"], domain="custom"))


def _dangling(model: onnx.ModelProto) -> None:
    model.graph.node[0].input[1] = "nowhere"


# (case, tampering, words the message must hold besides the file name)
TAMPERED: list[tuple[str, Callable[[onnx.ModelProto], object], str]] = [
    ("external data", _external, "weights stored outside the file: net.3.weight"),
    ("external data in a Constant", _external_constant, "weights stored outside the file: c2;"),
    ("training graphs", _training_info, "holds 1 training_info graph(s)"),
    ("renamed input", _rename_input, "inputs ['feats', 'codec_onehot'], expected ['features',"),
    ("wider input", _wider_input, "features is FLOAT['batch', 7], expected FLOAT['batch', 6]"),
    ("double input", _double_input, "codec_onehot is DOUBLE['batch', 14], expected FLOAT"),
    ("fixed batch", _fixed_batch, "features is FLOAT[1, 6]"),
    ("extra input", _extra_input, "inputs ['features', 'codec_onehot', 'x']"),
    ("2-d score", _score_2d, "score is FLOAT['batch', 1], expected FLOAT['batch']"),
    ("unknown type", _unknown_type, "score is element type 999"),
    ("op off the allowlist", _topk, "allowlist: graph > node 2 '/net/net.1/Constant': ai.onnx::TopK"),
    ("allowed name, custom domain", _ms_domain, "com.microsoft::Erf"),
    ("non-default domain import", _foreign_import, "non-default operator domain(s) ['com.microsoft']"),
    ("old opset", _opset_13, "opset {'': 13}, expected 17"),
    ("op inside an If branch", _hidden_in_if, "then_branch > node 0 'hidden': ai.onnx::Einsum"),
    ("op inside a local function", _local_function, "function custom::Shady > node 0 'inner'"),
    ("dangling input", _dangling, "onnx.checker failed"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "words"), [c[1:] for c in TAMPERED], ids=[c[0] for c in TAMPERED]
)
def test_tampered_model_is_refused_naming_file_and_check(
    change: Callable[[onnx.ModelProto], object], words: str
) -> None:
    with pytest.raises(InputError) as err:
        check_onnx_contract(tampered(change), "model/tiny/x_seed0.onnx")
    assert str(err.value).startswith("model/tiny/x_seed0.onnx: ")
    assert words in str(err.value)


def test_a_call_of_a_local_function_is_itself_off_the_allowlist() -> None:
    with pytest.raises(InputError, match=r"graph > node 22 '': custom::Shady"):
        check_onnx_contract(tampered(_local_function), "f.onnx")


def test_bytes_that_are_not_onnx_or_too_big_are_refused() -> None:
    with pytest.raises(InputError, match=r"^junk\.onnx: not an ONNX model"):
        check_onnx_contract(b"\xff\x00 not protobuf", "junk.onnx")
    with pytest.raises(InputError, match=rf"^big\.onnx: {MAX_BYTES + 1} bytes, over the"):
        check_onnx_contract(REAL + bytes(MAX_BYTES + 1 - len(REAL)), "big.onnx")
