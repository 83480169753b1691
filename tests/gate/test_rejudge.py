"""The re-judge, rule by rule: a verdict is believed only when the gate says the same again.

A real run (three seeds, three sources, written by ``loso_writer``) judged by
the gate's CLI; each test edits the verdict or the files it pins and reads the
whole refusal.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from loso_writer import write_run

from flipbot.errors import InputError
from flipbot.jsonfile import sha256_file
from flipbot.verdict_file import Verdict
from gate.__main__ import main as gate_main
from gate.rejudge import first_difference, pinned_seeds, read_regular, rejudge, same

PLCC = {0: 0.97, 1: 0.972, 2: 0.971}
RERUN = "rerun the gate on that folder"


@pytest.fixture
def run(tmp_path: Path) -> Path:
    write_run(tmp_path, PLCC)
    assert gate_main([str(tmp_path), "--seeds", "0,1,2"]) == 0
    return tmp_path / "PROMOTE.json"


def load(path: Path, edit: Callable[[dict[str, Any]], None] = lambda d: None) -> Verdict:
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc)
    return Verdict.from_json(doc, str(path))


def refusal(verdict: Verdict, path: Path) -> str:
    with pytest.raises(InputError) as caught:
        rejudge(verdict, path)
    return str(caught.value)


def test_the_gates_own_verdict_is_believed(run: Path) -> None:
    verdict = load(run)
    assert rejudge(verdict, run) is verdict
    assert pinned_seeds(verdict, run) == (0, 1, 2)


def test_an_edited_seed_plcc_is_named_by_its_innermost_field(run: Path) -> None:
    verdict = load(run, lambda d: d["seeds"][1].update(plcc=0.9721))
    assert refusal(verdict, run) == (
        f"{run}: field 'seeds[1].plcc' is 0.9721 but the gate gives 0.972 on the loso files it "
        f"pins; {RERUN}"
    )


def test_a_flip_list_is_shown_whole(run: Path) -> None:
    verdict = replace(load(run), flip=(0, 1, 3))
    assert refusal(verdict, run) == (
        f"{run}: field 'flip' is (0, 1, 3) but the gate gives (0, 1, 2) on the loso files it "
        f"pins; {RERUN}"
    )


def test_a_long_field_is_cut_to_eighty_characters(run: Path) -> None:
    verdict = replace(load(run), refusal_reason="r" * 100)
    want = repr("r" * 100)[:77] + "..."
    assert refusal(verdict, run) == (
        f"{run}: field 'refusal_reason' is {want} but the gate gives None on the loso files it "
        f"pins; {RERUN}"
    )


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d.update(decision="HOLD"), None),  # caught by the file name first
        (lambda d: d.update(ensemble_flip=False), "ensemble_flip"),
        (lambda d: d["rules"][0].update(value=0.9), "rules[0].value"),
        (lambda d: d.update(diagnosis="the data"), "diagnosis"),
        (lambda d: d.update(sources=d["sources"][::-1]), "sources"),
        (lambda d: d["per_source"][2].update(ensemble_rmse=1.5), "per_source[2].ensemble_rmse"),
        (lambda d: d["recipe"].update(epochs=201), "recipe.epochs"),
        (lambda d: d.update(warnings=["x"]), "warnings"),
        (lambda d: d["seeds"][0].update(reason="because"), "seeds[0].reason"),
    ],
)
def test_every_judged_field_is_compared(
    run: Path, edit: Callable[[dict[str, Any]], None], field: str | None
) -> None:
    doc = json.loads(run.read_text())
    edit(doc)
    message = refusal(Verdict.from_json(doc, str(run)), run)
    if field is None:
        assert "field 'decision' is HOLD but the file is named PROMOTE.json" in message
    else:
        assert message.startswith(f"{run}: field '{field}' is ") and message.endswith(RERUN)


def test_a_refusal_flag_is_compared(run: Path) -> None:
    assert refusal(replace(load(run), refused=True), run).startswith(f"{run}: field 'refused'")
    verdict = replace(load(run), thresholds_overridden=None)
    assert refusal(verdict, run).startswith(f"{run}: field 'thresholds_overridden' is None")


@pytest.mark.parametrize(
    ("pin", "value"),
    [("corpus", "corpus/other.jsonl.gz"), ("corpus_sha256", "ef" * 32)],
)
def test_the_corpus_pin_must_be_the_loso_files(run: Path, pin: str, value: str) -> None:
    verdict = load(run, lambda d: d["pins"].update({pin: value}))
    assert refusal(verdict, run) == (
        f"{run}: field 'pins.{pin}' differs from the loso files it pins; rerun the gate"
    )


def test_thresholds_must_be_the_three_numbers(run: Path) -> None:
    good = load(run)
    two = {"mean_plcc": 0.95, "plcc_spread": 0.005}
    assert refusal(replace(good, thresholds=two), run) == (
        f"{run}: field 'thresholds' must hold exactly mean_plcc, plcc_spread and per_seed_min; "
        "rerun the gate"
    )
    assert "field 'thresholds' must hold exactly" in refusal(replace(good, thresholds=[]), run)
    for bad in (True, "0.95", None):
        th = {**good.thresholds, "per_seed_min": bad}
        assert refusal(replace(good, thresholds=th), run) == (
            f"{run}: field 'thresholds.per_seed_min' must be a number; rerun the gate"
        )


def test_loosened_thresholds_need_the_override_flag(run: Path) -> None:
    good = load(run)
    loose = {**good.thresholds, "mean_plcc": 0.9}
    message = refusal(replace(good, thresholds=loose), run)
    assert message.startswith(
        f"{run}: field 'thresholds' loosens the gate without 'thresholds_overridden' ("
    )
    assert "0.9" in message
    # With the flag the gate judges under them: the verdict's rules (made under 0.95) differ.
    overridden = replace(good, thresholds=loose, thresholds_overridden=True)
    assert refusal(overridden, run).startswith(
        f"{run}: field 'rules[0].threshold' is 0.95 but the gate gives 0.9 on"
    )


def test_integer_thresholds_are_read_as_numbers(run: Path) -> None:
    good = load(run)
    strict = {**good.thresholds, "mean_plcc": 1}  # nothing clears a mean PLCC of 1
    message = refusal(replace(good, thresholds=strict), run)
    assert message.startswith(f"{run}: field '") and "must be a number" not in message


def test_no_pinned_loso_file_is_refused(run: Path) -> None:
    good = load(run)
    for pins in ({}, None):
        verdict = replace(good, pins=replace(good.pins, loso_files=pins))
        assert refusal(verdict, run) == (f"{run}: field 'pins.loso_files' is empty; rerun the gate")


@pytest.mark.parametrize(
    ("name", "alone"),
    [
        ("loso_seed01.json", False),
        ("loso_seedx.json", False),
        ("../loso_seed0.json", False),
        (7, True),
    ],
)
def test_a_pinned_name_that_is_not_a_loso_file_is_refused(
    run: Path, name: Any, alone: bool
) -> None:
    good = load(run)
    pins = {name: "0" * 64} if alone else {**good.pins.loso_files, name: "0" * 64}
    verdict = replace(good, pins=replace(good.pins, loso_files=pins))
    assert refusal(verdict, run) == (
        f"{run}: field 'pins.loso_files' names {name!r}, not a loso_seed<N>.json file name; "
        "rerun the gate"
    )


def test_a_loso_file_changed_after_the_gate_is_refused(run: Path) -> None:
    loso = run.parent / "loso_seed1.json"
    pinned = sha256_file(loso)
    loso.write_bytes(loso.read_bytes() + b" ")
    assert refusal(load(run), run) == (
        f"{loso}: sha256 {sha256_file(loso)[:12]} differs from 'pins.loso_files' of {run} "
        f"({pinned[:12]}); the file changed after the gate ran: restore it or rerun the gate"
    )


def test_a_missing_linked_or_odd_loso_file_is_refused(run: Path) -> None:
    loso = run.parent / "loso_seed2.json"
    what = "loso file pinned by PROMOTE.json"
    data = loso.read_bytes()
    loso.unlink()
    assert refusal(load(run), run) == (
        f"{loso}: {what} is missing; restore it or rerun the stage that made it"
    )
    (run.parent / "real.json").write_bytes(data)
    os.symlink(run.parent / "real.json", loso)
    assert refusal(load(run), run) == (
        f"{loso}: {what} is a symlink or unreadable; pass the real file, not a link"
    )
    loso.unlink()
    loso.mkdir()
    assert refusal(load(run), run) == f"{loso}: {what} is not a regular file; pass the real file"


def test_read_regular_reads_the_bytes(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"abc\x00")
    assert read_regular(tmp_path / "f", "x") == b"abc\x00"


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (1, 1.0, True),
        (1.0, 1, True),
        (0.0, 1e-13, True),  # absolute tolerance near zero
        (0.0, 1e-11, False),
        (1.0, 1.0 + 2e-9, False),
        (1.0, 1.0 + 5e-10, True),
        (float("inf"), float("inf"), False),
        (0.5, "0.5", False),
        ("0.5", 0.5, False),
        (True, True, True),
        (False, 0, False),
        (0, False, False),
        ([1, 2], (1, 2), True),
        ([1, 2], [1, 2, 3], False),
        ([1, 2], [1, 3], False),
        ({"a": 1}, {"a": 1.0}, True),
        ({"a": 1}, {"b": 1}, False),
        ({"a": 1}, {"a": 2}, False),
        ({"a": 1}, [("a", 1)], False),
        ("x", "x", True),
        (None, None, True),
        (1, 2, False),
    ],
)
def test_same(a: Any, b: Any, equal: bool) -> None:
    assert same(a, b) is equal


def test_first_difference_names_the_innermost_field() -> None:
    rules_a = [{"name": "mean", "value": 0.97}, {"name": "spread", "value": 0.002}]
    rules_b = [{"name": "mean", "value": 0.97}, {"name": "spread", "value": 0.003}]
    assert first_difference(rules_a, rules_b, "rules") == ("rules[1].value", 0.002, 0.003)
    assert first_difference(rules_a, rules_a, "rules") is None
    assert first_difference([0, 1], [0, 2], "flip") == ("flip", [0, 1], [0, 2])
    assert first_difference([0, 1], [0], "flip") == ("flip", [0, 1], [0])
    assert first_difference({"a": 1}, {"b": 1}, "x") == ("x", {"a": 1}, {"b": 1})
    nested = first_difference({"a": {"b": [1, {"c": 2}]}}, {"a": {"b": [1, {"c": 3}]}}, "p")
    assert nested == ("p.a.b[1].c", 2, 3)


@pytest.mark.parametrize(
    "flags",
    [
        ["--plcc-spread-max", "0.004", "--per-seed-min", "0.969"],  # tightened: always allowed
        ["--mean-plcc-threshold", "0.9", "--allow-threshold-override"],  # loosened, on record
    ],
)
def test_a_verdict_under_other_thresholds_is_rejudged_under_them(
    tmp_path: Path, flags: list[str]
) -> None:
    write_run(tmp_path, PLCC)
    assert gate_main([str(tmp_path), "--seeds", "0,1,2", *flags]) == 0
    path = tmp_path / "PROMOTE.json"
    verdict = load(path)
    assert verdict.thresholds_overridden is ("--allow-threshold-override" in flags)
    assert rejudge(verdict, path) is verdict


@pytest.mark.parametrize(("length", "shown_whole"), [(78, True), (79, False)])
def test_a_field_is_shown_whole_up_to_eighty_characters(
    run: Path, length: int, shown_whole: bool
) -> None:
    text = repr("r" * length)  # 80 and 81 characters
    want = text if shown_whole else text[:77] + "..."
    assert refusal(replace(load(run), refusal_reason="r" * length), run).startswith(
        f"{run}: field 'refusal_reason' is {want} but the gate gives None"
    )


def test_a_list_is_never_the_same_as_a_scalar() -> None:
    assert same([1], 1) is False
    assert same(1, [1]) is False
    assert same(False, 0.0) is False
    assert same(0.0, False) is False
    assert first_difference([1], 1, "x") == ("x", [1], 1)
    assert first_difference(1, [1], "x") == ("x", 1, [1])
