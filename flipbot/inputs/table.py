"""Every input of the Action, the bot flag that carries it, and its length bound: one table.

``action.yml`` forwards input ``x-y`` as ``FLIPBOT_INPUT_X_Y``; the inputs step checks it and
``flipbot.action.commands`` hands it to ``python -m bot promote`` as ``flag``. Both doors call
the same rule (:mod:`flipbot.inputs.rules`, :mod:`flipbot.inputs.files`), naming the value
``input 'x-y'`` or ``--flag``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flipbot.input_bounds import MAX_INPUT, MAX_PATH
from flipbot.inputs.rules import MAX_TEMPLATE


@dataclass(frozen=True)
class Input:
    name: str  # the Action input, kebab-case
    flag: str = ""  # the bot flag carrying it ("" when the bot has none)
    bound: int = MAX_INPUT  # characters before any rule reads it
    path: bool = False  # bounded as a path: MAX_PATH, and each part a file name

    @property
    def key(self) -> str:
        return "FLIPBOT_INPUT_" + self.name.upper().replace("-", "_")

    @property
    def where(self) -> str:
        return f"input '{self.name}'"


def _path(name: str, flag: str = "") -> Input:
    return Input(name, flag, MAX_PATH, path=True)


def _template(name: str) -> Input:
    return Input(name, f"--{name}", MAX_TEMPLATE)


INPUTS: tuple[Input, ...] = (
    Input("stages"),
    _path("corpus", "--corpus"),
    _path("corpus-bytes", "--corpus-bytes"),
    Input("audit-sample", "--audit-sample"),
    _path("registry", "--registry"),
    Input("seeds", "--seeds"),
    Input("epochs", "--epochs"),
    Input("device"),
    _path("artifacts-dir"),
    _path("train-python"),
    _path("venv-dir"),
    Input("base", "--base"),
    Input("repository", "--repo"),
    Input("api-url", "--api-url"),
    Input("plots-url"),  # reaches the bot as FLIPBOT_PLOTS_URL
    Input("labels", "--labels"),
    Input("draft", "--draft"),
    Input("allow-recipe-override", "--allow-recipe-override"),
    _template("title-template"),
    _template("commit-message-template"),
    _path("body-template", "--body-template"),
    _template("body-header"),
    _template("body-footer"),
    _template("extra-files"),
    _template("row-updates"),
    Input("reviewers", "--reviewers"),
    Input("team-reviewers", "--team-reviewers"),
    Input("assignees", "--assignees"),
    Input("milestone", "--milestone"),
    Input("author", "--author"),
    Input("committer", "--committer"),
    Input("signoff", "--signoff"),
    Input("branch", "--branch"),
    Input("verdict-file", "--verdict-file"),
    Input("sign", "--sign"),
    Input("identity-regexp", "--identity-regexp"),
    Input("dry-run", "--dry-run"),
    Input("fail-on-refusal", "--no-fail-on-refusal"),
    Input("mean-plcc-min", "--mean-plcc-threshold"),
    Input("plcc-spread-max", "--plcc-spread-max"),
    Input("per-seed-plcc-min", "--per-seed-min"),
    Input("allow-threshold-override", "--allow-threshold-override"),
)
BY_KEY = {i.key: i for i in INPUTS}
BY_NAME = {i.name: i for i in INPUTS}


def bound_of(key: str) -> Input:
    """The table's entry for an environment key; an unknown ``FLIPBOT_INPUT_*`` (a later
    version's input) is bounded as text, ``RUNNER_TEMP`` as a path."""
    if key == "RUNNER_TEMP":
        return Input("RUNNER_TEMP", bound=MAX_PATH, path=True)
    name = key.removeprefix("FLIPBOT_INPUT_").lower().replace("_", "-")
    return BY_KEY.get(key, Input(name))
