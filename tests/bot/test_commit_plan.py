"""The flip commit is planned on the base view the verifier checked, never on a second read."""

from __future__ import annotations

from dataclasses import replace

import pytest
from bot_inputs import ENSEMBLE, REGISTRY, make_verdict, verified_flip, write_inputs

from bot.config import build_config
from bot.flip import Flip
from bot.pr.commit_plan import CommitPlan, plan_commit, verified_base
from bot.signing import SignSetup
from bot.signing.policy import IdentityPolicy

BOM = b"\xef\xbb\xbf"
SETUP = SignSetup(IdentityPolicy("x"), None, "signing is off (input `sign: off`)")


@pytest.fixture(scope="module")
def flip(tmp_path_factory: pytest.TempPathFactory) -> Flip:
    root = tmp_path_factory.mktemp("plan")
    write_inputs(root / "in", make_verdict(seeds=(0, 1)))
    return verified_flip(root / "in")


def plan(flip: Flip) -> CommitPlan:
    config = build_config(
        verdict_dir="in/loso",
        artifacts="in/export",
        registry=REGISTRY,
        repo="octo/models",
        base="main",
        mode="dry-run",
        env={},
    )
    return plan_commit(config, flip, SETUP, lambda path: [])


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
