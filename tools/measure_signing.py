"""Offline verification cost: the Sigstore backend's import, the shipped trusted root, and one
bundle check (a real GitHub-signed bundle from the tests). Results: docs/PERFORMANCE.md.

Run from the repository root: PYTHONPATH=. .venv/bin/python tools/measure_signing.py
"""

from __future__ import annotations

import time
from pathlib import Path

t0 = time.perf_counter()
from bot.signing.sigstore_backend import SigstoreChecker  # noqa: E402

imported = time.perf_counter() - t0
from bot.signing.policy import IdentityPolicy, runtime_pattern  # noqa: E402

t0 = time.perf_counter()
checker = SigstoreChecker.production(offline=True)
root = time.perf_counter() - t0
folder = Path("tests/bot/data/sigstore/sigstore-python")
data = (folder / "bundle_v3_github.whl").read_bytes()
bundle = (folder / "bundle_v3_github.whl.sigstore").read_bytes()
policy = IdentityPolicy(runtime_pattern("trailofbits/rfc8785.py"))
checker.check_blob(data, bundle, policy)
runs = 20
t0 = time.perf_counter()
for _ in range(runs):
    checker.check_blob(data, bundle, policy)
each = (time.perf_counter() - t0) / runs
print(
    f"import backend: {imported * 1000:.0f} ms; Verifier.production(offline=True): "
    f"{root * 1000:.1f} ms; check_blob: {each * 1000:.1f} ms (mean of {runs})"
)
