"""DataRobot as a source: a folder (or ``.zip``) of DataRobot REST API JSON responses, as the API
returns them (camelCase members, ISO 8601 times).

Recognition and validation. Each file is one response, recognised by its content, never its
name: its members are put in snake_case with the ``datarobot`` client's own ``from_api`` and
matched against the response schemas of the client's entity classes (the trafaret
``_converter`` of :class:`~datarobot.models.RegisteredModel`, ``RegisteredModelVersion``,
``VersionAssociatedDeployment``, ``Deployment``, ``ChangeRequest``, ``ChangeRequestReview`` and
the AI Catalog's ``DatasetDetails``); the kind whose schema members the file holds most of is
the one it is checked against. It is then loaded exactly as the client loads a server response
(``from_server_data``: required members, member types, nested schemas), and the members the
client keeps as enumerations (``datarobot.enums``: deployment importance and health statuses)
are checked against them. A paginated list (``{"count", "next", "previous", "data": [...]}``) is
read item by item, each item checked the same way. A file that fails (a value outside an
enumeration, a missing required member, truncated JSON, another service's JSON) is listed in
:attr:`DataRobotSource.rejected` with its reason and skipped as a whole; the rest loads.

The client is imported only when a ``datarobot:`` store is read; without it the source says
``pip install 'mlops-desktop[datarobot]'``.

Mapping onto core entities:

- registered model -> :class:`RegisteredModel` (name, description, created/modified times;
  tags ``datarobot.registered_model_id`` and ``datarobot.target``);
- registered model version -> :class:`ModelVersion`: ``version`` = ``registeredModelVersion``,
  ``status`` = ``buildStatus`` (``complete`` when absent; ``archived`` when archived),
  ``user_id`` = ``importMeta.creatorUsername``, ``created_at`` = ``importMeta.dateCreated``,
  ``description`` = ``modelDescription.description``, ``source`` =
  ``modelDescription.location``, else ``datarobot:model-package/<version id>``; tags = the
  version's own ``tags`` (``name`` -> ``value``, classification tags as elsewhere) plus
  ``datarobot.*`` ids (model package, leaderboard model, project, execution type, target);
- the leaderboard model that was registered -> :class:`Run` ``datarobot:model/<modelId>``
  (project as experiment, model creator as user) whose inputs are the version's training
  dataset (context ``training``) and holdout dataset (``evaluation``). A dataset's location
  is the ``uri`` of the AI Catalog dataset (``GET /datasets/{id}/``) that
  ``datasets.trainingDataCatalogId`` / ``holdoutDataCatalogId`` names, so an S3 URI is the same
  lineage node as the MLflow/OpenLineage dataset there; the catalog dataset's ``tags``
  (``pii``, or ``key=value`` / ``key:value``) are its classification tags. Without that
  response the dataset is known by its name and catalog version id only;
- deployment -> a ``deployment`` node ``deployment:pushed:datarobot:deployment/<id>`` (target
  ``datarobot:deployment/<id>``) with a ``deployed_as`` edge from the version its
  ``modelPackage.id`` names; inactive or errored deployments serve nothing and are not
  counted. The deployments of a version (``/registeredModels/{id}/versions/{vid}/deployments/``)
  add those not described, when their folder describes exactly that one version (the page
  names no version id); challengers and deployments no longer serving it are left out;
- change requests on a deployment that put a version into service (action ``approve``: the
  version it serves; ``replaceModelPackage`` / ``replaceModel``: the ``modelPackageId`` of
  its change) -> :class:`ExternalApproval` claims: one ``approved`` claim per review with
  status ``approved`` of the request's current change version (reviewer, review time,
  comment), and, while the request has fewer approving reviews than it requires, one claim
  with the request's status (``pending``, or the latest review's, e.g. ``changesRequested``).
  Reviews of an earlier change version are stale and do not count. Without any change
  request for it, a serving deployment's ``governance.approvalStatus`` is the claim. None of these is
  signed: they are shown and reported as claims ("approved in DataRobot by ... at ..., not
  signed").
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.entities import (
    Catalog,
    Dataset as DatasetEntity,
    DatasetInput,
    ExternalApproval,
    LineageEdgeRecord,
    LineageNodeRecord,
    MetricValue,
    ModelVersion,
    RegisteredModel,
    Run,
    StoreInfo,
    iso,
)
from mlops_desktop.core.errors import StoreError
from mlops_desktop.core.lineage import (
    DEPLOYMENT,
    E_DEPLOYED,
    deployment_node_id,
    normalise_location,
    version_node_id,
)
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)
from mlops_desktop.core.timestamps import parse_timestamp
from mlops_desktop.sources.base import DEFAULT_SETTINGS, Source, SourceSettings, StoreUrl
from mlops_desktop.sources.documents import (
    DocumentError,
    RejectedFile,
    documents_digest,
    iter_documents,
    parse_json,
)
from mlops_desktop.sources.registry_identity import registry_id

if TYPE_CHECKING:
    from datarobot.models.api_object import APIObject

logger = logging.getLogger(__name__)

SYSTEM = "datarobot"
INSTALL_HINT = "Install the DataRobot extra: pip install 'mlops-desktop[datarobot]'."

#: kind -> (module, class) of the ``datarobot`` client entity whose schema checks it.
KINDS: dict[str, tuple[str, str]] = {
    "RegisteredModel": ("datarobot.models.model_registry.registered_model", "RegisteredModel"),
    "RegisteredModelVersion": ("datarobot.models.model_registry.registered_model_version", "RegisteredModelVersion"),
    "VersionAssociatedDeployment": ("datarobot.models.model_registry.deployment", "VersionAssociatedDeployment"),
    "Deployment": ("datarobot.models.deployment.deployment", "Deployment"),
    "ChangeRequest": ("datarobot.models.change_request", "ChangeRequest"),
    "ChangeRequestReview": ("datarobot.models.change_request", "ChangeRequestReview"),
    "DatasetDetails": ("datarobot.models.dataset", "DatasetDetails"),
}
#: Members of a paginated list response besides its ``data``.
PAGE_MEMBERS = frozenset({"count", "next", "previous", "total_count", "data"})
#: Change-request actions that put a version into service on a deployment.
APPROVE_ACTIONS = frozenset({"approve"})
REPLACE_ACTIONS = frozenset({"replaceModelPackage", "replaceModel"})
#: Deployment statuses in which nothing is being served.
NOT_SERVING = frozenset({"inactive", "errored"})
APPROVED = "approved"


# ---------------------------------------------------------------------------- validation


@lru_cache(maxsize=1)
def client_classes() -> dict[str, type[APIObject]]:
    """The ``datarobot`` client's entity classes per kind (imported now)."""
    import importlib

    try:
        return {kind: getattr(importlib.import_module(module), name) for kind, (module, name) in KINDS.items()}
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith(("datarobot", "trafaret")):
            raise
        raise StoreError("Reading DataRobot exports needs the datarobot client, which is not installed.",
                         INSTALL_HINT) from exc


