"""Never lose a person's commit: forced interleavings against the stand-in (SPEC §9).

A stand-in hook pushes a person's commit at an exact point of the bot's run
(right after a read, right before a ref write); whatever the interleaving, the
commit stays reachable: still the branch head, or on ``flipbot/rescue/<sha12>``
with a PR comment. Also: the bot's identity, ``stop-updating`` precedence and
every closed PR.
"""

from __future__ import annotations

import itertools
import statistics
import time
from pathlib import Path

import pytest
from bot_inputs import REGISTRY, make_verdict, unverified_flip, write_inputs
from test_lifecycle import BRANCH, bot_run, config_for, seed_repo, writes

from bot.github_api.repo import GitHubRepo
from bot.pr.commit_plan import BaseMoved
from bot.pr.lifecycle import run_pr
from bot.run import MAX_VERIFICATIONS, flip_verified
from bot.trust.base_view import api_base
from bot.trust.verify import verify

REF = rf"/git/refs/heads/{BRANCH}$"
MAIN = r"/git/ref/heads/main$"  # the base branch's tip, as the verifier and the planner read it
NOTE = {"model/tiny/NOTE.md": b"reviewed by a person\n"}


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    write_inputs(tmp_path, make_verdict(seeds=(0, 1), sources=("a", "b")))
    return tmp_path


def reachable(standin, sha: str) -> list[str]:
    """The branches whose history holds ``sha``."""
    return [b for b in standin.branches() if sha in standin.git.history(standin.branch_sha(b))]


def opened_then_base_moved(standin, inputs: Path):
    """A flip PR exists and the base moved on, so the next run must rebuild the branch."""
    seed_repo(standin)
    first = bot_run(standin, inputs)
    standin.commit_to_branch("main", {"docs/x.md": b"x\n"}, message="Docs")
    standin.clear_journal()
    return first


def test_a_push_right_before_the_ref_write_is_restored_on_a_rescue_branch(github_standin, inputs):
    first = opened_then_base_moved(github_standin, inputs)
    pushed: list[str] = []
    hook = github_standin.faults.hook(
        "PATCH", REF, lambda: pushed.append(github_standin.commit_to_branch(BRANCH, NOTE))
    )
    out = bot_run(github_standin, inputs)
    assert hook.fired == 1 and out.operation == "updated"
    [human] = pushed
    rescue = f"flipbot/rescue/{human[:12]}"
    assert github_standin.branch_sha(rescue) == human
    assert reachable(github_standin, human) == [rescue]
    assert github_standin.branch_files(rescue)["model/tiny/NOTE.md"] == NOTE["model/tiny/NOTE.md"]
    [comment] = [c for c in github_standin.comments_of(first.number) if rescue in c]
    assert "nothing is lost" in comment and human[:12] in comment
    assert any(rescue in note for note in out.notes)


def test_a_push_right_after_the_bots_read_of_the_branch_commits_stops_the_write(
    github_standin, inputs
):
    """The push lands after the bot listed the branch's commits (and found only its own)."""
    first = opened_then_base_moved(github_standin, inputs)
    pushed: list[str] = []
    hook = github_standin.faults.hook(
        "GET",
        r"/compare/|/pulls/\d+/commits$",
        lambda: pushed.append(github_standin.commit_to_branch(BRANCH, NOTE)),
        when="after",
    )
    out = bot_run(github_standin, inputs)
    [human] = pushed
    assert hook.fired == 1
    assert out.operation == "unchanged" and github_standin.branch_sha(BRANCH) == human
    assert "while flipbot was working" in out.notes[0]
    assert not [r for r in github_standin.writes() if r.method == "PATCH" and "git/refs" in r.path]
    assert github_standin.pull(first.number).state == "open"


def test_a_persons_commit_carrying_the_trailer_is_not_overwritten(github_standin, inputs):
    first = opened_then_base_moved(github_standin, inputs)
    flip = unverified_flip(inputs)
    human = github_standin.commit_to_branch(
        BRANCH, NOTE, message=f"Note the review\n\nFlipbot-Verdict: {flip.verdict_sha256}\n"
    )
    out = bot_run(github_standin, inputs)
    assert out.operation == "unchanged" and github_standin.branch_sha(BRANCH) == human
    assert human[:12] in out.notes[0]
    assert "never force-pushes" in github_standin.comments_of(first.number)[-1]


def test_a_commit_by_the_bots_identity_on_top_of_the_bots_commit_is_not_the_bots_shape(
    github_standin, inputs
):
    """Two commits, both by flipbot's identity with the trailer: not one commit on base."""
    opened_then_base_moved(github_standin, inputs)
    flip = unverified_flip(inputs)
    config = config_for(github_standin, inputs)
    second = github_standin.commit_to_branch(
        BRANCH,
        NOTE,
        message=f"More\n\nFlipbot-Verdict: {flip.verdict_sha256}\n",
        author=(config.author.name, config.author.email),
    )
    out = bot_run(github_standin, inputs)
    assert out.operation == "unchanged" and github_standin.branch_sha(BRANCH) == second


