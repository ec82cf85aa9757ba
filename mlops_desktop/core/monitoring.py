"""Monitoring results and what they say about each model version (Qt-free, SQL-free).

A :class:`MonitoringResult` is one check a monitoring tool made at one time: a drift report
(per-feature drift scores against thresholds), a data-quality validation (named checks that
passed or failed) or a list of constraint violations. Sources produce them
(:mod:`mlops_desktop.sources.monitoring` reads Evidently snapshots, Great Expectations
results, SageMaker Model Monitor violations and OpenLineage data-quality facets; MLflow runs
tagged :data:`MONITORING_TAG` are read from the catalog's runs here) and put them in
``Catalog.monitoring``.

Linking (docs/MONITORING.md): a result names a model version (``model_name`` +
``version``), a dataset (``dataset``: a location, a name or ``name@digest``), or a
SageMaker endpoint; :func:`link_results` resolves those against a catalog. A result that
names nothing the catalog holds stays in the list, unlinked, with the reason.

:func:`version_monitoring` gives one version's status:

- ``drift``: its latest drift result within the window finds drift above threshold;
- ``data-quality``: the latest data-quality result of the version or of one of its
  training datasets within the window has failed checks;
- ``checked``: some result within the window, none of the above;
- ``not-monitored``: no result within the window (``max_age_days``).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.entities import Catalog, ModelVersion, RegisteredModel, Run, iso
from mlops_desktop.core.gc_pause import full_collections_paused
from mlops_desktop.core.lineage import dataset_node_id, version_node_id
from mlops_desktop.core.monitoring_results import (
    DATA_QUALITY,
    DRIFT,
    FeatureDrift,
    MonitoringResult,
    QualityCheck,
)
from mlops_desktop.core.progress import checkpoint
from mlops_desktop.core.timestamps import parse_timestamp

if TYPE_CHECKING:
    from mlops_desktop.core.findings.lineage_view import LineageView

# --- kinds, tools, statuses -------------------------------------------------------------
KINDS = (DRIFT, DATA_QUALITY)

EVIDENTLY = "evidently"
GREAT_EXPECTATIONS = "great_expectations"
MODEL_MONITOR = "sagemaker-model-monitor"
OPENLINEAGE = "openlineage"
MLFLOW = "mlflow"

STATUS_DRIFT = "drift"
STATUS_DATA_QUALITY = "data-quality"
STATUS_CHECKED = "checked"
STATUS_NOT_MONITORED = "not-monitored"
#: Human words for each status (the Models page column, the CLI table, reports).
STATUS_LABELS = {
    STATUS_DRIFT: "Drift above threshold",
    STATUS_DATA_QUALITY: "Data-quality failures",
    STATUS_CHECKED: "Checked",
    STATUS_NOT_MONITORED: "Not monitored",
}

# --- the MLflow monitoring-run convention (docs/MONITORING.md) --------------------------
#: Run tag that makes an MLflow run a monitoring run; value ``drift``, ``data-quality`` or ``true``.
MONITORING_TAG = "mlops_desktop.monitoring"
TAG_MODEL = "mlops_desktop.monitoring.model"
TAG_VERSION = "mlops_desktop.monitoring.version"
TAG_DATASET = "mlops_desktop.monitoring.dataset"
TAG_DRIFT_THRESHOLD = "mlops_desktop.monitoring.drift_threshold"
#: Metric prefixes of a monitoring run: ``drift.<feature>`` = drift score (drift when above the
#: threshold), ``check.<name>`` = 1 passed / 0 failed.
DRIFT_METRIC = "drift."
CHECK_METRIC = "check."
#: Threshold of MLflow drift scores when the run has no threshold tag.
DEFAULT_DRIFT_THRESHOLD = 0.1
#: Days within which a deployed version must have a monitoring result (FindingSettings overrides).
DEFAULT_MAX_AGE_DAYS = 30


def record_digest(record: Mapping[str, Any]) -> str:
    """``sha256:`` of a record's canonical JSON (sorted keys, no spaces)."""
    raw = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()


