"""The verifier's small rules, one by one: clean destinations and typed equality."""

from __future__ import annotations

import pytest

from bot.registry.destinations import clean_repo_path
from flipbot.errors import InputError
from gate.rejudge import same


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        "model/.git/hooks/pre-commit",
        ".github/workflows/x.yml",
        ".GitHub/workflows/x.yml",
        "model/../Makefile",
        "/etc/passwd",
        "model//x.onnx",
        "./model/x.onnx",
        "model/x y.onnx",
        "model/x`.onnx",
        "model/x|y.onnx",
        "",
        "model/x.onnx\n",
    ],
)
def test_unclean_destinations_are_refused(path):
    with pytest.raises(InputError, match="not a clean repository-relative path"):
        clean_repo_path(path, "flip_plan.json")


def test_a_plain_model_path_is_accepted():
    assert clean_repo_path("model/tiny/m_seed0.onnx", "x") == "model/tiny/m_seed0.onnx"


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ((0, 1), (0, 1), True),
        (("0", 1), (0, 1), False),  # a string seed is not a seed
        ((True,), (1,), False),  # nor is a boolean
        (0.997, 0.997 + 1e-15, True),  # float rounding of a recomputation
        (0.997, 0.9971, False),  # an edit
        (float("nan"), float("nan"), False),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        ("PROMOTE", "MAYBE", False),
        (None, 0.0, False),
    ],
)
def test_same_compares_types_and_floats_to_rounding(a, b, equal):
    assert same(a, b) is equal