def test_the_bot_commits_with_its_own_identity(github_standin, inputs):
    seed_repo(github_standin)
    bot_run(github_standin, inputs)
    [commit] = github_standin.branch_commits(BRANCH, since="main")
    who = (commit.author.name, commit.author.email, commit.committer.name, commit.committer.email)
    assert who == ("flipbot[bot]", "flipbot[bot]@users.noreply.github.com") * 2


def test_a_branch_that_appears_before_the_bot_creates_it_is_left_alone(github_standin, inputs):
    seed_repo(github_standin)
    pushed: list[str] = []
    github_standin.faults.hook(
        "POST", r"/git/refs$", lambda: pushed.append(github_standin.commit_to_branch(BRANCH, NOTE))
    )
    out = bot_run(github_standin, inputs)
    [human] = pushed
    assert out.operation == "unchanged" and github_standin.branch_sha(BRANCH) == human
    assert "created by someone else" in out.notes[0] and human[:12] in out.notes[0]
    assert github_standin.pulls() == []


def test_a_push_right_before_the_branch_delete_is_restored(github_standin, inputs):
    seed_repo(github_standin)
    first = bot_run(github_standin, inputs)
    github_standin.commit_to_branch("main", dict(github_standin.branch_files(BRANCH)), message="M")
    pushed: list[str] = []
    github_standin.faults.hook(
        "DELETE", REF, lambda: pushed.append(github_standin.commit_to_branch(BRANCH, NOTE))
    )
    out = bot_run(github_standin, inputs)
    [human] = pushed
    assert out.operation == "closed" and github_standin.pull(first.number).state == "closed"
    rescue = f"flipbot/rescue/{human[:12]}"
    assert reachable(github_standin, human) == [rescue]
    assert any(rescue in c for c in github_standin.comments_of(first.number))


def test_without_the_activity_endpoint_a_warning_says_the_check_could_not_be_made(
    github_standin, inputs
):
    opened_then_base_moved(github_standin, inputs)
    github_standin.faults.add(method="GET", path=r"/activity$", status=404)
    out = bot_run(github_standin, inputs)
    assert out.operation == "updated"
    assert any("could not check what the write" in n and "404" in n for n in out.notes)


def test_stop_updating_wins_over_closing_a_flip_the_base_already_holds(github_standin, inputs):
    seed_repo(github_standin)
    first = bot_run(github_standin, inputs)
    github_standin.add_label(first.number, "stop-updating")
    github_standin.commit_to_branch("main", dict(github_standin.branch_files(BRANCH)), message="M")
    github_standin.clear_journal()
    out = bot_run(github_standin, inputs)
    assert (out.operation, writes(github_standin)) == ("unchanged", [])
    assert github_standin.pull(first.number).state == "open"
    assert github_standin.branch_sha(BRANCH) == first.head_sha
    assert "stop-updating" in out.notes[0]


def test_stop_updating_wins_over_marking_the_pr_stale(github_standin, tmp_path):
    seed_repo(github_standin)
    write_inputs(tmp_path / "a", make_verdict(seeds=(0, 1)))
    first = bot_run(github_standin, tmp_path / "a")
    github_standin.add_label(first.number, "stop-updating")
    write_inputs(tmp_path / "b", make_verdict(seeds=(0, 1), refused=True))
    github_standin.clear_journal()
    out = bot_run(github_standin, tmp_path / "b")
    assert (out.operation, writes(github_standin)) == ("refused", [])
    assert out.refusal_reason and "PLCC spread" in out.refusal_reason
    assert github_standin.labels_of(first.number) == ["flip", "stop-updating"]


def test_every_closed_pr_is_searched_for_the_verdict_not_only_the_newest(github_standin, tmp_path):
    seed_repo(github_standin)
    write_inputs(tmp_path / "a", make_verdict(seeds=(0, 1)))
    first = bot_run(github_standin, tmp_path / "a")
    github_standin.close_pull(first.number)
    for i in range(35):  # newer closed flip PRs for other verdicts: the first is on page 2
        other = github_standin.open_pull(
            BRANCH, body=f'<!-- flipbot:v1 {{"verdict_sha256": "{i}"}} -->'
        )
        github_standin.close_pull(other.number)
    github_standin.clear_journal()
    out = bot_run(github_standin, tmp_path / "a")
    assert (out.operation, out.number) == ("unchanged", first.number)
    assert writes(github_standin) == []
    assert [p for p in github_standin.pulls() if p.state == "open"] == []


