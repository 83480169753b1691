"""pip's index configuration, read once and handed to uv, which does not read pip's files.

``pip config list`` prints every setting pip would use (its config files, and the
``PIP_*`` environment as ``:env:.key``); the environment wins, as in pip. Only the
options that decide where packages come from are carried over: index-url,
extra-index-url, find-links, cert and constraint.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class PipIndex:
    index_url: str = ""
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    cert: str = ""
    constraints: tuple[str, ...] = ()

    def uv_args(self, constraints: bool = True) -> list[str]:
        """uv options that resolve like pip: every index searched for the best match.

        ``constraints=False`` for a hash-pinned lock: it pins every version exactly, and
        uv's ``--require-hashes`` refuses a constraint that is not an ``==`` pin."""
        args = ["--index-strategy", "unsafe-best-match"]
        if self.index_url:
            args += ["--index-url", self.index_url]
        for url in self.extra_index_urls:
            args += ["--extra-index-url", url]
        for link in self.find_links:
            args += ["--find-links", link]
        for path in self.constraints if constraints else ():
            args += ["--constraint", path]
        return args

    def uv_env(self) -> dict[str, str]:
        return {"SSL_CERT_FILE": self.cert} if self.cert else {}


def parse_config_list(text: str) -> PipIndex:
    """A ``PipIndex`` from ``pip config list`` output (``scope.key='value'`` lines)."""
    found: dict[str, tuple[int, str]] = {}
    for line in text.splitlines():
        name, sep, raw = line.partition("=")
        if not sep or "." not in name:
            continue
        scope, _, key = name.rpartition(".")
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            value = raw
        rank = 2 if scope == ":env:" else 1  # the environment wins over the files
        if key not in found or rank >= found[key][0]:
            found[key] = (rank, str(value))

    def many(key: str) -> tuple[str, ...]:
        return tuple(found[key][1].split()) if key in found else ()

    return PipIndex(
        index_url=found.get("index-url", (0, ""))[1],
        extra_index_urls=many("extra-index-url"),
        find_links=many("find-links"),
        cert=found.get("cert", (0, ""))[1],
        constraints=many("constraint"),
    )


def pip_index(python: str = sys.executable) -> PipIndex:
    """The configured index of ``python -m pip`` (empty when pip is missing)."""
    try:
        proc = subprocess.run(
            [python, "-m", "pip", "config", "list"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return PipIndex()
    return parse_config_list(proc.stdout) if proc.returncode == 0 else PipIndex()
