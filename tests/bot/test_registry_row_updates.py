"""row-updates: other string fields of the flipped rows change byte-safely, nothing else does."""

from __future__ import annotations

import json

import pytest
from bot_inputs import SCHEMA, SHIPPED_REGISTRY

from bot.registry.flip import RowChange, flip_registry
from flipbot.errors import InputError

SEED0, SEED3 = "fr_regressor_v2_ensemble_v1_seed0", "fr_regressor_v2_ensemble_v1_seed3"
NEW = "ab" * 32
TEXT = SHIPPED_REGISTRY.read_text(encoding="utf-8")
SCHEMA_DOC = json.loads(SCHEMA.read_text())
NOTE = 'Member 0: promoted — "PLCC 0.9966" <ok> \\ done'


def changed(before: str, after: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]


def test_canonical_json_changes_only_the_named_field_of_the_named_rows():
    change = RowChange(SEED0, NEW, False, (("notes", NOTE),))
    edit = flip_registry(TEXT, [change, RowChange(SEED3, NEW, False)], "r.json", schema=SCHEMA_DOC)
    assert edit.method == "canonical" and edit.changed == (SEED0, SEED3)
    lines = changed(TEXT, edit.after)
    assert len(lines) == 5  # seed0: notes, sha256, smoke; seed3: sha256, smoke
    assert lines[0][1] == '      "notes": ' + json.dumps(NOTE, ensure_ascii=True) + ","
    assert {r["id"]: r for r in json.loads(edit.after)["models"]}[SEED0]["notes"] == NOTE


def test_non_canonical_json_is_edited_surgically_with_the_new_value():
    text = TEXT.replace('"kind": "fr",', '"kind":"fr",')  # no longer json.dumps' own text
    edit = flip_registry(text, [RowChange(SEED0, NEW, False, (("notes", NOTE),))], "r.json")
    assert edit.method == "surgical"
    assert next(b for _, b in changed(text, edit.after)).endswith(
        json.dumps(NOTE, ensure_ascii=True) + ","
    )


def test_an_identical_update_is_no_change():
    once = flip_registry(TEXT, [RowChange(SEED0, NEW, False, (("notes", "x"),))], "r.json")
    again = flip_registry(once.after, [RowChange(SEED0, NEW, False, (("notes", "x"),))], "r.json")
    assert again.changed == () and again.after == once.after
    moved = flip_registry(once.after, [RowChange(SEED0, NEW, False, (("notes", "y"),))], "r.json")
    assert moved.changed == (SEED0,)


def test_yaml_rows_get_the_value_double_quoted_and_keep_comments():
    text = (
        "schema_version: 1\n"
        "models:\n"
        "  - id: a_seed0  # the first member\n"
        "    sha256: '" + "0" * 64 + "'\n"
        "    smoke: true\n"
        "    notes: Smoke placeholder  # until a LOSO run clears\n"
        "  - {id: other, sha256: x, smoke: true, notes: keep}\n"
    )
    edit = flip_registry(
        text, [RowChange("a_seed0", NEW, False, (("notes", "seed 0: ok"),))], "r.yaml"
    )
    lines = changed(text, edit.after)
    assert lines[-1] == (
        "    notes: Smoke placeholder  # until a LOSO run clears",
        '    notes: "seed 0: ok"  # until a LOSO run clears',
    )
    assert edit.after.splitlines()[-1] == "  - {id: other, sha256: x, smoke: true, notes: keep}"


def test_a_field_that_is_missing_or_not_a_string_is_refused():
    with pytest.raises(InputError, match="has no 'nickname' field"):
        flip_registry(TEXT, [RowChange(SEED0, NEW, False, (("nickname", "x"),))], "r.json")
    with pytest.raises(InputError, match="field 'opset' is not a string"):
        flip_registry(TEXT, [RowChange(SEED0, NEW, False, (("opset", "18"),))], "r.json")
