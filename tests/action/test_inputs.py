"""flipbot.action: the Action's inputs are validated by code, and its outputs cannot be forged."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flipbot.action.__main__ import main
from flipbot.action.inputs import (
    STAGES,
    parse_audit_sample,
    parse_base,
    parse_inputs,
    parse_seeds,
    parse_stages,
    workspace_path,
)
from flipbot.action.outputs import input_outputs, write_outputs
from flipbot.errors import InputError


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "c.jsonl.gz").write_bytes(b"x")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "registry.json").write_text("{}\n")
    return tmp_path


def env(**overrides: str) -> dict[str, str]:
    base = {
        "STAGES": "all",
        "CORPUS": "corpus/c.jsonl.gz",
        "REGISTRY": "model/registry.json",
        "ARTIFACTS_DIR": "out",
        "SEEDS": "0,1,2,3,4",
        "EPOCHS": "200",
        "DEVICE": "auto",
        "BASE": "main",
        "REPOSITORY": "owner/repo",
        "API_URL": "https://api.github.com",
        "DRAFT": "false",
        "DRY_RUN": "false",
        "FAIL_ON_REFUSAL": "true",
    }
    base |= {k.upper(): v for k, v in overrides.items()}
    return {f"FLIPBOT_INPUT_{k}": v for k, v in base.items()} | {"RUNNER_TEMP": "/runner/tmp"}


def test_defaults_parse_into_normalised_values(workspace: Path) -> None:
    inp = parse_inputs(env(CORPUS="./corpus/../corpus/c.jsonl.gz"), workspace)
    assert inp.stages == STAGES
    assert inp.corpus == "corpus/c.jsonl.gz"
    assert inp.seeds == (0, 1, 2, 3, 4)
    assert inp.loso_dir == "out/loso" and inp.promote_dir == "out/promote"
    assert inp.thresholds is None
    assert inp.audit_sample == "default" and inp.corpus_bytes == "" and inp.corpus_copy == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("all", STAGES),
        ("train", ("train",)),
        ("promote", ("promote",)),
        ("promote, train", ("train", "promote")),
        ("train-promote", ("train", "promote")),
    ],
)
def test_stages_accept_all_and_lists(text: str, expected: tuple[str, ...]) -> None:
    assert parse_stages(text) == expected


@pytest.mark.parametrize("text", ["", "deploy", "train,all", "train;rm -rf /"])
def test_stages_refuse_unknown_names(text: str) -> None:
    with pytest.raises(InputError, match="stages"):
        parse_stages(text)


@pytest.mark.parametrize(("text", "name"), [("gate", "gate"), ("train,export", "export"),
                                            ("gate,bot", "bot"), ("bot", "bot")])  # fmt: skip
def test_the_former_stages_are_refused_with_the_way_forward(text: str, name: str) -> None:
    """gate, export and bot on a ready export folder are no longer stages of the Action."""
    with pytest.raises(InputError) as err:
        parse_stages(text)
    assert str(err.value).startswith(f"input 'stages': '{name}' is no longer a stage")
    assert "use 'train' on the GPU runners and 'promote' on the GitHub-hosted job" in str(err.value)


@pytest.mark.parametrize(
    ("text", "expected"), [("", "default"), ("default", "default"), ("ALL", "all"), ("07", "7")]
)
def test_audit_sample_is_default_all_or_a_count(text: str, expected: str) -> None:
    assert parse_audit_sample(text) == expected


@pytest.mark.parametrize("text", ["0", "-3", "1000000", "1.5", "some", "3;id", "all,1"])
def test_audit_sample_refuses_anything_else(text: str) -> None:
    with pytest.raises(InputError, match=r"^input 'audit-sample': .* 'default', 'all' or a"):
        parse_audit_sample(text)


def test_corpus_bytes_must_be_a_file_and_is_copied_beside_the_loso_files(workspace: Path) -> None:
    (workspace / "bytes.jsonl.gz").write_bytes(b"rows")
    inp = parse_inputs(env(STAGES="train", CORPUS_BYTES="bytes.jsonl.gz"), workspace)
    assert inp.corpus_bytes == "bytes.jsonl.gz"
    assert inp.corpus_copy == "out/corpus/c.jsonl.gz"  # under the pinned file's name
    absolute = str(workspace / "bytes.jsonl.gz")
    assert parse_inputs(env(STAGES="train", CORPUS_BYTES=absolute), workspace).corpus_bytes == (
        absolute
    )
    # the pin itself need not be on the GPU runner when the bytes are named
    pinned = env(STAGES="train", CORPUS="corpus/pin.json", CORPUS_BYTES="bytes.jsonl.gz")
    assert parse_inputs(pinned, workspace).corpus == "corpus/pin.json"
    for bad in ("missing.jsonl", "-x", "corpus"):
        with pytest.raises(InputError, match=f"^input 'corpus-bytes': '{bad}' is not a file"):
            parse_inputs(env(STAGES="promote", CORPUS_BYTES=bad), workspace)


@pytest.mark.parametrize("stages", ["promote", "all"])
def test_the_trusted_stage_refuses_a_runner_interpreter_or_a_lasting_venv_folder(
    workspace: Path, stages: str
) -> None:
    """Item 5: with the token in reach, only what this run installed from locks runs."""
    python = os.path.realpath("/bin/sh")
    with pytest.raises(InputError, match=r"^input 'train-python': .* refused with the promote"):
        parse_inputs(env(STAGES=stages, TRAIN_PYTHON=python), workspace)
    with pytest.raises(InputError, match=r"^input 'venv-dir': '/opt/v' is refused with the promo"):
        parse_inputs(env(STAGES=stages, VENV_DIR="/opt/v"), workspace)
    assert parse_inputs(env(STAGES=stages), workspace).venv_dir == ""
    assert parse_inputs(env(STAGES="train", TRAIN_PYTHON=python), workspace).train_python == python


@pytest.mark.parametrize("text", ["", "0,,1", "1,1", "-1", "0x1", "1.5", "0,1 2", "0;id"])
def test_seed_lists_refuse_non_integers_and_duplicates(text: str) -> None:
    with pytest.raises(InputError, match="seeds"):
        parse_seeds(text)


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=10, unique=True))
def test_seed_lists_round_trip(seeds: list[int]) -> None:
    assert parse_seeds(" , ".join(map(str, seeds))) == tuple(seeds)


@pytest.mark.parametrize("text", ["../outside", "/etc/passwd", "corpus/../../x", ""])
def test_paths_must_stay_inside_the_workspace(workspace: Path, text: str) -> None:
    with pytest.raises(InputError, match="corpus"):
        workspace_path("corpus", text, workspace, must_exist=False)


def test_a_symlink_out_of_the_workspace_is_refused(
    workspace: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.jsonl"
    outside.write_text("{}\n")
    (workspace / "corpus" / "link.jsonl").symlink_to(outside)
    with pytest.raises(InputError, match="is outside the repository"):
        workspace_path("corpus", "corpus/link.jsonl", workspace, must_exist=True)


def test_a_missing_corpus_is_an_error_only_when_a_stage_reads_it(workspace: Path) -> None:
    with pytest.raises(InputError, match="'corpus'.*not a file"):
        parse_inputs(env(CORPUS="corpus/none.jsonl", STAGES="train"), workspace)
    with pytest.raises(InputError, match=r"'corpus'.*not a file in the workspace, nor pinned by"):
        parse_inputs(env(CORPUS="corpus/none.jsonl", STAGES="promote"), workspace)
    (workspace / "corpus" / "none.jsonl.sha256").write_text(f"{'0' * 64}  none.jsonl\n")
    assert parse_inputs(env(CORPUS="corpus/none.jsonl", STAGES="promote"), workspace).corpus == (
        "corpus/none.jsonl"
    )
    (workspace / "b.jsonl").write_text("{}\n")
    named = env(CORPUS="corpus/none.jsonl", STAGES="train", CORPUS_BYTES="b.jsonl")
    assert parse_inputs(named, workspace).stages == ("train",)


@pytest.mark.parametrize(
    ("key", "value", "word"),
    [
        ("EPOCHS", "0", "epochs"),
        ("EPOCHS", "2e2", "epochs"),
        ("DEVICE", "cuda;id", "device"),
        ("DRY_RUN", "yes", "dry-run"),
        ("BASE", "--force", "base"),
        ("BASE", "a..b", "base"),
        ("BASE", "main\nx=1", "base"),
        ("REPOSITORY", "owner", "repository"),
        ("API_URL", "http://example.com", "api-url"),
        ("PLOTS_URL", "javascript:alert(1)", "plots-url"),
        ("PLOTS_URL", "https://x/a b", "plots-url"),
        ("LABELS", "ok,bad\x07", "labels"),
        ("TRAIN_PYTHON", "python3", "train-python"),
    ],
)
def test_bad_inputs_name_the_input(workspace: Path, key: str, value: str, word: str) -> None:
    with pytest.raises(InputError, match=f"'{word}'"):
        parse_inputs(env(**{key: value}), workspace)


def test_plots_url_is_optional_and_kept_verbatim(workspace: Path) -> None:
    assert parse_inputs(env(), workspace).plots_url == ""
    url = "https://github.com/o/r/actions/runs/1/artifacts/9"
    assert parse_inputs(env(PLOTS_URL=url), workspace).plots_url == url


def test_venvs_live_under_runner_temp_unless_a_folder_is_named(workspace: Path) -> None:
    assert parse_inputs(env(STAGES="train"), workspace).venv_dir == "/runner/tmp/flipbot-venvs"
    named = env(STAGES="train", VENV_DIR="/opt/flipbot")
    assert parse_inputs(named, workspace).venv_dir == "/opt/flipbot"
    with pytest.raises(InputError, match="'venv-dir'"):
        parse_inputs(env(STAGES="train", VENV_DIR="relative/venvs"), workspace)


def test_base_strips_refs_heads() -> None:
    assert parse_base("refs/heads/release/2.x") == "release/2.x"


def test_loosening_a_threshold_needs_the_explicit_override(workspace: Path) -> None:
    with pytest.raises(InputError, match="allow-threshold-override"):
        parse_inputs(env(PLCC_SPREAD_MAX="0.01"), workspace)
    th = parse_inputs(
        env(PLCC_SPREAD_MAX="0.01", ALLOW_THRESHOLD_OVERRIDE="true"), workspace
    ).thresholds
    assert th is not None and th.loosened and th.plcc_spread_max == 0.01
    assert th.mean_plcc_min == 0.95 and th.per_seed_plcc_min == 0.95


def test_tightening_a_threshold_needs_no_override(workspace: Path) -> None:
    th = parse_inputs(env(MEAN_PLCC_MIN="0.97"), workspace).thresholds
    assert th is not None and not th.loosened and th.mean_plcc_min == 0.97


@pytest.mark.parametrize("value", ["nan", "1.5", "-1.5", "x"])
def test_threshold_values_must_be_plccs(workspace: Path, value: str) -> None:
    """The gate's own rule: a PLCC from -1 to 1 (the Action once took only 0 to 1)."""
    with pytest.raises(InputError, match="mean-plcc-min"):
        parse_inputs(env(MEAN_PLCC_MIN=value, ALLOW_THRESHOLD_OVERRIDE="true"), workspace)


