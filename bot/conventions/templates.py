"""Repository templates for the flip PR's title, commit message, body and extra files.

Jinja2's ``SandboxedEnvironment`` with ``StrictUndefined``: a template sees
only the plain values it is given (:mod:`bot.conventions.template_vars`), may not reach
Python internals (``''.__class__`` ...), has no loader (``include``,
``import`` and ``extends`` cannot read a file) and cannot build huge values
(``range`` is capped by the sandbox, ``*`` and ``**`` here). Any error is the
template's: an :class:`InputError` naming its file (or input) and line, raised
before anything is written.

The defaults follow Conventional Commits, which many repositories check in CI.
"""

from __future__ import annotations

import operator
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from flipbot.errors import InputError

DEFAULT_TITLE = "feat(models): promote {{ ensemble }} seeds {{ seeds_text }} to production"
DEFAULT_COMMIT = (
    "feat(models): promote {{ ensemble }} seeds {{ seeds_text }} to production\n\n"
    "Registry {{ registry }}: {{ flipped_ids | join(', ') }} get the exported sha256 and "
    "smoke: false ({{ decision }}, mean PLCC {{ '%.5f' | format(mean_plcc) }}).\n"
)
MAX_OUTPUT = 1 << 20  # characters one template may produce
MAX_TEMPLATE = 64 * 1024  # characters of template source
_MAX_REPEAT = 100_000  # longest str/list a template may build with '*'


class _Sandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, (int, float)) and abs(right) > 64:
                raise SecurityError("exponents above 64 are not allowed in a template")
            return operator.pow(left, right)
        sizes = [len(v) for v in (left, right) if isinstance(v, (str, list, tuple))]
        counts = [v for v in (left, right) if isinstance(v, int) and not isinstance(v, bool)]
        if sizes and counts and sizes[0] * max(counts[0], 0) > _MAX_REPEAT:
            raise SecurityError(f"a repeated value longer than {_MAX_REPEAT} is not allowed")
        return operator.mul(left, right)


_ENV = _Sandbox(
    undefined=StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
    loader=None,  # no include/import/extends: a template can read no file
)


@dataclass(frozen=True)
class Template:
    """One template's source and where it came from (a file path or ``input 'NAME'``)."""

    source: str
    where: str

    def render(self, variables: Mapping[str, Any]) -> str:
        """The rendered text; an InputError naming ``where`` and the line on any failure."""
        try:
            compiled = _ENV.from_string(self.source)
        except TemplateSyntaxError as exc:
            raise InputError(
                f"{self.where}: line {exc.lineno}: template syntax error ({exc.message}); "
                "fix the template"
            ) from None
        try:
            text = compiled.render(**variables)
        except Exception as exc:  # anything a template does wrong is the template's error
            raise InputError(
                f"{self.where}: line {_line(exc)}: {_what(exc)}; fix the template "
                f"(variables: {', '.join(sorted(variables))})"
            ) from None
        if len(text) > MAX_OUTPUT:
            raise InputError(
                f"{self.where}: renders {len(text)} characters, more than {MAX_OUTPUT}; "
                "shorten the template"
            )
        return text


def _line(exc: BaseException) -> int | str:
    lines = [
        f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<template>"
    ]
    return lines[-1] if lines and lines[-1] is not None else "?"


def _what(exc: BaseException) -> str:
    if isinstance(exc, SecurityError):
        return f"not allowed in the sandbox ({exc})"
    if isinstance(exc, TypeError) and "no loader" in str(exc):
        return "include, import and extends cannot read files here"
    return f"{type(exc).__name__}: {exc}"


def inline(text: str, name: str) -> Template:
    """A template given as an input's value."""
    if len(text) > MAX_TEMPLATE:
        raise InputError(f"input '{name}': {len(text)} characters, more than {MAX_TEMPLATE}")
    return Template(text, f"input '{name}'")


def from_file(path: Path, shown: str) -> Template:
    """A template file of the repository (``shown``: its repository-relative path)."""
    try:
        data = path.read_bytes()
    except OSError:
        raise InputError(f"{shown}: template file not found; check the path") from None
    if len(data) > MAX_TEMPLATE:
        raise InputError(f"{shown}: {len(data)} bytes, more than {MAX_TEMPLATE}; shorten it")
    try:
        return Template(data.decode("utf-8"), shown)
    except UnicodeDecodeError:
        raise InputError(f"{shown}: not UTF-8 text; save the template as UTF-8") from None


@dataclass(frozen=True)
class BodyLayout:
    """A repository's own body: a whole template, or a header/footer around the default."""

    template: Template | None = None
    header: Template | None = None
    footer: Template | None = None
