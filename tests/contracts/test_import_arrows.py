"""The dependency arrows of docs/CONTRACTS.md, enforced by import-linter.

The contracts are ``[tool.importlinter]`` in pyproject.toml (``make imports``):
bot and trainer over gate over flipbot, corpus beside gate; the trusted side
(bot, gate, flipbot) and the corpus builder never import torch or the trainer;
the bot's rooms in layers (no arrow back up; the verifier, signing, manifest and
conventions rooms do not know each other; a new room must be placed); PyGithub only in
``bot.github_api``; ``onnxruntime`` only in the child process
that runs a session under limits (and the trainer); ``onnx`` only in flipbot's
ONNX checks, the bot and the trainer; the gate never loads ONNX; no import
circle inside any package, imports inside functions included.

The real tree must keep every contract; a small tree with the same package
names shows each contract breaks on the import it forbids, so a contract that
silently matches nothing cannot pass for a kept one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# A tree that keeps every contract, with one legal arrow of each kind.
BOT_ROOMS = [
    "__main__",
    "promote",
    "run",
    "pr",
    "flags",
    "body",
    "config",
    "trust",
    "signing",
    "manifest",
    "conventions",
    "flip",
    "registry",
    "workflow",
    "outcome",
]
CLEAN = {
    **{f"bot/{room}.py": "" for room in BOT_ROOMS},
    "bot/__init__.py": "",
    "bot/github_api.py": "import github\n",
    "bot/run.py": "import gate.rules\nimport flipbot.errors\nimport onnx\nimport bot.trust\n",
    "bot/trust.py": "import bot.flip\nimport bot.github_api\n",
    "bot/flip.py": "import bot.registry\n",
    "gate/__init__.py": "",
    "gate/rules.py": "from flipbot import errors\n",
    "flipbot/__init__.py": "",
    "flipbot/errors.py": "",
    "flipbot/onnx_contract.py": "import onnx\n",
    "flipbot/onnx_behaviour.py": "from flipbot import onnx_contract\n",
    "flipbot/onnx_child.py": "import onnxruntime\n",
    "trainer/__init__.py": "",
    "trainer/loso.py": "import torch\nimport onnxruntime\nimport gate.rules\nimport flipbot.errors\n",
    "corpus/__init__.py": "",
    "corpus/build.py": "import flipbot.errors\n",
}

# (module added to the clean tree, its text, the contract it breaks)
PLANTED = [
    ("gate/planted.py", "import torch\n", "no-torch"),
    ("bot/planted.py", "import torch.nn\n", "no-torch"),
    ("flipbot/planted.py", "import torch\n", "no-torch"),
    ("corpus/planted.py", "import torch\n", "no-torch"),
    ("bot/planted.py", "from trainer import loso\n", "no-torch"),
    ("bot/planted.py", "from trainer import loso\n", "layers"),
    ("trainer/planted.py", "import bot.run\n", "layers"),
    ("gate/planted.py", "def later():\n    import bot.run\n", "layers"),
    ("flipbot/planted.py", "import gate.rules\n", "layers"),
    ("corpus/planted.py", "import gate.rules\n", "layers"),
    ("gate/planted.py", "import corpus.build\n", "layers"),
    ("gate/planted.py", "import onnx\n", "no-onnx-in-gate"),
    ("corpus/planted.py", "import onnxruntime\n", "no-onnx-in-gate"),
    ("bot/planted.py", "from github import Github\n", "github"),
    ("flipbot/planted.py", "import github\n", "github"),
    ("trainer/planted.py", "import github\n", "github"),
    ("bot/planted.py", "import onnxruntime\n", "onnxruntime"),
    ("flipbot/planted.py", "import onnxruntime\n", "onnxruntime"),
    ("flipbot/planted.py", "import onnx\n", "onnx"),
    ("corpus/planted.py", "import onnx\n", "onnx"),
    ("bot/registry.py", "import bot.run\n", "bot-rooms"),  # an arrow back up
    ("bot/flip.py", "from bot import trust\n", "bot-rooms"),
    ("bot/trust.py", "import bot.signing\n", "bot-rooms"),  # rooms that must not know each other
    ("bot/manifest.py", "import bot.conventions\n", "bot-rooms"),
    ("bot/planted.py", "", "bot-rooms"),  # a new room must be placed in the layers
]
CIRCLES = {
    # A circle hidden by an import inside a function still counts.
    "gate/rules.py": "from flipbot import errors\n\n\ndef later():\n    import gate.planted\n",
    "bot/run.py": "import bot.github_api\n",  # with the next: bot.run <-> bot.github_api
    "bot/github_api.py": "import github\nfrom typing import TYPE_CHECKING\n"
    "if TYPE_CHECKING:\n    import bot.run\n",
}


def lint(root: Path, contract: str | None = None) -> subprocess.CompletedProcess[str]:
    args = [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")]
    if contract is not None:
        args += ["--contract", contract]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=120)


def tree(tmp_path: Path, extra: dict[str, str]) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for name, text in {**CLEAN, **extra}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_real_tree_keeps_every_contract() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 kept, 0 broken" in result.stdout


def test_a_tree_with_only_legal_arrows_keeps_every_contract(tmp_path: Path) -> None:
    result = lint(tree(tmp_path, {}))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(("module", "text", "contract"), PLANTED)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, text: str, contract: str
) -> None:
    root = tree(tmp_path, {module: text})
    broken = lint(root, contract)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "0 kept, 1 broken" in broken.stdout


def test_a_circle_behind_function_and_type_checking_imports_is_broken(tmp_path: Path) -> None:
    planted = {"gate/planted.py": "import gate.rules\n", **CIRCLES}
    result = lint(tree(tmp_path, planted), "acyclic")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "No cycles are allowed in gate." in result.stdout
    assert "No cycles are allowed in bot." in result.stdout
