"""The drift section of the PR body: how far the new models' scores move from the old ones.

The slot the default body (and every body template, as ``drift``) reserves
for it, filled from the flip's drift report (bot/flip/drift.py, written by
``trainer export``): the compact form in the PR body (per seed, the ensemble
per source), the full one (every seed per source and encoder) in the job
summary. Informational, never part of the decision. An empty string leaves
the section out.
"""

from __future__ import annotations

from bot.body.context import BodyContext


def render_drift(ctx: BodyContext, *, full: bool = False) -> str:
    """Markdown for the drift section (without its heading), or "" when there is no report."""
    drift = ctx.flip.drift
    if drift is None:
        return ""
    text = drift.full if full else drift.compact
    first, _, rest = text.partition("\n")
    # The default body puts the section under its own <details> title.
    return rest.lstrip("\n") if first.startswith("### ") else text
