"""What a window costs before it does anything: the libraries only a report or a migration needs
are not imported at start (each is resident memory for the whole session)."""

from __future__ import annotations

import os
import subprocess
import sys

LATE = ("alembic", "mako", "reportlab", "PIL", "pandas", "pypdf", "pikepdf", "pyhanko", "boto3", "botocore")


def _run(code: str) -> str:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("RL_shapeChecking", None)
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env).stdout.strip()


def test_the_main_window_imports_no_report_or_migration_library() -> None:
    out = _run("import sys; from mlops_desktop.ui.shell.main_window import MainWindow; "
               f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({LATE!r})))")
    assert out == "[]"


def test_report_figures_still_skip_reportlab_shape_checking() -> None:
    out = _run("import mlops_desktop.reports.charts; from reportlab.graphics import shapes; from reportlab import rl_config; "
               "print(rl_config.shapeChecking, shapes.Shape.__setattr__ is object.__setattr__)")
    assert out == "0 True"


def test_malloc_arenas_limited_unless_the_user_chose(monkeypatch) -> None:
    import platform

    from mlops_desktop.app import limit_malloc_arenas

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False  # the user's own setting stands
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    expected = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert limit_malloc_arenas() is expected


def test_the_source_lines_pyside_read_are_not_kept() -> None:
    """PySide6 reads the source of every module imported after it; the window drops those lines."""
    out = _run("import linecache; from mlops_desktop.app import create_application; "
               "from mlops_desktop.ui.shell.main_window import MainWindow; app = create_application(); "
               "lines = lambda: sum(len(v[2]) for v in linecache.cache.values() if len(v) > 2); "
               "before = lines(); w = MainWindow(); print(before, lines())")
    before, after = map(int, out.split())
    assert before > 100_000 and after < before // 20, (before, after)
