"""Files shipped inside the package (icons, the demo stores), found the same way in a
source checkout and in an installed wheel.

Qt-free on purpose: the CLI (``mlops-desktop demo``) needs the demo paths too; Qt icons
are built from these paths lazily in :mod:`mlops_desktop.ui.common.icons`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: Artifact root the demo MLflow store recorded, mapped to the bundled copy.
DEMO_ARTIFACT_PREFIX = "/srv/mlflow/artifacts"
DEMO_MLFLOW = "mlflow-3.17-sqlite.db"
DEMO_MLMD = "mlmd-1.17-tfx.sqlite"
DEMO_OPENLINEAGE = "openlineage-1.54-airflow.ndjson"


def resource_path(*parts: str) -> Path:
    """Path of a bundled resource, e.g. ``resource_path("icons", "app.svg")``.

    The package is installed as plain files (setuptools package data), so the
    traversable is a real directory; we refuse zipped installs with a clear error.
    """
    base = resources.files(__name__)
    target = base.joinpath(*parts)
    path = Path(str(target))
    if not path.exists():
        raise FileNotFoundError(f"Bundled resource missing: {'/'.join(parts)} (looked in {path}).")
    return path


def icon_path(name: str) -> Path:
    """An SVG icon by name (without the extension)."""
    return resource_path("icons", f"{name}.svg")


def demo_store_urls() -> list[str]:
    """Store URLs of the bundled demo: an MLflow registry, an MLMD pipeline, Airflow lineage."""
    return [
        f"mlflow+sqlite:///{resource_path('demo', DEMO_MLFLOW)}",
        f"mlmd+sqlite:///{resource_path('demo', DEMO_MLMD)}",
        f"openlineage:{resource_path('demo', DEMO_OPENLINEAGE)}",
    ]


def demo_settings() -> dict[str, object]:
    """Source settings for the demo: its artifact root maps to the bundled artifacts."""
    return {"artifact_roots": {DEMO_ARTIFACT_PREFIX: str(resource_path("demo", "artifacts"))}}
