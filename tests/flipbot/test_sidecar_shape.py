"""The sidecar shape shared by export and the bot: libvmaf's scan and the repository's keys."""

from __future__ import annotations

import json

import pytest

from flipbot.errors import InputError
from flipbot.sidecar_shape import check_sidecar, libvmaf_scan, scan_shadows, text_shadows


def test_the_first_occurrence_wins_as_in_libvmaf() -> None:
    text = json.dumps({"calibration": {"kind": "flipbot.calibration"}, "kind": "fr"}, indent=2)
    assert libvmaf_scan(text, "kind") == "flipbot.calibration"  # the bug of issue 19
    assert libvmaf_scan('{"kind": "fr"}', "kind") == "fr"
    assert libvmaf_scan('{"opset": 17}', "name") is None
    assert libvmaf_scan('{"kind": 3}', "kind") is None  # not a string: libvmaf reads nothing


def test_nested_keys_and_string_values_that_shadow_a_scanned_key_are_found() -> None:
    doc = {
        "kind": "fr",
        "gate_evidence": {"rules": [{"name": "mean_plcc"}]},
        "io": {"input_name": "features"},
        "notes": ["name"],
        "onnx_opset": 17,  # top level: libvmaf reads it, and it must be right; not a shadow
    }
    assert scan_shadows(doc) == ["gate_evidence.rules[0].name", "io.input_name", "notes[0] (value)"]


def test_a_sidecar_over_1_mib_or_not_an_object_is_refused() -> None:
    with pytest.raises(InputError, match="larger than 1 MiB"):
        check_sidecar({}, " " * ((1 << 20) + 1), "s.json")
    with pytest.raises(InputError, match="expected a JSON object"):
        check_sidecar([], "[]", "s.json")
    with pytest.raises(InputError, match="field 'codec_aware' is missing"):
        check_sidecar({"kind": "fr"}, '{"kind": "fr"}', "s.json")


def test_an_escaped_quote_cannot_smuggle_a_scanned_word_into_the_text() -> None:
    doc = {"corpus": {"path": 'runs/x"name'}, "kind": "fr"}
    text = json.dumps(doc)
    assert scan_shadows(doc) == []  # no key or value is the word, yet the text has it
    assert libvmaf_scan(text, "name") == "fr"  # libvmaf would read a name, and a wrong one
    assert text_shadows(text) == ['"name" in the text']
    assert text_shadows(json.dumps({"kind": "fr", "input_names": ["features"]})) == []
