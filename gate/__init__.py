"""flipbot gate: the ADR-0303 two-part production gate (never imports torch).

It reads the ``loso_seed{N}.json`` files of one LOSO run, checks them,
evaluates the three rules, applies the flip policy and writes PROMOTE.json
or HOLD.json pinned to the exact files it judged. No trainer, no GitHub.
"""
