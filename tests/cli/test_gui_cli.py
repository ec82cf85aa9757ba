"""``mlops-desktop [gui] [--store URL ...] [--governance URL]`` and ``mlops-desktop demo``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_desktop.cli.main import build_parser
from mlops_desktop.resources import demo_settings, demo_store_urls, icon_path, resource_path
from mlops_desktop.sources.base import parse_store_url

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_gui_and_demo_commands_parse_as_in_the_contract():
    parser = build_parser()
    args = parser.parse_args(["gui", "--store", "a.db", "--store", "b.db", "--governance", "gov.db"])
    assert args.store == ["a.db", "b.db"]
    assert args.governance == "gov.db"
    assert args.func.__name__ == "run_gui"
    assert parser.parse_args(["gui"]).store == []
    demo = parser.parse_args(["demo", "--governance", "postgresql://x@h/db"])
    assert demo.func.__name__ == "run_demo"
    assert demo.governance == "postgresql://x@h/db"


def test_demo_resources_are_bundled_and_openable():
    urls = demo_store_urls()
    assert [parse_store_url(u).kind for u in urls] == ["mlflow", "mlmd", "openlineage"]
    for url in urls:
        assert parse_store_url(url).path.is_file()
    assert resource_path("demo", "mlflow-3.17-sqlite.db").read_bytes() == (FIXTURES / "mlflow-3.17-sqlite.db").read_bytes()
    roots = demo_settings()["artifact_roots"]
    assert list(roots) == ["/srv/mlflow/artifacts"]
    assert (Path(roots["/srv/mlflow/artifacts"]) / "credit-limit" / "models").is_dir()
    assert icon_path("app").read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_missing_resource_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="Bundled resource missing: icons/nope.svg"):
        icon_path("nope")


def _run_cli(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MLOPS_DESKTOP_QUIT_AFTER_LOAD="1",
               HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_DATA_HOME=str(tmp_path / "data"))
    return subprocess.run([sys.executable, "-m", "mlops_desktop", *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_demo_starts_the_app_on_every_bundled_store(tmp_path):
    before = {u: parse_store_url(u).path.read_bytes() for u in demo_store_urls()}
    proc = _run_cli(["demo"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert {u: parse_store_url(u).path.read_bytes() for u in demo_store_urls()} == before


def test_no_command_means_the_app_and_opens_the_stores(tmp_path, mlflow3_db):
    proc = _run_cli(["--store", str(mlflow3_db)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    recent = (tmp_path / "cfg" / "mlops-desktop" / "gui.ini").read_text(encoding="utf-8")
    assert str(mlflow3_db) in recent


def test_bad_store_on_the_command_line_shows_a_dialog_not_a_traceback(tmp_path):
    proc = _run_cli(["gui", "--store", str(tmp_path / "missing.db")], tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "No such file or folder" in proc.stderr  # what the dialog said, logged for the smoke test
