"""flipbot's shared contracts: the versioned JSON files the stages exchange.

Data flows one way: corpus -> trainer -> gate -> (trainer export) -> bot.
Every stage imports this package; this package imports no stage, no torch
and no GitHub client.
"""

__version__ = "0.1.0"
