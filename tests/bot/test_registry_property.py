"""Property: whatever rows are targeted and however the JSON is laid out, only their values change."""

from __future__ import annotations

import json
import re

from bot_inputs import SHIPPED_REGISTRY
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.registry.flip import RowChange, flip_registry

TEXT = SHIPPED_REGISTRY.read_text(encoding="utf-8")
IDS = [r["id"] for r in json.loads(TEXT)["models"]]


def relayout(text: str, spaces: list[str]) -> str:
    """Replace the whitespace after each ':' and ',' with drawn whitespace (still valid JSON)."""
    parts = re.split(r'(?<=[:,])[ \n]+(?=["\[{0-9tfn])', text)
    out = [parts[0]]
    for i, part in enumerate(parts[1:]):
        out += [spaces[i % len(spaces)], part]
    return "".join(out)


@settings(max_examples=40, deadline=None)
@given(
    targets=st.lists(st.sampled_from(IDS), unique=True, max_size=len(IDS)),
    spaces=st.lists(st.sampled_from([" ", "", "\n  ", "\t", "\r\n"]), min_size=1, max_size=5),
    sha=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    smoke=st.booleans(),
)
def test_only_the_targeted_values_change_in_any_layout(targets, spaces, sha, smoke):
    text = relayout(TEXT, spaces)
    edit = flip_registry(text, [RowChange(t, sha, smoke) for t in targets], "r.json")
    before, after = json.loads(text)["models"], json.loads(edit.after)["models"]
    for old, new in zip(before, after, strict=True):
        expected = old | {"sha256": sha, "smoke": smoke} if old["id"] in targets else old
        assert new == expected and list(new) == list(old)
    # Everything but the replaced tokens is byte-identical: same length difference as the tokens.
    changed_tokens = sum(
        (len(json.dumps(sha)) - len(json.dumps(o["sha256"])))
        + (len(json.dumps(smoke)) - len(json.dumps(o["smoke"])))
        for o in before
        if o["id"] in targets
    )
    assert len(edit.after) - len(text) == changed_tokens
    assert (edit.method == "canonical") == (text == TEXT)
