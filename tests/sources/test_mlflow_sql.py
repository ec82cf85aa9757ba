"""The MLflow SQL source against real stores written by MLflow 2.17 and 3.17."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from mlops_desktop.core.errors import SchemaError, StoreError
from mlops_desktop.core.inventory import inventory_json
from mlops_desktop.sources import load_catalog, open_source, parse_store_url
from mlops_desktop.sources.mlflow_sql import MlflowSqlSource
from tests.conftest import FIXTURES, file_sha256
from tests.mlflow_truth import actual_from_inventory, expected_from_truth


@pytest.mark.parametrize(
    ("db", "truth"),
    [("mlflow-3.17-sqlite.db", "mlflow-3.17-sqlite.truth.json"), ("mlflow-2.17-sqlite.db", "mlflow-2.17-sqlite.truth.json")],
)
def test_sqlite_inventory_matches_mlflow_client(tmp_path: Path, db: str, truth: str) -> None:
    path = tmp_path / db
    shutil.copyfile(FIXTURES / db, path)
    catalog = load_catalog([str(path)])
    assert actual_from_inventory(inventory_json(catalog)) == expected_from_truth(FIXTURES / truth)


def test_unicode_model_name_survives(mlflow3_db: Path) -> None:
    names = [m.name for m in load_catalog([str(mlflow3_db)]).models]
    assert "ñandú-scorer ✓" in names


def test_deleted_versions_hidden_unless_asked(mlflow3_db: Path) -> None:
    catalog = load_catalog([str(mlflow3_db)])
    fraud = catalog.model("fraud-detector")
    assert fraud is not None
    assert [v.version for v in fraud.visible_versions()] == ["2", "3"]
    assert [v.version for v in fraud.visible_versions(include_deleted=True)] == ["1", "2", "3"]
    assert fraud.version("1").deleted  # type: ignore[union-attr]


def test_mlflow3_specifics(mlflow3_db: Path) -> None:
    truth = json.loads((FIXTURES / "mlflow-3.17-sqlite.truth.json").read_text("utf-8"))
    want = truth["models"]["fraud-detector"]["versions"]["3"]
    catalog = load_catalog([str(mlflow3_db)], all_runs=True)
    v = catalog.find_version("fraud-detector", "3")
    assert v is not None
    assert (v.run_id, v.logged_model_id) == (want["run_id"], "m-845dabcde6994ca4bcd68767da46feae")
    lm = catalog.logged_models[v.logged_model_id]
    assert lm.source_run_id == want["run_id"]
    run = catalog.runs[want["run_id"]]
    assert v.logged_model_id in run.output_model_ids
    assert run.user == want["run_user"]
    assert sum(1 for r in catalog.runs.values() if r.parent_run_id) == 3, "nested runs carry their parent"
    assert sum(1 for r in catalog.runs.values() if r.deleted) == 1, "the deleted run is read and marked"
    assert [e.name for e in catalog.experiments.values() if e.lifecycle_stage == "deleted"] == [
        "/edge/deleted-experiment"
    ]
    assert (sorted(run.params), sorted(run.metrics)) == (["depth", "lr", "n_estimators"], ["auc", "loss"])
    assert sorted([d.name, d.digest, d.context] for d in v.datasets) == want["datasets"]
    train = [d for d in v.datasets if d.context == "training"]
    assert [d.source for d in train] == ["s3://lake/payments/fraud-detector/train.parquet"]
    assert catalog.datasets[train[0].dataset_id].columns == ["amount", "label"], "the MLflow colspec schema is parsed"


def test_metric_history(mlflow3_db: Path) -> None:
    source = open_source(str(mlflow3_db))
    assert isinstance(source, MlflowSqlSource)
    catalog = source.load_catalog()
    run_id = catalog.find_version("fraud-detector", "3").run_id  # type: ignore[union-attr]
    keys = source.metric_keys(run_id)  # type: ignore[arg-type]
    assert keys
    history = source.metric_history(run_id, keys[0])  # type: ignore[arg-type]
    assert history and [h.step for h in history] == sorted(h.step for h in history)
    source.close()


def test_store_bytes_unchanged_after_full_read(mlflow3_db: Path) -> None:
    before = file_sha256(mlflow3_db)
    source = open_source(str(mlflow3_db))
    assert isinstance(source, MlflowSqlSource)
    catalog = source.load_catalog(all_runs=True)
    for run in catalog.runs.values():
        for key in run.metrics:
            source.metric_history(run.run_id, key)
    source.close()
    assert file_sha256(mlflow3_db) == before
    assert not Path(str(mlflow3_db) + "-wal").exists()


def test_sqlite_connection_refuses_writes(mlflow3_db: Path) -> None:
    source = open_source(str(mlflow3_db))
    assert isinstance(source, MlflowSqlSource)
    with source.engine.connect() as con, pytest.raises(sa.exc.OperationalError, match="readonly|read-only"):
        con.exec_driver_sql("DELETE FROM model_versions")
    source.close()


def test_cancel_stops_loading(mlflow3_db: Path) -> None:
    from mlops_desktop.core.errors import CancelledError

    calls: list[str] = []
    with pytest.raises(CancelledError):
        load_catalog([str(mlflow3_db)], lambda d, t, m: calls.append(m), lambda: len(calls) >= 2)
    assert len(calls) == 2


# -- bad input -------------------------------------------------------------------------


def test_missing_path() -> None:
    with pytest.raises(StoreError, match="No such file"):
        parse_store_url("/definitely/not/here.db")


def test_text_file(tmp_path: Path) -> None:
    p = tmp_path / "notes.db"
    p.write_text("hello, I am not a database\n")
    with pytest.raises(StoreError, match="not a metadata store"):
        parse_store_url(str(p))
    assert p.read_text() == "hello, I am not a database\n"


def test_empty_file_and_empty_sqlite(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with pytest.raises(StoreError, match="is empty"):
        parse_store_url(str(empty))
    blank = tmp_path / "blank.sqlite"
    sqlite3.connect(blank).execute("CREATE TABLE t(x)").connection.execute("DROP TABLE t").connection.commit()
    with pytest.raises(StoreError, match="no tables"):
        parse_store_url(str(blank))
    with pytest.raises(SchemaError, match="not an MLflow store"):
        open_source(f"mlflow+sqlite:///{blank}")


def test_mlmd_database_passed_as_mlflow(mlmd_db: Path) -> None:
    before = file_sha256(mlmd_db)
    with pytest.raises(SchemaError, match="ML Metadata"):
        open_source(f"mlflow+sqlite:///{mlmd_db}")
    assert file_sha256(mlmd_db) == before


def test_model_versions_dropped(mlflow3_db: Path) -> None:
    con = sqlite3.connect(mlflow3_db)
    con.execute("DROP TABLE model_versions")
    con.commit()
    con.close()
    before = file_sha256(mlflow3_db)
    with pytest.raises(SchemaError, match="model_versions"):
        open_source(str(mlflow3_db))
    assert file_sha256(mlflow3_db) == before


def test_corrupt_sqlite(mlflow3_db: Path) -> None:
    data = bytearray(mlflow3_db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    mlflow3_db.write_bytes(bytes(data))
    with pytest.raises(StoreError):
        load_catalog([str(mlflow3_db)])


def test_unknown_newer_columns_and_tables_tolerated(mlflow3_db: Path) -> None:
    con = sqlite3.connect(mlflow3_db)
    con.execute("ALTER TABLE model_versions ADD COLUMN future_thing TEXT")
    con.execute("CREATE TABLE future_table (x INTEGER)")
    con.commit()
    con.close()
    truth = expected_from_truth(FIXTURES / "mlflow-3.17-sqlite.truth.json")
    assert actual_from_inventory(inventory_json(load_catalog([str(mlflow3_db)]))) == truth


def test_unreachable_postgres_fails_fast() -> None:
    import time

    start = time.monotonic()
    with pytest.raises(StoreError, match="Cannot reach"):
        open_source("mlflow+postgresql://postgres@127.0.0.1:1/mlflow")
    assert time.monotonic() - start < 10


# -- servers ---------------------------------------------------------------------------


def _load_postgres_dump(url: str) -> None:
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(FIXTURES / "mlflow-3.17-postgres.sql")],
                   check=True, capture_output=True)


@pytest.mark.postgres
def test_postgres_inventory_matches_and_is_read_only(postgres_database: str) -> None:
    _load_postgres_dump(postgres_database)
    store = postgres_database.replace("postgresql://", "mlflow+postgresql://", 1)
    catalog = load_catalog([store])
    truth = expected_from_truth(FIXTURES / "mlflow-3.17-postgres.truth.json")
    assert actual_from_inventory(inventory_json(catalog)) == truth
    source = open_source(store)
    assert isinstance(source, MlflowSqlSource)
    with source.engine.connect() as con, pytest.raises(sa.exc.InternalError, match="read-only transaction"):
        con.exec_driver_sql("DELETE FROM model_versions")
    source.close()


@pytest.mark.postgres
def test_postgres_wrong_credentials(postgres_database: str) -> None:
    host_db = postgres_database.split("@", 1)[1]
    with pytest.raises(StoreError, match="refused the credentials") as info:
        open_source(f"mlflow+postgresql://no_such_officer:secret@{host_db}")
    assert "secret" not in str(info.value)


@pytest.mark.mysql
def test_mysql_inventory_matches_and_is_read_only(mysql_database: str) -> None:
    db = mysql_database.rsplit("/", 1)[1]
    with (FIXTURES / "mlflow-3.17-mysql.sql").open("rb") as fh:
        subprocess.run(["mysql", "-h", "127.0.0.1", "-u", "root", db], stdin=fh, check=True, capture_output=True)
    store = mysql_database.replace("mysql://", "mlflow+mysql://", 1)
    catalog = load_catalog([store])
    truth = expected_from_truth(FIXTURES / "mlflow-3.17-mysql.truth.json")
    assert actual_from_inventory(inventory_json(catalog)) == truth
    source = open_source(store)
    assert isinstance(source, MlflowSqlSource)
    with source.engine.connect() as con, pytest.raises(sa.exc.OperationalError, match="READ ONLY"):
        con.exec_driver_sql("DELETE FROM model_versions")
    source.close()


@pytest.mark.mysql
def test_mysql_wrong_credentials(mysql_database: str) -> None:
    host_db = mysql_database.split("@", 1)[1]
    with pytest.raises(StoreError, match="refused the credentials"):
        open_source(f"mlflow+mysql://nosuchuser:secret@{host_db}")


def test_load_shares_equal_values(mlflow3_db: Path) -> None:
    """Equal strings and times read in one load are one object each (memory: the 5x store's 50,000
    versions were created at 21 times), and the values are those of the store."""
    with sqlite3.connect(mlflow3_db) as con:  # a version and a metric logged at another version's time
        (created,) = con.execute("SELECT creation_time FROM model_versions WHERE name = 'fraud-detector' "
                                 "AND version = 2").fetchone()
        con.execute("UPDATE model_versions SET creation_time = ? WHERE name = 'readmission-risk' AND version = 3",
                    (created,))
        con.execute("UPDATE latest_metrics SET timestamp = ? WHERE key = 'auc' AND run_uuid = "
                    "'ab15f9ae6192427ab349ea460f4deca1'", (created,))
        con.execute("DELETE FROM tags WHERE key NOT IN ('mlflow.user', 'mlflow.source.type')")
        run_tags = con.execute("SELECT run_uuid, key, value FROM tags").fetchall()
    catalog = load_catalog([str(mlflow3_db)], all_runs=True)
    fraud2, fraud3 = catalog.find_version("fraud-detector", "2"), catalog.find_version("fraud-detector", "3")
    risk2, risk3 = catalog.find_version("readmission-risk", "2"), catalog.find_version("readmission-risk", "3")
    assert fraud2 and fraud3 and risk2 and risk3
    assert fraud2.created_at == datetime.fromtimestamp(created / 1000, tz=UTC)
    assert risk3.created_at is fraud2.created_at, "equal times of versions share one datetime"
    assert fraud2.updated_at is fraud2.created_at, "a version updated when created holds one datetime"
    auc = catalog.runs["ab15f9ae6192427ab349ea460f4deca1"].metrics["auc"]
    assert auc.timestamp is fraud2.created_at, "a metric logged at a version's time shares its datetime"
    assert risk2.version is fraud2.version, "version numbers are one string per number"
    assert fraud2.run_id is catalog.runs[fraud2.run_id].run_id, "a version holds its run's id object"
    for holders in ([v for m in catalog.models for v in m.versions], catalog.models, list(catalog.runs.values()),
                    list(catalog.datasets.values())):
        by_items: dict[tuple[tuple[str, str], ...], set[int]] = {}
        for h in holders:
            by_items.setdefault(tuple(h.tags.items()), set()).add(id(h.tags))
        assert len(by_items) < len(holders), "some tags are equal"
        assert all(len(ids) == 1 for ids in by_items.values()), "equal tags are one dict"
    assert {(rid, k, v) for rid, r in catalog.runs.items() for k, v in r.tags.items()} == set(run_tags)
    runs = [r for r in catalog.runs.values() if "auc" in r.metrics]
    assert len(runs) >= 2
    keys = {id(k) for r in runs for k in r.metrics if k == "auc"} | {id(r.metrics["auc"].key) for r in runs}
    assert len(keys) == 1, "a metric key is one string object across runs"
    times: dict[datetime, set[int]] = {}
    for r in catalog.runs.values():
        for m in r.metrics.values():
            if m.timestamp is not None:
                times.setdefault(m.timestamp, set()).add(id(m.timestamp))
    assert all(len(ids) == 1 for ids in times.values()), "equal metric times are one datetime"
    inputs = [d for r in catalog.runs.values() for d in r.inputs]
    assert inputs
    assert all(d.dataset_id is catalog.datasets[d.dataset_id].id for d in inputs), "inputs hold the dataset's id"
    contexts = [d.context for d in inputs if d.context == "training"]
    assert len(contexts) >= 2 and len({id(c) for c in contexts}) == 1, "contexts are one string"