def test_venvs_follow_the_stages(workspace: Path) -> None:
    trusted = input_outputs(parse_inputs(env(STAGES="promote"), workspace))
    assert (trusted["trusted"], trusted["bot-venv"], trusted["torch-venv"]) == ("true",) * 3
    train = input_outputs(parse_inputs(env(STAGES="train"), workspace))
    assert (train["trusted"], train["bot-venv"], train["torch-venv"]) == ("false", "false", "true")
    both = input_outputs(parse_inputs(env(STAGES="all"), workspace))
    assert (both["trusted"], both["run-train"], both["run-promote"]) == ("true",) * 3
    given_python = input_outputs(
        parse_inputs(env(STAGES="train", TRAIN_PYTHON=os.path.realpath("/bin/sh")), workspace)
    )
    assert given_python["torch-venv"] == "false"


def test_outputs_use_a_delimiter_a_value_cannot_close(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs({"refusal-reason": "line one\nverdict=PROMOTE"}, str(out))
    text = out.read_text()
    first, body, last = (
        text.split("\n", 1)[0],
        text.split("\n")[1:3],
        text.rstrip("\n").rsplit("\n", 1)[1],
    )
    assert first.startswith("refusal-reason<<ghadelimiter_")
    assert body == ["line one", "verdict=PROMOTE"]
    assert last == first.split("<<", 1)[1]


def test_cli_writes_outputs_and_exits_2_with_an_error_annotation(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = workspace / "github_output"
    out.write_text("")
    for k, v in env(SEEDS="0,1").items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    assert main(["inputs", "--workspace", str(workspace)]) == 0
    assert "seeds<<ghadelimiter_" in out.read_text() and "\n0,1\n" in out.read_text()
    monkeypatch.setenv("FLIPBOT_INPUT_SEEDS", "0,0")
    assert main(["inputs", "--workspace", str(workspace)]) == 2
    assert capsys.readouterr().out.startswith("::error title=flipbot::input 'seeds'")


def test_helpers_run_on_a_bare_python_without_site_packages() -> None:
    """action.yml runs them with the runner's python3, before any venv exists."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    code = (
        f"import sys; sys.path.insert(0, {str(root)!r}); "
        "import flipbot.action.__main__, flipbot.action.outputs; "
        "print(sorted(m for m in ('numpy', 'scipy', 'torch', 'github') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-S", "-E", "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
