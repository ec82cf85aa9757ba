"""A folder of monitoring results as a source (``monitoring:PATH``), each file recognised by content.

Formats (docs/MONITORING.md has the linking conventions):

- **Evidently snapshots** as evidently 0.7 writes them (``Snapshot.dumps()``, what a workspace
  stores and ``Snapshot.load`` reads): top-level ``metric_results``, ``top_level_metrics``,
  ``timestamp``, ``metadata``, ``tags``. Each ``ValueDrift`` metric result gives one feature's
  drift score, method and threshold; p-value methods drift below the threshold, distance
  methods at or above it (evidently's own rule). Linked by ``metadata`` ``model_name`` +
  ``model_version`` and ``dataset``, or tags ``model:NAME/VERSION`` and ``dataset:REF``.
- **Great Expectations 1.x** ``ExpectationSuiteValidationResult`` JSON (``to_json_dict()``):
  ``success``, ``results``, ``suite_name``, ``statistics``, ``meta``. Each expectation result is a
  check. Linked by ``meta.active_batch_definition.data_asset_name`` (the dataset) and, when a
  pipeline adds them, ``meta`` ``model_name`` / ``model_version`` / ``dataset``. Time:
  ``meta.validation_time``, else ``meta.run_id.run_time``.
- **SageMaker Model Monitor** ``constraint_violations.json`` (``{"violations": [...]}``): each
  ``baseline_drift_check`` is a drifted feature (distance and threshold from its description),
  every other violation a failed check. The monitoring schedule writes it under
  ``<endpoint>/<schedule>/YYYY/MM/DD/HH/``: the endpoint links it to the version that endpoint
  serves, the path gives the time.
- **OpenLineage** run events (``.json`` object or ``.ndjson`` lines) whose input datasets carry
  ``dataQualityAssertions`` / ``dataQualityMetrics`` facets; linked by the dataset identity
  (namespace + name). The ``openlineage:`` source reads the same facets from its events.

A file that is none of these, malformed JSON, or a recognised format with a broken shape is
listed in :attr:`MonitoringSource.rejected` with its reason; the rest loads. The catalog this
source gives holds no models: only ``Catalog.monitoring`` (merge it with the stores the results
are about).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from mlops_desktop.core.entities import Catalog, MetricValue, StoreInfo
from mlops_desktop.core.errors import StoreError
from mlops_desktop.core.monitoring import (
    DATA_QUALITY,
    DRIFT,
    EVIDENTLY,
    GREAT_EXPECTATIONS,
    MODEL_MONITOR,
    OPENLINEAGE,
    FeatureDrift,
    MonitoringResult,
    QualityCheck,
    gc_paused,
    parse_time,
    record_digest,
)
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)
from mlops_desktop.sources.base import DEFAULT_SETTINGS, Source, SourceSettings, StoreUrl
from mlops_desktop.sources.documents import (
    MAX_DOCUMENT_BYTES,
    Document,
    DocumentError,
    RejectedFile,
    iter_documents,
    parse_json,
)

logger = logging.getLogger(__name__)

SYSTEM = "monitoring"
#: The Evidently release whose snapshot format this reader follows (pinned in the test extra).
EVIDENTLY_FORMAT = "evidently 0.7.23"
_EVIDENTLY_RESULT = "evidently:metric_result_v2:"
_VALUE_DRIFT = "evidently:metric_v2:ValueDrift"
_EVIDENTLY_KEYS = frozenset({"metric_results", "top_level_metrics", "timestamp", "metadata", "tags"})
_GX_KEYS = frozenset({"success", "results", "suite_name", "statistics", "meta"})
_DRIFT_DESCRIPTION = re.compile(r"distance:?\s*([-+0-9.eE]+).*?threshold:?\s*([-+0-9.eE]+)", re.IGNORECASE)
_DATE_PATH = re.compile(r"^\d{4}$")


# --- parsing only what the readers read ---------------------------------------------------------
_MEMBERS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_OBJECT_MEMBERS = msgspec.json.Decoder(dict[str, dict[str, msgspec.Raw]])
_VALUE = msgspec.json.Decoder()
#: Members of an Evidently metric result that :func:`evidently_results` reads; the rest (the
#: rendering ``widget`` above all, most of a snapshot's bytes) is skipped unparsed.
_EVIDENTLY_RESULT_READ = ("type", "metric_value_location", "value")
#: Top-level members of a snapshot left unparsed (the dashboard's widgets) or parsed on their own.
_EVIDENTLY_UNREAD = frozenset({"widgets", "tests_widgets", "metric_results"})


def parse_lean(raw: bytes) -> Any:
    """The JSON of one result file with only what the readers read decoded, or None when the
    fast decoder does not take it whole (not UTF-8, a byte-order mark, gzip, ``NaN``, out-of-range
    numbers, malformed JSON, an Evidently snapshot of another shape): then
    :func:`~mlops_desktop.sources.documents.parse_json` reads it and says what is wrong.

    An Evidently snapshot keeps its top-level members, but ``widgets`` and ``tests_widgets`` stay
    unparsed (:class:`msgspec.Raw`) and each metric result holds only ``type``,
    ``metric_value_location`` and ``value``. Anything else is decoded whole. The values read are
    those :mod:`json` gives for the same text."""
    if len(raw) > MAX_DOCUMENT_BYTES:
        return None
    try:
        if b'"metric_results"' not in raw:
            return _VALUE.decode(raw)
        top = _MEMBERS.decode(raw)
        doc: dict[str, Any] = {k: (v if k in _EVIDENTLY_UNREAD else _VALUE.decode(v)) for k, v in top.items()}
        results = _OBJECT_MEMBERS.decode(top["metric_results"])
        doc["metric_results"] = {mid: {k: _VALUE.decode(r[k]) for k in _EVIDENTLY_RESULT_READ if k in r}
                                 for mid, r in results.items()}
        return doc
    except (msgspec.DecodeError, KeyError):  # ValidationError included: the full parse says why
        return None


# --- reading straight into the members read (msgspec structs) ----------------------------------
# The common case, a well-formed Evidently snapshot or Great Expectations result, is decoded
# into structs holding only what the readers read; everything else is skipped unparsed. A file
# these do not take (another shape, a type the readers would judge) goes the general way,
# parse_lean/parse_json and the dict readers, which give the same results and every reason.
class _EvParams(msgspec.Struct, gc=False):
    type: Any = None
    column: Any = None
    method: Any = None
    threshold: Any = None


class _EvMetric(msgspec.Struct, gc=False):
    params: _EvParams | None = None


class _EvLocation(msgspec.Struct, gc=False):
    metric: _EvMetric | None = None


class _EvResult(msgspec.Struct, gc=False):
    type: Any = None
    metric_value_location: _EvLocation | None = None
    value: Any = None


class _EvSnapshot(msgspec.Struct, gc=False):
    metric_results: dict[str, _EvResult]
    top_level_metrics: list[msgspec.Raw]
    timestamp: Any
    metadata: dict[str, Any]
    tags: list[Any]
    name: Any = None


class _GxConfig(msgspec.Struct, gc=False):
    type: Any = None
    kwargs: dict[str, Any] | None = None


class _GxOutcome(msgspec.Struct, gc=False):
    unexpected_count: Any = None
    element_count: Any = msgspec.UNSET


class _GxException(msgspec.Struct, gc=False):
    raised_exception: Any = None
    exception_message: Any = None


class _GxItem(msgspec.Struct, gc=False):
    success: Any = None
    expectation_config: _GxConfig | None = None
    result: _GxOutcome | None = None
    exception_info: _GxException | None = None


class _GxRunId(msgspec.Struct, gc=False):
    run_time: Any = None


class _GxBatch(msgspec.Struct, gc=False):
    data_asset_name: Any = None


class _GxMeta(msgspec.Struct, gc=False):
    validation_time: Any = None
    run_id: _GxRunId | None = None
    active_batch_definition: _GxBatch | None = None
    model_name: Any = None
    model_version: Any = None
    dataset: Any = None


class _GxValidation(msgspec.Struct, gc=False):
    success: Any
    results: list[_GxItem]
    suite_name: Any
    statistics: msgspec.Raw
    meta: _GxMeta
    # present together, they make the document an Evidently snapshot (classify): read the general way
    metric_results: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    top_level_metrics: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET


_SNAPSHOT = msgspec.json.Decoder(_EvSnapshot)
_VALIDATION = msgspec.json.Decoder(_GxValidation)


def _fast_evidently(name: str, doc: _EvSnapshot, digest: str, store: str) -> list[MonitoringResult]:
    at = parse_time(doc.timestamp)
    if at is None:
        raise DocumentError("timestamp")
    drift: list[FeatureDrift] = []
    for result in doc.metric_results.values():
        if not _text(result.type).startswith(_EVIDENTLY_RESULT):
            raise DocumentError("metric result")
        loc = result.metric_value_location
        params = loc.metric.params if loc is not None and loc.metric is not None else None
        if params is None or params.type != _VALUE_DRIFT:
            continue
        column, method = _text(params.column), _text(params.method)
        score, threshold = _number(result.value), _number(params.threshold)
        if not column or score is None:
            raise DocumentError("ValueDrift")
        drift.append(FeatureDrift(column, score, threshold, _drifted(score, threshold, method), method))
    if not drift:
        raise DocumentError("no ValueDrift")
    return [_evidently_result(name, doc.metadata, doc.tags, doc.name, at, drift, digest, store)]


def _fast_gx(name: str, doc: _GxValidation, digest: str, store: str) -> list[MonitoringResult]:
    if not isinstance(doc.success, bool) or (
            doc.metric_results is not msgspec.UNSET and doc.top_level_metrics is not msgspec.UNSET):
        raise DocumentError("success")
    checks: list[QualityCheck] = []
    for item in doc.results:
        config = item.expectation_config
        kwargs = config.kwargs if config is not None else None
        label, success, column = _gx_check(item.success, config.type if config is not None else None,
                                           kwargs.get("column") if kwargs is not None else None)
        detail = ""
        if not success:
            res, info = item.result or _GxOutcome(), item.exception_info or _GxException()
            detail = _gx_detail(res.unexpected_count, "?" if res.element_count is msgspec.UNSET else res.element_count,
                                info.raised_exception, info.exception_message)
        checks.append(QualityCheck(label, success, column, detail))
    meta = doc.meta
    return [_gx_result(name, doc.suite_name, meta.validation_time, meta.run_id.run_time if meta.run_id else None,
                       meta.active_batch_definition.data_asset_name if meta.active_batch_definition else None,
                       meta.model_name, meta.model_version, meta.dataset, checks, digest, store)]


def read_fast(name: str, raw: bytes, digest: str, store: str) -> tuple[str, list[MonitoringResult]] | None:
    """``(format, results)`` of a well-formed Evidently snapshot or Great Expectations result read
    straight into the members used, or None: then the file is read the general way (the same
    results, or the reason it is rejected)."""
    if len(raw) > MAX_DOCUMENT_BYTES:
        return None
    try:
        if b'"metric_results"' in raw:
            return EVIDENTLY, _fast_evidently(name, _SNAPSHOT.decode(raw), digest, store)
        if b'"suite_name"' in raw:
            return GREAT_EXPECTATIONS, _fast_gx(name, _VALIDATION.decode(raw), digest, store)
    except (msgspec.DecodeError, DocumentError):
        return None
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(float(value)) else None


def classify(doc: Any) -> str:
    """The format of a parsed document: ``evidently``, ``great_expectations``,
    ``sagemaker-model-monitor`` or ``openlineage``. Raises DocumentError for anything else."""
    if isinstance(doc, list):
        raise DocumentError("a JSON list, not a monitoring result")
    if not isinstance(doc, dict):
        raise DocumentError("not a JSON object, so not a monitoring result")
    keys = set(doc)
    if {"metric_results", "top_level_metrics"} <= keys:
        return EVIDENTLY
    if {"results", "statistics", "suite_name"} <= keys:
        return GREAT_EXPECTATIONS
    if "violations" in keys and len(keys - {"violations"}) <= 1:
        return MODEL_MONITOR
    if {"eventTime", "run", "job"} <= keys or {"eventType", "run", "job"} <= keys:
        return OPENLINEAGE
    shown = ", ".join(sorted(keys)[:6]) or "none"
    raise DocumentError(
        "not an Evidently snapshot, Great Expectations validation result, SageMaker Model Monitor "
        f"constraint_violations.json or OpenLineage event (top-level members: {shown})")


# --- Evidently --------------------------------------------------------------------------------
def _tag_links(tags: list[Any]) -> tuple[str | None, str | None, str | None]:
    model = version = dataset = None
    for tag in tags:
        text = _text(tag)
        if text.startswith("model:") and "/" in text:
            model, _, version = text.removeprefix("model:").rpartition("/")
        elif text.startswith("dataset:"):
            dataset = text.removeprefix("dataset:")
    return model or None, version or None, dataset or None


def _p_value_method(method: str) -> bool:
    return "p_value" in method.lower() or "p-value" in method.lower()


def _drifted(score: float, threshold: float | None, method: str) -> bool:
    """Evidently's verdict: p-value methods drift below the threshold, distances at or above it."""
    if threshold is None:
        return False
    return score < threshold if _p_value_method(method) else score >= threshold


