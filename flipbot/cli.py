"""The one place a command turns an exception into a message and an exit code."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

from flipbot.errors import EXIT_BUG, EXIT_INPUT, InputError
from flipbot.untrusted_text import log_line


def run_guarded(
    prog: str, body: Callable[[], int], *, on_input_error: Callable[[str], None] | None = None
) -> int:
    """Run ``body``: an InputError prints one line and exits 2; any other error is a bug (3)."""
    try:
        return body()
    except InputError as exc:
        message = log_line(str(exc))  # may quote the training side's text: one line, no command
        print(f"{prog}: error: {message}", file=sys.stderr)
        if on_input_error is not None:
            on_input_error(message)
        return EXIT_INPUT
    except Exception:
        traceback.print_exc()
        print(
            f"{prog}: internal error; this is a bug in flipbot, please report it with the "
            "traceback above",
            file=sys.stderr,
        )
        return EXIT_BUG