# --- MLflow monitoring runs ---------------------------------------------------------------
def is_monitoring_run(run: Run) -> bool:
    value = run.tags.get(MONITORING_TAG)
    return value is not None and value.strip().lower() not in ("", "false", "no", "0")


def mlflow_results(runs: Iterable[Run]) -> list[MonitoringResult]:
    """A result per MLflow run tagged :data:`MONITORING_TAG` (docs/MONITORING.md)."""
    out: list[MonitoringResult] = []
    for run in runs:
        if not is_monitoring_run(run) or run.deleted:
            continue
        threshold = DEFAULT_DRIFT_THRESHOLD
        raw = run.tags.get(TAG_DRIFT_THRESHOLD)
        if raw:
            try:
                threshold = float(raw)
            except ValueError:
                pass
        drift = tuple(FeatureDrift(k.removeprefix(DRIFT_METRIC), m.value, threshold, m.value > threshold, "mlflow metric")
                      for k, m in sorted(run.metrics.items()) if k.startswith(DRIFT_METRIC))
        checks = tuple(QualityCheck(k.removeprefix(CHECK_METRIC), m.value >= 1.0)
                       for k, m in sorted(run.metrics.items()) if k.startswith(CHECK_METRIC))
        declared = run.tags.get(MONITORING_TAG, "").strip().lower()
        kind = DATA_QUALITY if declared == DATA_QUALITY or (checks and not drift) else DRIFT
        record = {"run_id": run.run_id, "tags": dict(sorted(run.tags.items())),
                  "metrics": {k: m.value for k, m in sorted(run.metrics.items())}}
        out.append(MonitoringResult(
            id=f"mlflow:{run.run_id}", tool=MLFLOW, kind=kind, at=run.start_time or run.end_time,
            digest=record_digest(record), source=run.store, title=run.name,
            model_name=run.tags.get(TAG_MODEL) or None, version=run.tags.get(TAG_VERSION) or None,
            dataset=run.tags.get(TAG_DATASET) or None, drift=drift, checks=checks))
    return out


# --- linking ------------------------------------------------------------------------------
def _dataset_nid(ref: str) -> str:
    from mlops_desktop.core.lineage import dataset_node_id

    return dataset_node_id(ref)


def _endpoints(catalog: Catalog) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for rec in catalog.lineage_nodes:
        if rec.kind == "deployment" and rec.attrs.get("endpoint"):
            out[str(rec.attrs["endpoint"])].append((str(rec.attrs.get("model_name", "")),
                                                    str(rec.attrs.get("version", ""))))
    return out


def _dataset_aliases(catalog: Catalog) -> dict[str, str]:
    """Every way a result may name a dataset (node id, location, name, digest, name@digest) ->
    the dataset's node id."""
    from mlops_desktop.core.lineage import dataset_node_id

    out: dict[str, str] = {}
    for ds in catalog.datasets.values():
        nid = dataset_node_id(ds)
        for key in (nid, ds.id, ds.name, ds.digest, f"{ds.name}@{ds.digest}" if ds.digest else ""):
            if key:
                out.setdefault(key, nid)
    for v in catalog.all_versions():
        for inp in v.datasets:
            nid = dataset_node_id(inp)
            for key in (nid, inp.dataset_id, inp.name, inp.digest, f"{inp.name}@{inp.digest}" if inp.digest else ""):
                if key:
                    out.setdefault(key, nid)
    for rec in catalog.lineage_nodes:
        if rec.kind == "dataset":
            out.setdefault(rec.id, rec.id)
            out.setdefault(rec.id.removeprefix("dataset:"), rec.id)
    return out


