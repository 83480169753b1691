"""Length bounds on every string a person or a workflow passes in (flags, inputs, environment).

A 120 kB path used to reach ``Path.exists`` and come back as ``OSError:
File name too long`` (exit 3). Each value is measured before anything
parses or echoes it, and the error names the input and its length rather
than quoting it.
"""

from __future__ import annotations

from flipbot.errors import InputError

# A text input (labels, URLs, names): generous for any real value.
MAX_INPUT = 4096
# A path input: a repository path is far shorter; with a workspace prefix it
# stays under Linux's PATH_MAX (4096), and each part under NAME_MAX (255 bytes).
MAX_PATH = 1024
MAX_PATH_PART = 255


def check_length(name: str, text: str, limit: int = MAX_INPUT) -> str:
    """``text`` if it holds at most ``limit`` characters; else an InputError naming ``name``."""
    if len(text) > limit:
        raise InputError(
            f"{name}: the value is {len(text)} characters long, more than the {limit} allowed; "
            "pass a shorter value"
        )
    return text


def check_path_length(name: str, text: str) -> str:
    """A path of at most MAX_PATH characters whose every part fits a file name (255 bytes)."""
    check_length(name, text, MAX_PATH)
    for part in text.replace("\\", "/").split("/"):
        if len(part.encode("utf-8", "surrogateescape")) > MAX_PATH_PART:
            raise InputError(
                f"{name}: a part of the path is {len(part)} characters long, more than the "
                f"{MAX_PATH_PART} bytes a file name may have; pass a shorter path"
            )
    return text
