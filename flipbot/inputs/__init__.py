"""The rules of every input, shared by the Action's inputs step and the bot's flags.

``rules`` holds one-line values (branch names, URLs, GitHub names, choices, the recipe, the
audit sample), ``thresholds`` the gate's thresholds and the loosening rule, ``files`` the inputs
that name files, ``table`` which Action input reaches the bot as which flag. Standard
library only.
"""

from flipbot.inputs import files, rules, thresholds
from flipbot.inputs.table import BY_NAME, INPUTS, Input, bound_of

__all__ = ["BY_NAME", "INPUTS", "Input", "bound_of", "files", "rules", "thresholds"]
