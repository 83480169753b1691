"""Repository templates run sandboxed: an escape, a file read or an undefined name is exit 2.

Each case goes through ``python -m bot``'s ``main`` with ``--apply-local``,
so "nothing written" is checked on a real working tree: the registry and the
model folder keep their bytes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bot_inputs import (
    REGISTRY,
    SCHEMA,
    SHIPPED_REGISTRY,
    install_base,
    make_verdict,
    write_inputs,
)

from bot.__main__ import main
from bot.conventions.templates import DEFAULT_TITLE, inline
from flipbot.errors import EXIT_INPUT, EXIT_OK, InputError


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working tree with the shipped registry; the current folder for the bot."""
    root = tmp_path / "repo"
    (root / "model" / "tiny").mkdir(parents=True)
    shutil.copy(SHIPPED_REGISTRY, root / REGISTRY)
    shutil.copy(SCHEMA, root / "model" / "tiny" / "registry.schema.json")
    (root / ".github").mkdir()
    install_base(root)  # the corpus the verdict pins: the verifier reads it
    write_inputs(tmp_path / "run", make_verdict(seeds=(0, 1), sources=("a", "b")))
    monkeypatch.chdir(root)
    for key in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        monkeypatch.delenv(key, raising=False)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def bot(root: Path, *extra: str) -> int:
    run = root.parent / "run"
    return main(
        [
            "--verdict-dir", str(run / "loso"),
            "--artifacts", str(run / "export"),
            "--registry", REGISTRY,
            "--repo", "octo/models",
            "--base", "main",
            "--apply-local",
            *extra,
        ]
    )  # fmt: skip


ESCAPES = {
    "python internals": ("ok\n\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n", 3, "sandbox"),
    "function globals": ("{{ summary }}\n{{ lipsum.__globals__['os'] }}\n", 2, "sandbox"),
    "attr filter": ("{{ seeds | attr('__class__') }}\n", 1, "sandbox"),
    "file read by include": ("a\nb\n{% include '/etc/passwd' %}\n", 3, "cannot read files"),
    "import": ("{% import 'os' as os %}\n", 1, "cannot read files"),
    "undefined variable": ("{{ summary }}\n\n\n{{ secrets }}\n", 4, "'secrets' is undefined"),
    "syntax error": ("{{ summary }}\n{% if %}\n", 2, "template syntax error"),
    "huge value": ("{{ 'x' * 1000000000 }}\n", 1, "sandbox"),
    "huge range": ("{% for i in range(10**9) %}{% endfor %}\n", 1, "Range too big"),
}


@pytest.mark.parametrize("case", sorted(ESCAPES))
def test_a_body_template_that_escapes_the_sandbox_is_exit_2_with_file_and_line(tree, case, capsys):
    source, line, why = ESCAPES[case]
    (tree / ".github" / "body.md").write_text(source)
    before = snapshot(tree)
    assert bot(tree, "--body-template", ".github/body.md") == EXIT_INPUT
    err = capsys.readouterr().err
    assert f"error: .github/body.md: line {line}: " in err, err
    assert why in err and "fix the template" in err
    assert snapshot(tree) == before  # nothing written: no ONNX, no registry change


def test_an_inline_template_error_names_the_input(tree, capsys):
    before = snapshot(tree)
    assert bot(tree, "--title-template", "feat: {{ nope }}") == EXIT_INPUT
    assert "error: input 'title-template': line 1: UndefinedError: 'nope' is undefined" in (
        capsys.readouterr().err
    )
    assert bot(tree, "--extra-files", "x/{{ ''.__class__ }}.md=.github/c.md") == EXIT_INPUT
    assert "--extra-files: '.github/c.md' is not a file in the repository" in (
        capsys.readouterr().err
    )
    (tree / ".github" / "c.md").write_text("{{ ensemble }}\n")
    assert bot(tree, "--extra-files", "x/{{ ''.__class__ }}.md=.github/c.md") == EXIT_INPUT
    assert "error: input 'extra-files': line 1: not allowed in the sandbox" in (
        capsys.readouterr().err
    )
    assert snapshot(tree) == before | {".github/c.md": b"{{ ensemble }}\n"}


def test_a_good_template_renders_and_a_rerun_writes_nothing(tree, capsys):
    (tree / ".github" / "body.md").write_text("# {{ ensemble }}\n{{ default_body }}\n")
    (tree / ".github" / "frag.md").write_text("{{ seeds_text }} ({{ decision }})\n")
    flags = ["--body-template", ".github/body.md"]
    flags += ["--extra-files", "changelog.d/added/{{ ensemble }}.md=.github/frag.md"]
    assert bot(tree, *flags) == EXIT_OK
    out = capsys.readouterr().out
    assert "# fr_regressor_v2_ensemble_v1\n**HOLD, partial flip**" not in out  # PROMOTE here
    assert "# fr_regressor_v2_ensemble_v1\n**PROMOTE**: flips seeds 0, 1" in out
    fragment = tree / "changelog.d" / "added" / "fr_regressor_v2_ensemble_v1.md"
    assert fragment.read_text() == "0, 1 (PROMOTE)\n"
    after = snapshot(tree)
    assert bot(tree, *flags) == EXIT_OK
    assert snapshot(tree) == after  # byte-identical: nothing rewritten


def test_the_default_title_is_a_conventional_commit():
    title = inline(DEFAULT_TITLE, "title-template").render(
        {"ensemble": "ens_v1", "seeds_text": "0, 2"}
    )
    assert title == "feat(models): promote ens_v1 seeds 0, 2 to production"
    with pytest.raises(InputError, match="input 'title-template': line 1: UndefinedError"):
        inline(DEFAULT_TITLE, "title-template").render({"ensemble": "e"})


def test_committed_templates_cannot_depend_on_the_base_commit(tree, capsys):
    """Else the base would never match after the merge, and the bot could never close its PR."""
    (tree / ".github" / "frag.md").write_text("built on {{ short_sha }}\n")
    assert bot(tree, "--extra-files", "notes/x.md=.github/frag.md") == EXIT_INPUT
    assert "error: .github/frag.md: line 1: UndefinedError: 'short_sha' is undefined" in (
        capsys.readouterr().err
    )
    assert bot(tree, "--row-updates", "notes={{ base_sha }}") == EXIT_INPUT
    assert "input 'row-updates (notes)': line 1: UndefinedError" in capsys.readouterr().err
