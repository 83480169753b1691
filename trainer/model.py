"""The network (SPEC §4): 5,569 parameters.

concat(features[6], codec[14]) -> Linear(20,64) -> GELU -> Dropout(0.1)
-> Linear(64,64) -> GELU -> Dropout(0.1) -> Linear(64,1) -> squeeze.
"""

from __future__ import annotations

import torch
from torch import nn

from flipbot.features import FEATURE_ORDER, NUM_CODECS

N_FEATURES = len(FEATURE_ORDER)  # 6
HIDDEN = 64
DROPOUT = 0.1


class FrRegressor(nn.Module):
    def __init__(self, hidden: int = HIDDEN, dropout: float = DROPOUT) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(N_FEATURES + NUM_CODECS, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, 1),
        )

    def forward(self, features: torch.Tensor, codec_onehot: torch.Tensor) -> torch.Tensor:
        # features [B, 6] (already standardised), codec_onehot [B, 14] -> score [B]
        return self.net(torch.cat([features, codec_onehot], dim=-1)).squeeze(-1)


def n_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
