"""Every request and response is checked against GitHub's OpenAPI description."""

from __future__ import annotations

import pytest
from github import GithubException
from github.GithubException import (
    BadCredentialsException,
)

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
