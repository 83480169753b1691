"""flipbot gate: the ADR-0303 two-part production gate (never imports torch)."""
