"""Measure what OpenAPI validation costs per request on the create-PR flow.

    .venv/bin/python tests/bot/standin/bench.py [--rounds 5]

Prints the mean wall time per request seen by PyGithub and the part of it
spent validating the request and the response.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from github import InputGitTreeElement

from standin import GitHubStandin


def one_round(root: Path, n: int) -> tuple[int, float, float]:
    with GitHubStandin(root) as standin:
        standin.seed({"model/tiny/registry.json": b"{}\n"})
        repo = standin.pygithub().get_repo(standin.repo_full_name)
        started = time.perf_counter()
        base = repo.get_branch("main").commit.sha
        blob = repo.create_git_blob(f"round {n}\n", "utf-8")
        element = InputGitTreeElement("model/tiny/registry.json", "100644", "blob", sha=blob.sha)
        tree = repo.create_git_tree([element], base_tree=repo.get_git_tree(base))
        commit = repo.create_git_commit("flip", tree, [repo.get_git_commit(base)])
        repo.create_git_ref("refs/heads/flipbot/registry", commit.sha)
        pr = repo.create_pull(title="Flip", body="b", head="flipbot/registry", base="main")
        list(repo.get_pulls(head="octo:flipbot/registry"))
        pr.add_to_labels("flipbot")
        pr.create_issue_comment("c")
        list(pr.get_commits())
        elapsed = time.perf_counter() - started
        standin.assert_valid()
        count = len(standin.requests) - 1  # the GET /repos before the clock started
        return count, elapsed, standin.journal.validation_seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="create-PR flows to run")
    args = parser.parse_args(argv)
    total_n = total_t = total_v = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.rounds):
            count, elapsed, validation = one_round(Path(tmp) / str(n), n)
            if n == 0:
                print(f"first round (parses the spec): {elapsed / count * 1000:.1f} ms/request")
                continue
            total_n, total_t, total_v = total_n + count, total_t + elapsed, total_v + validation
    print(f"requests: {int(total_n)} over {args.rounds - 1} rounds")
    print(f"wall per request: {total_t / total_n * 1000:.1f} ms")
    print(f"validation per request (request + response): {total_v / total_n * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
