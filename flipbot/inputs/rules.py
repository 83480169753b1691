"""One rule per input: what a valid value is, shared by the Action's inputs and the bot's flags.

Each rule takes ``where`` (how the caller names the value: ``input 'branch'`` in the Action,
``--branch`` on the bot's command line) and the text as given, and returns the normalised
value or raises :class:`InputError` with ``"{where}: ..."``; the rest of the sentence is the
rule's own, so the same bad value reads the same through both doors. Standard library only:
the Action runs these on the runner's plain ``python3`` before any venv exists.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Literal

from flipbot.errors import InputError

# git check-ref-format, the parts that matter for a branch name given by a person.
BAD_REF = re.compile(r"(\.\.|@\{|//|[\x00-\x20\x7f~^:?*\[\\])")
MAX_BRANCH = 200
REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,99})/[A-Za-z0-9._-]{1,100}$")
LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")  # a GitHub user name
TEAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")  # a team slug
MAX_REVIEWERS, MAX_ASSIGNEES = 15, 10  # what GitHub takes on one pull request
IDENTITY = re.compile(r"^([^<>\x00-\x1f]{1,100}) <([^<>\s@]{1,64}@[^<>\s@]{1,190})>$")
MAX_LABEL = 50
# A link that lands in the PR body: plain characters only, nothing that closes Markdown or HTML.
URL_UNSAFE = frozenset(" \t\n\r<>\"'`()[]|")
DRAFTS = ("true", "false", "always-true")
SignMode = Literal["auto", "required", "off"]
SIGN_MODES: tuple[SignMode, ...] = ("auto", "required", "off")
MAX_IDENTITY_REGEXP = 500
SEED = re.compile(r"[0-9]{1,9}")  # ASCII digits only: int() would also take "٣"
MAX_SEEDS = 64
MAX_EPOCHS = 100_000
MAX_BATCH_SIZE = 1_000_000
AUDIT_DEFAULT, AUDIT_ALL = "default", "all"
MAX_AUDIT_DIGITS = 6  # up to 999999 folds: far more than any corpus has (5 seeds x 9 sources: 45)
MAX_TEMPLATE = 64 * 1024  # characters of a template's source
MAX_TITLE_TEMPLATE = 1024  # the title renders to at most 256 characters


def is_branch_name(name: str) -> bool:
    """The one branch-name rule (git check-ref-format, the parts a person can get wrong)."""
    return not (
        not name
        or name.startswith(("-", "/", "."))
        or name.endswith(("/", ".", ".lock"))
        or BAD_REF.search(name) is not None
    )


def base_branch(where: str, text: str) -> str:
    """The branch the flip targets; ``refs/heads/`` dropped."""
    name = text.strip().removeprefix("refs/heads/")
    if not is_branch_name(name):
        raise InputError(f"{where}: {text[:80]!r} is not a branch name; give e.g. main")
    return name


def flip_branch(where: str, text: str, base: str) -> str:
    """The branch the flip is committed on, never the base; '' keeps the default."""
    name = text.strip().removeprefix("refs/heads/")
    if text.strip() and (not is_branch_name(name) or len(name) > MAX_BRANCH or name == base):
        raise InputError(
            f"{where}: {name[:80]!r} is not a usable branch name (or is the base); "
            "give e.g. flipbot/models"
        )
    return name


def seeds(where: str, text: str) -> tuple[int, ...]:
    """``"0,1,2,3,4"`` -> ``(0, 1, 2, 3, 4)``, in the order given; each seed once."""
    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or not all(SEED.fullmatch(p) for p in parts):
        shown = text if len(text) <= 80 else f"{text[:80]}... ({len(text)} characters)"
        raise InputError(
            f"{where}: {shown!r} is not a comma-separated list of non-negative integers "
            "(at most 9 digits each); give e.g. 0,1,2,3,4"
        )
    numbers = tuple(int(p) for p in parts)
    twice = sorted(n for n, k in Counter(numbers).items() if k > 1)
    if twice:
        raise InputError(f"{where}: {text[:80]!r} repeats seed {twice[0]}; list each seed once")
    if len(numbers) > MAX_SEEDS:
        raise InputError(f"{where}: {len(numbers)} seeds is more than {MAX_SEEDS}; list fewer")
    return numbers


def epochs(where: str, text: str) -> int:
    """The workflow's epochs per fit: the train stage's and the audit's re-training."""
    if not re.fullmatch(r"[0-9]{1,9}", text.strip()) or not 1 <= int(text) <= MAX_EPOCHS:
        raise InputError(f"{where}: {text[:20]!r} is not an integer from 1 to {MAX_EPOCHS}")
    return int(text)


def batch_size(where: str, text: str) -> int:
    """The workflow's mini-batch size: the train stage's and the audit's re-training."""
    if not re.fullmatch(r"[0-9]{1,9}", text.strip()) or not 1 <= int(text) <= MAX_BATCH_SIZE:
        raise InputError(
            f"{where}: {text[:20]!r} is not an integer from 1 to {MAX_BATCH_SIZE}; "
            "use the workflow's recipe"
        )
    return int(text)


