"""Every request and response is checked against GitHub's OpenAPI description."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from pathlib import Path

import pytest
from github import GithubException
from github.GithubException import BadCredentialsException

from standin import GitHubStandin
from standin.flows import seeded
from standin.shapes import Site


def test_request_missing_head_is_caught_by_validation(github_standin: GitHubStandin) -> None:
    seeded(github_standin)
    requester = github_standin.pygithub().requester
    with pytest.raises(GithubException) as info:
        requester.requestJsonAndCheck(
            "POST", "/repos/octo/models/pulls", input={"title": "t", "base": "main"}
        )
    assert info.value.status == 422
    errors = github_standin.expect_validation_errors()
    assert len(errors) == 1
    assert "'head' is a required property" in errors[0]
    assert github_standin.pulls() == []


def test_invalid_response_is_caught_by_validation(
    github_standin: GitHubStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(github_standin)
    github_standin.issues.ensure_label("flipbot")
    original = Site.label

    def without_color(self: Site, label: object) -> dict[str, object]:
        body = original(self, label)  # type: ignore[arg-type]
        del body["color"]
        return body

    monkeypatch.setattr(Site, "label", without_color)
    list(github_standin.pygithub().get_repo(github_standin.repo_full_name).get_labels())
    errors = github_standin.expect_validation_errors()
    assert len(errors) == 1
    assert "'color' is a required property" in errors[0]


def test_unknown_operation_is_recorded_as_an_error(github_standin: GitHubStandin) -> None:
    requester = github_standin.pygithub().requester
    with pytest.raises(GithubException):
        requester.requestJsonAndCheck("GET", "/repos/octo/models/hooks")
    assert "no such operation" in github_standin.expect_validation_errors()[0]


def test_wrong_token_gets_bad_credentials(github_standin: GitHubStandin) -> None:
    from github import Auth, Github

    client = Github(base_url=github_standin.base_url, auth=Auth.Token("wrong"), retry=None)
    with pytest.raises(BadCredentialsException):
        client.get_repo(github_standin.repo_full_name)


INNER_TEST = """
import sys
sys.path.insert(0, {bot_tests!r})
from conftest import github_standin  # noqa: F401  (the fixture under test)


def test_sends_a_pull_without_head(github_standin):
    requester = github_standin.pygithub().requester
    try:
        requester.requestJsonAndCheck("POST", "/repos/octo/models/pulls", input={{"title": "t", "base": "main"}})
    except Exception:
        pass  # a bot that swallows the 422 must still fail its test
"""


def test_fixture_teardown_fails_a_test_that_broke_the_description(tmp_path: Path) -> None:
    bot_tests = str(Path(__file__).resolve().parents[1])
    (tmp_path / "test_inner.py").write_text(INNER_TEST.format(bot_tests=bot_tests))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_inner.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout
    assert "1 passed, 1 error" in result.stdout
    assert "GitHub OpenAPI validation failed" in result.stdout
    assert "'head' is a required property" in result.stdout


def test_request_without_user_agent_is_refused_like_github(github_standin: GitHubStandin) -> None:
    host, port = github_standin.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request(
        "GET",
        f"/repos/{github_standin.repo_full_name}",
        headers={"Authorization": f"token {github_standin.token}"},  # http.client adds no UA
    )
    answer = connection.getresponse()
    body = json.loads(answer.read())
    connection.close()
    assert answer.status == 403
    assert "User-Agent" in body["message"]
    assert "no User-Agent" in github_standin.expect_validation_errors()[0]
