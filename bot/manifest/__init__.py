"""The files beside the registry a flip keeps in sync: the ensemble manifest and the external-data files it removes.

The names the rest of the bot may use; everything else is private to the package.
"""

from __future__ import annotations

from bot.manifest.external_data import Removal, other_models, stale_data_files
from bot.manifest.flip import ensemble_files
from bot.manifest.sync import describe

__all__ = ["Removal", "describe", "ensemble_files", "other_models", "stale_data_files"]
