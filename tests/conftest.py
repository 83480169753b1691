"""Settings shared by every test folder: the Hypothesis profile of a mutation run.

mutmut 3 runs the tests in-process with ``MUTANT_UNDER_TEST`` in the environment
(docs/MUTATION.md). Only then the ``mutation`` profile is loaded: fewer examples,
no deadline (a mutant may be slow without being wrong), no example database (a
failing example of one mutant must not be replayed for the next) and a fixed
seed, so a mutant's verdict does not depend on the draw. ``make test`` keeps
Hypothesis's defaults. A test's own ``@settings(max_examples=...)`` still wins.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

MUTATION_PROFILE = "mutation"
settings.register_profile(
    MUTATION_PROFILE, max_examples=25, deadline=None, database=None, derandomize=True
)


def pytest_configure(config: pytest.Config) -> None:
    if "MUTANT_UNDER_TEST" in os.environ:
        settings.load_profile(MUTATION_PROFILE)
