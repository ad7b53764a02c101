"""The import rules docs/architecture.md states, read from the source: they stay true or this fails."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "minikeras"


def imported_modules(path: pathlib.Path) -> set[str]:
    """Every module `path` imports, by its full dotted name (`from minikeras import fast` gives `minikeras.fast`)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules_under(folder: str) -> list[pathlib.Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def test_the_rules_see_every_module():
    assert len(modules_under("layers")) >= 8 and len(modules_under("fast")) >= 9 and len(modules_under("ops")) >= 3


@pytest.mark.parametrize("folder", ["layers", "ops"])
def test_reference_code_never_imports_the_fast_paths(folder):
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            name for name in imported_modules(path) if name.startswith("minikeras.fast")
        )
        for path in modules_under(folder)
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_layers_and_optimizers_never_import_models():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in modules_under("layers") + modules_under("optimizers") + modules_under("fast")
        if any(name.startswith("minikeras.models") for name in imported_modules(path))
    ]
    assert offenders == []


def test_the_flat_update_needs_nothing_from_minikeras():
    assert [
        name for name in imported_modules(PACKAGE / "fast" / "flat_update.py") if name.startswith("minikeras")
    ] == []


def test_the_package_never_imports_the_benchmarks():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if any(name.split(".")[0] in ("benchmarks", "workloads", "numpy_floor") for name in imported_modules(path))
    ]
    assert offenders == []


def test_ops_are_a_leaf_package():
    # keras.ops is what layers, losses and metrics are written in: it may use the settings and nothing else above it.
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            name
            for name in imported_modules(path)
            if name.startswith("minikeras")
            and not name.startswith(("minikeras.ops", "minikeras.config"))
            and name != "minikeras"
        )
        for path in modules_under("ops")
    }
    assert {path: names for path, names in offenders.items() if names} == {}
    assert len(modules_under("ops")) >= 12


def top_level_imports(path: pathlib.Path) -> set[str]:
    """The modules `path` imports when it is imported: statements outside any function or class."""
    names: set[str] = set()
    pending = list(ast.parse(path.read_text()).body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            pending.extend(ast.iter_child_nodes(node))
    return names


def test_autograd_is_imported_only_when_used():
    # `import minikeras` stays as fast as it was: autograd (the `autodiff` extra) loads in the functions that use it.
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if any(name.split(".")[0] == "autograd" for name in top_level_imports(path))
    ]
    assert offenders == []


def test_random_uses_only_ops_config_and_the_shared_generator():
    allowed = ("minikeras.ops", "minikeras.config", "minikeras.utils.random")
    names = [n for n in imported_modules(PACKAGE / "random.py") if n.startswith("minikeras")]
    assert [n for n in names if not n.startswith(allowed) and n != "minikeras"] == []
