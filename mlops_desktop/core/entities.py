"""Plain domain entities every source produces and every layer above consumes.

They carry no SQL and no Qt. Timestamps are timezone-aware UTC datetimes (or None);
versions are strings because not every store numbers them (MLMD does not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.classification import Classification, classify
from mlops_desktop.core.errors import StoreError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from mlops_desktop.core.monitoring_results import MonitoringResult


def from_millis(value: int | float | None) -> datetime | None:
    """MLflow stores epoch milliseconds; None and 0 mean "not recorded"."""
    if not value:
        return None
    return datetime.fromtimestamp(value / 1000.0, tz=UTC)


def iso(value: datetime | None) -> str | None:
    """RFC 3339 UTC with a ``Z`` suffix and second precision, as the CLI prints it."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """Identity of one opened store."""

    kind: str  # mlflow | mlmd | openlineage | snapshot
    url: str  # as given by the user, password removed
    schema: str  # alembic revision, MLMD schema_version, OpenLineage producer/spec version
    dialect: str = "sqlite"
    identity: str = ""  # stable identity (file content hash or server/database name)
    #: the registry identity (docs/CRYPTO.md, "Registry identity"): derived from the store's own
    #: content, the same for a byte copy or a restored dump; "" when not recorded (an old snapshot)
    registry_id: str = ""

    @property
    def registry(self) -> RegistryRef | None:
        """The registry this store is, or None when its identity is not recorded."""
        return RegistryRef(self.kind, self.registry_id) if self.registry_id else None


@dataclass(frozen=True, slots=True)
class RegistryRef:
    """Which metadata store (registry) a decision was made on: its kind and registry identity."""

    kind: str
    id: str

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}"

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "id": self.id}


@dataclass(frozen=True, slots=True)
class MetricValue:
    key: str
    value: float
    step: int
    timestamp: datetime | None


@dataclass(slots=True)
class Dataset:
    """A dataset as the store knows it (MLflow ``datasets`` row, MLMD artifact, OL dataset)."""

    id: str
    name: str
    digest: str
    source: str  # URI where the data lives, when known
    source_type: str = ""
    schema: Any = None  # parsed JSON (MLflow colspec, OL schema facet), or None
    profile: Any = None
    tags: dict[str, str] = field(default_factory=dict)
    store: str = ""

    @property
    def columns(self) -> list[str]:
        """Column names from an MLflow colspec or an OpenLineage schema facet."""
        schema = self.schema
        if isinstance(schema, dict):
            spec = schema.get("mlflow_colspec") or schema.get("fields") or []
            return [str(c.get("name")) for c in spec if isinstance(c, dict) and c.get("name")]
        return []


@dataclass(slots=True)
class DatasetInput:
    """One dataset logged as an input of a run, with the input's own tags."""

    dataset_id: str
    name: str
    digest: str
    source: str
    context: str | None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Run:
    run_id: str
    name: str = ""
    experiment_id: str = ""
    experiment_name: str = ""
    user: str | None = None
    status: str = ""
    start_time: datetime | None = None
    end_time: datetime | None = None
    lifecycle_stage: str = "active"
    source_name: str = ""
    code_version: str | None = None
    artifact_uri: str = ""
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, MetricValue] = field(default_factory=dict)  # latest value per key
    tags: dict[str, str] = field(default_factory=dict)
    parent_run_id: str | None = None
    inputs: list[DatasetInput] = field(default_factory=list)
    output_model_ids: list[str] = field(default_factory=list)
    store: str = ""
    #: params and latest metrics were not read (a catalog that keeps only what its analyses
    #: need, see :meth:`Catalog.full_run`): ``params`` and ``metrics`` are empty, not "none recorded"
    lean: bool = False

    @property
    def deleted(self) -> bool:
        return self.lifecycle_stage == "deleted"


