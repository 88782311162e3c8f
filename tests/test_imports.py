"""The rooms' imports (docs/design.md §3 "Imports"), read from the source's syntax trees: no
circle among the imports a module runs when it loads, and no room imports one above it,
whether at module level or inside a function, but for the exceptions design.md names."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.helpers.project import ROOT, package_dirs

# design.md §3's table from the top down, with the seams between the halves of loa/ placed
# where that section puts them; a module imports its own room and the rooms after it.
ROOMS = ("top", "web", "metrics", "notify", "scheduler", "services", "compliance", "playlists",
         "stations", "audio", "bottom", "player")
TOP_HALF = {"app", "models", "migrate", "migrations", "demo", "simulate", "backup", "backup_rows",
            "restore", "secret", "wsgi", "gunicorn_conf"}  # and every cli*
BOTTOM_HALF = {"settings", "db", "clock", "errors", "canonical", "months", "collector"}
SEAMS = {"services": "services", "metrics": "metrics", "metrics_files": "metrics"}
# The imports that still go up a room, each named in design.md §3 "Imports".
UPWARD = {
    # The render time is counted where it is measured; inside the function, so the CLI starts
    # without prometheus_client.
    ("loa.playlists.rendering", "loa.metrics"),
    # The job table runs every room's jobs, the notify room's two among them.
    ("loa.scheduler.runtime", "loa.notify.jobs"),
}


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    on_load: bool  # runs when the module loads: not inside a function, not for type checkers


def modules() -> dict[str, Path]:
    """Every module of the `loa` packages by its import name."""
    found = {}
    for package, folder in package_dirs().items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[0] in {"static", "templates", "translations"} or (
                    package == "loa" and parts[0] in package_dirs()):
                continue
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


MODULES = modules()


def owner(name: str) -> str | None:
    """The module that ``name`` (a module, or a name inside one) lives in."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, path: Path) -> Iterator[Import]:
    """The `loa` modules ``module`` imports, and whether each import runs when it loads."""

    def visit(node: ast.AST, on_load: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            runs = on_load and not isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) and not (
                isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test))
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                assert not child.level, f"{path}:{child.lineno}: the scan reads absolute imports"
                names = [f"{child.module}.{alias.name}" for alias in child.names]
            for name in names:
                target = owner(name) if name.startswith("loa") else None
                if target and target != module:
                    yield Import(module, target, child.lineno, runs)
            yield from visit(child, runs)

    yield from visit(ast.parse(path.read_text(encoding="utf-8")), True)


@cache
def all_imports() -> list[Import]:
    """Every import of every module: read on first use, not as each xdist worker collects."""
    return [i for module, path in MODULES.items() for i in imports_of(module, path)]


def room_of(module: str) -> str:
    """Where a module sits in design.md §3's order ("?" for a loa/ module nobody placed)."""
    parts = module.split(".")
    if len(parts) == 1:
        return "bottom"  # loa/__init__.py
    if module.startswith("loa.player"):
        return "player"
    if parts[1] in ROOMS:
        return parts[1]
    if parts[1] in SEAMS:
        return SEAMS[parts[1]]
    if parts[1] in TOP_HALF or parts[1].startswith("cli"):
        return "top"
    return "bottom" if parts[1] in BOTTOM_HALF else "?"


def circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of two or more modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def on_load_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for i in all_imports():
        if i.on_load:
            graph.setdefault(i.source, set()).add(i.target)
    return graph


def upward() -> list[Import]:
    return [i for i in all_imports()
            if ROOMS.index(room_of(i.target)) < ROOMS.index(room_of(i.source))]


def test_the_imports_a_module_runs_as_it_loads_form_no_circle() -> None:
    assert circles(on_load_graph()) == []


def test_no_room_imports_one_above_it_but_the_named_exceptions() -> None:
    raised = {(i.source, i.target) for i in upward()}
    unnamed = sorted(f"{i.source} → {i.target} ({MODULES[i.source].relative_to(ROOT)}:{i.line})"
                     for i in upward() if (i.source, i.target) not in UPWARD)
    assert unnamed == []
    assert raised == UPWARD  # an exception that is gone leaves this list and design.md too


def test_every_module_of_loa_has_a_place_in_the_order() -> None:
    assert sorted(m for m in MODULES if room_of(m) == "?") == []


def test_the_scan_sees_the_imports_and_finds_a_circle() -> None:
    assert len(MODULES) > 250 and len(all_imports()) > 1500
    seen = {(i.source, i.target, i.on_load) for i in all_imports()}
    assert ("loa.web.ui", "loa.compliance.audit", True) in seen
    assert ("loa.web.wiring", "loa.web.admin_forms", False) in seen  # inside register()
    assert ("loa.compliance.batch", "loa.stations.units", False) in seen  # type checkers'
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert room_of("loa.cli_bulletin") == "top" and room_of("loa.clock") == "bottom"
    assert room_of("loa.player.agent") == "player" and room_of("loa.newcomer") == "?"
