"""One rule per input: a bad value reads the same through the Action's inputs step and the bot's flag.

The Action names a value ``input 'x'``, the bot ``--flag`` (flipbot.inputs.table pairs them);
after that name the two messages are the same sentence, because both doors call the same rule.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.__main__ import main as bot_main
from bot.flags import add_flip_flags, config_from_args
from flipbot.action.inputs import parse_inputs
from flipbot.action.inputs import parse_seeds as action_seeds
from flipbot.errors import InputError
from flipbot.inputs import BY_NAME, INPUTS, files, rules
from gate.loso_set import parse_seeds as promote_seeds

# (Action input, bad value): each refused by its rule.
BAD = [
    ("branch", "flip..bot"),
    ("branch", "main"),  # the base
    ("branch", "refs/heads/a b"),
    ("base", "a..b"),
    ("base", "-x"),
    ("repository", "owner"),
    ("repository", "-o/r"),
    ("labels", "ok,bad\x07"),
    ("labels", "x" * 51),
    ("api-url", "http://example.com"),
    ("api-url", "ftp://h"),
    ("reviewers", "bad name"),
    ("reviewers", ",".join(f"u{i}" for i in range(16))),
    ("team-reviewers", "a/b"),
    ("assignees", ",".join(f"u{i}" for i in range(11))),
    ("milestone", "first"),
    ("milestone", "0"),
    ("author", "someone"),
    ("committer", "<x@y>"),
    ("verdict-file", "../x.json"),
    ("verdict-file", ".GitHub/x.json"),
    ("verdict-file", "model/a//x.json"),
    ("verdict-file", "model/tiny/x.txt"),
    ("identity-regexp", "("),
    ("identity-regexp", "x" * 501),
    ("title-template", "x" * 1025),
    ("body-template", "../outside.md"),
    ("body-template", "t/none.md"),
    ("extra-files", "a.md=../outside.md"),
    ("extra-files", "no-equals"),
    ("row-updates", "sha256=x"),
    ("row-updates", "sigstore_bundle=x"),
    ("row-updates", "notes=a\nnotes=b"),
]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    (root / "corpus").mkdir(parents=True)
    (root / "corpus" / "c.jsonl.gz").write_bytes(b"x")
    (root / "model").mkdir()
    (root / "model" / "registry.json").write_text("{}\n")
    (root / "t").mkdir()
    (root / "t" / "frag.md").write_text("{{ ensemble }}\n")
    (tmp_path / "outside.md").write_text("x\n")
    monkeypatch.chdir(root)  # the bot's repository root is the current folder
    for key in ("GITHUB_API_URL", "FLIPBOT_PLOTS_URL", "GITHUB_ACTIONS"):
        monkeypatch.delenv(key, raising=False)
    return root


def action_message(workspace: Path, name: str, value: str) -> str:
    given = {"STAGES": "promote", "CORPUS": "corpus/c.jsonl.gz", "BASE": "main"}
    given |= {"REGISTRY": "model/registry.json", "ARTIFACTS_DIR": "out", "REPOSITORY": "o/r"}
    env = {f"FLIPBOT_INPUT_{k}": v for k, v in given.items()} | {BY_NAME[name].key: value}
    with pytest.raises(InputError) as err:
        parse_inputs(env, workspace)
    return str(err.value)


def bot_message(name: str, value: str) -> str:
    parser = argparse.ArgumentParser()
    add_flip_flags(parser)
    given = {"--registry": "model/registry.json", "--repo": "o/r", "--base": "main"}
    given |= {BY_NAME[name].flag: value}
    args = parser.parse_args([f"{flag}={text}" for flag, text in given.items()] + ["--dry-run"])
    with pytest.raises(InputError) as err:
        config_from_args(args, "v", "a")
    return str(err.value)


@pytest.mark.parametrize(("name", "value"), BAD, ids=[f"{n}={v[:12]!r}" for n, v in BAD])
def test_a_bad_value_gives_the_same_sentence_through_the_action_and_the_bot_flag(
    workspace: Path, name: str, value: str
) -> None:
    entry = BY_NAME[name]
    action, bot = action_message(workspace, name, value), bot_message(name, value)
    assert action.startswith(f"input '{name}': ") and bot.startswith(f"{entry.flag}: ")
    assert action.removeprefix(f"input '{name}'") == bot.removeprefix(entry.flag)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("branch", "refs/heads/models/flip", "models/flip"),
        ("base", "refs/heads/release/2.x", "release/2.x"),
        ("verdict-file", "model/audit/flip.verdict.json", "model/audit/flip.verdict.json"),
    ],
)
def test_a_good_value_is_normalised_the_same_through_both_doors(
    workspace: Path, name: str, value: str, expected: str
) -> None:
    given = {"STAGES": "promote", "CORPUS": "corpus/c.jsonl.gz", "BASE": "main"}
    given |= {"REGISTRY": "model/registry.json", "ARTIFACTS_DIR": "out", "REPOSITORY": "o/r"}
    env = {f"FLIPBOT_INPUT_{k}": v for k, v in given.items()} | {BY_NAME[name].key: value}
    action = parse_inputs(env, workspace)
    parser = argparse.ArgumentParser()
    add_flip_flags(parser)
    flags = {"--registry": "model/registry.json", "--repo": "o/r", "--base": "main"}
    flags |= {BY_NAME[name].flag: value}
    config = config_from_args(
        parser.parse_args([f"{f}={v}" for f, v in flags.items()] + ["--dry-run"]), "v", "a"
    )
    got_action = {"branch": action.pr.branch, "base": action.base}.get(name, action.pr.verdict_file)
    got_bot = {"branch": config.branch_name, "base": config.base}.get(name, config.verdict_file)
    assert got_action == got_bot == expected


def test_every_bad_case_belongs_to_an_input_the_bot_takes_as_a_flag() -> None:
    assert {name for name, _ in BAD} <= {i.name for i in INPUTS if i.flag.startswith("--")}
    assert len({i.name for i in INPUTS}) == len(INPUTS)


def test_the_one_branch_rule_refuses_what_git_refuses() -> None:
    for bad in ("a..b", "a b", "a~1", "a^", "a:b", "a?", "a*", "a[b", "a\\b", "a@{1}", "x.lock"):
        assert not rules.is_branch_name(bad), bad
    assert rules.is_branch_name("flipbot/models-2.x")
    assert files.is_clean_repo_path("model/tiny/x.json")
    assert not files.is_clean_repo_path("model/.GIT/x.json")


@pytest.mark.parametrize("text", ["", "0,,1", "1,1", "-1", "٣", "1" + "0" * 5000, "0;id"])
def test_a_bad_seed_list_reads_the_same_in_the_action_and_in_promote(text: str) -> None:
    """``seeds`` reaches `bot promote` (and the gate it runs) as --seeds: one rule for both."""

    with pytest.raises(InputError) as action:
        action_seeds(text)
    with pytest.raises(InputError) as promote:
        promote_seeds(text)
    sentence = str(action.value).removeprefix("input 'seeds'")
    assert sentence == str(promote.value).removeprefix("--seeds") and sentence.startswith(": ")
    assert len(sentence) < 300


@pytest.mark.parametrize("value", ["0", "100001", "-3"])
def test_a_bad_epoch_count_reads_the_same_in_the_action_and_in_bot_promote(
    workspace: Path, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    action = action_message(workspace, "epochs", value)
    argv = ["promote", "--loso-dir", "nowhere", "--registry", "model/registry.json"]
    argv += ["--repo", "o/r", "--base", "main", "--dry-run", f"--epochs={value}"]
    assert bot_main(argv) == 2
    err = capsys.readouterr().err
    sentence = action.removeprefix("input 'epochs'")
    assert sentence.startswith(": ") and err == f"error: --epochs{sentence}\n"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("audit-sample", "0"),
        ("audit-sample", "1000000"),
        ("audit-sample", "some"),
        ("mean-plcc-min", "1.5"),
        ("mean-plcc-min", "x"),
        ("per-seed-plcc-min", "nan"),
        ("plcc-spread-max", "-0.1"),
        ("plcc-spread-max", "inf"),
    ],
)
def test_the_audit_sample_and_the_thresholds_read_the_same_in_the_action_and_in_bot_promote(
    workspace: Path, name: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each reaches `bot promote` (and the gate it runs) as its flag: one rule for both doors."""
    action = action_message(workspace, name, value)
    flag = BY_NAME[name].flag
    argv = ["promote", "--loso-dir", "nowhere", "--registry", "model/registry.json"]
    argv += ["--repo", "o/r", "--base", "main", "--dry-run", f"{flag}={value}"]
    assert bot_main(argv) == 2
    err = capsys.readouterr().err
    sentence = action.removeprefix(f"input '{name}'")
    assert sentence.startswith(f": {value!r} is not ") and err == f"error: {flag}{sentence}\n"


