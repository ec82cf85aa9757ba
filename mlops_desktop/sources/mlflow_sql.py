"""MLflow tracking + model registry databases (SQLite, PostgreSQL, MySQL/MariaDB), read-only.

Reads MLflow 2.x and 3.x schemas by reflection: columns MLflow added later (``workspace``,
``logged_models``, ``inputs.step``) are used when present and unknown newer tables or
columns are ignored. Missing core tables are refused with a clear message.
Each call opens its own connection; rows become entities inside it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import chain
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from mlops_desktop.core.classification import TRUE_VALUES
from mlops_desktop.core.entities import (
    Catalog,
    Dataset,
    DatasetInput,
    Experiment,
    LoggedModel,
    MetricValue,
    ModelVersion,
    RegisteredModel,
    Run,
    StoreInfo,
    from_millis,
)
from mlops_desktop.core.errors import CancelledError, MlopsError, SchemaError
from mlops_desktop.core.hashing import file_sha256
from mlops_desktop.core.monitoring import MONITORING_TAG
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    checkpoint,
    never_cancelled,
    no_progress,
)
from mlops_desktop.sources.base import (
    DATASET_BADGE_TAGS,
    DATASET_FACT_TAGS,
    DEFAULT_SETTINGS,
    DatasetQuery,
    DatasetSummary,
    RunQuery,
    RunSummary,
    Source,
    SourceSettings,
    StoreUrl,
    fold,
)
from mlops_desktop.sources.registry_identity import mlflow_material, registry_id
from mlops_desktop.sources.sql import readonly_engine, translate_sql_error

logger = logging.getLogger(__name__)

#: Tables without which a database is not an MLflow store we can read.
CORE_TABLES = ("registered_models", "model_versions", "runs", "experiments")
#: Stage MLflow gives to versions it deleted (they stay with a redacted run id and source).
DELETED_STAGE = "Deleted_Internal"
CONTEXT_TAG = "mlflow.data.context"
PARENT_RUN_TAG = "mlflow.parentRunId"
FETCH_BATCH = 2000
#: run ids to one query of :meth:`MlflowSqlSource.read_runs` (under every backend's limit of bound values)
RUN_ID_BATCH = 500
#: SQLite virtual-machine steps between two looks at a paging read's cancellation (about 1 ms).
PROGRESS_STEPS = 20_000


class MlflowSqlSource(Source):
    """An MLflow SQL store. Construct with a parsed URL; nothing is read until asked."""

    CLAIMS_TABLES = (frozenset({"registered_models"}), frozenset({"model_versions"}),
                     frozenset({"runs", "experiments"}))
    KEEPS_METRIC_HISTORY = True
    PAGES_IN_STORE = True
    #: About how many runs a SQLite page's sample sorts (:meth:`_run_threshold`).
    PAGE_SAMPLE_ROWS = 20_000

    def __init__(self, url: StoreUrl, settings: SourceSettings = DEFAULT_SETTINGS) -> None:
        super().__init__(url, settings)
        self.engine = readonly_engine(url)
        self._columns: dict[str, set[str]] = {}
        self._schema_version = ""
        self._registry_id: str | None = None
        self._check_schema()

    # -- connection and schema -------------------------------------------------------

    def _connect(self) -> sa.Connection:
        try:
            return self.engine.connect()
        except SQLAlchemyError as exc:
            raise translate_sql_error(exc, self.url) from exc

    def _check_schema(self) -> None:
        try:
            with self._connect() as con:
                insp = sa.inspect(con)
                tables = {t.lower(): t for t in insp.get_table_names()}
                missing = [t for t in CORE_TABLES if t not in tables]
                if missing:
                    hint = "Pick the database your MLflow tracking server uses (its --backend-store-uri)."
                    if {"artifact", "execution", "event"} <= set(tables):
                        hint = "This looks like an ML Metadata store: open it as mlmd+sqlite:///… or as a plain path."
                    raise SchemaError(
                        f"{self.url.display} is not an MLflow store: table(s) {', '.join(missing)} missing.", hint
                    )
                wanted = (*CORE_TABLES, "registered_model_tags", "registered_model_aliases", "model_version_tags",
                          "params", "latest_metrics", "metrics", "tags", "datasets", "inputs", "input_tags",
                          "logged_models", "alembic_version")
                for name in wanted:
                    if name in tables:
                        self._columns[name] = {c["name"].lower() for c in insp.get_columns(tables[name])}
                if "alembic_version" in self._columns:
                    row = con.execute(sa.text("SELECT version_num FROM alembic_version")).first()
                    self._schema_version = row[0] if row else ""
        except SQLAlchemyError as exc:
            raise translate_sql_error(exc, self.url) from exc
        needed = {"model_versions": {"name", "version", "current_stage", "run_id", "source"},
                  "registered_models": {"name"}, "runs": {"run_uuid", "experiment_id"}}
        for table, cols in needed.items():
            lacking = cols - self._columns[table]
            if lacking:
                raise SchemaError(
                    f"{self.url.display}: MLflow table {table} lacks column(s) {', '.join(sorted(lacking))}.",
                    "The store may be damaged or from an unsupported MLflow version.",
                )

    @property
    def info(self) -> StoreInfo:
        identity = str(self.url.path) if self.url.path else self.url.display
        return StoreInfo("mlflow", self.url.display, self._schema_version, self.url.dialect, identity,
                         self.registry_id())

    def registry_id(self) -> str:
        """The lowest-id experiment's id and creation time (``registry_identity``): the same on
        SQLite, PostgreSQL and MySQL holding the same rows, and over the server's REST API."""
        if self._registry_id is None:
            exp = self._table("experiments", "experiment_id", "creation_time", "artifact_location")
            cols = {c.name for c in exp.columns}
            try:
                with self._connect() as con:
                    row = con.execute(sa.select(exp).order_by(exp.c.experiment_id).limit(1)).mappings().first()
            except SQLAlchemyError as exc:
                raise translate_sql_error(exc, self.url) from exc
            material = None
            if row is not None:
                material = mlflow_material(row["experiment_id"], row["creation_time"] if "creation_time" in cols
                                           else None, row.get("artifact_location"))
            self._registry_id = registry_id("mlflow", material)
        return self._registry_id

    def has(self, table: str, column: str | None = None) -> bool:
        cols = self._columns.get(table)
        return cols is not None and (column is None or column in cols)

    def _table(self, name: str, *columns: str) -> sa.TableClause:
        present = self._columns.get(name, set())
        return sa.table(name, *(sa.column(c) for c in columns if c in present))

    def close(self) -> None:
        self.engine.dispose()

    def content_digest(self) -> str:
        """SHA-256 of the store file (SQLite), or of the server URL identity otherwise."""
        if self.url.path:
            return file_sha256(self.url.path)
        return hashlib.sha256(self.url.display.encode()).hexdigest()

    # -- reading ---------------------------------------------------------------------

    def load_catalog(
        self,
        progress: ProgressFn = no_progress,
        is_cancelled: CancelledFn = never_cancelled,
        *,
        all_runs: bool = False,
    ) -> Catalog:
        try:
            with self._connect() as con:
                return self._load(con, progress, is_cancelled, all_runs)
        except SQLAlchemyError as exc:
            raise translate_sql_error(exc, self.url) from exc

    def load_registry(self, progress: ProgressFn = no_progress, is_cancelled: CancelledFn = never_cancelled,
                      *, first: int | None = None) -> Catalog:
        """Registered models and their versions only (no runs, datasets or metrics).

        Fast even on a large store: the GUI shows these rows first, then the full catalog.
        ``first``: only the first models by name (what the inventory shows at the top), with their
        versions, tags and aliases: 0.1 s where the whole registry of 10,000 models takes 1.5-3 s.
        """
        try:
            with self._connect() as con:
                progress(0, 2, "Reading registered models")
                models = self._read_models(con, first)
                check_cancelled(is_cancelled)
                progress(1, 2, "Reading model versions")
                self._read_versions(con, models, [k[1] for k in models] if first is not None else None)
        except SQLAlchemyError as exc:
            raise translate_sql_error(exc, self.url) from exc
        return Catalog(stores=[self.info], models=list(models.values()))

    def load_working_catalog(self, registry: Catalog | None, progress: ProgressFn = no_progress,
                             is_cancelled: CancelledFn = never_cancelled) -> Catalog:
        """The catalog with ``registry``'s models and versions (read again when None) and lean runs:
        the params and latest metrics of a run are read by :meth:`read_runs` when asked for
        (:meth:`Catalog.full_run`), except for monitoring runs, whose metrics are the results."""
        try:
            with self._connect() as con:
                catalog = self._load(con, progress, is_cancelled, False,
                                     registry=registry.models if registry is not None else None, lean=True)
        except SQLAlchemyError as exc:
            raise translate_sql_error(exc, self.url) from exc
        catalog.run_readers[self.url.display] = self.read_runs
        return catalog

    def _load(self, con: sa.Connection, progress: ProgressFn, is_cancelled: CancelledFn, all_runs: bool, *,
              registry: list[RegisteredModel] | None = None, lean: bool = False) -> Catalog:
        steps = 7
        store = self.url.display
        times = _Times()  # equal times of versions and metrics share one datetime
        progress(0, steps, "Reading registered models")
        if registry is None:
            models = self._read_models(con, times=times)
            check_cancelled(is_cancelled)
            progress(1, steps, "Reading model versions")
            versions = self._read_versions(con, models, times=times)
            registry = list(models.values())
        else:  # the registry read moments ago, shown already: one copy of it is held
            versions = [v for m in registry for v in m.versions]
        check_cancelled(is_cancelled)
        progress(2, steps, "Reading experiments and runs")
        experiments = self._read_experiments(con)
        run_filter = self._run_filter(all_runs)
        runs = self._read_runs(con, run_filter, experiments)
        check_cancelled(is_cancelled)
        progress(3, steps, "Reading run tags" if lean else "Reading run parameters, metrics and tags")
        self._fill_run_details(con, runs, run_filter, times, lean=lean)
        check_cancelled(is_cancelled)
        progress(4, steps, "Reading dataset inputs")
        datasets = self._read_inputs(con, runs, run_filter)
        check_cancelled(is_cancelled)
        progress(5, steps, "Reading logged models")
        logged = self._read_logged_models(con, runs if not all_runs else None, versions, times)
        check_cancelled(is_cancelled)
        progress(6, steps, "Linking versions to runs")
        for v in versions:
            run = runs.get(v.run_id) if v.run_id else None
            if run is not None:
                v.run_id = run.run_id  # the run's id object (equal), not a second copy of it
                v.run_user = run.user
                v.datasets = sorted(run.inputs, key=lambda d: (d.name, d.digest, d.context or ""))
        for e in experiments.values():
            e.store = store
        progress(steps, steps, "Done")
        return Catalog(
            stores=[self.info],
            models=registry,
            runs=runs,
            experiments={e.experiment_id: e for e in experiments.values()},
            datasets=datasets,
            logged_models=logged,
        )

    def _read_models(self, con: sa.Connection, first: int | None = None,
                     times: _Times | None = None) -> dict[tuple[str, str], RegisteredModel]:
        when = (times or _Times()).at
        ws = self.has("registered_models", "workspace")
        rm = self._table("registered_models", "name", "creation_time", "last_updated_time", "description", "workspace")
        cols = [rm.c.name, rm.c.creation_time, rm.c.last_updated_time, rm.c.description]
        if ws:
            cols.append(rm.c.workspace)
        models: dict[tuple[str, str], RegisteredModel] = {}
        query = sa.select(*cols).order_by(rm.c.name)
        if first is not None:
            query = query.limit(first)
        for row in con.execute(query):
            key = (row[4] if ws else "default", row[0])
            models[key] = RegisteredModel(
                name=row[0], description=row[3] or "", created_at=when(row[1]),
                updated_at=when(row[2]), store=self.url.display,
            )
        names = [k[1] for k in models] if first is not None else None
        if self.has("registered_model_tags"):
            for wsv, name, k, v in self._keyed_rows(con, "registered_model_tags", ("name", "key", "value"),
                                                    names):
                m = models.get((wsv, name))
                if m is not None:
                    m.tags[_shared(k)] = _shared(v) if v is not None else ""
        same_tags = _EqualDicts()
        for m in models.values():
            m.tags = same_tags.one(m.tags)
        if self.has("registered_model_aliases"):
            for wsv, name, alias, version in self._keyed_rows(con, "registered_model_aliases",
                                                              ("name", "alias", "version"), names):
                m = models.get((wsv, name))
                if m is not None:
                    m.aliases[alias] = str(version)
        if len({k[0] for k in models}) > 1:  # several workspaces: qualify names that are not in the default one
            for (wsv, _), m in models.items():
                if wsv != "default":
                    m.name = f"{wsv}/{m.name}"
        return models

    def _keyed_rows(self, con: sa.Connection, table: str, cols: Sequence[str],
                    names: Sequence[str] | None = None) -> Iterator[tuple[Any, ...]]:
        """Rows of ``cols`` prefixed with the workspace ("default" on MLflow 2); ``names``: only
        the rows of these models (the table's ``name`` column)."""
        t = self._table(table, *cols, "workspace")
        ws = self.has(table, "workspace")
        select_cols = ([t.c.workspace] if ws else []) + [t.c[c] for c in cols]
        query = sa.select(*select_cols)
        if names is not None:
            query = query.where(t.c.name.in_(list(names)))
        for part in con.execute(query).partitions(FETCH_BATCH):
            checkpoint()
            for row in part:
                yield (row[0], *row[1:]) if ws else ("default", *row)

    def _read_versions(self, con: sa.Connection, models: dict[tuple[str, str], RegisteredModel],
                       names: Sequence[str] | None = None, times: _Times | None = None) -> list[ModelVersion]:
        when = (times or _Times()).at
        numbers: dict[Any, str] = {}  # a store's versions are numbered 1, 2, 3... in every model
        texts: dict[str, str] = {}  # storage locations and descriptions that repeat
        mv_cols = ("name", "version", "creation_time", "last_updated_time", "description", "user_id",
                   "current_stage", "source", "run_id", "status", "storage_location")
        present = [c for c in mv_cols if self.has("model_versions", c)]
        versions: dict[tuple[str, str, str], ModelVersion] = {}
        out: list[ModelVersion] = []
        for row in self._keyed_rows(con, "model_versions", present, names):
            rec = dict(zip(present, row[1:], strict=True))
            model = models.get((row[0], rec["name"]))
            if model is None:
                continue
            stage = rec.get("current_stage")
            deleted = stage == DELETED_STAGE
            v = ModelVersion(
                model_name=model.name,
                version=numbers.get(rec["version"]) or numbers.setdefault(rec["version"], str(rec["version"])),
                stage=None if stage in (None, "None") else _shared(stage),
                status=_shared(rec.get("status")) or "READY",
                user_id=_shared(rec.get("user_id")) or None,
                run_id=rec.get("run_id") or None,
                source=rec.get("source") or "",
                storage_location=_same(texts, rec.get("storage_location")),
                created_at=when(rec.get("creation_time")),
                updated_at=when(rec.get("last_updated_time")),
                description=_same(texts, rec.get("description")) or "",
                deleted=deleted,
                store=self.url.display,
            )
            versions[(row[0], rec["name"], v.version)] = v
            model.versions.append(v)
            out.append(v)
        if self.has("model_version_tags"):
            for wsv, name, version, k, val in self._keyed_rows(con, "model_version_tags",
                                                               ("name", "version", "key", "value"), names):
                mv = versions.get((wsv, name, str(version)))
                if mv is not None:
                    mv.tags[_shared(k)] = _shared(val) if val is not None else ""
        same_tags = _EqualDicts()
        for v in out:
            v.tags = same_tags.one(v.tags)
        for m in models.values():
            m.versions.sort(key=lambda x: int(x.version) if x.version.isdigit() else 0)
            for alias, ver in m.aliases.items():
                mv = m.version(ver)
                if mv is not None:
                    mv.aliases.append(alias)
            for mv in m.versions:
                mv.aliases.sort()
        return out

    def _read_experiments(self, con: sa.Connection, runs: sa.Select[Any] | None = None) -> dict[str, Experiment]:
        """Every experiment, or (``runs``: a select of run ids) the experiments of those runs."""
        t = self._table("experiments", "experiment_id", "name", "artifact_location", "lifecycle_stage")
        stmt = sa.select(t.c.experiment_id, t.c.name, t.c.artifact_location, t.c.lifecycle_stage)
        if runs is not None:
            r = self._table("runs", "run_uuid", "experiment_id")
            stmt = stmt.where(t.c.experiment_id.in_(sa.select(r.c.experiment_id).where(r.c.run_uuid.in_(runs))))
        out: dict[str, Experiment] = {}
        for row in con.execute(stmt):
            eid = str(row[0])
            out[eid] = Experiment(eid, row[1], row[2] or "", row[3] or "active")
        return out

    def _run_filter(self, all_runs: bool) -> sa.Select[Any] | None:
        """None for every run, else a subquery of the runs registered versions were made from and
        the runs tagged as monitoring runs."""
        if all_runs:
            return None
        mv = self._table("model_versions", "run_id")
        used = sa.select(mv.c.run_id).where(mv.c.run_id.is_not(None))
        tags = self._table("tags", "key", "run_uuid")  # monitoring runs are read too (docs/MONITORING.md)
        return sa.union(used, sa.select(tags.c.run_uuid).where(tags.c.key == MONITORING_TAG)).subquery().select()

    @staticmethod
    def _rows(
        con: sa.Connection, stmt: sa.Select[Any], column: sa.ColumnClause[Any], runs: sa.Select[Any] | None
    ) -> Iterator[Any]:
        """Rows of ``stmt``, restricted to ``column IN runs`` when a run filter is given.

        Fetched in partitions so a GUI thread gets the interpreter between batches.
        """
        if runs is not None:
            stmt = stmt.where(column.in_(runs))
        for part in con.execute(stmt).partitions(FETCH_BATCH):
            checkpoint()
            yield from part

    def _read_runs(
        self, con: sa.Connection, run_filter: sa.Select[Any] | None, experiments: dict[str, Experiment]
    ) -> dict[str, Run]:
        cols = ("run_uuid", "name", "user_id", "status", "start_time", "end_time", "source_name",
                "source_version", "lifecycle_stage", "artifact_uri", "experiment_id")
        present = [c for c in cols if self.has("runs", c)]
        t = self._table("runs", *present)
        stmt = sa.select(*(t.c[c] for c in present))
        runs: dict[str, Run] = {}
        for row in self._rows(con, stmt, t.c.run_uuid, run_filter):
            rec = dict(zip(present, row, strict=True))
            eid = _shared(str(rec.get("experiment_id", "")))
            exp = experiments.get(eid)
            runs[rec["run_uuid"]] = Run(
                run_id=rec["run_uuid"],
                name=rec.get("name") or "",
                experiment_id=eid,
                experiment_name=exp.name if exp else "",
                user=_shared(rec.get("user_id")) or None,
                status=_shared(rec.get("status")) or "",
                start_time=from_millis(rec.get("start_time")),
                end_time=from_millis(rec.get("end_time")),
                lifecycle_stage=_shared(rec.get("lifecycle_stage")) or "active",
                source_name=_shared(rec.get("source_name")) or "",
                code_version=rec.get("source_version") or None,
                artifact_uri=rec.get("artifact_uri") or "",
                store=self.url.display,
            )
        return runs

    def _fill_run_details(self, con: sa.Connection, runs: dict[str, Run], ids: sa.Select[Any] | None,
                          times: _Times | None = None, *, lean: bool = False) -> None:
        """Tags, params and latest metrics. ``lean``: tags of every run, params and metrics only of
        the monitoring runs (the others are marked :attr:`Run.lean`)."""
        details = ids
        if lean:
            for held in runs.values():
                held.lean = True
            if not self.has("tags"):
                return
            tg = self._table("tags", "key", "run_uuid")
            details = sa.select(tg.c.run_uuid).where(tg.c.key == MONITORING_TAG)
        if self.has("params"):
            p = self._table("params", "key", "value", "run_uuid")
            for rid, k, v in self._rows(con, sa.select(p.c.run_uuid, p.c.key, p.c.value), p.c.run_uuid, details):
                run = runs.get(rid)
                if run is not None:
                    run.params[_shared(k)] = v
        if self.has("tags"):
            t = self._table("tags", "key", "value", "run_uuid")
            for rid, k, v in self._rows(con, sa.select(t.c.run_uuid, t.c.key, t.c.value), t.c.run_uuid, ids):
                run = runs.get(rid)
                if run is not None:
                    run.tags[_shared(k)] = _shared(v) if v is not None else ""
                    if k == PARENT_RUN_TAG:
                        run.parent_run_id = v
            same_tags = _EqualDicts()
            for run in runs.values():
                run.tags = same_tags.one(run.tags)
            del same_tags
        if self.has("latest_metrics"):
            m = self._table("latest_metrics", "key", "value", "timestamp", "step", "is_nan", "run_uuid")
            stmt = sa.select(m.c.run_uuid, m.c.key, m.c.value, m.c.step, m.c.timestamp, m.c.is_nan)
            when = (times or _Times()).at  # a run logs its metrics at the same few times
            for rid, k, val, step, ts, is_nan in self._rows(con, stmt, m.c.run_uuid, details):
                run = runs.get(rid)
                if run is not None:
                    value = float("nan") if is_nan else float(val)
                    k = _shared(k)
                    run.metrics[k] = MetricValue(k, value, int(step or 0), when(ts))
        if lean:
            for held in runs.values():
                if MONITORING_TAG in held.tags:
                    held.lean = False

    def _read_inputs(self, con: sa.Connection, runs: dict[str, Run], ids: sa.Select[Any] | None) -> dict[str, Dataset]:
        if not self.has("inputs"):
            return {}
        i = self._table("inputs", "input_uuid", "source_type", "source_id", "destination_type", "destination_id")
        stmt = sa.select(i.c.input_uuid, i.c.source_id, i.c.destination_id).where(
            i.c.source_type == "DATASET", i.c.destination_type == "RUN"
        )
        # the links in the store's order, as parallel lists (no tuple per link); one string object
        # per dataset id, which the dataset keeps; the input ids are dropped once the tags are read
        link_uuids: list[str] = []
        link_datasets: list[str] = []
        link_runs: list[Run] = []
        dataset_ids: dict[str, str] = {}
        for u, sid, did in self._rows(con, stmt, i.c.destination_id, ids):
            run = runs.get(did)
            if run is not None:
                link_uuids.append(u)
                link_datasets.append(_same(dataset_ids, sid))
                link_runs.append(run)
        out_stmt = sa.select(i.c.source_id, i.c.destination_id).where(i.c.source_type == "RUN_OUTPUT")
        for sid, did in self._rows(con, out_stmt, i.c.source_id, ids):
            run = runs.get(sid)
            if run is not None and did not in run.output_model_ids:
                run.output_model_ids.append(did)
        # each link's context and its other tags (only the links that have some): 100,000 links of
        # the 5x store held a dict each while the datasets were read
        contexts: list[str | None] = [None] * len(link_uuids)
        own: dict[int, dict[str, str]] = {}
        if self.has("input_tags") and link_uuids:
            at: dict[str, int] = {}
            again: dict[str, list[int]] = {}  # an input id linked twice (MLflow makes them unique)
            for n, u in enumerate(link_uuids):
                if at.setdefault(u, n) != n:
                    again.setdefault(u, []).append(n)
            link_uuids.clear()
            t = self._table("input_tags", "input_uuid", "name", "value")
            tag_stmt = sa.select(t.c.input_uuid, t.c.name, t.c.value)
            if ids is not None:
                tag_stmt = tag_stmt.join(i, i.c.input_uuid == t.c.input_uuid).where(i.c.destination_id.in_(ids))
            for uid, k, v in self._rows(con, tag_stmt, t.c.input_uuid, None):
                first = at.get(uid)
                if first is None:
                    continue
                k, v = _shared(k), _shared(v)
                for n in (first, *again[uid]) if again and uid in again else (first,):
                    if k == CONTEXT_TAG:
                        contexts[n] = v
                    else:
                        own.setdefault(n, {})[k] = v
            del at, again
        link_uuids.clear()
        datasets: dict[str, Dataset] = {}
        if self.has("datasets") and link_datasets:
            d = self._table("datasets", "dataset_uuid", "name", "digest", "dataset_source_type", "dataset_source",
                            "dataset_schema", "dataset_profile")
            dstmt = sa.select(d.c.dataset_uuid, d.c.name, d.c.digest, d.c.dataset_source_type, d.c.dataset_source,
                              d.c.dataset_schema, d.c.dataset_profile)
            used = None if ids is None else sa.select(i.c.source_id).where(
                i.c.source_type == "DATASET", i.c.destination_id.in_(ids))
            for uid, name, digest, stype, source, schema, profile in self._rows(con, dstmt, d.c.dataset_uuid, used):
                uid = dataset_ids.get(uid, uid)
                datasets[uid] = Dataset(
                    id=uid, name=name, digest=digest, source=_source_uri(source), source_type=stype or "",
                    schema=_json_or_text(schema), profile=_json_or_text(profile), store=self.url.display,
                )
        dataset_ids.clear()
        # inputs with equal tags share one dict (nothing changes an input's tags): most inputs have
        # only their context, and 100,000 inputs of the 5x store held 100,000 empty dicts
        no_tags: dict[str, str] = {}
        input_tags = _EqualDicts()
        for n, (dataset_uuid, run) in enumerate(zip(link_datasets, link_runs, strict=True)):
            ds = datasets.get(dataset_uuid)
            if ds is None:
                continue
            own_tags = input_tags.one(own.get(n, no_tags))
            for k, v in own_tags.items():
                ds.tags.setdefault(k, v)
            run.inputs.append(DatasetInput(ds.id, ds.name, ds.digest, ds.source, contexts[n], own_tags))
        same_tags = _EqualDicts()  # the datasets' tags are whole now (the 5x store's 63,208: few sets)
        for ds in datasets.values():
            ds.tags = same_tags.one(ds.tags)
        return datasets

    def _read_logged_models(
        self, con: sa.Connection, runs: dict[str, Run] | None, versions: list[ModelVersion],
        times: _Times | None = None,
    ) -> dict[str, LoggedModel]:
        when = (times or _Times()).at
        if not self.has("logged_models"):
            return {}
        t = self._table("logged_models", "model_id", "name", "artifact_location", "source_run_id", "experiment_id",
                        "creation_timestamp_ms", "lifecycle_stage")
        stmt = sa.select(t.c.model_id, t.c.name, t.c.artifact_location, t.c.source_run_id, t.c.experiment_id,
                         t.c.creation_timestamp_ms, t.c.lifecycle_stage)
        wanted: set[str] | None = None
        if runs is not None:
            wanted = {mid for r in runs.values() for mid in r.output_model_ids}
            wanted |= {v.logged_model_id for v in versions if v.logged_model_id}
        out: dict[str, LoggedModel] = {}
        for mid, name, loc, rid, eid, created, stage in self._rows(con, stmt, t.c.model_id, None):
            if wanted is not None and mid not in wanted:
                continue
            out[mid] = LoggedModel(mid, name, loc or "", rid, str(eid), when(created), stage or "active",
                                   self.url.display)
        return out

    # -- on-demand pages (filter, order and limit in SQL) ---------------------------------

    def _text_key(self, expr: Any) -> Any:
        """``expr`` lower-cased (ASCII) in an order that compares code points, on every dialect."""
        dialect = self.url.dialect
        if dialect == "postgresql":
            return sa.func.lower(sa.cast(expr, sa.Text).collate("C"))
        lowered = sa.func.lower(expr)
        if dialect == "mysql":
            return sa.cast(lowered, sa.LargeBinary)
        return lowered

    def _like(self, expr: Any, needle: str) -> Any:
        """``expr`` contains ``needle`` (already ASCII-lower-cased), ASCII case ignored."""
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        if self.url.dialect == "mysql":  # bytes compared (backslash is MySQL's default escape)
            return sa.func.lower(sa.func.coalesce(expr, "")).op("LIKE BINARY")(sa.literal(pattern))
        return self._text_key(sa.func.coalesce(expr, "")).like(pattern, escape="\\")

    def _run_tables(self) -> tuple[sa.TableClause, sa.TableClause]:
        """The runs and experiments tables, the same objects each time (subqueries correlate to them)."""
        cached: tuple[sa.TableClause, sa.TableClause] | None = getattr(self, "_paging_run_tables", None)
        if cached is None:
            cols = ("run_uuid", "name", "user_id", "status", "start_time", "end_time", "source_name",
                    "source_version", "lifecycle_stage", "artifact_uri", "experiment_id")
            cached = (self._table("runs", *cols), self._table("experiments", "experiment_id", "name"))
            self._paging_run_tables = cached
        return cached

    def _datasets_table(self) -> sa.TableClause:
        cached: sa.TableClause | None = getattr(self, "_paging_datasets_table", None)
        if cached is None:
            cached = self._table("datasets", "dataset_uuid", "name", "digest", "dataset_source_type",
                                 "dataset_source", "dataset_schema", "dataset_profile")
            self._paging_datasets_table = cached
        return cached

    def _link_counts(self, by: str, ids: Sequence[str] | None = None) -> sa.Subquery | None:
        """Dataset-to-run input links counted per run (``by="destination_id"``) or per dataset
        (``by="source_id"``), counting only links whose run and dataset the store has (as
        ``_read_inputs`` links them); None when the store has no inputs."""
        if not (self.has("inputs") and self.has("datasets")):
            return None
        i = self._table("inputs", "source_type", "source_id", "destination_type", "destination_id")
        d = self._table("datasets", "dataset_uuid")
        r = self._table("runs", "run_uuid")
        key = i.c[by]
        stmt = (sa.select(key.label("id"), sa.func.count().label("n")).select_from(i)
                .join(d, d.c.dataset_uuid == i.c.source_id).join(r, r.c.run_uuid == i.c.destination_id)
                .where(i.c.source_type == "DATASET", i.c.destination_type == "RUN"))
        if ids is not None:
            stmt = stmt.where(key.in_(list(ids)))
        return stmt.group_by(key).subquery()

    def _counts_of(self, con: sa.Connection, by: str, ids: Sequence[str]) -> dict[str, int]:
        counts = self._link_counts(by, ids) if ids else None
        if counts is None:
            return {}
        return {str(k): int(n) for k, n in con.execute(sa.select(counts.c.id, counts.c.n))}

    def _run_select(self, query: RunQuery, columns: Sequence[Any] | None) -> tuple[sa.Select[Any], list[str]]:
        r, e = self._run_tables()
        present = [c.name for c in r.columns]
        exp_name = sa.func.coalesce(sa.func.nullif(e.c.name, ""), sa.cast(r.c.experiment_id, sa.String))
        select_cols = columns if columns is not None else [r.c[c] for c in present]
        needle = fold(query.text.strip())
        # experiments are joined only to filter or sort by their names (a page's names are looked up)
        joined = r.outerjoin(e, e.c.experiment_id == r.c.experiment_id) if needle or query.sort == "experiment" else r
        stmt = sa.select(*select_cols).select_from(joined)
        if needle:
            fields = [r.c.run_uuid, exp_name, *(r.c[c] for c in ("name", "user_id", "status") if c in present)]
            stmt = stmt.where(sa.or_(*(self._like(f, needle) for f in fields)))
        return stmt, present

    def _run_key(self, query: RunQuery, counts: sa.Subquery | None) -> Any:
        """What runs are ordered by (ties are broken by id: :meth:`_run_order`)."""
        r, e = self._run_tables()
        present = {c.name for c in r.columns}

        def col(name: str) -> Any:
            return r.c[name] if name in present else sa.null()

        def ms(name: str) -> Any:
            c = col(name)
            return sa.case((sa.or_(c.is_(None), c == 0), -1), else_=c)

        start, end = ms("start_time"), ms("end_time")
        keys = {
            "name": self._text_key(sa.func.coalesce(sa.func.nullif(col("name"), ""), r.c.run_uuid)),
            "run_id": self._text_key(r.c.run_uuid),
            "experiment": self._text_key(sa.func.coalesce(sa.func.nullif(e.c.name, ""),
                                                          sa.cast(r.c.experiment_id, sa.String))),
            "user": self._text_key(sa.func.coalesce(col("user_id"), "")),
            "status": self._text_key(sa.func.coalesce(col("status"), "")),
            "start_time": start,
            "duration": sa.case((sa.and_(start >= 0, end >= 0), end - start), else_=-1),
        }
        return keys.get(query.sort, sa.literal(0)) if counts is None else sa.func.coalesce(counts.c.n, 0)

    def _run_order(self, query: RunQuery, counts: sa.Subquery | None) -> list[Any]:
        r, _e = self._run_tables()
        key = self._run_key(query, counts)
        return [key.desc() if query.descending else key.asc(), self._text_key(r.c.run_uuid).asc()]

    def _run_threshold(self, con: sa.Connection, query: RunQuery, ids: sa.Select[Any], key: Any,
                       wanted: int) -> Any | None:
        """A sort-key value at least ``wanted`` of the matching runs reach (SQLite), from a sample.

        SQLite has no index on the sort keys: ``ORDER BY ... LIMIT`` over 500,000 runs feeds every
        run through its sorter. Every :data:`PAGE_SAMPLE_ROWS`-th run by rowid is sorted instead
        (a scan and a small sort); the key found there a little past the wanted rank lets the
        page's query keep only the runs at or beyond it before sorting. The caller checks that
        enough runs were kept (else it sorts them all): the page is the same either way.
        """
        r, _e = self._run_tables()
        rowid: Any = sa.literal_column(f"{r.name}.rowid")
        highest = con.execute(sa.select(sa.func.max(rowid)).select_from(r)).scalar()
        step = int(highest or 0) // self.PAGE_SAMPLE_ROWS
        if step < 2:
            return None
        rank = (wanted * 5) // (4 * step) + 2  # a quarter more than the sample's share, and two
        sample = (ids.with_only_columns(key.label("k")).where(rowid % step == 0)
                  .order_by(key.desc() if query.descending else key.asc()).offset(rank).limit(1))
        return con.execute(sample).scalar()

    @contextlib.contextmanager
    def _reading(self, is_cancelled: CancelledFn | None) -> Iterator[sa.Connection]:
        """A connection for one paging read. On SQLite a read cancelled meanwhile stops inside the
        database (a progress handler interrupts the statement): a filter typed letter by letter
        does not leave a full scan of 500,000 runs running for each letter."""
        with self._connect() as con:
            raw: Any = None
            if is_cancelled is not None and self.url.dialect == "sqlite":
                raw = con.connection.dbapi_connection
                raw.set_progress_handler(lambda: 1 if is_cancelled() else 0, PROGRESS_STEPS)
            try:
                yield con
            finally:
                if raw is not None:
                    raw.set_progress_handler(None, 0)

    def _paging_error(self, exc: SQLAlchemyError, is_cancelled: CancelledFn | None) -> MlopsError:
        if is_cancelled is not None and is_cancelled():
            return CancelledError("Reading the page was cancelled.")
        return translate_sql_error(exc, self.url)

    def count_runs(self, query: RunQuery = RunQuery(), *,  # noqa: B008 - frozen
                   is_cancelled: CancelledFn | None = None) -> int:
        stmt, _present = self._run_select(query, [sa.func.count()])
        try:
            with self._reading(is_cancelled) as con:
                return int(con.execute(stmt).scalar_one())
        except SQLAlchemyError as exc:
            raise self._paging_error(exc, is_cancelled) from exc

    def page_runs(self, query: RunQuery, offset: int, limit: int, *,
                  is_cancelled: CancelledFn | None = None) -> list[RunSummary]:
        """A page of runs: filtered, ordered and cut in SQL; then the page's input counts (sorting
        by them joins the counts of every run, one aggregate over the inputs)."""
        r, _e = self._run_tables()
        # the ids are ordered and cut first, then the page's rows read by id: the database sorts
        # narrow records (on SQLite half the time of sorting whole rows of 500,000 runs)
        ids, _present = self._run_select(query, [r.c.run_uuid])
        counts = self._link_counts("destination_id") if query.sort == "datasets" else None
        if counts is not None:
            ids = ids.outerjoin(counts, counts.c.id == r.c.run_uuid)
        offset, limit = max(0, offset), max(0, limit)
        present = [c.name for c in r.columns]
        try:
            with self._reading(is_cancelled) as con:
                order = self._page_ids(con, query, ids, counts, offset, limit)
                by_id = {row[0]: row for row in con.execute(
                    sa.select(*(r.c[c] for c in present)).where(r.c.run_uuid.in_(order)))} if order else {}
                n_inputs = self._counts_of(con, "destination_id", order)
                experiments = self._read_experiments(con) if order else {}
        except SQLAlchemyError as exc:
            raise self._paging_error(exc, is_cancelled) from exc
        rows = [by_id[i] for i in order if i in by_id]
        out = []
        for row in rows:
            rec = dict(zip(present, row, strict=False))
            exp = experiments.get(str(rec.get("experiment_id", "")))
            run = self._run_from(rec, exp.name if exp else "")
            out.append(RunSummary(run, n_inputs.get(run.run_id, 0)))
        return out

    def _page_ids(self, con: sa.Connection, query: RunQuery, ids: sa.Select[Any], counts: sa.Subquery | None,
                  offset: int, limit: int) -> list[str]:
        """The ids of the page's runs, in order (on SQLite sorting only the runs that can be in it)."""
        ordered = ids.order_by(*self._run_order(query, counts))
        # a filter already keeps few runs, and the sample would evaluate it once more
        if self.url.dialect == "sqlite" and counts is None and limit and not query.text.strip():
            key = self._run_key(query, counts)
            threshold = self._run_threshold(con, query, ids, key, offset + limit)
            if threshold is not None:
                kept = ordered.where(key >= threshold if query.descending else key <= threshold)
                found = [row[0] for row in con.execute(kept.offset(offset).limit(limit))]
                if len(found) == limit:  # at least offset + limit runs kept: the first ones of all
                    return found
        return [row[0] for row in con.execute(ordered.offset(offset).limit(limit))]

    def _run_from(self, rec: dict[str, Any], experiment_name: str) -> Run:
        return Run(
            run_id=rec["run_uuid"],
            name=rec.get("name") or "",
            experiment_id=str(rec.get("experiment_id", "")),
            experiment_name=experiment_name,
            user=rec.get("user_id") or None,
            status=rec.get("status") or "",
            start_time=from_millis(rec.get("start_time")),
            end_time=from_millis(rec.get("end_time")),
            lifecycle_stage=rec.get("lifecycle_stage") or "active",
            source_name=rec.get("source_name") or "",
            code_version=rec.get("source_version") or None,
            artifact_uri=rec.get("artifact_uri") or "",
            store=self.url.display,
        )

    def run_detail(self, run_id: str) -> Run | None:
        """One run as :meth:`load_catalog` reads it: params, latest metrics, tags and dataset inputs."""
        return self.read_runs([run_id]).get(run_id)

    def read_runs(self, run_ids: Sequence[str]) -> dict[str, Run]:
        """The runs of ``run_ids`` the store has, as :meth:`load_catalog` reads them (params,
        latest metrics, tags and dataset inputs), a few hundred to a query."""
        out: dict[str, Run] = {}
        try:
            with self._connect() as con:
                r = self._table("runs", "run_uuid")
                for start in range(0, len(run_ids), RUN_ID_BATCH):
                    ids = sa.select(r.c.run_uuid).where(r.c.run_uuid.in_(run_ids[start:start + RUN_ID_BATCH]))
                    runs = self._read_runs(con, ids, self._read_experiments(con, ids))  # theirs only
                    if runs:
                        self._fill_run_details(con, runs, ids)
                        self._read_inputs(con, runs, ids)
                        out.update(runs)
        except SQLAlchemyError as exc:
            raise translate_sql_error(exc, self.url) from exc
        return out

    def _dataset_select(self, query: DatasetQuery, columns: Sequence[Any]) -> sa.Select[Any]:
        d = self._datasets_table()
        stmt = sa.select(*columns).select_from(d)
        needle = fold(query.text.strip())
        if needle:
            fields = [self._like(d.c[c], needle) for c in ("dataset_uuid", "name", "digest", "dataset_source")]
            stmt = stmt.where(sa.or_(*fields, *self._classification_matches(d, needle)))
        return stmt

    def _classification_matches(self, d: sa.TableClause, needle: str) -> list[Any]:
        """Conditions: one of the dataset's run inputs is tagged with a badge whose name contains
        ``needle`` (``pii=true``), or with a classification fact whose value does (DatasetQuery)."""
        if not (self.has("inputs") and self.has("input_tags")):
            return []
        i = self._table("inputs", "input_uuid", "source_type", "source_id", "destination_type")
        t = self._table("input_tags", "input_uuid", "name", "value")
        tagged = (sa.select(sa.literal(1)).select_from(t.join(i, i.c.input_uuid == t.c.input_uuid))
                  .where(i.c.source_type == "DATASET", i.c.destination_type == "RUN",
                         i.c.source_id == d.c.dataset_uuid))
        name = sa.func.lower(sa.func.trim(t.c.name))
        out = []
        badges = [b for b in DATASET_BADGE_TAGS if needle in b]
        if badges:
            value = sa.func.lower(sa.func.trim(sa.func.coalesce(t.c.value, "")))
            out.append(tagged.where(name.in_(badges), value.in_(sorted(TRUE_VALUES))).exists())
        out.append(tagged.where(name.in_(DATASET_FACT_TAGS), self._like(sa.func.trim(t.c.value), needle)).exists())
        return out

    def count_datasets(self, query: DatasetQuery = DatasetQuery(), *,  # noqa: B008 - frozen
                       is_cancelled: CancelledFn | None = None) -> int:
        if not self.has("datasets"):
            return 0
        try:
            with self._reading(is_cancelled) as con:
                return int(con.execute(self._dataset_select(query, [sa.func.count()])).scalar_one())
        except SQLAlchemyError as exc:
            raise self._paging_error(exc, is_cancelled) from exc

    def page_datasets(self, query: DatasetQuery, offset: int, limit: int, *,
                      is_cancelled: CancelledFn | None = None) -> list[DatasetSummary]:
        """A page of datasets; the source is matched and sorted as MLflow stores it (its JSON text)."""
        if not self.has("datasets"):
            return []
        d = self._datasets_table()
        counts = self._link_counts("source_id") if query.sort == "used_by_runs" else None
        keys = {"name": self._text_key(d.c.name), "digest": self._text_key(d.c.digest),
                "source": self._text_key(d.c.dataset_source)}
        key = keys.get(query.sort, sa.literal(0)) if counts is None else sa.func.coalesce(counts.c.n, 0)
        stmt = self._dataset_select(query, [d.c.dataset_uuid, d.c.name, d.c.digest, d.c.dataset_source_type,
                                            d.c.dataset_source, d.c.dataset_schema, d.c.dataset_profile])
        if counts is not None:
            stmt = stmt.outerjoin(counts, counts.c.id == d.c.dataset_uuid)
        stmt = (stmt.order_by(key.desc() if query.descending else key.asc(), self._text_key(d.c.dataset_uuid))
                .offset(max(0, offset)).limit(max(0, limit)))
        try:
            with self._reading(is_cancelled) as con:
                rows = con.execute(stmt).all()
                uses = self._counts_of(con, "source_id", [row[0] for row in rows])
                out = [DatasetSummary(Dataset(
                    id=uid, name=name, digest=digest, source=_source_uri(source), source_type=stype or "",
                    schema=_json_or_text(schema), profile=_json_or_text(profile), store=self.url.display,
                ), uses.get(uid, 0)) for uid, name, digest, stype, source, schema, profile in rows]
                self._fill_dataset_tags(con, out)
        except SQLAlchemyError as exc:
            raise self._paging_error(exc, is_cancelled) from exc
        return out

    def _fill_dataset_tags(self, con: sa.Connection, rows: list[DatasetSummary]) -> None:
        """The tags of the page's datasets' run inputs (the first input naming a tag gives its value)."""
        if not rows or not (self.has("inputs") and self.has("input_tags")):
            return
        by_id = {r.dataset.id: r.dataset for r in rows}
        i = self._table("inputs", "input_uuid", "source_type", "source_id", "destination_type", "destination_id")
        t = self._table("input_tags", "input_uuid", "name", "value")
        stmt = (sa.select(i.c.source_id, t.c.name, t.c.value).select_from(t.join(i, i.c.input_uuid == t.c.input_uuid))
                .where(i.c.source_type == "DATASET", i.c.destination_type == "RUN", i.c.source_id.in_(list(by_id)),
                       t.c.name != CONTEXT_TAG)
                .order_by(i.c.input_uuid, t.c.name))
        for uid, k, v in con.execute(stmt):
            by_id[uid].tags.setdefault(k, v)

    def metric_history(self, run_id: str, key: str) -> list[MetricValue]:
        """Every logged value of one metric of one run, by step then time."""
        if not self.has("metrics"):
            return []
        m = self._table("metrics", "key", "value", "timestamp", "step", "is_nan", "run_uuid")
        stmt = (
            sa.select(m.c.value, m.c.step, m.c.timestamp, m.c.is_nan)
            .where(m.c.run_uuid == run_id, m.c.key == key)
            .order_by(m.c.step, m.c.timestamp)
        )
        try:
            with self._connect() as con:
                return [
                    MetricValue(key, float("nan") if nan else float(v), int(step or 0), from_millis(ts))
                    for v, step, ts, nan in con.execute(stmt)
                ]
        except SQLAlchemyError as exc:
            raise translate_sql_error(exc, self.url) from exc

    def metric_keys(self, run_id: str) -> list[str]:
        if not self.has("metrics"):
            return []
        m = self._table("metrics", "key", "run_uuid")
        try:
            with self._connect() as con:
                return [r[0] for r in con.execute(sa.select(m.c.key).where(m.c.run_uuid == run_id).distinct().order_by(m.c.key))]
        except SQLAlchemyError as exc:
            raise translate_sql_error(exc, self.url) from exc


