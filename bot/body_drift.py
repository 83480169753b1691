"""The drift section of the PR body: how far the new models' scores move from the old ones.

The slot the default body (and every body template, as ``drift``) reserves
for it; rendered by the drift work (trainer/drift.py, docs/CALIBRATION.md).
An empty string leaves the section out.
"""

from __future__ import annotations

from bot.body_context import BodyContext


def render_drift(ctx: BodyContext) -> str:
    """Markdown for the drift section, or "" while the flip carries no drift report."""
    del ctx
    return ""
