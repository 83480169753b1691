"""The registry flip: byte-for-byte round trips, only targeted lines change, clear errors."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import pytest
from bot_inputs import SCHEMA, SHIPPED_REGISTRY

from bot.registry.flip import RowChange, flip_registry, write_registry
from flipbot.errors import InputError
from flipbot.jsonfile import dumps

SEED0, SEED3 = "fr_regressor_v2_ensemble_v1_seed0", "fr_regressor_v2_ensemble_v1_seed3"
NEW = "ab" * 32
TEXT = SHIPPED_REGISTRY.read_text(encoding="utf-8")
SCHEMA_DOC = json.loads(SCHEMA.read_text())


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:].strip())
        elif line.startswith("+ "):
            added.append(line[2:].strip())
    return removed, added


def test_shipped_registry_is_canonical_and_round_trips_byte_for_byte():
    assert dumps(json.loads(TEXT)) == TEXT
    edit = flip_registry(TEXT, [], "model/tiny/registry.json", schema=SCHEMA_DOC)
    assert edit.after == TEXT and edit.method == "canonical"


def test_flipping_the_shipped_registry_changes_exactly_the_targeted_smoke_and_sha256_lines():
    old = {r["id"]: r for r in json.loads(TEXT)["models"]}
    edit = flip_registry(
        TEXT,
        [RowChange(SEED0, NEW, False), RowChange(SEED3, NEW, False)],
        "r.json",
        schema=SCHEMA_DOC,
    )
    removed, added = changed_lines(TEXT, edit.after)
    assert sorted(removed) == sorted(
        [
            f'"sha256": "{old[SEED0]["sha256"]}",',
            f'"sha256": "{old[SEED3]["sha256"]}",',
            '"smoke": true',
            '"smoke": true',
        ]
    )
    assert added == [f'"sha256": "{NEW}",', '"smoke": false'] * 2
    assert len(TEXT.splitlines()) == len(edit.after.splitlines())
    assert edit.changed == (SEED0, SEED3)
    new = {r["id"]: r for r in json.loads(edit.after)["models"]}
    assert [r["id"] for r in json.loads(edit.after)["models"]] == list(old)
    for rid, row in old.items():
        assert new[rid] == (row | {"sha256": NEW, "smoke": False} if rid in (SEED0, SEED3) else row)


def test_a_non_canonical_registry_is_edited_surgically():
    text = (
        TEXT.replace('"opset": 17,', '"opset":17 ,')
        .replace("\n", "\r\n")
        .replace("\\u2014", "\u2014")
    )
    assert dumps(json.loads(text)) != text
    edit = flip_registry(text, [RowChange(SEED0, NEW, False)], "r.json", schema=SCHEMA_DOC)
    assert edit.method == "surgical"
    start = text.index(f'"id": "{SEED0}"')
    sha_at = text.index('"sha256": "', start) + len('"sha256": "')
    smoke_at = text.index('"smoke": ', start) + len('"smoke": ')
    expected = text[:sha_at] + NEW + text[sha_at + 64 : smoke_at] + "false" + text[smoke_at + 4 :]
    assert edit.after == expected


def test_yaml_registry_keeps_comments_order_and_quoting():
    text = (
        "# tiny models\n"
        "schema_version: 1\n"
        "models:\n"
        "  - id: a_seed0  # the first member\n"
        "    kind: fr\n"
        "    onnx: a.onnx\n"
        "    sha256: '0000000000000000000000000000000000000000000000000000000000000000'\n"
        "    opset: 17\n"
        "    smoke: True   # placeholder\n"
        '    license: "BSD"\n'
        '  - {id: other, kind: nr, onnx: o.onnx, sha256: "1111111111111111111111111111111111111111111111111111111111111111", opset: 17, smoke: true, license: x}\n'
    )
    edit = flip_registry(
        text, [RowChange("a_seed0", NEW, False)], "registry.yaml", schema=SCHEMA_DOC
    )
    removed, added = changed_lines(text, edit.after)
    assert removed == ["sha256: '" + "0" * 64 + "'", "smoke: True   # placeholder"]
    assert added == [f"sha256: '{NEW}'", "smoke: False   # placeholder"]


@pytest.mark.parametrize(
    ("text", "changes", "message"),
    [
        (
            TEXT,
            [RowChange("fr_regressor_v2_ensemble_v1_seed9", NEW, False)],
            "no row with id 'fr_regressor_v2_ensemble_v1_seed9'",
        ),
        (
            TEXT.replace('"id": "fr_regressor_v2"', f'"id": "{SEED0}"'),
            [RowChange(SEED0, NEW, False)],
            "appears 2 times",
        ),
        (TEXT[:-3], [RowChange(SEED0, NEW, False)], "not valid JSON"),
        (TEXT.replace('"opset": 17', '"opset": 17, "opset": 18', 1), [], "duplicate key"),
        (
            TEXT.replace('"kind": "nr"', '"kind": "audio"'),
            [RowChange(SEED0, NEW, False)],
            r"models\[7\]\.kind",
        ),
        (TEXT.replace('"schema_version": 1', '"schema_version": 2'), [], "schema_version"),
    ],
    ids=[
        "missing id",
        "duplicate id",
        "invalid JSON",
        "duplicate key",
        "schema kind",
        "schema version",
    ],
)
def test_bad_registries_are_refused_naming_the_file_and_the_fix(text, changes, message):
    with pytest.raises(InputError, match=message) as err:
        flip_registry(text, changes, "model/tiny/registry.json", schema=SCHEMA_DOC)
    assert "model/tiny/registry.json" in str(err.value)


def test_a_new_sha256_that_breaks_the_schema_is_refused():
    with pytest.raises(InputError, match="sha256"):
        flip_registry(TEXT, [RowChange(SEED0, "NOT-HEX", False)], "r.json", schema=SCHEMA_DOC)


def test_invalid_yaml_is_an_input_error():
    with pytest.raises(InputError, match="r.yaml: not valid YAML"):
        flip_registry("models: [\n  - {id: a\n", [], "r.yaml")


def test_a_crash_mid_write_leaves_the_old_registry(tmp_path: Path, monkeypatch):
    path = tmp_path / "registry.json"
    path.write_text(TEXT)
    edit = flip_registry(TEXT, [RowChange(SEED0, NEW, False)], "r.json")

    def die(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", die)
    with pytest.raises(OSError, match="disk full"):
        write_registry(path, edit)
    assert path.read_text() == TEXT
    assert [p.name for p in tmp_path.iterdir()] == ["registry.json"]
    monkeypatch.undo()
    write_registry(path, edit)
    assert path.read_text() == edit.after


def test_the_rewrite_check_catches_a_change_outside_the_targeted_values():
    from bot.registry.flip import RewriteInvariantError, check_json_rewrite

    tampered = TEXT.replace(
        '"smoke": true\n    }\n  ],', '"smoke": false\n    }\n  ],'
    )  # the last row
    with pytest.raises(RewriteInvariantError, match="nr_metric_v1"):
        check_json_rewrite(TEXT, tampered, {SEED0}, "r.json")
    reordered = TEXT.replace(
        '"opset": 17,\n      "sha256": "', '"opset": 17 ,\n      "sha256": "', 1
    )
    with pytest.raises(RewriteInvariantError, match="bytes outside"):
        check_json_rewrite(TEXT, reordered, {SEED0}, "r.json")
