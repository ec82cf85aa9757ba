"""Layering: core, sources, governance, reports and cli never import Qt or the UI (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mlops_desktop"
QT_FREE = ("core", "sources", "governance", "reports", "cli")
FORBIDDEN = ("PySide6", "pyqtgraph", "mlops_desktop.ui", "shiboken6")


def _forbidden(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN)


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def forbidden_imports(path: Path, module: str | None = None) -> list[str]:
    """``file:line module`` for every import of Qt/pyqtgraph/the UI in one file (any depth, any branch)."""
    module = module or module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            names = names[:1] if _forbidden(node.module) else names
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            # relative imports: resolve against the file's package
            parts = tuple(module.split("."))[: -node.level]
            base = ".".join(parts + ((node.module,) if node.module else ()))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names = [node.args[0].value]
        for name in names:
            if _forbidden(name):
                found.append(f"{module}:{node.lineno} imports {name}")
                break
    return found


@pytest.mark.parametrize("layer", QT_FREE)
def test_layer_imports_no_qt(layer: str) -> None:
    folder = PACKAGE / layer
    files = sorted(folder.rglob("*.py")) if folder.exists() else []
    problems = [p for f in files for p in forbidden_imports(f)]
    assert problems == [], "Qt-free layer imports Qt or the UI:\n" + "\n".join(problems)


def test_checker_catches_violations(tmp_path: Path) -> None:
    """The walker itself finds plain, from, nested and relative imports."""
    bad = tmp_path / "probe.py"
    source = (
        "import os\n"
        "def f():\n"
        "    from PySide6.QtWidgets import QWidget\n"
        "import pyqtgraph as pg\n"
        "from mlops_desktop import ui\n"
        "from ..ui import workers\n"
        "import importlib\nimportlib.import_module('mlops_desktop.ui.shell.main_window')\n"
    )
    bad.write_text(source, encoding="utf-8")
    found = forbidden_imports(bad, "mlops_desktop.core.probe")
    assert sorted(line.split(" imports ")[1] for line in found) == [
        "PySide6.QtWidgets", "mlops_desktop.ui", "mlops_desktop.ui", "mlops_desktop.ui.shell.main_window", "pyqtgraph",
    ]
    assert forbidden_imports(PACKAGE / "core" / "errors.py") == []