def _evidently_result(name: str, meta: dict[str, Any], tags: list[Any], doc_name: Any, at: datetime,
                      drift: list[FeatureDrift], digest: str, store: str) -> MonitoringResult:
    t_model, t_version, t_dataset = _tag_links(tags)
    model = _text(meta.get("model_name")) or t_model
    version = str(meta["model_version"]) if meta.get("model_version") not in (None, "") else t_version
    dataset = _text(meta.get("dataset")) or t_dataset
    return MonitoringResult(
        id=name, tool=EVIDENTLY, kind=DRIFT, at=at, digest=digest, source=store,
        title=_text(doc_name) or "Evidently data drift", model_name=model or None,
        version=version or None, dataset=dataset or None,
        drift=tuple(sorted(drift, key=lambda d: d.feature)))


def evidently_results(name: str, doc: dict[str, Any], digest: str, store: str) -> list[MonitoringResult]:
    """The drift result of one Evidently snapshot; raises DocumentError when its shape is broken."""
    missing = sorted(_EVIDENTLY_KEYS - set(doc))
    if missing:
        raise DocumentError(f"Evidently snapshot ({EVIDENTLY_FORMAT} format) without {', '.join(missing)}")
    metrics = doc["metric_results"]
    if not isinstance(metrics, dict):
        raise DocumentError("Evidently snapshot: metric_results is not an object")
    if not isinstance(doc["top_level_metrics"], list):
        raise DocumentError("Evidently snapshot: top_level_metrics is not a list")
    if not isinstance(doc["metadata"], dict) or not isinstance(doc["tags"], list):
        raise DocumentError("Evidently snapshot: metadata must be an object and tags a list")
    at = parse_time(doc["timestamp"])
    if at is None:
        raise DocumentError(f"Evidently snapshot: timestamp {doc['timestamp']!r} is not an ISO 8601 time")
    drift: list[FeatureDrift] = []
    for mid, result in metrics.items():
        if not isinstance(result, dict) or not _text(result.get("type")).startswith(_EVIDENTLY_RESULT):
            raise DocumentError(f"Evidently snapshot: metric_results[{mid!r}] is not an evidently metric result")
        params = _dict(_dict(_dict(result.get("metric_value_location")).get("metric")).get("params"))
        if params.get("type") != _VALUE_DRIFT:
            continue
        column, method = _text(params.get("column")), _text(params.get("method"))
        score, threshold = _number(result.get("value")), _number(params.get("threshold"))
        if not column or score is None:
            raise DocumentError(f"Evidently snapshot: ValueDrift result {mid} has no column or numeric value")
        drift.append(FeatureDrift(column, score, threshold, _drifted(score, threshold, method), method))
    if not drift:
        raise DocumentError("Evidently snapshot without ValueDrift results (no per-feature drift to read)")
    return [_evidently_result(name, doc["metadata"], doc["tags"], doc.get("name"), at, drift, digest, store)]


