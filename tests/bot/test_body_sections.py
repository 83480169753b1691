"""The reviewer-first body: numbers that tie to the rules, only known facts, a valid Mermaid chart."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
from bot_inputs import SHIPPED_REGISTRY, judge_folder, make_verdict, verified_flip, write_inputs

from bot.body.chart import MAX_SOURCES, render_chart
from bot.body.pr_body import BODY_LIMIT, BodyContext, build_body, render_refusal
from bot.body.tables import render_source_table
from bot.flip.record import Flip
from bot.registry.prior import prior_from_registry
from flipbot.verdict_file import Verdict
from gate.calibration import calibrate

DEMO_SOURCES = (
    "alea",
    "bigbuckbunny",
    "bikes",
    "crowd_run",
    "ducks",
    "foreman",
    "park_joy",
    "tractor",
    "vtest",
)


def flip_for(tmp_path: Path, **kw) -> Flip:
    write_inputs(tmp_path, make_verdict(**kw))
    return verified_flip(tmp_path)


def judged(folder: Path, **kw) -> Verdict:
    """The real gate's verdict on generated loso files."""
    folder.mkdir(parents=True, exist_ok=True)
    return Verdict.read(judge_folder(folder, make_verdict(**kw)))


def shipped_prior(**changes: dict) -> object:
    text = SHIPPED_REGISTRY.read_text(encoding="utf-8")
    prior = prior_from_registry(text, "model/tiny/registry.json", frozenset())
    rows = {k: dict(v) | changes.get(k, {}) for k, v in prior.rows.items()}
    return replace(prior, rows=rows)


def ctx(flip: Flip, **kw) -> BodyContext:
    return BodyContext(flip, "f" * 40, "model/tiny/registry.json", None, **kw)