@pytest.mark.parametrize(
    ("given", "action_words", "flag_words"),
    [
        (
            {"mean-plcc-min": "0.9"},
            "input 'mean-plcc-min' 0.9 (ADR-0303: 0.95)",
            "--mean-plcc-threshold 0.9 (ADR-0303: 0.95)",
        ),
        (
            {"plcc-spread-max": "0.01", "per-seed-plcc-min": "0.9"},
            "input 'plcc-spread-max' 0.01 (ADR-0303: 0.005), "
            "input 'per-seed-plcc-min' 0.9 (ADR-0303: 0.95)",
            "--plcc-spread-max 0.01 (ADR-0303: 0.005), --per-seed-min 0.9 (ADR-0303: 0.95)",
        ),
    ],
)
def test_a_loosened_threshold_is_refused_by_one_rule_through_both_doors(
    workspace: Path,
    given: dict[str, str],
    action_words: str,
    flag_words: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The same loosening rule; each door names the way to allow it in its own words."""
    inputs = {"STAGES": "promote", "CORPUS": "corpus/c.jsonl.gz", "BASE": "main"}
    inputs |= {"REGISTRY": "model/registry.json", "ARTIFACTS_DIR": "out", "REPOSITORY": "o/r"}
    env = {f"FLIPBOT_INPUT_{k}": v for k, v in inputs.items()}
    env |= {BY_NAME[name].key: value for name, value in given.items()}
    with pytest.raises(InputError) as action:
        parse_inputs(env, workspace)
    argv = ["promote", "--loso-dir", "nowhere", "--registry", "model/registry.json"]
    argv += ["--repo", "o/r", "--base", "main", "--dry-run"]
    argv += [f"{BY_NAME[name].flag}={value}" for name, value in given.items()]
    assert bot_main(argv) == 2
    rule = "loosens the ADR-0303 gate; loosening needs a new decision record, "
    assert str(action.value) == (
        f"thresholds: {action_words} {rule}set 'allow-threshold-override: true' only if one exists"
    )
    assert capsys.readouterr().err == (
        f"error: thresholds: {flag_words} {rule}pass --allow-threshold-override only if one exists\n"
    )


@pytest.mark.parametrize(("flag", "value"), [("--epochs", "+5"), ("--epochs", "100001"),
                                             ("--batch-size", "0"), ("--batch-size", "٣")])  # fmt: skip
def test_the_recipe_flags_read_the_same_in_trainer_loso_and_in_bot_promote(
    workspace: Path, flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The train stage's `trainer loso` and the audit's recipe in `bot promote`: one rule."""
    from trainer.__main__ import main as trainer_main  # torch: only this test needs it

    out = workspace / "loso"
    argv = ["loso", "--corpus", "corpus/c.jsonl.gz", "--seeds", "0", "--out-dir", str(out)]
    assert trainer_main([*argv, f"{flag}={value}"]) == 2
    trainer_err = capsys.readouterr().err
    argv = ["promote", "--loso-dir", "nowhere", "--registry", "model/registry.json"]
    argv += ["--repo", "o/r", "--base", "main", "--dry-run", f"{flag}={value}"]
    assert bot_main(argv) == 2
    promote_err = capsys.readouterr().err
    assert f"error: {flag}: {value!r} is not an integer from 1 to " in promote_err
    assert promote_err.removeprefix("error: ") in trainer_err and not out.exists()
