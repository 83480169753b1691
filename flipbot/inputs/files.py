"""The rules of inputs that name files: paths in the checkout, the verdict file, and the
``LEFT=RIGHT`` lines of ``extra-files`` and ``row-updates``.

As in :mod:`flipbot.inputs.rules`, each takes ``where`` (``input 'x'`` or ``--x``) and raises
:class:`InputError` with ``"{where}: ..."``.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from flipbot.errors import InputError

# Plain repository paths: no spaces, quotes, backticks or pipes that could break a tree entry
# or the PR body.
SAFE_PATH = re.compile(r"[A-Za-z0-9._/-]+")
FORBIDDEN_DIRS = (".git", ".github")
MAX_VERDICT_FILE = 1024
FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
NOT_UPDATABLE = ("id", "sha256", "smoke", "sigstore_bundle")  # the flip itself owns these
MAX_ENTRIES = 20
EXAMPLES = {
    "extra-files": "changelog.d/added/{{ ensemble }}.md=.github/flipbot/changelog.md.j2",
    "row-updates": "notes=Member {{ seed }} of {{ ensemble }}",
}


def inside(where: str, text: str, root: Path, *, must_exist: bool) -> str:
    """``text`` as a POSIX path relative to ``root`` (the repository checkout); refuse anything
    that leaves it, through ``..`` or a symlink, and a path that could read as a flag."""
    value = text.strip()
    if not value or any(c in value for c in "\n\r\x00"):
        raise InputError(f"{where}: give a path inside the repository")
    top = root.resolve()
    target = (top / value).resolve()  # follows symlinks, so a link out of the tree is caught
    if target != top and top not in target.parents:
        raise InputError(
            f"{where}: {value!r} is outside the repository {top}; give a path inside the repository"
        )
    if must_exist and not target.is_file():
        raise InputError(f"{where}: {value!r} is not a file in the repository; check the path")
    rel = target.relative_to(top).as_posix()
    if rel == "." or rel.startswith("-"):
        raise InputError(f"{where}: {value!r} is not a usable path; name a file or folder")
    return rel


def is_clean_repo_path(path: str) -> bool:
    """A relative POSIX path in plain characters, written as git writes it (no ``.``, ``..``,
    empty part or trailing '/'), outside ``.git`` and ``.github`` in any case."""
    pure = PurePosixPath(path)
    return (
        SAFE_PATH.fullmatch(path) is not None
        and not pure.is_absolute()
        and str(pure) == path
        and not any(part in ("..", ".") for part in pure.parts)
        and not any(part.lower() in FORBIDDEN_DIRS for part in pure.parts)
    )


def verdict_file(where: str, text: str) -> str:
    """Where the flip commit keeps the verdict (audit trail): '' for the default, else a clean
    repository-relative ``*.json`` path (the verifier also keeps it in the registry's folder)."""
    path = text.strip()
    if not path:
        return ""
    if len(path) > MAX_VERDICT_FILE or not is_clean_repo_path(path):
        raise InputError(
            f"{where}: {path[:80]!r} is not a clean repository-relative path outside .git and "
            ".github; give e.g. model/tiny/fr_regressor_v2_ensemble_v1.verdict.json"
        )
    if not path.endswith(".json"):
        raise InputError(
            f"{where}: {path[:80]!r} must name a .json file in the registry's folder; "
            "give e.g. model/tiny/fr_regressor_v2_ensemble_v1.verdict.json"
        )
    return path


def pairs(where: str, text: str, kind: str) -> list[tuple[int, str, str]]:
    """``LEFT=RIGHT`` lines with their numbers ('#' comments and blank lines skipped): split at
    the first '=' for ``row-updates`` (the value may hold '='), at the last for ``extra-files``
    (the path template may)."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        left, sep, right = line.partition("=") if kind == "row-updates" else line.rpartition("=")
        if not sep or not left.strip() or not right.strip():
            raise InputError(f"{where}: line {number} is not LEFT=RIGHT; e.g. '{EXAMPLES[kind]}'")
        out.append((number, left.strip(), right.strip()))
    if len(out) > MAX_ENTRIES:
        raise InputError(f"{where}: {len(out)} entries, at most {MAX_ENTRIES}; list fewer")
    return out


def row_update_fields(where: str, text: str) -> list[tuple[str, str]]:
    """``row-updates``: (field, value template) for string fields the flip does not own."""
    seen: dict[str, str] = {}
    for number, key, value in pairs(where, text, "row-updates"):
        if not FIELD.match(key) or key in NOT_UPDATABLE:
            raise InputError(
                f"{where}: line {number}: {key[:60]!r} cannot be updated; name another field of "
                f"the rows (e.g. notes), not {', '.join(NOT_UPDATABLE)}"
            )
        if key in seen:
            raise InputError(f"{where}: field {key!r} is listed twice; list it once")
        seen[key] = value
    return list(seen.items())
