"""The package's structure: layers whose imports go one way, small modules, and a map of it
(docs/architecture.md) that names every package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "salesrules"
MAX_LINES = 500
# The layers, lowest first: a module may import from its own layer and the ones before it.
LAYERS = [
    {"errors", "hookspecs", "model", "schemas"},
    {"language", "plugins", "plugin_names"},
    {"io"},
    {"compiler"},
    {"runners"},
    {"reports"},
    {"loader"},
    {"analysis", "scaffold"},
    {"default_plugins", "functions", "inputs", "outputs", "testing", "types", "pytest_plugin", "spark", "spark_files"},
    {"cli", "__main__", "__init__"},
]


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The package's modules ``name`` imports, anywhere in its code (inside functions too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                target = f"{module}.{alias.name}"
                found.add(target if target in MODULES else module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else "__init__"
    return next(i for i, layer in enumerate(LAYERS) if top in layer)


def test_every_module_has_a_layer():
    for module in MODULES:
        _layer(module)


def test_imports_go_down_the_layers():
    upward = [
        f"{a} imports {b}"
        for a, targets in GRAPH.items()
        for b in targets
        if _layer(b) > _layer(a)
    ]
    assert upward == []


def test_no_import_cycle():
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        if state.get(module) == 1:
            cycle = path[path.index(module):] + [module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if state.get(module) == 2:
            return
        state[module] = 1
        for target in sorted(GRAPH[module]):
            visit(target, path + [module])
        state[module] = 2
        order.append(module)

    for module in sorted(GRAPH):
        visit(module, [])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_are_small(module):
    lines = len(MODULES[module].read_text("utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines"


def test_only_the_command_line_imports_click():
    importers = set()
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text("utf-8"))
        guarded = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and getattr(node.test, "id", "") == "TYPE_CHECKING" for n in ast.walk(node)}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in guarded:
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(n == "click" or n.startswith("click.") for n in names):
                    importers.add(name)
    assert {m for m in importers if not m.startswith("salesrules.cli")} == set()


def _calls(module: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text("utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def test_the_compiler_reads_no_files():
    readers = {"open", "read_text", "read_bytes", "read_csv", "scan_csv", "read_table", "read_parquet", "scan_parquet"}
    for module in MODULES:
        if module.startswith("salesrules.compiler"):
            assert not _calls(module) & readers, module
            assert not any(t.startswith(("salesrules.io.inputs", "salesrules.loader")) for t in GRAPH[module]), module


def test_runners_parse_no_yaml():
    for module in MODULES:
        if module.startswith("salesrules.runners"):
            assert not any(t.startswith("salesrules.loader") for t in GRAPH[module]), module
            assert "yaml" not in MODULES[module].read_text("utf-8"), module


def test_the_architecture_doc_names_every_package_and_module():
    doc = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    for module, path in MODULES.items():
        relative = path.relative_to(PACKAGE).as_posix()
        if path.name == "__init__.py" and path.parent != PACKAGE:
            relative = relative[: -len("__init__.py")]
        assert f"`{relative}`" in doc, f"docs/architecture.md does not name {relative}"
