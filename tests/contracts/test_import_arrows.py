"""The dependency arrows of docs/CONTRACTS.md, checked on the source.

gate and bot run on a GitHub-hosted runner without torch; only one module of
bot talks to GitHub; trainer and gate know nothing of GitHub. The bot checks
the ONNX files it ships with ``onnx`` and ``onnxruntime`` (never torch), through
the flipbot modules that hold those checks (onnxruntime only in the child process
that runs a session under limits); no other flipbot module needs them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "flipbot": {"torch", "github", "trainer", "gate", "bot"},
    "gate": {"torch", "github", "trainer", "bot", "onnx", "onnxruntime"},
    "bot": {"torch", "trainer"},
    "trainer": {"github", "bot"},
    "corpus": {"torch", "github", "trainer", "gate", "bot"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_one_way(package: str) -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(imported_roots(p) & FORBIDDEN[package])
        for p in modules(package)
        if imported_roots(p) & FORBIDDEN[package]
    }
    assert offenders == {}


ONNX_ROOTS = {"onnx", "onnxruntime"}
ONNX_MODULES = {"flipbot/onnx_contract.py", "flipbot/onnx_behaviour.py", "flipbot/onnx_child.py"}


def test_only_the_onnx_modules_of_flipbot_import_onnx() -> None:
    importers = {
        str(p.relative_to(ROOT)) for p in modules("flipbot") if imported_roots(p) & ONNX_ROOTS
    }
    assert importers <= ONNX_MODULES
    assert "flipbot/onnx_contract.py" in importers  # the check sees the one that must


def test_only_one_bot_module_imports_github() -> None:
    importers = [str(p.relative_to(ROOT)) for p in modules("bot") if "github" in imported_roots(p)]
    assert len(importers) <= 1, importers


def test_the_arrow_checker_sees_imports(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("import torch.nn\nfrom github import Github\nfrom . import x\n")
    assert imported_roots(sample) == {"torch", "github"}
