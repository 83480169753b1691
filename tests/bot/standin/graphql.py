"""``POST /graphql``: the one mutation the bot sends, ``convertPullRequestToDraft``.

GitHub's REST API cannot turn a pull request back into a draft, so the bot
uses this GraphQL mutation (as peter-evans/create-pull-request does for
``draft: always-true``). The REST description does not cover GraphQL; this
checks the request against the mutation's documented shape instead: a
``mutation`` naming ``convertPullRequestToDraft`` with
``variables.input.pullRequestId`` (a pull request's ``node_id``). Anything
else is recorded as a validation error.
"""

from __future__ import annotations

import re
from typing import Any

from .api import Backend
from .shapes_repo import node_id

_MUTATION = re.compile(
    r"^mutation \w*\(\$input: ConvertPullRequestToDraftInput!\) \{ "
    r"convertPullRequestToDraft\(input: \$input\) \{ [^{}]*pullRequest \{ isDraft \} \} \}$"
)


def answer_graphql(backend: Backend, body: Any) -> tuple[int, Any, str | None]:
    """(status, JSON body, validation problem or None)."""
    query = body.get("query") if isinstance(body, dict) else None
    variables = body.get("variables") if isinstance(body, dict) else None
    payload = variables.get("input") if isinstance(variables, dict) else None
    if not isinstance(query, str) or not _MUTATION.match(" ".join(query.split())):
        return 400, {"message": "Problems parsing JSON"}, f"unsupported GraphQL query {query!r}"
    if not isinstance(payload, dict) or not isinstance(payload.get("pullRequestId"), str):
        return 400, {"message": "Problems parsing JSON"}, "input.pullRequestId missing"
    with backend.issues.lock:
        for pull in backend.issues.pulls.values():
            if node_id("PR", pull.number) == payload["pullRequestId"]:
                pull.draft = True
                result = {
                    "clientMutationId": payload.get("clientMutationId"),
                    "pullRequest": {"isDraft": True},
                }
                return 200, {"data": {"convertPullRequestToDraft": result}}, None
    missing = f"Could not resolve to a node with the global id of '{payload['pullRequestId']}'"
    return 200, {"data": None, "errors": [{"type": "NOT_FOUND", "message": missing}]}, None
