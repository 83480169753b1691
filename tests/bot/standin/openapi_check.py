"""Validate every request and response against GitHub's OpenAPI description.

The vendored spec (openapi/github-rest.trimmed.json, see openapi/README.md) is
parsed once per process; the slow self-validation of the spec is skipped.
The adapters below implement openapi-core's Request / SupportsPathPattern /
Response protocols for the stand-in's own request objects: the router already
knows the spec path template and its parameters (refs and file paths contain
"/", which openapi-core's own path matcher would not accept in one segment).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_schema_validator import OAS30Validator
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_FILE = Path(__file__).resolve().parent / "openapi" / "github-rest.trimmed.json"
SPEC_HOST = "https://api.github.com"  # the spec's only server


@functools.cache
def spec() -> OpenAPI:
    data = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    return OpenAPI.from_dict(data, config=Config(spec_validator_cls=None))


@dataclass
class ApiRequest:
    """One request as the stand-in saw it, in openapi-core's Request protocol."""

    method: str  # lower case
    path: str  # the real path, "/repos/octo/models/git/ref/heads/main"
    path_pattern: str  # the spec template, "/repos/{owner}/{repo}/git/ref/{ref}"
    path_params: dict[str, Any]
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes | None
    host_url: str = SPEC_HOST
    parameters: RequestParameters = field(init=False)

    def __post_init__(self) -> None:
        self.body = documented_form(self.method, self.path_pattern, self.body)
        self.parameters = RequestParameters(
            query=ImmutableMultiDict([(k, v) for k, vs in self.query.items() for v in vs]),
            header=Headers(self.headers),
            path=self.path_params,
        )

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "application/json").lower()


@dataclass
class ApiResponse:
    """One response, in openapi-core's Response protocol."""

    status_code: int
    data: bytes | None
    headers: dict[str, str]

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "application/json").split(";")[0].lower()


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def _schema_lines(errors: Any, depth: int = 0) -> list[str]:
    """One line per schema error; a failed oneOf/anyOf also lists why each branch failed."""
    lines = []
    for inner in errors or []:
        path = "/".join(str(p) for p in inner.absolute_path)
        lines.append(f"{'  ' * (depth + 1)}at /{path}: {_short(inner.message)}")
        if inner.context and depth < 2:
            lines += _schema_lines(inner.context[:8], depth + 1)
    return lines


def _describe(exc: Exception) -> str:
    parts = [_short(f"{type(exc).__name__}: {exc}")]
    cause: BaseException | None = exc.__cause__ or exc.__context__
    found = getattr(exc, "schema_errors", None) or getattr(cause, "schema_errors", None)
    parts += _schema_lines(found)
    if cause is not None and not found:
        parts.append(_short(f"  caused by {type(cause).__name__}: {cause}"))
    return "\n".join(parts)


# The description's prose allows shorthands its schema omits; PyGithub uses them.
# POST/PUT .../issues/{n}/labels: "You can also pass an `array` of labels
# directly" (PyGithub's add_to_labels / set_labels send a bare array), and for
# PUT "You can pass an empty array to remove all labels".
_LABELS = "/repos/{owner}/{repo}/issues/{issue_number}/labels"


def documented_form(method: str, path_pattern: str, body: bytes | None) -> bytes | None:
    """The body in the schema's own form, where the prose documents a shorthand."""
    if path_pattern == _LABELS and method in ("post", "put") and body:
        value = json.loads(body)
        if isinstance(value, list | str):
            value = {"labels": value if isinstance(value, list) else [value]}
        if method == "put" and isinstance(value, dict) and value.get("labels") == []:
            # PUT prose: "You can pass an empty array to remove all labels" (the schema
            # says minItems 1); the body is optional, so check it as absent
            return None
        return json.dumps(value).encode()
    return body


def request_errors(request: ApiRequest) -> list[str]:
    try:
        spec().validate_request(request)
    except Exception as exc:  # openapi-core raises a family of errors; report all alike
        return [_describe(exc)]
    return []


@functools.cache
def _error_validator() -> OAS30Validator:
    schemas = json.loads(SPEC_FILE.read_text(encoding="utf-8"))["components"]["schemas"]
    return OAS30Validator(schemas["basic-error"])


def response_errors(request: ApiRequest, response: ApiResponse) -> list[str]:
    """Problems with a response; an error status the operation does not list is
    checked against ``basic-error`` instead (the description lists only some of
    the errors GitHub really sends, e.g. no 404 for GET pulls/{n}/commits)."""
    try:
        spec().validate_response(request, response)
    except ResponseNotFound as exc:
        if response.status_code < 400:
            return [_describe(exc)]
        body = json.loads(response.data or b"null")
        found = [e.message for e in _error_validator().iter_errors(body)]
        if not isinstance(body, dict) or not isinstance(body.get("message"), str):
            found.append("an error body needs a string 'message'")
        return [
            f"error {response.status_code} body is not GitHub's basic-error: {m}" for m in found
        ]
    except Exception as exc:
        return [_describe(exc)]
    return []
