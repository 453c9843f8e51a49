"""``bot.delivery`` sits below the services: it imports nothing from ``bot.services`` (issue 15).

Services call the outbox; if delivery called back into a service, the two could no longer be read,
tested or changed apart. Read from the source (no import), so a cycle cannot hide behind lazy imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

DELIVERY = Path(__file__).resolve().parents[2] / "bot" / "delivery"


def _imports(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_delivery_imports_nothing_from_services() -> None:
    files = sorted(DELIVERY.glob("*.py"))
    assert files
    offending = {
        path.name: sorted(m for m in _imports(path) if m == "bot.services" or m.startswith("bot.services."))
        for path in files
    }
    assert {name: found for name, found in offending.items() if found} == {}
