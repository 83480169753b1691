"""The bot's inputs, parsed once into one frozen object (flags + environment)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bot.conventions import Conventions, parse_identity
from flipbot.errors import InputError

Mode = Literal["pr", "dry-run", "apply-local"]
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_LABEL = re.compile(r"^[^,\n\r]{1,50}$")
# git check-ref-format, the parts that matter for a branch name given by a person.
_BAD_REF = re.compile(r"(\.\.|@\{|//|[\x00-\x20\x7f~^:?*\[\\])")
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
    # The repository's PR conventions: templates, extra files, row updates, reviewers.
    conventions: Conventions = field(default_factory=Conventions)
    author: str | None = None  # "Name <email>" of the flip commit; None: the token's user
    committer: str | None = None  # "Name <email>"; None: the author
    signoff: bool = False  # add "Signed-off-by: <committer or author>" to the commit message
    draft_always: bool = False  # a flip PR that is no longer a draft goes back to draft
    branch_name: str | None = None  # None: flipbot/<registry-stem>

    @property
    def branch(self) -> str:
        return self.branch_name or f"flipbot/{self.registry.stem}"

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
    conventions: Conventions | None = None,
    author: str | None = None,
    committer: str | None = None,
    signoff: bool = False,
    draft_always: bool = False,
    branch: str | None = None,
) -> BotConfig:
    env = os.environ if env is None else env
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
    branch_name = parse_branch(branch, base)
    return BotConfig(
        verdict_dir=Path(verdict_dir),
        artifacts=Path(artifacts),
        registry=Path(registry),
        repo=repo,
        base=base,
        mode=mode,
        labels=label_list,
        fail_on_refusal=fail_on_refusal,
        api_url=url,
        token=token if mode == "pr" else None,
        run_url=run_url_from(env),
        plots_url=plots_url_from(env),
        conventions=conventions or Conventions(),
        author=parse_identity("author", author),
        committer=parse_identity("committer", committer),
        signoff=signoff,
        draft=draft or draft_always,
        draft_always=draft_always,
        branch_name=branch_name,
    )


def parse_branch(text: str | None, base: str) -> str | None:
    """The flip branch a repository chose (None: the default ``flipbot/<registry-stem>``)."""
    if not text:
        return None
    name = text.strip().removeprefix("refs/heads/")
    bad = (
        len(name) > 200
        or name.startswith(("-", "/", "."))
        or name.endswith(("/", ".", ".lock"))
        or _BAD_REF.search(name)
    )
    if not name or bad or name == base:
        raise InputError(
            f"--branch '{text[:80]}' is not a usable branch name (or is the base); "
            "give e.g. --branch flipbot/models"
        )
    return name
