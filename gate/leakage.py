"""Source leakage: two held-out sources that look like one clip under two names (informational).

LOSO assumes the sources are distinct clips. If one clip is in the corpus
twice under two names, each copy's fold trains on its twin and its held-out
PLCC is optimistic. The gate never reads the corpus (see ``gate.pins``), so
it compares what the loso files carry: each source's held-out VMAF targets,
one per frame. Distinct clips of the shipped corpus share at most one target
value below the ceiling among thousands; a renamed copy shares all of them.

Targets at VMAF's ends (0 and 100) are left out: clean frames of different
clips saturate at 100 alike (in the shipped corpus, 562 of the 3,000 frames
of ``bikes`` score exactly 100.0, as do 841 of ``alea``'s).

A finding is a warning in the report and the verdict, never a verdict change.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import combinations

from gate.loso_set import LosoSet

VMAF_FLOOR, VMAF_CEILING = 0.0, 100.0
SHARED_SHARE = 0.5  # "most frames": at least half of the smaller source's frames
MIN_FRAMES = 10  # fewer comparable frames than this prove nothing either way


@dataclass(frozen=True)
class TwinSources:
    first: str
    second: str
    shared: int  # frames (below the ceiling) whose target the other source also has
    frames: int  # comparable frames of the smaller of the two sources

    @property
    def share(self) -> float:
        return self.shared / self.frames

    def warning(self) -> str:
        return (
            f"sources '{self.first}' and '{self.second}' look identical: {self.shared} of "
            f"{self.frames} frames have the same VMAF target in both ({self.share:.0%}); if they "
            "are one clip under two names, each one's held-out PLCC is optimistic (its model "
            "trained on the twin): drop or merge one in the corpus (informational, the verdict "
            "does not change)"
        )


def twin_sources(run: LosoSet) -> tuple[TwinSources, ...]:
    """Every pair of held-out sources that share most of their (unsaturated) targets."""
    targets = {
        fold.held_out: Counter(v for v in fold.y_true if VMAF_FLOOR < v < VMAF_CEILING)
        for fold in run.first.folds
    }
    found = []
    for a, b in combinations(sorted(targets), 2):
        frames = min(sum(targets[a].values()), sum(targets[b].values()))
        if frames < MIN_FRAMES:
            continue
        shared = sum((targets[a] & targets[b]).values())
        if shared >= SHARED_SHARE * frames:
            found.append(TwinSources(a, b, shared, frames))
    return tuple(found)
