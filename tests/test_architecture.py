"""The package's shape: layers that import one way, no cycles, no borrowed private names, a core
that never names a lever, and the data reachable from an installed package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "model" / "rccsim"
LEVER_KEYS = ("single_customer", "shared_placements", "capital_homes", "fostering_hub", "block_contracts",
              "forecast_led", "pooled_budget")


def modules() -> dict[str, ast.Module]:
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        out[name] = ast.parse(path.read_text())
    return out


def _imports(tree: ast.Module, top_only: bool):
    nodes = tree.body if top_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rccsim"):
            yield node


def test_the_layers_contract_is_kept():
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(PKG.parents[1] / "pyproject.toml")) == 0


def test_no_import_cycles_between_modules():
    mods = modules()
    graph = {}
    for name, tree in mods.items():
        deps = set()
        for node in _imports(tree, top_only=True):
            deps.add(node.module)
            for alias in node.names:  # "from rccsim.core import carers" imports the module rccsim.core.carers
                if f"{node.module}.{alias.name}" in mods:
                    deps.add(f"{node.module}.{alias.name}")
        graph[name] = {d for d in deps if d in mods and d != name}
    # a package's __init__ importing its own modules is not a cycle of theirs
    cycles, state = [], {}

    def visit(n, stack):
        state[n] = 1
        for d in graph[n]:
            if d.startswith(n + ".") or n.startswith(d + ".") and d in {m for m in mods if m.count(".") < n.count(".")}:
                continue
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d, stack + [d])
        state[n] = 2

    for n in graph:
        if n not in state:
            visit(n, [n])
    assert cycles == []


def test_no_module_imports_another_modules_private_names():
    bad = [f"{name}: from {node.module} import {alias.name}"
           for name, tree in modules().items() for node in _imports(tree, top_only=False)
           for alias in node.names if alias.name.startswith("_")]
    assert bad == []


def test_function_local_imports_of_the_package_are_deferred_on_purpose():
    """Only the command line defers the package's imports (rccsim --help must start fast)."""
    bad = []
    for name, tree in modules().items():
        if name in ("rccsim.cli", "rccsim", "rccsim.__main__"):
            continue
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                bad += [f"{name}:{node.lineno} {node.module}" for node in _imports(fn, top_only=False)]
    assert bad == []


@pytest.mark.parametrize("key", LEVER_KEYS)
def test_the_core_never_names_a_lever(key):
    for path in (PKG / "core").rglob("*.py"):
        code = "\n".join(line.split("#")[0] for line in path.read_text().splitlines())
        assert key not in code, (path.name, key)
