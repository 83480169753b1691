"""sigstore_bundle: set from null, or added when the row has no such field, one line each,
in every registry form (canonical JSON, other JSON, YAML); nothing else changes."""

from __future__ import annotations

import difflib
import json

import pytest
from bot_inputs import SHIPPED_REGISTRY

from bot.registry.flip import RowChange, flip_registry
from bot.registry.yaml_flip import _load, _plain
from flipbot.errors import InputError

SEED0, SEED3 = "fr_regressor_v2_ensemble_v1_seed0", "fr_regressor_v2_ensemble_v1_seed3"
NEW = "ab" * 32
TEXT = SHIPPED_REGISTRY.read_text(encoding="utf-8")
BUNDLE = (("sigstore_bundle", SEED0 + ".onnx.sigstore.json"),)


def diff(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def without_field(text: str) -> str:
    doc = json.loads(text)
    for row in doc["models"]:
        if row["id"] == SEED0:
            del row["sigstore_bundle"]
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def test_a_null_field_gets_the_path_in_its_own_line():
    edit = flip_registry(TEXT, [RowChange(SEED0, NEW, False, BUNDLE)], "r.json")
    assert edit.method == "canonical"
    changes = diff(TEXT, edit.after)
    assert '-      "sigstore_bundle": null,' in changes
    assert f'+      "sigstore_bundle": "{SEED0}.onnx.sigstore.json",' in changes
    assert len(changes) == 6  # sha256, sigstore_bundle, smoke: each one line out, one in


def test_a_missing_field_is_added_as_one_line_in_canonical_json():
    text = without_field(TEXT)
    edit = flip_registry(text, [RowChange(SEED0, NEW, False, BUNDLE)], "r.json")
    assert edit.method == "canonical" and edit.before == text
    added = [line for line in diff(text, edit.after) if line.startswith("+")]
    assert f'+      "sigstore_bundle": "{SEED0}.onnx.sigstore.json",' in added
    assert len([line for line in diff(text, edit.after) if line.startswith("-")]) == 2


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_missing_field_is_added_after_sha256_in_other_json(newline):
    text = without_field(TEXT).replace('"kind": "fr",', '"kind":"fr",').replace("\n", newline)
    edit = flip_registry(text, [RowChange(SEED0, NEW, False, BUNDLE)], "r.json")
    assert edit.method == "surgical"
    lines = edit.after.split(newline)
    at = next(i for i, line in enumerate(lines) if f'"{NEW}"' in line)
    assert lines[at + 1] == f'      "sigstore_bundle": "{SEED0}.onnx.sigstore.json",'
    assert (
        "\r\n" not in edit.after.replace(newline, "")
        and edit.after.count(newline) == text.count(newline) + 1
    )
    rows = {r["id"]: r for r in json.loads(edit.after)["models"]}
    before = {r["id"]: r for r in json.loads(text)["models"]}
    assert {k: v for k, v in rows.items() if k != SEED0} == {
        k: v for k, v in before.items() if k != SEED0
    }


def _yaml(text: str) -> str:
    lines = ["# models", "models:"]
    for row in json.loads(text)["models"][:4]:
        first = True
        for key, value in row.items():
            lead = "  - " if first else "    "
            lines.append(f"{lead}{key}: {json.dumps(value)}")
            first = False
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("missing", [False, True])
def test_yaml_rows_get_the_field_set_or_added_as_one_line(missing):
    text = _yaml(without_field(TEXT) if missing else TEXT)
    edit = flip_registry(text, [RowChange(SEED0, NEW, False, BUNDLE)], "r.yaml")
    changes = diff(text, edit.after)
    assert f'+    sigstore_bundle: "{SEED0}.onnx.sigstore.json"' in changes
    assert len([c for c in changes if c.startswith("-")]) == (2 if missing else 3)
    row = next(r for r in _plain(_load(edit.after, "r.yaml"))["models"] if r["id"] == SEED0)
    assert (row["sha256"], row["smoke"], row["sigstore_bundle"]) == (NEW, False, BUNDLE[0][1])


def test_a_flow_style_yaml_row_without_the_field_is_refused():
    text = "models:\n  - {id: a, sha256: x, smoke: true}\n"
    with pytest.raises(InputError, match="block style"):
        flip_registry(
            text, [RowChange("a", NEW, False, (("sigstore_bundle", "a.sigstore.json"),))], "r.yaml"
        )