def link_results(catalog: Catalog, results: Sequence[MonitoringResult] | None = None) -> list[MonitoringResult]:
    """``results`` (default: the catalog's own plus its MLflow monitoring runs) with their links
    resolved against ``catalog``; unlinked ones say why. Sorted by time, undated last."""
    if results is None:
        results = [*catalog.monitoring, *mlflow_results(catalog.runs.values())]
    versions = {(m.name, v.version) for m in catalog.models for v in m.visible_versions(True)}
    models = {m.name for m in catalog.models}
    endpoints = _endpoints(catalog) if any(r.endpoint for r in results) else {}
    aliases = _dataset_aliases(catalog) if any(r.dataset for r in results) else {}
    # results naming the same things link the same way: resolve each combination once
    resolved: dict[tuple[str | None, ...], tuple[str, tuple[tuple[str, str], ...], str | None]] = {}
    out: list[MonitoringResult] = []
    with gc_paused():
        for r in results:
            key = (r.model_name, r.version, r.endpoint, r.dataset)
            links = resolved.get(key)
            if links is None:
                links = resolved[key] = _resolve(r, versions, models, endpoints, aliases)
            out.append(r.with_links(*links))
        out.sort(key=_time_key)
    return out


def _resolve(r: MonitoringResult, versions: set[tuple[str, str]], models: set[str],
             endpoints: Mapping[str, list[tuple[str, str]]],
             aliases: Mapping[str, str]) -> tuple[str, tuple[tuple[str, str], ...], str | None]:
    """``(link, linked versions, linked dataset node id)`` of what ``r`` names."""
    linked: list[tuple[str, str]] = []
    notes: list[str] = []
    dataset_nid: str | None = None
    if r.model_name:
        if r.version and (r.model_name, r.version) in versions:
            linked.append((r.model_name, r.version))
            notes.append(f"model version {r.model_name}/{r.version}")
        elif r.version:
            notes.append(f"no version {r.version} of model {r.model_name} in the stores")
        elif r.model_name in models:
            notes.append(f"names model {r.model_name} but no version")
        else:
            notes.append(f"no model {r.model_name} in the stores")
    if r.endpoint:
        served = endpoints.get(r.endpoint, [])
        for mv in served:
            if mv not in linked:
                linked.append(mv)
        notes.append(f"endpoint {r.endpoint}" + ("" if served else " (no such deployment in the stores)"))
    if r.dataset:
        nid = aliases.get(r.dataset) or aliases.get(_dataset_nid(r.dataset))
        if nid is not None:
            dataset_nid = nid
            notes.append(f"dataset {nid.removeprefix('dataset:')}")
        else:
            notes.append(f"no dataset {r.dataset} in the stores")
    if not (r.model_name or r.endpoint or r.dataset):
        notes.append("names no model version, dataset or endpoint")
    link = ("linked to " if linked or dataset_nid else "unlinked: ") + "; ".join(notes)
    return link, tuple(linked), dataset_nid


#: acyclic records built by the thousand (monitoring results, their drift and checks): full
#: collections, triggered by the allocations alone, would rescan the whole catalog again and again
gc_paused = full_collections_paused


def _time_key(r: MonitoringResult) -> tuple[int, float, str]:
    return (0, r.at.timestamp(), r.id) if r.at else (1, 0.0, r.id)


# --- per-version status -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class VersionMonitoring:
    """What the monitoring results say about one version."""

    model_name: str
    version: str
    status: str
    deployed: bool
    results: tuple[MonitoringResult, ...]  # the version's own and its training datasets', by time
    last_checked: datetime | None
    max_age_days: int
    reasons: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def digests(self) -> list[str]:
        """The digests of the results current now: the latest of each (tool, kind, subject)."""
        return sorted({r.digest for r in current_results(self.results)})

    def drift_series(self) -> dict[str, list[tuple[datetime, float, float | None, bool]]]:
        """feature -> [(time, score, threshold, drifted)] over the drift results, by time."""
        out: dict[str, list[tuple[datetime, float, float | None, bool]]] = defaultdict(list)
        for r in self.results:
            if r.kind == DRIFT and r.at is not None:
                for d in r.drift:
                    out[d.feature].append((r.at, d.score, d.threshold, d.drifted))
        return dict(sorted(out.items()))

    def pass_rate_series(self) -> list[tuple[datetime, float, str]]:
        """[(time, pass rate, result id)] over the data-quality results with checks, by time."""
        return [(r.at, rate, r.id) for r in self.results
                if r.kind == DATA_QUALITY and r.at is not None and (rate := r.pass_rate) is not None]

    def as_json(self) -> dict[str, Any]:
        return {
            "model": self.model_name, "version": self.version, "status": self.status, "label": self.label,
            "deployed": self.deployed, "last_checked": iso(self.last_checked), "max_age_days": self.max_age_days,
            "reasons": list(self.reasons), "current_digests": self.digests,
            "drift": {f: [{"at": iso(t), "score": s, "threshold": th, "drifted": d} for t, s, th, d in pts]
                      for f, pts in self.drift_series().items()},
            "data_quality": [{"at": iso(t), "pass_rate": rate, "result": rid}
                             for t, rate, rid in self.pass_rate_series()],
            "results": [r.id for r in self.results],
        }


