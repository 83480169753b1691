"""The flip PR lifecycle against the GitHub stand-in (real git objects, OpenAPI-checked)."""

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
    onnx_bytes,
    write_inputs,
)

from bot.__main__ import execute
from bot.config import BotConfig, build_config
from bot.github_api.errors import GitHubError
from bot.github_api.repo import GitHubRepo
from bot.outcome import STALE_LABEL, Outcome
from bot.pr.lifecycle import TRAILER, run_pr
from bot.trust.base_view import api_base
from bot.trust.verify import verify
from flipbot.errors import InputError
from flipbot.jsonfile import sha256_file

BRANCH = "flipbot/registry"
# Writes on a first run: one blob per binary ONNX file, then tree, commit, ref, PR, labels.
WRITES_ON_CREATE = lambda n_onnx: n_onnx + 5  # noqa: E731


def seed_repo(standin) -> str:
    return standin.seed(
        {
            REGISTRY: SHIPPED_REGISTRY.read_bytes(),
            "model/tiny/registry.schema.json": SCHEMA.read_bytes(),
            "README.md": b"# models\n",
            CORPUS: CORPUS_BYTES,
        }
    )


def config_for(
    standin, root: Path, *, labels: str = "flip", registry_path: str = REGISTRY, **kw
) -> BotConfig:
    config = build_config(
        verdict_dir=str(root / "loso"),
        artifacts=str(root / "export"),
        registry=registry_path,
        repo=standin.repo_full_name,
        base="main",
        mode="pr",
        labels=labels,
        api_url=standin.base_url,
        env={
            "FLIPBOT_TOKEN": standin.token,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": standin.repo_full_name,
            "GITHUB_RUN_ID": str(kw.pop("run_id", 7)),
        },
    )
    return replace(config, write_interval_s=0.0, backoff_s=0.01, max_wait_s=3.0, **kw)


def bot_run(standin, root: Path, **kw) -> Outcome:
    config = config_for(standin, root, **kw)
    api = GitHubRepo(
        config.api_url,
        config.token or "",
        config.repo,
        max_wait_s=config.max_wait_s,
        backoff_s=config.backoff_s,
        write_interval_s=0.0,
        sleep=lambda s: None,
    )
    flip = verify(root / "loso", root / "export", api_base(api, config.base, config.registry))
    return run_pr(config, flip, api)


def writes(standin) -> list[str]:
    return [f"{r.method} {r.path}" for r in standin.writes()]


def registry_on(standin, branch: str) -> dict:
    return json.loads(standin.branch_files(branch)[REGISTRY])


def rows(doc: dict) -> dict[str, dict]:
    return {r["id"]: r for r in doc["models"]}


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    write_inputs(tmp_path, make_verdict(seeds=(0, 1), sources=("a", "b")))
    return tmp_path


def test_first_run_creates_one_commit_and_one_pr_within_the_write_budget(github_standin, inputs):
    base = seed_repo(github_standin)
    out = bot_run(github_standin, inputs)
    assert out.operation == "created"
    made = writes(github_standin)
    assert len(made) <= WRITES_ON_CREATE(2), made
    # Nothing is visible before the one ref write, and the PR comes after it.
    kinds = [w.split(" ", 1)[0] + " " + w.rsplit("/", 1)[-1] for w in made]
    assert kinds == [
        "POST blobs",
        "POST blobs",
        "POST trees",
        "POST commits",
        "POST refs",
        "POST pulls",
        "POST labels",
    ]
    commits = github_standin.branch_commits(BRANCH, since="main")
    assert len(commits) == 1 and tuple(commits[0].parents) == (base,)
    assert f"{TRAILER}: " in commits[0].message
    files = github_standin.branch_files(BRANCH)
    assert files["model/tiny/fr_regressor_v2_ensemble_v1_seed0.onnx"] == onnx_bytes(0)
    after, before = (
        rows(registry_on(github_standin, BRANCH)),
        rows(json.loads(SHIPPED_REGISTRY.read_text())),
    )
    for rid, row in before.items():
        if rid.endswith(("_seed0", "_seed1")):
            assert after[rid]["smoke"] is False and after[rid]["sha256"] != row["sha256"]
        else:
            assert after[rid] == row
    pull = github_standin.pull(out.number)
    assert (pull.state, pull.head, pull.base, pull.labels) == ("open", BRANCH, "main", ["flip"])
    assert (
        "<!-- flipbot:v1 " in pull.body
        and "https://github.com/octo/models/actions/runs/7" in pull.body
    )
    assert out.head_sha == github_standin.branch_sha(BRANCH)