def client_version() -> str:
    import datarobot

    return str(getattr(datarobot, "__version__", ""))


@lru_cache(maxsize=1)
def _schema_keys() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """kind -> (every member name of its schema, the required ones), snake_case as the client has them."""
    out = {}
    for kind, cls in client_classes().items():
        keys = list(cls._converter.keys)
        out[kind] = (frozenset(k.name for k in keys), frozenset(k.name for k in keys if not k.optional))
    return out


@lru_cache(maxsize=1)
def _enums() -> dict[str, dict[tuple[str, ...], tuple[str, list[str]]]]:
    """kind -> {member path: (enumeration name, allowed values)}, from ``datarobot.enums``."""
    from datarobot import enums

    return {"Deployment": {
        ("importance",): ("DEPLOYMENT_IMPORTANCE", list(enums.DEPLOYMENT_IMPORTANCE.ALL)),
        ("service_health", "status"): ("DEPLOYMENT_SERVICE_HEALTH_STATUS",
                                       list(enums.DEPLOYMENT_SERVICE_HEALTH_STATUS.ALL)),
        ("model_health", "status"): ("DEPLOYMENT_MODEL_HEALTH_STATUS", list(enums.DEPLOYMENT_MODEL_HEALTH_STATUS.ALL)),
        ("accuracy_health", "status"): ("DEPLOYMENT_ACCURACY_HEALTH_STATUS",
                                        list(enums.DEPLOYMENT_ACCURACY_HEALTH_STATUS.ALL)),
    }}


