"""The HTTP side: route, check against the OpenAPI description, record, answer."""

from __future__ import annotations

import json
import threading
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import routes_git, routes_history, routes_issues, routes_pulls, routes_repo, routes_review
from .api import ApiError, Backend, Call, Reply, Route
from .faults import Faults
from .gitstore import GitError
from .graphql import answer_graphql
from .openapi_check import ApiRequest, ApiResponse, request_errors, response_errors
from .shapes import error_body

ROUTES: list[Route] = [
    *routes_repo.ROUTES,
    *routes_git.ROUTES,
    *routes_pulls.ROUTES,
    *routes_issues.ROUTES,
    *routes_history.ROUTES,
    *routes_review.ROUTES,
]


@dataclass(frozen=True)
class Recorded:
    """One request as the server saw it, and the status it answered."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any  # decoded JSON, or None
    status: int  # 0 when the connection was dropped on purpose
    injected: bool  # answered by a fault
    received: float = 0.0  # time.perf_counter() when the request arrived
    answered: float = 0.0  # ... and when its answer was ready


@dataclass
class Journal:
    """What happened: every request in order, and every validation problem."""

    requests: list[Recorded]
    errors: list[str]
    lock: threading.Lock
    validation_seconds: float = 0.0  # time spent in openapi-core, requests + responses
    validated: int = 0  # requests whose request (and response) were checked

    def record(self, entry: Recorded) -> None:
        with self.lock:
            self.requests.append(entry)

    def timed(self, seconds: float) -> None:
        with self.lock:
            self.validation_seconds += seconds
            self.validated += 1

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def _match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for r in ROUTES:
        params = r.match(method, path)
        if params is not None:
            return r, params
    return None


def make_server(
    backend: Backend, faults: Faults, journal: Journal, token: str
) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as two writes

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _serve(self) -> None:
            method = self.command
            url = urlsplit(self.path)
            path, query = url.path, parse_qs(url.query, keep_blank_values=True)
            received = time.perf_counter()
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else None
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            status, reply_body, headers, injected = self._answer(method, path, query, raw, body)
            answered = time.perf_counter()
            journal.record(
                Recorded(method, path, query, body, status, injected, received, answered)
            )
            if status == 0:
                self.close_connection = True
                return
            data = b"" if reply_body is None else json.dumps(reply_body).encode()
            self.send_response(status)
            sent = {
                "Content-Type": "application/json; charset=utf-8",
                "X-RateLimit-Limit": "5000",
                "X-RateLimit-Remaining": "4999",
                "X-RateLimit-Reset": str(int(time.time()) + 3600),
                "X-RateLimit-Resource": "core",
                **headers,  # a fault's headers replace the defaults
                "Content-Length": str(len(data)),
            }
            for k, v in sent.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _answer(
            self, method: str, path: str, query: dict[str, list[str]], raw: bytes | None, body: Any
        ) -> tuple[int, Any, dict[str, str], bool]:
            auth = self.headers.get("Authorization", "")
            if auth not in (f"token {token}", f"Bearer {token}"):
                return 401, error_body("Bad credentials", 401), {}, False
            if not self.headers.get("User-Agent"):
                journal.fail(f"{method} {path}: no User-Agent header (GitHub answers 403)")
                message = (
                    "Request forbidden by administrative rules. "
                    "Please make sure your request has a User-Agent header"
                )
                return 403, error_body(message, 403), {}, False
            if method == "POST" and path == "/graphql":  # not REST: checked in graphql.py
                status, reply, problem = answer_graphql(backend, body)
                if problem:
                    journal.fail(f"request POST /graphql: {problem}")
                return status, reply, {}, False
            found = _match(method, path)
            if found is None:
                journal.fail(f"{method} {path}: no such operation in the stand-in (or in GitHub)")
                return 404, error_body("Not Found", 404), {}, False
            r, params = found
            if params.get("owner") is not None and (
                f"{params['owner']}/{params['repo']}".lower() != backend.site.full_name.lower()
            ):
                return 404, error_body("Not Found", 404), {}, False
            request = ApiRequest(
                method=method.lower(),
                path=path,
                path_pattern=r.spec_path,
                path_params=params,
                query=query,
                headers={k: v for k, v in self.headers.items()},
                body=raw,
            )
            started = time.perf_counter()
            problems = request_errors(request)
            checked = time.perf_counter() - started
            for p in problems:
                journal.fail(f"request {method} {path}: {p}")
            if problems:
                journal.timed(checked)
                return 422, error_body("Invalid request.\n\n" + problems[0], 422), {}, False
            faults.fire("before", method, path)
            fault = faults.take(method, path)
            if fault is not None:
                journal.timed(checked)
                if fault.hold:
                    fault.reached.set()
                    fault.released.wait(timeout=60)
                return (0 if fault.drop else fault.status), fault.body, fault.headers, True
            reply = self._handle(r, Call(backend, params, query, body, path))
            data = None if reply.body is None else json.dumps(reply.body).encode()
            response = ApiResponse(reply.status, data, {"Content-Type": "application/json"})
            started = time.perf_counter()
            for p in response_errors(request, response):
                journal.fail(f"response {method} {path} -> {reply.status}: {p}")
            journal.timed(checked + time.perf_counter() - started)
            if reply.status < 400:
                faults.served(method, path)
                faults.fire("after", method, path)
            return reply.status, reply.body, reply.headers, False

        def _handle(self, r: Route, call: Call) -> Reply:
            try:
                return r.handler(call)
            except ApiError as exc:
                return Reply(exc.status, exc.body)
            except GitError as exc:
                return Reply(422, error_body(str(exc), 422))
            except Exception:
                journal.fail(f"stand-in bug on {call.path}:\n{traceback.format_exc()}")
                return Reply(500, error_body("Server Error", 500))

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server
