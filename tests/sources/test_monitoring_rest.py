"""MLflow monitoring runs (tagged ``mlops_desktop.monitoring``, docs/MONITORING.md) read through a
real ``mlflow server`` equal those the SQL source reads from the same database: the monitoring
fixture store, served once for this module (a copy, so the fixture stays as committed)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.core.findings import FindingSettings, evaluate
from mlops_desktop.core.monitoring import MLFLOW, MONITORING_TAG, monitoring_overview
from mlops_desktop.sources.base import StoreUrl
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.sources.mlflow_rest import MONITORING_FILTER, MlflowRestSource
from tests.conftest import FIXTURES, IN_CI, file_sha256
from tests.mlflow_server import EARLY, MlflowServer, mlflow_available

pytestmark = pytest.mark.skipif(not mlflow_available() and not IN_CI, reason="mlflow is not installed (test extra)")

MON = FIXTURES / "monitoring"
TRUTH = json.loads((MON / "truth.json").read_text(encoding="utf-8"))
TODAY = date.fromisoformat(TRUTH["today"])
RESULTS = f"monitoring:{MON / 'results'}"


def _start_server(root: Path) -> tuple[MlflowServer, Path]:
    db = root / "mlflow.db"
    shutil.copyfile(MON / "mlflow.db", db)
    return MlflowServer(f"sqlite:///{db}", root / "server").start(), db


# begun in the background when the session's tests are known (tests/conftest.py)
EARLY.recipe(__file__, "server", "monitoring-rest", _start_server)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MlflowServer, Path]]:
    srv, db = EARLY.take("monitoring-rest",
                         lambda: _start_server(tmp_path_factory.mktemp("mlflow-monitoring-server")))
    try:
        srv.wait_ready()
        yield srv, db
    finally:
        srv.stop()


def _without_source(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "source"} for r in results]


def test_monitoring_runs_through_rest_equal_the_sql_source(server: tuple[MlflowServer, Path]) -> None:
    srv, db = server
    sha = file_sha256(db)
    rest = load_catalog(["mlflow+" + srv.url, RESULTS])
    sql = load_catalog([f"mlflow+sqlite:///{db}", RESULTS])
    rest_view = monitoring_overview(rest, as_of=TODAY).as_json()
    sql_view = monitoring_overview(sql, as_of=TODAY).as_json()
    rest_runs = [r for r in rest_view["results"] if r["tool"] == MLFLOW]
    sql_runs = [r for r in sql_view["results"] if r["tool"] == MLFLOW]
    # the script's monitoring runs, none of which a version was registered from
    assert sorted(r["id"] for r in sql_runs) == sorted(f"mlflow:{rid}" for rid in TRUTH["mlflow_monitoring_runs"])
    assert _without_source(rest_runs) == _without_source(sql_runs)
    assert all(r["digest"].startswith("sha256:") for r in rest_runs)
    # so every version's status, series and current digests are the same too
    assert rest_view["versions"] == sql_view["versions"]
    assert {vm["model"] + "/" + vm["version"]: vm["status"] for vm in rest_view["versions"]} == TRUTH["status"]
    # and the findings on them
    settings = FindingSettings(today=TODAY)
    keys = {"F24", "F25", "F26"}

    def found(catalog: Any) -> list[tuple[str, str, str]]:
        return sorted((f.id, f.object, f.evidence) for f in evaluate(catalog, settings=settings) if f.id in keys)

    assert found(rest) == found(sql)
    assert file_sha256(db) == sha  # read only


def test_the_search_asks_for_the_monitoring_tag_whatever_its_value(server: tuple[MlflowServer, Path]) -> None:
    srv, _db = server
    source = MlflowRestSource(StoreUrl("mlflow", "mlflow+" + srv.url))
    try:
        catalog = source.load_catalog()
    finally:
        source.close()
    tagged = {rid for rid, run in catalog.runs.items() if MONITORING_TAG in run.tags}
    assert tagged == set(TRUTH["mlflow_monitoring_runs"])
    assert MONITORING_FILTER == "tags.`mlops_desktop.monitoring` LIKE '%'"
    # only read endpoints were called, the runs search among them
    calls = {(m, p) for m, p, status in srv.requests_logged() if status == 200}
    assert ("POST", "/api/2.0/mlflow/runs/search") in calls
    assert all(m == "GET" or p.endswith("/search") for m, p in calls)
