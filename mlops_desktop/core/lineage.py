"""The lineage graph: datasets, jobs, runs, models, model versions and deployments.

Qt-free and SQL-free. :func:`build_graph` turns a merged :class:`Catalog` (MLflow entities
plus the extra ``lineage_nodes`` / ``lineage_edges`` records MLMD and OpenLineage sources
contribute) into a :class:`LineageGraph` wrapping a ``networkx.DiGraph``.

Edges point the way data flows: ``dataset -> run -> logged model -> model version ->
deployment``. Node kinds (the ``kind`` of the JSON output): ``dataset``, ``job``, ``run``,
``model`` (registered model, MLflow logged model, MLMD model artifact container),
``model_version`` and ``deployment`` (alias, stage or pushed model).

Node ids are stable strings built by the ``*_node_id`` helpers below.

Dataset identity (the rule that merges stores): two datasets are the same node when
their *location* is the same after normalisation. The location is the MLflow dataset
source URI (``{"uri": ...}`` source JSON), the OpenLineage ``namespace`` joined to the
dataset ``name`` with ``/`` (``s3://lake`` + ``raw/claims`` -> ``s3://lake/raw/claims``;
``postgres://db:5432`` + ``public.claims`` -> ``postgres://db:5432/public.claims``) or the
MLMD artifact URI. Normalisation lower-cases the scheme and host and drops a trailing
``/``. A dataset without a location is identified by ``name@digest``.
An OpenLineage dataset in an ``mlflow://`` namespace named ``models/<name>`` is the
registered model ``<name>`` (node ``model:<name>``), which joins an Airflow training job to
the MLflow registry.

Classification (COMPLIANCE.md) propagates downstream along data edges: a node is PHI when
it, or any upstream node reachable without crossing a de-identification step, is tagged
``phi``. A de-identification step is a node tagged ``hipaa_deidentified`` with a value
other than ``false`` (``safe_harbor``, ``expert_determination``). PII propagates the same
way, but a de-identification step stops PII only when it also says ``pii=false`` (HIPAA
de-identified data may still be personal data under the GDPR).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from mlops_desktop.core.classification import Classification, classify, is_true, normalise_tags
from mlops_desktop.core.entities import Catalog, Dataset, DatasetInput, ModelVersion
from mlops_desktop.core.errors import UsageError
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    checkpoint,
    never_cancelled,
    no_progress,
)

logger = logging.getLogger(__name__)

# Node kinds -----------------------------------------------------------------------------
DATASET = "dataset"
JOB = "job"
RUN = "run"
MODEL = "model"
MODEL_VERSION = "model_version"
DEPLOYMENT = "deployment"
NODE_KINDS = (DATASET, JOB, RUN, MODEL, MODEL_VERSION, DEPLOYMENT)

# Edge kinds -----------------------------------------------------------------------------
E_INPUT = "input"  # dataset/artifact -> run
E_OUTPUT = "output"  # run -> dataset/artifact/logged model
E_REGISTERED = "registered_as"  # logged model or run -> model version
E_VERSION = "has_version"  # registered model -> model version
E_DEPLOYED = "deployed_as"  # model version -> deployment
E_JOB = "instance_of"  # job -> run
E_PARENT = "parent"  # parent run -> child run
#: Edges that carry context, not data: not followed by data-lineage queries by default.
STRUCTURAL_EDGE_KINDS = frozenset({E_PARENT})
#: Edges classification does not flow along.
NO_CLASSIFICATION_EDGES = frozenset({E_PARENT, E_JOB})

RESOLVE_PRIORITY = (DATASET, MODEL_VERSION, MODEL, DEPLOYMENT, JOB, RUN)
DEIDENTIFIED_FALSE = frozenset({"", "false", "no", "0", "none", "n", "f"})
#: Stages that are not deployments.
NON_DEPLOYED_STAGES = frozenset({"", "none", "archived"})


# Node ids --------------------------------------------------------------------------------
def normalise_location(location: str) -> str:
    """Lower-case scheme and host, drop a trailing ``/``: the dataset identity rule."""
    text = location.strip()
    if "://" in text:
        scheme, rest = text.split("://", 1)
        host, sep, path = rest.partition("/")
        text = f"{scheme.lower()}://{host.lower()}{sep}{path}"
        if text.endswith("/") and not text.endswith("://"):
            text = text.rstrip("/")
    elif len(text) > 1:
        text = text.rstrip("/")
    return text


def source_location(source: str, source_type: str = "") -> str:
    """The location in an MLflow dataset ``source`` (JSON ``{"uri": ...}``) or a plain URI."""
    text = (source or "").strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            for key in ("uri", "url", "path", "table_name", "location"):
                value = parsed.get(key)
                if isinstance(value, str) and value.strip():
                    text = value.strip()
                    break
            else:
                return ""
    if not text:
        return ""
    if "://" not in text and source_type and source_type not in {"local", "file"}:
        text = f"{source_type}:{text}"
    return normalise_location(text)


def dataset_key(source: str = "", name: str = "", digest: str = "", source_type: str = "") -> str:
    loc = source_location(source, source_type)
    if loc:
        return loc
    return f"{name}@{digest}" if digest else name


def ol_dataset_location(namespace: str, name: str) -> str:
    """OpenLineage ``namespace`` + ``name`` as one location (see the module docstring)."""
    ns = namespace.strip()
    nm = name.strip()
    if "://" in nm or not ns:
        return normalise_location(nm)
    if nm.startswith("/") or ns.endswith("/"):
        return normalise_location(ns.rstrip("/") + "/" + nm.lstrip("/"))
    return normalise_location(f"{ns}/{nm}")


def dataset_node_id(ref: Dataset | DatasetInput | str) -> str:
    """Node id of a dataset entity, a dataset input, or a location / ``name@digest`` string."""
    if isinstance(ref, Dataset):
        return "dataset:" + dataset_key(ref.source, ref.name, ref.digest, ref.source_type)
    if isinstance(ref, DatasetInput):
        return "dataset:" + dataset_key(ref.source, ref.name, ref.digest)
    text = str(ref)
    if text.startswith("dataset:"):
        return text
    return "dataset:" + (normalise_location(text) if "://" in text else text)


def ol_dataset_node_id(namespace: str, name: str) -> str:
    return "dataset:" + ol_dataset_location(namespace, name)


def run_node_id(run_id: str) -> str:
    return f"run:{run_id}"


def job_node_id(namespace: str, name: str) -> str:
    return f"job:{namespace}/{name}" if namespace else f"job:{name}"


def model_node_id(name: str) -> str:
    """The registered model ``name``."""
    return f"model:{name}"


def logged_model_node_id(model_id: str) -> str:
    """An MLflow 3 logged model (``m-...``)."""
    return f"logged_model:{model_id}"


def version_node_id(name: str, version: str | int) -> str:
    return f"version:{name}/{version}"


def deployment_node_id(model_name: str, target: str, kind: str = "alias") -> str:
    """An alias (``kind='alias'``), a stage (``'stage'``) or a pushed model (``'pushed'``,
    where ``target`` is the push destination URI)."""
    if kind == "pushed":
        return f"deployment:pushed:{target}"
    return f"deployment:{kind}:{model_name}@{target}"


def _is_deidentified(tags: Mapping[str, str]) -> bool:
    value = normalise_tags(tags).get("hipaa_deidentified")
    return value is not None and value.strip().lower() not in DEIDENTIFIED_FALSE


def _merge_tags(into: dict[str, str], tags: Mapping[str, str]) -> None:
    """Merge classification-relevant tags; a ``true`` pii/phi wins over ``false``."""
    for key, value in tags.items():
        if value is None or str(key).startswith("mlflow."):
            continue
        k = str(key)
        v = str(value)
        if k not in into:
            into[k] = v
        elif k.lower() in {"pii", "phi"} and is_true(v):
            into[k] = v


#: one class per set of node attribute names (in order), see :func:`_node_attrs`
_ATTR_CLASSES: dict[tuple[str, ...], type] = {}
_MAX_ATTR_CLASSES = 256


def _node_attrs(**attrs: Any) -> dict[str, Any]:
    """A node's attribute dict holding only its values: its keys are shared with every node of
    the same attribute names (CPython's key-sharing instance dicts). A plain ``dict`` in every
    respect (it may gain and lose keys); 160 bytes where a dict of 8 keys takes 280, for the
    190,000 nodes of the 5x store. Made by setting the attributes on an instance of a class of
    those names and keeping the instance's ``__dict__``."""
    keys = tuple(attrs)
    cls = _ATTR_CLASSES.get(keys)
    if cls is None:
        if len(_ATTR_CLASSES) >= _MAX_ATTR_CLASSES:
            return dict(attrs)
        cls = _ATTR_CLASSES.setdefault(keys, type("_NodeAttributes", (), {}))
    holder = cls()
    for key, value in attrs.items():
        setattr(holder, key, value)
    data: dict[str, Any] = holder.__dict__
    return data


# Results -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Impact:
    """What a dataset reaches downstream."""

    dataset: str
    versions: list[str] = field(default_factory=list)
    deployments: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)

    @property
    def nodes(self) -> list[str]:
        return [*self.datasets, *self.runs, *self.models, *self.versions, *self.deployments]


