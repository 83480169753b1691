"""The ``Flip`` record: what one bot run ships (verdict, plan, files, drift report).

The names the rest of the bot may use; everything else is private to the package.
"""

from __future__ import annotations

from bot.flip.base import BaseView
from bot.flip.drift import load_drift
from bot.flip.record import Flip, ShippedFile, load_calibration

__all__ = ["BaseView", "Flip", "ShippedFile", "load_calibration", "load_drift"]
