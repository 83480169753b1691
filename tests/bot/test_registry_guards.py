"""The registry's guards, each shown to fire: bad documents, broken rewrites, .yml files.

Written to kill the mutants of bot/registry/flip.py a mutation run found alive
(docs/MUTATION.md): every refusal is raised here with its exact message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bot_inputs import SCHEMA, SHIPPED_REGISTRY

from bot.registry import flip as reg
from bot.registry.flip import (
    RegistryEdit,
    RewriteInvariantError,
    RowChange,
    check_json_rewrite,
    check_rows_unchanged,
    flip_registry,
    is_yaml,
    write_registry,
)
from flipbot.errors import InputError

TEXT = SHIPPED_REGISTRY.read_text(encoding="utf-8")
SCHEMA_DOC = json.loads(SCHEMA.read_text())
SEED0, SEED1 = "fr_regressor_v2_ensemble_v1_seed0", "fr_regressor_v2_ensemble_v1_seed1"
NEW = "cd" * 32
WHERE = "model/tiny/registry.json"
YAML_TEXT = (
    "models:\n"
    "  - id: a_seed0\n"
    "    sha256: '" + "0" * 64 + "'\n"
    "    smoke: true\n"
    "  - id: b_seed1\n"
    "    sha256: '" + "1" * 64 + "'\n"
    "    smoke: true\n"
)


def refusal(text: str, changes: list[RowChange], where: str = WHERE) -> str:
    with pytest.raises(InputError) as err:
        flip_registry(text, changes, where)
    return str(err.value)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_standard_json_numbers_are_refused(token: str) -> None:
    text = TEXT.replace('"opset": 17', f'"opset": {token}', 1)
    assert refusal(text, []) == (
        f"{WHERE}: not valid JSON (non-standard JSON number {token}); fix the file"
    )


def test_duplicate_keys_are_named() -> None:
    text = TEXT.replace('"opset": 17', '"kind": "fr", "opset": 17, "opset": 18', 1)
    assert refusal(text, []) == (
        f"{WHERE}: not valid JSON (duplicate key(s) ['kind', 'opset'] in one object); fix the file"
    )


@pytest.mark.parametrize(
    "text",
    ['{"schema": 1}\n', '{"models": {"a": 1}}\n', "[1, 2]\n"],
    ids=["no models", "models not a list", "not an object"],
)
def test_a_document_without_a_models_list_is_refused(text: str) -> None:
    assert refusal(text, []) == (
        f"{WHERE}: no 'models' list at the top level; is this a flipbot registry?"
    )


@pytest.mark.parametrize(
    "row", ['"just a string"', '{"kind": "fr"}', '{"id": 7}'], ids=["string", "no id", "int id"]
)
def test_a_row_without_a_string_id_is_refused_by_index(row: str) -> None:
    text = json.dumps({"models": [{"id": "a", "sha256": "x", "smoke": True}, json.loads(row)]})
    assert refusal(text, [RowChange("a", NEW, False)]) == (
        f"{WHERE}: models[1] has no string 'id'; fix the row"
    )


@pytest.mark.parametrize("missing", ["sha256", "smoke"])
def test_a_target_row_without_a_flipped_field_is_refused(missing: str) -> None:
    row = {"id": "a", "sha256": "x", "smoke": True}
    del row[missing]
    text = json.dumps({"models": [row, {"id": "b"}]}, indent=2)
    assert refusal(text, [RowChange("a", NEW, False)]) == (
        f"{WHERE}: row 'a' has no '{missing}' field; add it"
    )
    # A row that is not targeted may lack them.
    assert flip_registry(text, [], WHERE).after == text


def test_unknown_and_duplicated_ids_name_the_fix() -> None:
    assert refusal(TEXT, [RowChange("nope", NEW, False)]) == (
        f"registry: no row with id 'nope' in {WHERE}; check --seeds, the ensemble id or the "
        "registry path"
    )
    doubled = TEXT.replace('"id": "fr_regressor_v2"', f'"id": "{SEED0}"')
    assert refusal(doubled, [RowChange(SEED0, NEW, False)]) == (
        f"registry: id '{SEED0}' appears 2 times in {WHERE} (models[1, 2]); remove the duplicate rows"
    )


@pytest.mark.parametrize("name", ["registry.yml", "registry.yaml", "REGISTRY.YML", "r.Yaml"])
def test_yml_and_yaml_names_are_read_as_yaml_without_a_schema(name: str) -> None:
    assert is_yaml(name)
    edit = flip_registry(YAML_TEXT, [RowChange("b_seed1", NEW, False)], name)
    assert edit.method == "yaml" and edit.changed == ("b_seed1",)
    assert edit.after == YAML_TEXT.replace(
        "'" + "1" * 64 + "'\n    smoke: true", f"'{NEW}'\n    smoke: false"
    )


@pytest.mark.parametrize("name", ["registry.json", "registry.yml.json", "yml", "registry.ymlx"])
def test_other_names_are_json(name: str) -> None:
    assert not is_yaml(name)
    assert flip_registry(TEXT, [], name).method == "canonical"


def test_changed_lists_only_rows_whose_values_move() -> None:
    rows = {r["id"]: r for r in json.loads(TEXT)["models"]}
    same = RowChange(SEED0, rows[SEED0]["sha256"], rows[SEED0]["smoke"])
    sha_only = RowChange(SEED1, NEW, rows[SEED1]["smoke"])
    assert flip_registry(TEXT, [same, sha_only], WHERE).changed == (SEED1,)
    smoke_only = RowChange(SEED1, rows[SEED1]["sha256"], not rows[SEED1]["smoke"])
    assert flip_registry(TEXT, [same, smoke_only], WHERE).changed == (SEED1,)
    assert flip_registry(TEXT, [same], WHERE).changed == ()


def test_the_diff_names_both_sides_and_the_write_is_utf8(tmp_path: Path) -> None:
    edit = flip_registry(TEXT, [RowChange(SEED0, NEW, False)], WHERE, schema=SCHEMA_DOC)
    lines = edit.diff().splitlines()
    assert lines[:2] == [f"--- a/{WHERE}", f"+++ b/{WHERE}"]
    assert [line for line in lines if line.startswith("+") and not line.startswith("+++")] == [
        f'+      "sha256": "{NEW}",',
        '+      "smoke": false',
    ]
    path = tmp_path / "registry.json"
    write_registry(path, RegistryEdit(WHERE, TEXT, "{\u2014}\n", (), "surgical"))
    assert path.read_bytes() == "{\u2014}\n".encode()


# --- the checks after a rewrite, shown to catch broken rewrites -----------------------------


def flipped(text: str, *ids: str) -> str:
    """A correct surgical rewrite of ``ids`` (sha256 -> NEW, smoke -> false)."""
    for rid in ids:
        start = text.index(f'"id": "{rid}"')
        sha_at = text.index('"sha256": "', start) + len('"sha256": "')
        text = text[:sha_at] + NEW + text[sha_at + 64 :]
        smoke_at = text.index('"smoke": ', start) + len('"smoke": ')
        end = text.index("\n", smoke_at)
        text = text[:smoke_at] + "false" + text[end:]
    return text


def test_a_correct_rewrite_of_two_rows_passes_the_check() -> None:
    check_json_rewrite(TEXT, flipped(TEXT, SEED0, SEED1), {SEED0, SEED1}, WHERE)


@pytest.mark.parametrize(
    ("tamper", "where"),
    [
        (
            lambda t: t.replace('"id": "vmaf_tiny_v2"', '"id":  "vmaf_tiny_v2"'),
            "before the targets",
        ),
        (lambda t: t.replace(f'"id": "{SEED0}",', f'"id": "{SEED0}" ,'), "in a target, before"),
        (
            lambda t: t.replace(
                '"smoke": false\n    },\n    {\n      "id": "fr_regressor_v2_ensemble_v1_seed1"',
                '"smoke": false \n    },\n    {\n      "id": "fr_regressor_v2_ensemble_v1_seed1"',
            ),
            "in a target, after its last flipped value",
        ),
        (lambda t: t.replace(f'"id": "{SEED1}",', f'"id":"{SEED1}",'), "in the second target"),
        (lambda t: t[:-1], "after the last row"),
        (lambda t: " " + t, "at the very start"),
    ],
    ids=["before", "target-head", "target-tail", "second-target", "end", "start"],
)
def test_a_whitespace_change_anywhere_but_the_flipped_values_is_caught(tamper, where) -> None:
    good = flipped(TEXT, SEED0, SEED1)
    bad = tamper(good)
    assert bad != good, where
    with pytest.raises(RewriteInvariantError) as err:
        check_json_rewrite(TEXT, bad, {SEED0, SEED1}, WHERE)
    assert str(err.value) == f"{WHERE}: bytes outside the targeted rows changed"


def test_a_broken_surgical_rewrite_is_a_bug_never_a_silent_edit(monkeypatch) -> None:
    text = TEXT.replace('"opset": 17,', '"opset":17 ,')  # not canonical: surgical path
    real = reg._surgical
    monkeypatch.setattr(
        reg, "_surgical", lambda *a: real(*a).replace('"opset":17 ,', '"opset":17,', 1)
    )
    with pytest.raises(RewriteInvariantError) as err:
        flip_registry(text, [RowChange(SEED0, NEW, False)], WHERE)
    assert str(err.value) == f"{WHERE}: bytes outside the targeted rows changed"


def test_a_broken_canonical_rewrite_is_a_bug_never_a_silent_edit(monkeypatch) -> None:
    real, calls = reg.dumps, []

    def dumps_then_break(doc: object) -> str:  # the first call only decides the path
        calls.append(doc)
        out = real(doc)
        return out if len(calls) == 1 else out.replace('"opset": 17', '"opset": 18', 1)

    monkeypatch.setattr(reg, "dumps", dumps_then_break)
    with pytest.raises(RewriteInvariantError) as err:
        flip_registry(TEXT, [RowChange(SEED0, NEW, False)], WHERE)
    assert str(err.value) == f"{WHERE}: the rewrite changed row 'vmaf_tiny_v2'"
    assert len(calls) == 2


A: dict[str, object] = {"id": "a", "sha256": "x", "smoke": True}
B: dict[str, object] = {"id": "b", "n": 1}
BEFORE = {"v": 1, "models": [A, B]}


@pytest.mark.parametrize(
    ("after", "targets", "message"),
    [
        ({"v": 1, "models": [A]}, {"a"}, "changed rows or top-level fields"),
        ({"v": 2, "models": [A, B]}, {"a"}, "changed rows or top-level fields"),
        ({"models": [A, B]}, {"a"}, "changed rows or top-level fields"),
        ({"v": 1, "models": [A, {"n": 1, "id": "b"}]}, {"a"}, "changed row 'b'"),
        ({"v": 1, "models": [A, {"id": "b", "n": 2}]}, {"a"}, "changed row 'b'"),
        ({"v": 1, "models": [A | {"n": 0}, B]}, {"a"}, "changed row 'a'"),
        ({"v": 1, "models": [A | {"sha256": "y"}, B]}, set(), "changed row 'a'"),
    ],
    ids=[
        "row dropped", "top-level value", "top-level key", "key order", "other row",
        "target extra field", "untargeted sha",
    ],
)  # fmt: skip
def test_the_parsed_check_catches_each_kind_of_change(
    after: dict[str, object], targets: set[str], message: str
) -> None:
    with pytest.raises(RewriteInvariantError) as err:
        check_rows_unchanged(BEFORE, after, targets, WHERE)
    assert str(err.value) == f"{WHERE}: the rewrite {message}"


def test_the_parsed_check_lets_the_target_values_change() -> None:
    after = {"v": 1, "models": [{"id": "a", "sha256": "y", "smoke": False}, B]}
    check_rows_unchanged(BEFORE, after, {"a"}, WHERE)


def test_a_change_of_the_very_first_byte_is_caught() -> None:
    # Leading whitespace keeps the JSON valid and the rows where they were.
    with pytest.raises(RewriteInvariantError, match="bytes outside the targeted rows changed"):
        check_json_rewrite(" " + TEXT, flipped("\t" + TEXT, SEED0), {SEED0}, WHERE)
    check_json_rewrite(" " + TEXT, flipped(" " + TEXT, SEED0), {SEED0}, WHERE)


def test_a_registry_that_breaks_its_schema_is_refused_even_if_the_flip_would_repair_it() -> None:
    broken = flipped(TEXT, SEED0).replace(f'"sha256": "{NEW}"', '"sha256": "NOT-HEX"', 1)
    with pytest.raises(InputError) as err:
        flip_registry(broken, [RowChange(SEED0, NEW, False)], WHERE, schema=SCHEMA_DOC)
    assert str(err.value) == (
        f"{WHERE}: schema violation at .models[2].sha256: 'NOT-HEX' does not match "
        "'^[0-9a-f]{64}$'; fix the registry so it matches its schema"
    )


def test_a_flip_that_would_break_the_schema_names_the_file() -> None:
    with pytest.raises(InputError) as err:
        flip_registry(TEXT, [RowChange(SEED0, "NOT-HEX", False)], WHERE, schema=SCHEMA_DOC)
    assert str(err.value).startswith(f"{WHERE}: schema violation at .models[2].sha256: ")


@pytest.mark.parametrize("name", ["registry.yml", "registry.yaml"])
def test_a_yaml_registry_is_checked_against_its_schema(name: str) -> None:
    schema = {
        "type": "object",
        "properties": {"models": {"type": "array", "items": {"required": ["id", "kind"]}}},
    }
    with pytest.raises(InputError) as err:
        flip_registry(YAML_TEXT, [RowChange("a_seed0", NEW, False)], name, schema=schema)
    assert str(err.value).startswith(f"{name}: schema violation at .models[0]: 'kind' is a ")
    assert flip_registry(YAML_TEXT, [], name).method == "yaml"  # no schema: no such check