def test_identical_rerun_makes_no_write_even_from_another_workflow_run(github_standin, inputs):
    seed_repo(github_standin)
    first = bot_run(github_standin, inputs)
    github_standin.clear_journal()
    again = bot_run(github_standin, inputs, run_id=8)
    assert writes(github_standin) == []
    assert (again.operation, again.number, again.head_sha) == (
        "unchanged",
        first.number,
        first.head_sha,
    )


def test_base_moved_rebuilds_the_branch_on_the_new_tip_and_updates_the_pr(github_standin, inputs):
    seed_repo(github_standin)
    first = bot_run(github_standin, inputs)
    new_base = github_standin.commit_to_branch("main", {"docs/x.md": b"x\n"}, message="Docs")
    github_standin.clear_journal()
    out = bot_run(github_standin, inputs)
    assert (out.operation, out.number) == ("updated", first.number)
    commits = github_standin.branch_commits(BRANCH, since="main")
    assert len(commits) == 1 and tuple(commits[0].parents) == (new_base,)
    assert "docs/x.md" in github_standin.branch_files(BRANCH)
    # The unchanged ONNX blobs are reused, not uploaded again: tree, commit, ref, PR body.
    assert writes(github_standin) == [
        "POST /repos/octo/models/git/trees",
        "POST /repos/octo/models/git/commits",
        f"PATCH /repos/octo/models/git/refs/heads/{BRANCH}",
        f"PATCH /repos/octo/models/pulls/{first.number}",
    ]
    assert new_base in github_standin.pull(out.number).body


def test_new_verdict_updates_files_and_body_of_the_same_pr(github_standin, tmp_path):
    seed_repo(github_standin)
    write_inputs(tmp_path, make_verdict(seeds=(0, 1)))
    first = bot_run(github_standin, tmp_path)
    write_inputs(tmp_path, make_verdict(seeds=(0, 1), variant=1), generation=1)
    out = bot_run(github_standin, tmp_path)
    assert (out.operation, out.number) == ("updated", first.number)
    assert github_standin.branch_files(BRANCH)[
        "model/tiny/fr_regressor_v2_ensemble_v1_seed1.onnx"
    ] == onnx_bytes(1, 1)
    new_verdict = sha256_file(tmp_path / "loso" / "PROMOTE.json")
    assert new_verdict in github_standin.pull(first.number).body
    assert len([p for p in github_standin.pulls() if p.state == "open"]) == 1


def test_base_already_holding_the_flip_closes_the_pr_and_deletes_the_branch(github_standin, inputs):
    seed_repo(github_standin)
    first = bot_run(github_standin, inputs)
    flipped = github_standin.branch_files(BRANCH)
    github_standin.commit_to_branch("main", dict(flipped), message="Merge the flip")
    github_standin.clear_journal()
    out = bot_run(github_standin, inputs)
    assert out.operation == "closed"
    pull = github_standin.pull(first.number)
    assert pull.state == "closed"
    assert "already holds this flip" in pull.comments[-1].body
    assert BRANCH not in github_standin.branches()
    # Once closed, a rerun has nothing left to do.
    github_standin.clear_journal()
    assert bot_run(github_standin, inputs).operation == "unchanged"
    assert writes(github_standin) == []


def test_human_commit_on_the_branch_is_never_force_pushed(github_standin, inputs):
    seed_repo(github_standin)
    first = bot_run(github_standin, inputs)
    human = github_standin.commit_to_branch(BRANCH, {"model/tiny/NOTE.md": b"reviewed\n"})
    github_standin.commit_to_branch("main", {"docs/y.md": b"y\n"}, message="Docs")
    github_standin.clear_journal()
    out = bot_run(github_standin, inputs)
    assert out.operation == "unchanged"
    assert github_standin.branch_sha(BRANCH) == human
    assert [w.split(" ")[0] for w in writes(github_standin)] == ["POST"]  # the one comment
    assert "never force-pushes" in github_standin.pull(first.number).comments[-1].body
    github_standin.clear_journal()
    bot_run(github_standin, inputs)
    assert writes(github_standin) == []  # said once per branch head


