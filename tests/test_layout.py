"""The layout holds: no import cycle, agent packages independent, routers independent, data below agents and api.

The import graph is read with `ast` from every module under agents/, data/, config/ and api/ and the two
top-level modules (imports under ``if TYPE_CHECKING`` count: they still tie the files together).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PACKAGES = ("agents", "data", "config", "api")
TOP_LEVEL = ("backend_api.py", "live_data_generator.py")
# Modules under agents/ that belong to no agent package: the shared contract and figures, and the assembly,
# which composes the packages through their public names as the composition root does.
SHARED_AGENT_MODULES = {"agents", "agents.base", "agents.kpis", "agents.assembly"}

Graph = dict[str, set[str]]


def module_files(root: Path) -> dict[str, Path]:
    """Return every project module under ``root`` by dotted name (a package by its own name)."""
    files = [p for package in PACKAGES for p in (root / package).rglob("*.py")]
    files += [root / name for name in TOP_LEVEL if (root / name).is_file()]
    modules = {}
    for path in files:
        name = ".".join(path.relative_to(root).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    return modules


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join(package + ([base] if base else []))
    # `from pkg import name` may name a submodule: both the package and pkg.name are candidates
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def import_graph(root: Path) -> Graph:
    """Return, per project module, the project modules it imports (a name is resolved to its longest
    module prefix; imports of third-party modules are left out)."""
    modules = module_files(root)
    graph: Graph = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _targets(name, path, node):
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """Return the strongly connected components of more than one module (each is an import cycle)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:  # iterative Tarjan: no recursion limit on deep graphs
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def agent_package(module: str) -> str | None:
    """Return the agent package a module belongs to (``agents.<pkg>``), None for shared or non-agent modules."""
    parts = module.split(".")
    if parts[0] != "agents" or len(parts) < 2 or module in SHARED_AGENT_MODULES:
        return None
    return ".".join(parts[:2])


def is_router(path: Path) -> bool:
    """Return whether ``path`` is an api router: a module that assigns a module-level ``router``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "router" for t in node.targets)
        for node in tree.body
    )


def layout_problems(root: Path) -> list[str]:
    """Return every way the tree under ``root`` breaks the layout rules (empty when it holds)."""
    graph = import_graph(root)
    modules = module_files(root)
    routers = {name for name, path in modules.items() if name.startswith("api.") and is_router(path)}
    problems = [f"import cycle: {' <-> '.join(c)}" for c in cycles(graph)]
    for module, targets in sorted(graph.items()):
        mine = agent_package(module)
        for target in sorted(targets):
            theirs = agent_package(target)
            if mine and theirs and mine != theirs:
                problems.append(f"{module} imports another agent package's module {target}")
            if module in routers and target in routers:
                problems.append(f"router {module} imports router {target}")
            if module.split(".")[0] == "data" and target.split(".")[0] in {"agents", "api"}:
                problems.append(f"{module} (data) imports {target}")
    return problems


def test_the_project_layout_holds() -> None:
    assert layout_problems(REPO_ROOT) == []


def test_the_walk_sees_the_project() -> None:
    graph = import_graph(REPO_ROOT)
    assert {"agents.base", "api.deps", "data.sim.world", "config.settings", "backend_api"} <= set(graph)
    assert "api.deps" in graph["api.alerts"] and "agents.base" in graph["backend_api"]


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"data/__init__.py": "", "data/a.py": "from data import b\n", "data/b.py": "from . import a\n"},
            "import cycle: data.a <-> data.b",
        ),
        (
            {"agents/__init__.py": "", "agents/x/__init__.py": "", "agents/y/__init__.py": "",
             "agents/x/core.py": "from agents.y import thing\n"},
            "agents.x.core imports another agent package's module agents.y",
        ),
        (
            {"api/__init__.py": "", "api/a.py": "router = 1\nfrom api.b import helper\n", "api/b.py": "router = 2\n"},
            "router api.a imports router api.b",
        ),
        (
            {"data/__init__.py": "", "agents/__init__.py": "", "agents/kpis.py": "",
             "data/m.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import agents.kpis\n"},
            "data.m (data) imports agents.kpis",
        ),
    ],
)  # fmt: skip
def test_each_rule_catches_its_breach(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    _write(tmp_path, files)
    assert layout_problems(tmp_path) == [expected]


def test_shared_modules_and_helpers_are_allowed(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "agents/__init__.py": "", "agents/base.py": "", "agents/kpis.py": "", "agents/x/__init__.py": "",
            "agents/x/core.py": "from agents.base import Agent\nfrom agents import kpis\n",
            "api/__init__.py": "", "api/deps.py": "", "api/a.py": "from api.deps import Dep\nrouter = 1\n",
        },
    )  # fmt: skip
    assert layout_problems(tmp_path) == []
