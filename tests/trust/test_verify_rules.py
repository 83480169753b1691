"""The verifier's rules one at a time, each refusal read in full (the adversarial suite runs them
through the bot; these call ``verify`` and ``check_commit`` directly, so each rule's test is fast).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from bot_inputs import (
    ENSEMBLE,
    REGISTRY,
    SHIPPED_REGISTRY,
    install_base,
    make_verdict,
    write_inputs,
)

from bot.flip import Flip, ShippedFile
from bot.registry.flip import flip_registry
from bot.trust.base_view import worktree_base
from bot.trust.verify import TrustOptions, check_commit, verify
from flipbot.errors import InputError
from flipbot.jsonfile import dumps, sha256_bytes, sha256_file
from flipbot.plan_file import FlipPlan

SEED0 = f"{ENSEMBLE}_seed0"
EXPORT = "rerun `trainer export`"


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``in/``: a PROMOTE of seeds 0 and 1 with its export; ``work/``: the base's files."""
    root = tmp_path_factory.mktemp("good")
    write_inputs(root / "in", make_verdict(seeds=(0, 1)))
    work = root / "work"
    (work / REGISTRY).parent.mkdir(parents=True)
    (work / REGISTRY).write_bytes(SHIPPED_REGISTRY.read_bytes())
    install_base(work)
    return root


@pytest.fixture(scope="module")
def flip(good: Path) -> Flip:
    return run(good)


@pytest.fixture
def case(good: Path, tmp_path: Path) -> Path:
    root = tmp_path / "case"
    shutil.copytree(good, root)
    return root


def run(root: Path, **options: Any) -> Flip:
    return verify(
        root / "in/loso",
        root / "in/export",
        worktree_base(root / "work" / REGISTRY),
        TrustOptions(**options),
    )


def refusal(root: Path, **options: Any) -> str:
    with pytest.raises(InputError) as caught:
        run(root, **options)
    return str(caught.value)


