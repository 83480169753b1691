"""The composite Action's inputs, parsed once into one frozen object.

``action.yml`` forwards every input unchanged through ``env:`` (never as
``${{ }}`` inside a script); this module reads them into one object, each
by its rule in :mod:`flipbot.inputs` (the rules the bot's flags use too), and
decides which inputs each stage needs. Every value it returns is safe to hand to a command line
and to ``$GITHUB_OUTPUT``: no newline, no path outside the workspace, no
flag-looking value where a name is expected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from flipbot.action.pr_inputs import PrInputs, parse_pr_inputs
from flipbot.errors import InputError
from flipbot.input_bounds import check_length, check_path_length
from flipbot.inputs import BY_NAME, bound_of, files, rules, thresholds
from flipbot.verdict_file import MEAN_PLCC_MIN, PER_SEED_PLCC_MIN, PLCC_SPREAD_MAX

STAGES = ("train", "promote")
# Stages of earlier versions: the trusted side is now one command (`python -m bot promote`).
RETIRED_STAGES = ("gate", "export", "bot")
DEVICE_RE = re.compile(r"^(auto|cpu|cuda)$")  # the trainer's --device choices
THRESHOLD_INPUTS = ("mean-plcc-min", "plcc-spread-max", "per-seed-plcc-min")


@dataclass(frozen=True)
class Thresholds:
    mean_plcc_min: float
    plcc_spread_max: float
    per_seed_plcc_min: float
    allow_override: bool

    @property
    def loosened(self) -> bool:
        values = (self.mean_plcc_min, self.plcc_spread_max, self.per_seed_plcc_min)
        return bool(thresholds.loosened(THRESHOLD_INPUTS, values))


@dataclass(frozen=True)
class Inputs:
    stages: tuple[str, ...]  # a subset of STAGES, in pipeline order
    corpus: str  # workspace-relative POSIX paths
    registry: str
    artifacts_dir: str
    seeds: tuple[int, ...]
    epochs: int
    device: str
    base: str
    repository: str
    api_url: str
    plots_url: str  # "" or the https link of the uploaded LOSO pictures, for the PR body
    labels: tuple[str, ...]
    draft: bool  # open as a draft ("true" or "always-true"; pr.draft has the word)
    allow_recipe_override: bool  # ship a model fitted with another recipe than the judged one
    dry_run: bool
    fail_on_refusal: bool
    thresholds: Thresholds | None  # None: the gate's ADR-0303 constants
    train_python: str  # "" or an absolute path to an interpreter that has torch (train only)
    venv_dir: str  # absolute folder for the train stage's keyed venv; "" on the trusted side
    pr: PrInputs = field(default_factory=PrInputs)  # the repository's PR conventions
    audit_sample: str = rules.AUDIT_DEFAULT  # "default", "all" or a count of (seed, source) folds
    corpus_bytes: str = ""  # the corpus's bytes when the repository commits only a pin

    @property
    def loso_dir(self) -> str:
        return f"{self.artifacts_dir}/loso"

    @property
    def promote_dir(self) -> str:
        """The trusted side's own files (verdict, export): never uploaded from a GPU runner."""
        return f"{self.artifacts_dir}/promote"

    @property
    def corpus_copy(self) -> str:
        """Where the train stage copies ``corpus-bytes`` for the upload ('' when not given),
        under the pinned file's name."""
        name = PurePosixPath(self.corpus).name
        return f"{self.artifacts_dir}/corpus/{name}" if self.corpus_bytes else ""

    @property
    def trusted(self) -> bool:
        """The run holds the promote stage: only what it installs itself from locks runs."""
        return "promote" in self.stages


def parse_stages(text: str) -> tuple[str, ...]:
    """``train``, ``promote``, or ``all`` (both, in one job) - joined by commas, spaces or
    hyphens."""
    words = [w for w in re.split(r"[\s,\-]+", text.strip().lower()) if w]
    if words == ["all"]:
        return STAGES
    retired = sorted(set(words) & set(RETIRED_STAGES))
    if retired:
        raise InputError(
            f"input 'stages': {retired[0]!r} is no longer a stage of the Action; the trusted job "
            "runs 'promote' (audit, gate, export and the flip in one command): use 'train' on "
            "the GPU runners and 'promote' on the GitHub-hosted job"
        )
    unknown = sorted(set(words) - set(STAGES))
    if not words or unknown:
        raise InputError(
            f"input 'stages': {text!r} is not 'all' or a list of {', '.join(STAGES)}; "
            "e.g. 'train' on GPU runners and 'promote' on the trusted job"
        )
    return tuple(s for s in STAGES if s in words)