def current_results(results: Iterable[MonitoringResult]) -> list[MonitoringResult]:
    """The latest result of each (tool, kind, what it is about): those current now."""
    latest: dict[tuple[str, str, str], MonitoringResult] = {}
    for r in results:
        key = (r.tool, r.kind, "|".join(f"{m}/{v}" for m, v in r.linked_versions) + "|" + (r.linked_dataset or ""))
        old = latest.get(key)
        if old is None or _time_key(r) >= _time_key(old):
            latest[key] = r
    return sorted(latest.values(), key=_time_key)


@dataclass(slots=True)
class MonitoringIndex:
    """Linked results indexed by version and by dataset node id (built once per catalog)."""

    results: list[MonitoringResult]
    by_version: dict[tuple[str, str], list[MonitoringResult]] = field(default_factory=dict)
    by_dataset: dict[str, list[MonitoringResult]] = field(default_factory=dict)

    @classmethod
    def build(cls, catalog: Catalog, results: Sequence[MonitoringResult] | None = None) -> MonitoringIndex:
        linked = link_results(catalog, results)
        by_version: dict[tuple[str, str], list[MonitoringResult]] = defaultdict(list)
        by_dataset: dict[str, list[MonitoringResult]] = defaultdict(list)
        for r in linked:
            for mv in r.linked_versions:
                by_version[mv].append(r)
            if r.linked_dataset:
                by_dataset[r.linked_dataset].append(r)
        return cls(linked, dict(by_version), dict(by_dataset))

    @property
    def unlinked(self) -> list[MonitoringResult]:
        return [r for r in self.results if not r.linked]

    def dataset_ids_of(self, version: ModelVersion, lineage: LineageView | None = None,
                       model: RegisteredModel | None = None) -> list[str]:
        """Node ids of the datasets that train ``version`` (its inputs, and upstream in lineage)."""
        ids = [dataset_node_id(d) for d in version.datasets]
        if lineage is not None and model is not None and hasattr(lineage, "graph"):
            graph = lineage.graph
            node = version_node_id(model.name, version.version)
            if node in graph:
                for up in graph.upstream(node):
                    if graph.g.nodes[up].get("kind") == "dataset" and up not in ids:
                        ids.append(up)
        return ids

    def results_for(self, version: ModelVersion, lineage: LineageView | None = None,
                    model: RegisteredModel | None = None) -> list[MonitoringResult]:
        """The version's own results and its training datasets', by time."""
        own = list(self.by_version.get((version.model_name, version.version), []))
        seen = {r.id for r in own}
        for nid in self.dataset_ids_of(version, lineage, model):
            for r in self.by_dataset.get(nid, []):
                if r.id not in seen:
                    own.append(r)
                    seen.add(r.id)
        return sorted(own, key=_time_key)


def _as_datetime(day: date | datetime) -> datetime:
    if isinstance(day, datetime):
        return day.astimezone(UTC)
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)


