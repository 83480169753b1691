"""The registry modules one function at a time: exact bytes, exact messages.

In-process and fast (the mutation run's selection, docs/MUTATION.md): the byte
transforms of ``tests/bot/test_registry_bytes.py`` (CRLF, a BOM, no final
newline) without a bot run, and each reader, rewrite and check on its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from bot.registry import RowChange, flip_registry, schema_ref
from flipbot.errors import InputError
from flipbot.registry import (
    BUNDLE_KEY,
    RegistryText,
    RewriteInvariantError,
    decode_registry,
    json_format,
    read_registry,
    yaml_format,
)
from flipbot.registry.json_spans import SpanReader, locate_rows
from flipbot.registry.rows import rows_lacking

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "model/tiny/registry.json").read_bytes()
SEED = "fr_regressor_v2_ensemble_v1_seed"
BOM = b"\xef\xbb\xbf"
OLD = "0" * 64
NEW = [hashlib.sha256(str(s).encode()).hexdigest() for s in (0, 1)]
YAML_LF = (
    "# models shipped with the library\nschema_version: 1\nmodels:\n"
    + "".join(
        f"  - id: {SEED}{s}  # member {s}\n"
        "    kind: fr\n"
        f"    onnx: {SEED}{s}.onnx\n"
        f'    sha256: "{OLD}"\n'
        "    opset: 17\n"
        "    smoke: true\n"
        "    license: BSD-3-Clause-Plus-Patent\n"
        for s in (0, 1, 2)
    )
).encode()
Transform = Callable[[bytes], bytes]
TRANSFORMS: dict[str, Transform] = {
    "lf": lambda b: b,
    "crlf": lambda b: b.replace(b"\n", b"\r\n"),
    "bom": lambda b: BOM + b,
    "no-final-newline": lambda b: b.removesuffix(b"\n"),
    "bom+crlf+no-final-newline": lambda b: BOM + b.replace(b"\n", b"\r\n").removesuffix(b"\r\n"),
}
CHANGES = [RowChange(f"{SEED}{s}", NEW[s], False) for s in (0, 1)]


def flip_bytes(data: bytes, where: str) -> bytes:
    raw = decode_registry(data, where)
    return flip_registry(raw.text, CHANGES, where, bom=raw.bom).after_bytes()


def expected_lf_flip(fmt: str) -> bytes:
    if fmt == "yaml":
        text = YAML_LF.decode()
        for s in (0, 1):
            head, row = text.split(f"  - id: {SEED}{s}  #", 1)
            row = row.replace(f'"{OLD}"', f'"{NEW[s]}"', 1).replace(
                "smoke: true", "smoke: false", 1
            )
            text = f"{head}  - id: {SEED}{s}  #{row}"
        return text.encode()
    doc = json.loads(SHIPPED)
    for row in doc["models"]:
        if row["id"] in (f"{SEED}0", f"{SEED}1"):
            row["sha256"], row["smoke"] = NEW[int(row["id"][-1])], False
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
@pytest.mark.parametrize(
    ("fmt", "where", "lf"), [("json", "r.json", SHIPPED), ("yaml", "models.yaml", YAML_LF)]
)
def test_a_flip_keeps_the_files_newlines_bom_and_last_byte(
    fmt: str, where: str, lf: bytes, name: str
) -> None:
    transform = TRANSFORMS[name]
    assert flip_bytes(transform(lf), where) == transform(expected_lf_flip(fmt))


# --- text: bytes in and out ----------------------------------------------------------


def test_encode_takes_another_text_and_keeps_this_files_bom() -> None:
    assert RegistryText("a", True).encode("b\r\n") == BOM + b"b\r\n"
    assert RegistryText("a", False).encode("é") == "é".encode()
    assert RegistryText("a", True).encode() == BOM + b"a"


def test_read_registry_names_the_file_in_each_refusal(tmp_path: Path) -> None:
    missing = tmp_path / "none.json"
    with pytest.raises(InputError) as err:
        read_registry(missing)
    assert str(err.value) == f"{missing}: file not found; check --registry"
    with pytest.raises(InputError) as err:
        read_registry(tmp_path)
    assert str(err.value) == f"{tmp_path}: cannot read (Is a directory); check --registry"
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(b'{"mod\xe8ls": []}')
    with pytest.raises(InputError) as err:
        read_registry(latin1)
    assert str(err.value) == f"{latin1}: not UTF-8 text (byte 5); save the registry as UTF-8"
    crlf = tmp_path / "crlf.json"
    crlf.write_bytes(BOM + b'{"models": []}\r\n')
    assert read_registry(crlf) == RegistryText('{"models": []}\r\n', True)


# --- rows: the rows a field is added to ------------------------------------------------


def test_rows_lacking_reads_no_rows_from_a_document_without_a_models_list() -> None:
    assert rows_lacking([], ["a"], "k") == []
    assert rows_lacking({}, ["a"], "k") == []
    assert rows_lacking({"models": None}, ["a"], "k") == []
    rows = {"models": [{"id": "a"}, "a", {"id": "b", "k": None}, {"id": "c"}, {"id": "a"}]}
    assert rows_lacking(rows, ["a", "b"], "k") == [0, 4]


# --- JSON: read, add a missing field -------------------------------------------------

ONE_LINE_ROWS = (
    '{"models": [\n  {"id": "a", "sha256": "x", "smoke": true},\n  {"id": "b", "sha256": "y"}\n]}\n'
)
OWN_LINE_ROWS = (
    '{"models": [\n'
    + ",\n".join(f'  {{"id": "{i}",\n   "sha256": "x",\n   "smoke": true}}' for i in "abc")
    + "\n]}\n"
)


def test_json_refusals_name_the_file() -> None:
    for call in (
        lambda: json_format.load('{"a": NaN}', "w.json"),
        lambda: json_format.set_fields('{"a": NaN}', [], [], "w.json"),
        lambda: json_format.add_null_field('{"a": NaN}', ["a"], "k", "w.json"),
    ):
        with pytest.raises(InputError) as err:
            call()
        assert (
            str(err.value) == "w.json: not valid JSON (non-standard JSON number NaN); fix the file"
        )


def test_json_adds_the_field_on_its_own_line_in_each_rows_indentation() -> None:
    after = json_format.add_null_field(OWN_LINE_ROWS, ["a", "b", "c"], "sigstore_bundle", "w")
    assert after == OWN_LINE_ROWS.replace('"x",\n', '"x",\n   "sigstore_bundle": null,\n')
    crlf = OWN_LINE_ROWS.replace("\n", "\r\n")
    after = json_format.add_null_field(crlf, ["c", "a"], "sigstore_bundle", "w")
    b_row = crlf.index('"id": "b"')
    expected = (
        crlf[:b_row].replace('"x",\r\n', '"x",\r\n   "sigstore_bundle": null,\r\n')
        + crlf[b_row : crlf.index('"id": "c"')]
        + crlf[crlf.index('"id": "c"') :].replace(
            '"x",\r\n', '"x",\r\n   "sigstore_bundle": null,\r\n'
        )
    )
    assert after == expected


def test_json_adds_the_field_inline_after_sha256_on_a_shared_line() -> None:
    after = json_format.add_null_field(ONE_LINE_ROWS, ["a", "b"], "sigstore_bundle", "w")
    assert after == (
        '{"models": [\n  {"id": "a", "sha256": "x", "sigstore_bundle": null, "smoke": true},\n'
        '  {"id": "b", "sha256": "y", "sigstore_bundle": null}\n]}\n'
    )


def test_json_canonical_registry_gets_the_field_in_sorted_place() -> None:
    doc = {"models": [{"id": "a", "sha256": "x", "smoke": True}, {"id": "b", "sha256": "y"}]}
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    doc["models"][1]["kind"] = None
    assert json_format.add_null_field(text, ["b"], "kind", "w") == (
        json.dumps(doc, indent=2, sort_keys=True) + "\n"
    )


def test_json_rows_that_have_the_field_or_are_not_named_are_left_alone() -> None:
    assert json_format.add_null_field(ONE_LINE_ROWS, ["a"], "smoke", "w") == ONE_LINE_ROWS
    assert json_format.add_null_field(ONE_LINE_ROWS, ["z"], "k", "w") == ONE_LINE_ROWS


def test_json_a_row_without_sha256_gets_no_field_and_a_message() -> None:
    text = '{"models": [{"id": "a", "smoke": true}]}'
    with pytest.raises(InputError) as err:
        json_format.add_null_field(text, ["a"], "k", "w.json")
    assert str(err.value) == "w.json: models[0] has no 'sha256' field; fix the row"
    signed = RowChange("a", "y", False, ((BUNDLE_KEY, "a.sigstore.json"),))
    with pytest.raises(InputError) as err:
        flip_registry(text, [signed], "r.json")
    assert str(err.value) == "r.json: models[0] has no 'sha256' field; fix the row"


def test_json_a_broken_insert_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # The row has the field after sha256; inserting another one before it is a changed value.
    text = '{"models": [{"id": "a", "sha256": "x", "k": 1}]}'
    monkeypatch.setattr(json_format, "rows_lacking", lambda doc, ids, key: [0])
    with pytest.raises(RewriteInvariantError) as err:
        json_format.add_null_field(text, ["a"], "k", "w.json")
    assert str(err.value) == "w.json: adding 'k' changed other bytes"


def test_json_the_insert_check_compares_bytes_and_document_each() -> None:
    before = '{"models": [{"id": "a", "sha256": "x"}]}'
    at = before.index('"x"') + 3
    good = before[:at] + ', "k": null' + before[at:]
    json_format._check_added(before, good, [(at, ', "k": null')], [0], "k", "w")
    for after in (good.replace("[{", "[ {"), good.replace("null", "0")):
        with pytest.raises(RewriteInvariantError) as err:
            json_format._check_added(before, after, [(at, ', "k": null')], [0], "k", "w")
        assert str(err.value) == "w: adding 'k' changed other bytes"


# --- YAML: read ------------------------------------------------------------------------


def test_yaml_refusal_is_one_line_naming_the_file() -> None:
    try:
        YAML(typ="rt").load("a: [\n")
    except YAMLError as exc:
        finding = str(exc).replace("\n", " ")
    for call in (
        lambda: yaml_format.load("a: [\n", "m.yaml"),
        lambda: yaml_format.set_fields("a: [\n", [], [], "m.yaml"),
        lambda: yaml_format.add_null_field("a: [\n", ["a"], "k", "m.yaml"),
    ):
        with pytest.raises(InputError) as err:
            call()
        assert str(err.value) == f"m.yaml: not valid YAML ({finding}); fix the file"


def test_yaml_values_are_plain_python_types() -> None:
    doc = yaml_format.load('a: "x"\nb: 1.5\nc: 0x10\nd: ~\ne: [true]\n', "m.yaml")
    assert doc == {"a": "x", "b": 1.5, "c": 16, "d": None, "e": [True]}
    assert [type(doc[k]) for k in "abcde"] == [str, float, int, type(None), list]


# --- YAML: the value tokens ------------------------------------------------------------


def test_yaml_token_end_by_quoting() -> None:
    assert yaml_format._token_end('  note: "a b" # c\n', 8) == 13
    assert yaml_format._token_end("  note: 'it''s x'\n", 8) == 17
    assert yaml_format._token_end("  note: a b\n", 8) == 9
    with pytest.raises(InputError) as err:
        yaml_format._token_end("note: \n", 6)
    assert str(err.value) == "cannot find the value token at column 7 of 'note: \\n'"


def test_yaml_string_end_of_one_line_values() -> None:
    assert yaml_format._string_end('  note: "a b" # c\n', 8, "a b", "w") == 13
    assert yaml_format._string_end("  note: a b  # c # d\r\n", 8, "a b", "w") == 11
    assert yaml_format._string_end("  note: ABX\n", 8, "ABX", "w") == 11
    assert yaml_format._string_end('"k #": a b\n', 7, "a b", "w") == 10
    for block in ("|", ">"):
        with pytest.raises(InputError) as err:
            yaml_format._string_end(f"  note: {block}\n", 8, "a b", "w")
        assert str(err.value) == "w: a block scalar; row-updates rewrites one-line values only"
    with pytest.raises(InputError) as err:
        yaml_format._string_end("  note: a\n", 8, "a b", "w")
    assert str(err.value) == "w: spans lines; row-updates rewrites one-line values only"


def test_yaml_render_keeps_the_tokens_spelling() -> None:
    render = yaml_format._render
    assert [render("true", True), render("true", False)] == ["true", "false"]
    assert [render("TRUE", True), render("FALSE", False)] == ["TRUE", "FALSE"]
    assert [render("True", True), render("True", False)] == ["True", "False"]
    assert [render("abc", "x"), render('"abc"', "x"), render("'abc'", "x")] == ["x", '"x"', "'x'"]


# --- YAML: the rewrite and its check ---------------------------------------------------


def test_yaml_flips_two_values_on_one_flow_style_line() -> None:
    text = f'models:\n  - {{id: a, kind: fr, sha256: "{OLD}", smoke: true}}\n'
    after, method = yaml_format.set_fields(text, [RowChange("a", NEW[0], False)], [0], "m.yaml")
    assert method == "yaml"
    assert after == f'models:\n  - {{id: a, kind: fr, sha256: "{NEW[0]}", smoke: false}}\n'


def test_yaml_row_updates_write_non_ascii_as_is() -> None:
    text = f"models:\n  - id: a\n    sha256: {OLD}\n    smoke: true\n    notes: old  # n\n"
    change = RowChange("a", NEW[0], True, (("notes", "promu — é"),))
    after, _ = yaml_format.set_fields(text, [change], [0], "m.yaml")
    assert (
        after
        == f'models:\n  - id: a\n    sha256: {NEW[0]}\n    smoke: true\n    notes: "promu — é"  # n\n'
    )


def test_yaml_row_update_of_a_block_scalar_names_the_row_and_field() -> None:
    text = f"models:\n  - id: a\n    sha256: {OLD}\n    smoke: true\n    notes: |\n      x\n"
    with pytest.raises(InputError) as err:
        yaml_format.set_fields(text, [RowChange("a", OLD, True, (("notes", "y"),))], [0], "m.yaml")
    assert str(err.value) == (
        "m.yaml: row 'a' notes: a block scalar; row-updates rewrites one-line values only"
    )


def test_yaml_check_passes_a_long_registry_with_many_alike_lines() -> None:
    # 300 lines, "kind: fr" and "smoke: true" in every row: difflib's autojunk would pair
    # the rows' changed lines into blocks spanning the unchanged "opset" line between them.
    text = "models:\n" + "".join(
        f'  - id: r{i}\n    kind: fr\n    sha256: "{OLD}"\n    opset: 17\n    smoke: true\n'
        for i in range(60)
    )
    flipped = range(0, 60, 2)
    changes = [RowChange(f"r{i}", NEW[0], False) for i in flipped]
    after, _ = yaml_format.set_fields(text, changes, list(flipped), "m.yaml")
    assert after.count(NEW[0]) == 30 and after.count("smoke: false") == 30
    assert len(after.splitlines()) == 301


def broken_render(new_token: str) -> Callable[[str, object], str]:
    return lambda old_token, value: new_token if isinstance(value, str) else str(value).lower()


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ('"x"', "m.yaml: row 'a' did not take the new values"),
        ('"x"\n    extra: 1', "m.yaml: the YAML rewrite changed lines 4..4"),
    ],
)
def test_yaml_a_broken_rewrite_is_caught(
    monkeypatch: pytest.MonkeyPatch, token: str, message: str
) -> None:
    text = f'models:\n  - id: z\n  - id: a\n    sha256: "{OLD}"\n    smoke: true\n'
    monkeypatch.setattr(yaml_format, "_render", broken_render(token))
    with pytest.raises(RewriteInvariantError) as err:
        yaml_format.set_fields(text, [RowChange("a", NEW[0], True)], [1], "m.yaml")
    assert str(err.value) == message


def test_yaml_a_rewrite_that_only_adds_a_line_names_where_it_added_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An insert has no changed line of its own: the message names the line it follows."""
    text = f'models:\n  - id: z\n  - id: a\n    sha256: "{OLD}"\n    smoke: true\n'
    monkeypatch.setattr(
        yaml_format,
        "_render",
        lambda old_token, value: f'"{OLD}"\n    extra: 1' if isinstance(value, str) else old_token,
    )
    with pytest.raises(RewriteInvariantError) as err:
        yaml_format.set_fields(text, [RowChange("a", NEW[0], True)], [1], "m.yaml")
    assert str(err.value) == "m.yaml: the YAML rewrite changed 1 line(s) after line 4"


