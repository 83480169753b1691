"""--apply-local and --dry-run: the same refusals before any write to the working tree
(where a .git/config write would run a command on the next `git status`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bot_inputs import REGISTRY, onnx_bytes
from harness import GIT_CONFIG, build_good, copy_good, make_worktree, run_local, snapshot
from tampering import SEED0, params


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_good(tmp_path_factory.mktemp("good"))


def test_untampered_inputs_are_applied(good, tmp_path):
    root = copy_good(good, tmp_path)
    work = make_worktree(root)
    assert run_local(work, root, "--apply-local") == 0
    assert (work / f"model/tiny/{SEED0}.onnx").read_bytes() == onnx_bytes(0)
    assert (work / ".git/config").read_bytes() == GIT_CONFIG


@pytest.mark.parametrize("mode", ["--apply-local", "--dry-run"])
@pytest.mark.parametrize("case", params())
def test_tampered_input_is_exit_2_and_the_tree_is_untouched(good, tmp_path, capsys, case, mode):
    root = copy_good(good, tmp_path)
    work = make_worktree(root)
    case.tamper(root)
    before = snapshot(root)
    code = run_local(work, root, mode)
    err = capsys.readouterr().err
    assert snapshot(root) == before
    assert (work / ".git/config").read_bytes() == GIT_CONFIG
    assert code == 2, err
    for needle in case.needles:
        assert needle in err, (needle, err)


def test_a_symlinked_destination_in_the_working_tree_is_refused(good, tmp_path, capsys):
    """A model file in the checkout that links to .git/config is never written through."""
    root = copy_good(good, tmp_path)
    work = make_worktree(root)
    os.symlink(work / ".git/config", work / f"model/tiny/{SEED0}.onnx")
    before = snapshot(root)
    assert run_local(work, root, "--apply-local") == 2
    assert "symlink" in capsys.readouterr().err
    assert snapshot(root) == before and (work / ".git/config").read_bytes() == GIT_CONFIG


def test_a_corpus_outside_the_repository_is_never_read(good, tmp_path, capsys):
    root = copy_good(good, tmp_path)
    work = make_worktree(root)
    (work / "corpus").rename(work / "corpus-real")
    os.symlink(work / "corpus-real", work / "corpus")
    assert run_local(work, root, "--dry-run") == 2
    assert "symlink" in capsys.readouterr().err
    assert (work / REGISTRY).exists()
