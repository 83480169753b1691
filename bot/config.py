"""The bot's inputs, parsed once into one frozen object (flags + environment)."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from bot.conventions import Conventions, parse_identity
from bot.github_api import BOT_IDENTITY, Identity
from bot.registry import clean_repo_path
from bot.signing import (
    GITHUB_ISSUER,
    NO_TOKEN,
    SIGN_MODES,
    IdentityPolicy,
    SignMode,
    has_oidc,
    identity_policy,
)
from flipbot.errors import InputError
from flipbot.input_bounds import check_length, check_path_length

log = logging.getLogger("bot")

Mode = Literal["pr", "dry-run", "apply-local"]
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_ENSEMBLE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_LABEL = re.compile(r"^[^,\n\r]{1,50}$")
# git check-ref-format, the parts that matter for a branch name given by a person.
_BAD_REF = re.compile(r"(\.\.|@\{|//|[\x00-\x20\x7f~^:?*\[\\])")
DEFAULT_API_URL = "https://api.github.com"
MISSING_TOKEN = (
    "no token: set FLIPBOT_TOKEN (a GitHub App token) or GITHUB_TOKEN in the environment, "
    "or pass --dry-run"
)


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
    # Who the flip commit is by (--author/--committer; the committer defaults to the author). The lifecycle takes a branch commit for the bot's only when
    # both match (with the trailer and the one-commit-on-base shape), so a person's commit
    # that happens to carry "Flipbot-Verdict:" is never overwritten.
    author: Identity = BOT_IDENTITY
    committer: Identity = BOT_IDENTITY
    # Registry rows are <ensemble_id>_seed<N> (the export default; trainer/registry_view.py).
    ensemble_id: str = "fr_regressor_v2_ensemble_v1"
    # Ship models fitted with another recipe than the judged one (the PR says so in bold).
    allow_recipe_override: bool = False
    # The repository's PR conventions: templates, extra files, row updates, reviewers.
    conventions: Conventions = field(default_factory=Conventions)
    signoff: bool = False  # add "Signed-off-by: <committer or author>" to the commit message
    draft_always: bool = False  # a flip PR that is no longer a draft goes back to draft
    branch_name: str | None = None  # None: flipbot/<registry-stem>
    # Where the commit keeps the verdict (audit trail), inside the registry's folder;
    # None: <registry folder>/<ensemble_id>.verdict.json.
    verdict_file: str | None = None
    # Sigstore signing (--sign): auto signs when the job has an OIDC token, required refuses
    # to start without one, off never signs. ``oidc``: the job may request a token.
    sign: SignMode = "auto"
    oidc: bool = False
    # Who may have signed (--identity-regexp, --issuer); None: the runtime's pattern for repo.
    identity: IdentityPolicy | None = None
    # The audit of the loso files by re-training (``bot promote``; None in a plain flip): the
    # promotion record's "audit" field.
    audit: Mapping[str, Any] | None = None

    @property
    def ghes(self) -> bool:
        """The API is a GitHub Enterprise Server's (``https://HOST/api/v3``)."""
        return urlsplit(self.api_url).path.rstrip("/") == "/api/v3"

    @property
    def policy(self) -> IdentityPolicy:
        return self.identity or identity_policy(
            self.repo, "https://github.com", None, GITHUB_ISSUER
        )

    @property
    def branch(self) -> str:
        return self.branch_name or f"flipbot/{self.registry.stem}"

    @property
    def owner(self) -> str:
        return self.repo.split("/", 1)[0]


def web_host(api_url: str) -> str | None:
    """The web host of an API URL: api.github.com -> github.com; https://HOST/api/v3 -> HOST."""
    parts = urlsplit(api_url)
    host = (parts.hostname or "").lower()
    if host == "api.github.com":
        return "github.com"
    if parts.path.rstrip("/") == "/api/v3":
        return host or None
    return None


def plots_url_from(env: Mapping[str, str], api_url: str = DEFAULT_API_URL) -> str | None:
    """The plots link if it is an https URL on the API host's web host; else dropped, warned."""
    url = env.get("FLIPBOT_PLOTS_URL") or None
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    plain = parts is not None and not any(c in url for c in " \t\n\r<>\"'`()[]|")
    https = parts is not None and parts.scheme == "https"
    if not (plain and https and host and host.lower() == web_host(api_url)):
        log.warning(
            "FLIPBOT_PLOTS_URL dropped: %r is not an https URL on %s; pass the upload step's "
            "artifact-url",
            url[:200],
            web_host(api_url) or "the API host's web host",
        )
        return None
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
    ensemble_id: str = "fr_regressor_v2_ensemble_v1",
    allow_recipe_override: bool = False,
    conventions: Conventions | None = None,
    author: str | None = None,
    committer: str | None = None,
    signoff: bool = False,
    draft_always: bool = False,
    branch: str | None = None,
    verdict_file: str | None = None,
    sign: str = "auto",
    identity_regexp: str | None = None,
    issuer: str | None = None,
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
        ("--author", author or ""),
        ("--committer", committer or ""),
        ("--branch", branch or ""),
        ("--verdict-file", verdict_file or ""),
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
        raise InputError(MISSING_TOKEN)
    url = (api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise InputError(
            f"--api-url '{url}' is not an http(s) URL; fix --api-url or GITHUB_API_URL"
        )
    if not _ENSEMBLE_ID.fullmatch(ensemble_id):
        raise InputError(
            f"--ensemble-id '{ensemble_id[:60]}' is not a plain id (letters, digits, '_', '-', "
            "'.', at most 100); pass e.g. --ensemble-id fr_regressor_v2_ensemble_v1"
        )
    branch_name = parse_branch(branch, base)
    if verdict_file:
        clean_repo_path(verdict_file, "--verdict-file")
        if not verdict_file.endswith(".json"):
            raise InputError(
                f"--verdict-file '{verdict_file[:80]}' must name a .json file in the registry's "
                "folder; pass e.g. model/tiny/fr_regressor_v2_ensemble_v1.verdict.json"
            )
    if sign not in SIGN_MODES:
        raise InputError(f"--sign '{sign[:20]}' is not one of {', '.join(SIGN_MODES)}; fix --sign")
    oidc = has_oidc(env)
    if sign == "required" and mode != "dry-run" and not oidc:
        raise InputError(f"--sign required: {NO_TOKEN}; nothing was written")
    server = env.get("GITHUB_SERVER_URL") or "https://github.com"
    check_length("--identity-regexp", identity_regexp or "")
    check_length("--issuer", issuer or "")
    policy = identity_policy(repo, server, identity_regexp, issuer or GITHUB_ISSUER)
    author_id = parse_identity("author", author) or BOT_IDENTITY
    committer_id = parse_identity("committer", committer) or author_id
    return BotConfig(
        ensemble_id=ensemble_id,
        allow_recipe_override=allow_recipe_override,
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
        plots_url=plots_url_from(env, url),
        conventions=conventions or Conventions(),
        author=author_id,
        committer=committer_id,
        signoff=signoff,
        draft=draft or draft_always,
        draft_always=draft_always,
        branch_name=branch_name,
        verdict_file=verdict_file or None,
        sign=sign,
        oidc=oidc,
        identity=policy,
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
