"""Where a flip may write, derived from the registry and the re-judged verdict, rule by rule."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from bot_inputs import judge_folder, make_verdict

from bot.registry import Target, clean_repo_path, derive_targets
from flipbot.errors import InputError
from flipbot.registry import registry_rows
from flipbot.verdict_file import Verdict

ENS = "ens_v1"
REG = "model/tiny/registry.json"


def row(row_id: str, onnx: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": row_id, "onnx": onnx or f"{row_id}.onnx", "smoke": True, **extra}


def registry(*rows: dict[str, Any]) -> str:
    return json.dumps({"models": list(rows)})


FULL = registry(row("other"), row(f"{ENS}_seed0"), row(f"{ENS}_seed1"), row(ENS))


@pytest.fixture(scope="module")
def verdict(tmp_path_factory: pytest.TempPathFactory) -> Verdict:
    path = judge_folder(tmp_path_factory.mktemp("v"), make_verdict(seeds=(0, 1)))
    verdict = Verdict.from_json(json.loads(path.read_text()), str(path))
    assert (verdict.flip, verdict.ensemble_flip) == ((0, 1), True)
    return verdict


def targets(
    verdict: Verdict, text: str = FULL, *, path: str = REG, **kw: Any
) -> tuple[Target, ...]:
    options: dict[str, Any] = {"with_ensemble_row": False, **kw}
    return derive_targets(
        verdict, ensemble_id=ENS, registry_path=path, registry_text=text, **options
    )


def refusal(verdict: Verdict, text: str = FULL, **kw: Any) -> str:
    with pytest.raises(InputError) as caught:
        targets(verdict, text, **kw)
    return str(caught.value)


def test_each_flipped_seed_ships_its_onnx_and_sidecar_beside_the_registry(verdict: Verdict) -> None:
    folder = "model/tiny"
    assert targets(verdict) == (
        Target(f"{ENS}_seed0", 0, f"{ENS}_seed0.onnx", f"{folder}/{ENS}_seed0.onnx",
               f"{ENS}_seed0.json", f"{folder}/{ENS}_seed0.json"),
        Target(f"{ENS}_seed1", 1, f"{ENS}_seed1.onnx", f"{folder}/{ENS}_seed1.onnx",
               f"{ENS}_seed1.json", f"{folder}/{ENS}_seed1.json"),
    )  # fmt: skip


def test_the_ensemble_row_ships_its_manifest(verdict: Verdict) -> None:
    text = registry(row(f"{ENS}_seed0"), row(f"{ENS}_seed1"), row(ENS, "members.onnx"))
    got = targets(verdict, text, with_ensemble_row=True)
    assert got[-1] == Target(ENS, None, "members.json", "model/tiny/members.json", None, None)
    assert len(got) == 3


def test_a_registry_at_the_top_of_the_repository_writes_beside_it(verdict: Verdict) -> None:
    got = targets(verdict, path="registry.json")
    assert [(t.path, t.sidecar_path) for t in got] == [
        (f"{ENS}_seed0.onnx", f"{ENS}_seed0.json"),
        (f"{ENS}_seed1.onnx", f"{ENS}_seed1.json"),
    ]


def test_a_yaml_registry_is_read_by_its_suffix(verdict: Verdict) -> None:
    text = "models:\n" + "".join(f"  - id: {ENS}_seed{s}\n    onnx: m{s}.onnx\n" for s in (0, 1))
    got = targets(verdict, text, path="model/registry.yaml")
    assert [t.path for t in got] == ["model/m0.onnx", "model/m1.onnx"]
    # The one YAML reader (flipbot/registry/yaml_format.py) names the parser's finding.
    message = refusal(verdict, "models: [", path="model/registry.yml")
    assert message.startswith("model/registry.yml: not valid YAML (while parsing a flow node")
    assert message.endswith("(line: 1)); fix the file")


def test_a_missing_row_names_the_seed_and_the_base(verdict: Verdict) -> None:
    text = registry(row(f"{ENS}_seed0"))
    assert refusal(verdict, text, base="main@abc") == (
        f"{REG} (on main@abc): no row '{ENS}_seed1' for seed 1, which the verdict flips; check "
        "--ensemble-id and the registry"
    )


@pytest.mark.parametrize("onnx", [None, 7, "sub/m.onnx", "m.onx", "m.onnx.json"])
def test_a_row_whose_onnx_is_not_a_plain_onnx_name_is_refused(verdict: Verdict, onnx: Any) -> None:
    text = registry({"id": f"{ENS}_seed0", "onnx": onnx}, row(f"{ENS}_seed1"))
    assert refusal(verdict, text) == (
        f"{REG}: row '{ENS}_seed0' field 'onnx' is {onnx!r}; it must be a plain *.onnx file "
        "name in the registry's folder, fix the registry"
    )


def test_the_ensemble_row_flips_only_when_the_verdict_lets_it(verdict: Verdict) -> None:
    assert refusal(replace(verdict, ensemble_flip=False), with_ensemble_row=True) == (
        f"flip_plan.json: flips the ensemble row '{ENS}' but the re-judged verdict does not let "
        "it flip; rerun `trainer export` on this verdict"
    )
    assert targets(replace(verdict, ensemble_flip=False))  # without the row, the seeds still flip


@pytest.mark.parametrize(
    ("rows", "members"),
    [
        ((row(f"{ENS}_seed0"), row(f"{ENS}_seed1")), [0, 1]),  # no ensemble row
        ((row(f"{ENS}_seed0"), row(f"{ENS}_seed1"), row(f"{ENS}_seed2"), row(ENS)), [0, 1, 2]),
    ],
)
def test_the_ensemble_row_needs_its_members_to_be_the_flipped_seeds(
    verdict: Verdict, rows: tuple[dict[str, Any], ...], members: list[int]
) -> None:
    assert refusal(verdict, registry(*rows), with_ensemble_row=True) == (
        f"flip_plan.json: flips the ensemble row '{ENS}' but {REG} has no such row or lists "
        f"members {members}, not the flipped seeds; rerun `trainer export`"
    )


def test_members_are_counted_by_their_full_id(verdict: Verdict) -> None:
    rows = (row(f"{ENS}_seed0"), row(f"{ENS}_seed1"), row(f"x{ENS}_seed2"), row(f"{ENS}_seed3x"))
    got = targets(verdict, registry(*rows, row(ENS)), with_ensemble_row=True)
    assert [t.row_id for t in got] == [f"{ENS}_seed0", f"{ENS}_seed1", ENS]


@pytest.mark.parametrize(
    "rows",
    [
        (row(f"{ENS}_seed0", "m.onnx"), row(f"{ENS}_seed1", "m.onnx")),  # one file for two rows
        (row(f"{ENS}_seed0", "registry.onnx"), row(f"{ENS}_seed1")),  # sidecar is registry.json
    ],
)
def test_rows_sharing_a_file_or_writing_the_registry_are_refused(
    verdict: Verdict, rows: tuple[dict[str, Any], ...]
) -> None:
    assert refusal(verdict, registry(*rows)) == (
        f"{REG}: rows share one file, or a row's file is the registry itself; give each row its "
        "own onnx file name"
    )


def test_a_manifest_that_shares_a_seeds_sidecar_is_refused(verdict: Verdict) -> None:
    text = registry(row(f"{ENS}_seed0"), row(f"{ENS}_seed1"), row(ENS, f"{ENS}_seed0.onnx"))
    assert "rows share one file" in refusal(verdict, text, with_ensemble_row=True)


@pytest.mark.parametrize("path", [".", "", "../registry.json", ".github/registry.json"])
def test_a_registry_path_that_is_not_a_clean_file_is_refused(verdict: Verdict, path: str) -> None:
    message = refusal(verdict, path=path)
    assert message.startswith(f"--registry {path}: ")


def test_clean_paths_keep_dots_inside_names() -> None:
    assert clean_repo_path("model/v1.2/m.seed-0_x.onnx", "w") == "model/v1.2/m.seed-0_x.onnx"
    assert clean_repo_path("a", "w") == "a"
    with pytest.raises(InputError) as caught:
        clean_repo_path("model/./m.onnx", "flip_plan.json")
    assert str(caught.value) == (
        "flip_plan.json: 'model/./m.onnx' is not a clean repository-relative path outside .git "
        "and .github; rerun export with a registry in a plain model folder"
    )
    with pytest.raises(InputError):
        clean_repo_path("model/.GIT/m.onnx", "w")
    with pytest.raises(InputError):
        clean_repo_path("model/", "w")


def test_registry_rows_by_id() -> None:
    rows = registry_rows(registry(row("a"), row("b", sha256="x")), "r.json")
    assert rows == {"a": row("a"), "b": row("b", sha256="x")}
    yaml_rows = registry_rows("models:\n  - id: a\n", "where", "r.YAML")
    assert yaml_rows == {"a": {"id": "a"}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "r.json: field 'models' must be a list of rows; fix the registry file"),
        ('{"models": {}}', "r.json: field 'models' must be a list of rows; fix the registry file"),
        ('{"models": [1]}', "r.json: models[0] has no string 'id'; fix the registry file"),
        ('{"models": [{"id": 3}]}', "r.json: models[0] has no string 'id'; fix the registry file"),
        (
            '{"models": [{"id": "a"}, {"id": "b"}, {"id": "a"}]}',
            "r.json: id 'a' appears twice; keep one row per id",
        ),
    ],
)
def test_registry_rows_refuse_what_is_not_one_row_per_id(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        registry_rows(text, "r.json")
    assert str(caught.value) == message


def test_registry_rows_read_json_unless_the_path_says_yaml(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="r.json"):
        registry_rows("models:\n  - id: a\n", "r.json")
    assert registry_rows('{"models": [{"id": "a"}]}', "on main", "r.json") == {"a": {"id": "a"}}


def test_a_yaml_tag_the_loader_does_not_know_is_refused() -> None:
    # The round-trip loader keeps an unknown tag as a tagged value, never a string id.
    with pytest.raises(InputError) as caught:
        registry_rows("models:\n  - id: !x a\n", "r.yaml")
    assert str(caught.value) == "r.yaml: models[0] has no string 'id'; fix the registry file"


def test_a_yaml_registry_on_a_base_is_read_by_its_path_and_named_with_the_base(
    verdict: Verdict,
) -> None:
    text = "models:\n" + "".join(f"  - id: {ENS}_seed{s}\n    onnx: m{s}.onnx\n" for s in (0, 1))
    got = targets(verdict, text, path="model/registry.yaml", base="main@abc")
    assert [t.path for t in got] == ["model/m0.onnx", "model/m1.onnx"]
    assert refusal(verdict, "models: {}", path="model/registry.yaml", base="main@abc") == (
        "model/registry.yaml (on main@abc): field 'models' must be a list of rows; fix the "
        "registry file"
    )


def test_an_onnx_name_with_a_space_is_refused_as_a_destination(verdict: Verdict) -> None:
    text = registry(row(f"{ENS}_seed0", "m 0.onnx"), row(f"{ENS}_seed1"))
    assert refusal(verdict, text) == (
        f"{REG}: 'model/tiny/m 0.onnx' is not a clean repository-relative path outside .git and "
        ".github; rerun export with a registry in a plain model folder"
    )


def test_the_ensemble_rows_onnx_must_be_a_plain_onnx_name(verdict: Verdict) -> None:
    text = registry(row(f"{ENS}_seed0"), row(f"{ENS}_seed1"), row(ENS, "members.txt"))
    assert refusal(verdict, text, with_ensemble_row=True) == (
        f"{REG}: row '{ENS}' field 'onnx' is 'members.txt'; it must be a plain *.onnx file name "
        "in the registry's folder, fix the registry"
    )