def test_stop_updating_label_freezes_the_pr(github_standin, inputs):
    seed_repo(github_standin)
    first = bot_run(github_standin, inputs)
    github_standin.add_label(first.number, "stop-updating")
    github_standin.commit_to_branch("main", {"docs/z.md": b"z\n"}, message="Docs")
    github_standin.clear_journal()
    out = bot_run(github_standin, inputs)
    assert out.operation == "unchanged" and writes(github_standin) == []
    assert github_standin.branch_sha(BRANCH) == first.head_sha


def test_refusal_writes_nothing_but_marks_an_open_pr_stale(github_standin, tmp_path):
    seed_repo(github_standin)
    write_inputs(tmp_path, make_verdict(seeds=(0, 1)))
    first = bot_run(github_standin, tmp_path)
    head = github_standin.branch_sha(BRANCH)
    refusing = tmp_path / "refused"
    write_inputs(refusing, make_verdict(seeds=(0, 1), refused=True))
    github_standin.clear_journal()
    out = bot_run(github_standin, refusing)
    assert out.operation == "stale" and out.refusal_reason.startswith("the per-seed PLCC spread")
    made = writes(github_standin)
    assert [w.rsplit("/", 1)[-1] for w in made] == ["comments", "labels"], made
    assert STALE_LABEL in github_standin.labels_of(first.number)
    assert github_standin.branch_sha(BRANCH) == head
    github_standin.clear_journal()
    assert bot_run(github_standin, refusing).operation == "stale"
    assert writes(github_standin) == []


def test_refusal_without_a_pr_makes_no_request_that_writes(github_standin, tmp_path):
    seed_repo(github_standin)
    write_inputs(tmp_path, make_verdict(seeds=(0, 1), refused=True))
    out = bot_run(github_standin, tmp_path)
    assert out.operation == "refused" and writes(github_standin) == []
    assert github_standin.branches() == ["main"]


def test_pr_that_already_exists_is_the_update_path(github_standin, inputs):
    seed_repo(github_standin)
    first = bot_run(github_standin, inputs)
    new_base = github_standin.commit_to_branch("main", {"docs/x.md": b"x\n"}, message="Docs")
    # The listing races a PR being opened: it sees none, then POST /pulls answers 422 "already exists".
    github_standin.faults.add(method="GET", path=r"/pulls$", status=200, body=[], times=1)  # type: ignore[arg-type]
    github_standin.clear_journal()
    out = bot_run(github_standin, inputs)
    assert (out.operation, out.number) == ("updated", first.number)
    assert [
        r.status
        for r in github_standin.requests
        if r.method == "POST" and r.path.endswith("/pulls")
    ] == [422]
    assert len(github_standin.pulls()) == 1
    assert new_base in github_standin.pull(first.number).body


def test_fresh_pr_not_yet_resolvable_is_retried(github_standin, inputs):
    seed_repo(github_standin)
    fault = github_standin.faults.node_not_resolvable_after_create(times=2)
    out = bot_run(github_standin, inputs)
    assert out.operation == "created" and fault.fired == 2
    assert github_standin.labels_of(out.number) == ["flip"]


def test_actions_not_permitted_is_exit_2_with_the_setting_to_change(github_standin, inputs, capsys):
    seed_repo(github_standin)
    github_standin.faults.actions_may_not_create_pulls()
    code = execute(config_for(github_standin, inputs))
    err = capsys.readouterr().err
    assert code == 2
    assert "Allow GitHub Actions to create and approve pull requests" in err
    assert github_standin.token not in err


def test_secondary_rate_limit_is_retried_after_retry_after(github_standin, inputs):
    seed_repo(github_standin)
    fault = github_standin.faults.secondary_rate_limit(
        method="POST", path=r"/git/trees$", retry_after=1
    )
    out = bot_run(github_standin, inputs)
    assert out.operation == "created" and fault.fired == 1


def test_secondary_rate_limit_beyond_the_bounded_wait_fails_clearly(github_standin, inputs, capsys):
    seed_repo(github_standin)
    github_standin.faults.secondary_rate_limit(
        method="POST", path=r"/git/trees$", retry_after=1, times=50
    )
    code = execute(config_for(github_standin, inputs))
    assert code == 2 and "rerun the job later" in capsys.readouterr().err
    assert BRANCH not in github_standin.branches()


