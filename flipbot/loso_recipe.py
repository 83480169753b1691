"""The recipe a workflow trains with, as loso files record it, without torch.

The trusted side ties every loso file to this recipe (``gate.corpus_tie``):
the knobs come from its own flags (``--epochs``, ``--batch-size``), never
from the file. ``trainer.recipe.Recipe`` is the recipe that trains; a test
(tests/trainer/test_audit_retrain.py) holds ``Recipe(...).to_json()`` equal to
``recipe_json(...)`` so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from flipbot.features import ENCODER_VOCAB_VERSION, NUM_CODECS

DEFAULT_EPOCHS = 200
DEFAULT_BATCH_SIZE = 32
_DEFAULTS: dict[str, Any] = {
    "lr": 5e-4,
    "weight_decay": 1e-5,
    "beta1": 0.9,
    "beta2": 0.999,
    "eps": 1e-8,
    "hidden": 64,
    "dropout": 0.1,
    "dtype": "float32",
    "dropout_mask": "pool",
}


def recipe_json(
    epochs: int = DEFAULT_EPOCHS, batch_size: int = DEFAULT_BATCH_SIZE
) -> dict[str, Any]:
    """``Recipe(epochs=epochs, batch_size=batch_size).to_json()``."""
    return {"epochs": epochs, "batch_size": batch_size, **_DEFAULTS}


def recipe_fields(
    epochs: int = DEFAULT_EPOCHS, batch_size: int = DEFAULT_BATCH_SIZE
) -> dict[str, Any]:
    """Every recipe field of a loso file (SPEC §5) as ``trainer loso`` writes it for this recipe."""
    recipe = recipe_json(epochs, batch_size)
    return {
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": recipe["lr"],
        "weight_decay": recipe["weight_decay"],
        "num_codecs": NUM_CODECS,
        "encoder_vocab_version": ENCODER_VOCAB_VERSION,
        "recipe": recipe,
    }
