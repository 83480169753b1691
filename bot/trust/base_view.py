"""Read the base the verifier checks against (and the commit is built on), once per run.

PR mode reads them from the base branch's tip through the API (never a
checkout: the checkout of the job may be stale or tampered with); local runs
read them from the repository the registry lives in, confined to it: no
path outside it, no symlink on the way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath

from bot.flip import BaseView
from bot.github_api import GitHubRepo
from bot.registry import clean_repo_path
from flipbot.errors import InputError
from flipbot.registry_text import decode_registry
from gate.rejudge import read_regular


def same_registry(given: Path, plan_registry: str) -> str:
    """The plan's registry path, once --registry names the same file."""
    clean_repo_path(plan_registry, "flip_plan.json: field 'registry'")
    text = given.as_posix()
    if PurePosixPath(text) != PurePosixPath(plan_registry) and not text.endswith(
        "/" + plan_registry
    ):
        raise InputError(
            f"--registry {text} is not the registry the plan was made for ({plan_registry}); "
            "pass the same registry to export and bot"
        )
    return plan_registry


def api_base(api: GitHubRepo, base: str, given: Path) -> Callable[[str], BaseView]:
    def load(plan_registry: str) -> BaseView:
        registry = same_registry(given, plan_registry)
        sha = api.ref_sha(base)
        if sha is None:
            raise InputError(f"--base '{base}': no such branch; check --base")
        tree = api.tree(api.commit(sha).tree_sha)
        where = f"{base} {sha[:12]}"
        if registry not in tree or tree[registry].type != "blob":
            raise InputError(f"{registry}: not found on {where}; check --registry and the plan")

        def read(path: str) -> bytes | None:
            entry = tree.get(path)
            if entry is None or entry.type != "blob":
                return None
            if entry.mode == "120000":
                raise InputError(f"{path} ({where}): a symlink; commit the real file")
            return api.blob(entry.sha)

        def read_plain(path: str) -> bytes | None:
            entry = tree.get(path)
            if entry is None or entry.type != "blob" or entry.mode == "120000":
                return None  # absent, a folder or a symlink: never read through
            return api.blob(entry.sha)

        raw = decode_registry(api.blob(tree[registry].sha), registry)  # CRLF and a BOM kept
        return BaseView(
            where, registry, raw.text, read, read_plain, commit=sha, bom=raw.bom, tree=tree
        )

    return load


def worktree_base(given: Path) -> Callable[[str], BaseView]:
    def load(plan_registry: str) -> BaseView:
        registry = same_registry(given, plan_registry)
        parts = PurePosixPath(registry).parts
        resolved = given.absolute()
        if resolved.parts[-len(parts) :] != parts:
            raise InputError(
                f"--registry {given} is not the registry the plan was made for ({registry}); "
                "pass the same registry to export and bot"
            )
        root = Path(*resolved.parts[: -len(parts)]).resolve()

        def read(path: str) -> bytes | None:
            target = confined(root, path)
            return read_regular(target, "file") if target.exists() else None

        def read_plain(path: str) -> bytes | None:
            target = root / path
            inside = root in target.resolve().parents
            if target.is_symlink() or not target.is_file() or not inside:
                return None
            return target.read_bytes()

        data = read(registry)
        if data is None:
            raise InputError(f"{given}: file not found; check --registry")
        raw = decode_registry(data, str(given))
        return BaseView(
            f"the working tree at {root}", registry, raw.text, read, read_plain, bom=raw.bom
        )

    return load


def confined(root: Path, path: str) -> Path:
    """``root/path``, refused if a symlink on the way (or the file itself) leads elsewhere."""
    clean_repo_path(path, f"{root}")
    target = root / path
    if target.is_symlink() or target.resolve() != root / path:
        raise InputError(
            f"{target}: a symlink on the way leads out of place; replace it with a real "
            "folder or file"
        )
    return target
