"""Write the Kubeflow Model Registry fixtures in tests/fixtures/kf-registry/.

One plan of registry entities (registered models, versions, model/doc artifacts, experiments,
runs with datasets, parameters and metrics, serving environments, inference services and
their ServeModel executions) is written two ways:

``sqlite``
    through ml-metadata (``pip install ml-metadata``; it pins protobuf<5, so run this with an
    interpreter of its own), with the registry's type names and property names from
    kubeflow/model-registry ``internal/db/service/spec.go``. ml-metadata sets creation times
    itself; they are then set to the plan's fixed values so the file is reproducible.
``postgres``
    the registry's own PostgreSQL migrations (``migrations/postgres``, copied verbatim) applied
    to a scratch database, the ``kf.*`` types and properties inserted as the registry's server
    does at start-up, and the rows written the way its repositories do (``Context`` plus
    ``ContextProperty`` rows, ``ParentContext`` for a version's model and a service's
    environment, ``Attribution`` for an artifact's owner, ``Association`` for a ServeModel's
    service; owned names prefixed with the owner's id), then ``pg_dump``-ed.
``mysql``
    the same with the registry's MySQL migrations (``migrations/mysql``) on MariaDB/MySQL,
    then ``mysqldump``-ed.
``truth``
    the plan as the inventory must show it (``kf-registry.truth.json``).

Usage::

    python tools/make_kf_registry_fixtures.py sqlite   tests/fixtures/kf-registry
    python tools/make_kf_registry_fixtures.py postgres tests/fixtures/kf-registry --admin-url postgresql://postgres@127.0.0.1:5432/test
    python tools/make_kf_registry_fixtures.py mysql    tests/fixtures/kf-registry --admin-url mysql://root@127.0.0.1:3306/test
    python tools/make_kf_registry_fixtures.py truth    tests/fixtures/kf-registry
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# -- the registry's types (spec.go): name -> (kind, {property: data type}) ----------------------
INT, DOUBLE, STRING, STRUCT, PROTO = 1, 2, 3, 4, 5  # MLMD PropertyType values
ARTIFACT, CONTEXT, EXECUTION = 1, 2, 0  # MLMD type_kind values
TYPES: dict[str, tuple[int, dict[str, int]]] = {
    "kf.ModelArtifact": (ARTIFACT, {"description": STRING, "model_format_name": STRING, "model_format_version": STRING,
                                    "service_account_name": STRING, "storage_key": STRING, "storage_path": STRING}),
    "kf.DocArtifact": (ARTIFACT, {"description": STRING}),
    "kf.DataSet": (ARTIFACT, {"description": STRING, "digest": STRING, "source_type": STRING, "source": STRING,
                              "schema": STRING, "profile": STRING}),
    # spec.go declares Metric.value as a proto; the registry's converter writes a double there
    "kf.Metric": (ARTIFACT, {"description": STRING, "value": DOUBLE, "timestamp": STRING, "step": INT}),
    "kf.Parameter": (ARTIFACT, {"description": STRING, "value": STRING, "parameter_type": STRING}),
    "kf.MetricHistory": (ARTIFACT, {"description": STRING, "value": DOUBLE, "timestamp": STRING, "step": INT}),
    "kf.RegisteredModel": (CONTEXT, {"description": STRING, "owner": STRING, "state": STRING, "language": STRUCT,
                                     "library_name": STRING, "license_link": STRING, "license": STRING, "logo": STRING,
                                     "maturity": STRING, "provider": STRING, "readme": STRING, "tasks": STRUCT}),
    "kf.ModelVersion": (CONTEXT, {"author": STRING, "description": STRING, "model_name": STRING, "state": STRING,
                                  "version": STRING, "registered_model_id": INT}),
    "kf.ServingEnvironment": (CONTEXT, {"description": STRING}),
    "kf.InferenceService": (CONTEXT, {"description": STRING, "desired_state": STRING, "model_version_id": INT,
                                      "registered_model_id": INT, "runtime": STRING, "serving_environment_id": INT}),
    "kf.Experiment": (CONTEXT, {"description": STRING, "owner": STRING, "state": STRING}),
    "kf.ExperimentRun": (CONTEXT, {"description": STRING, "owner": STRING, "state": STRING, "status": STRING,
                                   "start_time_since_epoch": INT, "end_time_since_epoch": INT, "experiment_id": INT}),
    "kf.ServeModel": (EXECUTION, {"description": STRING, "model_version_id": INT}),
}
LIVE = 2  # MLMD Artifact.State.LIVE
RUNNING = 2  # MLMD Execution.State.RUNNING
T0 = 1767225600000  # 2026-01-01T00:00:00Z in ms


@dataclass
class Entity:
    kind: int  # ARTIFACT | CONTEXT | EXECUTION
    type: str
    name: str
    props: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    parent: int | None = None  # context id (ParentContext / Attribution / Association)
    uri: str | None = None
    time: int = T0


def plan() -> tuple[list[Entity], list[Entity], list[Entity]]:
    """(contexts, artifacts, executions) in creation order; ids are 1-based positions."""
    day = 86_400_000
    ctx = [
        Entity(CONTEXT, "kf.RegisteredModel", "fraud-scorer", {
            "description": "Card-fraud scorer for the payments platform", "owner": "alice@example.org",
            "state": "LIVE", "license": "proprietary", "maturity": "production"},
            {"team": "payments", "risk_tier": "high"}, time=T0),
        Entity(CONTEXT, "kf.RegisteredModel", "readmission-risk", {
            "description": "30-day readmission risk", "owner": "carol@example.org", "state": "LIVE"},
            {"team": "clinical", "risk_tier": "high"}, time=T0 + 1000),
        Entity(CONTEXT, "kf.Experiment", "fraud-training", {"description": "fraud model training",
                                                             "owner": "alice@example.org", "state": "LIVE"},
               time=T0 + 2000),
        Entity(CONTEXT, "kf.ExperimentRun", "3:run-2026-01-10", {
            "owner": "alice@example.org", "state": "LIVE", "status": "FINISHED",
            "start_time_since_epoch": T0 + 9 * day, "end_time_since_epoch": T0 + 9 * day + 3_600_000,
            "experiment_id": 3}, parent=3, time=T0 + 9 * day),
        Entity(CONTEXT, "kf.Experiment", "readmission-training", {"owner": "carol@example.org", "state": "LIVE"},
               time=T0 + 3000),
        Entity(CONTEXT, "kf.ExperimentRun", "5:run-2026-01-12", {
            "owner": "dave@example.org", "state": "LIVE", "status": "FINISHED",
            "start_time_since_epoch": T0 + 11 * day, "end_time_since_epoch": T0 + 11 * day + 7_200_000,
            "experiment_id": 5}, parent=5, time=T0 + 11 * day),
        Entity(CONTEXT, "kf.ModelVersion", "1:v1", {"author": "alice@example.org", "state": "LIVE",
                                                    "description": "first release", "registered_model_id": 1},
               {"validation_status": "passed"}, parent=1, time=T0 + 10 * day),
        Entity(CONTEXT, "kf.ModelVersion", "1:v2", {"author": "bob@example.org", "state": "LIVE",
                                                    "description": "retrained on 2025 data", "registered_model_id": 1},
               {"validation_status": "passed"}, parent=1, time=T0 + 12 * day),
        Entity(CONTEXT, "kf.ModelVersion", "1:v3", {"author": "alice@example.org", "state": "ARCHIVED",
                                                    "registered_model_id": 1},
               {"validation_status": "failed"}, parent=1, time=T0 + 13 * day),
        Entity(CONTEXT, "kf.ModelVersion", "2:1.0.0", {"author": "carol@example.org", "state": "LIVE",
                                                       "registered_model_id": 2}, parent=2, time=T0 + 12 * day + 1),
        Entity(CONTEXT, "kf.ServingEnvironment", "prod-kserve", {"description": "production KServe namespace"},
               time=T0 + 4000),
        Entity(CONTEXT, "kf.ServingEnvironment", "staging-kserve", {"description": "staging"}, time=T0 + 5000),
        Entity(CONTEXT, "kf.InferenceService", "11:fraud-scorer-prod", {
            "desired_state": "DEPLOYED", "runtime": "kserve-onnx", "model_version_id": 8, "registered_model_id": 1,
            "serving_environment_id": 11}, parent=11, time=T0 + 14 * day),
        Entity(CONTEXT, "kf.InferenceService", "12:fraud-scorer-canary", {
            "desired_state": "UNDEPLOYED", "runtime": "kserve-onnx", "model_version_id": 7, "registered_model_id": 1,
            "serving_environment_id": 12}, parent=12, time=T0 + 14 * day + 1),
        Entity(CONTEXT, "kf.InferenceService", "11:readmission-prod", {
            "desired_state": "DEPLOYED", "runtime": "kserve-sklearn", "model_version_id": 10,
            "registered_model_id": 2, "serving_environment_id": 11}, parent=11, time=T0 + 15 * day),
    ]
    colspec = json.dumps({"mlflow_colspec": [{"type": "double", "name": "amount"}, {"type": "long", "name": "label"}]})
    art = [
        Entity(ARTIFACT, "kf.DataSet", "4:transactions-2025", {
            "digest": "a1b2c3d4", "source_type": "s3", "source": "s3://lake/payments/transactions-2025.parquet",
            "schema": colspec, "profile": json.dumps({"num_rows": 120000})},
            {"pii": "true", "lawful_basis": "contract", "experiment_id": 3, "experiment_run_id": 4},
            parent=4, uri="s3://lake/payments/transactions-2025.parquet", time=T0 + 9 * day + 1),
        Entity(ARTIFACT, "kf.Parameter", "4:learning_rate", {"value": "0.05", "parameter_type": "number"},
               {"experiment_id": 3, "experiment_run_id": 4}, parent=4, time=T0 + 9 * day + 2),
        Entity(ARTIFACT, "kf.Metric", "4:auc", {"value": 0.931, "step": 10, "timestamp": str(T0 + 9 * day + 3)},
               {"experiment_id": 3, "experiment_run_id": 4}, parent=4, time=T0 + 9 * day + 3),
        Entity(ARTIFACT, "kf.DataSet", "6:admissions-2024", {
            "digest": "e5f6a7b8", "source_type": "s3", "source": "s3://lake/clinical/admissions-2024.parquet"},
            {"phi": "true", "pii": "true", "experiment_id": 5, "experiment_run_id": 6},
            parent=6, uri="s3://lake/clinical/admissions-2024.parquet", time=T0 + 11 * day + 1),
        Entity(ARTIFACT, "kf.Metric", "6:auc", {"value": 0.87, "step": 5, "timestamp": str(T0 + 11 * day + 2)},
               {"experiment_id": 5, "experiment_run_id": 6}, parent=6, time=T0 + 11 * day + 2),
        Entity(ARTIFACT, "kf.ModelArtifact", "7:fraud-scorer", {
            "model_format_name": "onnx", "model_format_version": "1", "storage_key": "s3-models",
            "storage_path": "fraud-scorer/v1"}, {"experiment_id": 3, "experiment_run_id": 4},
            parent=7, uri="s3://models/fraud-scorer/v1/", time=T0 + 10 * day + 1),
        Entity(ARTIFACT, "kf.ModelArtifact", "8:fraud-scorer", {
            "model_format_name": "onnx", "model_format_version": "1", "storage_key": "s3-models",
            "storage_path": "fraud-scorer/v2"}, {"experiment_id": 3, "experiment_run_id": 4},
            parent=8, uri="s3://models/fraud-scorer/v2/", time=T0 + 12 * day + 2),
        Entity(ARTIFACT, "kf.DocArtifact", "8:model-card", {"description": "Model card"}, parent=8,
               uri="s3://models/fraud-scorer/v2/README.md", time=T0 + 12 * day + 3),
        Entity(ARTIFACT, "kf.ModelArtifact", "9:fraud-scorer", {"model_format_name": "onnx"}, parent=9,
               uri="s3://models/fraud-scorer/v3/", time=T0 + 13 * day + 1),
        Entity(ARTIFACT, "kf.ModelArtifact", "10:readmission-risk", {"model_format_name": "sklearn"},
               {"experiment_id": 5, "experiment_run_id": 6}, parent=10, uri="s3://models/readmission/1.0.0/",
               time=T0 + 12 * day + 4),
    ]
    ex = [
        Entity(EXECUTION, "kf.ServeModel", "13:serve-fraud-scorer-v2", {"model_version_id": 8}, parent=13,
               time=T0 + 14 * day + 2),
        Entity(EXECUTION, "kf.ServeModel", "15:serve-readmission-1.0.0", {"model_version_id": 10}, parent=15,
               time=T0 + 15 * day + 1),
    ]
    return ctx, art, ex


# -- ml-metadata (SQLite) --------------------------------------------------------------------------


def write_sqlite(out: Path) -> Path:
    from ml_metadata import metadata_store  # type: ignore[import-not-found]
    from ml_metadata.proto import metadata_store_pb2 as pb  # type: ignore[import-not-found]

    path = out / "kf-registry-mlmd.sqlite"
    path.unlink(missing_ok=True)
    cfg = pb.ConnectionConfig()
    cfg.sqlite.filename_uri = str(path)
    cfg.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    store = metadata_store.MetadataStore(cfg)
    ptype = {INT: pb.INT, DOUBLE: pb.DOUBLE, STRING: pb.STRING, STRUCT: pb.STRUCT, PROTO: pb.PROTO}
    type_ids: dict[str, int] = {}
    for name, (kind, props) in TYPES.items():
        cls = {ARTIFACT: pb.ArtifactType, CONTEXT: pb.ContextType, EXECUTION: pb.ExecutionType}[kind]
        t = cls(name=name)
        for p, dt in props.items():
            t.properties[p] = ptype[dt]
        put = {ARTIFACT: store.put_artifact_type, CONTEXT: store.put_context_type,
               EXECUTION: store.put_execution_type}[kind]
        type_ids[name] = put(t)

    def fill(msg: Any, e: Entity) -> Any:
        for key, target in ((e.props, msg.properties), (e.custom, msg.custom_properties)):
            for k, v in key.items():
                if isinstance(v, bool):
                    target[k].bool_value = v
                elif isinstance(v, int):
                    target[k].int_value = v
                elif isinstance(v, float):
                    target[k].double_value = v
                else:
                    target[k].string_value = str(v)
        return msg

    contexts, artifacts, executions = plan()
    ctx_ids = store.put_contexts([fill(pb.Context(type_id=type_ids[c.type], name=c.name), c) for c in contexts])
    parents = [pb.ParentContext(child_id=ctx_ids[i], parent_id=ctx_ids[c.parent - 1])
               for i, c in enumerate(contexts) if c.parent]
    store.put_parent_contexts(parents)
    art_ids = store.put_artifacts([
        fill(pb.Artifact(type_id=type_ids[a.type], name=a.name, uri=a.uri or "", state=LIVE), a) for a in artifacts])
    ex_ids = store.put_executions([
        fill(pb.Execution(type_id=type_ids[x.type], name=x.name, last_known_state=RUNNING), x) for x in executions])
    attributions = [pb.Attribution(artifact_id=art_ids[i], context_id=ctx_ids[a.parent - 1])
                    for i, a in enumerate(artifacts) if a.parent]
    associations = [pb.Association(execution_id=ex_ids[i], context_id=ctx_ids[x.parent - 1])
                    for i, x in enumerate(executions) if x.parent]
    store.put_attributions_and_associations(attributions, associations)
    del store
    con = sqlite3.connect(path)
    with con:
        for table, ids, items in (("Context", ctx_ids, contexts), ("Artifact", art_ids, artifacts),
                                  ("Execution", ex_ids, executions)):
            for i, e in zip(ids, items, strict=True):
                con.execute(f"UPDATE {table} SET create_time_since_epoch = ?, last_update_time_since_epoch = ? "
                            "WHERE id = ?", (e.time, e.time, i))
    con.execute("VACUUM")
    con.close()
    return path


# -- the registry's migrations and repositories (PostgreSQL) ---------------------------------------


class _Writer:
    """Writes the plan's rows as the registry's repositories do, on a DB-API connection."""

    def __init__(self, cursor: Any, quote: str, returning: bool) -> None:
        self.cur, self.q, self.returning = cursor, quote, returning

    def insert(self, table: str, cols: dict[str, Any]) -> int:
        names = ", ".join(cols)
        marks = ", ".join(["%s"] * len(cols))
        sql = f"INSERT INTO {self.q}{table}{self.q} ({names}) VALUES ({marks})"
        if self.returning:
            self.cur.execute(sql + " RETURNING id", tuple(cols.values()))
            return int(self.cur.fetchone()[0])
        self.cur.execute(sql, tuple(cols.values()))
        return int(self.cur.lastrowid or 0)

    def link(self, table: str, cols: dict[str, Any]) -> None:
        names = ", ".join(cols)
        marks = ", ".join(["%s"] * len(cols))
        self.cur.execute(f"INSERT INTO {self.q}{table}{self.q} ({names}) VALUES ({marks})", tuple(cols.values()))

    def props(self, table: str, col: str, eid: int, e: Entity) -> None:
        for custom, values in ((False, e.props), (True, e.custom)):
            for k, v in values.items():
                iv = v if isinstance(v, int) and not isinstance(v, bool) else None
                dv = v if isinstance(v, float) else None
                sv = v if isinstance(v, str) else None
                # the registry writes run start/end times as strings (its converter)
                if table == "ContextProperty" and k in ("start_time_since_epoch", "end_time_since_epoch"):
                    iv, sv = None, str(v)
                self.link(table, {col: eid, "name": k, "is_custom_property": custom, "int_value": iv,
                                  "double_value": dv, "string_value": sv})

    def write(self) -> None:
        type_ids: dict[str, int] = {}
        for tname, (kind, props) in TYPES.items():
            type_ids[tname] = self.insert("Type", {"name": tname, "type_kind": kind})
            for p, dt in props.items():
                self.link("TypeProperty", {"type_id": type_ids[tname], "name": p, "data_type": dt})
        contexts, artifacts, executions = plan()
        ctx_ids: list[int] = []
        for c in contexts:
            cid = self.insert("Context", {"type_id": type_ids[c.type], "name": c.name,
                                          "create_time_since_epoch": c.time, "last_update_time_since_epoch": c.time})
            ctx_ids.append(cid)
            self.props("ContextProperty", "context_id", cid, c)
            if c.parent:
                self.link("ParentContext", {"context_id": cid, "parent_context_id": ctx_ids[c.parent - 1]})
        for a in artifacts:
            aid = self.insert("Artifact", {"type_id": type_ids[a.type], "uri": a.uri, "state": LIVE, "name": a.name,
                                           "create_time_since_epoch": a.time, "last_update_time_since_epoch": a.time})
            self.props("ArtifactProperty", "artifact_id", aid, a)
            if a.parent:
                self.link("Attribution", {"context_id": ctx_ids[a.parent - 1], "artifact_id": aid})
        for x in executions:
            xid = self.insert("Execution", {"type_id": type_ids[x.type], "last_known_state": RUNNING, "name": x.name,
                                            "create_time_since_epoch": x.time, "last_update_time_since_epoch": x.time})
            self.props("ExecutionProperty", "execution_id", xid, x)
            if x.parent:
                self.link("Association", {"context_id": ctx_ids[x.parent - 1], "execution_id": xid})


def _migrations(out: Path, dialect: str) -> list[Path]:
    found = sorted((out / "migrations" / dialect).glob("*.up.sql"))
    if not found:
        raise SystemExit(f"no migrations in {out / 'migrations' / dialect}")
    return found


def write_postgres(out: Path, admin_url: str) -> Path:
    import psycopg

    migrations = _migrations(out, "postgres")
    name = f"kf_fixture_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        with psycopg.connect(url) as con:
            for m in migrations:
                con.execute(m.read_text())  # type: ignore[arg-type]
            with con.cursor() as cur:
                _Writer(cur, '"', returning=True).write()
            con.commit()
        dump = out / "kf-registry-postgres.sql"
        text = subprocess.run(["pg_dump", "--no-owner", "--no-privileges", "--no-comments", url],
                              check=True, capture_output=True, text=True).stdout
        # session settings of the dumping client that older servers do not know
        lines = [ln for ln in text.splitlines() if not ln.startswith(("SET transaction_timeout", "\\restrict",
                                                                       "\\unrestrict"))]
        dump.write_text("\n".join(lines) + "\n")
        return dump
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write_mysql(out: Path, admin_url: str) -> Path:
    """The registry's MySQL migrations on MariaDB/MySQL, the same rows, then mysqldump."""
    import pymysql
    from pymysql.constants import CLIENT
    from sqlalchemy.engine import make_url

    u = make_url(admin_url)
    conn_args = {"host": u.host or "127.0.0.1", "port": u.port or 3306, "user": u.username or "root",
                 "password": u.password or "", "charset": "utf8mb4"}
    name = f"kf_fixture_{uuid.uuid4().hex[:8]}"
    admin = pymysql.connect(**conn_args, autocommit=True)
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        con = pymysql.connect(**conn_args, database=name, client_flag=CLIENT.MULTI_STATEMENTS)
        try:
            with con.cursor() as cur:
                for m in _migrations(out, "mysql"):
                    cur.execute(m.read_text())
                    while cur.nextset():
                        pass
            with con.cursor() as cur:
                _Writer(cur, "`", returning=False).write()
            con.commit()
        finally:
            con.close()
        dump = out / "kf-registry-mysql.sql"
        cmd = ["mysqldump", "--skip-comments", "--skip-dump-date", "--compact", "-h", conn_args["host"],
               "-P", str(conn_args["port"]), "-u", conn_args["user"], name]
        dump.write_text(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        return dump
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


# -- what the inventory must show ------------------------------------------------------------------------


def truth() -> dict[str, Any]:
    contexts, artifacts, executions = plan()
    by_id = {i + 1: c for i, c in enumerate(contexts)}

    def bare(name: str) -> str:
        return name.split(":", 1)[1] if ":" in name else name

    models: dict[str, Any] = {}
    for i, c in by_id.items():
        if c.type == "kf.RegisteredModel":
            models[c.name] = {"id": i, "description": c.props.get("description", ""),
                              "tags": {**{k: str(v) for k, v in c.custom.items()},
                                       **{f"kf.{k}": str(v) for k, v in c.props.items() if k != "description"}},
                              "versions": {}}
    for i, c in by_id.items():
        if c.type != "kf.ModelVersion":
            continue
        rm = by_id[c.parent or 0]
        model_art = next(a for a in artifacts if a.type == "kf.ModelArtifact" and a.parent == i)
        run_ctx = model_art.custom.get("experiment_run_id")
        datasets = sorted([bare(a.name), a.props["digest"], a.props["source"]] for a in artifacts
                          if a.type == "kf.DataSet" and a.parent == run_ctx) if run_ctx else []
        services = [{"name": bare(s.name), "environment": by_id[s.parent or 0].name,
                     "desired_state": s.props["desired_state"]}
                    for s in contexts if s.type == "kf.InferenceService" and s.props["model_version_id"] == i]
        models[rm.name]["versions"][bare(c.name)] = {
            "author": c.props.get("author"), "state": c.props.get("state"), "source": model_art.uri,
            "run": bare(by_id[run_ctx].name) if run_ctx else None, "datasets": datasets,
            "tags": {k: str(v) for k, v in c.custom.items()}, "inference_services": services,
            "created_at": c.time,
        }
    return {"models": models, "executions": [bare(x.name) for x in executions]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("what", choices=["sqlite", "postgres", "mysql", "truth"])
    ap.add_argument("out", type=Path)
    ap.add_argument("--admin-url", help="server to create a scratch database on (default: the local test server)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.what == "sqlite":
        print(write_sqlite(args.out))  # noqa: T201
    elif args.what == "postgres":
        print(write_postgres(args.out, args.admin_url or "postgresql://postgres@127.0.0.1:5432/test"))  # noqa: T201
    elif args.what == "mysql":
        print(write_mysql(args.out, args.admin_url or "mysql://root@127.0.0.1:3306/test"))  # noqa: T201
    else:
        path = args.out / "kf-registry.truth.json"
        path.write_text(json.dumps(truth(), indent=2, sort_keys=True) + "\n")
        print(path)  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
