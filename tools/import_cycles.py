"""Import cycles between our packages, found from the real import graph (grimp, as import-linter).

``python tools/import_cycles.py`` prints every strongly connected group of packages (a group of
two or more packages that import each other, directly or through others) at two levels: the
capability packages (``va_app.domain.agents``, ``va_app.api``, ``va_app.console.states``, ...)
and single modules inside ``va_app``. Exit 1 when a package-level cycle exists. The test suite
runs :func:`package_cycles` so a new cycle fails CI with the packages named.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import grimp

ROOTS = ("core", "models", "analytics", "ingest", "va_app")
# Packages whose subpackages are the units (a capability, a console layer).
CONTAINERS = ("va_app.domain", "va_app.console", "va_app.admin")


def unit_of(module: str) -> str:
    """The package a module belongs to for cycle purposes."""
    for container in CONTAINERS:
        if module.startswith(container + "."):
            depth = container.count(".") + 2
            return ".".join(module.split(".")[:depth])
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "va_app" else parts[0]


def _edges(graph: grimp.ImportGraph, unit: object) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        if not module.startswith(ROOTS):
            continue
        source = unit(module) if callable(unit) else module
        edges.setdefault(source, set())
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith(ROOTS):
                target = unit(imported) if callable(unit) else imported
                if target != source:
                    edges[source].add(target)
    return edges


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; only groups of two or more nodes."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(iter(children), None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return sorted(groups)


def build_graph() -> grimp.ImportGraph:
    return grimp.build_graph(*ROOTS, cache_dir=None)


def package_cycles(graph: grimp.ImportGraph | None = None) -> list[list[str]]:
    return strongly_connected(_edges(graph or build_graph(), unit_of))


def module_cycles(graph: grimp.ImportGraph | None = None) -> list[list[str]]:
    return strongly_connected(_edges(graph or build_graph(), None))


def main() -> int:
    graph = build_graph()
    packages = package_cycles(graph)
    modules = [c for c in module_cycles(graph) if c[0].startswith("va_app")]
    print(f"package-level cycles: {len(packages)}")  # noqa: T201
    for group in packages:
        print("  " + " <-> ".join(group))  # noqa: T201
    print(f"module-level cycles inside va_app: {len(modules)}")  # noqa: T201
    for group in modules:
        print("  " + " <-> ".join(group))  # noqa: T201
    return 1 if packages else 0


if __name__ == "__main__":
    sys.exit(main())
