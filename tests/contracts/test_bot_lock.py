"""The write job's lock (requirements/bot.lock): hash-pinned, in step with bot.txt, and
covering every third-party package the bot's code can import (no more: no torch, no
matplotlib). action.yml's use of it is checked in tests/action/test_static.py."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "bot.lock"
BOT_TXT = ROOT / "requirements" / "bot.txt"
FIRST_PARTY = {"bot", "flipbot", "gate", "trainer", "corpus"}
PIN_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_entries(text: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) from a pip/uv requirements lock with backslash lines."""
    entries: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        m = PIN_RE.match(block)
        if m:
            entries[norm(m.group(1))] = (
                m.group(2),
                re.findall(r"--hash=sha256:([0-9a-f]{64})", block),
            )
    return entries


def imports_of(path: Path) -> set[str]:
    """Every module named by an import statement, including ones inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def third_party_roots_reachable_from_bot() -> dict[str, str]:
    """import root -> the first-party module that imports it, over bot's import graph."""
    todo = [p for p in sorted((ROOT / "bot").glob("*.py"))]
    seen: set[Path] = set()
    roots: dict[str, str] = {}
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imports_of(path):
            root = name.split(".")[0]
            if root in FIRST_PARTY:
                found = module_file(name)
                if found is not None:
                    todo.append(found)
            elif root not in sys.stdlib_module_names and root != "__future__":
                roots.setdefault(root, str(path.relative_to(ROOT)))
    return roots


def test_every_pin_in_the_lock_carries_hashes() -> None:
    entries = lock_entries(LOCK.read_text(encoding="utf-8"))
    assert len(entries) >= 10
    assert {name: v for name, (v, hashes) in entries.items() if not hashes} == {}


def test_the_lock_holds_every_pin_of_bot_txt_at_the_same_version() -> None:
    wanted = {
        norm(m.group(1)): m.group(2)
        for line in BOT_TXT.read_text(encoding="utf-8").splitlines()
        if (m := PIN_RE.match(line.strip()))
    }
    entries = lock_entries(LOCK.read_text(encoding="utf-8"))
    assert {n: entries.get(n, ("missing", []))[0] for n in wanted} == wanted, (
        "requirements/bot.lock is out of step with bot.txt: run `make lock`"
    )


def test_the_lock_covers_every_package_the_bot_can_import() -> None:
    entries = lock_entries(LOCK.read_text(encoding="utf-8"))
    dists = importlib.metadata.packages_distributions()
    roots = third_party_roots_reachable_from_bot()
    assert {"github", "jsonschema", "ruamel"} <= set(roots)  # the graph walk sees real imports
    missing = {
        root: (where, dists.get(root))
        for root, where in roots.items()
        if not any(norm(d) in entries for d in dists.get(root, [root]))
    }
    assert missing == {}, f"imported by the bot but not in requirements/bot.lock: {missing}"


def test_the_write_job_gets_neither_torch_nor_matplotlib() -> None:
    entries = lock_entries(LOCK.read_text(encoding="utf-8"))
    assert not {"torch", "matplotlib"} & set(entries)
    assert not {"torch", "matplotlib"} & set(third_party_roots_reachable_from_bot())


def test_lock_parser_reads_hashes_and_markers() -> None:
    text = (
        "a-b==1.0 ; python_version < '4' \\\n    --hash=sha256:"
        + "0" * 64
        + "\n    # via x\nc==2\n"
    )
    assert lock_entries(text) == {"a-b": ("1.0", ["0" * 64]), "c": ("2", [])}