def test_server_errors_are_retried_a_bounded_number_of_times(github_standin, inputs, capsys):
    seed_repo(github_standin)
    fault = github_standin.faults.server_error(method="POST", path=r"/git/commits$", times=2)
    assert bot_run(github_standin, inputs).operation == "created" and fault.fired == 2
    github_standin.faults.server_error(method="GET", path=r"/pulls$", times=100, status=502)
    code = execute(config_for(github_standin, inputs))
    assert code == 2 and "502" in capsys.readouterr().err


def test_crash_between_ref_write_and_pr_creation_converges(github_standin, inputs):
    seed_repo(github_standin)
    # The runner dies right after the ref write: every later request is dropped.
    crash = github_standin.faults.add(
        path=r".", drop=True, after=("POST", r"/git/refs$"), times=1000
    )
    with pytest.raises(GitHubError, match="rerun the job"):
        bot_run(github_standin, inputs)
    crash.times = 0
    head = github_standin.branch_sha(BRANCH)
    assert head is not None and github_standin.pulls() == []
    github_standin.clear_journal()
    out = bot_run(github_standin, inputs)
    assert out.operation == "created" and out.head_sha == head
    assert [w.rsplit("/", 1)[-1] for w in writes(github_standin)] == ["pulls", "labels"]


def test_oversized_body_is_shortened_and_the_pr_opens_as_a_draft(github_standin, tmp_path):
    seed_repo(github_standin)
    sources = tuple(f"clip_{i:05d}_{'long_name_' * 3}" for i in range(3000))
    write_inputs(tmp_path, make_verdict(seeds=(0, 1), sources=sources))
    out = bot_run(github_standin, tmp_path, draft=True)
    pull = github_standin.pull(out.number)
    assert out.operation == "created" and pull.draft is True
    assert len(pull.body) < 65_536
    assert (
        "see the [workflow run's job summary](https://github.com/octo/models/actions/runs/7)"
        in pull.body
    )
    github_standin.clear_journal()
    assert bot_run(github_standin, tmp_path, draft=True).operation == "unchanged"
    assert writes(github_standin) == []


def test_a_pr_closed_by_a_maintainer_is_not_reopened_for_the_same_verdict(github_standin, tmp_path):
    seed_repo(github_standin)
    write_inputs(tmp_path, make_verdict(seeds=(0, 1)))
    first = bot_run(github_standin, tmp_path)
    github_standin.close_pull(first.number)
    github_standin.clear_journal()
    out = bot_run(github_standin, tmp_path)
    assert (out.operation, out.number) == ("unchanged", first.number) and writes(
        github_standin
    ) == []
    write_inputs(tmp_path, make_verdict(seeds=(0, 1), variant=2), generation=2)
    again = bot_run(github_standin, tmp_path)
    assert again.operation == "created" and again.number != first.number


