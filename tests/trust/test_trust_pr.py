"""PR mode: every tampered input is refused with exit 2, a message naming the file and the
field, ZERO writes to the GitHub stand-in and no file changed on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from bot_inputs import CORPUS
from harness import BASE_FILES, build_good, copy_good, run_pr, snapshot
from tampering import params


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_good(tmp_path_factory.mktemp("good"))


def test_untampered_inputs_open_the_pr(github_standin, good, tmp_path):
    """The control: the same harness, nothing tampered, does open the pull request."""
    github_standin.seed(BASE_FILES)
    root = copy_good(good, tmp_path)
    assert run_pr(github_standin, root) == 0
    assert [p.head for p in github_standin.pulls()] == ["flipbot/registry"]


@pytest.mark.parametrize("case", params())
def test_tampered_input_is_exit_2_with_zero_writes(github_standin, good, tmp_path, capsys, case):
    github_standin.seed(BASE_FILES)
    github_standin.clear_journal()
    root = copy_good(good, tmp_path)
    case.tamper(root)
    before = snapshot(root)
    code = run_pr(github_standin, root)
    err = capsys.readouterr().err
    assert github_standin.writes() == []
    assert snapshot(root) == before
    assert code == 2, err
    for needle in case.needles:
        assert needle in err, (needle, err)
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("corpus", "needles"),
    [(b"other rows\n", (CORPUS, "pins.corpus_sha256")), (None, ("pins.corpus", CORPUS))],
    ids=["corpus on the base differs from the pin", "corpus absent from the base"],
)
def test_the_corpus_on_the_base_must_be_the_pinned_one(
    github_standin, good, tmp_path, capsys, corpus, needles
):
    files = dict(BASE_FILES)
    if corpus is None:
        del files[CORPUS]
    else:
        files[CORPUS] = corpus
    github_standin.seed(files)
    github_standin.clear_journal()
    root = copy_good(good, tmp_path)
    assert run_pr(github_standin, root) == 2
    err = capsys.readouterr().err
    assert github_standin.writes() == []
    for needle in needles:
        assert needle in err, (needle, err)


def test_a_recipe_override_ships_only_when_asked_and_says_so_in_bold(
    github_standin, good, tmp_path
):
    from tampering import recipe_epochs_50

    github_standin.seed(BASE_FILES)
    root = copy_good(good, tmp_path)
    recipe_epochs_50(root)
    assert run_pr(github_standin, root) == 2
    assert github_standin.writes() == []
    assert run_pr(github_standin, root, allow_recipe_override=True) == 0
    (pull,) = github_standin.pulls()
    assert "RECIPE OVERRIDE" in pull.title
    assert "**⚠ Warning: these models were fitted with another recipe" in pull.body
    assert "epochs 50 (judged: 200)" in pull.body
