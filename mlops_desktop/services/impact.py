"""Impact of a dataset: every model version and deployment downstream of it, with its
classification and, for the GUI, its governance status.

``mlops-desktop impact`` prints :func:`impact_json`; the Lineage page's impact view shows
:func:`impact_report`, built on the same :meth:`~mlops_desktop.core.lineage.LineageGraph.impact`
query, plus each version's held targets as ``verify`` judges them
(:func:`~mlops_desktop.services.governance_status.load_status`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.lineage import (
    DATASET,
    MODEL_VERSION,
    LineageGraph,
    shared_graph,
    version_ref,
)
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)

if TYPE_CHECKING:
    from mlops_desktop.core.classification import Classification
    from mlops_desktop.core.entities import Catalog
    from mlops_desktop.services.governance_status import GovernanceStatus, TargetStatus
    from mlops_desktop.services.settings import VerificationSettings

logger = logging.getLogger(__name__)


def impact_json(graph: LineageGraph, dataset: str) -> dict[str, Any]:
    """``impact --format json``: the dataset, and every version, deployment, model and dataset
    downstream of it, each version and deployment with the path that links it to the dataset."""
    impact = graph.impact(dataset)
    data = graph.node(dataset)
    cls = graph.effective_classification(dataset)

    def version_item(n: str) -> dict[str, Any]:
        ref = version_ref(graph, n) or ("", "")
        d = graph.node(n)
        return {"id": n, "model": ref[0], "version": ref[1], "stage": d.get("stage"),
                "aliases": list(d.get("aliases") or []),
                "classification": graph.effective_classification(n).as_json(),
                "path": graph.explain_path(dataset, n)}

    def deployment_item(n: str) -> dict[str, Any]:
        d = graph.node(n)
        return {"id": n, "label": d["label"], "type": d.get("subtype", ""), "model": d.get("model_name"),
                "target": d.get("target"), "path": graph.explain_path(dataset, n)}

    return {
        "dataset": {**graph.node_json(dataset), "classification": cls.as_json(),
                    "names": list(data.get("names") or []), "digests": list(data.get("digests") or [])},
        "versions": [version_item(n) for n in impact.versions],
        "deployments": [deployment_item(n) for n in impact.deployments],
        "models": [graph.node_json(n) for n in impact.models],
        "datasets": [graph.node_json(n) for n in impact.datasets],
        "runs": len(impact.runs),
    }


@dataclass(frozen=True, slots=True)
class ImpactedVersion:
    node_id: str
    model: str
    version: str
    label: str
    targets: tuple[str, ...]  # the stage and aliases it holds (its deployments)
    classification: Classification
    path: tuple[str, ...]  # node ids from the dataset to the version
    statuses: tuple[TargetStatus, ...] = ()  # each held target as verify judges it (no store: none)


@dataclass(frozen=True, slots=True)
class ImpactedDeployment:
    node_id: str
    label: str
    model: str
    target: str
    kind: str  # alias | stage
    versions: tuple[str, ...]  # the versions (downstream of the dataset) deployed there
    classification: Classification
    path: tuple[str, ...]
    statuses: tuple[TargetStatus, ...] = ()  # the target of each of those versions


@dataclass(slots=True)
class ImpactReport:
    """What :func:`impact_report` found for one dataset."""

    dataset: str
    label: str
    classification: Classification
    versions: list[ImpactedVersion] = field(default_factory=list)
    deployments: list[ImpactedDeployment] = field(default_factory=list)
    models: list[str] = field(default_factory=list)  # node ids
    datasets: list[str] = field(default_factory=list)  # derived datasets (node ids)
    runs: int = 0
    governance_url: str | None = None  # where the statuses were read (None: not read)
    note: str = ""  # why there are no statuses, if there are none
    graph: LineageGraph | None = field(default=None, repr=False)

    @property
    def node_ids(self) -> list[str]:
        """The affected versions and deployments (what the lineage graph highlights)."""
        return [*(v.node_id for v in self.versions), *(d.node_id for d in self.deployments)]


def _load_statuses(
    url: str | None, catalog: Catalog, settings: VerificationSettings | None, versions: list[tuple[str, str]],
    is_cancelled: CancelledFn,
) -> tuple[GovernanceStatus | None, str]:
    """The governance status of ``versions`` (None and why when it cannot be read)."""
    from mlops_desktop.governance.db import resolve_url
    from mlops_desktop.services.governance_status import load_status

    if not versions:
        return None, ""
    if not url and (path := resolve_url(None)[1]) is not None and not path.exists():
        return None, "No governance store: no decision is known, so no target is approved."
    try:
        return load_status(url, catalog, settings, versions=versions, is_cancelled=is_cancelled), ""
    except MlopsError as exc:
        logger.info("Governance status not read for the impact: %s", exc)
        return None, f"Governance status not read: {exc.message}" + (f" {exc.hint}" if exc.hint else "")


def impact_report(
    catalog: Catalog,
    dataset_ref: str,
    governance_url: str | None = None,
    settings: VerificationSettings | None = None,
    *,
    graph: LineageGraph | None = None,
    with_governance: bool = True,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> ImpactReport:
    """Every version and deployment downstream of the dataset ``dataset_ref`` (a node id,
    location, name or name@digest, as ``impact --dataset`` takes it), with its classification
    and each held target's governance status from the store at ``governance_url``."""
    if graph is None:
        graph = shared_graph(catalog, progress, is_cancelled)
    check_cancelled(is_cancelled)
    dataset = graph.resolve(dataset_ref, kinds={DATASET})
    impact = graph.impact(dataset)
    refs = [r for n in impact.versions if (r := version_ref(graph, n)) is not None]
    status, note = (_load_statuses(governance_url, catalog, settings, refs, is_cancelled)
                    if with_governance else (None, ""))
    check_cancelled(is_cancelled)
    report = ImpactReport(dataset, graph.label(dataset), graph.effective_classification(dataset),
                          models=list(impact.models), datasets=list(impact.datasets), runs=len(impact.runs),
                          governance_url=status.url if status is not None else None, note=note, graph=graph)
    for n in impact.versions:
        model, version = version_ref(graph, n) or ("", "")
        vg = status.of(model, version) if status is not None else None
        d = graph.node(n)
        targets = [t for t in (d.get("stage"),) if t and t not in ("None", "Archived")]
        targets += [a for a in d.get("aliases") or [] if a not in targets]
        if vg is not None:
            targets = list(vg.targets) or targets
        report.versions.append(ImpactedVersion(
            n, model, version, graph.label(n), tuple(targets), graph.effective_classification(n),
            tuple(graph.explain_path(dataset, n)), tuple(vg.targets.values()) if vg is not None else ()))
    affected = set(impact.versions)
    for n in impact.deployments:
        d = graph.node(n)
        target = str(d.get("target") or "")
        versions = [p for p in graph.g.predecessors(n) if p in affected and graph.kind(p) == MODEL_VERSION]
        statuses: list[TargetStatus] = []
        for p in versions:
            model, version = version_ref(graph, p) or ("", "")
            ts = status.target(model, version, target) if status is not None else None
            if ts is not None:
                statuses.append(ts)
        report.deployments.append(ImpactedDeployment(
            n, graph.label(n), str(d.get("model_name") or ""), target, str(d.get("subtype") or ""),
            tuple(graph.label(p) for p in versions), graph.effective_classification(n),
            tuple(graph.explain_path(dataset, n)), tuple(statuses)))
    return report
