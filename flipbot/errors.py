"""Error types shared by every stage; the CLIs map them to exit codes."""


class InputError(Exception):
    """Bad input or usage: the user must fix something (exit 2).

    The message is one sentence that names the file (and line or field) and
    the fix, e.g. ``corpus.jsonl:12: key 'vmaf' is missing; add it``.
    """


EXIT_OK = 0
EXIT_NO = 1  # a legitimate "no" from the data: HOLD, refusal
EXIT_INPUT = 2
EXIT_BUG = 3
