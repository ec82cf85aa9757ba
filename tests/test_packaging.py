"""The package list in pyproject.toml covers every package, and resources install with it."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_python_package_is_listed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    found = set()
    for init in (ROOT / "mlops_desktop").rglob("*.py"):
        if "__pycache__" in init.parts:
            continue
        found.add(".".join(init.parent.relative_to(ROOT).parts))
    assert found - listed == set(), "add these packages to [tool.setuptools] packages"
    assert config["package-dir"]["mlops_desktop.resources"] == "resources"


def test_resources_resolve_from_the_installed_package() -> None:
    from mlops_desktop.resources import demo_store_urls, icon_path

    assert icon_path("app").is_file()
    for url in demo_store_urls():
        assert Path(url.split(":", 1)[1].removeprefix("///")).exists() or Path(url.split("///", 1)[-1]).exists()
