"""The corpus tie, field by field: a loso file is taken only for the pinned corpus and recipe.

A corpus of three sources (rows interleaved, VMAF with more than six decimals)
and the loso file ``trainer loso`` writes for it; each test changes one thing
and reads the whole refusal, since a maintainer acts on it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from flipbot.corpus import Corpus
from flipbot.errors import InputError
from flipbot.loso_file import LosoArtefact, LosoFold
from flipbot.loso_recipe import recipe_fields
from gate.corpus_tie import CorpusFacts, shown, tie

WHERE = "loso/loso_seed0.json"
FIX = "train on the pinned corpus with the workflow's recipe (`python -m trainer loso`)"
SRC = np.array(["b", "a", "c", "a", "b", "a", "c"])
VMAF = np.array([50.1234564, 60.0000004, 70.5, 80.25, 90.9999996, 40.0, 30.123456789])
SHA = "cd" * 32
RECIPE = recipe_fields(200, 32)


def corpus() -> Corpus:
    n = len(SRC)
    return Corpus(
        path="corpus/c.jsonl.gz",
        sha256=SHA,
        src=SRC,
        encoder=np.array(["libx264"] * n),
        cq=np.full(n, 23.0),
        frame_index=np.arange(n),
        vmaf=VMAF,
        features=np.zeros((n, 6)),
    )


# For building the loso files; each test computes its own (CorpusFacts.of is under test).
FACTS = CorpusFacts.of(corpus(), "corpus/c.jsonl.gz")


def fold(src: str, **changes: Any) -> LosoFold:
    truth = FACTS.y_true[src]
    base = LosoFold(
        held_out=src,
        n_train=7 - len(truth),
        n_val=len(truth),
        plcc=0.9,
        srocc=0.9,
        rmse=1.0,
        undefined_reason=None,
        y_true=truth,
        y_pred=tuple(v + 1 for v in truth),
    )
    return replace(base, **changes)


def artefact(**changes: Any) -> LosoArtefact:
    base = LosoArtefact(
        seed=0,
        corpus="corpus/c.jsonl.gz",
        corpus_sha256=SHA,
        corpus_rows=7,
        sources=("a", "b", "c"),
        folds=(fold("a"), fold("b"), fold("c")),
        device="cpu",
        versions={"flipbot": "0.1.0", "torch": "2.13.0"},
        wall_time_s=3.0,
        **RECIPE,
    )
    return replace(base, **changes)


def refusal(art: LosoArtefact, recipe: dict[str, Any] = RECIPE) -> str:
    with pytest.raises(InputError) as caught:
        tie(art, WHERE, CorpusFacts.of(corpus(), "corpus/c.jsonl.gz"), recipe)
    return str(caught.value)


def test_the_facts_are_the_corpus_rows_of_each_source_rounded_as_trainer_loso_stores_them() -> None:
    assert CorpusFacts(
        path="corpus/c.jsonl.gz",
        sha256=SHA,
        rows=7,
        sources=("a", "b", "c"),
        y_true={
            "a": (60.0, 80.25, 40.0),
            "b": (50.123456, 91.0),
            "c": (70.5, 30.123457),
        },
    ) == CorpusFacts.of(corpus(), "corpus/c.jsonl.gz")


def test_the_file_trainer_loso_writes_for_the_pinned_corpus_is_tied() -> None:
    tie(artefact(), WHERE, CorpusFacts.of(corpus(), "corpus/c.jsonl.gz"), RECIPE)
    # The recipe's key order is not part of it.
    reordered = dict(reversed(list(RECIPE["recipe"].items())))
    tie(artefact(recipe=reordered), WHERE, FACTS, RECIPE)
    tie(
        artefact(folds=(fold("a", undefined_reason="constant"), fold("b"), fold("c"))),
        WHERE,
        FACTS,
        RECIPE,
    )


def test_a_dry_run_is_refused() -> None:
    assert refusal(artefact(note="dry-run")) == (
        f"{WHERE}: field 'note' is 'dry-run': not a full run; {FIX}"
    )


@pytest.mark.parametrize(
    ("field", "value", "want"),
    [
        ("corpus", "corpus/other.jsonl.gz", "'corpus/c.jsonl.gz'"),
        ("corpus_sha256", "ef" * 32, repr(SHA)),
        ("corpus_rows", 8, "7"),
    ],
)
def test_another_corpus_is_refused_naming_the_pin(field: str, value: Any, want: str) -> None:
    assert refusal(artefact(**{field: value})) == (
        f"{WHERE}: field '{field}' is {shown(value)}, the pin says {want}; {FIX}"
    )


def test_a_recipe_field_the_workflow_does_not_train_with_is_refused() -> None:
    assert refusal(artefact(epochs=199)) == (
        f"{WHERE}: recipe field 'epochs' is '199', the workflow trains with 200; {FIX}"
    )
    other = {**RECIPE["recipe"], "hidden": 65}
    message = refusal(artefact(recipe=other))
    assert message.startswith(
        f"{WHERE}: recipe field 'recipe' is \"{{'epochs': 200, 'batch_size': 32, "
    )
    assert "'hidden': 65" in message and message.endswith(f"'dropout_mask': 'pool'}}; {FIX}")


def test_a_recipe_value_of_another_type_is_refused() -> None:
    assert "recipe field 'lr'" in refusal(artefact(lr="0.0005"))


def test_other_sources_are_refused() -> None:
    assert refusal(artefact(sources=("a", "b"))) == (
        f"{WHERE}: field 'sources' is \"['a', 'b']\"; the corpus's sources are "
        f"['a', 'b', 'c']; {FIX}"
    )


def test_a_missing_fold_is_refused() -> None:
    assert refusal(artefact(folds=(fold("a"), fold("b")))) == (
        f"{WHERE}: 2 folds for the corpus's 3 sources; {FIX}"
    )


def test_folds_out_of_order_are_refused() -> None:
    assert refusal(artefact(folds=(fold("b"), fold("a"), fold("c")))) == (
        f"{WHERE}: folds[0] (source 'a'): held_out is 'b'; {FIX}"
    )


@pytest.mark.parametrize(("n_val", "n_train"), [(2, 4), (3, 3), (3, 5)])
def test_row_counts_that_are_not_the_corpus_split_are_refused(n_val: int, n_train: int) -> None:
    folds = (fold("a"), fold("b"), fold("c", n_val=n_val, n_train=n_train))
    assert refusal(artefact(folds=folds)) == (
        f"{WHERE}: folds[2] (source 'c'): n_val {n_val} and n_train {n_train}, but the corpus "
        f"holds 2 rows of this source and 5 others; {FIX}"
    )


@pytest.mark.parametrize(
    ("y_true", "first"),
    [
        ((60.0, 80.25, 40.000001), 2),
        ((60.000001, 80.25, 40.0), 0),
        ((60.0, 80.25), 2),
        ((60.0, 80.25, 40.0, 1.0), 3),
    ],
)
def test_targets_that_are_not_the_corpus_vmaf_are_refused_at_the_first_row(
    y_true: tuple[float, ...], first: int
) -> None:
    folds = (fold("a", y_true=y_true), fold("b"), fold("c"))
    assert refusal(artefact(folds=folds)) == (
        f"{WHERE}: folds[0] (source 'a'): y_true differs from the corpus's VMAF of this source "
        f"(first at held-out row {first}); {FIX}"
    )


@pytest.mark.parametrize("y_pred", [(1.0,), (1.0, 2.0, 3.0)])
def test_a_prediction_per_held_out_row(y_pred: tuple[float, ...]) -> None:
    folds = (fold("a"), fold("b", y_pred=y_pred), fold("c"))
    assert refusal(artefact(folds=folds)) == (
        f"{WHERE}: folds[1] (source 'b'): {len(y_pred)} predictions for 2 held-out rows; {FIX}"
    )


REGENERATE = "regenerate the file with `python -m trainer loso`"


@pytest.mark.parametrize(
    ("changes", "name", "text"),
    [
        ({"device": "cpu\n::error::x"}, "'device'", "'cpu\\n::error::x'"),
        ({"versions": {"torch": "2\r"}}, "\"versions['torch']\"", "'torch2\\r'"),
        ({"versions": {"to\x1brch": "2"}}, "\"versions['to\\\\x1brch']\"", "'to\\x1brch2'"),
        (
            {"folds": (fold("a"), fold("b"), fold("c", undefined_reason="a\tb"))},
            "'folds[2].undefined_reason'",
            "'a\\tb'",
        ),
    ],
)
def test_free_text_with_a_control_character_is_refused(
    changes: dict[str, Any], name: str, text: str
) -> None:
    assert refusal(artefact(**changes)) == (
        f"{WHERE}: field {name} holds a control character ({text}); {REGENERATE}"
    )


def test_long_text_from_the_file_is_cut_in_the_message() -> None:
    message = refusal(artefact(corpus="c" * 100))
    assert f"is {'c' * 60!r}… (100 characters), the pin says" in message
    long_recipe = {**RECIPE["recipe"], "dtype": "f" * 300}
    assert "… (" in refusal(artefact(recipe=long_recipe))
    assert shown("x" * 61) == f"{'x' * 60!r}… (61 characters)"
    assert shown("x" * 60) == repr("x" * 60)


def test_a_recipe_value_or_source_list_is_shown_up_to_200_characters() -> None:
    assert f"is {'e' * 200!r}… (201 characters), the workflow" in refusal(
        artefact(epochs="e" * 201)
    )
    assert f"is {'e' * 200!r}, the workflow" in refusal(artefact(epochs="e" * 200))
    sources = ("s" * 196,)  # "['sss…']": 200 characters, shown whole
    assert f"field 'sources' is {str(list(sources))!r}; the" in refusal(artefact(sources=sources))
    sources = ("s" * 197,)  # 201 characters, cut at 200
    text = str(list(sources))
    assert f"field 'sources' is {text[:200]!r}… (201 characters);" in refusal(
        artefact(sources=sources)
    )