def edit_plan(root: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    path = root / "in/export/flip_plan.json"
    plan = json.loads(path.read_text())
    edit(plan)
    path.write_text(json.dumps(plan, indent=2))
    return path


def test_the_good_inputs_give_the_derived_flip(good: Path, flip: Flip) -> None:
    verdict = good / "in/loso/PROMOTE.json"
    assert (flip.verdict_path, flip.verdict_sha256) == (verdict, sha256_file(verdict))
    assert flip.verdict.flip == (0, 1) and flip.plan is not None
    assert [(t.row_id, t.seed, t.path, t.sidecar_path) for t in flip.targets] == [
        (f"{ENSEMBLE}_seed{s}", s, f"model/tiny/{ENSEMBLE}_seed{s}.onnx",
         f"model/tiny/{ENSEMBLE}_seed{s}.json")
        for s in (0, 1)
    ]  # fmt: skip
    shipped = {f.path: f.sha256 for f in flip.files}
    assert shipped == {
        f.path: sha256_bytes((good / "in/export" / f.artifact).read_bytes())
        for f in flip.plan.files
    }
    assert len(shipped) == 4 and flip.recipe_override == ()
    assert flip.in_sample is not None and flip.calibration is None  # the gate wrote none here
    assert (flip.in_sample["in_sample_rows"], flip.in_sample["in_sample_seeds"]) == (600, [0, 1])


def test_a_verdict_that_flips_nothing_reads_no_plan(tmp_path: Path) -> None:
    loso, export = write_inputs(tmp_path / "in", make_verdict(seeds=(0, 1), flip=()))
    got = verify(loso, export, lambda registry: pytest.fail("no base is read"))
    assert (got.plan, got.files, got.targets, got.verdict.decision) == (None, (), (), "HOLD")
    assert got.verdict_sha256 == sha256_file(loso / "HOLD.json")


def test_a_refused_verdict_reads_no_plan(tmp_path: Path) -> None:
    loso, export = write_inputs(tmp_path / "in", make_verdict(seeds=(0, 1), refused=True))
    got = verify(loso, export, lambda registry: pytest.fail("no base is read"))
    assert (got.plan, got.files, got.verdict.refused) == (None, (), True)


def test_a_plan_for_another_verdict_is_refused(case: Path) -> None:
    plan = edit_plan(case, lambda p: p.update(verdict_sha256="ab" * 32))
    verdict = case / "in/loso/PROMOTE.json"
    assert refusal(case) == (
        f"{plan}: field 'verdict_sha256' names PROMOTE.json abababababab, but {verdict} has "
        f"sha256 {sha256_file(verdict)[:12]}; rerun `trainer export` on this verdict"
    )


def test_a_plan_naming_another_verdict_file_is_refused(case: Path) -> None:
    edit_plan(case, lambda p: p.update(verdict_file="HOLD.json"))
    assert "field 'verdict_sha256' names HOLD.json " in refusal(case)


def test_a_plan_with_other_pins_is_refused(case: Path) -> None:
    plan = edit_plan(case, lambda p: p["pins"].update(corpus_sha256="ef" * 32))
    verdict = case / "in/loso/PROMOTE.json"
    assert refusal(case) == f"{plan}: field 'pins' differs from {verdict}'s pins; rerun export"


def test_a_plan_for_another_ensemble_is_refused(case: Path) -> None:
    plan = case / "in/export/flip_plan.json"
    assert refusal(case, ensemble_id="other_v1") == (
        f"{plan}: field 'ensemble_id' is '{ENSEMBLE}' but the bot flips 'other_v1'; pass the "
        "same --ensemble-id to export and bot"
    )


def test_a_plan_row_that_keeps_smoke_true_is_refused(case: Path) -> None:
    # The plan file's reader refuses rows of the wrong types first; smoke true is well typed.
    plan = edit_plan(case, lambda p: p["rows"][1].update(smoke=True))
    assert refusal(case) == (
        f"{plan}: rows[1] needs a string id and sha256, an integer seed and smoke false; {EXPORT}"
    )


def test_plan_rows_that_are_not_the_derived_ones_are_refused(case: Path) -> None:
    plan = edit_plan(case, lambda p: p["rows"].pop())
    assert refusal(case) == (
        f"{plan}: field 'rows' flips ['{SEED0}'] but the re-judged verdict and the registry give "
        f"['{SEED0}', '{ENSEMBLE}_seed1']; {EXPORT}"
    )


def test_a_plan_row_with_another_seed_is_refused(case: Path) -> None:
    edit_plan(case, lambda p: p["rows"][0].update(seed=1))
    assert "field 'rows' flips" in refusal(case)


@pytest.mark.parametrize(
    ("edit", "index", "path", "artifact"),
    [
        (lambda p: p["files"][1].update(artifact=f"{SEED0}.onnx"), 1,
         f"model/tiny/{SEED0}.json", f"{SEED0}.onnx"),
        (lambda p: p["files"].append(dict(p["files"][0])), 4, f"model/tiny/{SEED0}.onnx",
         f"{SEED0}.onnx"),
        (lambda p: p["files"].append({"path": "Makefile", "artifact": "x", "sha256": "0" * 64}),
         4, "Makefile", "x"),
    ],
    ids=["another artifact", "a file twice", "a file no row has"],
)  # fmt: skip
def test_a_plan_file_that_is_not_a_derived_destination_is_refused(
    case: Path, edit: Callable[[dict[str, Any]], None], index: int, path: Any, artifact: str
) -> None:
    plan = edit_plan(case, edit)
    assert refusal(case) == (
        f"{plan}: files[{index}] writes {path!r} from {artifact!r}, which is not a file of a "
        f"flipped row (destinations are derived from the registry); {EXPORT}"
    )


def test_a_plan_lacking_a_sidecar_is_refused(case: Path) -> None:
    plan = edit_plan(case, lambda p: p["files"].pop(1))
    assert refusal(case) == (f"{plan}: field 'files' lacks ['model/tiny/{SEED0}.json']; {EXPORT}")


def test_a_corpus_missing_from_the_base_is_refused(case: Path) -> None:
    verdict = case / "in/loso/PROMOTE.json"
    pinned = json.loads(verdict.read_text())["pins"]["corpus"]
    (case / "work" / pinned).unlink()
    assert refusal(case) == (
        f"{verdict}: field 'pins.corpus' names {pinned}, which is not in the working tree at "
        f"{case / 'work'}; commit the corpus the gate judged"
    )


def test_a_corpus_with_other_bytes_is_refused(case: Path) -> None:
    verdict = case / "in/loso/PROMOTE.json"
    pinned = json.loads(verdict.read_text())["pins"]["corpus"]
    (case / "work" / pinned).write_bytes(b"other corpus")
    assert refusal(case) == (
        f"{pinned} (the working tree at {case / 'work'}): sha256 {sha256_bytes(b'other corpus')[:12]} "
        f"differs from field 'pins.corpus_sha256' of {verdict}; train and judge on the committed "
        "corpus"
    )


# --- check_commit: the committed tree is exactly the bot's edit --------------------------------


def committed(flip: Flip) -> tuple[Any, dict[str, bytes]]:
    text = SHIPPED_REGISTRY.read_text()
    edit = flip_registry(text, flip.changes, REGISTRY)
    return edit, {f.path: f.data for f in flip.files} | {REGISTRY: edit.after_bytes()}


def commit_refusal(flip: Flip, **kw: Any) -> str:
    edit, files = committed(flip)
    files = kw.pop("files", lambda f: f)(files)
    with pytest.raises(InputError) as caught:
        check_commit(flip, REGISTRY, edit, files, **kw)
    return str(caught.value)


def test_the_bots_own_commit_passes(flip: Flip) -> None:
    edit, files = committed(flip)
    own = [ShippedFile("model/tiny/ens.verdict.json", b"{}", sha256_bytes(b"{}"))]
    extra = [ShippedFile("docs/models.md", b"x", sha256_bytes(b"x"))]
    files |= {"model/tiny/ens.verdict.json": b"{}", "docs/models.md": b"x"}
    check_commit(flip, REGISTRY, edit, files, own=own, extra=extra)


def test_a_registry_that_is_not_the_edit_is_refused(flip: Flip) -> None:
    message = commit_refusal(flip, files=lambda f: f | {REGISTRY: b"{}"})
    assert message == f"{REGISTRY}: a shipped file would replace the registry; {EXPORT}"


def test_a_row_bound_to_other_bytes_is_refused(flip: Flip) -> None:
    path = f"model/tiny/{SEED0}.onnx"
    message = commit_refusal(flip, files=lambda f: f | {path: b"other"})
    assert message == (
        f"{REGISTRY}: row '{SEED0}' field 'sha256' would not be the sha256 of the bytes "
        f"committed at {path}; {EXPORT}"
    )
    gone = commit_refusal(flip, files=lambda f: {k: v for k, v in f.items() if k != path})
    assert gone == message


@pytest.mark.parametrize(
    "path", ["model/tiny/registry.json", "model/other/x.json", f"model/tiny/{SEED0}.onnx"]
)
def test_a_derived_file_outside_the_folder_or_over_a_shipped_one_is_refused(
    flip: Flip, path: str
) -> None:
    own = [ShippedFile(path, b"{}", sha256_bytes(b"{}"))]
    assert commit_refusal(flip, own=own) == (
        f"{path}: a derived file (manifest, verdict) must sit in the folder of {REGISTRY} and "
        "replace nothing shipped; check --verdict-file and the ensemble id"
    )


def test_an_unclean_derived_path_is_refused(flip: Flip) -> None:
    own = [ShippedFile("model/tiny/../x.json", b"{}", sha256_bytes(b"{}"))]
    assert commit_refusal(flip, own=own).startswith(
        f"{REGISTRY} (derived file): 'model/tiny/../x.json' is not a clean"
    )


@pytest.mark.parametrize(
    "path", [REGISTRY, f"model/tiny/{SEED0}.json", "model/tiny/ens.verdict.json"]
)
def test_an_extra_file_over_the_registry_a_model_or_a_derived_file_is_refused(
    flip: Flip, path: str
) -> None:
    own = [ShippedFile("model/tiny/ens.verdict.json", b"{}", sha256_bytes(b"{}"))]
    extra = [ShippedFile(path, b"x", sha256_bytes(b"x"))]
    assert commit_refusal(flip, own=own, extra=extra) == (
        f"input 'extra-files': '{path}' is the registry, a model file or a file the bot "
        "derives; choose another path"
    )


def test_an_unclean_extra_path_is_refused(flip: Flip) -> None:
    extra = [ShippedFile(".github/workflows/x.yml", b"x", sha256_bytes(b"x"))]
    assert commit_refusal(flip, extra=extra).startswith(
        "input 'extra-files': '.github/workflows/x.yml' is not a clean"
    )


def test_a_commit_writing_anything_else_is_refused(flip: Flip) -> None:
    message = commit_refusal(flip, files=lambda f: f | {"Makefile": b"x", "a.txt": b"y"})
    assert message == f"{REGISTRY}: the commit would write ['Makefile', 'a.txt']; rerun the bot"


def test_the_ensemble_row_is_matched_as_a_row_without_a_seed(tmp_path: Path) -> None:
    from test_trust_ensemble import add_manifest_row, with_ensemble_row

    write_inputs(tmp_path, make_verdict(seeds=(0, 1)))
    add_manifest_row(tmp_path)
    work = with_ensemble_row(tmp_path, (0, 1))
    got = verify(tmp_path / "loso", tmp_path / "export", worktree_base(work / REGISTRY))
    assert [(t.row_id, t.seed) for t in got.targets] == [(SEED0, 0), (f"{ENSEMBLE}_seed1", 1),
                                                         (ENSEMBLE, None)]  # fmt: skip


def test_a_target_row_missing_from_the_edited_registry_is_refused(flip: Flip) -> None:
    edit, files = committed(flip)
    doc = json.loads(edit.after)
    doc["models"] = [r for r in doc["models"] if r["id"] != SEED0]
    after = json.dumps(doc)
    edit = replace(edit, after=after)
    with pytest.raises(InputError) as caught:
        check_commit(flip, REGISTRY, edit, files | {REGISTRY: after.encode()})
    assert str(caught.value) == (
        f"{REGISTRY}: row '{SEED0}' field 'sha256' would not be the sha256 of the bytes "
        f"committed at model/tiny/{SEED0}.onnx; {EXPORT}"
    )


@pytest.mark.parametrize("registry", ["model/.git", "model/.github"])
def test_a_registry_named_like_gits_folders_is_refused(flip: Flip, registry: str) -> None:
    edit, files = committed(flip)
    files = {k: v for k, v in files.items() if k != REGISTRY} | {registry: edit.after_bytes()}
    with pytest.raises(InputError) as caught:
        check_commit(flip, registry, edit, files)
    assert str(caught.value) == f"{registry}: the commit would write []; rerun the bot"


# --- each input named in its refusal ----------------------------------------------------------


@pytest.mark.parametrize(("name", "what"), [("loso/PROMOTE.json", "verdict"),
                                            ("export/flip_plan.json", "flip plan")])  # fmt: skip
def test_a_symlinked_verdict_or_plan_is_refused_by_name(case: Path, name: str, what: str) -> None:
    path = case / "in" / name
    path.rename(path.with_suffix(".real"))
    path.symlink_to(path.with_suffix(".real"))
    assert refusal(case) == (
        f"{path}: {what} is a symlink or unreadable; pass the real file, not a link"
    )


@pytest.mark.parametrize("name", ["loso/PROMOTE.json", "export/flip_plan.json"])
def test_a_verdict_or_plan_that_is_not_json_is_refused_by_name(case: Path, name: str) -> None:
    path = case / "in" / name
    path.write_bytes(b"{")
    assert refusal(case).startswith(f"{path}: not valid JSON (")


@pytest.mark.parametrize("name", ["loso/PROMOTE.json", "export/flip_plan.json"])
def test_a_verdict_or_plan_field_of_the_wrong_kind_is_refused_by_name(
    case: Path, name: str
) -> None:
    path = case / "in" / name
    doc = json.loads(path.read_text())
    doc["kind"] = "other"
    path.write_text(json.dumps(doc))
    assert refusal(case).startswith(f"{path}: ")


def test_a_calibration_beside_a_verdict_that_flips_nothing_is_read(tmp_path: Path) -> None:
    from gate.calibration import calibrate_run
    from gate.loso_set import load_loso_set

    loso, export = write_inputs(tmp_path / "in", make_verdict(seeds=(0, 1), flip=()))
    doc = calibrate_run(load_loso_set(loso, (0, 1))).to_json()
    (loso / "calibration.json").write_text(json.dumps(doc))
    got = verify(loso, export, lambda registry: pytest.fail("no base is read"))
    assert got.calibration is not None and got.verdict_path == loso / "HOLD.json"
    assert got.calibration.loso_files == got.verdict.pins.loso_files


def test_a_registry_on_the_base_without_a_flipped_row_is_named_with_the_base(case: Path) -> None:
    registry = case / "work" / REGISTRY
    doc = json.loads(registry.read_text())
    doc["models"] = [r for r in doc["models"] if r["id"] != f"{ENSEMBLE}_seed1"]
    registry.write_text(json.dumps(doc, indent=2))
    assert refusal(case) == (
        f"{REGISTRY} (on the working tree at {case / 'work'}): no row '{ENSEMBLE}_seed1' for "
        "seed 1, which the verdict flips; check --ensemble-id and the registry"
    )


def test_a_recipe_override_is_allowed_only_by_the_option_and_then_recorded(case: Path) -> None:
    edit_plan(case, lambda p: p["recipe"].update(epochs=201))
    assert "--allow-recipe-override" in refusal(case)
    got = run(case, allow_recipe_override=True)
    assert len(got.recipe_override) == 1 and "epochs" in got.recipe_override[0]


def test_a_flipping_verdict_carries_its_calibration_and_pinned_drift_report(case: Path) -> None:
    from test_drift_report import drift_doc

    from gate.calibration import Calibration, calibrate_run
    from gate.loso_set import load_loso_set

    loso, export = case / "in/loso", case / "in/export"
    doc = calibrate_run(load_loso_set(loso, (0, 1))).to_json()
    (loso / "calibration.json").write_text(json.dumps(doc))
    (export / "drift.json").write_text(dumps(drift_doc()))
    plan = FlipPlan.read(export / "flip_plan.json")
    replace(plan, drift_sha256=sha256_file(export / "drift.json")).write(export)
    got = run(case)
    assert got.calibration == Calibration.read(loso / "calibration.json")
    assert got.calibration is not None and got.calibration.to_json() == doc
    assert got.drift is not None and got.drift.doc == drift_doc()
    assert got.flipped_ids == (SEED0, f"{ENSEMBLE}_seed1") and got.base is not None


def test_a_corpus_pin_that_is_not_a_clean_path_is_refused_naming_the_verdict(
    good: Path, tmp_path: Path
) -> None:
    spec = make_verdict(seeds=(0, 1))
    pinned = "corpus/../corpus/small.jsonl.gz"
    spec = replace(spec, artefacts=tuple(replace(a, corpus=pinned) for a in spec.artefacts))
    loso, _ = write_inputs(tmp_path / "in", spec)
    shutil.copytree(good / "work", tmp_path / "work")
    assert refusal(tmp_path) == (
        f"{loso / 'PROMOTE.json'}: field 'pins.corpus': '{pinned}' is not a clean "
        "repository-relative path outside .git and .github; rerun export with a registry in a "
        "plain model folder"
    )


def test_a_member_fitted_with_another_scaler_is_refused_naming_the_corpus_on_the_base(
    case: Path,
) -> None:
    sidecar = case / "in/export" / f"{SEED0}.json"
    doc = json.loads(sidecar.read_text())
    doc["feature_mean"][0] += 1.0
    sidecar.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")

    def repin(plan: dict[str, Any]) -> None:
        for entry in plan["files"]:
            if entry["artifact"] == sidecar.name:
                entry["sha256"] = sha256_file(sidecar)

    edit_plan(case, repin)
    verdict = json.loads((case / "in/loso/PROMOTE.json").read_text())
    message = refusal(case)
    onnx = case / "in/export" / f"{SEED0}.onnx"
    assert message.startswith(f"{onnx}: seed 0 feature_mean [")
    corpus = f"{verdict['pins']['corpus']} (the working tree at {case / 'work'})"
    assert f"] is not the scaler of {corpus} ([" in message
    assert message.endswith(
        "]); the production fit standardises with the whole corpus (SPEC §4): re-export the seed"
    )