def test_yaml_registry_flips_through_the_api_with_comments_kept(github_standin, tmp_path):
    yaml_text = "# models shipped with the library\nschema_version: 1\nmodels:\n" + "".join(
        f"  - id: fr_regressor_v2_ensemble_v1_seed{s}  # member {s}\n"
        "    kind: fr\n"
        f"    onnx: fr_regressor_v2_ensemble_v1_seed{s}.onnx\n"
        f'    sha256: "{"0" * 64}"\n'
        "    opset: 17\n"
        "    smoke: true\n"
        "    license: BSD-3-Clause-Plus-Patent\n"
        for s in (0, 1, 2)
    )
    github_standin.seed({"model/tiny/models.yaml": yaml_text.encode(), CORPUS: CORPUS_BYTES})
    write_inputs(
        tmp_path, make_verdict(seeds=(0, 1, 2), flip=(2,)), registry="model/tiny/models.yaml"
    )
    out = bot_run(github_standin, tmp_path, registry_path="model/tiny/models.yaml")
    assert out.operation == "created" and out.branch == "flipbot/models"
    after = github_standin.branch_files("flipbot/models")["model/tiny/models.yaml"].decode()
    changed = [
        (a, b) for a, b in zip(yaml_text.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert changed == [
        (
            f'    sha256: "{"0" * 64}"',
            f'    sha256: "{__import__("hashlib").sha256(onnx_bytes(2)).hexdigest()}"',
        ),
        ("    smoke: true", "    smoke: false"),
    ]
    assert "# member 2" in after


def test_registry_flag_that_differs_from_the_plan_is_refused_before_any_write(
    github_standin, inputs
):
    seed_repo(github_standin)
    with pytest.raises(InputError, match="not the registry the plan was made for"):
        bot_run(github_standin, inputs, registry_path="model/other/registry.json")
    assert writes(github_standin) == []


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [("POST", r"/git/trees$", "contents: write"), ("POST", r"/pulls$", "pull-requests: write")],
)
def test_missing_permissions_name_the_permission_to_grant(
    github_standin, inputs, capsys, method, path, permission
):
    seed_repo(github_standin)
    github_standin.faults.add(
        method=method,
        path=path,
        status=403,
        body={
            "message": "Resource not accessible by integration",
            "documentation_url": "https://docs.github.com/rest",
        },
    )
    assert execute(config_for(github_standin, inputs)) == 2
    err = capsys.readouterr().err
    assert (
        f"permissions: {{{permission}}}" in err and "Resource not accessible by integration" in err
    )


def test_a_bad_token_is_exit_2_and_never_echoed(github_standin, inputs, capsys):
    seed_repo(github_standin)
    config = replace(config_for(github_standin, inputs), token="ghs_wrongToken000")
    assert execute(config) == 2
    err = capsys.readouterr().err
    assert "token is invalid or expired" in err and "ghs_wrongToken000" not in err


def test_a_later_flip_clears_the_stale_mark_on_the_same_pr(github_standin, tmp_path):
    seed_repo(github_standin)
    write_inputs(tmp_path / "a", make_verdict(seeds=(0, 1)))
    first = bot_run(github_standin, tmp_path / "a")
    write_inputs(tmp_path / "b", make_verdict(seeds=(0, 1), refused=True))
    assert bot_run(github_standin, tmp_path / "b").operation == "stale"
    write_inputs(tmp_path / "c", make_verdict(seeds=(0, 1), variant=3), generation=3)
    out = bot_run(github_standin, tmp_path / "c")
    assert (out.operation, out.number) == ("updated", first.number)
    assert github_standin.labels_of(first.number) == ["flip"]


def test_an_invalid_registry_on_the_base_is_exit_2_naming_the_base(github_standin, inputs, capsys):
    seed_repo(github_standin)
    github_standin.commit_to_branch("main", {REGISTRY: b'{"models": [\n'}, message="Break it")
    assert execute(config_for(github_standin, inputs)) == 2
    err = capsys.readouterr().err
    assert f"{REGISTRY} (on main " in err and "not valid JSON" in err
    assert writes(github_standin) == []


def test_a_ref_write_retried_after_it_landed_is_not_an_error(github_standin, inputs):
    """A POST /git/refs whose answer was lost is retried and gets 422; same sha means done."""
    seed_repo(github_standin)
    config = config_for(github_standin, inputs)
    api = GitHubRepo(config.api_url, config.token or "", config.repo, write_interval_s=0.0)
    base = github_standin.branch_sha("main")
    api.create_ref(BRANCH, base)
    api.create_ref(BRANCH, base)  # the retry: 422 "Reference already exists", pointing at base
    assert github_standin.branch_sha(BRANCH) == base
    assert [r.status for r in github_standin.requests if r.method == "POST"] == [201, 422]
    other = github_standin.commit_to_branch("main", {"x.md": b"x\n"}, message="Docs")
    with pytest.raises(GitHubError, match="422"):
        api.create_ref(BRANCH, other)


def test_under_actions_each_phase_of_a_pr_run_is_one_log_group(
    github_standin, inputs, capsys, monkeypatch
):
    seed_repo(github_standin)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    assert execute(config_for(github_standin, inputs)) == 0
    lines = capsys.readouterr().out.splitlines()
    groups = [line for line in lines if line.startswith(("::group::", "::endgroup::"))]
    phases = ("verify", "plan", "commit and pull request")
    assert groups == [g for p in phases for g in (f"::group::flipbot: {p}", "::endgroup::")]
    # What the run did is said after the last group, where the log shows it unfolded.
    assert lines[-1].startswith("flipbot: created ")