def version_monitoring(
    index: MonitoringIndex,
    version: ModelVersion,
    *,
    deployed: bool,
    now: date | datetime,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    lineage: LineageView | None = None,
    model: RegisteredModel | None = None,
) -> VersionMonitoring:
    """One version's monitoring status at ``now`` (module docstring)."""
    results = index.results_for(version, lineage, model)
    end = _as_datetime(now)
    start = end - timedelta(days=max_age_days)
    dated = [r for r in results if r.at is not None and r.at <= end]
    recent = [r for r in dated if r.at is not None and r.at >= start]
    last = max((r.at for r in dated if r.at is not None), default=None)
    reasons: list[str] = []
    own = {(version.model_name, version.version)}
    latest_drift = next((r for r in reversed(recent) if r.kind == DRIFT and own & set(r.linked_versions)), None)
    quality = [r for r in current_results(r for r in recent if r.kind == DATA_QUALITY) if r.failed_checks]
    if not recent:
        status = STATUS_NOT_MONITORED
        reasons.append(f"no monitoring result within {max_age_days} days" +
                       (f" (last {iso(last)})" if last else " (none at all)"))
    elif latest_drift is not None and latest_drift.has_drift:
        status = STATUS_DRIFT
        reasons.append(f"{latest_drift.id} at {iso(latest_drift.at)}: {latest_drift.summary()}")
    elif quality:
        status = STATUS_DATA_QUALITY
        reasons.extend(f"{r.id} at {iso(r.at)}" + (f" on {r.linked_dataset.removeprefix('dataset:')}"
                                                    if r.linked_dataset else "") + f": {r.summary()}"
                       for r in quality)
    else:
        status = STATUS_CHECKED
        reasons.append(f"{len(recent)} result(s) within {max_age_days} days, last {iso(last)}")
    # the same few sentences for most versions: one string each (sys.intern), not one per version
    return VersionMonitoring(version.model_name, version.version, status, deployed, tuple(results), last,
                             max_age_days, tuple(map(sys.intern, reasons)))


def parse_time(value: Any) -> datetime | None:
    """A result's timestamp: ISO 8601 (no offset means UTC) or epoch seconds."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        return parse_timestamp(value, assume_utc=True)
    return None


__all__ = [
    "DATA_QUALITY", "DRIFT", "MONITORING_TAG", "STATUS_CHECKED", "STATUS_DATA_QUALITY", "STATUS_DRIFT",
    "STATUS_NOT_MONITORED", "FeatureDrift", "MonitoringIndex", "MonitoringResult", "QualityCheck",
    "EvidenceCheck", "VersionMonitoring", "check_evidence", "current_results", "link_results", "mlflow_results",
    "signed_monitoring", "version_monitoring",
]


# --- the whole picture: every version, the unlinked results --------------------------------
@dataclass(slots=True)
class MonitoringOverview:
    """Every (visible) version's monitoring, the linked results and the unlinked ones."""

    as_of: date
    max_age_days: int
    versions: list[VersionMonitoring]
    index: MonitoringIndex

    @property
    def unlinked(self) -> list[MonitoringResult]:
        return self.index.unlinked

    def version(self, model: str, version: str) -> VersionMonitoring | None:
        for vm in self.versions:
            if vm.model_name == model and vm.version == version:
                return vm
        return None

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "max_age_days": self.max_age_days,
            "versions": [vm.as_json() for vm in self.versions],
            "results": [r.as_json() for r in self.index.results],
            "unlinked": [r.as_json() for r in self.unlinked],
        }


def monitoring_overview(
    catalog: Catalog,
    *,
    as_of: date,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    models: Sequence[str] | None = None,
    production_stages: Sequence[str] | None = None,
    production_aliases: Sequence[str] | None = None,
    lineage: LineageView | None = None,
) -> MonitoringOverview:
    """Status of every visible version of ``models`` (default: all), deployed ones first."""
    from mlops_desktop.core.findings.context import deployment_targets
    from mlops_desktop.core.findings.lineage_view import default_lineage
    from mlops_desktop.core.findings.settings import FindingSettings

    settings = FindingSettings()
    if production_stages:
        settings = replace(settings, production_stages=tuple(production_stages))
    if production_aliases:
        settings = replace(settings, production_aliases=tuple(production_aliases))
    view = lineage if lineage is not None else default_lineage(catalog)
    index = MonitoringIndex.build(catalog)
    wanted = set(models or ())
    out: list[VersionMonitoring] = []
    for m in sorted(catalog.models, key=lambda m: m.name):
        if wanted and m.name not in wanted:
            continue
        for v in m.visible_versions():
            checkpoint()
            deployed = bool(deployment_targets(m, v, settings, view))
            out.append(version_monitoring(index, v, deployed=deployed, now=as_of, max_age_days=max_age_days,
                                          lineage=view, model=m))
    out.sort(key=lambda vm: (not vm.deployed, vm.model_name, _numeric(vm.version)))
    return MonitoringOverview(as_of, max_age_days, out, index)


