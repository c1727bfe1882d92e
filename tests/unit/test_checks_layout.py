"""checks/ stands alone: the agent is installed on servers that have no bot."""

from __future__ import annotations

import ast
from pathlib import Path

CHECKS = Path(__file__).resolve().parents[2] / "checks"


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_checks_imports_nothing_from_bot_or_handlers() -> None:
    offenders = {
        f"{path.relative_to(CHECKS.parent)}: {name}"
        for path in CHECKS.rglob("*.py")
        for name in _imported_modules(path)
        if name.split(".")[0] in ("bot", "handlers")
    }
    assert offenders == set()
