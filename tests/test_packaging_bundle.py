"""Packaging: the installed entry point smoke-starts offscreen, and packaging/ is complete.

The PyInstaller build itself takes about a minute, so the suite does not run it:
``packaging/build.sh`` builds and smoke-starts the bundle (see packaging/README.md). When a
bundle is already in dist/ (after build.sh), it is smoke-started here too.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
APP_ID = "dev.mlopsdesktop.MLOpsDesktop"
BUNDLE = ROOT / "dist" / "mlops-desktop" / "mlops-desktop"


def _console_script() -> str:
    script = Path(sys.executable).with_name("mlops-desktop")
    found = str(script) if script.exists() else shutil.which("mlops-desktop")
    if not found:
        pytest.fail("the mlops-desktop console script is not installed (pip install -e .)")
    return found


def _env(home: Path) -> dict[str, str]:
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(home), XDG_CONFIG_HOME=str(home / "cfg"),
                XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"))


def _smoke(cmd: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*cmd, "gui", "--smoke-test"], env=_env(home), capture_output=True, text=True,
                          timeout=120, check=False)


def test_console_script_smoke_test_exits_cleanly(tmp_path: Path):
    proc = _smoke([_console_script()], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "smoke test passed: main window shown and closed in" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "cfg" / "mlops-desktop" / "gui.ini").exists()  # settings untouched


def test_smoke_test_with_a_store_waits_for_it_and_fails_on_a_bad_one(tmp_path: Path, mlflow3_db: Path):
    env = _env(tmp_path)
    ok = subprocess.run([_console_script(), "gui", "--smoke-test", "--store", str(mlflow3_db)], env=env,
                        capture_output=True, text=True, timeout=120, check=False)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([_console_script(), "gui", "--smoke-test", "--store", str(tmp_path / "missing.db")],
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 2
    assert "smoke test FAILED" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.skipif(not BUNDLE.exists(), reason="no PyInstaller bundle in dist/ (run packaging/build.sh)")
def test_built_bundle_smoke_test(tmp_path: Path):
    proc = _smoke([str(BUNDLE)], tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_spec_and_build_script():
    spec = (PACKAGING / "mlops-desktop.spec").read_text(encoding="utf-8")
    compile(spec, "mlops-desktop.spec", "exec")
    assert "entry.py" in spec and "resource_datas()" in spec and "COLLECT(" in spec
    build = PACKAGING / "build.sh"
    assert os.access(build, os.X_OK)
    subprocess.run(["bash", "-n", str(build)], check=True)
    text = build.read_text(encoding="utf-8")
    assert "gui --smoke-test" in text and "QT_QPA_PLATFORM=offscreen" in text
    entry = (PACKAGING / "entry.py").read_text(encoding="utf-8")
    assert "from mlops_desktop.__main__ import main" in entry
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "build/" in ignored and "dist/" in ignored


def test_desktop_file_and_metainfo():
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str  # type: ignore[assignment,method-assign]
    desktop.read(PACKAGING / f"{APP_ID}.desktop", encoding="utf-8")
    entry = desktop["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Exec"].startswith("mlops-desktop gui")
    assert entry["Icon"] == APP_ID and entry["Categories"].endswith(";")
    root = ET.parse(PACKAGING / f"{APP_ID}.metainfo.xml").getroot()
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == f"{APP_ID}.desktop"  # type: ignore[union-attr]
    assert root.findtext("metadata_license") and root.findtext("project_license")
    appstream = shutil.which("appstreamcli")
    if appstream:
        proc = subprocess.run([appstream, "validate", "--no-net", str(PACKAGING / f"{APP_ID}.metainfo.xml")],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_app_icon_svg_and_png_sizes():
    from PySide6.QtGui import QImage

    icons = ROOT / "resources" / "icons"
    assert (icons / "app.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        image = QImage(str(icons / f"app-{size}.png"))
        assert not image.isNull() and (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel()
