"""One flip's title, commit message, extra files and row updates, rendered from the conventions.

Everything is rendered and checked before the first write: a template error,
an extra file outside the repository (or in ``.git``/``.github``, or on the
registry or a model file) or a title GitHub would refuse is an InputError.
The run URL is left out of these values on purpose: it changes on every run,
and an identical rerun must write nothing. Extra files and row updates do
not see the base commit either: they are committed, and a value that changed
with every base commit would never match the base after the merge, so the
bot could never tell that the base already holds the flip.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from bot.conventions.parse import Conventions
from bot.conventions.template_vars import flip_facts, row_facts
from bot.flip import Flip, ShippedFile
from bot.registry import Prior, RowChange, clean_repo_path
from flipbot.errors import InputError
from flipbot.jsonfile import sha256_bytes

TITLE_MAX = 256  # GitHub's limit
VALUE_MAX = 1000  # characters of one row-updates value


@dataclass(frozen=True)
class Rendered:
    title: str
    message: str  # without the trailers the bot adds
    extra_files: tuple[ShippedFile, ...]
    row_updates: dict[str, dict[str, str]]  # row id -> field -> value

    def changes(self, flip: Flip) -> tuple[RowChange, ...]:
        """The flip's row changes with the row updates attached."""
        return tuple(
            replace(c, updates=tuple(self.row_updates.get(c.id, {}).items())) for c in flip.changes
        )


def _extra_path(text: str, where: str, taken: set[str], registry: str) -> str:
    path = text.strip()
    parts = PurePosixPath(path).parts
    if len(path) > 255 or any(p.lower().startswith(".git") for p in parts):
        raise InputError(
            f"{where}: '{path[:80]}' may not be in .git or .github (nor be a .git* file); "
            "choose another path"
        )
    try:
        clean_repo_path(path, where)  # the same confinement as every other destination
    except InputError:
        raise InputError(
            f"{where}: '{path[:80]}' is not a clean repository-relative path (letters, digits, "
            "'._/-', no '..'); choose another path"
        ) from None
    if path == registry or path in taken:
        raise InputError(
            f"{where}: '{path}' is the registry or a file the flip already writes; choose another path"
        )
    return path


def render_conventions(
    conventions: Conventions, flip: Flip, *, base_sha: str, registry: str, prior: Prior
) -> Rendered:
    facts = flip_facts(flip, base_sha=base_sha, registry=registry, run_url=None)
    title = " ".join(conventions.title.render(facts).split())
    if title and flip.recipe_override:  # a trust warning no template can leave out
        title += " (RECIPE OVERRIDE)"
    if not title or len(title) > TITLE_MAX:
        raise InputError(
            f"input 'title-template': renders a title of {len(title)} characters; GitHub takes "
            f"1 to {TITLE_MAX}, fix the template"
        )
    message = conventions.commit_message.render(facts).strip()
    if not message:
        raise InputError("input 'commit-message-template': renders an empty message; fix it")
    stable = {k: v for k, v in facts.items() if k not in ("base_sha", "short_sha")}
    taken = {f.path for f in flip.files}
    extra = []
    for spec in conventions.extra_files:
        path = _extra_path(spec.path.render(stable), "input 'extra-files'", taken, registry)
        taken.add(path)
        data = spec.content.render(stable | {"path": path}).encode("utf-8")
        extra.append(ShippedFile(path, data, sha256_bytes(data)))
    updates: dict[str, dict[str, str]] = {}
    seeds = {r.id: r.seed for r in flip.plan.rows} if flip.plan else {}
    for change in flip.changes:
        row = dict(prior.rows.get(change.id, {}))
        for update in conventions.row_updates:
            value = " ".join(
                update.value.render(row_facts(stable, change.id, seeds.get(change.id), row)).split()
            )
            if len(value) > VALUE_MAX:
                raise InputError(
                    f"{update.value.where}: renders {len(value)} characters for row "
                    f"'{change.id}', at most {VALUE_MAX}; shorten the template"
                )
            updates.setdefault(change.id, {})[update.field] = value
    return Rendered(title, message, tuple(extra), updates)
