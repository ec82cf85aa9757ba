"""OpenLineage source: RunEvents from an NDJSON file or a folder of event files.

Reads what Airflow, Spark, dbt or a Marquez export wrote with the OpenLineage client
(file transport: one JSON event per line; or one event / a JSON list per ``*.json`` file).

- jobs become ``job`` lineage nodes, runs become :class:`Run` entities (state from
  START/RUNNING/COMPLETE/FAIL/ABORT events, the latest by event time wins), inputs become
  run inputs and outputs become ``run -> dataset`` lineage edges;
- datasets become :class:`Dataset` entities identified by their location
  (``namespace`` + ``/`` + ``name``, see :mod:`mlops_desktop.core.lineage`), with the
  schema facet (columns), dataSource, ownership, documentation and tags facets;
- a tag with a ``field`` is a column tag (kept on the column); a column tagged
  ``pii``/``phi`` true also marks its dataset;
- columnLineage facets are kept on the output columns (``inputs``, ``masked``);
- the parent-run facet links the run to its parent run and job;
- an output dataset in an ``mlflow://`` namespace named ``models/<name>`` is the MLflow
  registered model ``<name>`` (a ``model`` node shared with the MLflow source).

Malformed lines (not JSON, not an event, too deep) are skipped; each is logged and kept
on :attr:`OpenLineageSource.warnings` with its file and line number.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlops_desktop.core.entities import (
    Catalog,
    Dataset,
    DatasetInput,
    LineageEdgeRecord,
    LineageNodeRecord,
    MetricValue,
    Run,
    StoreInfo,
)
from mlops_desktop.core.errors import StoreError
from mlops_desktop.core.lineage import (
    E_INPUT,
    E_JOB,
    E_OUTPUT,
    E_PARENT,
    JOB,
    MODEL,
    RUN,
    job_node_id,
    model_node_id,
    ol_dataset_location,
    ol_dataset_node_id,
    run_node_id,
)
from mlops_desktop.core.monitoring import MonitoringResult
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)
from mlops_desktop.core.timestamps import parse_timestamp
from mlops_desktop.sources.base import DEFAULT_SETTINGS, Source, SourceSettings, StoreUrl
from mlops_desktop.sources.monitoring import openlineage_results
from mlops_desktop.sources.registry_identity import registry_id

logger = logging.getLogger(__name__)

EVENT_SUFFIXES = (".json", ".ndjson", ".jsonl")
TERMINAL_STATES = {"COMPLETE", "FAIL", "ABORT"}
STATE_STATUS = {
    "START": "RUNNING",
    "RUNNING": "RUNNING",
    "COMPLETE": "FINISHED",
    "FAIL": "FAILED",
    "ABORT": "KILLED",
    "OTHER": "RUNNING",
}
MAX_WARNINGS = 1000


def mlflow_model_name(namespace: str, name: str) -> str | None:
    """The registered model an OpenLineage dataset stands for, if any (module docstring)."""
    if namespace.strip().lower().startswith("mlflow") and name.startswith("models/"):
        model = name.removeprefix("models/").split("/", 1)[0]
        return model or None
    return None


@dataclass
class _DatasetAcc:
    namespace: str
    name: str
    tags: dict[str, str] = field(default_factory=dict)
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)


@dataclass
class _RunAcc:
    run_id: str
    job_ns: str
    job_name: str
    states: list[tuple[str, str]] = field(default_factory=list)  # (eventTime, state)
    inputs: dict[str, None] = field(default_factory=dict)  # dataset location, ordered set
    outputs: dict[str, None] = field(default_factory=dict)
    parent: tuple[str, str, str] | None = None  # run id, job namespace, job name
    tags: dict[str, str] = field(default_factory=dict)
    producer: str = ""


def _earlier(current: tuple[Any, ...] | None, event: dict[str, Any]) -> tuple[Any, ...] | None:
    """The earlier of ``current`` and ``event`` as ``(time, run id, event type, namespace, job)``;
    events without a readable time or run id are passed over."""
    when = parse_timestamp(event.get("eventTime")) if isinstance(event.get("eventTime"), str) else None
    run = event.get("run")
    run_id = run.get("runId") if isinstance(run, dict) else None
    if when is None or not isinstance(run_id, str) or not run_id:
        return current
    job = event.get("job")
    if not isinstance(job, dict):
        job = {}
    key = (when, run_id, str(event.get("eventType") or ""), str(job.get("namespace") or ""), str(job.get("name") or ""))
    return key if current is None or key < current else current


def _registry_id_of(earliest: tuple[Any, ...] | None) -> str:
    if earliest is None:
        return ""
    when, run_id, event_type, namespace, job = earliest
    return registry_id("openlineage", {"eventTime": iso_millis(when), "runId": run_id, "eventType": event_type,
                                       "namespace": namespace, "job": job})


def iso_millis(when: datetime) -> str:
    """RFC 3339 UTC with milliseconds (event times differ in how they are written)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class OpenLineageSource(Source):
    """Read-only reader of OpenLineage RunEvents (file or folder)."""

    def __init__(self, url: StoreUrl, settings: SourceSettings = DEFAULT_SETTINGS) -> None:
        super().__init__(url, settings)
        if url.path is None:
            raise StoreError(f"{url.display} is not an OpenLineage file or folder.")
        self.path = url.path
        self.warnings: list[str] = []
        self._schema = ""
        self._identity = ""
        self._registry_id: str | None = None

    # --- files -----------------------------------------------------------------------
    def _files(self) -> list[Path]:
        if self.path.is_dir():
            files = sorted(p for p in self.path.iterdir() if p.is_file() and p.suffix.lower() in EVENT_SUFFIXES)
            if not files:
                raise StoreError(f"{self.path} holds no OpenLineage event files (*.json, *.ndjson).")
            return files
        if not self.path.is_file():
            raise StoreError(f"No such OpenLineage file or folder: {self.path}.", "Check the path and try again.")
        return [self.path]

    def _warn(self, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)
            logger.warning("OpenLineage: %s", message)
        elif len(self.warnings) == MAX_WARNINGS:
            self.warnings.append("more malformed events were skipped")

    def _events(self, path: Path, digest: Any) -> Iterator[dict[str, Any]]:
        """Events of one file; NDJSON line by line, or a whole-file JSON event/list."""
        try:
            fh = path.open("rb")
        except OSError as exc:
            raise StoreError(f"Cannot read {path}: {exc.strerror}.") from exc
        with fh:
            raw = fh.read()
        digest.update(raw)
        text = raw.decode("utf-8", errors="replace")
        stripped = text.lstrip()
        if path.suffix.lower() == ".json" and stripped.startswith("["):
            try:
                whole = json.loads(text)
            except (ValueError, RecursionError) as exc:
                self._warn(f"{path.name}: not valid JSON ({_short_error(exc)}); file skipped")
                return
            for i, item in enumerate(whole if isinstance(whole, list) else [], start=1):
                if isinstance(item, dict):
                    yield item
                else:
                    self._warn(f"{path.name}: item {i} is not an event object; skipped")
            return
        lines = text.splitlines()
        if path.suffix.lower() == ".json" and len(lines) > 1:
            try:
                whole = json.loads(text)
            except (ValueError, RecursionError):
                whole = None
            if isinstance(whole, dict):
                yield whole
                return
        for lineno, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except (ValueError, RecursionError) as exc:
                self._warn(f"{path.name} line {lineno}: not valid JSON ({_short_error(exc)}); skipped")
                continue
            if not isinstance(event, dict):
                self._warn(f"{path.name} line {lineno}: not an event object; skipped")
                continue
            event["_line"] = f"{path.name} line {lineno}"
            yield event

    # --- Source API -------------------------------------------------------------------
    def load_registry(
        self, progress: ProgressFn = no_progress, is_cancelled: CancelledFn = never_cancelled
    ) -> Catalog | None:
        """No registry to show first: every model comes from the events, read in one pass."""
        return None

    def metric_history(self, run_id: str, key: str) -> list[MetricValue]:
        """OpenLineage events carry no metric values."""
        return []

    def metric_keys(self, run_id: str) -> list[str]:
        return []

    @property
    def info(self) -> StoreInfo:
        return StoreInfo(
            kind="openlineage",
            url=self.url.display,
            schema=self._schema or "openlineage",
            dialect="file",
            identity=self._identity,
            registry_id=self.registry_id(),
        )

    def registry_id(self) -> str:
        """The earliest event (``registry_identity``): smallest ``eventTime``, then run id; its
        time, run id, event type and job namespace and name. Appending later events keeps it."""
        if self._registry_id is None:
            earliest: tuple[Any, ...] | None = None
            for path in self._files():
                for event in self._events(path, hashlib.sha256()):
                    earliest = _earlier(earliest, event)
            self._registry_id = _registry_id_of(earliest)
        return self._registry_id

    def load_catalog(
        self,
        progress: ProgressFn = no_progress,
        is_cancelled: CancelledFn = never_cancelled,
        *,
        all_runs: bool = False,
    ) -> Catalog:
        self.warnings = []
        files = self._files()
        digest = hashlib.sha256()
        datasets: dict[str, _DatasetAcc] = {}
        runs: dict[str, _RunAcc] = {}
        jobs: dict[tuple[str, str], dict[str, Any]] = {}
        specs: set[str] = set()
        count = 0
        earliest: tuple[Any, ...] | None = None
        monitoring: list[MonitoringResult] = []
        for fi, path in enumerate(files):
            progress(fi, len(files), f"Reading {path.name}")
            for event in self._events(path, digest):
                count += 1
                if count % 1000 == 0:
                    check_cancelled(is_cancelled)
                where = event.pop("_line", path.name)
                earliest = _earlier(earliest, event)
                monitoring.extend(openlineage_results(event, self.url.display))  # data-quality facets
                try:
                    self._apply(event, datasets, runs, jobs, specs)
                except _BadEvent as exc:
                    self._warn(f"{where}: {exc}; skipped")
        self._identity = "sha256:" + digest.hexdigest()
        self._registry_id = _registry_id_of(earliest)
        self._schema = ",".join(sorted(specs)) or "openlineage"
        progress(len(files), len(files), "OpenLineage events read")
        catalog = self._catalog(datasets, runs, jobs)
        catalog.monitoring = monitoring
        return catalog

    # --- event folding ------------------------------------------------------------------
    def _apply(
        self,
        event: dict[str, Any],
        datasets: dict[str, _DatasetAcc],
        runs: dict[str, _RunAcc],
        jobs: dict[tuple[str, str], dict[str, Any]],
        specs: set[str],
    ) -> None:
        job = event.get("job")
        if not isinstance(job, dict) or not isinstance(job.get("name"), str):
            if isinstance(event.get("dataset"), dict):  # a DatasetEvent
                self._dataset(event["dataset"], datasets)
                return
            raise _BadEvent("no job name")
        schema_url = event.get("schemaURL")
        if isinstance(schema_url, str) and "/spec/" in schema_url:
            specs.add("openlineage-spec " + schema_url.split("/spec/", 1)[1].split("/", 1)[0])
        job_ns = str(job.get("namespace") or "")
        job_name = job["name"]
        jacc = jobs.setdefault((job_ns, job_name), {"tags": {}, "facets": {}})
        jfacets = job.get("facets") if isinstance(job.get("facets"), dict) else {}
        _facet_tags(jfacets, jacc["tags"], None)
        job_type = jfacets.get("jobType") if isinstance(jfacets, dict) else None
        if isinstance(job_type, dict):
            jacc["facets"]["jobType"] = {k: v for k, v in job_type.items() if not k.startswith("_")}
        inputs = [self._dataset(d, datasets) for d in _list(event.get("inputs"))]
        outputs = [self._dataset(d, datasets) for d in _list(event.get("outputs"))]
        run = event.get("run")
        if not isinstance(run, dict) or not run.get("runId"):
            # a JobEvent (static lineage): job-level edges, no run
            jacc.setdefault("inputs", {}).update(dict.fromkeys(i for i in inputs if i))
            jacc.setdefault("outputs", {}).update(dict.fromkeys(o for o in outputs if o))
            return
        run_id = str(run["runId"])
        racc = runs.get(run_id)
        if racc is None:
            racc = runs[run_id] = _RunAcc(run_id, job_ns, job_name)
        racc.producer = str(event.get("producer") or racc.producer)
        state = str(event.get("eventType") or "OTHER").upper()
        racc.states.append((str(event.get("eventTime") or ""), state))
        racc.inputs.update(dict.fromkeys(i for i in inputs if i))
        racc.outputs.update(dict.fromkeys(o for o in outputs if o))
        rfacets = run.get("facets") if isinstance(run.get("facets"), dict) else {}
        parent = rfacets.get("parent") if isinstance(rfacets, dict) else None
        if isinstance(parent, dict):
            prun = _dict(parent.get("run"))
            pjob = _dict(parent.get("job"))
            if prun.get("runId"):
                racc.parent = (str(prun["runId"]), str(pjob.get("namespace") or ""), str(pjob.get("name") or ""))
        _facet_tags(rfacets, racc.tags, None)

    def _dataset(self, raw: Any, datasets: dict[str, _DatasetAcc]) -> str:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            self._warn("a dataset without a name was ignored")
            return ""
        ns = str(raw.get("namespace") or "")
        name = raw["name"]
        loc = ol_dataset_location(ns, name)
        acc = datasets.get(loc)
        if acc is None:
            acc = datasets[loc] = _DatasetAcc(ns, name)
        facets = raw.get("facets") if isinstance(raw.get("facets"), dict) else {}
        schema = facets.get("schema") if isinstance(facets, dict) else None
        if isinstance(schema, dict):
            for f in _list(schema.get("fields")):
                if isinstance(f, dict) and f.get("name"):
                    col = acc.fields.setdefault(str(f["name"]), {"name": str(f["name"])})
                    if f.get("type"):
                        col["type"] = str(f["type"])
                    if f.get("description"):
                        col["description"] = str(f["description"])
        _facet_tags(facets, acc.tags, acc.fields)
        if isinstance(facets, dict):
            src = facets.get("dataSource")
            if isinstance(src, dict):
                acc.profile["dataSource"] = {k: src[k] for k in ("name", "uri") if k in src}
            own = facets.get("ownership")
            if isinstance(own, dict):
                owners = [o.get("name") for o in _list(own.get("owners")) if isinstance(o, dict) and o.get("name")]
                if owners:
                    acc.profile["owners"] = sorted(set(acc.profile.get("owners", [])) | set(owners))
            doc = facets.get("documentation")
            if isinstance(doc, dict) and doc.get("description"):
                acc.profile["description"] = str(doc["description"])
            col_fields = _dict(_dict(facets.get("columnLineage")).get("fields"))
            if col_fields:
                for out_name, spec in col_fields.items():
                    if not isinstance(spec, dict):
                        continue
                    column = acc.fields.setdefault(str(out_name), {"name": str(out_name)})
                    ins: list[dict[str, Any]] = []
                    masked = False
                    for inp in _list(spec.get("inputFields")):
                        if not isinstance(inp, dict):
                            continue
                        trans = [t for t in _list(inp.get("transformations")) if isinstance(t, dict)]
                        m = any(bool(t.get("masking")) for t in trans)
                        masked = masked or m
                        ins.append({
                            "dataset": ol_dataset_location(str(inp.get("namespace") or ""), str(inp.get("name") or "")),
                            "field": str(inp.get("field") or ""),
                            "masking": m,
                            "transformations": [
                                {k: t.get(k) for k in ("type", "subtype", "description", "masking") if k in t}
                                for t in trans
                            ],
                        })
                    column["inputs"] = ins
                    column["masked"] = masked
        return loc

    # --- catalog ---------------------------------------------------------------------------
    def _catalog(
        self,
        datasets: dict[str, _DatasetAcc],
        runs: dict[str, _RunAcc],
        jobs: dict[tuple[str, str], dict[str, Any]],
    ) -> Catalog:
        store = self.url.display
        cat = Catalog(stores=[self.info])
        model_of: dict[str, str] = {}
        for loc, acc in datasets.items():
            model = mlflow_model_name(acc.namespace, acc.name)
            if model:
                nid = model_node_id(model)
                model_of[loc] = nid
                cat.lineage_nodes.append(LineageNodeRecord(
                    nid, MODEL, model, dict(acc.tags),
                    {"subtype": "registered_model", "openlineage": f"{acc.namespace}/{acc.name}", "store": store},
                ))
                continue
            cat.datasets["ol:" + loc] = Dataset(
                id="ol:" + loc,
                name=acc.name,
                digest="",
                source=loc,
                source_type="",
                schema={"fields": list(acc.fields.values())} if acc.fields else None,
                profile={"namespace": acc.namespace, **acc.profile},
                tags=dict(acc.tags),
                store=store,
            )

        def ds_node(loc: str) -> str:
            return model_of.get(loc) or ol_dataset_node_id("", loc)

        for (ns, name), jacc in jobs.items():
            jid = job_node_id(ns, name)
            cat.lineage_nodes.append(LineageNodeRecord(jid, JOB, name, dict(jacc["tags"]),
                                                       {"namespace": ns, "store": store, **jacc["facets"]}))
            for loc in jacc.get("inputs", {}):
                cat.lineage_edges.append(LineageEdgeRecord(ds_node(loc), jid, E_INPUT))
            for loc in jacc.get("outputs", {}):
                cat.lineage_edges.append(LineageEdgeRecord(jid, ds_node(loc), E_OUTPUT))
        parents: dict[str, tuple[str, str]] = {}
        for racc in runs.values():
            states = sorted(racc.states)
            start = next((t for t, s in states if s == "START"), states[0][0] if states else "")
            end = next((t for t, s in reversed(states) if s in TERMINAL_STATES), "")
            terminal = [s for _, s in states if s in TERMINAL_STATES]
            last = terminal[-1] if terminal else (states[-1][1] if states else "OTHER")
            run = Run(
                run_id=racc.run_id,
                name=racc.job_name,
                experiment_name=racc.job_ns,
                status=STATE_STATUS.get(last, last),
                start_time=parse_timestamp(start),
                end_time=parse_timestamp(end),
                source_name=racc.producer,
                tags=dict(racc.tags),
                parent_run_id=racc.parent[0] if racc.parent else None,
                store=store,
            )
            for loc in racc.inputs:
                if loc in model_of:
                    continue
                acc = datasets[loc]
                run.inputs.append(DatasetInput("ol:" + loc, acc.name, "", loc, None, dict(acc.tags)))
            cat.runs[racc.run_id] = run
            rid = run_node_id(racc.run_id)
            for loc in racc.inputs:
                if loc in model_of:
                    cat.lineage_edges.append(LineageEdgeRecord(model_of[loc], rid, E_INPUT))
            for loc in racc.outputs:
                cat.lineage_edges.append(LineageEdgeRecord(rid, ds_node(loc), E_OUTPUT))
            cat.lineage_edges.append(LineageEdgeRecord(job_node_id(racc.job_ns, racc.job_name), rid, E_JOB))
            if racc.parent:
                parents[racc.parent[0]] = (racc.parent[1], racc.parent[2])
                cat.lineage_edges.append(LineageEdgeRecord(run_node_id(racc.parent[0]), rid, E_PARENT))
        for prun, (pns, pname) in parents.items():
            if prun in runs:
                continue
            pid = run_node_id(prun)
            cat.lineage_nodes.append(LineageNodeRecord(pid, RUN, f"{pname or 'parent'} run {prun[:8]}", {},
                                                       {"run_id": prun, "store": store}))
            if pname:
                jid = job_node_id(pns, pname)
                if (pns, pname) not in jobs:
                    cat.lineage_nodes.append(LineageNodeRecord(jid, JOB, pname, {}, {"namespace": pns, "store": store}))
                cat.lineage_edges.append(LineageEdgeRecord(jid, pid, E_JOB))
        return cat


class _BadEvent(Exception):
    pass


def _short_error(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _facet_tags(facets: Any, tags: dict[str, str], fields: dict[str, dict[str, Any]] | None) -> None:
    """Fold a ``tags`` facet into dataset (or job/run) tags and column tags."""
    if not isinstance(facets, dict):
        return
    facet = facets.get("tags")
    if not isinstance(facet, dict):
        return
    for tag in _list(facet.get("tags")):
        if not isinstance(tag, dict) or not tag.get("key"):
            continue
        key = str(tag["key"])
        value = "" if tag.get("value") is None else str(tag["value"])
        column = tag.get("field")
        if column and fields is not None:
            col = fields.setdefault(str(column), {"name": str(column)})
            col.setdefault("tags", {})[key] = value
            if key.lower() in {"pii", "phi"} and value.strip().lower() == "true":
                tags.setdefault(key, value)
                if tags[key].strip().lower() != "true":
                    tags[key] = value
            continue
        tags[key] = value


__all__ = ["OpenLineageSource", "mlflow_model_name"]