class _Times:
    """One datetime object per distinct epoch-millisecond value read in one load (datetimes are
    immutable): the 5x store's 50,000 versions were created at 21 distinct times."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[Any, datetime | None] = {}

    def at(self, millis: int | float | None) -> datetime | None:
        seen = self._seen
        if millis in seen:
            return seen[millis]
        when = seen[millis] = from_millis(millis)
        return when


class _EqualDicts:
    """One dict object per distinct content (the same items in the same order) among the tags of
    the versions, models, runs or datasets of one load; nothing changes a loaded entity's tags. The 5x
    store's 50,000 versions carry 2 distinct tag sets and its 50,000 runs 63."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[tuple[str, ...], dict[str, str]] = {}

    def one(self, tags: dict[str, str]) -> dict[str, str]:
        # a flat tuple (k1, v1, k2, v2...) is the key: no pair tuples while the load runs
        return self._seen.setdefault(tuple(chain.from_iterable(tags.items())), tags)


def _same(seen: dict[str, str], text: Any) -> Any:
    """``text``, or the equal string ``seen`` already holds (a per-load cache; None stays None)."""
    return seen.setdefault(text, text) if type(text) is str else text


def _shared(text: Any) -> Any:
    """One string object for each of the values that repeat across runs (keys of params,
    metrics and tags, users, statuses, tag values): 50,000 runs held them 500,000 times."""
    return sys.intern(text) if type(text) is str else text


def _json_or_text(value: str | None) -> Any:
    if value is None or value == "":
        return None
    try:
        return json.loads(value)
    except (ValueError, TypeError):
        return value


def _source_uri(source: str | None) -> str:
    """MLflow stores the dataset source as JSON (``{"uri": ...}`` and friends); show the location."""
    parsed = _json_or_text(source)
    if isinstance(parsed, dict):
        for key in ("uri", "url", "path", "table_name", "name"):
            if parsed.get(key):
                return str(parsed[key])
        return json.dumps(parsed, sort_keys=True)
    return str(parsed or "")


