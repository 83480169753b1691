"""The pieces every route module shares: the context, replies, errors, paging."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode

from .gitstore import GitStore, Signature
from .shapes import Site, error_body
from .state import IssueState, now


class ApiError(Exception):
    """An error answer in GitHub's JSON shape."""

    def __init__(
        self, status: int, message: str, errors: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = error_body(message, status, errors)


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def validation_failed(*errors: dict[str, Any]) -> ApiError:
    return ApiError(422, "Validation Failed", list(errors))


@dataclass
class Reply:
    status: int
    body: Any = None  # JSON-able, or None for an empty body (204)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Backend:
    """Everything the handlers read and change."""

    site: Site
    git: GitStore
    issues: IssueState
    default_branch: str
    login: str  # the user the token belongs to
    login_email: str
    logins_by_email: dict[str, str] = field(default_factory=dict)

    def signature(self) -> Signature:
        return Signature(self.login, self.login_email, now())


@dataclass
class Call:
    """One routed request: path parameters, query and decoded JSON body."""

    backend: Backend
    params: dict[str, str]
    query: dict[str, list[str]]
    json: Any
    path: str

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def field(self, name: str, default: Any = None) -> Any:
        return self.json.get(name, default) if isinstance(self.json, dict) else default


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    spec_path: str  # the OpenAPI path template
    handler: Handler
    regex: re.Pattern[str]

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        m = self.regex.fullmatch(path)
        return {k: unquote(v) for k, v in m.groupdict().items()} if m else None


_GREEDY = {"ref", "path", "basehead"}  # may contain "/"


def route(method: str, spec_path: str, handler: Handler) -> Route:
    pattern = re.sub(
        r"\{(\w+)\}",
        lambda m: f"(?P<{m[1]}>{'.+' if m[1] in _GREEDY else '[^/]+'})",
        spec_path,
    )
    return Route(method, spec_path, handler, re.compile(pattern))


def paginate(call: Call, items: list[Any], *, max_per_page: int = 100) -> Reply:
    """One page of ``items`` with GitHub's Link header (page/per_page query)."""
    try:
        per_page = max(1, min(max_per_page, int(call.arg("per_page") or 30)))
        page = max(1, int(call.arg("page") or 1))
    except ValueError as exc:
        raise ApiError(422, f"Invalid pagination value: {exc}") from exc
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    base = {k: v[-1] for k, v in call.query.items() if k not in ("page", "per_page")}

    def url(n: int) -> str:
        q = urlencode({**base, "per_page": per_page, "page": n})
        return f"{call.backend.site.base_url}{call.path}?{q}"

    links = []
    if page < last:
        links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    if page > 1:
        links += [f'<{url(1)}>; rel="first"', f'<{url(page - 1)}>; rel="prev"']
    return Reply(200, chunk, {"Link": ", ".join(links)} if links else {})
