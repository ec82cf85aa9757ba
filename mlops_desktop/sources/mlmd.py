"""ML Metadata (MLMD) source: TFX and Kubeflow Pipelines v2 stores, read-only.

Reads the MLMD tables directly (``Type``, ``Artifact``, ``Execution``, ``Event``,
``Context``, ``Attribution``, ``Association`` and the ``*Property`` tables); ml-metadata
itself is not needed. SQLite opens read-only through :mod:`mlops_desktop.sources.sqlite`; server sessions are
read-only transactions.

Mapping to entities:

- model artifacts (``Model``, ``system.Model``, ``mlmd.Model`` and subtypes) are model
  versions of a registered model named after the pipeline context (TFX ``pipeline``,
  KFP ``system.Pipeline``); the version string is the artifact id;
- data artifacts (``Examples``, ``Schema``, ``ExampleStatistics``, ``system.Dataset``...)
  are datasets, identified by their URI (or ``mlmd:<store>:<id>`` when the URI is empty);
- executions are runs (state, times, properties as params, pipeline run as a tag); the
  data artifacts they read are run inputs;
- ``PushedModel`` artifacts are deployments (``deployment:pushed:<uri>``) linked to the
  pushed model version; ``ModelBlessing`` / metrics artifacts are evaluation facts
  (``mlmd.blessed`` on the version) and ``dataset``-kind lineage nodes;
- every INPUT/OUTPUT (and declared/internal/pending) event is a lineage edge; component
  types become ``job`` nodes (``pipeline/component``).

Property values: int, double, string, bool, and ``mlmd-struct::`` strings (a base64
``google.protobuf.Struct``, decoded with protobuf's own ``struct_pb2``).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from google.protobuf import struct_pb2
from google.protobuf.message import DecodeError
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from mlops_desktop.core.entities import (
    Catalog,
    Dataset,
    DatasetInput,
    LineageEdgeRecord,
    LineageNodeRecord,
    MetricValue,
    ModelVersion,
    RegisteredModel,
    Run,
    StoreInfo,
    from_millis,
)
from mlops_desktop.core.errors import SchemaError, StoreError
from mlops_desktop.core.hashing import file_sha256
from mlops_desktop.core.lineage import (
    DATASET,
    DEPLOYMENT,
    E_DEPLOYED,
    E_INPUT,
    E_JOB,
    E_OUTPUT,
    JOB,
    dataset_node_id,
    deployment_node_id,
    job_node_id,
    run_node_id,
    version_node_id,
)
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)
from mlops_desktop.sources.base import DEFAULT_SETTINGS, Source, SourceSettings, StoreUrl
from mlops_desktop.sources.mlmd_kf import is_kf_registry, load_kf_catalog
from mlops_desktop.sources.registry_identity import registry_id
from mlops_desktop.sources.sql import readonly_engine, translate_sql_error
from mlops_desktop.sources.sqlite import connect_readonly

logger = logging.getLogger(__name__)

#: MLMD table names in the SQL this module writes, quoted for PostgreSQL
_PG_TABLE = re.compile(r"\b(FROM|JOIN)\s+(Type|ParentType|Artifact|ArtifactProperty|Execution|ExecutionProperty|Event|"
                       r"Context|ContextProperty|Attribution|Association|ParentContext|MLMDEnv)\b")

REQUIRED_TABLES = ("Type", "Artifact", "Execution", "Event")
STRUCT_PREFIX = "mlmd-struct::"

# MLMD enums (metadata_store.proto)
TYPE_KIND = {0: "execution", 1: "artifact", 2: "context"}
EVENT_TYPES = {
    0: "unknown", 1: "declared_output", 2: "declared_input", 3: "input", 4: "output",
    5: "internal_input", 6: "internal_output", 7: "pending_output",
}
INPUT_EVENTS = frozenset({2, 3, 5})
OUTPUT_EVENTS = frozenset({1, 4, 6, 7})
EXECUTION_STATES = {0: "UNKNOWN", 1: "NEW", 2: "RUNNING", 3: "COMPLETE", 4: "FAILED", 5: "CACHED", 6: "CANCELED"}
RUN_STATUS = {"COMPLETE": "FINISHED", "CACHED": "FINISHED", "FAILED": "FAILED", "CANCELED": "KILLED",
              "RUNNING": "RUNNING", "NEW": "SCHEDULED", "UNKNOWN": ""}
ARTIFACT_STATES = {0: "UNKNOWN", 1: "PENDING", 2: "LIVE", 3: "MARKED_FOR_DELETION", 4: "DELETED",
                   5: "ABANDONED", 6: "REFERENCE"}

MODEL_TYPES = frozenset({"model", "system.model", "mlmd.model"})
PUSHED_TYPES = frozenset({"pushedmodel"})
BLESSING_TYPES = frozenset({"modelblessing", "infrablessing"})
METRICS_TYPES = frozenset({"modelevaluation", "system.metrics", "system.classificationmetrics",
                           "system.slicedclassificationmetrics", "mlmd.metrics"})
PIPELINE_CONTEXTS = frozenset({"pipeline", "system.pipeline"})
RUN_CONTEXTS = frozenset({"pipeline_run", "run", "system.pipelinerun"})
DEFAULT_MODEL_NAME = "mlmd-models"


# --- mlmd-struct:: (a base64 google.protobuf.Struct) -------------------------------------------
def _plain(value: struct_pb2.Value) -> Any:
    """A protobuf ``Value`` as plain JSON data; integral numbers as integers (as protobuf's JSON does)."""
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return {k: _plain(v) for k, v in value.struct_value.fields.items()}
    if kind == "list_value":
        return [_plain(v) for v in value.list_value.values]
    return None


def decode_mlmd_struct(text: str) -> Any:
    """Decode an ``mlmd-struct::<base64 Struct>`` property value (ValueError if malformed)."""
    payload = text[len(STRUCT_PREFIX):] if text.startswith(STRUCT_PREFIX) else text
    try:
        raw = base64.b64decode(payload, validate=True)
    except ValueError as exc:
        raise ValueError(f"bad base64: {exc}") from exc
    message = struct_pb2.Struct()
    try:
        message.ParseFromString(raw)
    except DecodeError as exc:
        raise ValueError(f"not a protobuf Struct: {exc}") from exc
    return {k: _plain(v) for k, v in message.fields.items()}


def _prop_value(row: Sequence[Any]) -> Any:
    """(int_value, double_value, string_value, byte_value, proto_value, bool_value) -> value."""
    int_v, dbl_v, str_v, byte_v, proto_v, bool_v = row
    if str_v is not None:
        text = str_v
        if text.startswith(STRUCT_PREFIX):
            try:
                return decode_mlmd_struct(text)
            except ValueError:
                logger.debug("undecodable mlmd-struct value kept as text")
                return text
        return text
    if int_v is not None:
        return int(int_v)
    if dbl_v is not None:
        return float(dbl_v)
    if bool_v is not None:
        return bool(bool_v)
    if byte_v is not None:
        return f"<{len(byte_v)} bytes>"
    if proto_v is not None:
        return "<proto>"
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, sort_keys=True)
    return "" if value is None else str(value)