def test_yaml_a_rewrite_that_breaks_the_document_or_another_field_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = f'models:\n  - {{id: a, sha256: "{OLD}", smoke: true}}\n'
    monkeypatch.setattr(yaml_format, "_render", broken_render('"x", extra: 1'))
    with pytest.raises(RewriteInvariantError) as err:
        yaml_format.set_fields(text, [RowChange("a", NEW[0], True)], [0], "m.yaml")
    assert str(err.value) == "m.yaml: the rewrite changed row 'a'"
    monkeypatch.setattr(yaml_format, "_render", broken_render('"x", [: 1'))
    with pytest.raises(InputError) as err:
        yaml_format.set_fields(text, [RowChange("a", NEW[0], True)], [0], "m.yaml")
    assert str(err.value).startswith("m.yaml: not valid YAML (")


# --- YAML: add a missing field ---------------------------------------------------------

BLOCK_ROWS = "models:\n" + "".join(
    f"  - id: {i}\n    {key}: {OLD}\n    smoke: true\n"
    for i, key in (("a", "sha256"), ("b", '"sha256"'), ("c", "'sha256'"))
)


def test_yaml_adds_the_field_after_each_sha256_line() -> None:
    after = yaml_format.add_null_field(BLOCK_ROWS, ["a", "b", "c"], "sigstore_bundle", "m.yaml")
    assert after == BLOCK_ROWS.replace(f"{OLD}\n", f"{OLD}\n    sigstore_bundle: null\n")
    crlf = BLOCK_ROWS.replace("\n", "\r\n")
    after = yaml_format.add_null_field(crlf, ["c"], "k", "m.yaml")
    assert after == crlf.replace(f"'sha256': {OLD}\r\n", f"'sha256': {OLD}\r\n    k: null\r\n")
    assert yaml_format.add_null_field(BLOCK_ROWS, ["a"], "smoke", "m.yaml") == BLOCK_ROWS


