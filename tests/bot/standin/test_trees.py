"""POST /git/trees semantics (base_tree, nested paths, deletes) against a dict model."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standin.gitstore import GitStore
from standin.trees import create_tree

names = st.sampled_from(["a", "b", "model", "tiny", "x.json"])
paths = st.lists(names, min_size=1, max_size=3).map("/".join)
contents = st.binary(max_size=8)
changes = st.dictionaries(paths, st.none() | contents, max_size=5)


def apply(model: dict[str, bytes], change: dict[str, bytes | None]) -> dict[str, bytes]:
    """The tree edit in dicts: a delete removes the path and what is under it; a file
    replaces whatever was at its path, under it, or a file where one of its folders goes."""
    out = dict(model)
    for path, data in change.items():
        for key in list(out):
            above = data is not None and path.startswith(key + "/")
            if key == path or key.startswith(path + "/") or above:
                del out[key]
        if data is not None:
            out[path] = data
    return out


def entries(git: GitStore, change: dict[str, bytes | None]) -> list[dict[str, object]]:
    return [
        {
            "path": p,
            "mode": "100644",
            "type": "blob",
            "sha": None if d is None else git.write_blob(d),
        }
        for p, d in change.items()
    ]


@pytest.fixture(scope="module")
def git(tmp_path_factory: pytest.TempPathFactory) -> GitStore:
    # one repository for all examples: objects are content-addressed, nothing leaks between them
    return GitStore(tmp_path_factory.mktemp("trees") / "t.git")


@settings(max_examples=15, deadline=None, database=None)
@given(first=changes, second=changes)
def test_tree_edits_match_the_dict_model(
    git: GitStore, first: dict[str, bytes | None], second: dict[str, bytes | None]
) -> None:
    # a change list may name a path and a path under it; GitHub applies them in order
    base = create_tree(git, None, entries(git, first))
    model = apply({}, first)
    assert git.files(base) == model
    edited = create_tree(git, base, entries(git, second))
    assert git.files(edited) == apply(model, second)