def parse_audit_sample(text: str) -> str:
    """``default`` (the promote command's own choice), ``all``, or a count of folds."""
    return rules.audit_sample("input 'audit-sample'", text)


def corpus_bytes_path(text: str, workspace: Path) -> str:
    """``corpus-bytes``: '' or a file that exists (absolute, or relative to the workspace); the
    trusted side uses its bytes only when their sha256 equals the repository's pin."""
    value = text.strip()
    if not value:
        return ""
    path = Path(value) if Path(value).is_absolute() else workspace / value
    if any(c in value for c in "\n\r\x00") or value.startswith("-") or not path.is_file():
        raise InputError(
            f"input 'corpus-bytes': {value!r} is not a file; give the path of the corpus's "
            "bytes (absolute or inside the workspace), or leave it empty"
        )
    return value


def parse_seeds(text: str) -> tuple[int, ...]:
    return rules.seeds("input 'seeds'", text)


def parse_bool(name: str, text: str) -> bool:
    return rules.boolean(f"input '{name}'", text)


def workspace_path(name: str, text: str, workspace: Path, *, must_exist: bool) -> str:
    """``text`` as a workspace-relative POSIX path; refuse anything that leaves the workspace."""
    return files.inside(f"input '{name}'", text, workspace, must_exist=must_exist)


def parse_labels(text: str) -> tuple[str, ...]:
    return rules.labels("input 'labels'", text)


def parse_base(text: str) -> str:
    return rules.base_branch("input 'base'", text)


def parse_api_url(text: str) -> str:
    return rules.api_url("input 'api-url'", text)


def parse_plots_url(text: str) -> str:
    return rules.plots_url("input 'plots-url'", text)


def parse_thresholds(env: Mapping[str, str]) -> Thresholds | None:
    """The three threshold inputs by the gate's rules (the same ranges and the same loosening
    rule as its flags); None when none is given."""
    given = [env.get(BY_NAME[name].key, "").strip() for name in THRESHOLD_INPUTS]
    allow = parse_bool(
        "allow-threshold-override", env.get("FLIPBOT_INPUT_ALLOW_THRESHOLD_OVERRIDE", "false")
    )
    if not any(given):
        return None
    names = [f"input '{name}'" for name in THRESHOLD_INPUTS]
    mean_text, spread_text, per_seed_text = given
    values = (
        thresholds.plcc_threshold(names[0], mean_text or str(MEAN_PLCC_MIN)),
        thresholds.spread_threshold(names[1], spread_text or str(PLCC_SPREAD_MAX)),
        thresholds.plcc_threshold(names[2], per_seed_text or str(PER_SEED_PLCC_MIN)),
    )
    thresholds.check_loosening(
        names, values, allowed=allow, override="set 'allow-threshold-override: true'"
    )
    return Thresholds(*values, allow_override=allow)


def parse_inputs(env: Mapping[str, str], workspace: Path) -> Inputs:
    """Validate the ``FLIPBOT_INPUT_*`` variables that action.yml forwards."""

    def get(key: str, default: str = "") -> str:
        return env.get(f"FLIPBOT_INPUT_{key}", default)

    check_input_lengths(env)

    stages = parse_stages(get("STAGES", "all"))
    trusted = "promote" in stages
    corpus_bytes = corpus_bytes_path(get("CORPUS_BYTES"), workspace)
    # Training reads the bytes: the pinned file itself unless corpus-bytes names them. The
    # trusted side reads the pin at the base commit: the file, a Git LFS pointer, or a pin file.
    needs_corpus = not trusted and not corpus_bytes
    if trusted:
        _corpus_pinned(get("CORPUS"), workspace)
    train_python = _train_python(get("TRAIN_PYTHON"), trusted)
    base = parse_base(get("BASE")) if trusted else ""
    pr = parse_pr_inputs(get, workspace, base) if trusted else PrInputs()
    return Inputs(
        stages=stages,
        corpus=workspace_path("corpus", get("CORPUS"), workspace, must_exist=needs_corpus),
        registry=workspace_path("registry", get("REGISTRY"), workspace, must_exist=trusted),
        artifacts_dir=workspace_path(
            "artifacts-dir", get("ARTIFACTS_DIR"), workspace, must_exist=False
        ),
        seeds=parse_seeds(get("SEEDS", "0,1,2,3,4")),
        epochs=rules.epochs("input 'epochs'", get("EPOCHS", "200")),
        device=_device(get("DEVICE", "auto")),
        base=base,
        repository=_repository(get("REPOSITORY")) if trusted else "",
        api_url=parse_api_url(get("API_URL") or "https://api.github.com"),
        plots_url=parse_plots_url(get("PLOTS_URL")),
        labels=parse_labels(get("LABELS")),
        draft=(pr.draft if trusted else rules.draft("input 'draft'", get("DRAFT"))) != "false",
        allow_recipe_override=parse_bool(
            "allow-recipe-override", get("ALLOW_RECIPE_OVERRIDE", "false")
        ),
        dry_run=parse_bool("dry-run", get("DRY_RUN", "false")),
        fail_on_refusal=parse_bool("fail-on-refusal", get("FAIL_ON_REFUSAL", "true")),
        thresholds=parse_thresholds(env),
        train_python=train_python,
        venv_dir=_venv_dir(get("VENV_DIR"), env.get("RUNNER_TEMP", ""), trusted),
        pr=pr,
        audit_sample=parse_audit_sample(get("AUDIT_SAMPLE", rules.AUDIT_DEFAULT)),
        corpus_bytes=corpus_bytes,
    )


