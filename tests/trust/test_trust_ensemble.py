"""The ensemble-level row: it flips only when the re-judged policy allows it, the registry has
it and its members are exactly the flipped seeds; its file is the manifest beside the registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bot_inputs import (
    ENSEMBLE,
    REGISTRY,
    SHIPPED_REGISTRY,
    install_base,
    make_verdict,
    write_inputs,
)

from bot.registry.flip import RegistryEdit
from bot.trust.base_view import worktree_base
from bot.trust.verify import check_commit, verify
from flipbot.errors import InputError
from flipbot.jsonfile import sha256_bytes

MANIFEST = b'{"kind": "flipbot.ensemble_manifest"}\n'


def with_ensemble_row(root: Path, members: tuple[int, ...]) -> Path:
    """A working tree whose registry has the ensemble row and the member rows ``members``."""
    doc = json.loads(SHIPPED_REGISTRY.read_text())
    template = next(r for r in doc["models"] if r["id"] == f"{ENSEMBLE}_seed0")
    keep = [r for r in doc["models"] if not r["id"].startswith(f"{ENSEMBLE}_seed")]
    rows = [
        template | {"id": f"{ENSEMBLE}_seed{s}", "onnx": f"{ENSEMBLE}_seed{s}.onnx"}
        for s in members
    ]
    doc["models"] = keep + rows + [template | {"id": ENSEMBLE, "onnx": f"{ENSEMBLE}.onnx"}]
    work = root / "work"
    (work / REGISTRY).parent.mkdir(parents=True)
    (work / REGISTRY).write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    install_base(work)
    return work


def add_manifest_row(root: Path) -> None:
    plan_path = root / "export/flip_plan.json"
    plan = json.loads(plan_path.read_text())
    (root / f"export/{ENSEMBLE}.json").write_bytes(MANIFEST)
    plan["rows"].append(
        {"id": ENSEMBLE, "seed": None, "sha256": sha256_bytes(MANIFEST), "smoke": False}
    )
    plan["files"].append(
        {
            "path": f"model/tiny/{ENSEMBLE}.json",
            "artifact": f"{ENSEMBLE}.json",
            "sha256": sha256_bytes(MANIFEST),
        }
    )
    plan_path.write_text(json.dumps(plan, indent=2, sort_keys=True) + "\n")


def test_the_ensemble_row_flips_with_its_manifest_when_every_member_cleared(tmp_path):
    write_inputs(tmp_path, make_verdict(seeds=(0, 1, 2)))
    add_manifest_row(tmp_path)
    work = with_ensemble_row(tmp_path, (0, 1, 2))
    flip = verify(tmp_path / "loso", tmp_path / "export", worktree_base(work / REGISTRY))
    target = next(t for t in flip.targets if t.seed is None)
    assert (target.row_id, target.path) == (ENSEMBLE, f"model/tiny/{ENSEMBLE}.json")
    files = {f.path: f.data for f in flip.files}
    assert files[target.path] == MANIFEST
    # The committed registry must give each row the sha256 of the bytes at its file.
    doc = json.loads((work / REGISTRY).read_text())
    sha = {c.id: c.sha256 for c in flip.changes}
    for row in doc["models"]:
        if row["id"] in sha:
            row |= {"sha256": sha[row["id"]], "smoke": False}
    after = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    edit = RegistryEdit(REGISTRY, (work / REGISTRY).read_text(), after, tuple(sha), "canonical")
    check_commit(flip, REGISTRY, edit, files | {REGISTRY: after.encode()})
    swapped = files | {target.path: b"other", REGISTRY: after.encode()}
    with pytest.raises(InputError, match=f"row '{ENSEMBLE}' field 'sha256'"):
        check_commit(flip, REGISTRY, edit, swapped)


@pytest.mark.parametrize(
    ("spec", "members", "message"),
    [
        (make_verdict(seeds=(0, 1, 2)), (0, 1, 2, 3, 4), "members \\[0, 1, 2, 3, 4\\]"),
        (make_verdict(seeds=(0, 1, 2), flip=(1, 2)), (0, 1, 2), "does not let it flip"),
    ],
    ids=["registry lists members never judged", "a partial HOLD"],
)
def test_the_ensemble_row_is_refused_otherwise(tmp_path, spec, members, message):
    write_inputs(tmp_path, spec)
    add_manifest_row(tmp_path)
    work = with_ensemble_row(tmp_path, members)
    with pytest.raises(InputError, match=message):
        verify(tmp_path / "loso", tmp_path / "export", worktree_base(work / REGISTRY))
