"""Paged reads of runs and datasets (Source.page_runs / page_datasets): the SQL stores filter,
order and cut in the database; the rows equal those of the full load paged in memory by the
Source base class, for every sort, both directions and a few filters."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from mlops_desktop.sources.base import (
    DATASET_SORTS,
    RUN_SORTS,
    DatasetQuery,
    RunQuery,
    Source,
    open_source,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RUN_TEXTS = ("", "a", "FIN", "no-such-run-anywhere")
DATASET_TEXTS = ("", "a", "S3", "no-such-dataset", "PII", "phi", "p", "consent", "2027-12", "1897c4d9")


def _check_same_as_full_load(source: Source) -> None:
    assert source.PAGES_IN_STORE
    full = source.load_catalog(all_runs=True)
    assert full.runs, "the fixture has runs"
    for sort in RUN_SORTS:
        for descending in (False, True):
            for text in RUN_TEXTS:
                query = RunQuery(text, sort, descending)
                expected = Source.page_runs(source, query, 0, 10_000)  # in memory, from the full load
                got = source.page_runs(query, 0, 10_000)
                assert [r.run.run_id for r in got] == [r.run.run_id for r in expected], query
                assert [r.datasets for r in got] == [r.datasets for r in expected], query
                assert source.count_runs(query) == len(expected), query
                # pages put together give the same rows
                paged = [r for offset in range(0, len(expected), 7) for r in source.page_runs(query, offset, 7)]
                assert [r.run.run_id for r in paged] == [r.run.run_id for r in expected], query
    assert source.count_runs(RunQuery("no-such-run-anywhere")) == 0
    assert source.count_runs() == len(full.runs)
    for got in source.page_runs(RunQuery(), 0, 10_000):
        run = full.runs[got.run.run_id]
        for name in ("name", "experiment_id", "experiment_name", "user", "status", "start_time", "end_time",
                     "lifecycle_stage", "source_name", "code_version", "artifact_uri"):
            assert getattr(got.run, name) == getattr(run, name), name
        assert got.datasets == len(run.inputs)
        detail = source.run_detail(run.run_id)
        assert detail is not None
        assert (detail.params, detail.metrics, detail.tags) == (run.params, run.metrics, run.tags)
        assert sorted(detail.inputs, key=repr) == sorted(run.inputs, key=repr)
    assert source.run_detail("no-such-run") is None
    for sort in DATASET_SORTS:
        for descending in (False, True):
            for text in DATASET_TEXTS:
                dquery = DatasetQuery(text, sort, descending)
                dexpected = Source.page_datasets(source, dquery, 0, 10_000)
                dgot = source.page_datasets(dquery, 0, 10_000)
                assert [(d.dataset.id, d.used_by_runs) for d in dgot] == \
                    [(d.dataset.id, d.used_by_runs) for d in dexpected], dquery
                assert source.count_datasets(dquery) == len(dexpected), dquery
    assert source.count_datasets() == len(full.datasets)
    for d in source.page_datasets(DatasetQuery(), 0, 10_000):
        assert d.dataset == full.datasets[d.dataset.id]


@pytest.mark.parametrize("name", ["mlflow-3.17-sqlite.db", "mlflow-2.17-sqlite.db"])
def test_sqlite_pages_equal_the_full_load(name: str) -> None:
    with open_source(str(FIXTURES / name)) as source:
        _check_same_as_full_load(source)


@pytest.mark.postgres
def test_postgres_pages_equal_the_full_load(postgres_database: str) -> None:
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", postgres_database, "-f",
                    str(FIXTURES / "mlflow-3.17-postgres.sql")], check=True, capture_output=True)
    with open_source(postgres_database.replace("postgresql://", "mlflow+postgresql://", 1)) as source:
        _check_same_as_full_load(source)


@pytest.mark.mysql
def test_mysql_pages_equal_the_full_load(mysql_database: str) -> None:
    db = mysql_database.rsplit("/", 1)[1]
    with (FIXTURES / "mlflow-3.17-mysql.sql").open("rb") as fh:
        subprocess.run(["mysql", "-h", "127.0.0.1", "-u", "root", db], stdin=fh, check=True, capture_output=True)
    with open_source(mysql_database.replace("mysql://", "mlflow+mysql://", 1)) as source:
        _check_same_as_full_load(source)


def test_fallback_pages_a_store_without_sql(mlmd_db: Path) -> None:
    """A source that cannot page in its store pages its full load in memory (same filter and order)."""
    with open_source(str(mlmd_db)) as source:
        assert not source.PAGES_IN_STORE
        full = source.load_catalog(all_runs=True)
        got = source.page_runs(RunQuery(sort="run_id", descending=False), 0, 10_000)
        assert [r.run.run_id for r in got] == sorted(full.runs, key=lambda i: i.lower())
        assert source.count_runs() == len(full.runs)
        first = next(iter(full.runs))
        assert source.run_detail(first) == full.runs[first]
        assert source.count_datasets() == len(full.datasets)


def test_unknown_sort_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown run sort"):
        RunQuery(sort="nope")
    with pytest.raises(ValueError, match="unknown dataset sort"):
        DatasetQuery(sort="nope")


def test_dataset_filter_matches_classification_badges_and_facts() -> None:
    """"PII" finds the datasets one of whose run inputs is tagged pii=true (not only names holding
    the letters), a lawful basis finds the datasets whose inputs record it, an id finds its dataset."""
    with open_source(str(FIXTURES / "mlflow-3.17-sqlite.db")) as source:
        full = source.load_catalog(all_runs=True)
        inputs = [i for r in full.runs.values() for i in r.inputs]
        pii = {i.dataset_id for i in inputs if i.tags.get("pii", "").lower() == "true"}
        consent = {i.dataset_id for i in inputs if i.tags.get("lawful_basis") == "consent"}
        assert pii and consent and pii != set(full.datasets)
        assert {d.dataset.id for d in source.page_datasets(DatasetQuery("PII"), 0, 10_000)} == pii
        assert {d.dataset.id for d in source.page_datasets(DatasetQuery("Consent"), 0, 10_000)} == consent
        some = next(iter(full.datasets))
        assert [d.dataset.id for d in source.page_datasets(DatasetQuery(some), 0, 10_000)] == [some]


def _grow(db: Path, n: int) -> None:
    """Add ``n`` runs whose names, users, statuses and start times repeat (ties for every sort)."""
    con = sqlite3.connect(db)
    with con:
        exp = con.execute("select experiment_id from experiments order by experiment_id limit 1").fetchone()[0]
        con.execute(
            "with recursive k(i) as (select 0 union all select i + 1 from k where i + 1 < ?) "
            "insert into runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, "
            "start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id) "
            "select printf('bulk%08d', i), 'Bulk-' || (i % 97), 'LOCAL', '', '', 'user' || (i % 7), "
            "case when i % 3 = 0 then 'FAILED' else 'FINISHED' end, "
            "case when i % 50 = 0 then null else 1700000000000 + (i % 1000) * 1000 end, "
            "1700000000000 + (i % 1000) * 1000 + (i % 17) * 10, '', 'active', '', ? from k",
            (n, exp),
        )
    con.close()


def test_sqlite_pages_sorted_from_a_sample_equal_a_full_sort(mlflow3_db: Path) -> None:
    """On SQLite a page keeps only the runs at or beyond a sort-key value found in a sample
    before sorting: the pages are those of the full sort, at the start, in the middle and at the
    end, for every sort and with a filter (and the threshold is really used)."""
    _grow(mlflow3_db, 6000)
    with open_source(str(mlflow3_db)) as source:
        source.PAGE_SAMPLE_ROWS = 300  # type: ignore[misc]  # a sample of about 300 of the 6,029 runs
        total = source.count_runs()
        for sort in RUN_SORTS:
            for descending in (False, True):
                for text in ("", "bulk-4"):
                    query = RunQuery(text, sort, descending)
                    expected = [r.run.run_id for r in Source.page_runs(source, query, 0, 10_000)]
                    for offset in (0, 55, len(expected) // 2, max(0, len(expected) - 20)):
                        got = [r.run.run_id for r in source.page_runs(query, offset, 40)]
                        assert got == expected[offset:offset + 40], (query, offset)
        with source.engine.connect() as con:
            query = RunQuery()
            ids, _present = source._run_select(query, [source._run_tables()[0].c.run_uuid])
            threshold = source._run_threshold(con, query, ids, source._run_key(query, None), 40)
        assert threshold is not None and total == 6029


def test_a_cancelled_sqlite_read_stops_inside_the_database(mlflow3_db: Path) -> None:
    """A filter typed letter by letter cancels the reads it no longer needs: on SQLite the
    statement itself is interrupted (CancelledError), and the connection serves the next read."""
    from mlops_desktop.core.errors import CancelledError

    _grow(mlflow3_db, 20_000)
    with open_source(str(mlflow3_db)) as source:
        looks: list[int] = []

        def cancelled_after_first_look() -> bool:
            looks.append(1)
            return len(looks) > 1

        with pytest.raises(CancelledError):
            source.count_runs(RunQuery("no-such-run"), is_cancelled=cancelled_after_first_look)
        assert len(looks) == 3  # twice while the statement ran (stopped at the first True), once after
        looks.clear()
        with pytest.raises(CancelledError):
            source.page_runs(RunQuery(sort="name"), 10_000, 10, is_cancelled=lambda: True)
        assert source.count_runs(RunQuery("no-such-run"), is_cancelled=lambda: False) == 0
        assert len(source.page_runs(RunQuery(), 0, 5, is_cancelled=lambda: False)) == 5