def _snake(doc: Mapping[str, Any]) -> dict[str, Any]:
    from datarobot.utils import from_api

    converted = from_api(dict(doc), keep_null_keys=True)
    return converted if isinstance(converted, dict) else {}


def recognise(doc: Mapping[str, Any]) -> str:
    """The kind of one response object (snake_case members), or DocumentError when it is none."""
    keys = set(doc)
    best: tuple[tuple[int, int, int], str] | None = None
    for kind, (members, required) in _schema_keys().items():
        known = keys & members
        have_required = len(required & keys)
        # a schema with few required members (Deployment: only id) must show more of its members
        if len(known) < 3 or (len(required) > 1 and have_required * 2 < len(required)):
            continue
        score = (len(known), int(required <= keys), have_required)
        if best is None or score > best[0]:
            best = (score, kind)
    if best is None:
        shown = ", ".join(sorted(keys)[:6]) or "none"
        raise DocumentError(f"not a DataRobot API response this app reads (members: {shown})")
    return best[1]


def _reason(error: Any, path: str = "") -> str:
    """The first problem a trafaret DataError names, as ``member.path: message``."""
    detail = error.as_dict() if hasattr(error, "as_dict") else error
    while isinstance(detail, dict) and detail:
        key, value = next(iter(sorted(detail.items(), key=lambda kv: str(kv[0]))))
        path = f"{path}.{key}" if path else str(key)
        detail = value
    return f"{path}: {detail}" if path else str(detail)


def validate(kind: str, doc: Mapping[str, Any]) -> tuple[Any, str | None]:
    """Load one response (camelCase, as the API sent it) with the client's own ``from_server_data``:
    ``(entity, None)``, or ``(None, problem)``."""
    import trafaret

    cls = client_classes()[kind]
    try:
        entity = cls.from_server_data(dict(doc))
    except trafaret.DataError as exc:
        return None, _reason(exc)
    except TypeError as exc:  # a member the schema accepted but the class cannot take
        return None, str(exc)
    snake = _snake(doc)
    for path, (enum_name, allowed) in _enums().get(kind, {}).items():
        value: Any = snake
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None and value not in allowed:
            return None, f"{'.'.join(path)}: {value!r} is not a valid {enum_name} (one of {', '.join(allowed)})"
    return entity, None


def classify_document(body: Any) -> tuple[str, list[Any], str | None]:
    """``(kind, entities, problem)`` of a parsed file: one response object or a page of them."""
    if not isinstance(body, dict):
        what = "a list" if isinstance(body, list) else type(body).__name__
        raise DocumentError(f"{what}, not a DataRobot API response object")
    snake = _snake(body)
    if isinstance(snake.get("data"), list) and set(snake) <= PAGE_MEMBERS:
        items = snake["data"]
        raw_items = body.get("data") or []
        if not items:
            return "Page", [], None
        kinds = set()
        entities = []
        for i, (item, raw) in enumerate(zip(items, raw_items, strict=True)):
            if not isinstance(item, dict):
                return "Page", [], f"data[{i}]: expected an object"
            kind = recognise(item)
            kinds.add(kind)
            if len(kinds) > 1:
                return kind, [], f"data[{i}]: a {kind} in a page of {sorted(kinds - {kind})[0]} items"
            entity, problem = validate(kind, raw)
            if problem:
                return kind, [], f"data[{i}].{problem}"
            entities.append(entity)
        return kinds.pop(), entities, None
    kind = recognise(snake)
    entity, problem = validate(kind, body)
    return kind, [entity] if entity is not None else [], problem


# ---------------------------------------------------------------------------- reading