def test_the_window_between_the_last_read_and_the_ref_write_holds_no_pause(github_standin, inputs):
    """Measured: the time from the re-read's answer to the PATCH's arrival (docs/LIFECYCLE.md).

    PyGithub pauses between writes (here 0.3 s); that pause must fall before the re-read.
    """
    windows = []
    seed_repo(github_standin)
    bot_run(github_standin, inputs)
    for i in range(5):
        github_standin.commit_to_branch("main", {f"docs/{i}.md": b"x\n"}, message="Docs")
        github_standin.clear_journal()
        config = config_for(github_standin, inputs)
        api = GitHubRepo(
            config.api_url, config.token or "", config.repo, write_interval_s=0.3, sleep=time.sleep
        )
        flip = verify(inputs / "loso", inputs / "export", api_base(api, "main", config.registry))
        assert run_pr(config, flip, api).operation == ("updated")
        calls = github_standin.requests
        patch = next(i for i, r in enumerate(calls) if r.method == "PATCH" and "git/refs" in r.path)
        last_read = calls[patch - 1]
        assert last_read.method == "GET" and last_read.path.endswith(f"/git/ref/heads/{BRANCH}")
        windows.append(calls[patch].received - last_read.answered)
    print(
        f"window: median {statistics.median(windows) * 1e3:.1f} ms, max {max(windows) * 1e3:.1f} ms"
    )
    assert max(windows) < 0.3


@pytest.mark.parametrize(("empty_answers", "warned"), [(1, False), (3, True)])
def test_an_activity_list_that_lags_the_write_is_asked_again(
    github_standin, inputs, empty_answers, warned
):
    opened_then_base_moved(github_standin, inputs)
    github_standin.faults.add(
        method="GET", path=r"/activity$", status=200, body=[], times=empty_answers
    )
    out = bot_run(github_standin, inputs)
    assert out.operation == "updated"
    assert len(github_standin.calls("GET", r"/activity$")) == (3 if warned else 2)
    assert any("has not listed the write" in n for n in out.notes) == warned


def quick_api(config) -> GitHubRepo:
    return GitHubRepo(
        config.api_url, config.token or "", config.repo, write_interval_s=0.0, sleep=lambda s: None
    )


def test_a_base_that_moves_after_verification_is_verified_again_and_the_flip_built_on_it(
    github_standin, inputs, caplog
):
    """The push lands right after the verifier read the base's tip: the commit built on that
    verified commit would be behind main; the bot sees main moved, verifies on the new tip and
    builds the flip commit exactly on it."""
    verified = seed_repo(github_standin)
    pushed: list[str] = []
    hook = github_standin.faults.hook(
        "GET",
        MAIN,
        lambda: pushed.append(
            github_standin.commit_to_branch("main", {"docs/moved.md": b"moved\n"}, message="Docs")
        ),
        when="after",
    )
    config = config_for(github_standin, inputs)
    api = quick_api(config)
    assert flip_verified(config, api, api_base(api, config.base, config.registry)) == 0
    [moved] = pushed
    assert hook.fired == 1 and github_standin.branch_sha("main") == moved
    head = github_standin.branch_sha(BRANCH)
    assert github_standin.git.read_commit(head).parents == (moved,)  # not `verified`
    assert github_standin.branch_files(BRANCH)["docs/moved.md"] == b"moved\n"
    [pull] = github_standin.pulls()
    assert moved in pull.body and verified not in pull.body
    # Verified twice, each time checked before the commit: the tip read four times.
    assert len(github_standin.calls("GET", MAIN)) == 4
    [again] = [r.getMessage() for r in caplog.records if "verifying again" in r.getMessage()]
    assert f"from {verified[:12]} to {moved[:12]}" in again


def test_a_base_that_keeps_moving_is_refused_after_three_verifications_with_no_write(
    github_standin, inputs
):
    seed_repo(github_standin)
    github_standin.clear_journal()
    pushes = itertools.count()
    hook = github_standin.faults.hook(
        "GET",
        MAIN,
        lambda: github_standin.commit_to_branch(
            "main", {"docs/busy.md": f"{next(pushes)}\n".encode()}, message="Busy"
        ),
        when="after",
        times=100,
    )
    config = config_for(github_standin, inputs)
    api = quick_api(config)
    with pytest.raises(BaseMoved, match="moved from .* after flipbot verified .* rerun the job"):
        flip_verified(config, api, api_base(api, config.base, config.registry))
    # Each verification reads the tip once, and so does the check before the commit.
    assert MAX_VERIFICATIONS == 3 and hook.fired == 2 * MAX_VERIFICATIONS
    assert writes(github_standin) == [] and github_standin.pulls() == []
    assert github_standin.branch_sha(BRANCH) is None


def test_a_base_view_that_cannot_show_the_new_tip_is_refused_without_verifying_in_vain(
    github_standin, inputs
):
    """``bot promote`` verifies against the one base its gate and export ran on: when main moves
    on, verifying again would check the same old commit, so the flip is refused at once."""
    verified = seed_repo(github_standin)
    config = config_for(github_standin, inputs)
    api = quick_api(config)
    view = api_base(api, config.base, config.registry)(REGISTRY)
    moved = github_standin.commit_to_branch("main", {"docs/x.md": b"x\n"}, message="Docs")
    github_standin.clear_journal()
    with pytest.raises(BaseMoved) as raised:
        flip_verified(config, api, lambda registry: view)
    assert (raised.value.verified, raised.value.now) == (verified, moved)
    # The one check before the commit; verifying again read nothing and was refused at once.
    assert len(github_standin.calls("GET", MAIN)) == 1
    assert writes(github_standin) == [] and github_standin.pulls() == []
