"""The Action's PR-convention inputs: validated on the runner, handed to the bot unchanged."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flipbot.action.inputs import parse_inputs
from flipbot.action.outputs import input_outputs
from flipbot.errors import InputError


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "corpus").mkdir(parents=True)
    (root / "corpus" / "c.jsonl.gz").write_bytes(b"x")
    (root / "model").mkdir()
    (root / "model" / "registry.json").write_text("{}\n")
    (root / ".github" / "flipbot").mkdir(parents=True)
    (root / ".github" / "flipbot" / "body.md").write_text("{{ default_body }}\n")
    (root / ".github" / "flipbot" / "changelog.md").write_text("{{ ensemble }}\n")
    (tmp_path / "outside.md").write_text("x\n")
    return root


def env(**overrides: str) -> dict[str, str]:
    base = {
        "STAGES": "promote",
        "CORPUS": "corpus/c.jsonl.gz",
        "REGISTRY": "model/registry.json",
        "ARTIFACTS_DIR": "out",
        "BASE": "main",
        "REPOSITORY": "owner/repo",
    }
    base |= {k.upper(): v for k, v in overrides.items()}
    return {f"FLIPBOT_INPUT_{k}": v for k, v in base.items()}


def test_valid_convention_inputs_become_step_outputs(workspace):
    inputs = parse_inputs(
        env(
            title_template="feat(models): {{ ensemble }}",
            body_template="./.github/flipbot/body.md",
            extra_files="changelog.d/changed/{{ ensemble }}.md=.github/flipbot/changelog.md",
            row_updates="notes=seed {{ seed }}",
            reviewers="alice, @bob",
            team_reviewers="model-owners",
            assignees="carol",
            milestone="4",
            author="Model Bot <models@example.com>",
            signoff="true",
            draft="always-true",
            branch="refs/heads/models/flip",
            verdict_file="model/tiny/audit/flip.verdict.json",
            sign="Required",
            identity_regexp=r"^https://github\.com/o/r/\.github/workflows/flip\.yml@refs/heads/main$",
        ),
        workspace,
    )
    out = input_outputs(inputs)
    assert (out["sign"], out["identity-regexp"][-11:]) == ("required", "heads/main$")
    assert out["verdict-file"] == "model/tiny/audit/flip.verdict.json"
    assert inputs.draft is True and out["draft"] == "always-true"
    assert out["body-template"] == ".github/flipbot/body.md"
    assert out["extra-files"] == (
        "changelog.d/changed/{{ ensemble }}.md=.github/flipbot/changelog.md"
    )
    assert out["reviewers"] == "alice,bob" and out["team-reviewers"] == "model-owners"
    assert (out["milestone"], out["signoff"], out["branch"]) == ("4", "true", "models/flip")
    assert out["author"] == "Model Bot <models@example.com>" and out["committer"] == ""


def test_without_the_promote_stage_the_convention_inputs_are_not_read(workspace):
    inputs = parse_inputs(
        env(stages="train", venv_dir="/tmp/venvs", reviewers="not a name!", draft="true"), workspace
    )
    assert inputs.pr.reviewers == () and inputs.draft is True


BAD = {
    "reviewers": ("bad name", "input 'reviewers': 'bad name' is not a GitHub user name"),
    "assignees": (",".join(f"u{i}" for i in range(11)), "11 names, GitHub takes at most 10"),
    "team_reviewers": ("a/b", "input 'team-reviewers': 'a/b'"),
    "milestone": ("first", "input 'milestone': 'first' is not a milestone number"),
    "author": ("someone", "input 'author': 'someone' is not 'Name <email>'"),
    "committer": ("<x@y>", "input 'committer'"),
    "signoff": ("yes", "input 'signoff': not one of true, false"),
    "draft": ("maybe", "input 'draft': not one of true, false, always-true"),
    "branch": ("main", "input 'branch': 'main' is not a usable branch name"),
    "verdict_file": ("../x.json", "input 'verdict-file': '../x.json' is not a clean"),
    "sign": ("maybe", "input 'sign': 'maybe' is not one of auto, required, off"),
    "identity_regexp": ("(", "input 'identity-regexp': not a regular expression"),
    "title_template": ("x" * 1025, "input 'title-template': more than 1024 characters"),
    "body_header": (
        "x" * 70_000,
        "input 'body-header': the value is 70000 characters long, more than the 65536",
    ),
    "body_template": (
        "../outside.md",
        "input 'body-template': '../outside.md' is outside the repository",
    ),
    "extra_files": (
        "a.md=../outside.md",
        "input 'extra-files': '../outside.md' is outside the repository",
    ),
    "row_updates": ("sha256=x", "input 'row-updates': line 1: 'sha256' cannot be updated"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_each_invalid_convention_input_is_refused_with_its_name(workspace, name):
    value, message = BAD[name]
    with pytest.raises(InputError) as err:
        parse_inputs(env(**{name: value}), workspace)
    assert message in str(err.value)


def test_a_template_file_missing_or_linked_out_of_the_workspace_is_refused(workspace):
    with pytest.raises(InputError, match="is not a file in the repository"):
        parse_inputs(env(body_template=".github/flipbot/none.md"), workspace)
    os.symlink(workspace.parent / "outside.md", workspace / ".github" / "link.md")
    with pytest.raises(InputError, match="is outside the repository"):
        parse_inputs(env(extra_files="x.md=.github/link.md"), workspace)
    with pytest.raises(InputError, match="line 2 is not LEFT=RIGHT"):
        parse_inputs(env(extra_files="x.md=.github/flipbot/body.md\nno-equals"), workspace)