# --- Great Expectations -----------------------------------------------------------------------
def gx_results(name: str, doc: dict[str, Any], digest: str, store: str) -> list[MonitoringResult]:
    missing = sorted(_GX_KEYS - set(doc))
    if missing:
        raise DocumentError(f"Great Expectations validation result without {', '.join(missing)}")
    if not isinstance(doc["results"], list) or not isinstance(doc["meta"], dict):
        raise DocumentError("Great Expectations validation result: results must be a list and meta an object")
    if not isinstance(doc["success"], bool):
        raise DocumentError("Great Expectations validation result: success is not true or false")
    checks: list[QualityCheck] = []
    for i, item in enumerate(doc["results"]):
        config = item.get("expectation_config") if isinstance(item, dict) else None
        kind = config.get("type") if isinstance(config, dict) else None
        success = item.get("success") if isinstance(item, dict) else None
        if not isinstance(success, bool) or not isinstance(kind, str) or not kind:
            raise DocumentError(f"Great Expectations validation result: results[{i}] has no success flag "
                                "or expectation type")
        kwargs = config.get("kwargs")  # type: ignore[union-attr]
        label, success, column = _gx_check(success, kind, kwargs.get("column") if isinstance(kwargs, dict) else None)
        detail = ""
        if not success:
            res, info = _dict(item.get("result")), _dict(item.get("exception_info"))
            detail = _gx_detail(res.get("unexpected_count"), res.get("element_count", "?"),
                                info.get("raised_exception"), info.get("exception_message"))
        checks.append(QualityCheck(label, success, column, detail))
    meta = doc["meta"]
    run_id, batch = _dict(meta.get("run_id")), _dict(meta.get("active_batch_definition"))
    return [_gx_result(name, doc["suite_name"], meta.get("validation_time"), run_id.get("run_time"),
                       batch.get("data_asset_name"), meta.get("model_name"), meta.get("model_version"),
                       meta.get("dataset"), checks, digest, store)]


