"""Every new convention input is validated: each bad value is exit 2 with the input named."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from bot_inputs import (
    REGISTRY,
    SCHEMA,
    SHIPPED_REGISTRY,
    install_base,
    make_verdict,
    write_inputs,
)

from bot.__main__ import main
from flipbot.errors import EXIT_INPUT, EXIT_OK


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / "model" / "tiny").mkdir(parents=True)
    shutil.copy(SHIPPED_REGISTRY, root / REGISTRY)
    shutil.copy(SCHEMA, root / "model" / "tiny" / "registry.schema.json")
    install_base(root)  # the corpus the verdict pins: the verifier reads it
    (root / "t").mkdir()
    (root / "t" / "frag.md").write_text("{{ ensemble }}\n")
    (tmp_path / "outside.md").write_text("secret\n")
    write_inputs(tmp_path / "run", make_verdict(seeds=(0, 1), sources=("a", "b")))
    monkeypatch.chdir(root)
    for key in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        monkeypatch.delenv(key, raising=False)
    return root


def bot(root: Path, *extra: str, mode: str = "--dry-run") -> int:
    run = root.parent / "run"
    argv = ["--verdict-dir", str(run / "loso"), "--artifacts", str(run / "export")]
    argv += ["--registry", REGISTRY, "--repo", "octo/models", "--base", "main", mode, *extra]
    return main(argv)


BAD = {
    "reviewer name": (["--reviewers", "ok-user,not a login"], "--reviewers: 'not a login'"),
    "reviewer too long": (["--reviewers", "a" * 40], "is not a GitHub user name"),
    "too many reviewers": (
        ["--reviewers", ",".join(f"u{i}" for i in range(16))],
        "16 names, GitHub takes at most 15",
    ),
    "reviewers and teams": (
        [
            "--reviewers",
            ",".join(f"u{i}" for i in range(9)),
            "--team-reviewers",
            ",".join(f"t{i}" for i in range(9)),
        ],
        "18 in all, at most 15",
    ),
    "team slug": (["--team-reviewers", "org/team x"], "is not a GitHub team slug"),
    "assignee": (["--assignees=-leading-dash"], "--assignees: '-leading-dash'"),
    "too many assignees": (
        ["--assignees", ",".join(f"u{i}" for i in range(11))],
        "11 names, GitHub takes at most 10",
    ),
    "milestone word": (["--milestone", "v1.0"], "--milestone: 'v1.0' is not a milestone number"),
    "milestone zero": (["--milestone", "0"], "is not a milestone number"),
    "author": (["--author", "flipbot"], "--author: 'flipbot' is not 'Name <email>'"),
    "committer": (["--committer", "A <a@b> x"], "--committer: 'A <a@b> x' is not 'Name <email>'"),
    "author newline": (["--author", "A\nB <a@b.c>"], "is not 'Name <email>'"),
    "branch dots": (["--branch", "flip..bot"], "--branch: 'flip..bot' is not a usable branch name"),
    "branch is base": (["--branch", "main"], "(or is the base)"),
    "branch space": (["--branch", "a b"], "is not a usable branch name"),
    "body template missing": (["--body-template", "t/none.md"], "is not a file in the repository"),
    "body template outside": (
        ["--body-template", "../outside.md"],
        "--body-template: '../outside.md' is outside the repository",
    ),
    "body template absolute": (["--body-template", "/etc/hostname"], "is outside the repository"),
    "header with template": (
        ["--body-template", "t/frag.md", "--body-header", "x"],
        "cannot be combined with --body-template",
    ),
    "extra files no '='": (["--extra-files", "changelog.d/x.md"], "line 1 is not LEFT=RIGHT"),
    "extra files template outside": (
        ["--extra-files", "x.md=../outside.md"],
        "--extra-files: '../outside.md' is outside the repository",
    ),
    "extra files too many": (
        ["--extra-files", "\n".join(f"x{i}.md=t/frag.md" for i in range(21))],
        "21 entries, at most 20",
    ),
    "row updates sha256": (["--row-updates", "sha256=x"], "'sha256' cannot be updated"),
    "row updates id": (["--row-updates", "id=x"], "'id' cannot be updated"),
    "row updates bad field": (["--row-updates", "no-tes=x"], "'no-tes' cannot be updated"),
    "row updates twice": (["--row-updates", "notes=a\nnotes=b"], "field 'notes' is listed twice"),
    "row updates no '='": (["--row-updates", "notes"], "--row-updates: line 1 is not LEFT=RIGHT"),
    "title template too long": (["--title-template", "x" * 70_000], "more than 1024 characters"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_invalid_convention_input_is_exit_2(tree, case, capsys):
    flags, message = BAD[case]
    assert bot(tree, *flags) == EXIT_INPUT
    err = capsys.readouterr().err
    assert message in err, err
    assert err.startswith("error: ") and err.count("\n") == 1


RENDERED = {
    "extra file into .github": ("{{ '.github' }}/workflows/x.yml", "may not be in .git or .github"),
    "extra file into .git": (".git/hooks/post-checkout", "may not be in .git or .github"),
    "extra file .gitattributes": ("model/.gitattributes", "may not be in .git or .github"),
    "extra file on the registry": ("{{ registry }}", "is the registry or a file the flip"),
    "extra file on a model file": (
        "model/tiny/{{ flipped_ids[0] }}.onnx",
        "is the registry or a file the flip already writes",
    ),
    "extra file climbing out": ("../{{ ensemble }}.md", "is not a clean repository-relative path"),
    "extra file absolute": ("/tmp/{{ ensemble }}.md", "is not a clean repository-relative path"),
    "extra file empty": ("{{ '' }}", "is not a clean repository-relative path"),
    "extra file with a space": ("change log/{{ ensemble }}.md", "is not a clean"),
}


@pytest.mark.parametrize("case", sorted(RENDERED))
def test_extra_file_paths_are_confined_like_every_destination(tree, case, capsys):
    path, message = RENDERED[case]
    before = sorted(p for p in tree.rglob("*"))
    assert bot(tree, "--extra-files", f"{path}=t/frag.md", mode="--apply-local") == EXIT_INPUT
    err = capsys.readouterr().err
    assert "input 'extra-files'" in err and message in err, err
    assert sorted(p for p in tree.rglob("*")) == before


def test_two_extra_files_on_one_path_are_refused(tree, capsys):
    spec = "a/{{ ensemble }}.md=t/frag.md\na/{{ ensemble }}.md=t/frag.md"
    assert bot(tree, "--extra-files", spec) == EXIT_INPUT
    assert "is the registry or a file the flip already writes" in capsys.readouterr().err


def test_an_extra_file_through_a_symlinked_folder_out_of_the_tree_is_refused(tree, capsys):
    os.symlink(tree.parent, tree / "out")
    registry = (tree / REGISTRY).read_bytes()
    assert bot(tree, "--extra-files", "out/x.md=t/frag.md", mode="--apply-local") == EXIT_INPUT
    assert "leads outside the repository" in capsys.readouterr().err
    assert not (tree.parent / "x.md").exists() and (tree / REGISTRY).read_bytes() == registry


def test_a_template_file_symlinked_out_of_the_tree_is_refused(tree, capsys):
    os.symlink(tree.parent / "outside.md", tree / "t" / "link.md")
    assert bot(tree, "--body-template", "t/link.md") == EXIT_INPUT
    assert "is outside the repository" in capsys.readouterr().err


def test_row_updates_need_an_existing_string_field(tree, capsys):
    assert bot(tree, "--row-updates", "opset=17") == EXIT_INPUT
    assert "field 'opset' is not a string; row-updates rewrites string fields only" in (
        capsys.readouterr().err
    )
    assert bot(tree, "--row-updates", "nickname=x") == EXIT_INPUT
    assert "has no 'nickname' field; add it" in capsys.readouterr().err


def test_a_title_that_renders_too_long_or_empty_is_refused(tree, capsys):
    assert bot(tree, "--title-template", "{{ 'x' * 300 }}") == EXIT_INPUT
    assert "renders a title of 300 characters; GitHub takes 1 to 256" in capsys.readouterr().err
    assert bot(tree, "--title-template", "{{ '' }}") == EXIT_INPUT
    assert "renders a title of 0 characters" in capsys.readouterr().err


def test_draft_takes_true_false_or_always_true(tree, capsys):
    with pytest.raises(SystemExit) as exit_info:
        bot(tree, "--draft", "sometimes")
    assert exit_info.value.code == EXIT_INPUT
    assert "invalid choice: 'sometimes'" in capsys.readouterr().err
    assert bot(tree, "--draft", "always-true") == EXIT_OK
    assert bot(tree, "--draft") == EXIT_OK


def test_row_updates_change_only_the_named_field_of_the_flipped_rows(tree, capsys):
    before = (tree / REGISTRY).read_text()
    flags = ["--row-updates", "notes=Member {{ seed }} of {{ ensemble }} ({{ decision }})"]
    assert bot(tree, *flags, mode="--apply-local") == EXIT_OK
    out = capsys.readouterr().out
    after = (tree / REGISTRY).read_text()
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert len(changed) == 6  # seeds 0 and 1: notes, sha256, smoke
    assert (
        '      "notes": "Member 0 of fr_regressor_v2_ensemble_v1 (PROMOTE)",' in after.splitlines()
    )
    assert '+      "notes": "Member 1 of fr_regressor_v2_ensemble_v1 (PROMOTE)",' in out
    assert bot(tree, *flags, mode="--apply-local") == EXIT_OK
    assert (tree / REGISTRY).read_text() == after


@pytest.mark.parametrize(
    "flag", ["--reviewers", "--assignees", "--milestone", "--author", "--branch"]
)
def test_a_huge_convention_flag_is_exit_2_naming_its_length(tree, flag, capsys):
    assert bot(tree, flag, "a" * 100_000) == EXIT_INPUT
    err = capsys.readouterr().err
    assert f"{flag}: the value is 100000 characters long" in err and "a" * 200 not in err
