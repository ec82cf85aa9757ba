"""The version page on the GUI's working catalog, whose runs are held lean: the run's params and
metrics are read from the store in a worker and shown (the Metrics tab on its first metric);
a run deleted since the store was read is an error shown to the user, never an empty run."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.core.entities import Catalog
from mlops_desktop.sources.base import open_source
from mlops_desktop.sources.mlflow_sql import MlflowSqlSource
from mlops_desktop.ui.catalog.inventory_view import ModelsView
from mlops_desktop.ui.models.base import format_value
from tests.ui.conftest import wait_idle


class Recorder:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def show_error(self, exc: BaseException, title: str | None = None) -> object:
        self.errors.append(str(exc))
        return None


@pytest.fixture
def stores(mlflow3_db: Path) -> Iterator[tuple[Catalog, Catalog]]:
    """(the working catalog, the full catalog) of the MLflow 3.17 fixture, its source open."""
    source = open_source(str(mlflow3_db))
    assert isinstance(source, MlflowSqlSource)
    try:
        yield source.load_working_catalog(source.load_registry()), source.load_catalog()
    finally:
        source.close()


@pytest.fixture
def view(qtbot, stores: tuple[Catalog, Catalog], tmp_path: Path) -> Iterator[tuple[ModelsView, Recorder]]:
    from mlops_desktop.governance.store import open_governance

    open_governance(str(tmp_path / "gov.db")).close()
    recorder = Recorder()
    v = ModelsView(notifier=recorder)
    qtbot.addWidget(v)
    v.governance_url_source = lambda: str(tmp_path / "gov.db")
    v.resize(1110, 760)
    v.show()
    v.set_catalog(stores[0])
    wait_idle(qtbot, v.governance_slot)
    yield v, recorder
    v.shutdown()


def test_params_and_metrics_of_a_lean_run_are_read_and_shown(qtbot, view, stores) -> None:
    v, recorder = view
    working, full = stores
    detail = v.detail
    detail.tabs.setCurrentWidget(detail.metrics_page)  # the Metrics tab open while the run is read
    v.select_model("fraud-detector")
    v.select_version("3")
    version = detail.version
    assert version is not None and working.runs[version.run_id].lean
    whole = full.runs[version.run_id]
    assert whole.metrics and whole.params
    wait_idle(qtbot, detail.run_slot)
    assert dict(detail.metrics_model.rows) == {k: format_value(m.value) for k, m in whole.metrics.items()}
    assert dict(detail.params_model.rows) == whole.params
    assert detail.run == whole and not detail.run.lean
    wait_idle(qtbot, detail.history_slot)
    assert detail.chart.xy()[0], "the Metrics tab shows the first metric once the run is read"
    assert detail.chart.title.text().startswith(f"{detail.metrics_model.index(0, 0).data()}:")
    assert recorder.errors == []


def test_another_version_chosen_while_reading_shows_its_own_run(qtbot, view, stores) -> None:
    v, _recorder = view
    _working, full = stores
    detail = v.detail
    v.select_model("fraud-detector")
    v.select_version("3")
    v.select_version("2")  # before the first read is applied
    wait_idle(qtbot, detail.run_slot)
    version = detail.version
    assert version is not None and version.version == "2"
    assert dict(detail.params_model.rows) == full.runs[version.run_id].params


def test_a_run_deleted_since_the_read_is_reported(qtbot, view, stores, mlflow3_db: Path) -> None:
    v, recorder = view
    working, _full = stores
    version = next(mv for mv in working.model("fraud-detector").versions if mv.version == "3")
    with sqlite3.connect(mlflow3_db) as con:
        con.execute("DELETE FROM latest_metrics WHERE run_uuid = ?", (version.run_id,))
        con.execute("DELETE FROM params WHERE run_uuid = ?", (version.run_id,))
        con.execute("DELETE FROM tags WHERE run_uuid = ?", (version.run_id,))
        con.execute("DELETE FROM runs WHERE run_uuid = ?", (version.run_id,))
    v.select_model("fraud-detector")
    v.select_version("3")
    wait_idle(qtbot, v.detail.run_slot)
    qtbot.waitUntil(lambda: bool(recorder.errors))
    assert version.run_id in recorder.errors[0] and "cannot be read" in recorder.errors[0]
    assert v.detail.metrics_model.rowCount() == 0 and v.detail.params_model.rowCount() == 0