def _gx_check(success: Any, kind: Any, column: Any) -> tuple[str, bool, str | None]:
    """(name, success, column) of one expectation result; raises DocumentError when it has no
    success flag or expectation type."""
    if not isinstance(success, bool) or not isinstance(kind, str) or not kind:
        raise DocumentError("no success flag or expectation type")
    column = column if isinstance(column, str) and column else None
    return (f"{kind}({column})" if column else kind), success, column


def _gx_detail(unexpected: Any, element_count: Any, raised: Any, message: Any) -> str:
    detail = ""
    if isinstance(unexpected, int) and unexpected:
        detail = f"{unexpected} unexpected of {element_count}"
    if raised:
        detail = "raised: " + _text(message)
    return detail


def _gx_result(name: str, suite: Any, validation_time: Any, run_time: Any, asset: Any, model: Any, version: Any,
               dataset: Any, checks: list[QualityCheck], digest: str, store: str) -> MonitoringResult:
    at = parse_time(validation_time) or parse_time(run_time)
    return MonitoringResult(
        id=name, tool=GREAT_EXPECTATIONS, kind=DATA_QUALITY, at=at, digest=digest, source=store,
        title=f"Great Expectations suite {suite}", model_name=_text(model) or None,
        version=str(version) if version not in (None, "") else None,
        dataset=_text(dataset) or _text(asset) or None, checks=tuple(checks))


