"""Loso files not tied to the pinned corpus are refused by ``bot promote`` before any stage runs.

Each case rewrites an honest file the way a compromised GPU runner would (keeping it valid
JSON of the loso schema) and expects exit 2, a message naming the file and the fold, and
nothing written: the working tree is unchanged and no work dir is left.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness import snapshot
from promote_repo import edit_loso, promote

Doc = dict[str, Any]


def _invent_sources(doc: Doc) -> None:
    names = ["alpha", "beta", "gamma", "delta"]
    fold = doc["folds"][0]
    doc["sources"] = names
    doc["folds"] = [dict(fold, held_out=n) for n in names]


def _rename(doc: Doc) -> None:
    old = doc["folds"][1]["held_out"]
    doc["folds"][1]["held_out"] = old + "-renamed"
    doc["sources"] = sorted(f["held_out"] for f in doc["folds"])


def _rows(doc: Doc) -> None:
    fold = doc["folds"][0]
    for key in ("y_true", "y_pred"):
        fold[key] = fold[key][:-5]
    fold["n_val"] -= 5


def _y_true(doc: Doc) -> None:
    doc["folds"][2]["y_true"][7] += 0.5


def _n_train(doc: Doc) -> None:
    doc["folds"][0]["n_train"] += 1


def _epochs(doc: Doc) -> None:
    doc["epochs"] = 150
    doc["recipe"]["epochs"] = 150


def _lr(doc: Doc) -> None:
    doc["recipe"]["lr"] = 1e-2  # top-level lr left as the workflow's


def _sha(doc: Doc) -> None:
    doc["corpus_sha256"] = "0" * 64


def _dry(doc: Doc) -> None:
    doc["note"] = "dry-run"


def _newline_source(doc: Doc) -> None:
    doc["folds"][0]["held_out"] = "bikes\n::warning::forged"


def _newline_key(doc: Doc) -> None:
    doc["folds"][0]["k\n::notice::forged"] = 1


def _newline_reason(doc: Doc) -> None:
    doc["folds"][1]["plcc"] = None
    doc["folds"][1]["undefined_reason"] = "constant\n::error::forged"


CASES: dict[str, tuple[Callable[[Doc], None], str]] = {
    "invented sources": (_invent_sources, "field 'sources'"),
    "renamed source": (_rename, "field 'sources'"),
    "wrong row counts": (_rows, "folds[0] (source 'bigbuckbunny'): n_val"),
    "forged y_true": (_y_true, "folds[2] (source 'carphone'): y_true differs"),
    "n_train": (_n_train, "folds[0] (source 'bigbuckbunny'): n_val"),
    "another recipe": (_epochs, "recipe field 'epochs'"),
    "lr inside recipe": (_lr, "recipe field 'recipe'"),
    "another corpus sha256": (_sha, "field 'corpus_sha256'"),
    "dry run": (_dry, "field 'note'"),
    "newline in a name": (_newline_source, r"held_out is 'bikes\n::warning::forged'"),
    "newline in a key": (_newline_key, r"folds[0]"),
    "newline in a reason": (_newline_reason, "'folds[1].undefined_reason' holds a control"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_untied_loso_file_is_refused_and_nothing_is_written(
    case: str, promote_case: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, loso = promote_case
    change, expected = CASES[case]
    edit_loso(loso, 1, change)
    before = snapshot(repo)
    work_dirs = set(Path(tempfile.gettempdir()).glob("flipbot-promote-*"))
    assert promote(loso) == 2
    err = capsys.readouterr().err
    assert f"{loso / 'loso_seed1.json'}" in err
    assert expected in err
    assert snapshot(repo) == before
    assert set(Path(tempfile.gettempdir()).glob("flipbot-promote-*")) == work_dirs
    assert "\n::" not in err  # a name from the file never starts a workflow command


def test_a_duplicate_key_is_refused(
    promote_case: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, loso = promote_case
    path = loso / "loso_seed0.json"
    path.write_text(path.read_text().replace('"seed": 0,', '"seed": 0,\n  "seed": 0,', 1))
    assert promote(loso) == 2
    assert "a key appears twice" in capsys.readouterr().err


def test_phases_are_log_groups_in_a_workflow(
    promote_case: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, loso = promote_case
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    edit_loso(loso, 0, _dry)
    assert promote(loso) == 2
    captured = capsys.readouterr()
    assert captured.out.splitlines()[:4] == [
        "::group::flipbot promote: base",
        "::endgroup::",
        "::group::flipbot promote: tie",
        "::endgroup::",
    ]
    assert "::error::" in captured.out + captured.err


def test_loso_files_of_another_corpus_are_refused(
    promote_case: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real loso files of another corpus (same shape, other rows): the pin refuses them."""
    from promote_repo import make_corpus, train_loso

    repo, _ = promote_case
    other = make_corpus(tmp_path / "other/small.jsonl.gz", seed=7)
    assert other != (repo / "corpus/small.jsonl.gz").read_bytes()
    loso = train_loso(tmp_path / "other/small.jsonl.gz", tmp_path / "other/loso", epochs=2)
    assert promote(loso, "--epochs", "2") == 2
    assert "field 'corpus_sha256'" in capsys.readouterr().err