class LineageGraph:
    """A typed lineage graph. Queries never mutate it; it is safe to share read-only."""

    def __init__(self, graph: nx.DiGraph | None = None) -> None:
        self.g: nx.DiGraph = graph if graph is not None else nx.DiGraph()
        self.warnings: list[str] = []
        self._class_cache: dict[str, Classification] = {}
        #: the distinct classifications in :attr:`_class_cache` (never changed: Classification is frozen)
        self._class_values: dict[tuple[Any, ...], Classification] = {}
        #: one attribute dict per distinct edge attributes (kind, context): 220,000 edges of the
        #: 5x store held 220,000 equal dicts (40 MB); edges are never changed in place, an edge
        #: added again gets the shared dict of its merged attributes
        self._edge_attrs: dict[tuple[tuple[str, Any], ...], dict[str, Any]] = {}
        #: one tags dict per distinct node tags (most nodes have none or ``pii=true``); a node's
        #: tags are never changed in place, a merge gives the node the shared dict of the result
        self._tag_sets: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}

    # --- construction -------------------------------------------------------------------
    def add_node(
        self,
        node_id: str,
        kind: str,
        label: str,
        tags: Mapping[str, str] | None = None,
        **attrs: Any,
    ) -> None:
        """Add a node, or merge tags and attributes into an existing one (first label wins,
        a placeholder is upgraded by the real record)."""
        self._class_cache.clear()
        if node_id in self.g:
            data = self.g.nodes[node_id]
            if data.get("placeholder") and not attrs.get("placeholder"):
                data["kind"] = kind
                data["label"] = label
                data.pop("placeholder", None)
            if tags:
                merged = dict(data["tags"])
                _merge_tags(merged, tags)
                if merged != data["tags"]:
                    data["tags"] = self._shared_tags(merged)
            for key, value in attrs.items():
                if key == "placeholder":
                    continue
                if key not in data or data[key] in (None, "", [], {}):
                    data[key] = value
            return
        node_tags: dict[str, str] = {}
        _merge_tags(node_tags, tags or {})
        self.g.add_node(node_id)
        self.g._node[node_id] = _node_attrs(kind=kind, label=label, tags=self._shared_tags(node_tags), **attrs)

    def _shared_tags(self, tags: dict[str, str]) -> dict[str, str]:
        return self._tag_sets.setdefault(tuple(tags.items()), tags)

    def add_edge(self, source: str, target: str, kind: str, **attrs: Any) -> bool:
        """Add an edge between existing nodes; dangling or self edges are refused (False)."""
        if source == target:
            self.warnings.append(f"ignored self edge on {source}")
            return False
        if source not in self.g or target not in self.g:
            missing = source if source not in self.g else target
            self.warnings.append(f"ignored {kind} edge {source} -> {target}: unknown node {missing}")
            return False
        self._class_cache.clear()
        old = self.g.succ[source].get(target)
        data = {**old, "kind": kind, **attrs} if old is not None else {"kind": kind, **attrs}
        try:
            data = self._edge_attrs.setdefault(tuple(sorted(data.items())), data)
        except TypeError:  # an unhashable attribute value: the edge keeps its own dict
            pass
        self.g.add_edge(source, target)
        self.g._succ[source][target] = self.g._pred[target][source] = data
        return True

    # --- access ---------------------------------------------------------------------------
    def __contains__(self, node_id: object) -> bool:
        return node_id in self.g

    def __len__(self) -> int:
        return int(self.g.number_of_nodes())

    @property
    def edge_count(self) -> int:
        return int(self.g.number_of_edges())

    def node(self, node_id: str) -> dict[str, Any]:
        """The node's attribute dict (kind, label, tags, ...). Raises UsageError if unknown."""
        try:
            data: dict[str, Any] = self.g.nodes[node_id]
        except KeyError:
            raise UsageError(f"No lineage node {node_id!r}.", "Check the id with the lineage command.") from None
        return data

    def kind(self, node_id: str) -> str:
        return str(self.g.nodes[node_id]["kind"])

    def label(self, node_id: str) -> str:
        return str(self.g.nodes[node_id]["label"])

    def nodes_of_kind(self, kind: str) -> list[str]:
        return [n for n, k in self.g.nodes(data="kind") if k == kind]

    def edge_kind(self, source: str, target: str) -> str:
        return str(self.g.edges[source, target]["kind"])

    # --- queries --------------------------------------------------------------------------
    def _walk(
        self,
        start: str,
        adjacency: Mapping[str, Mapping[str, Mapping[str, Any]]],
        depth: int | None,
        skip_kinds: Collection[str],
        stop: Callable[[str], bool] | None = None,
    ) -> list[str]:
        self.node(start)
        seen = {start}
        out: list[str] = []
        queue: deque[tuple[str, int]] = deque([(start, 0)])
        while queue:
            node, dist = queue.popleft()
            if depth is not None and dist >= depth:
                continue
            if stop is not None and node != start and stop(node):
                continue
            for nxt, edata in adjacency[node].items():
                if nxt in seen or edata.get("kind") in skip_kinds:
                    continue
                seen.add(nxt)
                out.append(nxt)
                queue.append((nxt, dist + 1))
        return out

    def upstream(
        self,
        node_id: str,
        depth: int | None = None,
        *,
        include_structural: bool = False,
    ) -> list[str]:
        """Nodes ``node_id`` derives from, nearest first (the node itself excluded)."""
        skip = frozenset() if include_structural else STRUCTURAL_EDGE_KINDS
        return self._walk(node_id, self.g.pred, depth, skip)

    def downstream(
        self,
        node_id: str,
        depth: int | None = None,
        *,
        include_structural: bool = False,
    ) -> list[str]:
        """Nodes derived from ``node_id``, nearest first (the node itself excluded)."""
        skip = frozenset() if include_structural else STRUCTURAL_EDGE_KINDS
        return self._walk(node_id, self.g.succ, depth, skip)

    def upstream_of_kind(self, node_id: str, kind: str) -> list[str]:
        return [n for n in self.upstream(node_id) if self.g.nodes[n]["kind"] == kind]

    def neighbourhood(self, node_id: str, hops: int) -> set[str]:
        """Every node within ``hops`` edges of ``node_id`` in either direction (itself included)."""
        self.node(node_id)
        seen = {node_id}
        frontier = [node_id]
        succ, pred = self.g.succ, self.g.pred
        for _ in range(max(0, hops)):
            nxt: list[str] = []
            for n in frontier:
                for m in (*succ[n], *pred[n]):
                    if m not in seen:
                        seen.add(m)
                        nxt.append(m)
            if not nxt:
                break
            frontier = nxt
        return seen

    def lineage_of(self, node_id: str, depth: int | None = None) -> set[str]:
        """The node with its upstream and downstream (what the lineage view shows)."""
        return {node_id, *self.upstream(node_id, depth), *self.downstream(node_id, depth)}

    def explain_path(self, a: str, b: str) -> list[str]:
        """The shortest chain of nodes linking ``a`` to ``b``: along data flow if there is one
        (either way), else ignoring edge direction. Empty when they are not connected."""
        self.node(a)
        self.node(b)
        for src, dst in ((a, b), (b, a)):
            try:
                path: list[str] = nx.shortest_path(self.g, src, dst)
            except nx.NetworkXNoPath:
                continue
            return path if src == a else list(reversed(path))
        try:
            path = nx.shortest_path(self.g.to_undirected(as_view=True), a, b)
        except nx.NetworkXNoPath:
            return []
        return path

    def impact(self, dataset_id: str) -> Impact:
        """Everything downstream of a dataset, grouped: versions, deployments, models, ..."""
        down = self.downstream(dataset_id)
        groups: dict[str, list[str]] = {k: [] for k in NODE_KINDS}
        for n in down:
            groups[self.g.nodes[n]["kind"]].append(n)
        return Impact(
            dataset=dataset_id,
            versions=groups[MODEL_VERSION],
            deployments=groups[DEPLOYMENT],
            models=groups[MODEL],
            datasets=groups[DATASET],
            runs=groups[RUN],
        )

    def _barrier(self, node_id: str, for_pii: bool) -> bool:
        tags = self.g.nodes[node_id]["tags"]
        if not _is_deidentified(tags):
            return False
        if for_pii:
            value = normalise_tags(tags).get("pii")
            return value is not None and not is_true(value)
        return True

    def _classification_sources(self, node_id: str, for_pii: bool) -> list[str]:
        """The node plus the upstream nodes whose tags reach it (stopping at de-id steps)."""
        if self._barrier(node_id, for_pii):
            return [node_id]
        reached = self._walk(
            node_id,
            self.g.pred,
            None,
            NO_CLASSIFICATION_EDGES,
            stop=lambda n: self._barrier(n, for_pii),
        )
        return [node_id, *reached]

    def effective_classification(self, node_id: str) -> Classification:
        """The node's own classification plus what flows into it (module docstring rule)."""
        cached = self._class_cache.get(node_id)
        if cached is not None:
            return cached
        phi_nodes = self._classification_sources(node_id, for_pii=False)
        pii_nodes = self._classification_sources(node_id, for_pii=True)
        tags_of = self.g.nodes
        base = classify([tags_of[n]["tags"] for n in phi_nodes])
        pii = base.pii or any(classify([tags_of[n]["tags"]]).pii for n in pii_nodes)
        key = (pii, base.phi, base.special_categories, tuple(sorted(base.facts.items())))
        result = self._class_values.get(key)
        if result is None:  # most nodes share one of a few classifications: one object each
            result = self._class_values[key] = Classification(
                pii=pii,
                phi=base.phi,
                special_categories=base.special_categories,
                facts=base.facts,
            )
        self._class_cache[node_id] = result
        return result

    def classification_origin(self, node_id: str) -> dict[str, list[str]]:
        """Which upstream nodes carry the PII / PHI tag that reaches ``node_id``."""
        out: dict[str, list[str]] = {"pii": [], "phi": []}
        for key, for_pii in (("pii", True), ("phi", False)):
            for n in self._classification_sources(node_id, for_pii):
                if is_true(normalise_tags(self.g.nodes[n]["tags"]).get(key)):
                    out[key].append(n)
        return out

    # --- lookup ------------------------------------------------------------------------
    def resolve(self, ref: str, kinds: Collection[str] | None = None) -> str:
        """A node id from what a user types: a node id, ``models:/name/version``,
        ``name/version``, a model name, a run id, a dataset location, name or ``name@digest``."""
        text = ref.strip()
        if not text:
            raise UsageError("An empty node reference was given.", "Pass a node id, dataset name or model version.")

        def ok(n: str) -> bool:
            return n in self.g and (kinds is None or self.g.nodes[n]["kind"] in kinds)

        candidates = [text]
        if text.startswith("models:/"):
            rest = text.removeprefix("models:/")
            if rest.startswith("m-"):
                candidates.append(logged_model_node_id(rest.split("/", 1)[0]))
            else:
                candidates.append(version_node_id(*rest.rsplit("/", 1)) if "/" in rest else model_node_id(rest))
        if "/" in text:
            name, _, version = text.rpartition("/")
            candidates.append(version_node_id(name, version))
        candidates += [
            dataset_node_id(text),
            run_node_id(text),
            model_node_id(text),
            logged_model_node_id(text),
        ]
        for c in candidates:
            if ok(c):
                return c
        # dataset by name or name@digest, or by the end of its location
        name, _, digest = text.partition("@")
        matches: list[str] = []
        for n, data in self.g.nodes(data=True):
            if not ok(n):
                continue
            if data["kind"] == DATASET:
                names = data.get("names") or [data["label"]]
                if name in names and (not digest or digest in (data.get("digests") or [])):
                    matches.append(n)
                elif n.endswith("/" + text) or n.endswith("." + text):
                    matches.append(n)
            elif data["label"] == text:
                matches.append(n)
        if len(matches) > 1:  # prefer the most specific kind, e.g. a job over its runs
            for kind in RESOLVE_PRIORITY:
                of_kind = [m for m in matches if self.g.nodes[m]["kind"] == kind]
                if of_kind:
                    matches = of_kind
                    break
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            shown = ", ".join(sorted(matches)[:5])
            raise UsageError(f"{ref!r} matches several lineage nodes ({shown}).", "Pass the full node id.")
        raise UsageError(f"No lineage node matches {ref!r}.", "Run `mlops-desktop lineage` to list node ids.")

    # --- export --------------------------------------------------------------------------
    def subgraph(self, node_ids: Iterable[str]) -> LineageGraph:
        sub = LineageGraph(self.g.subgraph(list(node_ids)).copy())
        return sub

    def node_json(self, node_id: str) -> dict[str, Any]:
        data = self.g.nodes[node_id]
        return {"id": node_id, "kind": data["kind"], "label": data["label"], "tags": dict(data["tags"])}

    def to_json(self, node_ids: Iterable[str] | None = None) -> dict[str, Any]:
        """``{"nodes": [{"id","kind","label","tags"}], "edges": [{"source","target","kind"}]}``."""
        keep = set(self.g.nodes) if node_ids is None else set(node_ids)
        nodes = [self.node_json(n) for n in sorted(keep) if n in self.g]
        edges = [
            {"source": s, "target": t, "kind": d["kind"]}
            for s, t, d in sorted(self.g.edges(data=True), key=lambda e: (e[0], e[1]))
            if s in keep and t in keep
        ]
        return {"nodes": nodes, "edges": edges}

    def to_dot(self, node_ids: Iterable[str] | None = None, highlight: str | None = None) -> str:
        """Graphviz DOT, left to right, one shape per kind, PII/PHI in the labels."""
        keep = set(self.g.nodes) if node_ids is None else set(node_ids)
        lines = ["digraph lineage {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];']
        for n in sorted(keep):
            if n not in self.g:
                continue
            data = self.g.nodes[n]
            shape = DOT_SHAPES.get(data["kind"], "ellipse")
            badges = self.effective_classification(n).badges
            label = data["label"] + (f"\\n[{' '.join(badges)}]" if badges else "")
            extra = ', penwidth=3' if n == highlight else ""
            colour = ', color="#c62828"' if "PHI" in badges else (', color="#ef6c00"' if badges else "")
            lines.append(f"  {_dot_quote(n)} [label={_dot_quote(label)}, shape={shape}{colour}{extra}];")
        for s, t, d in sorted(self.g.edges(data=True), key=lambda e: (e[0], e[1])):
            if s in keep and t in keep:
                style = ", style=dashed" if d["kind"] in STRUCTURAL_EDGE_KINDS or d["kind"] == E_JOB else ""
                lines.append(f"  {_dot_quote(s)} -> {_dot_quote(t)} [label={_dot_quote(d['kind'])}{style}];")
        lines.append("}")
        return "\n".join(lines) + "\n"


DOT_SHAPES = {
    DATASET: "cylinder",
    JOB: "component",
    RUN: "box",
    MODEL: "box3d",
    MODEL_VERSION: "ellipse",
    DEPLOYMENT: "doubleoctagon",
}


def _dot_quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\\\\n", "\\n")
    return f'"{escaped}"'


# Building -----------------------------------------------------------------------------------
def _short(run_id: str) -> str:
    return run_id[:8] if len(run_id) > 12 else run_id


def _dataset_attrs(ds: Dataset) -> dict[str, Any]:
    return {
        "names": [ds.name],
        "digests": [ds.digest] if ds.digest else [],
        "source": ds.source,
        "columns": _columns(ds.schema),
        "store": ds.store,
        "entity_ids": [ds.id],
    }


def _columns(schema: Any) -> list[dict[str, Any]]:
    if not isinstance(schema, dict):
        return []
    spec = schema.get("mlflow_colspec") or schema.get("fields") or []
    out = []
    for c in spec:
        if isinstance(c, dict) and c.get("name"):
            col = {"name": str(c["name"]), "type": str(c.get("type", ""))}
            for key in ("tags", "masked", "inputs"):
                if key in c:
                    col[key] = c[key]
            out.append(col)
    return out


def _add_dataset(graph: LineageGraph, node_id: str, ds: Dataset | None, name: str, digest: str, tags: Mapping[str, str], source: str = "") -> None:
    if node_id in graph.g:
        data = graph.g.nodes[node_id]
        if name and name not in data.setdefault("names", []):
            data["names"].append(name)
        if digest and digest not in data.setdefault("digests", []):
            data["digests"].append(digest)
        if ds is not None and ds.id not in data.setdefault("entity_ids", []):
            data["entity_ids"].append(ds.id)
        graph.add_node(node_id, DATASET, name or node_id, tags, **(_dataset_attrs(ds) if ds else {}))
        return
    attrs = _dataset_attrs(ds) if ds else {"names": [name], "digests": [digest] if digest else [], "source": source, "columns": [], "entity_ids": []}
    graph.add_node(node_id, DATASET, name or node_id.removeprefix("dataset:"), tags, **attrs)


#: items between two checkpoints while the graph is built (each a few microseconds of work)
_STEP = 200


def build_graph(
    catalog: Catalog,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> LineageGraph:
    """The lineage graph of a (merged) catalog. Dangling references are skipped with a
    warning on ``graph.warnings``; cycles are allowed (queries terminate)."""
    graph = LineageGraph()
    total = 5
    progress(0, total, "Lineage: datasets")
    ds_nodes: dict[str, str] = {}
    # every _STEP items a checkpoint: the GUI's load worker gives way to the UI thread while it is busy
    for i, ds in enumerate(catalog.datasets.values()):
        if i % _STEP == 0:
            checkpoint()
        nid = dataset_node_id(ds)
        ds_nodes[ds.id] = nid
        _add_dataset(graph, nid, ds, ds.name, ds.digest, ds.tags)
    check_cancelled(is_cancelled)

    progress(1, total, "Lineage: runs")

    run_nids: dict[str, str] = {}  # run id -> its node's id: one string for the node and its edges

    def ensure_run(run_id: str, placeholder: bool = True) -> str:
        nid = run_nids.get(run_id)
        if nid is not None:
            return nid
        nid = run_nids[run_id] = run_node_id(run_id)
        if nid not in graph.g:
            run = catalog.runs.get(run_id)
            if run is None:
                graph.add_node(nid, RUN, f"run {_short(run_id)}", placeholder=placeholder, run_id=run_id, missing=True)
            else:
                label = run.name or f"run {_short(run_id)}"
                graph.add_node(
                    nid, RUN, label,
                    {k: v for k, v in run.tags.items() if not k.startswith("mlflow.")},
                    run_id=run_id, user=run.user, status=run.status, experiment=run.experiment_name,
                    store=run.store,
                )
        return nid

    def add_inputs(run_nid: str, inputs: Iterable[DatasetInput]) -> None:
        for inp in inputs:
            ds_nid = ds_nodes.get(inp.dataset_id) or dataset_node_id(inp)
            _add_dataset(graph, ds_nid, None, inp.name, inp.digest, inp.tags, inp.source)
            graph.add_edge(ds_nid, run_nid, E_INPUT, context=inp.context)

    for i, run in enumerate(catalog.runs.values()):
        if i % 5000 == 0:
            check_cancelled(is_cancelled)
        if i % _STEP == 0:
            checkpoint()
        rnid = ensure_run(run.run_id, placeholder=False)
        add_inputs(rnid, run.inputs)
    checkpoint()
    for run in catalog.runs.values():
        if run.parent_run_id and run.parent_run_id in catalog.runs:
            graph.add_edge(run_node_id(run.parent_run_id), run_node_id(run.run_id), E_PARENT)

    progress(2, total, "Lineage: logged models")
    for lm in catalog.logged_models.values():
        lnid = logged_model_node_id(lm.model_id)
        graph.add_node(lnid, MODEL, f"{lm.name or 'model'} ({lm.model_id[:10]})", model_id=lm.model_id,
                       artifact_location=lm.artifact_location, subtype="logged_model", store=lm.store)
        if lm.source_run_id:
            graph.add_edge(ensure_run(lm.source_run_id), lnid, E_OUTPUT)
    for run in catalog.runs.values():
        for mid in run.output_model_ids:
            lnid = logged_model_node_id(mid)
            if lnid not in graph.g:
                graph.add_node(lnid, MODEL, mid, model_id=mid, subtype="logged_model", missing=True)
            graph.add_edge(run_node_id(run.run_id), lnid, E_OUTPUT)
    check_cancelled(is_cancelled)

    checkpoint()
    progress(3, total, "Lineage: model versions")
    for i, model in enumerate(catalog.models):
        if i % 50 == 0:
            checkpoint()
        mnid = model_node_id(model.name)
        graph.add_node(mnid, MODEL, model.name, model.tags, subtype="registered_model", store=model.store,
                       description=model.description)
        alias_of = {alias: str(v) for alias, v in model.aliases.items()}
        for mv in model.versions:
            if mv.deleted:
                continue
            _add_version(graph, catalog, mv, mnid, alias_of, ensure_run, add_inputs)
    check_cancelled(is_cancelled)

    progress(4, total, "Lineage: extra records")
    for rec in catalog.lineage_nodes:
        graph.add_node(rec.id, rec.kind, rec.label, rec.tags, **rec.attrs)
    for erec in catalog.lineage_edges:
        graph.add_edge(erec.source, erec.target, erec.kind)
    for w in graph.warnings[:20]:
        logger.warning("lineage: %s", w)
    if len(graph.warnings) > 20:
        logger.warning("lineage: %d more warnings", len(graph.warnings) - 20)
    progress(total, total, "Lineage ready")
    return graph


_shared_lock = threading.Lock()
_shared: list[tuple[Catalog, LineageGraph]] = []


def shared_graph(
    catalog: Catalog,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> LineageGraph:
    """The lineage graph of ``catalog``, built once and shared by every reader (findings,
    governance, monitoring, impact, the Lineage page): the graph of a big catalog takes
    hundreds of MB, and each of them building its own kept four at once. Only the last
    catalog's graph is kept; a reader asking while it is being built waits for it. Graphs are
    read-only (:class:`LineageGraph`), so sharing one across threads is safe."""
    with _shared_lock:
        for cat, graph in _shared:
            if cat is catalog:
                return graph
        graph = build_graph(catalog, progress, is_cancelled)
        _shared[:] = [(catalog, graph)]
        return graph


def _add_version(
    graph: LineageGraph,
    catalog: Catalog,
    mv: ModelVersion,
    mnid: str,
    alias_of: Mapping[str, str],
    ensure_run: Callable[..., str],
    add_inputs: Callable[[str, Iterable[DatasetInput]], None],
) -> None:
    vnid = version_node_id(mv.model_name, mv.version)
    graph.add_node(
        vnid, MODEL_VERSION, f"{mv.model_name} v{mv.version}", mv.tags,
        model_name=mv.model_name, version=mv.version, stage=mv.stage, aliases=mv.aliases,  # shared, never changed
        run_id=mv.run_id, source=mv.source, author=mv.author, status=mv.status, store=mv.store,
    )
    graph.add_edge(mnid, vnid, E_VERSION)
    linked = False
    lm_id = mv.logged_model_id
    if lm_id:
        lnid = logged_model_node_id(lm_id)
        if lnid in graph.g:
            graph.add_edge(lnid, vnid, E_REGISTERED)
            linked = bool(graph.g.pred[lnid])
    if mv.run_id and not linked:
        rnid = ensure_run(mv.run_id)
        if mv.run_id not in catalog.runs and mv.datasets:
            add_inputs(rnid, mv.datasets)
        graph.add_edge(rnid, vnid, E_REGISTERED)
    aliases = set(mv.aliases) | {a for a, v in alias_of.items() if v == mv.version}
    for alias in sorted(aliases):
        dnid = deployment_node_id(mv.model_name, alias, "alias")
        graph.add_node(dnid, DEPLOYMENT, f"{mv.model_name}@{alias}", subtype="alias", target=alias,
                       model_name=mv.model_name, version=mv.version)
        graph.add_edge(vnid, dnid, E_DEPLOYED)
    if mv.stage and mv.stage.strip().lower() not in NON_DEPLOYED_STAGES:
        dnid = deployment_node_id(mv.model_name, mv.stage, "stage")
        graph.add_node(dnid, DEPLOYMENT, f"{mv.model_name} [{mv.stage}]", subtype="stage", target=mv.stage,
                       model_name=mv.model_name)
        graph.add_edge(vnid, dnid, E_DEPLOYED)


def version_ref(graph: LineageGraph, node_id: str) -> tuple[str, str] | None:
    """``(model name, version)`` of a model_version node."""
    data = graph.g.nodes.get(node_id)
    if not data or data.get("kind") != MODEL_VERSION:
        return None
    return str(data.get("model_name", "")), str(data.get("version", ""))


__all__ = [
    "DATASET", "DEPLOYMENT", "JOB", "MODEL", "MODEL_VERSION", "NODE_KINDS", "RUN",
    "Impact", "LineageGraph", "build_graph", "shared_graph", "dataset_key", "dataset_node_id", "deployment_node_id",
    "job_node_id", "logged_model_node_id", "model_node_id", "normalise_location", "ol_dataset_location",
    "ol_dataset_node_id", "run_node_id", "source_location", "version_node_id", "version_ref",
]