@dataclass(slots=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str = ""
    lifecycle_stage: str = "active"
    store: str = ""


@dataclass(slots=True)
class LoggedModel:
    """MLflow 3 logged model (``models:/m-...``)."""

    model_id: str
    name: str
    artifact_location: str
    source_run_id: str | None
    experiment_id: str = ""
    created_at: datetime | None = None
    lifecycle_stage: str = "active"
    store: str = ""


@dataclass(frozen=True, slots=True)
class ExternalApproval:
    """An approval state another registry claims for a version (SageMaker's
    ``ModelApprovalStatus``, a DataRobot change-request review). Nobody signed it: it is
    shown and reported as a claim, next to this app's signed decisions."""

    system: str  # sagemaker | datarobot
    status: str  # the system's own word: Approved, Rejected, PendingManualApproval, APPROVED...
    approved: bool = False
    principal: str | None = None  # who set the status, when the evidence says
    at: datetime | None = None
    note: str = ""  # approval description or review comment
    evidence: str = ""  # where the claim comes from (API field, CloudTrail event, review id)
    at_creation: bool = False  # the status was set when the version was created

    @property
    def system_label(self) -> str:
        return {"sagemaker": "SageMaker", "datarobot": "DataRobot"}.get(self.system, self.system)

    def statement(self) -> str:
        """``approved in SageMaker by <principal> at <time>, not signed`` (``rejected ...``;
        other states: ``pending manual approval in SageMaker (set by ... at ...), not signed``)."""
        word = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", self.status).replace("_", " ").lower()
        who = f"by {self.principal}" if self.principal else "by an unrecorded principal"
        when = f" at {iso(self.at)}" if self.at else ""
        if self.approved or word in ("approved", "rejected"):
            return f"{'approved' if self.approved else word} in {self.system_label} {who}{when}, not signed"
        return f"{word} in {self.system_label} (set {who}{when}), not signed"


@dataclass(slots=True)
class ModelVersion:
    model_name: str
    version: str
    stage: str | None = None  # None where MLflow says "None"
    aliases: list[str] = field(default_factory=list)
    status: str = "READY"
    user_id: str | None = None
    run_user: str | None = None
    run_id: str | None = None
    source: str = ""
    storage_location: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    datasets: list[DatasetInput] = field(default_factory=list)
    deleted: bool = False
    store: str = ""
    external_approvals: list[ExternalApproval] = field(default_factory=list)

    @property
    def author(self) -> str | None:
        """The version's ``user_id``, else the user of its run (DESIGN.md)."""
        return self.user_id or self.run_user

    @property
    def logged_model_id(self) -> str | None:
        if self.source.startswith("models:/m-"):
            return self.source.removeprefix("models:/").split("/", 1)[0]
        return None

    @property
    def uri(self) -> str:
        return f"models:/{self.model_name}/{self.version}"

    def classification(self, model_tags: dict[str, str] | None = None) -> Classification:
        tag_sets = [d.tags for d in self.datasets] + [self.tags, model_tags or {}]
        return classify(tag_sets)


@dataclass(slots=True)
class RegisteredModel:
    name: str
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> version
    created_at: datetime | None = None
    updated_at: datetime | None = None
    versions: list[ModelVersion] = field(default_factory=list)
    store: str = ""

    def visible_versions(self, include_deleted: bool = False) -> list[ModelVersion]:
        return [v for v in self.versions if include_deleted or not v.deleted]

    def latest_version(self) -> ModelVersion | None:
        visible = self.visible_versions()
        return max(visible, key=_version_key) if visible else None

    def version(self, version: str) -> ModelVersion | None:
        for v in self.versions:
            if v.version == str(version):
                return v
        return None


def _version_key(v: ModelVersion) -> tuple[int, str]:
    return (int(v.version), "") if v.version.isdigit() else (-1, v.version)


@dataclass(frozen=True, slots=True)
class LineageNodeRecord:
    """A lineage node a source contributes beyond models/runs/datasets (jobs, executions...)."""

    id: str
    kind: str  # dataset | run | model | model_version | deployment | job
    label: str
    tags: dict[str, str] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LineageEdgeRecord:
    source: str
    target: str
    kind: str


@dataclass(slots=True)
class Catalog:
    """Everything read from one or more stores, merged."""

    stores: list[StoreInfo] = field(default_factory=list)
    models: list[RegisteredModel] = field(default_factory=list)
    runs: dict[str, Run] = field(default_factory=dict)
    experiments: dict[str, Experiment] = field(default_factory=dict)
    datasets: dict[str, Dataset] = field(default_factory=dict)
    logged_models: dict[str, LoggedModel] = field(default_factory=dict)
    lineage_nodes: list[LineageNodeRecord] = field(default_factory=list)
    lineage_edges: list[LineageEdgeRecord] = field(default_factory=list)
    #: monitoring results (``monitoring:`` folders, OpenLineage data-quality facets); see core.monitoring_results
    monitoring: list[MonitoringResult] = field(default_factory=list)
    #: store URL -> reads runs whole (params, latest metrics, tags, inputs) by id, for the stores
    #: whose runs are held :attr:`Run.lean`; see :meth:`full_run` and :meth:`whole_runs`
    run_readers: dict[str, Callable[[Sequence[str]], dict[str, Run]]] = field(default_factory=dict)

    def full_run(self, run_id: str | None) -> Run | None:
        """The run with its params and latest metrics: the catalog's own, or read from its store
        when the catalog holds it lean. None when the catalog has no such run; a
        :class:`~mlops_desktop.core.errors.StoreError` when the store can no longer give it."""
        run = self.runs.get(run_id or "")
        if run is None or not run.lean:
            return run
        return self._read_whole(run.store, [run.run_id])[run.run_id]

    def whole_runs(self, run_ids: Iterable[str | None] | None = None) -> dict[str, Run]:
        """:attr:`runs` (or those of ``run_ids`` the catalog has) with every lean one read whole
        from its store, a few hundred to a query, in the catalog's order."""
        wanted = self.runs if run_ids is None else {rid: self.runs[rid] for rid in run_ids
                                                    if rid and rid in self.runs}
        lean: dict[str, list[str]] = {}
        for run in wanted.values():
            if run.lean:
                lean.setdefault(run.store, []).append(run.run_id)
        if not lean:
            return wanted
        read: dict[str, Run] = {}
        for store, ids in lean.items():
            read.update(self._read_whole(store, ids))
        return {rid: read.get(rid, run) for rid, run in wanted.items()}

    def _read_whole(self, store: str, run_ids: Sequence[str]) -> dict[str, Run]:
        reader = self.run_readers.get(store)
        read = reader(run_ids) if reader is not None else {}
        missing = [rid for rid in run_ids if rid not in read]
        if missing:
            more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
            raise StoreError(f"The details of run {missing[0]}{more} cannot be read from {store}.",
                             "Reload the store (F5): the run may have been deleted since it was read.")
        return read

    def model(self, name: str) -> RegisteredModel | None:
        for m in self.models:
            if m.name == name:
                return m
        return None

    def find_version(self, name: str, version: str) -> ModelVersion | None:
        model = self.model(name)
        return model.version(str(version)) if model else None

    def store_of(self, version: ModelVersion) -> StoreInfo | None:
        """The store a version was read from (its ``store`` URL among :attr:`stores`)."""
        for s in self.stores:
            if s.url == version.store:
                return s
        return None

    def registry_of(self, version: ModelVersion) -> RegistryRef | None:
        """The registry a version belongs to; None when its store records no registry identity."""
        store = self.store_of(version)
        return store.registry if store is not None else None

    def registries(self) -> list[RegistryRef]:
        """The registries of the stores, in store order, each once."""
        out: list[RegistryRef] = []
        for s in self.stores:
            ref = s.registry
            if ref is not None and ref not in out:
                out.append(ref)
        return out

    def find_version_in(self, name: str, version: str, registry: RegistryRef) -> ModelVersion | None:
        """The version ``name``/``version`` read from a store of ``registry`` (a merged catalog may
        hold the same name in several registries)."""
        for m in self.models:
            if m.name != name:
                continue
            for v in m.versions:
                if v.version == str(version) and self.registry_of(v) == registry:
                    return v
        return None

    def all_versions(self, include_deleted: bool = False) -> list[ModelVersion]:
        return [v for m in self.models for v in m.visible_versions(include_deleted)]

    def merge(self, other: Catalog) -> Catalog:
        """A new catalog with ``other``'s records added (later stores win on id clashes)."""
        return Catalog(
            stores=[*self.stores, *other.stores],
            models=[*self.models, *other.models],
            runs={**self.runs, **other.runs},
            experiments={**self.experiments, **other.experiments},
            datasets={**self.datasets, **other.datasets},
            logged_models={**self.logged_models, **other.logged_models},
            lineage_nodes=[*self.lineage_nodes, *other.lineage_nodes],
            lineage_edges=[*self.lineage_edges, *other.lineage_edges],
            monitoring=[*self.monitoring, *other.monitoring],
            run_readers={**self.run_readers, **other.run_readers},
        )
