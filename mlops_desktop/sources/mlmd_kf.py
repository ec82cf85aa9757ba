"""Kubeflow Model Registry stores: MLMD tables holding the registry's ``kf.*`` types.

The registry (kubeflow/model-registry, ``internal/db/service/spec.go``) keeps its records in
MLMD-shaped tables on MySQL or PostgreSQL (or an ML Metadata SQLite file):

- contexts: ``kf.RegisteredModel`` (description, owner, state, license, maturity...),
  ``kf.ModelVersion`` (author, state, description; its name is ``<registered model id>:<name>``
  and a ``ParentContext`` row points at its model), ``kf.ServingEnvironment``,
  ``kf.InferenceService`` (desired_state, runtime, model_version_id, registered_model_id,
  serving_environment_id; parent: its environment), ``kf.Experiment`` and
  ``kf.ExperimentRun`` (owner, status, start/end times, experiment_id; parent: its experiment);
- artifacts, attributed to their owner context: ``kf.ModelArtifact`` (uri, model format,
  storage key/path; ``experiment_run_id`` custom property when logged in a run),
  ``kf.DocArtifact``, ``kf.DataSet`` (digest, source_type, source, schema, profile),
  ``kf.Metric`` (value, step, timestamp), ``kf.Parameter`` (value, parameter_type);
- executions: ``kf.ServeModel`` (model_version_id), associated with its inference service.

Mapping to entities: registered models and their versions are the inventory (custom
properties are tags, the defined ones ``kf.<name>`` tags); a version's source is its model
artifact's URI and its run the experiment run that artifact was logged in, whose datasets,
parameters and metrics it carries. Inference services are deployments: one the registry
wants DEPLOYED is a ``pushed`` deployment of its version (a governance target, like a TFX
push), an UNDEPLOYED one a plain deployment node; ServeModel executions are runs between
the version and the service.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlops_desktop.core.entities import (
    Catalog,
    Dataset,
    DatasetInput,
    Experiment,
    LineageEdgeRecord,
    LineageNodeRecord,
    MetricValue,
    ModelVersion,
    RegisteredModel,
    Run,
    StoreInfo,
    from_millis,
)
from mlops_desktop.core.lineage import (
    DEPLOYMENT,
    E_DEPLOYED,
    E_INPUT,
    E_OUTPUT,
    deployment_node_id,
    run_node_id,
    version_node_id,
)
from mlops_desktop.core.progress import CancelledFn, ProgressFn, check_cancelled

KF_PREFIX = "kf."
REGISTERED_MODEL = "kf.RegisteredModel"
MODEL_VERSION = "kf.ModelVersion"
MODEL_ARTIFACT = "kf.ModelArtifact"
DOC_ARTIFACT = "kf.DocArtifact"
DATA_SET = "kf.DataSet"
METRIC = "kf.Metric"
PARAMETER = "kf.Parameter"
SERVING_ENVIRONMENT = "kf.ServingEnvironment"
INFERENCE_SERVICE = "kf.InferenceService"
SERVE_MODEL = "kf.ServeModel"
EXPERIMENT = "kf.Experiment"
EXPERIMENT_RUN = "kf.ExperimentRun"
#: Execution states (metadata_store.proto)
EXECUTION_STATES = {0: "UNKNOWN", 1: "NEW", 2: "RUNNING", 3: "COMPLETE", 4: "FAILED", 5: "CACHED", 6: "CANCELED"}
DEPLOYED = "DEPLOYED"
_OWNED = re.compile(r"^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(.+)$", re.DOTALL)

Rows = Callable[[str], list[tuple[Any, ...]]]


def is_kf_registry(type_names: Sequence[str]) -> bool:
    """Does the store hold Kubeflow Model Registry records (its registered-model type)?"""
    return REGISTERED_MODEL in type_names


def bare_name(name: str) -> str:
    """``7:fraud-scorer`` -> ``fraud-scorer`` (the registry prefixes owned names with the owner's id)."""
    m = _OWNED.match(name or "")
    return m.group(2) if m else (name or "")


@dataclass
class _Node:
    id: int
    type: str
    name: str
    created: int | None
    updated: int | None
    props: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    uri: str = ""
    state: int | None = None


def _value(row: Sequence[Any]) -> Any:
    """(int, double, string, bytes, proto, bool) columns -> the one that is set."""
    int_v, dbl_v, str_v, byte_v, proto_v, bool_v = row
    if str_v is not None:
        return str(str_v)
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
    return "" if value is None else str(value)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _json_or_text(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value or None
    try:
        return json.loads(value)
    except ValueError:
        return value


def load_kf_catalog(rows: Rows, info: StoreInfo, tag: str, progress: ProgressFn, is_cancelled: CancelledFn,
                    tables: set[str]) -> Catalog:
    """Read a Kubeflow Model Registry store through ``rows(sql)`` (tables named as in MLMD)."""
    total = 4
    store = info.url
    progress(0, total, "Kubeflow registry: types and contexts")
    types = {int(r[0]): str(r[1]) for r in rows("SELECT id, name FROM Type")}

    def nodes(table: str, prop_table: str, id_col: str, cols: str) -> dict[int, _Node]:
        out: dict[int, _Node] = {}
        for r in rows(f"SELECT {cols} FROM {table}"):
            node = _Node(int(r[0]), types.get(int(r[1]), ""), str(r[2] or ""), _int(r[3]), _int(r[4]))
            if len(r) > 5:
                node.uri, node.state = str(r[5] or ""), _int(r[6])
            out[node.id] = node
        if prop_table.lower() in tables:
            for p in rows(f"SELECT {id_col}, name, is_custom_property, int_value, double_value, string_value, "
                          f"byte_value, proto_value, bool_value FROM {prop_table}"):
                node_ = out.get(int(p[0]))
                if node_ is not None:
                    (node_.custom if p[2] else node_.props)[str(p[1])] = _value(p[3:9])
        return out

    contexts = nodes("Context", "ContextProperty", "context_id",
                     "id, type_id, name, create_time_since_epoch, last_update_time_since_epoch")
    parent_of: dict[int, int] = {}
    if "parentcontext" in tables:
        parent_of = {int(c): int(p) for c, p in rows("SELECT context_id, parent_context_id FROM ParentContext")}
    check_cancelled(is_cancelled)
    progress(1, total, "Kubeflow registry: artifacts and executions")
    artifacts = nodes("Artifact", "ArtifactProperty", "artifact_id",
                      "id, type_id, name, create_time_since_epoch, last_update_time_since_epoch, uri, state")
    executions = nodes("Execution", "ExecutionProperty", "execution_id",
                       "id, type_id, name, create_time_since_epoch, last_update_time_since_epoch, '', last_known_state")
    owner_of_artifact: dict[int, list[int]] = defaultdict(list)
    artifacts_of: dict[int, list[int]] = defaultdict(list)
    if "attribution" in tables:
        for c, a in rows("SELECT context_id, artifact_id FROM Attribution"):
            owner_of_artifact[int(a)].append(int(c))
            artifacts_of[int(c)].append(int(a))
    executions_of: dict[int, list[int]] = defaultdict(list)
    if "association" in tables:
        for c, e in rows("SELECT context_id, execution_id FROM Association"):
            executions_of[int(c)].append(int(e))
    check_cancelled(is_cancelled)

    progress(2, total, "Kubeflow registry: experiments and runs")
    cat = Catalog(stores=[info])

    def of_type(table: dict[int, _Node], type_name: str) -> list[_Node]:
        return sorted((n for n in table.values() if n.type == type_name), key=lambda n: n.id)

    def run_id(ctx_id: int) -> str:
        return f"mlmd:{tag}:kf-run-{ctx_id}"

    for exp in of_type(contexts, EXPERIMENT):
        cat.experiments[f"kf-{exp.id}"] = Experiment(f"kf-{exp.id}", exp.name, "",
                                                     "active" if exp.props.get("state", "LIVE") == "LIVE" else "deleted",
                                                     store)
    datasets_of_ctx: dict[int, list[DatasetInput]] = defaultdict(list)
    for ds_node in of_type(artifacts, DATA_SET):
        ds_id = f"mlmd:{tag}:{ds_node.id}"
        source = _text(ds_node.props.get("source")) or ds_node.uri or ds_id
        tags = {k: _text(v) for k, v in ds_node.custom.items() if k not in ("experiment_id", "experiment_run_id")}
        ds = Dataset(id=ds_id, name=bare_name(ds_node.name), digest=_text(ds_node.props.get("digest")),
                     source=source, source_type=_text(ds_node.props.get("source_type")),
                     schema=_json_or_text(ds_node.props.get("schema")),
                     profile=_json_or_text(ds_node.props.get("profile")), tags=tags, store=store)
        cat.datasets[ds_id] = ds
        for owner in owner_of_artifact.get(ds_node.id, []):
            datasets_of_ctx[owner].append(DatasetInput(ds_id, ds.name, ds.digest, ds.source, None, dict(tags)))

    for rc in of_type(contexts, EXPERIMENT_RUN):
        exp_id = parent_of.get(rc.id) or _int(rc.props.get("experiment_id"))
        exp_node = contexts.get(exp_id or -1)
        status = _text(rc.props.get("status"))
        run = Run(
            run_id=run_id(rc.id), name=bare_name(rc.name),
            experiment_id=f"kf-{exp_id}" if exp_id else "", experiment_name=exp_node.name if exp_node else "",
            user=_text(rc.props.get("owner")) or None, status=status,
            start_time=from_millis(_int(rc.props.get("start_time_since_epoch")) or rc.created),
            end_time=from_millis(_int(rc.props.get("end_time_since_epoch"))),
            lifecycle_stage="active" if rc.props.get("state", "LIVE") == "LIVE" else "deleted",
            tags={"mlmd.context_type": EXPERIMENT_RUN, **{k: _text(v) for k, v in rc.custom.items()}},
            inputs=sorted(datasets_of_ctx.get(rc.id, []), key=lambda d: (d.name, d.digest)), store=store,
        )
        for a_id in artifacts_of.get(rc.id, []):
            art = artifacts.get(a_id)
            if art is None:
                continue
            if art.type == PARAMETER:
                run.params[bare_name(art.name)] = _text(art.props.get("value"))
            elif art.type == METRIC:
                value = art.props.get("value")
                key = bare_name(art.name)
                run.metrics[key] = MetricValue(
                    key, float(value) if isinstance(value, int | float) else float("nan"),
                    _int(art.props.get("step")) or 0,
                    from_millis(_int(art.props.get("timestamp")) or art.created))
        cat.runs[run.run_id] = run
    check_cancelled(is_cancelled)

    progress(3, total, "Kubeflow registry: models, versions and inference services")
    models: dict[int, RegisteredModel] = {}
    for rm in of_type(contexts, REGISTERED_MODEL):
        tags = {k: _text(v) for k, v in rm.custom.items()}
        tags.update({f"kf.{k}": _text(v) for k, v in rm.props.items() if k != "description" and v not in (None, "")})
        models[rm.id] = RegisteredModel(name=rm.name, description=_text(rm.props.get("description")), tags=tags,
                                        created_at=from_millis(rm.created), updated_at=from_millis(rm.updated),
                                        store=store)
    versions: dict[int, ModelVersion] = {}
    for mv in of_type(contexts, MODEL_VERSION):
        rm_id = parent_of.get(mv.id) or _int(mv.props.get("registered_model_id"))
        model = models.get(rm_id or -1)
        if model is None:
            continue
        label = mv.name[len(f"{rm_id}:"):] if mv.name.startswith(f"{rm_id}:") else bare_name(mv.name)
        state = _text(mv.props.get("state")) or "LIVE"
        tags = {k: _text(v) for k, v in mv.custom.items()}
        tags["kf.state"] = state
        model_art = next((artifacts[a] for a in sorted(artifacts_of.get(mv.id, []))
                          if a in artifacts and artifacts[a].type == MODEL_ARTIFACT), None)
        run_ctx: int | None = None
        if model_art is not None:
            run_ctx = _int(model_art.custom.get("experiment_run_id"))
            if run_ctx is None:
                run_ctx = next((c for c in owner_of_artifact.get(model_art.id, [])
                                if contexts.get(c) is not None and contexts[c].type == EXPERIMENT_RUN), None)
            for k in ("model_format_name", "model_format_version", "storage_key", "storage_path"):
                if model_art.props.get(k) not in (None, ""):
                    tags[f"kf.{k}"] = _text(model_art.props[k])
        docs = [artifacts[a].uri for a in sorted(artifacts_of.get(mv.id, []))
                if a in artifacts and artifacts[a].type == DOC_ARTIFACT and artifacts[a].uri]
        if docs:
            tags["kf.doc_uri"] = docs[0]
        made_by = cat.runs.get(run_id(run_ctx)) if run_ctx is not None else None
        v = ModelVersion(
            model_name=model.name, version=label, status="READY" if state == "LIVE" else state,
            user_id=_text(mv.props.get("author")) or None, run_id=made_by.run_id if made_by else None,
            source=model_art.uri if model_art else "", storage_location=model_art.uri if model_art else None,
            created_at=from_millis(mv.created), updated_at=from_millis(mv.updated),
            description=_text(mv.props.get("description")), tags=tags, store=store,
        )
        direct = datasets_of_ctx.get(mv.id, [])
        v.datasets = sorted([*(made_by.inputs if made_by else []), *direct],
                            key=lambda d: (d.name, d.digest, d.context or ""))
        v.run_user = made_by.user if made_by else None
        model.versions.append(v)
        versions[mv.id] = v

    for isvc in of_type(contexts, INFERENCE_SERVICE):
        env = contexts.get(parent_of.get(isvc.id) or _int(isvc.props.get("serving_environment_id")) or -1)
        env_name = env.name if env else ""
        name = bare_name(isvc.name)
        desired = _text(isvc.props.get("desired_state")) or DEPLOYED
        mv_id = _int(isvc.props.get("model_version_id"))
        target_version = versions.get(mv_id or -1)
        if target_version is None:  # no version named: the registry serves the model's latest
            model = models.get(_int(isvc.props.get("registered_model_id")) or -1)
            target_version = model.latest_version() if model else None
        where = f"kf-isvc:{env_name}/{name}"
        deployed = desired.upper() == DEPLOYED
        nid = deployment_node_id("", where, "pushed") if deployed else f"deployment:{where}"
        attrs: dict[str, Any] = {
            "subtype": "pushed" if deployed else "inference_service", "target": "pushed" if deployed else name,
            "inference_service": name, "serving_environment": env_name, "desired_state": desired,
            "runtime": _text(isvc.props.get("runtime")), "store": store,
        }
        if target_version is not None:
            attrs.update(model_name=target_version.model_name, version=target_version.version)
        cat.lineage_nodes.append(LineageNodeRecord(nid, DEPLOYMENT, f"{env_name}/{name} ({desired.lower()})",
                                                   {k: _text(v) for k, v in isvc.custom.items()}, attrs))
        if target_version is None:
            continue
        vnid = version_node_id(target_version.model_name, target_version.version)
        cat.lineage_edges.append(LineageEdgeRecord(vnid, nid, E_DEPLOYED))
        listed = [s for s in target_version.tags.get("kf.inference_services", "").split(",") if s]
        target_version.tags["kf.inference_services"] = ",".join(sorted({*listed, f"{env_name}/{name}"}))
        if deployed:
            target_version.tags["kf.deployed"] = "true"
        for e_id in executions_of.get(isvc.id, []):
            ex = executions.get(e_id)
            if ex is None or ex.type != SERVE_MODEL:
                continue
            state_name = EXECUTION_STATES.get(ex.state or 0, "UNKNOWN")
            served = versions.get(_int(ex.props.get("model_version_id")) or -1) or target_version
            serve = Run(run_id=f"mlmd:{tag}:{ex.id}", name=bare_name(ex.name), status=state_name,
                      start_time=from_millis(ex.created), experiment_name=env_name,
                      params={k: _text(v) for k, v in ex.props.items()},
                      tags={"mlmd.execution_type": SERVE_MODEL, "mlmd.state": state_name,
                            "kf.inference_service": name}, store=store)
            cat.runs[serve.run_id] = serve
            rnid = run_node_id(serve.run_id)
            cat.lineage_edges.append(LineageEdgeRecord(
                version_node_id(served.model_name, served.version), rnid, E_INPUT))
            cat.lineage_edges.append(LineageEdgeRecord(rnid, nid, E_OUTPUT))
    cat.models = sorted(models.values(), key=lambda m: m.name)
    progress(total, total, "Kubeflow registry read")
    return cat


__all__ = ["bare_name", "is_kf_registry", "load_kf_catalog"]
