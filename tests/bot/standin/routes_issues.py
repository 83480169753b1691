"""Issues (of pulls), their comments and labels; repository labels."""

from __future__ import annotations

import re
from typing import Any

from .api import ApiError, Call, Reply, Route, not_found, paginate, route, validation_failed
from .routes_pulls import apply_edit, find_pull
from .routes_review import set_milestone
from .state import Pull

R = "/repos/{owner}/{repo}"
ISSUE = f"{R}/issues/{{issue_number}}"


def _issue(call: Call, pull: Pull) -> dict[str, Any]:
    b = call.backend
    labels = [b.issues.ensure_label(name) for name in pull.labels]
    return b.site.issue(pull, labels, len(pull.comments))


def get_issue(call: Call) -> Reply:
    return Reply(200, _issue(call, find_pull(call)))


def update_issue(call: Call) -> Reply:
    pull = find_pull(call)
    with call.backend.issues.lock:
        apply_edit(call, pull)
        set_milestone(call, pull)
        if isinstance(call.field("labels"), list):
            pull.labels = []
            _add_labels(call, pull, call.field("labels"))
    return Reply(200, _issue(call, pull))


def list_comments(call: Call) -> Reply:
    pull = find_pull(call)
    site = call.backend.site
    return paginate(call, [site.comment(pull.number, c) for c in pull.comments])


def create_comment(call: Call) -> Reply:
    b = call.backend
    pull = find_pull(call)
    text = call.field("body")
    if not isinstance(text, str) or not text:
        raise validation_failed(
            {"resource": "IssueComment", "field": "body", "code": "missing_field"}
        )
    if len(text) > 65536:
        raise validation_failed(
            {
                "resource": "IssueComment",
                "field": "body",
                "code": "custom",
                "message": "body is too long (maximum is 65536 characters)",
            }
        )
    body = b.site.comment(pull.number, b.issues.add_comment(pull, text, b.login))
    return Reply(201, body, {"Location": body["url"]})


def _names(raw: Any) -> list[str]:
    if isinstance(raw, dict):
        raw = raw.get("labels", [])
    return [str(x["name"] if isinstance(x, dict) else x) for x in raw or []]


def _add_labels(call: Call, pull: Pull, names: list[str]) -> None:
    issues = call.backend.issues
    present = {n.lower() for n in pull.labels}
    for name in names:
        label = issues.ensure_label(name)
        if label.name.lower() not in present:
            pull.labels.append(label.name)
            present.add(label.name.lower())


def _label_list(call: Call, pull: Pull) -> Reply:
    b = call.backend
    return Reply(200, [b.site.label(b.issues.ensure_label(n)) for n in pull.labels])


def list_issue_labels(call: Call) -> Reply:
    pull = find_pull(call)
    reply = _label_list(call, pull)
    return paginate(call, reply.body)


def add_issue_labels(call: Call) -> Reply:
    pull = find_pull(call)
    with call.backend.issues.lock:
        _add_labels(call, pull, _names(call.json))
    return _label_list(call, pull)


def set_issue_labels(call: Call) -> Reply:
    pull = find_pull(call)
    with call.backend.issues.lock:
        pull.labels = []
        _add_labels(call, pull, _names(call.json))
    return _label_list(call, pull)


def clear_issue_labels(call: Call) -> Reply:
    find_pull(call).labels = []
    return Reply(204)


def remove_issue_label(call: Call) -> Reply:
    pull = find_pull(call)
    name = call.params["name"].lower()
    with call.backend.issues.lock:
        if name not in {n.lower() for n in pull.labels}:
            raise ApiError(404, "Label does not exist")
        pull.labels = [n for n in pull.labels if n.lower() != name]
    return _label_list(call, pull)


def list_labels(call: Call) -> Reply:
    b = call.backend
    with b.issues.lock:
        labels = sorted(b.issues.labels.values(), key=lambda label: label.id)
    return paginate(call, [b.site.label(label) for label in labels])


def create_label(call: Call) -> Reply:
    b = call.backend
    name = call.field("name")
    color = str(call.field("color") or "ededed").lstrip("#")
    if not re.fullmatch(r"[0-9a-fA-F]{6}", color):
        raise validation_failed({"resource": "Label", "code": "invalid", "field": "color"})
    if not str(name).strip() or len(str(name)) > 50:
        raise validation_failed({"resource": "Label", "code": "invalid", "field": "name"})
    with b.issues.lock:
        if b.issues.label(str(name)) is not None:
            raise validation_failed(
                {"resource": "Label", "code": "already_exists", "field": "name"}
            )
        label = b.issues.ensure_label(str(name), color, str(call.field("description") or ""))
    body = b.site.label(label)
    return Reply(201, body, {"Location": body["url"]})


def get_label(call: Call) -> Reply:
    b = call.backend
    label = b.issues.label(call.params["name"])
    if label is None:
        raise not_found()
    return Reply(200, b.site.label(label))


ROUTES: list[Route] = [
    route("GET", ISSUE, get_issue),
    route("PATCH", ISSUE, update_issue),
    route("GET", f"{ISSUE}/comments", list_comments),
    route("POST", f"{ISSUE}/comments", create_comment),
    route("GET", f"{ISSUE}/labels", list_issue_labels),
    route("POST", f"{ISSUE}/labels", add_issue_labels),
    route("PUT", f"{ISSUE}/labels", set_issue_labels),
    route("DELETE", f"{ISSUE}/labels", clear_issue_labels),
    route("DELETE", f"{ISSUE}/labels/{{name}}", remove_issue_label),
    route("GET", f"{R}/labels", list_labels),
    route("POST", f"{R}/labels", create_label),
    route("GET", f"{R}/labels/{{name}}", get_label),
]