@dataclass(slots=True)
class _Export:
    """Everything read, keyed the way the mapping looks it up."""

    models: dict[str, Any] = field(default_factory=dict)  # registered model id -> entity
    versions: dict[str, Any] = field(default_factory=dict)  # version (model package) id -> entity
    deployments: dict[str, Any] = field(default_factory=dict)  # deployment id -> entity
    version_deployments: list[tuple[str, Any]] = field(default_factory=list)  # (version id, item)
    change_requests: dict[str, Any] = field(default_factory=dict)
    reviews: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))  # change request id -> reviews
    datasets: dict[str, Any] = field(default_factory=dict)  # catalog dataset id -> DatasetDetails
    kinds: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return parse_timestamp(value, assume_utc=True) if isinstance(value, str) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _user(meta: Any) -> str | None:
    """A DataRobot user record's e-mail / user name, else its id."""
    meta = _dict(meta)
    for key in ("email", "username", "user_name", "name", "id"):
        if _text(meta.get(key)):
            return str(meta[key])
    return None


def catalog_tags(tags: Any) -> dict[str, str]:
    """AI Catalog tags (plain strings) as classification tags: ``pii`` -> ``{"pii": "true"}``,
    ``key=value`` or ``key:value`` -> ``{key: value}``."""
    out: dict[str, str] = {}
    for tag in tags if isinstance(tags, list) else []:
        if not isinstance(tag, str) or not tag.strip():
            continue
        for sep in ("=", ":"):
            if sep in tag:
                key, _, value = tag.partition(sep)
                out[key.strip()] = value.strip()
                break
        else:
            out[tag.strip()] = "true"
    return out


def export_registry_id(export: _Export) -> str:
    """``registry_identity`` of a read export: the registered model with the smallest creation
    time, then id ("" when the export holds no registered model)."""
    dated = [(_when(m.created_at), str(m.id)) for m in export.models.values()]
    known = [(when, mid) for when, mid in dated if when is not None]
    if not known:
        return ""
    when, mid = min(known)
    return registry_id(SYSTEM, {"registeredModelId": mid, "createdAt": iso(when)})


class DataRobotSource(Source):
    """Read-only reader of a folder or archive of DataRobot API responses (module docstring)."""

    def __init__(self, url: StoreUrl, settings: SourceSettings = DEFAULT_SETTINGS) -> None:
        super().__init__(url, settings)
        if url.path is None:
            raise StoreError(f"{url.display} is not a folder of DataRobot API responses.")
        self.path = url.path
        self.rejected: list[RejectedFile] = []
        self.warnings: list[str] = []
        self._identity = ""
        self._schema = ""
        self._registry_id: str | None = None

    @property
    def info(self) -> StoreInfo:
        return StoreInfo(kind=SYSTEM, url=self.url.display, schema=self._schema or "datarobot-api-v2",
                         dialect="file", identity=self._identity, registry_id=self.registry_id())

    def read_export(self, progress: ProgressFn = no_progress,
                    is_cancelled: CancelledFn = never_cancelled) -> _Export:
        """Parse, recognise and validate every file (rejected ones are listed, not read)."""
        client_classes()  # the one clear message when the client is missing
        self.rejected = []
        self.warnings = []
        docs = list(iter_documents(self.path))
        if not docs:
            raise StoreError(f"{self.path} holds no files.", "Pass a folder of DataRobot API responses.")
        self._identity = documents_digest(docs)
        self._schema = f"datarobot-api-v2 (client {client_version()})"
        export = _Export()
        described: dict[str, set[str]] = defaultdict(set)
        pages: list[tuple[str, list[Any]]] = []
        for i, doc in enumerate(docs):
            if i % 200 == 0:
                check_cancelled(is_cancelled)
                progress(i, len(docs), f"Reading {doc.name}")
            try:
                kind, entities, problem = classify_document(parse_json(doc.raw))
            except DocumentError as exc:
                self._reject(doc.name, str(exc))
                continue
            if problem:
                self._reject(doc.name, f"{kind} response does not match the datarobot client's {kind} schema: "
                                       f"{problem}")
                continue
            export.kinds[kind] += 1
            if kind == "VersionAssociatedDeployment":
                pages.append((doc.folder, entities))
                continue
            for entity in entities:
                self._put(export, kind, entity)
                if kind == "RegisteredModelVersion":
                    described[doc.folder].add(str(entity.id))
        for folder, items in pages:
            ids = described.get(folder, set())
            if len(ids) != 1:
                self.warnings.append(f"deployments of a version in {folder or 'the top folder'}: the page names no "
                                     f"version, and the folder describes {len(ids)} versions; not read")
                continue
            version_id = next(iter(ids))
            export.version_deployments.extend((version_id, item) for item in items)
        progress(len(docs), len(docs), "DataRobot files read")
        self._registry_id = export_registry_id(export)
        return export

    def registry_id(self) -> str:
        """The earliest registered model of the export (``registry_identity``): its id, a
        DataRobot ObjectId unique in the installation, and creation time. Any later export of
        the same DataRobot registry holding that model has the same id."""
        if self._registry_id is None:
            self.read_export()
        return self._registry_id or ""

    def _reject(self, name: str, reason: str) -> None:
        self.rejected.append(RejectedFile(name, reason))
        logger.warning("DataRobot: %s skipped: %s", name, reason)

    @staticmethod
    def _put(export: _Export, kind: str, entity: Any) -> None:
        if kind == "RegisteredModel":
            export.models[str(entity.id)] = entity
        elif kind == "RegisteredModelVersion":
            export.versions[str(entity.id)] = entity
        elif kind == "Deployment":
            export.deployments[str(entity.id)] = entity
        elif kind == "ChangeRequest":
            export.change_requests[str(entity.id)] = entity
        elif kind == "ChangeRequestReview":
            known = {str(r.id) for r in export.reviews[str(entity.change_request_id)]}
            if str(entity.id) not in known:
                export.reviews[str(entity.change_request_id)].append(entity)
        elif kind == "DatasetDetails":
            export.datasets[str(entity.dataset_id)] = entity

    # --- Source API -------------------------------------------------------------------
    def load_catalog(
        self,
        progress: ProgressFn = no_progress,
        is_cancelled: CancelledFn = never_cancelled,
        *,
        all_runs: bool = False,
    ) -> Catalog:
        export = self.read_export(progress, is_cancelled)
        return _Mapper(self, export).catalog()

    def load_registry(
        self, progress: ProgressFn = no_progress, is_cancelled: CancelledFn = never_cancelled
    ) -> Catalog | None:
        """No faster path: every file must be read and validated anyway."""
        return None

    def metric_history(self, run_id: str, key: str) -> list[MetricValue]:
        """The API responses read here carry no metrics."""
        return []

    def metric_keys(self, run_id: str) -> list[str]:
        return []