# --- SageMaker Model Monitor ------------------------------------------------------------------
def _schedule_path(name: str) -> tuple[str | None, datetime | None]:
    """``(endpoint, time)`` from ``.../<endpoint>/<schedule>/YYYY/MM/DD/HH/constraint_violations.json``."""
    parts = name.split("/")[:-1]
    for i in range(len(parts) - 3):
        if _DATE_PATH.match(parts[i]) and all(p.isdigit() for p in parts[i + 1:i + 4]):
            try:
                at = datetime(int(parts[i]), int(parts[i + 1]), int(parts[i + 2]), int(parts[i + 3]), tzinfo=UTC)
            except ValueError:
                return None, None
            return (parts[i - 2] if i >= 2 else None), at
    return (parts[0] if parts else None), None


def model_monitor_results(name: str, doc: dict[str, Any], digest: str, store: str) -> list[MonitoringResult]:
    violations = doc["violations"]
    if not isinstance(violations, list):
        raise DocumentError("constraint_violations.json: violations is not a list")
    drift: list[FeatureDrift] = []
    checks: list[QualityCheck] = []
    for i, v in enumerate(violations):
        check = _text(_dict(v).get("constraint_check_type"))
        if not check:
            raise DocumentError(f"constraint_violations.json: violations[{i}] has no constraint_check_type")
        feature = _text(v.get("feature_name")) or _text(v.get("metric_name")) or "?"
        description = _text(v.get("description"))
        if check == "baseline_drift_check":
            m = _DRIFT_DESCRIPTION.search(description)
            score = float(m.group(1)) if m else math.nan
            threshold = float(m.group(2)) if m else None
            drift.append(FeatureDrift(feature, score, threshold, True, "SageMaker baseline_drift_check"))
        else:
            checks.append(QualityCheck(f"{check}({feature})", False, feature, description))
    endpoint, at = _schedule_path(name)
    out = []
    common = {"tool": MODEL_MONITOR, "at": at, "digest": digest, "source": store, "endpoint": endpoint,
              "title": "SageMaker Model Monitor constraint violations"}
    if drift:
        out.append(MonitoringResult(id=name + "#drift", kind=DRIFT, drift=tuple(drift), **common))  # type: ignore[arg-type]
    if checks or not drift:
        out.append(MonitoringResult(id=name, kind=DATA_QUALITY, checks=tuple(checks), **common))  # type: ignore[arg-type]
    return out