def check_input_lengths(env: Mapping[str, str]) -> None:
    """Bound every input before any is parsed, by its entry in :mod:`flipbot.inputs.table`
    (paths also part by part), so no value reaches the file system or an error message at any
    size."""
    for key, value in sorted(env.items()):
        if key.startswith("FLIPBOT_INPUT_") or key == "RUNNER_TEMP":
            entry = bound_of(key)
            if entry.path:
                check_path_length(entry.where, value)
            else:
                check_length(entry.where, value, entry.bound)


def _corpus_pinned(text: str, workspace: Path) -> None:
    """On the trusted side the corpus path holds the corpus or its Git LFS pointer, or
    ``<path>.sha256`` beside it pins bytes that come from the training side."""
    path = workspace_path("corpus", text, workspace, must_exist=False)
    if not (workspace / path).is_file() and not (workspace / f"{path}.sha256").is_file():
        raise InputError(
            f"input 'corpus': {text!r} is not a file in the workspace, nor pinned by "
            f"{path}.sha256 beside it; commit the corpus, its Git LFS pointer, or a pin file"
        )


def _train_python(text: str, trusted: bool) -> str:
    """An interpreter the runner prepared: only for the train stage. The trusted job runs only
    what it installed itself this run from hash-pinned locks."""
    value = text.strip()
    if value and trusted:
        raise InputError(
            f"input 'train-python': {value!r} is refused with the promote stage, which runs only "
            "the venvs it builds this run from requirements/*.lock; leave it empty there (it is "
            "for 'stages: train' on GPU runners)"
        )
    if value and not (Path(value).is_absolute() and Path(value).is_file()):
        raise InputError(
            f"input 'train-python': {value!r} is not an absolute path to a Python interpreter"
        )
    return value


def _venv_dir(text: str, runner_temp: str, trusted: bool) -> str:
    """The train stage's keyed venvs: default ``$RUNNER_TEMP/flipbot-venvs`` (fresh per job); a
    self-hosted GPU runner may keep one. The trusted side never reads a lasting folder: its
    venvs are built in a new private folder every run (``flipbot.action.venv_step``)."""
    if trusted:
        if text.strip():
            raise InputError(
                f"input 'venv-dir': {text.strip()!r} is refused with the promote stage, which "
                "never runs a venv another job could have written; leave it empty there (it is "
                "for 'stages: train' on self-hosted GPU runners)"
            )
        return ""
    folder = text.strip() or (f"{runner_temp}/flipbot-venvs" if runner_temp else "")
    if not folder or not Path(folder).is_absolute() or any(c in folder for c in "\n\r\x00"):
        raise InputError(
            f"input 'venv-dir': {text!r} is not an absolute folder (and $RUNNER_TEMP is unset)"
        )
    return folder


def _device(text: str) -> str:
    if not DEVICE_RE.fullmatch(text.strip()):
        raise InputError(f"input 'device': {text!r} is not auto, cpu or cuda")
    return text.strip()


def _repository(text: str) -> str:
    return rules.repository("input 'repository'", text)
