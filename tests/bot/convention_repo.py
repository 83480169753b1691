"""A model repository with its own PR rules, and the checker its CI would run.

The rules are the ones real repositories enforce in required checks:
- Conventional Commits for the PR title and the commit's subject line;
- the PR template's checklist: every item ticked (``- [x] ...``) or opted out
  on its own line (``no rebase impact: REASON``), as a CI script parses it;
- one changelog fragment per PR, ``changelog.d/<section>/<topic>.md`` with a
  known section and a non-empty entry (edits to CHANGELOG.md are refused).
"""

from __future__ import annotations

import re
from pathlib import Path

CC_SUBJECT = re.compile(
    r"^(feat|fix|perf|refactor|docs|test|build|ci|chore|revert)(\([a-z0-9._-]+\))?!?: \S.{0,90}$"
)
SECTIONS = ("added", "changed", "fixed", "removed")
CHECKLIST = {  # item text -> the key of its one-line opt-out
    "Tests pass": "tests",
    "Changelog fragment added": "changelog",
    "Model card updated": "model card",
    "Rebase impact considered": "rebase impact",
}

PR_TEMPLATE = """## What
<!-- one paragraph -->

## Checklist
- [ ] Tests pass
- [ ] Changelog fragment added
- [ ] Model card updated
- [ ] Rebase impact considered
<!-- or opt out of an item on its own line: "no rebase impact: REASON" -->
"""

# The repository's body template for flipbot: its own PR template, filled in, with the bot's tables.
BODY_TEMPLATE = """## What
Promote the LOSO-validated deep-ensemble members of `{{ ensemble }}` ({{ decision }}).

{{ summary }}
### Gate
{{ gate_table }}
### Per held-out source
{{ source_table }}
{{ chart }}
<details>
<summary>Registry rows and files</summary>

{{ changes }}
</details>

## Checklist
- [x] Tests pass: the LOSO gate ({{ '%.5f' | format(mean_plcc) }} mean PLCC, {{ sources | length }} held-out sources)
- [x] Changelog fragment added: `changelog.d/changed/{{ ensemble }}.md`
- no model card: the registry rows carry the notes; the sidecars hold the provenance
- no rebase impact: only model files and their registry rows change

{{ controls }}
"""

CHANGELOG_TEMPLATE = """Promote `{{ ensemble }}` seeds {{ seeds_text }} to production ({{ decision }}, mean LOSO PLCC {{ '%.4f' | format(mean_plcc) }} on {{ sources | length }} held-out sources; corpus sha256 `{{ corpus_sha256[:12] }}`).
"""


def write_repo(root: Path) -> Path:
    """The template files of the repository, under ``root``."""
    (root / ".github" / "flipbot").mkdir(parents=True, exist_ok=True)
    (root / ".github" / "pull_request_template.md").write_text(PR_TEMPLATE)
    (root / ".github" / "flipbot" / "body.md").write_text(BODY_TEMPLATE)
    (root / ".github" / "flipbot" / "changelog.md").write_text(CHANGELOG_TEMPLATE)
    return root


def repo_argv() -> list[str]:
    """The bot flags that make flipbot follow this repository's rules."""
    return [
        "--title-template",
        "feat(models): promote {{ ensemble }} seeds {{ seeds_text }}",
        "--commit-message-template",
        "feat(models): promote {{ ensemble }} seeds {{ seeds_text }}\n\n"
        "Gate {{ decision }}, mean PLCC {{ '%.5f' | format(mean_plcc) }}.",
        "--body-template",
        ".github/flipbot/body.md",
        "--extra-files",
        "changelog.d/changed/{{ ensemble }}.md=.github/flipbot/changelog.md",
        "--row-updates",
        "notes=Deep-ensemble member, seed {{ seed }}; promoted by the LOSO gate "
        "(mean PLCC {{ '%.4f' | format(mean_plcc) }}, corpus {{ corpus_sha256[:12] }}).",
    ]


def check_pr(title: str, commit_message: str, body: str, added: dict[str, bytes]) -> list[str]:
    """The repository's CI verdict on a PR: the list of rules it breaks (empty: passes)."""
    problems = []
    if not CC_SUBJECT.match(title):
        problems.append(f"title is not a Conventional Commit: {title!r}")
    subject = commit_message.splitlines()[0] if commit_message else ""
    if not CC_SUBJECT.match(subject):
        problems.append(f"commit subject is not a Conventional Commit: {subject!r}")
    for item, key in CHECKLIST.items():
        ticked = re.search(rf"^- \[[xX]\] {re.escape(item)}\b", body, re.MULTILINE)
        opted = re.search(rf"^- no {re.escape(key)}: \S", body, re.MULTILINE)
        if not (ticked or opted):
            problems.append(f"checklist item {item!r} is neither ticked nor opted out")
    fragments = [
        p for p in added if re.fullmatch(rf"changelog\.d/({'|'.join(SECTIONS)})/[\w.-]+\.md", p)
    ]
    if "CHANGELOG.md" in added:
        problems.append("CHANGELOG.md edited; add a fragment under changelog.d/ instead")
    if len(fragments) != 1:
        problems.append(f"expected one changelog fragment, found {len(fragments)}")
    elif not added[fragments[0]].strip():
        problems.append(f"{fragments[0]} is empty")
    return problems
