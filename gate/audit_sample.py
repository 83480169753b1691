"""Which (seed, held-out source) folds the audit re-trains, drawn so the training side cannot know.

The draw uses ``secrets.SystemRandom`` (the OS's entropy) after the loso
files have arrived, so a runner that forges some folds cannot tell which
ones will be re-derived. The sample is stratified by seed: ``n`` folds are
dealt over the seeds as evenly as possible (which seeds get one more is
drawn too) and, within a seed, sources are drawn without replacement. The
default, one fold per seed, audits every seed, so a seed file forged
throughout is always caught.

Detection (docs/DESIGN.md, "Audit"): with F sources, a seed with m_s forged
folds of which k_s are drawn escapes with C(F - m_s, k_s) / C(F, k_s); the
run escapes with the product over seeds, ``p_escape``.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from itertools import permutations
from math import comb, prod

from flipbot.inputs import rules


def parse_sample(text: str, n_seeds: int) -> int | None:
    """``--audit-sample``: ``default`` (one fold per seed: ``n_seeds``), a positive fold count,
    or ``all`` (None); by the rule the Action's ``audit-sample`` input uses too."""
    word = rules.audit_sample("--audit-sample", text)
    if word == rules.AUDIT_ALL:
        return None
    return n_seeds if word == rules.AUDIT_DEFAULT else int(word)


def draw_folds(
    seeds: Sequence[int],
    sources: Sequence[str],
    n: int | None,
    rng: secrets.SystemRandom | None = None,
) -> list[tuple[int, str]]:
    """``n`` (seed, source) folds (every fold when ``n`` is None), sorted by seed then source."""
    if n is None or n >= len(seeds) * len(sources):
        return [(s, src) for s in sorted(seeds) for src in sorted(sources)]
    rng = rng or secrets.SystemRandom()
    per_seed = dict.fromkeys(seeds, n // len(seeds))
    for seed in rng.sample(list(seeds), n % len(seeds)):
        per_seed[seed] += 1
    picks = [(s, src) for s, k in per_seed.items() for src in rng.sample(list(sources), k)]
    return sorted(picks)


def per_seed_counts(n_seeds: int, n_sources: int, n: int | None) -> list[int]:
    """Folds drawn per seed for a sample of ``n`` (seeds with one more first)."""
    if n is None or n >= n_seeds * n_sources:
        return [n_sources] * n_seeds
    return [n // n_seeds + (1 if i < n % n_seeds else 0) for i in range(n_seeds)]


def p_escape(forged: Sequence[int], drawn: Sequence[int], n_sources: int) -> float:
    """Chance that no forged fold is drawn: ``forged[s]`` of ``n_sources`` forged, ``drawn[s]`` drawn."""
    return prod(
        comb(n_sources - m, k) / comb(n_sources, k) for m, k in zip(forged, drawn, strict=True)
    )


def worst_p_detect(m: int, n_seeds: int, n_sources: int, n: int | None) -> float:
    """The smallest chance of catching ``m`` forged folds over every way to place them.

    The forger chooses how many folds of each seed to forge; the sample's
    per-seed counts are dealt at random to the seeds, so the chance is
    averaged over that deal. Exhaustive over placements (small sizes only).
    """
    counts = per_seed_counts(n_seeds, n_sources, n)
    best_escape = 0.0
    for placement in _placements(m, n_seeds, n_sources):
        escape = _mean_over_deals(placement, counts, n_sources)
        best_escape = max(best_escape, escape)
    return 1.0 - best_escape


def _placements(m: int, seeds: int, cap: int) -> list[tuple[int, ...]]:
    """Non-increasing tuples of ``seeds`` counts in [0, cap] summing to ``m``."""
    if seeds == 0:
        return [()] if m == 0 else []
    out = []
    for first in range(min(m, cap), -1, -1):
        for rest in _placements(m - first, seeds - 1, first):
            out.append((first, *rest))
    return out


def _mean_over_deals(placement: tuple[int, ...], counts: list[int], n_sources: int) -> float:
    """Mean escape chance over the distinct assignments of the per-seed counts to the seeds."""
    deals = set(permutations(counts))
    return sum(p_escape(placement, deal, n_sources) for deal in deals) / len(deals)