class MlmdSource(Source):
    """Read-only reader of an MLMD store (SQLite file or MySQL server)."""

    CLAIMS_TABLES = (frozenset({"artifact", "execution", "event"}), frozenset({"mlmdenv"}))

    def __init__(self, url: StoreUrl, settings: SourceSettings = DEFAULT_SETTINGS) -> None:
        super().__init__(url, settings)
        self._sqlite: sqlite3.Connection | None = None
        self._engine: Any = None
        self._schema_version = ""
        self._identity = ""
        self._tag = ""
        self._registry_id: str | None = None
        self._connect()

    # --- connection ---------------------------------------------------------------------
    def _connect(self) -> None:
        if self.url.dialect == "sqlite":
            if self.url.path is None or not os.path.lexists(self.url.path):
                raise StoreError(f"No such MLMD database: {self.url.display}.", "Check the path and try again.")
            con = connect_readonly(self.url.path, "MLMD store file")
            try:
                tables = {r[0].lower() for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            except sqlite3.Error as exc:
                con.close()
                raise StoreError(f"{self.url.display} is not a readable SQLite database ({exc}).",
                                 "Pick the MLMD store file itself.") from exc
            self._sqlite = con
            self._identity = "sha256:" + file_sha256(self.url.path)
        else:
            self._engine = readonly_engine(self.url)
            try:
                tables = {t.lower() for t in inspect(self._engine).get_table_names()}
            except SQLAlchemyError as exc:
                raise translate_sql_error(exc, self.url) from exc
            self._identity = self.url.display
        missing = [t for t in REQUIRED_TABLES if t.lower() not in tables]
        if missing:
            self.close()
            raise SchemaError(
                f"{self.url.display} is not an ML Metadata store (missing tables: {', '.join(missing)}).",
                "Point --store at the MLMD database your TFX or Kubeflow pipeline writes to.",
            )
        self._tables = tables
        if "mlmdenv" in tables:
            rows = self._rows("SELECT schema_version FROM MLMDEnv")
            self._schema_version = str(rows[0][0]) if rows else ""
        # ids of executions/artifacts are per store: a short tag of the store URL keeps two
        # merged MLMD stores apart and stays stable while the store grows
        self._tag = hashlib.sha256(self.url.display.encode()).hexdigest()[:8]

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self._sqlite is not None:
            try:
                return list(self._sqlite.execute(sql).fetchall())
            except sqlite3.Error as exc:
                raise StoreError(f"Reading {self.url.display} failed: {exc}.", "The store may be corrupt.") from exc
        if self.url.dialect == "postgresql":  # MLMD's tables are created with quoted mixed-case names
            sql = _PG_TABLE.sub(lambda m: f'{m.group(1)} "{m.group(2)}"', sql)
        try:
            with self._engine.connect() as con:
                return [tuple(r) for r in con.exec_driver_sql(sql).fetchall()]
        except SQLAlchemyError as exc:
            raise translate_sql_error(exc, self.url) from exc

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def load_registry(
        self, progress: ProgressFn = no_progress, is_cancelled: CancelledFn = never_cancelled
    ) -> Catalog | None:
        """No faster path than the whole catalog: models come from the lineage of executions."""
        return None

    def metric_history(self, run_id: str, key: str) -> list[MetricValue]:
        """MLMD keeps no metric histories (metrics are artifacts or properties)."""
        return []

    def metric_keys(self, run_id: str) -> list[str]:
        return []

    @property
    def info(self) -> StoreInfo:
        return StoreInfo(kind="mlmd", url=self.url.display, schema=self._schema_version,
                         dialect=self.url.dialect, identity=self._identity, registry_id=self.registry_id())

    def registry_id(self) -> str:
        """The store's earliest node (``registry_identity``): the artifact, execution or context
        with the smallest creation time, then table, then id; its table, id, type name and
        creation time. TFX stores and Kubeflow Model Registry stores alike; the same on SQLite,
        MySQL and PostgreSQL holding the same rows."""
        if self._registry_id is None:
            found: list[tuple[int, int, int, int, str]] = []
            for order, table in enumerate(("Artifact", "Execution", "Context")):
                if table.lower() not in self._tables:
                    continue
                rows = self._rows(f"SELECT create_time_since_epoch, id, type_id FROM {table} "  # noqa: S608
                                  "WHERE create_time_since_epoch IS NOT NULL ORDER BY create_time_since_epoch, id "
                                  "LIMIT 1")
                if rows:
                    found.append((int(rows[0][0]), order, int(rows[0][1]), int(rows[0][2]), table))
            material = None
            if found:
                created, _order, node_id, type_id, table = min(found)
                names = self._rows(f"SELECT name FROM Type WHERE id = {type_id:d}")  # noqa: S608
                material = {"table": table, "id": node_id, "type": str(names[0][0]) if names else "",
                            "createTime": created}
            self._registry_id = registry_id("mlmd", material)
        return self._registry_id

    # --- reading ---------------------------------------------------------------------------
    def _props(self, table: str, id_col: str) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = defaultdict(dict)
        if table.lower() not in self._tables:
            return out
        sql = (f"SELECT {id_col}, name, is_custom_property, int_value, double_value, string_value, "
               f"byte_value, proto_value, bool_value FROM {table}")
        for row in self._rows(sql):
            out[int(row[0])][str(row[1])] = _prop_value(row[3:9])
        return out

    def load_catalog(
        self,
        progress: ProgressFn = no_progress,
        is_cancelled: CancelledFn = never_cancelled,
        *,
        all_runs: bool = False,
    ) -> Catalog:
        """Every execution is read (``all_runs`` is implied: each is lineage evidence)."""
        total = 6
        progress(0, total, "MLMD: types")
        types: dict[int, tuple[str, int]] = {
            int(r[0]): (str(r[1]), int(r[2]) if r[2] is not None else -1)
            for r in self._rows("SELECT id, name, type_kind FROM Type")
        }
        if is_kf_registry([t[0] for t in types.values()]):
            return load_kf_catalog(self._rows, self.info, self._tag, progress, is_cancelled, self._tables)
        parents: dict[int, int] = {}
        if "parenttype" in self._tables:
            parents = {int(r[0]): int(r[1]) for r in self._rows("SELECT type_id, parent_type_id FROM ParentType")}

        def type_names(type_id: int) -> list[str]:
            names: list[str] = []
            seen: set[int] = set()
            while type_id in types and type_id not in seen:
                seen.add(type_id)
                names.append(types[type_id][0].lower())
                if type_id not in parents:
                    break
                type_id = parents[type_id]
            return names

        progress(1, total, "MLMD: artifacts")
        artifacts = {
            int(r[0]): r for r in self._rows(
                "SELECT id, type_id, uri, state, name, create_time_since_epoch, last_update_time_since_epoch FROM Artifact")
        }
        a_props = self._props("ArtifactProperty", "artifact_id")
        check_cancelled(is_cancelled)
        progress(2, total, "MLMD: executions")
        executions = {
            int(r[0]): r for r in self._rows(
                "SELECT id, type_id, last_known_state, name, create_time_since_epoch, last_update_time_since_epoch "
                "FROM Execution")
        }
        e_props = self._props("ExecutionProperty", "execution_id")
        progress(3, total, "MLMD: events and contexts")
        events = self._rows("SELECT artifact_id, execution_id, type FROM Event ORDER BY id")
        contexts: dict[int, tuple[str, str]] = {}
        if "context" in self._tables:
            contexts = {int(r[0]): (types.get(int(r[1]), ("", 0))[0], str(r[2] or ""))
                        for r in self._rows("SELECT id, type_id, name FROM Context")}
        exec_ctx: dict[int, list[int]] = defaultdict(list)
        art_ctx: dict[int, list[int]] = defaultdict(list)
        if "association" in self._tables:
            for c, e in self._rows("SELECT context_id, execution_id FROM Association"):
                exec_ctx[int(e)].append(int(c))
        if "attribution" in self._tables:
            for c, a in self._rows("SELECT context_id, artifact_id FROM Attribution"):
                art_ctx[int(a)].append(int(c))
        check_cancelled(is_cancelled)

        def ctx_name(ids: Iterable[int], kinds: frozenset[str]) -> str:
            for c in ids:
                kind, name = contexts.get(c, ("", ""))
                if kind.lower() in kinds:
                    return name
            return ""

        progress(4, total, "MLMD: building entities")
        store = self.url.display
        cat = Catalog(stores=[self.info])

        def category(type_id: int) -> str:
            names = type_names(type_id)
            if any(n in MODEL_TYPES for n in names):
                return "model"
            if any(n in PUSHED_TYPES for n in names):
                return "pushed"
            if any(n in BLESSING_TYPES for n in names):
                return "blessing"
            if any(n in METRICS_TYPES for n in names):
                return "metrics"
            return "data"

        inputs_of: dict[int, list[int]] = defaultdict(list)
        outputs_of: dict[int, list[int]] = defaultdict(list)
        producer_of: dict[int, int] = {}
        for a_id, e_id, ev_type in events:
            if a_id is None or e_id is None:
                continue
            a_id, e_id, ev_type = int(a_id), int(e_id), int(ev_type or 0)
            if ev_type in INPUT_EVENTS:
                inputs_of[e_id].append(a_id)
            elif ev_type in OUTPUT_EVENTS:
                outputs_of[e_id].append(a_id)
                producer_of.setdefault(a_id, e_id)

        def pipeline_of_artifact(a_id: int) -> str:
            name = ctx_name(art_ctx.get(a_id, []), PIPELINE_CONTEXTS)
            if not name and a_id in producer_of:
                name = ctx_name(exec_ctx.get(producer_of[a_id], []), PIPELINE_CONTEXTS)
            return name or DEFAULT_MODEL_NAME

        # artifacts -> node ids
        node_of: dict[int, str] = {}
        kind_of: dict[int, str] = {}
        models: dict[str, RegisteredModel] = {}
        version_of: dict[int, ModelVersion] = {}
        for a_id, row in artifacts.items():
            _, type_id, uri, state, name, created, updated = row
            tname = types.get(int(type_id), (f"type {type_id}", 1))[0]
            props = a_props.get(a_id, {})
            tags = {k: _text(v) for k, v in props.items()}
            cat_kind = category(int(type_id))
            kind_of[a_id] = cat_kind
            uri = str(uri or "")
            state_name = ARTIFACT_STATES.get(int(state) if state is not None else 0, "UNKNOWN")
            display = str(props.get("display_name") or name or "") or f"{tname} #{a_id}"
            if cat_kind == "model":
                pipeline = pipeline_of_artifact(a_id)
                model = models.get(pipeline)
                if model is None:
                    model = models[pipeline] = RegisteredModel(name=pipeline, store=store,
                                                               description=f"Models of MLMD pipeline {pipeline}")
                producer = producer_of.get(a_id)
                mv = ModelVersion(
                    model_name=pipeline, version=str(a_id), status=state_name if state_name in {"PENDING", "DELETED", "ABANDONED"} else "READY",
                    run_id=self._run_id(producer) if producer is not None else None,
                    source=uri, created_at=from_millis(created), updated_at=from_millis(updated),
                    tags={**tags, "mlmd.artifact_type": tname, "mlmd.state": state_name},
                    deleted=state_name in {"DELETED", "MARKED_FOR_DELETION"}, store=store,
                )
                model.versions.append(mv)
                version_of[a_id] = mv
                node_of[a_id] = version_node_id(pipeline, str(a_id))
            elif cat_kind == "pushed":
                target = uri or f"mlmd:{self._tag}:{a_id}"
                nid = deployment_node_id("", target, "pushed")
                node_of[a_id] = nid
                cat.lineage_nodes.append(LineageNodeRecord(
                    nid, DEPLOYMENT, f"pushed: {props.get('pushed_destination') or uri or a_id}", tags,
                    {"subtype": "pushed", "uri": uri, "artifact_type": tname, "state": state_name,
                     "artifact_id": a_id, "store": store, "target": "pushed"},
                ))
            else:
                ds_id = f"mlmd:{self._tag}:{a_id}"
                ds = Dataset(
                    id=ds_id, name=display, digest="", source=uri or ds_id, source_type="",
                    profile={"artifact_type": tname, "state": state_name, "properties": props},
                    tags=tags, store=store,
                )
                nid = dataset_node_id(ds)
                node_of[a_id] = nid
                if cat_kind == "data":
                    cat.datasets[ds_id] = ds
                else:
                    cat.lineage_nodes.append(LineageNodeRecord(
                        nid, DATASET, display, tags,
                        {"artifact_type": tname, "subtype": cat_kind, "state": state_name, "source": uri,
                         "artifact_id": a_id, "store": store},
                    ))
        check_cancelled(is_cancelled)

        # executions -> runs, jobs, edges
        progress(5, total, "MLMD: lineage")
        jobs: set[str] = set()
        for e_id, row in executions.items():
            _, type_id, state, name, created, updated = row
            tname = types.get(int(type_id), (f"type {type_id}", 0))[0]
            props = e_props.get(e_id, {})
            state_name = EXECUTION_STATES.get(int(state) if state is not None else 0, "UNKNOWN")
            pipeline = ctx_name(exec_ctx.get(e_id, []), PIPELINE_CONTEXTS)
            prun = ctx_name(exec_ctx.get(e_id, []), RUN_CONTEXTS)
            component = str(props.get("component_id") or props.get("display_name") or name or tname)
            run_id = self._run_id(e_id)
            run = Run(
                run_id=run_id,
                name=f"{component} #{e_id}",
                experiment_id=pipeline,
                experiment_name=pipeline,
                status=RUN_STATUS.get(state_name, state_name),
                start_time=from_millis(created),
                end_time=from_millis(updated) if state_name in {"COMPLETE", "FAILED", "CANCELED", "CACHED"} else None,
                params={k: _text(v) for k, v in props.items()},
                tags={"mlmd.execution_type": tname, "mlmd.state": state_name,
                      **({"mlmd.pipeline_run": prun} if prun else {})},
                store=store,
            )
            rnid = run_node_id(run_id)
            for a_id in inputs_of.get(e_id, []):
                if a_id not in node_of:
                    continue
                if a_id in artifacts and kind_of.get(a_id) == "data":
                    ds = cat.datasets[f"mlmd:{self._tag}:{a_id}"]
                    run.inputs.append(DatasetInput(ds.id, ds.name, "", ds.source, None, dict(ds.tags)))
                cat.lineage_edges.append(LineageEdgeRecord(node_of[a_id], rnid, E_INPUT))
            for a_id in outputs_of.get(e_id, []):
                if a_id in node_of:
                    cat.lineage_edges.append(LineageEdgeRecord(rnid, node_of[a_id], E_OUTPUT))
            cat.runs[run_id] = run
            jid = job_node_id(pipeline or "mlmd", component)
            if jid not in jobs:
                jobs.add(jid)
                cat.lineage_nodes.append(LineageNodeRecord(jid, JOB, component, {},
                                                           {"execution_type": tname, "pipeline": pipeline,
                                                            "store": store}))
            cat.lineage_edges.append(LineageEdgeRecord(jid, rnid, E_JOB))

        # evaluation and deployment facts on the versions
        for e_id in executions:
            ins = inputs_of.get(e_id, [])
            outs = outputs_of.get(e_id, [])
            in_models = [a for a in ins if a in version_of]
            if not in_models:
                continue
            for out in outs:
                if kind_of.get(out) == "blessing":
                    blessed = a_props.get(out, {}).get("blessed")
                    for a in in_models:
                        version_of[a].tags["mlmd.evaluated"] = "true"
                        if blessed is not None:
                            version_of[a].tags["mlmd.blessed"] = _text(bool(blessed))
                elif kind_of.get(out) == "pushed":
                    dest = _text(a_props.get(out, {}).get("pushed_destination")) or str(artifacts[out][2] or "")
                    for a in in_models:
                        mv = version_of[a]
                        mv.tags["mlmd.pushed"] = "true"
                        if dest:
                            mv.tags["mlmd.pushed_destination"] = dest
                        cat.lineage_edges.append(LineageEdgeRecord(node_of[a], node_of[out], E_DEPLOYED))
            # a Pusher that reads a blessing was gated by it: the model was blessed
            if any(kind_of.get(o) == "pushed" for o in outs) and any(kind_of.get(a) == "blessing" for a in ins):
                for a in in_models:
                    version_of[a].tags.setdefault("mlmd.blessed", "true")

        # a version's datasets: the data its producing execution read
        for mv in version_of.values():
            producer_run = cat.runs.get(mv.run_id or "")
            if producer_run is not None:
                mv.datasets = list(producer_run.inputs)
                mv.run_user = producer_run.user
        cat.models = sorted(models.values(), key=lambda m: m.name)
        progress(total, total, "MLMD store read")
        return cat

    def _run_id(self, execution_id: int) -> str:
        return f"mlmd:{self._tag}:{execution_id}"


__all__ = ["MlmdSource", "decode_mlmd_struct"]