def test_yaml_a_row_without_sha256_or_in_flow_style_gets_a_message() -> None:
    with pytest.raises(InputError) as err:
        yaml_format.add_null_field("models:\n  - id: a\n", ["a"], "k", "m.yaml")
    assert str(err.value) == "m.yaml: models[0] has no 'sha256' field; fix the row"
    for row in (
        "  - {id: a, kind: fr,\n     sha256: x,\n     smoke: true}\n",
        "  - {id: a,\n     sha256: x, extra: {\n       k: 1}, smoke: true}\n",
        "  - {id: a,\n     sha256: x, smoke: true}\n",
        "  - {id: a, sha256: x}\n",
    ):
        with pytest.raises(InputError) as err:
            yaml_format.add_null_field("models:\n" + row, ["a"], "k", "m.yaml")
        assert str(err.value) == "m.yaml: row 'a' is not in block style; add 'k: null' to it"


def test_yaml_an_added_line_that_does_not_read_back_as_null_is_caught() -> None:
    with pytest.raises(RewriteInvariantError) as err:
        yaml_format.add_null_field(BLOCK_ROWS, ["a"], "k: 1 #", "m.yaml")
    assert str(err.value) == "m.yaml: adding 'k: 1 #' changed other lines"
    with pytest.raises(InputError) as err:
        yaml_format.add_null_field(BLOCK_ROWS, ["a"], "k: [", "m.yaml")
    assert str(err.value).startswith("m.yaml: not valid YAML (")


