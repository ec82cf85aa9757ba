"""Governance test fixtures: a fresh governance store, a trusted team, the MLflow 3 catalog."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.core.entities import Catalog
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.store import open_governance
from mlops_desktop.sources.loader import load_catalog
from tests.governance.helpers import FIXTURE_ARTIFACT_PREFIX, Team, build_team


@pytest.fixture
def gov(tmp_path: Path) -> Iterator[Governance]:
    g = open_governance(str(tmp_path / "gov.db"))
    try:
        yield g
    finally:
        g.close()


@pytest.fixture
def team(gov: Governance) -> Team:
    return build_team(gov)


@pytest.fixture
def catalog(mlflow3_db: Path) -> Catalog:
    return load_catalog([str(mlflow3_db)])


@pytest.fixture
def artifact_roots(fixtures_dir: Path, tmp_path: Path) -> dict[str, str]:
    """A private copy of the MLflow 3 artifacts, mapped from the recorded prefix."""
    dst = tmp_path / "artifacts"
    shutil.copytree(fixtures_dir / "artifacts" / "mlflow-3.17", dst)
    return {FIXTURE_ARTIFACT_PREFIX: str(dst)}
