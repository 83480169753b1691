"""A repository with its own PR rules: the flip PR made with its templates passes them.

The repository (tests/bot/convention_repo.py) checks Conventional Commits,
a PR-template checklist and a changelog fragment, as its CI would. With the
repository's templates the flip PR passes; with flipbot's defaults it does
not, and the test says which rules fail.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from bot_inputs import (
    CORPUS,
    CORPUS_BYTES,
    REGISTRY,
    SCHEMA,
    SHIPPED_REGISTRY,
    make_verdict,
    write_inputs,
)
from convention_repo import PR_TEMPLATE, check_pr, repo_argv, write_repo

from bot.__main__ import _config, build_parser, execute
from flipbot.errors import EXIT_OK

BRANCH = "flipbot/registry"
ENSEMBLE = "fr_regressor_v2_ensemble_v1"


def seed(standin) -> None:
    standin.seed(
        {
            REGISTRY: SHIPPED_REGISTRY.read_bytes(),
            "model/tiny/registry.schema.json": SCHEMA.read_bytes(),
            ".github/pull_request_template.md": PR_TEMPLATE.encode(),
            "README.md": b"# models\n",
            CORPUS: CORPUS_BYTES,
        }
    )


def run_bot(standin, run: Path, extra: list[str]) -> int:
    argv = ["--verdict-dir", str(run / "loso"), "--artifacts", str(run / "export")]
    argv += ["--registry", REGISTRY, "--repo", standin.repo_full_name, "--base", "main"]
    argv += ["--api-url", standin.base_url, *extra]
    config = _config(build_parser().parse_args(argv))
    return execute(replace(config, write_interval_s=0.0, backoff_s=0.01, max_wait_s=3.0))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLIPBOT_TOKEN", "")  # set per test from the stand-in
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    root = write_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    write_inputs(tmp_path / "run", make_verdict(sources=("alea", "bikes", "vtest")))
    return tmp_path


def added_files(standin) -> dict[str, bytes]:
    base, head = standin.branch_files("main"), standin.branch_files(BRANCH)
    return {p: data for p, data in head.items() if base.get(p) != data}


def test_the_flip_pr_made_with_the_repository_templates_passes_its_rules(
    github_standin, repo, monkeypatch
):
    monkeypatch.setenv("FLIPBOT_TOKEN", github_standin.token)
    seed(github_standin)
    assert run_bot(github_standin, repo / "run", repo_argv()) == EXIT_OK
    [pull] = github_standin.pulls()
    [commit] = github_standin.branch_commits(BRANCH, since="main")
    added = added_files(github_standin)
    assert check_pr(pull.title, commit.message, pull.body, added) == []
    assert pull.title == f"feat(models): promote {ENSEMBLE} seeds 0, 1, 2, 3, 4"
    fragment = added[f"changelog.d/changed/{ENSEMBLE}.md"].decode()
    assert fragment.startswith(f"Promote `{ENSEMBLE}` seeds 0, 1, 2, 3, 4 to production (PROMOTE")
    # the bot's tables sit inside the repository's own template, and the hidden block follows
    assert "| rule | value | threshold | result |" in pull.body
    assert "**per-seed mean**" in pull.body and "<!-- flipbot:v1 " in pull.body
    assert f"`changelog.d/changed/{ENSEMBLE}.md` (repository template) | new file |" in pull.body
    # row-updates: only the flipped rows' notes change besides sha256/smoke, byte-safely
    before = {r["id"]: r for r in json.loads(SHIPPED_REGISTRY.read_text())["models"]}
    after = {r["id"]: r for r in json.loads(added[REGISTRY])["models"]}
    for row_id, row in after.items():
        if row_id.startswith(f"{ENSEMBLE}_seed"):
            seed_n = row_id[-1]
            assert row["notes"].startswith(f"Deep-ensemble member, seed {seed_n}; promoted by")
            assert {k: v for k, v in row.items() if k not in ("notes", "sha256", "smoke")} == {
                k: v for k, v in before[row_id].items() if k not in ("notes", "sha256", "smoke")
            }
        else:
            assert row == before[row_id]
    assert "`notes` → `Deep-ensemble member, seed 0; promoted by" in pull.body
    assert commit.message.rstrip().endswith(
        "Flipbot-Verdict: "
        + json.loads(pull.body.split("flipbot:v1 ")[1].split(" -->")[0])["verdict_sha256"]
    )

    github_standin.clear_journal()  # an identical rerun writes nothing
    assert run_bot(github_standin, repo / "run", repo_argv()) == EXIT_OK
    assert github_standin.writes() == []


def test_with_the_defaults_the_same_pr_breaks_the_checklist_and_changelog_rules(
    github_standin, repo, monkeypatch
):
    monkeypatch.setenv("FLIPBOT_TOKEN", github_standin.token)
    seed(github_standin)
    assert run_bot(github_standin, repo / "run", []) == EXIT_OK
    [pull] = github_standin.pulls()
    [commit] = github_standin.branch_commits(BRANCH, since="main")
    problems = check_pr(pull.title, commit.message, pull.body, added_files(github_standin))
    assert problems == [
        "checklist item 'Tests pass' is neither ticked nor opted out",
        "checklist item 'Changelog fragment added' is neither ticked nor opted out",
        "checklist item 'Model card updated' is neither ticked nor opted out",
        "checklist item 'Rebase impact considered' is neither ticked nor opted out",
        "expected one changelog fragment, found 0",
    ]
    # the default title and commit subject already follow Conventional Commits
    assert pull.title == f"feat(models): promote {ENSEMBLE} seeds 0, 1, 2, 3, 4 to production"
    assert commit.message.splitlines()[0] == pull.title


def test_the_checker_itself_catches_each_rule():
    body = "- [x] Tests pass\n- [x] Changelog fragment added\n- no model card: n/a\n"
    body += "- no rebase impact: none\n"
    good = {"changelog.d/added/x.md": b"entry\n"}
    assert check_pr("feat(models): x", "fix: y", body, good) == []
    assert check_pr("Flip models", "fix: y", body, good) == [
        "title is not a Conventional Commit: 'Flip models'"
    ]
    assert len(check_pr("feat: x", "fix: y", body.replace("[x] Tests", "[ ] Tests"), good)) == 1
    assert check_pr("feat: x", "fix: y", body, {"changelog.d/misc/x.md": b"e"}) == [
        "expected one changelog fragment, found 0"
    ]
    assert check_pr("feat: x", "fix: y", body, {"changelog.d/added/x.md": b" \n"}) == [
        "changelog.d/added/x.md is empty"
    ]