class _Mapper:
    """Turns one read export into a catalog (module docstring)."""

    def __init__(self, source: DataRobotSource, export: _Export) -> None:
        self.source = source
        self.export = export
        self.store = source.url.display
        self.cat = Catalog(stores=[source.info])
        self.version_of_package: dict[str, tuple[str, str]] = {}

    def warn(self, message: str) -> None:
        self.source.warnings.append(message)
        logger.warning("DataRobot: %s", message)

    def catalog(self) -> Catalog:
        names = {rid: str(m.name) for rid, m in self.export.models.items()}
        for rid, m in sorted(self.export.models.items(), key=lambda kv: str(kv[1].name)):
            self.cat.models.append(RegisteredModel(
                name=str(m.name), description=_text(m.description),
                tags={"datarobot.registered_model_id": rid, "datarobot.target": _text(_dict(m.target).get("name"))},
                created_at=_when(m.created_at), updated_at=_when(m.modified_at), store=self.store))
        for vid, v in sorted(self.export.versions.items(),
                             key=lambda kv: (str(kv[1].registered_model_id), int(kv[1].registered_model_version))):
            name = names.get(str(v.registered_model_id))
            if name is None:
                self.warn(f"version {vid}: its registered model {v.registered_model_id} is not in the export; "
                          "listed under its id")
                name = str(v.registered_model_id)
                names[name] = name
                self.cat.models.append(RegisteredModel(name=name, store=self.store))
            model = self.cat.model(name)
            assert model is not None
            mv = self._version(name, vid, v)
            model.versions.append(mv)
            self.version_of_package[vid] = (name, mv.version)
        self._deployments()
        self._claims()
        return self.cat

    # --- versions -----------------------------------------------------------------------
    def _dataset_input(self, catalog_id: str, version_id: str, name: str, context: str) -> DatasetInput | None:
        if not catalog_id and not name:
            return None
        details = self.export.datasets.get(catalog_id)
        uri = _text(details.uri) if details is not None else ""
        tags = catalog_tags(getattr(details, "tags", None)) if details is not None else {}
        location = normalise_location(uri) if uri else ""
        name = name or (_text(details.name) if details is not None else "") or catalog_id
        ds_id = f"datarobot:{location}" if location else f"datarobot:dataset/{catalog_id}/{version_id}"
        self.cat.datasets.setdefault(ds_id, DatasetEntity(
            id=ds_id, name=name, digest="" if location else version_id, source=location,
            source_type=_text(getattr(details, "data_source_type", "")) or ("s3" if location.startswith("s3://") else ""),
            tags=dict(tags), store=self.store))
        return DatasetInput(ds_id, name, "" if location else version_id, location, context, tags)

    def _version(self, model_name: str, vid: str, v: Any) -> ModelVersion:
        imp = _dict(v.import_meta)
        desc = _dict(v.model_description)
        src = _dict(v.source_meta)
        data = _dict(v.datasets)
        tags = {str(t.get("name")): str(t.get("value", "")) for t in (v.tags or [])
                if isinstance(t, dict) and t.get("name")}
        tags["datarobot.model_package_id"] = vid
        tags["datarobot.model_id"] = str(v.model_id)
        tags["datarobot.model_execution_type"] = str(v.model_execution_type)
        target = _text(_dict(v.target).get("name"))
        if target:
            tags["datarobot.target"] = target
        if _text(src.get("project_id")):
            tags["datarobot.project_id"] = str(src["project_id"])
        inputs = [i for i in (
            self._dataset_input(_text(data.get("training_data_catalog_id")),
                                _text(data.get("training_data_catalog_version_id")),
                                _text(data.get("dataset_name")), "training"),
            self._dataset_input(_text(data.get("holdout_data_catalog_id")),
                                _text(data.get("holdout_data_catalog_version_id")),
                                _text(data.get("holdout_dataset_name")), "evaluation"),
        ) if i is not None]
        run_user = _text(desc.get("model_creator_email")) or _text(desc.get("model_creator_name")) or None
        run_id = f"datarobot:model/{v.model_id}"
        self.cat.runs.setdefault(run_id, Run(
            run_id=run_id, name=_text(desc.get("model_name")) or str(v.model_id),
            experiment_id=_text(src.get("project_id")),
            experiment_name=_text(src.get("project_name")) or "DataRobot projects",
            user=run_user, status="FINISHED", start_time=_when(desc.get("model_created_at")),
            source_name=_text(src.get("environment_url")), inputs=inputs, store=self.store))
        status = "archived" if v.is_archived else (_text(v.build_status) or "complete")
        return ModelVersion(
            model_name=model_name, version=str(v.registered_model_version), status=status,
            user_id=_text(imp.get("creator_username")) or None, run_user=run_user, run_id=run_id,
            source=_text(desc.get("location")) or f"datarobot:model-package/{vid}",
            storage_location=_text(desc.get("location")) or None,
            created_at=_when(imp.get("date_created")), updated_at=_when(v.updated_at),
            description=_text(desc.get("description")), tags=tags,
            datasets=[DatasetInput(i.dataset_id, i.name, i.digest, i.source, i.context, dict(i.tags)) for i in inputs],
            store=self.store)

    # --- deployments ----------------------------------------------------------------------
    def _deployment_node(self, dep_id: str, label: str, status: str, version_id: str,
                         extra: dict[str, Any]) -> None:
        group, version = self.version_of_package[version_id]
        target = f"datarobot:deployment/{dep_id}"
        dnid = deployment_node_id(group, target, "pushed")
        self.cat.lineage_nodes.append(LineageNodeRecord(
            dnid, DEPLOYMENT, f"{label} (DataRobot deployment)", {},
            {"subtype": "pushed", "system": SYSTEM, "endpoint": label, "deployment_id": dep_id,
             "deployment_status": status, "model_name": group, "version": version, "target": target,
             "store": self.store, **extra}))
        self.cat.lineage_edges.append(LineageEdgeRecord(version_node_id(group, version), dnid, E_DEPLOYED))

    def _deployments(self) -> None:
        for dep_id, d in sorted(self.export.deployments.items()):
            package = _text(_dict(d.model_package).get("id"))
            label = _text(d.label) or dep_id
            if package not in self.version_of_package:
                if package:
                    self.warn(f"deployment {label}: its model package {package} is not in the export")
                continue
            status = _text(d.status)
            if status in NOT_SERVING:
                group, version = self.version_of_package[package]
                self.warn(f"deployment {label} is {status}: not counted as a deployment of {group} v{version}")
                continue
            self._deployment_node(dep_id, label, status, package, {"importance": _text(d.importance)})
        for version_id, item in self.export.version_deployments:
            dep_id = str(item.id)
            if dep_id in self.export.deployments or version_id not in self.version_of_package:
                continue
            if not item.currently_deployed or item.is_challenger or _text(item.status) in NOT_SERVING:
                continue
            self._deployment_node(dep_id, _text(item.label) or dep_id, _text(item.status), version_id, {})

    # --- approval claims ------------------------------------------------------------------------
    def _claims(self) -> None:
        claimed: set[tuple[str, str]] = set()  # (deployment id, version id) with a change request
        for cr_id, cr in sorted(self.export.change_requests.items(), key=lambda kv: str(kv[1].created_at)):
            if _text(cr.entity_type).lower() != "deployment":
                continue
            dep = self.export.deployments.get(str(cr.entity_id))
            action = _text(cr.action)
            if action in APPROVE_ACTIONS:
                package = _text(_dict(getattr(dep, "model_package", None)).get("id")) if dep is not None else ""
            elif action in REPLACE_ACTIONS:
                change = _dict(cr.change)
                package = _text(change.get("modelPackageId") or change.get("model_package_id"))
            else:
                continue
            if package not in self.version_of_package:
                if dep is None:
                    self.warn(f"change request {cr_id}: deployment {cr.entity_id} is not in the export")
                continue
            claimed.add((str(cr.entity_id), package))
            group, version = self.version_of_package[package]
            mv = self.cat.find_version(group, version)
            assert mv is not None
            mv.external_approvals.extend(self._request_claims(cr_id, cr, dep))
        for dep_id, d in sorted(self.export.deployments.items()):
            package = _text(_dict(d.model_package).get("id"))
            status = _text(_dict(d.governance).get("approval_status"))
            if (not status or package not in self.version_of_package or (dep_id, package) in claimed
                    or _text(d.status) in NOT_SERVING):
                continue
            group, version = self.version_of_package[package]
            mv = self.cat.find_version(group, version)
            assert mv is not None
            mv.external_approvals.append(ExternalApproval(
                SYSTEM, status, status.lower() == APPROVED, None, None, "",
                f"deployment {_text(d.label) or dep_id} governance.approvalStatus (no change request exported)"))

    def _request_claims(self, cr_id: str, cr: Any, dep: Any) -> list[ExternalApproval]:
        where = f"change request {cr_id} ({cr.action}" + (f" on deployment {_text(dep.label)})" if dep is not None
                                                          else f" on deployment {cr.entity_id})")
        reviews = sorted(
            (r for r in self.export.reviews.get(cr_id, []) if str(r.change_version_id) == str(cr.change_version_id)),
            key=lambda r: str(r.created_at))
        claims = [
            ExternalApproval(SYSTEM, APPROVED, True, _text(r.user_name) or str(r.user_id), _when(r.created_at),
                             _text(r.comment), f"{where}, review {r.id}")
            for r in reviews if _text(r.status) == APPROVED
        ]
        need = max(int(cr.num_approvals_required or 1), 1)
        if len(claims) < need:
            others = [r for r in reviews if _text(r.status) != APPROVED]
            last = others[-1] if others else None
            status = _text(last.status) if last is not None else _text(cr.status)
            who = (_text(last.user_name) or str(last.user_id)) if last is not None else (
                _text(cr.user_name) or str(cr.user_id))
            when = _when(last.created_at) if last is not None else _when(cr.updated_at)
            note = _text(last.comment) if last is not None else _text(cr.comment)
            claims.append(ExternalApproval(
                SYSTEM, status or "pending", False, who, when, note,
                f"{where}: status {_text(cr.status)}, {len(claims)} of {need} required approving reviews"))
        return claims


__all__ = ["KINDS", "DataRobotSource", "catalog_tags", "classify_document", "client_classes", "recognise",
           "validate"]