# --- OpenLineage --------------------------------------------------------------------------------
def openlineage_results(event: dict[str, Any], store: str) -> list[MonitoringResult]:
    """A data-quality result per dataset of one OpenLineage event that carries a
    ``dataQualityAssertions`` or ``dataQualityMetrics`` facet (input facets, or dataset facets)."""
    from mlops_desktop.core.lineage import ol_dataset_location

    out: list[MonitoringResult] = []
    at = parse_time(event.get("eventTime"))
    run_id = _text(_dict(event.get("run")).get("runId"))
    job = _dict(event.get("job"))
    for group in ("inputs", "outputs"):
        items = event.get(group)
        for ds in items if isinstance(items, list) else []:
            if not isinstance(ds, dict):
                continue
            facets = {**_dict(ds.get("facets")), **_dict(ds.get("inputFacets"))}
            assertions = _dict(facets.get("dataQualityAssertions"))
            metrics = _dict(facets.get("dataQualityMetrics"))
            if not assertions and not metrics:
                continue
            loc = ol_dataset_location(_text(ds.get("namespace")), _text(ds.get("name")))
            checks = []
            listed = assertions.get("assertions")
            for a in listed if isinstance(listed, list) else []:
                if isinstance(a, dict) and isinstance(a.get("success"), bool):
                    column = _text(a.get("column")) or None
                    label = _text(a.get("assertion")) + (f"({column})" if column else "")
                    checks.append(QualityCheck(label, bool(a["success"]), column))
            detail = {"run": run_id, "time": event.get("eventTime"), "dataset": loc,
                      "assertions": assertions, "metrics": metrics}
            out.append(MonitoringResult(
                id=f"openlineage:{run_id}:{loc}", tool=OPENLINEAGE, kind=DATA_QUALITY, at=at,
                digest=record_digest(detail), source=store,
                title=f"OpenLineage data quality ({job.get('namespace', '')}/{job.get('name', '')})",
                dataset=loc, checks=tuple(checks)))
    return out


def _walk(root: Path, rejected: list[RejectedFile]) -> list[Document]:
    """Every file under a folder, sorted by relative path, hidden ones skipped (as
    :func:`~mlops_desktop.sources.documents.iter_documents` does: a symbolic link to a file is
    read, one to a folder is not followed). A subfolder or file that cannot be read goes to
    ``rejected`` with the reason. Listed with ``os.scandir`` and read unbuffered: a folder of
    10,000 results is listed several times faster than with ``Path.rglob``."""
    found: list[tuple[str, str]] = []
    stack = [(os.fspath(root).rstrip(os.sep) + os.sep, "")]
    while stack:
        base, prefix = stack.pop()
        try:
            entries = list(os.scandir(base))
        except OSError as exc:
            if not prefix:
                raise StoreError(f"Cannot list {root}: {exc.strerror}.") from exc
            rejected.append(RejectedFile(prefix, f"folder not readable ({exc.strerror})"))
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                if name != "__MACOSX":
                    stack.append((base + name + os.sep, prefix + name + "/"))
            elif entry.is_file():
                found.append((prefix + name, base + name))
    found.sort()
    docs: list[Document] = []
    for name, path in found:
        try:
            with open(path, "rb", buffering=0) as fh:
                docs.append(Document(name, fh.read()))
        except OSError as exc:
            rejected.append(RejectedFile(name, f"not readable ({exc.strerror})"))
    return docs


_READERS = {EVIDENTLY: evidently_results, GREAT_EXPECTATIONS: gx_results, MODEL_MONITOR: model_monitor_results}


