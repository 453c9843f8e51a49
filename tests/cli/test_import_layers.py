"""No import cycle between the packages of bot/ (and handlers/): each layer can be read on its own.

The graph is built from the source (``ast``), every import counted except those under
``if TYPE_CHECKING:`` (annotations only). A node is a subpackage of ``bot`` (``bot.api``,
``bot.workers`` …) or ``handlers``; top-level modules (``bot.domain``, ``bot.app`` …) are left out,
they are the shared records and the composition root. :data:`KNOWN` lists cycles still being
removed (issue 15); a new one fails, and so does a known one that is gone (drop it from the list).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

KNOWN: set[frozenset[str]] = set()


def _package(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "handlers":
        return "handlers"
    if parts[0] != "bot" or len(parts) < 2 or not (ROOT / "bot" / parts[1]).is_dir():
        return None
    return f"bot.{parts[1]}"


def _runtime_imports(tree: ast.Module) -> list[str]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(inner) for inner in ast.walk(node)}
    names: list[str] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py")]:
        source = _package(".".join(path.relative_to(ROOT).with_suffix("").parts))
        if source is None:
            continue
        for name in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            target = _package(name)
            if target is not None and target != source:
                graph.setdefault(source, set()).add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """Strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: set[frozenset[str]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for node in sorted(set(graph) | {t for targets in graph.values() for t in targets}):
        if node not in index:
            visit(node)
    return found


def test_no_new_import_cycle_between_packages() -> None:
    cycles = _cycles(_graph())
    assert cycles - KNOWN == set(), f"new import cycles: {[sorted(c) for c in cycles - KNOWN]}"
    assert KNOWN - cycles == set(), f"gone (remove from KNOWN): {[sorted(c) for c in KNOWN - cycles]}"


def test_background_workers_are_used_only_by_the_composition_root_and_handlers() -> None:
    users = {source for source, targets in _graph().items() if "bot.workers" in targets}
    assert users <= {"handlers"}, users
