"""The shape of the package, read from the source with `ast` (nothing under ktui/ is imported).

- the embedded cluster (ktui.sim) does not know about the UI;
- the UI uses the cluster's public modules, never a private `_x` one;
- the headless packages never import Textual (test_headless_imports checks the same by
  importing them; this check also sees imports inside functions that never ran);
- there is no import cycle, in ktui.ui or anywhere in ktui.

An import counts wherever it is written (module level, inside a function or class), except that
the cycle checks leave out imports under `if TYPE_CHECKING:`, which never run.
"""

from __future__ import annotations

import ast
import importlib.util
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HEADLESS_PACKAGES = ("ktui.model", "ktui.render", "ktui.view", "ktui.cluster")


def _package_root() -> Path:
    # find_spec locates the package without running its __init__.
    spec = importlib.util.find_spec("ktui")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass(frozen=True)
class Import:
    source: str
    """The importing module, e.g. `ktui.ui.app`."""
    target: str
    """The imported module, as specific as the source tree allows (`ktui.view._json` for
    `from ktui.view import _json`, `ktui.view.age` for `from ktui.view.age import age`)."""
    line: int
    type_checking: bool
    """Written under `if TYPE_CHECKING:` (never runs)."""

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


def _module_names(root: Path) -> dict[str, Path]:
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _walk(node: ast.AST, type_checking: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node below `node`, with whether it sits under `if TYPE_CHECKING:`."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for statement in child.body:
                yield statement, True
                yield from _walk(statement, True)
            for statement in child.orelse:  # `else:` of TYPE_CHECKING runs
                yield statement, type_checking
                yield from _walk(statement, type_checking)
            continue
        yield child, type_checking
        yield from _walk(child, type_checking)


def _imports_of(name: str, path: Path, modules: Iterable[str]) -> Iterator[Import]:
    known = set(modules)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node, type_checking in _walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno, type_checking)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                target = submodule if submodule in known else base
                yield Import(name, target, node.lineno, type_checking)


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    modules = _module_names(_package_root())
    found: list[Import] = []
    for name, path in modules.items():
        found.extend(_imports_of(name, path, modules))
    return found


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def _listing(found: Iterable[Import]) -> str:
    return "\n".join(f"  {item}" for item in found)


def _cycles(imports: Iterable[Import], within: str) -> list[list[str]]:
    """One cycle (as a path a -> b -> ... -> a) per strongly connected component of the runtime
    import graph among the modules of `within`, found with Tarjan's algorithm."""
    graph: dict[str, set[str]] = {}
    for item in imports:
        if item.type_checking or not (_in(item.source, within) and _in(item.target, within)):
            continue
        graph.setdefault(item.source, set()).add(item.target)
        graph.setdefault(item.target, set())

    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                connect(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)

    cycles = []
    for component in sorted(components):
        members = set(component)
        start = component[0]
        # Shortest way back to `start` inside the component (breadth-first).
        previous: dict[str, str] = {}
        frontier = [start]
        while frontier and start not in previous:
            following = []
            for node in frontier:
                for successor in sorted(graph[node] & members):
                    if successor not in previous:
                        previous[successor] = node
                        following.append(successor)
            frontier = following
        path = [start]
        node = previous[start]
        while node != start:
            path.append(node)
            node = previous[node]
        path.append(start)
        path.reverse()
        cycles.append(path)
    return cycles


def _cycle_report(cycles: list[list[str]], imports: list[Import]) -> str:
    lines = []
    for cycle in cycles:
        lines.append("  " + " -> ".join(cycle))
        for source, target in itertools.pairwise(cycle):
            for item in imports:
                if item.source == source and item.target == target and not item.type_checking:
                    lines.append(f"      {item}")
                    break
    return "\n".join(lines)


def test_the_scan_sees_the_package(imports: list[Import]) -> None:
    """Guards the guards: a scan that found nothing would pass every check below."""
    assert any(i.source == "ktui.cli" and i.target == "ktui.settings" for i in imports)
    assert any(_in(i.source, "ktui.ui") and _in(i.target, "textual") for i in imports)
    assert any(i.source == "ktui.view.pod" and i.target == "ktui.view._json" for i in imports)


def test_the_cycle_search_reports_a_cycle() -> None:
    edges = [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d"), ("p.d", "p.d")]
    found = [Import(source, target, 1, False) for source, target in edges]
    found.append(Import("p.d", "p.a", 2, True))  # TYPE_CHECKING only: not a cycle
    assert _cycles(found, "p") == [["p.a", "p.b", "p.c", "p.a"], ["p.d", "p.d"]]


def test_sim_does_not_import_the_ui(imports: list[Import]) -> None:
    offending = [i for i in imports if _in(i.source, "ktui.sim") and _in(i.target, "ktui.ui")]
    assert not offending, f"ktui.sim must not import ktui.ui:\n{_listing(offending)}"


def _is_private_cluster_module(module: str) -> bool:
    if not _in(module, "ktui.cluster"):
        return False
    return any(part.startswith("_") for part in module.split(".")[2:])


def test_ui_uses_only_public_cluster_modules(imports: list[Import]) -> None:
    offending = [
        i for i in imports if _in(i.source, "ktui.ui") and _is_private_cluster_module(i.target)
    ]
    assert not offending, f"ktui.ui imports private cluster modules:\n{_listing(offending)}"


@pytest.mark.parametrize("package", HEADLESS_PACKAGES)
def test_headless_packages_do_not_import_textual(imports: list[Import], package: str) -> None:
    if not (_package_root().parent / package.replace(".", "/")).is_dir():
        pytest.skip(f"{package} does not exist")
    offending = [i for i in imports if _in(i.source, package) and _in(i.target, "textual")]
    assert not offending, f"{package} must not import textual:\n{_listing(offending)}"


def test_no_import_cycle_in_the_ui(imports: list[Import]) -> None:
    cycles = _cycles(imports, "ktui.ui")
    assert not cycles, f"import cycles in ktui.ui:\n{_cycle_report(cycles, imports)}"


def test_no_import_cycle_in_ktui(imports: list[Import]) -> None:
    cycles = _cycles(imports, "ktui")
    assert not cycles, f"import cycles in ktui:\n{_cycle_report(cycles, imports)}"
