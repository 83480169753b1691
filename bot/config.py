"""The bot's inputs, parsed once into one frozen object (flags + environment)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from flipbot.errors import InputError
from flipbot.input_bounds import check_length, check_path_length

Mode = Literal["pr", "dry-run", "apply-local"]
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_LABEL = re.compile(r"^[^,\n\r]{1,50}$")
DEFAULT_API_URL = "https://api.github.com"
STOP_LABEL = "stop-updating"  # a maintainer adds it to freeze the bot's PR
STALE_LABEL = "flipbot:stale"  # the bot adds it when a later run refuses


@dataclass(frozen=True)
class BotConfig:
    verdict_dir: Path
    artifacts: Path
    registry: Path  # local path of the registry (dry run / apply-local; locates the repo root)
    repo: str  # OWNER/NAME
    base: str  # base branch name
    mode: Mode
    labels: tuple[str, ...] = ()
    draft: bool = False
    fail_on_refusal: bool = True
    api_url: str = DEFAULT_API_URL
    token: str | None = field(default=None, repr=False)  # never printed
    run_url: str | None = None  # workflow run link for the PR body
    plots_url: str | None = None  # the uploaded LOSO pictures (FLIPBOT_PLOTS_URL), if any
    # Seconds the client may wait in total on one rate-limited or failing request.
    max_wait_s: float = 60.0
    # Retry backoff base and the pause between writes (GitHub asks for about 1 s
    # between content-creating requests to stay clear of secondary rate limits).
    backoff_s: float = 0.5
    write_interval_s: float = 1.0

    @property
    def branch(self) -> str:
        return f"flipbot/{self.registry.stem}"

    @property
    def owner(self) -> str:
        return self.repo.split("/", 1)[0]


def plots_url_from(env: Mapping[str, str]) -> str | None:
    url = env.get("FLIPBOT_PLOTS_URL") or None
    if url is not None and not url.startswith(("https://", "http://")):
        raise InputError(
            f"FLIPBOT_PLOTS_URL '{url}' is not an http(s) URL; pass the upload step's artifact-url"
        )
    return url


def run_url_from(env: Mapping[str, str]) -> str | None:
    server, repo, run = (
        env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    if not (server and repo and run):
        return None
    return f"{server.rstrip('/')}/{repo}/actions/runs/{run}"


def build_config(
    *,
    verdict_dir: str,
    artifacts: str,
    registry: str,
    repo: str,
    base: str,
    mode: Mode,
    labels: str = "",
    draft: bool = False,
    fail_on_refusal: bool = True,
    api_url: str | None = None,
    env: Mapping[str, str] | None = None,
) -> BotConfig:
    env = os.environ if env is None else env
    for flag, path in (
        ("--verdict-dir", verdict_dir),
        ("--artifacts", artifacts),
        ("--registry", registry),
    ):
        check_path_length(flag, path)
    for flag, text in (
        ("--repo", repo),
        ("--base", base),
        ("--labels", labels),
        ("--api-url", api_url or ""),
        ("GITHUB_API_URL", env.get("GITHUB_API_URL", "")),
        ("FLIPBOT_PLOTS_URL", env.get("FLIPBOT_PLOTS_URL", "")),
    ):
        check_length(flag, text)
    if not _REPO.match(repo):
        raise InputError(f"--repo '{repo}' is not OWNER/NAME; pass e.g. --repo octo-org/vmaf")
    if not base or base.startswith("-") or ".." in base or base.startswith("refs/"):
        raise InputError(f"--base '{base}' is not a branch name; pass e.g. --base main")
    label_list = tuple(part.strip() for part in labels.split(",") if part.strip())
    for label in label_list:
        if not _LABEL.match(label):
            raise InputError(
                f"--labels: '{label}' is not a valid label (1-50 characters); fix --labels"
            )
    token = env.get("FLIPBOT_TOKEN") or env.get("GITHUB_TOKEN") or None
    if mode == "pr" and not token:
        raise InputError(
            "no token: set FLIPBOT_TOKEN (a GitHub App token) or GITHUB_TOKEN in the environment, "
            "or pass --dry-run"
        )
    url = (api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise InputError(
            f"--api-url '{url}' is not an http(s) URL; fix --api-url or GITHUB_API_URL"
        )
    return BotConfig(
        verdict_dir=Path(verdict_dir),
        artifacts=Path(artifacts),
        registry=Path(registry),
        repo=repo,
        base=base,
        mode=mode,
        labels=label_list,
        draft=draft,
        fail_on_refusal=fail_on_refusal,
        api_url=url,
        token=token if mode == "pr" else None,
        run_url=run_url_from(env),
        plots_url=plots_url_from(env),
    )
