"""Injected failures: a queue of canned responses matched by method and path.

A fault matches a request when ``method`` equals (or is None) and ``path``
(a regular expression) is found in the request path by ``re.search``. Faults
are tried in the order they were added; the first match answers the request
and uses up one of its ``times``. An injected response is not checked against
the OpenAPI description (it is the test's deliberate lie), but it is recorded.

``hook(method, path, run, when="before")`` runs ``run()`` (e.g. a person's push
through the test helpers) right before a matching request is served, or right
after (``when="after"``: the state changes after the server read it and before
the client has the answer): the forced interleavings of the race tests.

``hold=True`` parks the request until the test calls ``release()`` (then
drops it), so a test can kill a bot subprocess at an exact point.
``after`` makes a fault wait: it only arms once a request matching
``after=(method, path_regex)`` has been served (e.g. "the first GET of a pull
after its POST"). ``drop=True`` closes the connection without any response,
which the client sees as a connection error (the bot "died" or the network
broke between two steps).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .shapes import error_body


@dataclass
class Fault:
    method: str | None
    path: str
    status: int
    body: Any  # JSON: an object, a list (a faked listing), or None
    headers: dict[str, str]
    times: int
    drop: bool = False
    after: tuple[str, str] | None = None
    armed: bool = True
    fired: int = 0
    hold: bool = False  # park the request until ``release()``, then drop it
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.released.set()

    def matches(self, method: str, path: str) -> bool:
        return (
            self.armed
            and self.times > 0
            and (self.method is None or self.method == method)
            and re.search(self.path, path) is not None
        )


@dataclass
class Hook:
    """Run ``run()`` when a matching request arrives (``before``) or was served (``after``)."""

    method: str | None
    path: str
    run: Callable[[], object]
    when: str  # "before" | "after"
    times: int
    fired: int = 0

    def matches(self, when: str, method: str, path: str) -> bool:
        return (
            self.when == when
            and self.times > 0
            and (self.method is None or self.method == method)
            and re.search(self.path, path) is not None
        )


@dataclass
class Faults:
    """The fault queue of one stand-in; ``add`` and the ready-made helpers return the Fault."""

    owner_repo: str
    items: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    hooks: list[Hook] = field(default_factory=list)

    def hook(
        self,
        method: str | None,
        path: str,
        run: Callable[[], object],
        *,
        when: str = "before",
        times: int = 1,
    ) -> Hook:
        """Run ``run()`` right before (or after) a matching request is served, ``times`` times."""
        assert when in ("before", "after"), when
        hook = Hook(method.upper() if method else None, path, run, when, times)
        with self.lock:
            self.hooks.append(hook)
        return hook

    def fire(self, when: str, method: str, path: str) -> None:
        """Run the hooks for this request (outside the lock: they may call the stand-in)."""
        with self.lock:
            due = [h for h in self.hooks if h.matches(when, method, path)]
            for hook in due:
                hook.times -= 1
                hook.fired += 1
        for hook in due:
            hook.run()

    def add(
        self,
        *,
        method: str | None = None,
        path: str,
        status: int = 500,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        drop: bool = False,
        after: tuple[str, str] | None = None,
        hold: bool = False,
    ) -> Fault:
        fault = Fault(
            method=method.upper() if method else None,
            path=path,
            status=status,
            body=body if body is not None else error_body("Injected failure", status),
            headers=dict(headers or {}),
            times=times,
            drop=drop or hold,
            after=(after[0].upper(), after[1]) if after else None,
            armed=after is None,
            hold=hold,
        )
        with self.lock:
            self.items.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.items:
                if fault.matches(method, path):
                    fault.times -= 1
                    fault.fired += 1
                    return fault
        return None

    def served(self, method: str, path: str) -> None:
        """Arm the faults waiting for this request."""
        with self.lock:
            for fault in self.items:
                if not fault.armed and fault.after is not None:
                    want_method, want_path = fault.after
                    if want_method == method and re.search(want_path, path):
                        fault.armed = True

    def release_all(self) -> None:
        with self.lock:
            for fault in self.items:
                fault.release()

    def pending(self) -> list[Fault]:
        with self.lock:
            return [f for f in self.items if f.times > 0]

    # ready-made faults ---------------------------------------------------------
    def pull_already_exists(self, head: str, times: int = 1) -> Fault:
        """422 from POST /pulls: a PR for ``head`` exists (GitHub's exact shape)."""
        owner = self.owner_repo.split("/")[0]
        message = f"A pull request already exists for {owner}:{head}."
        return self.add(
            method="POST",
            path=r"/pulls$",
            status=422,
            body=error_body(
                "Validation Failed",
                422,
                [{"resource": "PullRequest", "code": "custom", "message": message}],
            ),
            times=times,
        )

    def node_not_resolvable_after_create(self, times: int = 1) -> Fault:
        """The first request on a pull (GET/PATCH/labels) right after POST /pulls gets 422.

        GitHub's replicas lag behind a fresh pull: "Could not resolve to a node
        with the global id of ...". Armed by the POST, fires ``times`` times.
        """
        return self.add(
            path=r"/(pulls|issues)/\d+",
            status=422,
            body=error_body(
                "Could not resolve to a node with the global id of 'PR_kwDOAAAAAAAAAAAA'.", 422
            ),
            times=times,
            after=("POST", r"/pulls$"),
        )

    def actions_may_not_create_pulls(self, times: int = 1) -> Fault:
        """403 from POST /pulls when the repo/org forbids Actions to open PRs."""
        return self.add(
            method="POST",
            path=r"/pulls$",
            status=403,
            body=error_body(
                "GitHub Actions is not permitted to create or approve pull requests.", 403
            ),
            times=times,
        )

    def resource_not_accessible(
        self, method: str | None = "POST", path: str = r"/git/refs$", times: int = 1
    ) -> Fault:
        """403 "Resource not accessible by integration": the token lacks a permission
        (``contents: write`` for git writes, ``pull-requests: write`` for PRs)."""
        return self.add(
            method=method,
            path=path,
            status=403,
            body=error_body("Resource not accessible by integration", 403),
            times=times,
        )

    def secondary_rate_limit(
        self,
        method: str | None = None,
        path: str = r".",
        times: int = 1,
        retry_after: int = 1,
        status: int = 403,
    ) -> Fault:
        """403 (or 429: GitHub sends either) with ``Retry-After``, as the secondary limit does."""
        return self.add(
            method=method,
            path=path,
            status=status,
            body=error_body(
                "You have exceeded a secondary rate limit. Please wait a few minutes before you "
                "try again. If you reach out to GitHub Support for help, please include the "
                "request ID ABCD:1234.",
                status,
            ),
            headers={"Retry-After": str(retry_after)},
            times=times,
        )

    def primary_rate_limit(
        self, method: str | None = None, path: str = r".", times: int = 1, reset_in: int = 1
    ) -> Fault:
        """403 "API rate limit exceeded" with ``X-RateLimit-Remaining: 0`` and a reset time."""
        return self.add(
            method=method,
            path=path,
            status=403,
            body=error_body(
                "API rate limit exceeded for installation ID 1. If you reach out to GitHub "
                "Support for help, please include the request ID ABCD:1234.",
                403,
            ),
            headers={
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Used": "5000",
                "X-RateLimit-Reset": str(int(time.time()) + reset_in),
            },
            times=times,
        )

    def server_error(
        self, method: str | None = None, path: str = r".", times: int = 1, status: int = 500
    ) -> Fault:
        return self.add(
            method=method,
            path=path,
            status=status,
            body=error_body("Server Error", status),
            times=times,
        )

    def crash_after(self, method: str, path: str) -> Fault:
        """Serve the matching write normally, then drop the connection of the NEXT request.

        Simulates the bot dying between two steps (e.g. after the ref write,
        before the PR is created): the client sees a connection error.
        """
        return self.add(path=r".", drop=True, after=(method, path), times=1)

    def hold_after(self, method: str, path: str) -> Fault:
        """Serve the matching write, then park the NEXT request until ``release()``.

        For a bot running as a subprocess: wait for ``fault.reached`` (a
        threading.Event), kill the process, then ``fault.release()`` (the parked
        request is dropped). ``stop()`` releases every parked request.
        """
        return self.add(path=r".", hold=True, after=(method, path), times=1)