def _numeric(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (-1, version)


def monitoring_evidence(catalog: Catalog, version: ModelVersion) -> list[dict[str, Any]]:
    """The monitoring results current for ``version`` (its own and its training datasets'), as an
    approval's evidence records them: id, tool, kind, time and digest. Empty when the catalog
    holds no monitoring result at all."""
    if not catalog.monitoring and not any(is_monitoring_run(r) for r in catalog.runs.values()):
        return []
    from mlops_desktop.core.findings.lineage_view import default_lineage

    model = catalog.model(version.model_name)
    index = MonitoringIndex.build(catalog)
    results = index.results_for(version, default_lineage(catalog) if model is not None else None, model)
    return [{"id": r.id, "tool": r.tool, "kind": r.kind, "at": iso(r.at), "digest": r.digest}
            for r in current_results(results)]


# --- an approval's monitoring evidence against the results current now ---------------------------
@dataclass(frozen=True, slots=True)
class EvidenceCheck:
    """An approval's signed monitoring evidence (``evidence.monitoring``: id, tool, kind, at,
    digest of each result current when it was signed) against the results current now."""

    signed: tuple[Mapping[str, Any], ...]
    #: results current now whose id was signed with another digest (the file changed since)
    changed: tuple[MonitoringResult, ...]
    #: results current now that were not signed (newer results, or of a kind not recorded then)
    newer: tuple[MonitoringResult, ...]

    @property
    def as_signed(self) -> bool:
        """True only when every result current now is one the approval was signed on, byte for byte."""
        return not (self.changed or self.newer)

    def summary(self) -> str:
        if not self.signed and self.as_signed:
            return "signed with no monitoring evidence; none recorded since"
        parts = []
        if self.changed:
            parts.append("changed since signing (another digest): " + ", ".join(r.id for r in self.changed))
        if self.newer:
            parts.append("newer than the signed evidence: " + "; ".join(
                f"{r.id} at {iso(r.at) or 'no time'} ({r.summary()})" for r in self.newer))
        if not parts:
            return f"as signed ({len(self.signed)} result(s), same digests)"
        head = "signed with no monitoring evidence" if not self.signed else \
            f"signed on {', '.join(str(e.get('id')) for e in self.signed)}"
        return head + "; " + "; ".join(parts)


def signed_monitoring(predicate: Any) -> list[dict[str, Any]] | None:
    """``evidence.monitoring`` of a decision's signed predicate (the results current when it was
    signed); None when it records none (signed before monitoring evidence was recorded, or on
    stores that held none)."""
    evidence = predicate.get("evidence") if isinstance(predicate, Mapping) else None
    monitoring = evidence.get("monitoring") if isinstance(evidence, Mapping) else None
    return [dict(e) for e in monitoring if isinstance(e, Mapping)] if isinstance(monitoring, list) else None


def check_evidence(signed: Sequence[Mapping[str, Any]] | None, current: Iterable[MonitoringResult]) -> EvidenceCheck:
    """Compare an approval's ``evidence.monitoring`` (None or absent: none was recorded) with the
    results current now (:func:`current_results` of the version's results)."""
    entries = tuple(e for e in (signed or ()) if isinstance(e, Mapping))
    digests = {str(e.get("digest")) for e in entries}
    ids = {str(e.get("id")) for e in entries}
    changed: list[MonitoringResult] = []
    newer: list[MonitoringResult] = []
    for r in current:
        if r.digest in digests:
            continue
        (changed if r.id in ids else newer).append(r)
    return EvidenceCheck(entries, tuple(changed), tuple(newer))
