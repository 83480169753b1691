"""The project's import graph: modules, arrows, floors and circles, read from the source (AST).

    python tools/import_graph.py                 # the whole house (bot gate trainer flipbot corpus)
    python tools/import_graph.py --package bot   # one package: its modules and arrows among them
    python tools/import_graph.py --package bot --rooms   # one node per top-level room of bot/
    python tools/import_graph.py --package bot --json

An *arrow* is one module importing another module of the project (``import a.b``, ``from a.b
import c``, ``from a import b`` where ``b`` is a module); an import inside a function or under
``if TYPE_CHECKING:`` counts too: it is still a dependency, only a hidden one. A *circle* is a
strongly connected component of more than one module. *Floors* is the length, in modules, of the
longest chain of arrows once each circle is squeezed into one node. *Top-level rooms* are the
package's modules and subpackages directly under its folder. *Indented imports* are imports made
inside a function or class body (not under ``if TYPE_CHECKING:``): each one needs a reason.
With ``--rooms`` every module is squeezed into its top-level room (``bot.registry.rows`` ->
``bot.registry``): a circle there is an arrow running back up between rooms.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("bot", "gate", "trainer", "flipbot", "corpus")


@dataclass(frozen=True)
class Graph:
    modules: list[str]
    arrows: dict[str, set[str]]
    indented: list[str]  # "module:line imported" of imports inside functions or classes


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import with whether it sits inside a function or class body."""
    found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []

    def walk(node: ast.AST, inside: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append((child, inside))
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                walk(child, True)
            else:
                walk(child, inside)

    walk(tree, False)
    return found


def build(root: Path, packages: tuple[str, ...]) -> Graph:
    files = {
        module_name(root, p): p
        for pkg in packages
        for p in sorted((root / pkg).rglob("*.py"))
        if "__pycache__" not in p.parts
    }
    known = set(files)
    arrows: dict[str, set[str]] = {m: set() for m in files}
    indented: list[str] = []
    for mod, path in files.items():
        is_pkg = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, inside in _imports(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    targets.append(sub if sub in known else base)
            for t in targets:
                while t and t not in known:  # `import a.b.c` of a non-module: its package
                    t = t.rpartition(".")[0]
                if t and t != mod:
                    arrows[mod].add(t)
                    if inside:
                        indented.append(f"{mod}:{node.lineno} {t}")
    return Graph(sorted(files), arrows, sorted(set(indented)))


def circles(g: Graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in g.modules:
        if start in index:
            continue
        work = [(start, iter(sorted(g.arrows[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(g.arrows[w]))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out)


def floors(g: Graph) -> int:
    """Longest chain of arrows, in modules, with each circle squeezed into one node."""
    comp_of = {m: m for m in g.modules}
    for c in circles(g):
        for m in c:
            comp_of[m] = c[0]
    edges: dict[str, set[str]] = {comp_of[m]: set() for m in g.modules}
    for a, bs in g.arrows.items():
        for b in bs:
            if comp_of[a] != comp_of[b]:
                edges[comp_of[a]].add(comp_of[b])
    depth: dict[str, int] = {}

    def d(n: str) -> int:
        if n not in depth:
            depth[n] = 0  # placeholder; the squeezed graph has no cycle
            depth[n] = 1 + max((d(x) for x in edges[n]), default=0)
        return depth[n]

    sys.setrecursionlimit(10_000)
    return max((d(n) for n in edges), default=0)


def restrict(g: Graph, package: str) -> Graph:
    inside = [m for m in g.modules if m == package or m.startswith(package + ".")]
    keep = set(inside)
    arrows = {m: {t for t in g.arrows[m] if t in keep} for m in inside}
    indented = [i for i in g.indented if i.split(":")[0] in keep]
    return Graph(inside, arrows, indented)


def rooms(g: Graph, package: str) -> Graph:
    """Squeeze each module into its room: the package's top-level module or subpackage."""
    depth = package.count(".") + 2

    def room(m: str) -> str:
        return ".".join(m.split(".")[:depth])

    arrows: dict[str, set[str]] = {}
    for m in g.modules:
        arrows.setdefault(room(m), set())
        arrows[room(m)] |= {room(t) for t in g.arrows[m] if room(t) != room(m)}
    arrows.pop(package, None)  # the package's own __init__ is no room
    for v in arrows.values():
        v.discard(package)
    return Graph(sorted(arrows), arrows, g.indented)


def top_level_rooms(root: Path, package: str) -> int:
    folder = root / package.replace(".", "/")
    mods = [p for p in folder.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    subs = [p for p in folder.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    return len(mods) + (folder / "__main__.py").exists() + len(subs)


def summary(root: Path, package: str | None, by_room: bool = False) -> dict[str, object]:
    g = build(root, PACKAGES)
    if package:
        g = restrict(g, package)
        if by_room:
            g = rooms(g, package)
    cs = circles(g)
    result: dict[str, object] = {
        "scope": (package or "+".join(PACKAGES)) + (" (rooms)" if by_room else ""),
        "modules": len(g.modules),
        "arrows": sum(len(v) for v in g.arrows.values()),
        "floors": floors(g),
        "circles": cs,
        "indented_imports": g.indented,
    }
    if package:
        result["top_level_rooms"] = top_level_rooms(root, package)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    p.add_argument("--package", help="one package (e.g. bot); default: the whole house")
    p.add_argument("--rooms", action="store_true", help="with --package: one node per room")
    p.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    args = p.parse_args(argv)
    s = summary(args.root, args.package, args.rooms)
    if args.json:
        print(json.dumps(s, indent=2, sort_keys=True))
    else:
        for key in ("scope", "top_level_rooms", "modules", "arrows", "floors"):
            if key in s:
                print(f"{key}: {s[key]}")
        cs = s["circles"]
        assert isinstance(cs, list)
        print(f"circles: {len(cs)}")
        for c in cs:
            print("  " + " <-> ".join(c))
        ind = s["indented_imports"]
        assert isinstance(ind, list)
        print(f"indented imports of project modules: {len(ind)}")
        for i in ind:
            print("  " + i)
    return 1 if s["circles"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
