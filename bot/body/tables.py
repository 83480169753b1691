"""The per-source table of the PR body: the gate's one renderer (:func:`gate.render.render_source_table`)
with the spread column and the per-seed mean row that tie every number to a rule."""

from __future__ import annotations

from functools import partial

from gate.render import render_source_table as _render_source_table

render_source_table = partial(_render_source_table, with_rules=True)