def table_rows(table: str) -> dict[str, list[str]]:
    rows = {}
    for line in table.splitlines():
        if line.startswith("| ") and not line.startswith("| held-out"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            rows[cells[0].strip("*").split("**")[0]] = [c.strip("*") for c in cells[1:]]
    return rows


def test_the_per_seed_mean_row_ties_to_the_headline_numbers_and_the_rules(tmp_path):
    verdict = judged(tmp_path, sources=DEMO_SOURCES)
    rows = table_rows(render_source_table(verdict, decimals=5))
    mean_row = rows["per-seed mean"]
    for i, seed in enumerate(verdict.seeds):
        assert float(mean_row[i]) == round(seed.plcc, 5)
    rules = {r.name: r.value for r in verdict.rules}
    assert float(mean_row[5]) == round(rules["plcc_spread"], 5)  # the spread of the seed means
    assert math.isclose(np.mean([float(v) for v in mean_row[:5]]), rules["mean_plcc"], abs_tol=1e-5)
    for row in verdict.per_source:  # the spread column is max - min over the seeds on that source
        cells = rows[row.source]
        values = list(row.plcc_by_seed.values())
        assert float(cells[5]) == round(max(values) - min(values), 5)
    assert int(mean_row[-1]) == sum(r.n_val for r in verdict.per_source)


def test_the_body_says_whether_a_row_replaces_a_placeholder_or_a_production_model(tmp_path):
    flip = flip_for(tmp_path, seeds=(0, 1, 2, 3, 4))
    placeholders = build_body(ctx(flip, prior=shipped_prior())).text
    assert "to production, replacing 5 placeholders;" in placeholders
    assert "| `fr_regressor_v2_ensemble_v1_seed0` | `smoke: true` `13c1ecae145d87da" in placeholders
    assert placeholders.count("| a placeholder |") == 5
    prior = shipped_prior(fr_regressor_v2_ensemble_v1_seed3={"smoke": False})
    text = build_body(ctx(flip, prior=prior)).text
    assert "replacing **1 production model** and 4 placeholders;" in text
    assert text.count("| **a production model** |") == 1


def test_the_ensemble_row_is_described_from_what_is_known_never_may_flip(tmp_path):
    flip = flip_for(tmp_path)  # PROMOTE, plan without an ensemble-level row
    shipped = build_body(ctx(flip, prior=shipped_prior())).text
    assert "The registry has no ensemble-level row `fr_regressor_v2_ensemble_v1`" in shipped
    prior = shipped_prior()
    with_row = replace(prior, rows={**prior.rows, "fr_regressor_v2_ensemble_v1": {"smoke": True}})
    listed = build_body(ctx(flip, prior=with_row)).text
    assert "stays `smoke: true`: the registry lists members this run did not judge" in listed
    hold = flip_for(tmp_path / "hold", flip=(0, 1))
    text = build_body(ctx(hold, prior=with_row)).text
    assert "it flips only when every seed clears and all three rules hold" in text
    for body in (shipped, listed, text):
        assert "may flip" not in body and "if the registry has one" not in body


def test_a_refusal_gives_its_reason_once(tmp_path):
    flip = flip_for(tmp_path, refused=True)
    report = render_refusal(flip)
    reason = flip.verdict.refusal_reason
    assert reason and reason.startswith("the per-seed PLCC spread 0.01200 exceeds 0.005")
    assert report.count("PLCC spread 0.01200 exceeds 0.005") == 1
    assert f"**Reason:** {reason}" in report


def test_calibration_gets_one_line_per_source_that_falls_short(tmp_path):
    flip = flip_for(tmp_path)
    rng = np.random.default_rng(0)
    y = {s: np.linspace(40.0, 95.0, 60) for s in DEMO_SOURCES}
    bias = {s: (15.0 if i % 3 == 0 else 0.0) * rng.normal(0, 1, 60) for i, s in enumerate(y)}
    preds = {s: np.stack([y[s] + bias[s] + rng.normal(0, 1, 60) for _ in range(5)]) for s in y}
    cal = calibrate(y, preds, loso_files=flip.verdict.pins.loso_files)
    short = {w.split("'")[1] for w in cal.warnings}
    assert len(cal.warnings) > len(short)  # some source misses both levels: two warnings
    text = build_body(ctx(replace(flip, calibration=cal))).text
    lines = [line for line in text.splitlines() if line.startswith("- ⚠ ")]
    assert sorted(line.split(":")[0][4:].replace("\\_", "_") for line in lines) == sorted(short)
    assert f"{len(short)} of {len(DEMO_SOURCES)} sources fall more than 5 points short" in text


MERMAID_LINE = re.compile(r'^    (bar|line) "([^"]+)" \[([^\]]*)\]$')


def parse_chart(text: str) -> dict:
    """A small checker of the xychart-beta grammar the body uses."""
    block = re.search(r"```mermaid\n(.*?)```", text, re.DOTALL)
    assert block, "no mermaid block"
    lines = block.group(1).splitlines()
    assert lines[0] == "---" and lines.index("---", 1) > 1  # the config frontmatter
    config = lines[1 : lines.index("---", 1)]
    assert config[:2] == ["config:", "  xyChart:"]
    assert all(re.fullmatch(r"(    \w+: [0-9]+|    xAxis:|      labelFontSize: [0-9]+)", c)
               for c in config[2:]), config  # fmt: skip
    lines = lines[lines.index("---", 1) + 1 :]
    assert lines[0] == "xychart-beta"
    assert re.fullmatch(r'    title "[^"`]+"', lines[1])
    x = re.fullmatch(r"    x-axis \[(.*)\]", lines[2])
    assert x
    labels = re.findall(r'"([A-Za-z0-9_.-]+)"', x.group(1))
    assert x.group(1) == ", ".join(f'"{label}"' for label in labels)
    y = re.fullmatch(r'    y-axis "PLCC" ([0-9.]+) --> ([0-9.]+)', lines[3])
    assert y
    low, high = float(y.group(1)), float(y.group(2))
    series = {}
    for line in lines[4:]:
        m = MERMAID_LINE.match(line)
        assert m, line
        values = [float(v) for v in m.group(3).split(", ")]
        assert len(values) == len(labels) and all(math.isfinite(v) for v in values)
        assert all(low <= v <= high for v in values), (line, low, high)
        series[(m.group(1), m.group(2))] = values
    return {"labels": labels, "series": series}


def test_the_mermaid_chart_has_one_value_per_source_for_every_seed_and_the_threshold(tmp_path):
    verdict = judged(tmp_path, sources=DEMO_SOURCES)
    chart = parse_chart(render_chart(verdict))
    assert chart["labels"] == list(DEMO_SOURCES)
    series = chart["series"]
    assert set(series) == {("bar", "ensemble"), ("line", "threshold")} | {
        ("line", f"seed {s}") for s in range(5)
    }
    assert series[("line", "threshold")] == [0.95] * len(DEMO_SOURCES)
    assert series[("line", "seed 2")] == [round(r.plcc_by_seed["2"], 4) for r in verdict.per_source]
    assert series[("bar", "ensemble")] == [round(r.ensemble_plcc, 4) for r in verdict.per_source]


def test_no_chart_rather_than_a_wrong_one(tmp_path):
    many = tuple(f"s{i}" for i in range(MAX_SOURCES + 1))
    assert render_chart(judged(tmp_path / "many", sources=many)) == ""
    verdict = judged(tmp_path / "two", sources=("a", "b"))
    undefined = replace(verdict.per_source[0], ensemble_plcc=None)
    assert render_chart(replace(verdict, per_source=(undefined, verdict.per_source[1]))) == ""


def test_a_demo_size_body_collapses_the_details_and_stays_far_under_the_limit(tmp_path):
    flip = flip_for(tmp_path, sources=DEMO_SOURCES)
    body = build_body(ctx(flip, prior=shipped_prior(), branch="flipbot/registry"))
    text = body.text
    assert body.tier == 0 and len(text) < BODY_LIMIT // 4
    summaries = re.findall(r"<details>\n<summary>([^<]+)</summary>\n\n", text)
    assert summaries == [
        "Registry rows and files (old → new sha256)",
        "Provenance",
        "Verify locally",
        "Revert",
    ]
    assert text.index("### Gate") < text.index("### Per held-out source") < text.index("<details>")
    assert text.splitlines()[0].startswith("**PROMOTE**: flips seeds 0, 1, 2, 3, 4")
    assert "`stop-updating`" in text and "Commits you push to `flipbot/registry`" in text
    assert "sha256sum -c <<'EOF'" in text and "python -m trainer export --corpus" in text
    # the base held none of the files (paths=frozenset()): restore the registry, delete the rest
    checkout = f"git checkout {'f' * 40} -- \\\n  model/tiny/registry.json\ngit rm -- \\\n  model/"
    assert checkout in text and "deletes the 10 files this flip adds" in text


def test_a_repository_template_cannot_leave_out_an_override_warning(tmp_path):
    from bot.body.pr_body import BodyLayout
    from bot.conventions.templates import inline

    layout = BodyLayout(template=inline("## Models\n\n{{ gate_table }}\n", "body-template"))
    flip = flip_for(tmp_path)
    plain = build_body(ctx(flip), layout=layout).text
    assert plain.startswith("## Models\n") and "Warning" not in plain
    shipped = replace(flip, recipe_override=("epochs 50 (judged: 200)",))
    text = build_body(ctx(shipped), layout=layout).text
    assert text.startswith("**⚠ Warning: these models were fitted with another recipe")
    assert "epochs 50 (judged: 200)" in text and "## Models" in text
    # a template that shows the summary carries the warning once, where it put it
    with_summary = BodyLayout(template=inline("# Flip\n{{ summary }}", "body-template"))
    text = build_body(ctx(shipped), layout=with_summary).text
    assert text.startswith("# Flip\n") and text.count("fitted with another recipe") == 1


def test_template_variables_from_the_received_files_are_escaped_in_the_body(tmp_path):
    from bot.body.pr_body import BodyLayout
    from bot.conventions.templates import inline

    flip = flip_for(tmp_path)
    verdict = replace(flip.verdict, sources=("<img src=x>", "a|b"))
    layout = BodyLayout(template=inline("{{ sources | join(', ') }}\n", "body-template"))
    text = build_body(ctx(replace(flip, verdict=verdict)), layout=layout).text
    assert "<img" not in text and "a\\|b" in text


def test_the_gates_warnings_show_one_escaped_line_each_in_the_body_and_the_refusal(tmp_path):
    flip = flip_for(tmp_path)
    warnings = ("sources 'a' and 'b' hold the same frames", "twin <b>x</b> | y")
    flip = replace(flip, verdict=replace(flip.verdict, warnings=warnings))
    text = build_body(ctx(flip)).text
    lines = [line for line in text.splitlines() if line.startswith("- ⚠ ")]
    assert lines == [
        "- ⚠ sources 'a' and 'b' hold the same frames",
        "- ⚠ twin &lt;b&gt;x&lt;/b&gt; \\| y",
    ]
    assert "<b>" not in text
    refused = flip_for(tmp_path / "refused", refused=True)
    report = render_refusal(replace(refused, verdict=replace(refused.verdict, warnings=warnings)))
    assert report.count("- ⚠ ") == 2 and "<b>" not in report