# --- JSON spans ------------------------------------------------------------------------


def test_spans_of_rows_holding_empty_objects_and_lists() -> None:
    text = '{"models": [{"id": "a", "tags": [], "extra": {}, "sha256": "x", "smoke": true}, {"id": "b"}]}'
    rows = locate_rows(text)
    assert [(r.start, r.end) for r in rows] == [(12, 78), (80, 91)]
    assert {k: text[s:e] for k, (s, e) in rows[0].values.items()} == {
        "id": '"a"',
        "tags": "[]",
        "extra": "{}",
        "sha256": '"x"',
        "smoke": "true",
    }
    assert rows[1].values == {"id": (87, 90)}
    assert [(r.start, r.end, r.values) for r in locate_rows('{"models": [{}, {}]}')] == [
        (12, 14, {}),
        (16, 18, {}),
    ]
    after, method = json_format.set_fields(text, [RowChange("a", "y", False)], [0], "w")
    assert method == "surgical"
    assert after == text.replace('"x", "smoke": true', '"y", "smoke": false')


def test_the_span_reader_is_strict_json_and_says_where_it_stopped() -> None:
    with pytest.raises(ValueError, match="Invalid control character"):
        SpanReader('"a\x01"').string()
    for text, message in (
        ("[1}", "expected ']' at offset 2"),
        ('{"a" 1}', "expected ':' at offset 5"),
        ("[+1]", "unexpected text at offset 1"),
    ):
        reader = SpanReader(text)
        with pytest.raises(ValueError) as err:
            reader.value()
        assert str(err.value) == message