class MonitoringSource(Source):
    """Read-only reader of a monitoring-results folder (module docstring)."""

    def __init__(self, url: StoreUrl, settings: SourceSettings = DEFAULT_SETTINGS) -> None:
        super().__init__(url, settings)
        if url.path is None:
            raise StoreError(f"{url.display} is not a folder of monitoring results.")
        self.path = url.path
        self.rejected: list[RejectedFile] = []
        self.counts: dict[str, int] = {}
        self._identity = ""

    @property
    def info(self) -> StoreInfo:
        return StoreInfo(kind=SYSTEM, url=self.url.display, schema=EVIDENTLY_FORMAT + ", great_expectations 1.x",
                         dialect="file", identity=self._identity, registry_id=self.registry_id())

    def registry_id(self) -> str:
        """A folder of monitoring results is no registry: no decision is made on it."""
        return ""

    def read_results(self, progress: ProgressFn = no_progress,
                     is_cancelled: CancelledFn = never_cancelled) -> list[MonitoringResult]:
        """Every result of every file; unusable files go to :attr:`rejected` with the reason."""
        self.rejected = []
        self.counts = {}
        docs = _walk(self.path, self.rejected) if self.path.is_dir() else list(iter_documents(self.path))
        if not docs and not self.rejected:
            raise StoreError(f"{self.path} holds no files.", "Pass a folder of monitoring results.")
        store = self.url.display
        out: list[MonitoringResult] = []
        identity = hashlib.sha256()  # as documents_digest: sorted (name, content SHA-256) pairs
        with gc_paused():
            out.extend(self._read_all(docs, identity, store, progress, is_cancelled))
        self._identity = "sha256:" + identity.hexdigest()
        progress(len(docs), len(docs), "Monitoring results read")
        return out

    def _read_all(self, docs: list[Document], identity: Any, store: str, progress: ProgressFn,
                  is_cancelled: CancelledFn) -> Iterator[MonitoringResult]:
        for i, doc in enumerate(docs):
            if i % 500 == 0:
                check_cancelled(is_cancelled)
                progress(i, len(docs), f"Reading {doc.name}")
            content = hashlib.sha256(doc.raw)
            identity.update(doc.name.encode("utf-8") + b"\x00" + content.digest())
            digest = "sha256:" + content.hexdigest()
            try:
                yield from self._read_one(doc.name, doc.raw, digest, store)
            except DocumentError as exc:
                self.rejected.append(RejectedFile(doc.name, str(exc)))
                logger.warning("monitoring: %s skipped: %s", doc.name, exc)

    def _read_one(self, name: str, raw: bytes, digest: str, store: str) -> Iterator[MonitoringResult]:
        if name.endswith((".ndjson", ".jsonl")):
            kind, results = OPENLINEAGE, self._ndjson(raw, store)
        elif (fast := read_fast(name, raw, digest, store)) is not None:
            kind, results = fast
        else:
            lean = parse_lean(raw)
            try:
                kind, results = self._read_doc(name, parse_json(raw) if lean is None else lean, digest, store)
            except DocumentError:
                if lean is None:
                    raise
                # the reason comes from the whole document, as the reader sees it without the fast path
                kind, results = self._read_doc(name, parse_json(raw), digest, store)
        if kind == OPENLINEAGE and not results:
            raise DocumentError("OpenLineage events without dataQualityAssertions or dataQualityMetrics facets")
        self.counts[kind] = self.counts.get(kind, 0) + 1
        yield from results

    @staticmethod
    def _read_doc(name: str, body: Any, digest: str, store: str) -> tuple[str, list[MonitoringResult]]:
        kind = classify(body)
        if kind == OPENLINEAGE:
            return kind, openlineage_results(body, store)
        return kind, _READERS[kind](name, body, digest, store)

    @staticmethod
    def _ndjson(raw: bytes, store: str) -> list[MonitoringResult]:
        out: list[MonitoringResult] = []
        for n, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                event = parse_json(line)
            except DocumentError as exc:
                raise DocumentError(f"line {n}: {exc}") from exc
            if not isinstance(event, dict) or classify(event) != OPENLINEAGE:
                raise DocumentError(f"line {n}: not an OpenLineage event")
            out.extend(openlineage_results(event, store))
        return out

    def load_catalog(
        self,
        progress: ProgressFn = no_progress,
        is_cancelled: CancelledFn = never_cancelled,
        *,
        all_runs: bool = False,
    ) -> Catalog:
        results = self.read_results(progress, is_cancelled)
        return Catalog(stores=[self.info], monitoring=results)

    def load_registry(
        self, progress: ProgressFn = no_progress, is_cancelled: CancelledFn = never_cancelled
    ) -> Catalog | None:
        """No registry: the folder holds results only."""
        return None

    def metric_history(self, run_id: str, key: str) -> list[MetricValue]:
        return []

    def metric_keys(self, run_id: str) -> list[str]:
        return []


__all__ = ["EVIDENTLY_FORMAT", "MonitoringSource", "classify", "evidently_results", "gx_results",
           "model_monitor_results", "openlineage_results"]
