"""The layout's rules, read from the source: who may import whom, and no import cycle.

Layers, bottom first; a module imports only its own layer or lower ones (README's
map draws the same picture). The checks and the agent ship without the bot;
handlers go through the SOP services, never to storage; and no module needs
another that needs it back.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "checks")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def _imports(path: Path, *, top_level_only: bool) -> set[str]:
    """Project modules imported by ``path`` (only those run at import time, if asked)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in found if m.split(".")[0] in PACKAGES}


# Bottom first. A module belongs to the first layer one of whose prefixes it starts with.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("checks",),
    ("bot.settings",),
    ("bot.domain",),
    ("bot.storage",),
    ("bot.render",),
    ("bot.documents", "bot.agents"),
    ("bot.delivery",),
    ("bot.sop",),
    ("bot.services",),  # the composition root: builds the services
    ("handlers",),
    ("bot.telegram",),
    ("bot.cli", "bot.__main__"),
)


def _layer(module: str) -> int | None:
    for i, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return None


def _owner(name: str, modules: dict[str, Path]) -> str:
    """The module an imported name lives in (``bot.sop.model.State`` -> ``bot.sop.model``)."""
    while name not in modules and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def test_every_module_imports_only_its_own_layer_or_lower_ones() -> None:
    modules = _modules()
    unplaced = sorted(m for m in modules if _layer(m) is None and m not in ("bot", "handlers"))
    assert unplaced == []
    upward = {}
    for name, path in modules.items():
        mine = _layer(name)
        if mine is None:
            continue
        above = sorted({_owner(m, modules) for m in _imports(path, top_level_only=False)} - {name})
        above = [m for m in above if (_layer(m) or 0) > mine]
        if above:
            upward[name] = above
    assert upward == {}


def test_the_checks_import_nothing_of_the_bot() -> None:
    offenders = {
        name: sorted(
            m
            for m in _imports(path, top_level_only=False)
            if m.split(".")[0] in ("bot", "handlers")
        )
        for name, path in _modules().items()
        if name.startswith("checks")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_handlers_do_not_reach_into_storage() -> None:
    offenders = {
        name: sorted(
            m
            for m in _imports(path, top_level_only=False)
            if m.startswith(("bot.storage", "aiosqlite", "sqlite3"))
        )
        for name, path in _modules().items()
        if name.startswith("handlers")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_import_cycle() -> None:
    modules = _modules()
    graph = {
        name: {m for m in _imports(path, top_level_only=True) if m in modules and m != name}
        for name, path in modules.items()
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_rules_see_the_real_tree() -> None:
    """A walker that found nothing would pass every rule above."""
    modules = _modules()
    assert {
        "bot.sop.workflow",
        "bot.storage.db",
        "handlers.complaint",
        "checks.runner",
    } <= modules.keys()
    assert "bot.storage" in _imports(modules["bot.sop.filing"], top_level_only=True)