# --- the bot's side: the schema reference, the row checks --------------------------------


def test_schema_ref_is_read_from_json_only_and_by_the_paths_suffix() -> None:
    text = '{"$schema": "registry.schema.json", "models": []}'
    assert schema_ref(text, "r.json (on main)", "model/r.json") == "registry.schema.json"
    assert schema_ref(text, "r.json (on main)", "model/r.JSON") == "registry.schema.json"
    yaml_text = "$schema: registry.schema.json\nmodels: []\n"
    assert schema_ref(yaml_text, "m.yaml (on main)", "model/m.yaml") is None
    assert schema_ref('{"$schema": "https://x/s.json"}', "r.json", "r.json") is None
    with pytest.raises(InputError) as err:
        schema_ref(yaml_text, "m.yaml (on main)", "model/m")
    assert str(err.value).startswith("m.yaml (on main): not valid JSON (")


def test_row_updates_rewrite_string_fields_and_a_null_bundle_only() -> None:
    text = '{"models": [{"id": "a", "sha256": "x", "smoke": true, "notes": null, "n": 1}]}'
    for key in ("notes", "n"):
        with pytest.raises(InputError) as err:
            flip_registry(text, [RowChange("a", "y", False, ((key, "z"),))], "r.json")
        assert str(err.value) == (
            f"r.json: row 'a' field '{key}' is not a string; row-updates rewrites string fields "
            "only, fix --row-updates"
        )
    signed = text.replace('"notes": null', f'"{BUNDLE_KEY}": null')
    edit = flip_registry(signed, [RowChange("a", "y", False, ((BUNDLE_KEY, "a.sig"),))], "r.json")
    assert edit.after == signed.replace('"x"', '"y"').replace("true", "false").replace(
        f'"{BUNDLE_KEY}": null', f'"{BUNDLE_KEY}": "a.sig"'
    )
