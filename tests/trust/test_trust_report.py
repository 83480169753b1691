"""What the report shows from received files is escaped; the plots link must be on GitHub's web host."""

from __future__ import annotations

import logging

import pytest
from bot_inputs import make_verdict, verified_flip, write_inputs

from bot.body.pr_body import BodyContext, build_body, render_refusal, render_summary
from bot.config import build_config

HOSTILE = (
    "<script>alert(1)</script>",
    "a|b",
    "`code`",
    "[click](https://evil.example)",
    "two\nlines",
    "&amp;",
    "<img src=x onerror=alert(1)>",
)


def test_hostile_source_names_are_escaped_in_the_body_and_the_summary(tmp_path):
    write_inputs(tmp_path, make_verdict(seeds=(0, 1), sources=HOSTILE))
    flip = verified_flip(tmp_path)
    context = BodyContext(flip, "f" * 40, "model/tiny/registry.json", None)
    for text in (build_body(context).text, render_summary(context, "created", None)):
        assert "<script>" not in text and "<img" not in text
        # The brackets are escaped, so no link is made.
        assert "\\[click\\](https://evil.example)" in text
        assert "[click](" not in text.replace("\\[click\\](", "")
        assert "&amp;amp;" in text and "&lt;script&gt;" in text
        table = [line for line in text.splitlines() if "\\|" in line and "a\\|b" in line]
        assert len(table) == 1 and table[0].count(" | ") == text.splitlines()[
            text.splitlines().index(table[0]) - 1
        ].count(" | ")
        assert "two lines" in text and "\ntwo" not in text.replace("\ntwo lines", "")


def test_a_refusal_report_escapes_the_sources_too(tmp_path):
    write_inputs(tmp_path, make_verdict(seeds=(0, 1), sources=HOSTILE, refused=True))
    text = render_refusal(verified_flip(tmp_path))
    assert "<script>" not in text and "&lt;script&gt;" in text


def config_with(plots: str, api_url: str = "https://api.github.com"):
    return build_config(
        verdict_dir="v",
        artifacts="a",
        registry="model/tiny/registry.json",
        repo="octo/models",
        base="main",
        mode="dry-run",
        api_url=api_url,
        env={"FLIPBOT_PLOTS_URL": plots},
    )


@pytest.mark.parametrize(
    ("api_url", "plots", "kept"),
    [
        ("https://api.github.com", "https://github.com/o/r/actions/runs/1/artifacts/2", True),
        ("https://api.github.com", "https://evil.example/o/r/actions/runs/1", False),
        ("https://api.github.com", "http://github.com/o/r/actions/runs/1/artifacts/2", False),
        ("https://api.github.com", "https://github.com.evil.example/x", False),
        ("https://api.github.com", "https://github.com/x)<script>alert(1)</script>", False),
        ("https://api.github.com", "javascript:alert(1)", False),
        ("https://ghe.corp.example/api/v3", "https://ghe.corp.example/o/r/actions/runs/1", True),
        ("https://ghe.corp.example/api/v3", "https://github.com/o/r/actions/runs/1", False),
    ],
)
def test_the_plots_link_must_be_https_on_the_api_hosts_web_host(api_url, plots, kept, caplog):
    with caplog.at_level(logging.WARNING, logger="bot"):
        config = config_with(plots, api_url)
    assert config.plots_url == (plots if kept else None)
    assert ("FLIPBOT_PLOTS_URL dropped" in caplog.text) is (not kept)
