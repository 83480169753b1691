"""A stateful GitHub REST API stand-in for PyGithub, validated against GitHub's OpenAPI."""

from .faults import Fault, Faults
from .gitstore import CommitObject, GitStore, Signature
from .server import Recorded
from .standin import BOT_EMAIL, BOT_LOGIN, HUMAN, GitHubStandin
from .state import Comment, Label, Pull

__all__ = [
    "BOT_EMAIL",
    "BOT_LOGIN",
    "HUMAN",
    "Comment",
    "CommitObject",
    "Fault",
    "Faults",
    "GitHubStandin",
    "GitStore",
    "Label",
    "Pull",
    "Recorded",
    "Signature",
]