def audit_sample(where: str, text: str) -> str:
    """The folds the audit re-trains: ``default`` (one per seed), ``all``, or a count (``"7"``)."""
    word = text.strip().lower() or AUDIT_DEFAULT
    if word in (AUDIT_DEFAULT, AUDIT_ALL):
        return word
    if not re.fullmatch(f"[0-9]{{1,{MAX_AUDIT_DIGITS}}}", word) or int(word) < 1:
        raise InputError(
            f"{where}: {text[:40]!r} is not a fold count; give 'default', 'all' or a number of "
            f"folds from 1 to {10**MAX_AUDIT_DIGITS - 1} ('default' audits one fold per seed)"
        )
    return str(int(word))


def repository(where: str, text: str) -> str:
    if not REPOSITORY.fullmatch(text.strip()):
        raise InputError(f"{where}: {text[:80]!r} is not OWNER/NAME; give e.g. octo-org/vmaf")
    return text.strip()


def labels(where: str, text: str) -> tuple[str, ...]:
    """Comma-separated GitHub label names, blanks dropped."""
    names = tuple(w.strip() for w in text.split(",") if w.strip())
    for name in names:
        if len(name) > MAX_LABEL or any(ord(c) < 32 or ord(c) == 127 for c in name):
            raise InputError(
                f"{where}: {name[:60]!r} is not a GitHub label name "
                f"(1-{MAX_LABEL} printable characters); fix it"
            )
    return names


def api_url(where: str, text: str) -> str:
    """An https API URL, or plain http to this machine only (a local stand-in); no trailing /."""
    url = text.strip().rstrip("/")
    local = re.fullmatch(r"http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?(/[^\s]*)?", url)
    if not (re.fullmatch(r"https://[^\s/]+(/[^\s]*)?", url) or local):
        raise InputError(
            f"{where}: {text[:80]!r} is not an https URL; leave it empty for github.com"
        )
    return url


def plots_url(where: str, text: str) -> str:
    """'' or an https link with plain characters (it lands in the PR body)."""
    url = text.strip()
    if url and not (url.startswith("https://") and len(url) > 8 and not URL_UNSAFE & set(url)):
        raise InputError(
            f"{where}: {url[:80]!r} is not an https URL; pass the upload step's "
            "artifact-url output, or leave it empty"
        )
    return url


def boolean(where: str, text: str) -> bool:
    word = text.strip().lower()
    if word not in ("true", "false"):
        raise InputError(f"{where}: not one of true, false (got {text[:20]!r})")
    return word == "true"


def draft(where: str, text: str) -> str:
    """``true``, ``false`` or ``always-true`` (also turn an updated PR back into a draft)."""
    word = text.strip().lower() or "false"
    if word not in DRAFTS:
        raise InputError(f"{where}: not one of {', '.join(DRAFTS)} (got {text[:20]!r})")
    return word


def sign(where: str, text: str) -> SignMode:
    word = text.strip().lower() or "auto"
    for mode in SIGN_MODES:
        if word == mode:
            return mode
    raise InputError(f"{where}: {word[:20]!r} is not one of {', '.join(SIGN_MODES)}")


def identity_regexp(where: str, text: str) -> str:
    """The identity a signature bundle must match; '' means the runtime's own pattern."""
    pattern = text.strip()
    if len(pattern) > MAX_IDENTITY_REGEXP or "\n" in pattern or "\x00" in pattern:
        raise InputError(f"{where}: one line of at most {MAX_IDENTITY_REGEXP} characters")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise InputError(f"{where}: not a regular expression ({exc}); fix the pattern") from None
    return pattern


def github_names(where: str, text: str, *, team: bool = False, most: int) -> tuple[str, ...]:
    """Comma- or newline-separated user names (or team slugs), '@' dropped, each once."""
    names = tuple(
        dict.fromkeys(w.strip().removeprefix("@") for w in re.split(r"[,\n]", text) if w.strip())
    )
    for name in names:
        if not (TEAM if team else LOGIN).match(name):
            raise InputError(
                f"{where}: {name[:60]!r} is not a GitHub {'team slug' if team else 'user name'}; "
                "fix it"
            )
    if len(names) > most:
        raise InputError(f"{where}: {len(names)} names, GitHub takes at most {most}; list fewer")
    return names


def reviewers_in_all(where: str, people: tuple[str, ...], teams: tuple[str, ...]) -> None:
    if len(people) + len(teams) > MAX_REVIEWERS:
        raise InputError(
            f"{where}: {len(people) + len(teams)} in all, at most {MAX_REVIEWERS}; list fewer"
        )


def milestone(where: str, text: str) -> int | None:
    word = text.strip()
    if not word:
        return None
    if not re.fullmatch(r"[0-9]{1,9}", word) or int(word) < 1:
        raise InputError(f"{where}: {text[:40]!r} is not a milestone number (1 or more)")
    return int(word)


def identity(where: str, text: str) -> tuple[str, str] | None:
    """``Name <email>`` as (name, email), or None when empty."""
    if not text.strip():
        return None
    match = IDENTITY.match(text.strip())
    if match is None:
        raise InputError(
            f"{where}: {text[:80]!r} is not 'Name <email>'; give e.g. "
            "'flipbot <flipbot@users.noreply.github.com>'"
        )
    return match.group(1).strip(), match.group(2)


def template(where: str, text: str, most: int = MAX_TEMPLATE) -> str:
    """Template source as given (the bot checks its syntax and names in a sandbox)."""
    if len(text) > most or "\x00" in text:
        raise InputError(f"{where}: more than {most} characters (or a NUL); shorten it")
    return text
