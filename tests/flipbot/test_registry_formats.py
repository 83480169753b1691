"""The one registry format switch: every reader and the flip go through it.

A new format is one module plus one entry in ``FORMATS``: shown by
registering the test-only TOML subset module (``toml_subset_format``) and
watching the trainer's reader and the bot's flip pick it up with no other
change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import toml_subset_format

import flipbot.registry.formats as formats
from bot.registry import flip_registry
from flipbot.errors import InputError
from flipbot.registry import (
    RowChange,
    format_for,
    json_format,
    load_registry_doc,
    read_doc,
    registry_rows,
    yaml_format,
)
from trainer.registry_view import read_targets

ENSEMBLE = "fr_regressor_v2_ensemble_v1"
SEED0, SEED1 = f"{ENSEMBLE}_seed0", f"{ENSEMBLE}_seed1"
OLD, NEW = "0" * 64, "ab" * 32
TOML = "# models shipped with the library\nschema_version = 1\n" + "".join(
    "\n[[models]]\n"
    f'id = "{ENSEMBLE}_seed{s}"  # member {s}\n'
    f'onnx = "{ENSEMBLE}_seed{s}.onnx"\n'
    f'sha256 = "{OLD}"\n'
    "smoke = true\n"
    'license = "BSD-3-Clause-Plus-Patent"\n'
    for s in (0, 1)
)
YAML = "models:  # the registry\n" + "".join(
    f"  - id: {ENSEMBLE}_seed{s}\n    onnx: '{ENSEMBLE}_seed{s}.onnx'\n"
    f"    sha256: '{OLD}'\n    smoke: true\n"
    for s in (0, 1)
)


@pytest.fixture
def with_toml(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one line a shipped TOML format would add to ``FORMATS``."""
    monkeypatch.setattr(formats, "FORMATS", (*formats.FORMATS, toml_subset_format))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("model/tiny/registry.json", json_format),
        ("models.yaml", yaml_format),
        ("MODELS.YML", yaml_format),
        ("registry.yml.json", json_format),
        ("registry.ymlx", json_format),
        ("registry", json_format),
        ("registry.toml", json_format),  # no TOML format is shipped: read as JSON
    ],
)
def test_the_suffix_picks_the_format_and_any_other_name_is_json(
    name: str, expected: object
) -> None:
    assert format_for(name) is expected


def test_a_registered_format_is_picked_by_its_suffix_only(with_toml: None) -> None:
    assert format_for("model/registry.TOML") is toml_subset_format
    assert format_for("model/registry.json") is json_format
    assert format_for("model/models.yml") is yaml_format


def test_without_the_entry_a_toml_registry_is_refused_as_json(tmp_path: Path) -> None:
    path = tmp_path / "registry.toml"
    path.write_text(TOML)
    with pytest.raises(InputError, match=r"registry\.toml: not valid JSON"):
        load_registry_doc(path)


def test_the_trainers_reader_reads_a_registered_format(tmp_path: Path, with_toml: None) -> None:
    path = tmp_path / "registry.toml"
    path.write_text(TOML)
    targets = read_targets(path, ENSEMBLE, (0, 1))
    assert targets.seed_onnx == {0: f"{SEED0}.onnx", 1: f"{SEED1}.onnx"}
    assert targets.member_seeds == (0, 1)
    assert load_registry_doc(path)["schema_version"] == 1


def test_the_bots_flip_edits_a_registered_format_in_place(with_toml: None) -> None:
    edit = flip_registry(TOML, [RowChange(SEED1, NEW, False)], "model/registry.toml")
    assert edit.method == "toml" and edit.changed == (SEED1,)
    head, seed1 = TOML.split(f'id = "{SEED1}"')
    flipped = seed1.replace(f'"{OLD}"\nsmoke = true', f'"{NEW}"\nsmoke = false')
    assert flipped != seed1
    assert edit.after == head + f'id = "{SEED1}"' + flipped  # seed0's table untouched
    assert [r["smoke"] for r in registry_rows(edit.after, "model/registry.toml").values()] == [
        True,
        False,
    ]


def test_the_bots_flip_uses_the_formats_own_field_insert(with_toml: None) -> None:
    signed = RowChange(SEED0, NEW, False, (("sigstore_bundle", "s.sigstore.json"),))
    with pytest.raises(InputError, match="TOML has no null"):
        flip_registry(TOML, [signed], "model/registry.toml")


def test_json_and_yaml_forms_of_one_registry_read_the_same(tmp_path: Path) -> None:
    doc = yaml_format.load(YAML, "models.yaml")
    (tmp_path / "registry.json").write_text(json.dumps(doc, indent=2))
    (tmp_path / "models.yaml").write_text(YAML)
    assert load_registry_doc(tmp_path / "registry.json") == load_registry_doc(
        tmp_path / "models.yaml"
    )
    assert registry_rows(YAML, "models.yaml (on main)", "models.yaml")[SEED1]["smoke"] is True


def test_one_json_rule_for_every_reader_duplicate_keys_are_refused(tmp_path: Path) -> None:
    text = '{"models": [{"id": "a", "id": "b"}]}\n'
    path = tmp_path / "registry.json"
    path.write_text(text)
    message = "not valid JSON (duplicate key(s) ['id'] in one object); fix the file"
    for read in (
        lambda: read_doc(text, "registry.json"),
        lambda: load_registry_doc(path),
        lambda: read_targets(path, ENSEMBLE, (0,)),
        lambda: flip_registry(text, [], "registry.json"),
    ):
        with pytest.raises(InputError) as err:
            read()
        assert str(err.value).endswith(message)


def test_only_the_format_modules_name_a_yaml_library_or_suffix() -> None:
    root = Path(__file__).resolve().parents[2]
    hits = sorted(
        str(p.relative_to(root))
        for package in ("bot", "flipbot", "trainer", "gate")
        for p in (root / package).rglob("*.py")
        if any(word in p.read_text() for word in ("ruamel", '".yaml"', '".yml"'))
    )
    assert hits == ["flipbot/registry/yaml_format.py"]
