"""The flip commit is planned on the base view the verifier checked, never on a second read."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path

import pytest
from bot_inputs import (
    ENSEMBLE,
    REGISTRY,
    SCHEMA,
    SHIPPED_REGISTRY,
    make_verdict,
    verified_flip,
    write_inputs,
)
from onnx import TensorProto, helper
from stub_signer import StubSigner, stub_setup
from test_manifest_flip import MANIFEST, manifest_text

from bot.config import BotConfig, build_config
from bot.conventions.parse import Conventions, ExtraFile
from bot.conventions.templates import inline
from bot.flip import BaseView, Flip
from bot.github_api.git_objects import TreeEntry
from bot.manifest import Removal
from bot.pr.commit_plan import BaseMoved, CommitPlan, plan_commit, verified_base
from bot.signing import SignSetup
from bot.signing.policy import IdentityPolicy
from flipbot.errors import InputError

BOM = b"\xef\xbb\xbf"
SEED0, SEED1 = f"{ENSEMBLE}_seed0", f"{ENSEMBLE}_seed1"
SCHEMA_PATH = "model/tiny/registry.schema.json"
SETUP = SignSetup(IdentityPolicy("x"), None, "signing is off (input `sign: off`)")


@pytest.fixture(scope="module")
def flip(tmp_path_factory: pytest.TempPathFactory) -> Flip:
    root = tmp_path_factory.mktemp("plan")
    write_inputs(root / "in", make_verdict(seeds=(0, 1)))
    return verified_flip(root / "in")


def plan_config() -> BotConfig:
    return build_config(
        verdict_dir="in/loso",
        artifacts="in/export",
        registry=REGISTRY,
        repo="octo/models",
        base="main",
        mode="dry-run",
        env={},
    )


def plan(flip: Flip) -> CommitPlan:
    return plan_commit(plan_config(), flip, SETUP, lambda path: [])


def test_the_plan_is_built_on_the_verified_view(flip: Flip) -> None:
    assert flip.base is not None
    got = plan(flip)
    assert got.base is flip.base
    assert got.edit.before == flip.base.registry_text and got.edit.where == REGISTRY
    assert got.edit.changed == (f"{ENSEMBLE}_seed0", f"{ENSEMBLE}_seed1")
    assert got.desired[REGISTRY] == got.edit.after_bytes()
    assert list(got.desired)[-1] == REGISTRY


def test_another_view_in_the_flip_is_the_one_planned_on(flip: Flip) -> None:
    assert flip.base is not None
    crlf = flip.base.registry_text.replace("\n", "\r\n")
    other = replace(flip.base, registry_text=crlf, bom=True, where="main 0123456789ab")
    got = plan(replace(flip, base=other))
    assert got.base is other and got.edit.before == crlf
    written = got.desired[REGISTRY]
    assert written.startswith(BOM) and written.count(b"\r\n") == crlf.count("\r\n")
    assert written == BOM + plan(flip).edit.after.replace("\n", "\r\n").encode()


def test_a_flip_without_its_verified_base_has_no_plan(flip: Flip) -> None:
    with pytest.raises(ValueError) as err:
        verified_base(replace(flip, base=None))
    assert str(err.value) == "a flip reached the commit without the base it was verified on"
    with pytest.raises(ValueError):
        plan(replace(flip, base=None))


def test_a_signed_plan_records_the_verified_base_and_the_run(flip: Flip) -> None:
    assert flip.base is not None
    on_commit = replace(flip.base, commit="c" * 40, where="main cccccccccccc")
    config = replace(
        plan_config(),
        run_url="https://github.com/octo/models/actions/runs/7",
        audit={"drawn": 3},
    )
    got = plan_commit(config, replace(flip, base=on_commit), stub_setup(StubSigner()), lambda p: [])
    record = f"model/tiny/{ENSEMBLE}.promotion.sigstore.json"
    assert got.signed.record == record and got.signed.unsigned is None
    predicate = json.loads(base64.b64decode(json.loads(got.desired[record])["payload"]))[
        "predicate"
    ]
    assert (predicate["registry"], predicate["repository"]) == (REGISTRY, "octo/models")
    assert (predicate["base_commit"], predicate["audit"]) == ("c" * 40, {"drawn": 3})
    assert predicate["workflow_run"] == "https://github.com/octo/models/actions/runs/7"
    bundles = {f"model/tiny/{ENSEMBLE}_seed{s}.onnx.sigstore.json" for s in (0, 1)}
    assert bundles <= set(got.desired) and list(got.desired)[-1] == REGISTRY
    rows = {r["id"]: r for r in json.loads(got.edit.after)["models"]}
    assert rows[f"{ENSEMBLE}_seed0"]["sigstore_bundle"] == f"{ENSEMBLE}_seed0.onnx.sigstore.json"
    assert {f.path for f in got.shipped} == set(got.desired) - {REGISTRY}


def serving(view: BaseView, files: dict[str, bytes]) -> BaseView:
    """``view`` with ``files`` on it besides its own (the registry's folder: model/tiny)."""
    return replace(view, read_plain=lambda p: files[p] if p in files else view.read_plain(p))


def test_the_rendered_message_names_the_registry_and_the_unsigned_rows_keep_their_bundle(
    flip: Flip,
) -> None:
    got = plan(flip)
    assert got.rendered.message == (
        f"feat(models): promote {ENSEMBLE} seeds 0, 1 to production\n\nRegistry {REGISTRY}: "
        f"{ENSEMBLE}_seed0, {ENSEMBLE}_seed1 get the exported sha256 and smoke: false (PROMOTE, "
        "mean PLCC 0.99690)."
    )
    rows = {r["id"]: r for r in json.loads(got.edit.after)["models"]}
    assert [rows[f"{ENSEMBLE}_seed{s}"]["sigstore_bundle"] for s in (0, 1)] == [None, None]
    assert got.signed.files == () and got.prior.paths is None
    assert got.prior.rows == {
        r["id"]: r for r in json.loads(SHIPPED_REGISTRY.read_text())["models"]
    }


def test_the_schema_the_base_holds_is_applied_and_named(flip: Flip) -> None:
    assert flip.base is not None
    strict = b'{"description": "caf\xe9", "type": "object", "required": ["not_there"]}'
    with pytest.raises(InputError) as err:
        plan(replace(flip, base=serving(flip.base, {SCHEMA_PATH: strict})))
    assert "not_there" in str(err.value) and str(err.value).startswith(REGISTRY)
    with pytest.raises(InputError) as err:
        plan(replace(flip, base=serving(flip.base, {SCHEMA_PATH: b"{"})))
    assert str(err.value).startswith(f"{SCHEMA_PATH}: not valid JSON (")
    assert plan(replace(flip, base=serving(flip.base, {SCHEMA_PATH: SCHEMA.read_bytes()})))


def test_a_registry_text_that_is_not_json_is_named(flip: Flip) -> None:
    assert flip.base is not None
    with pytest.raises(InputError) as err:
        plan(replace(flip, base=replace(flip.base, registry_text="{")))
    assert str(err.value).startswith(f"{REGISTRY}: not valid JSON (")


def test_the_base_trees_paths_and_manifest_are_read_from_the_verified_view(flip: Flip) -> None:
    assert flip.base is not None
    tree = {p: TreeEntry(p, "100644", "blob", "a" * 40) for p in (REGISTRY, MANIFEST)}
    view = serving(replace(flip.base, tree=tree), {MANIFEST: manifest_text().encode()})
    config = replace(plan_config(), verdict_file=f"model/tiny/{ENSEMBLE}.judged.json")
    got = plan_commit(config, replace(flip, base=view), SETUP, lambda path: [])
    assert got.prior.paths == frozenset(tree)
    assert [f.path for f in got.derived] == [f"model/tiny/{ENSEMBLE}.judged.json", MANIFEST]
    manifest = json.loads(got.desired[MANIFEST])
    assert [m["sha256"] for m in manifest["members"]] == [
        flip.files[0].sha256,
        flip.files[2].sha256,
        "9" + "0" * 63,
    ]
    assert manifest["gate"]["verdict_sha256"] == flip.verdict_sha256
    assert got.manifest_notes and any("members[0].sha256" in n for n in got.manifest_notes)


def test_templates_see_the_verified_commit_and_extra_files_ship_unless_a_folder(
    flip: Flip,
) -> None:
    assert flip.base is not None
    conventions = Conventions(
        commit_message=inline("flip on [{{ base_sha }}]", "commit-message-template"),
        extra_files=(
            ExtraFile(
                inline("model/tiny/NOTES.md", "extra-files"), inline("{{ ensemble }}", "notes")
            ),
        ),
    )
    config = replace(plan_config(), conventions=conventions)
    got = plan_commit(config, flip, SETUP, lambda path: [])
    assert got.rendered.message == "flip on []"
    assert got.desired["model/tiny/NOTES.md"] == ENSEMBLE.encode()
    assert "model/tiny/NOTES.md" in {f.path for f in got.shipped}
    tree = {"model/tiny/NOTES.md": TreeEntry("model/tiny/NOTES.md", "040000", "tree", "b" * 40)}
    on_commit = replace(flip.base, commit="c" * 40, where="main cccccccccccc", tree=tree)
    with pytest.raises(InputError) as err:
        plan_commit(config, replace(flip, base=on_commit), SETUP, lambda path: [])
    assert str(err.value) == (
        "input 'extra-files': 'model/tiny/NOTES.md' is a folder on main cccccccccccc; "
        "choose a file path"
    )


def test_a_signed_plan_on_a_working_tree_records_no_base_commit(flip: Flip) -> None:
    got = plan_commit(plan_config(), flip, stub_setup(StubSigner()), lambda p: [])
    record = json.loads(got.desired[f"model/tiny/{ENSEMBLE}.promotion.sigstore.json"])
    assert json.loads(base64.b64decode(record["payload"]))["predicate"]["base_commit"] is None


@pytest.mark.parametrize(
    ("now", "moved"), [("b" * 40, "bbbbbbbbbbbb"), (None, "nowhere (deleted)")]
)
def test_base_moved_says_from_where_to_where(now: str | None, moved: str) -> None:
    err = BaseMoved("main", "a" * 40, now)
    assert (err.verified, err.now) == ("a" * 40, now)
    assert str(err) == (
        f"--base 'main' moved from aaaaaaaaaaaa to {moved} after flipbot verified the flip on "
        "aaaaaaaaaaaa; rerun the job"
    )


def test_data_files_only_the_replaced_models_used_are_removed_from_the_verified_base(
    flip: Flip, tmp_path: Path
) -> None:
    from test_external_data_removal import with_external_data

    assert flip.base is not None
    seed0, seed0_data = with_external_data(tmp_path / "a", f"{SEED0}.onnx", f"{SEED0}.onnx.data")
    seed1, shared = with_external_data(tmp_path / "b", f"{SEED1}.onnx", "shared.onnx.data")
    other, _ = with_external_data(tmp_path / "c", "vmaf_tiny_v2.onnx", "shared.onnx.data")
    files = {
        f"model/tiny/{SEED0}.onnx": seed0,
        f"model/tiny/{SEED0}.onnx.data": seed0_data,
        f"model/tiny/{SEED1}.onnx": seed1,
        "model/tiny/shared.onnx.data": shared,
        "model/tiny/vmaf_tiny_v2.onnx": other,
    }
    tree = {p: TreeEntry(p, "100644", "blob", f"{i:040d}") for i, p in enumerate(files)}
    view = serving(replace(flip.base, tree=tree), files)
    got = plan_commit(plan_config(), replace(flip, base=view), SETUP, lambda path: [])
    assert got.removed == (
        Removal(
            f"model/tiny/{SEED0}.onnx.data",
            len(seed0_data),
            f"{1:040d}",
            f"model/tiny/{SEED0}.onnx",
        ),
    )


def test_a_kept_member_on_the_base_with_another_codec_width_is_refused(flip: Flip) -> None:
    assert flip.base is not None
    x = helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 6])
    y = helper.make_tensor_value_info("score", TensorProto.FLOAT, [1, 6])
    graph = helper.make_graph(
        [helper.make_node("Identity", ["features"], ["score"])], "g", [x], [y]
    )
    no_codec = helper.make_model(graph).SerializeToString()
    files = {MANIFEST: manifest_text().encode(), f"model/tiny/{ENSEMBLE}_seed9.onnx": no_codec}
    with pytest.raises(InputError) as err:
        plan(replace(flip, base=serving(flip.base, files)))
    assert str(err.value) == (
        f"{MANIFEST}: the loader feeds every member a one-hot of width len(codec_vocab), but the "
        f"flipped members take 14 codec columns while kept members differ ('{ENSEMBLE}_seed9' "
        "takes 0); no codec_vocab fits both: flip every member, or remove the others from the "
        "manifest"
    )
