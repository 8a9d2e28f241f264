"""The import direction holds (docs/architecture.md): the doors call the use cases, the
use cases the clients and the store, the domain nothing; nothing imports the tests; no
import loop among the project's modules (top-level imports)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("domain", "documents", "adapters", "store", "telemetry", "workflows", "activities",
            "services", "api", "web", "kinerja", "bench")

MAY_NOT_IMPORT: dict[str, set[str]] = {
    "domain": set(PACKAGES) - {"domain"},
    "adapters": set(PACKAGES) - {"adapters", "domain"},
    "documents": set(PACKAGES) - {"documents", "domain"},
    "store": {"documents", "adapters", "telemetry", "workflows", "activities", "services",
              "api", "web", "kinerja", "bench"},
    "telemetry": {"documents", "adapters", "workflows", "activities", "services", "api", "web",
                  "kinerja", "bench"},
    "workflows": {"documents", "services", "api", "web", "kinerja", "bench"},
    "activities": {"services", "api", "web", "kinerja", "bench"},
    "services": {"api", "web", "kinerja", "bench"},
    "api": {"kinerja", "bench"},  # api.app serves the pages (web/) beside /v1
    "web": {"kinerja", "bench"},
    "kinerja": {"bench"},
    "bench": set(),
}


def _modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def _imports(path: Path, *, top_level_only: bool, modules: frozenset[str] | set[str] = frozenset()
             ) -> set[str]:
    """What ``path`` imports; ``from package import submodule`` counts as the submodule
    alone (its package is already being initialised, not imported again)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = {f"{node.module}.{alias.name}" for alias in node.names}
            submodules = names & modules
            if not submodules or submodules != names:
                found.add(node.module)
            found.update(names)
    return found


def test_each_layer_imports_only_what_it_may() -> None:
    broken = []
    for name, path in _modules():
        layer = name.split(".")[0]
        for imported in _imports(path, top_level_only=False):
            top = imported.split(".")[0]
            if top == "tests" or top in MAY_NOT_IMPORT[layer]:
                broken.append(f"{name} imports {imported}")
    assert broken == []


def test_no_import_loop_among_the_projects_modules() -> None:
    modules = dict(_modules())
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        imported_by = _imports(path, top_level_only=True, modules=set(modules))
        graph[name] = {imported for imported in imported_by
                       if imported in modules and imported != name}
    seen: dict[str, int] = {}  # 1: on the path, 2: done
    loops: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                loops.append([*path[path.index(nxt):], nxt])
            elif nxt not in seen:
                visit(nxt, [*path, nxt])
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node, [node])
    assert loops == []
