"""The GUI's working catalog: the registry held once, runs held lean (tags and inputs, no params
or latest metrics) and read whole from the store when asked; every analysis, signed evidence,
report fact and snapshot the same as from the full catalog."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.core.diff import diff_versions
from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.errors import StoreError
from mlops_desktop.core.findings import evaluate
from mlops_desktop.core.inventory import inventory_json
from mlops_desktop.core.lineage import build_graph
from mlops_desktop.core.monitoring import MonitoringIndex
from mlops_desktop.governance.approvals import _evidence
from mlops_desktop.governance.snapshot import create_snapshot
from mlops_desktop.reports.model_card import build_card
from mlops_desktop.sources.base import open_source
from mlops_desktop.sources.loader import StoreLoaded, load_catalog, load_stores
from mlops_desktop.sources.mlflow_sql import MONITORING_TAG, MlflowSqlSource
from mlops_desktop.sources.snapshot import SnapshotSource
from tests.conftest import FIXTURES

MONITORING_DB = FIXTURES / "monitoring" / "mlflow.db"


def _working(path: Path) -> tuple[MlflowSqlSource, Catalog, Catalog]:
    """(the open source, its registry, its working catalog built on that registry)."""
    source = open_source(str(path))
    assert isinstance(source, MlflowSqlSource)
    registry = source.load_registry()
    return source, registry, source.load_working_catalog(registry)


def _views(catalog: Catalog) -> dict[str, Any]:
    return {
        "inventory": inventory_json(catalog, include_deleted=True),
        "lineage": build_graph(catalog).to_json(),
        "findings": [f.as_json() for f in evaluate(catalog)],
    }


def _delete_run(db: Path, run_id: str) -> None:
    with sqlite3.connect(db) as con:
        for table in ("latest_metrics", "metrics", "params", "tags", "inputs"):
            column = "destination_id" if table == "inputs" else "run_uuid"
            con.execute(f"DELETE FROM {table} WHERE {column} = ?", (run_id,))
        con.execute("DELETE FROM runs WHERE run_uuid = ?", (run_id,))


def test_registry_held_once_and_runs_lean(mlflow3_db: Path) -> None:
    source, registry, working = _working(mlflow3_db)
    with source:
        full = source.load_catalog()
        assert working.models is registry.models  # the registry shown at once is the one kept
        assert [id(v) for m in working.models for v in m.versions] == [id(v) for m in registry.models for v in m.versions]
        assert working.runs.keys() == full.runs.keys() and working.runs
        assert any(r.params or r.metrics for r in full.runs.values()), "the fixture's runs log params and metrics"
        for rid, run in working.runs.items():
            whole = full.runs[rid]
            assert run.lean and not whole.lean
            assert run.params == {} and run.metrics == {}
            assert (run.tags, run.inputs, run.user, run.artifact_uri) == (whole.tags, whole.inputs, whole.user, whole.artifact_uri)
            assert working.full_run(rid) == whole
        assert working.whole_runs() == full.runs
        assert list(working.whole_runs()) == list(full.runs)  # same order
        assert working.full_run("no-such-run") is None and working.full_run(None) is None
        # every analysis reads only what a lean run keeps
        assert _views(working) == _views(full)


def test_signed_evidence_diffs_and_model_cards_read_the_whole_run(mlflow3_db: Path) -> None:
    source, _registry, working = _working(mlflow3_db)
    with source:
        full = source.load_catalog()
        signed_metrics = 0
        for model, lean_model in zip(full.models, working.models, strict=True):
            for mv, lean_mv in zip(model.versions, lean_model.versions, strict=True):
                assert _evidence(working, lean_mv) == _evidence(full, mv)
                signed_metrics += len(_evidence(full, mv).get("metrics", {}))
                assert build_card(working, lean_model, lean_mv) == build_card(full, model, mv)
            versions = [v.version for v in model.versions]
            for old, new in zip(versions, versions[1:], strict=False):
                assert diff_versions(working, model.name, old, new) == diff_versions(full, model.name, old, new)
    assert signed_metrics > 0, "the fixture's versions have metrics to sign"


def test_monitoring_runs_are_held_whole(tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    shutil.copy(MONITORING_DB, db)
    source, _registry, working = _working(db)
    with source:
        full = source.load_catalog()
    monitoring = [r for r in working.runs.values() if MONITORING_TAG in r.tags]
    assert monitoring and all(not r.lean and r == full.runs[r.run_id] for r in monitoring)
    assert all(r.lean for r in working.runs.values() if MONITORING_TAG not in r.tags)
    assert MonitoringIndex.build(working).results == MonitoringIndex.build(full).results


def test_a_run_deleted_since_the_read_is_an_error_not_an_empty_run(tmp_path: Path, mlflow3_db: Path) -> None:
    source, _registry, working = _working(mlflow3_db)
    with source:
        gone = next(iter(working.runs))
        _delete_run(mlflow3_db, gone)
        with pytest.raises(StoreError, match="Reload the store") as err:
            working.full_run(gone)
        assert gone in str(err.value)
        with pytest.raises(StoreError, match="Reload the store"):
            working.whole_runs()
        # a snapshot of what is shown cannot silently drop the run's metrics
        out = tmp_path / "s.mlsnap"
        with pytest.raises(StoreError, match="Reload the store"):
            create_snapshot([str(mlflow3_db)], out, catalog=working)
        assert not out.exists() and not list(tmp_path.glob(".s.mlsnap.*"))


def test_snapshot_of_the_working_catalog_holds_every_run_whole(tmp_path: Path, mlflow3_db: Path) -> None:
    full = load_catalog([str(mlflow3_db)])
    source, _registry, working = _working(mlflow3_db)
    with source:
        out = tmp_path / "s.mlsnap"
        create_snapshot([str(mlflow3_db)], out, catalog=working)
    with SnapshotSource.open(out) as snap:
        carried = snap.load_catalog()
    assert carried == full
    assert not any(r.lean for r in carried.runs.values())


def test_the_loader_gives_the_gui_the_working_catalog_and_other_sources_their_own(mlflow3_db: Path) -> None:
    openlineage = f"openlineage:{FIXTURES / 'openlineage-1.54-airflow.ndjson'}"
    parts: list[StoreLoaded] = []
    with load_stores([str(mlflow3_db), openlineage], partial=parts.append, working=True) as loaded:
        catalog = loaded.catalog
        mlflow_runs = [r for r in catalog.runs.values() if r.store == str(mlflow3_db)]
        other_runs = [r for r in catalog.runs.values() if r.store != str(mlflow3_db)]
        assert mlflow_runs and all(r.lean for r in mlflow_runs)
        assert other_runs and not any(r.lean for r in other_runs)  # OpenLineage holds its runs whole
        assert list(catalog.run_readers) == [str(mlflow3_db)]
        assert catalog.models[: len(parts[0].catalog.models)] == parts[0].catalog.models
        full = load_catalog([str(mlflow3_db), openlineage])
        assert catalog.whole_runs() == full.runs
        assert _views(catalog) == _views(full)
    # all_runs (the CLI's --all-runs) always reads every run whole
    with load_stores([str(mlflow3_db)], working=True, all_runs=True) as loaded:
        assert not any(r.lean for r in loaded.catalog.runs.values())
