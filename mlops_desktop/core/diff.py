"""Compare two versions of a registered model: params, latest metrics, dataset inputs
(digest changes flagged), classification and upstream lineage. Qt-free."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mlops_desktop.core.classification import Classification
from mlops_desktop.core.entities import Catalog, DatasetInput, ModelVersion, Run, iso
from mlops_desktop.core.errors import UsageError
from mlops_desktop.core.lineage import LineageGraph, build_graph, version_node_id

SAME, CHANGED, ADDED, REMOVED = "same", "changed", "added", "removed"


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One compared item; ``status`` is same / changed / added / removed."""

    section: str  # version | param | metric | dataset | classification | lineage
    key: str
    old: str | None
    new: str | None
    status: str
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"section": self.section, "key": self.key, "from": self.old, "to": self.new,
                "status": self.status, "note": self.note}


@dataclass(slots=True)
class VersionDiff:
    model: str
    old: ModelVersion
    new: ModelVersion
    rows: list[DiffRow] = field(default_factory=list)

    def section(self, name: str) -> list[DiffRow]:
        return [r for r in self.rows if r.section == name]

    @property
    def changed(self) -> list[DiffRow]:
        return [r for r in self.rows if r.status != SAME]

    def to_json(self) -> dict[str, Any]:
        def head(v: ModelVersion) -> dict[str, Any]:
            return {"version": v.version, "stage": v.stage, "aliases": list(v.aliases), "author": v.author,
                    "run_id": v.run_id, "created_at": iso(v.created_at), "status": v.status}

        out: dict[str, Any] = {"model": self.model, "from": head(self.old), "to": head(self.new)}
        for name, key in (("version", "version_fields"), ("param", "params"), ("metric", "metrics"),
                          ("dataset", "datasets"), ("classification", "classification"),
                          ("lineage", "lineage")):
            out[key] = [r.as_json() for r in self.section(name)]
        out["summary"] = {"changed": sum(r.status == CHANGED for r in self.rows),
                          "added": sum(r.status == ADDED for r in self.rows),
                          "removed": sum(r.status == REMOVED for r in self.rows)}
        return out


def _status(old: str | None, new: str | None) -> str:
    if old is None and new is not None:
        return ADDED
    if new is None and old is not None:
        return REMOVED
    return SAME if old == new else CHANGED


def _compare(section: str, old: dict[str, str], new: dict[str, str]) -> list[DiffRow]:
    keys = sorted(set(old) | set(new))
    return [DiffRow(section, k, old.get(k), new.get(k), _status(old.get(k), new.get(k))) for k in keys]


def _fmt_number(value: float) -> str:
    return f"{value:.6g}"


def _datasets(catalog: Catalog, v: ModelVersion) -> list[DatasetInput]:
    if v.datasets:
        return list(v.datasets)
    run = catalog.runs.get(v.run_id or "")
    return list(run.inputs) if run else []


def _class_text(c: Classification) -> dict[str, str]:
    out = {"pii": str(c.pii).lower(), "phi": str(c.phi).lower()}
    if c.special_categories:
        out["special_categories"] = ",".join(c.special_categories)
    for key in ("lawful_basis", "hipaa_deidentified", "risk_tier", "retention_until", "purpose"):
        if key in c.facts:
            out[key] = c.facts[key]
    return out


def diff_versions(
    catalog: Catalog,
    model: str,
    old_version: str,
    new_version: str,
    graph: LineageGraph | None = None,
    read_run: Callable[[ModelVersion], Run | None] | None = None,
) -> VersionDiff:
    """Compare ``old_version`` with ``new_version`` of ``model`` (UsageError if unknown).
    ``read_run``: a version's run with its params and metrics (default: ``catalog.full_run``)."""
    reg = catalog.model(model)
    if reg is None:
        raise UsageError(f"No registered model named {model!r}.", "List models with `mlops-desktop inventory`.")
    versions = []
    for ver in (old_version, new_version):
        mv = reg.version(str(ver))
        if mv is None:
            known = ", ".join(v.version for v in reg.visible_versions()) or "none"
            raise UsageError(f"Model {model!r} has no version {ver!r} (versions: {known}).")
        versions.append(mv)
    old, new = versions
    graph = graph if graph is not None else build_graph(catalog)
    diff = VersionDiff(model, old, new)
    rows = diff.rows

    # version fields
    def fields(v: ModelVersion) -> dict[str, str]:
        out = {"stage": v.stage or "", "aliases": ",".join(sorted(v.aliases)), "author": v.author or "",
               "run_id": v.run_id or "", "source": v.source, "status": v.status}
        out.update({f"tag:{k}": val for k, val in v.tags.items()})
        return {k: val for k, val in out.items() if val != ""}

    rows += _compare("version", fields(old), fields(new))

    whole = read_run or (lambda mv: catalog.full_run(mv.run_id))
    old_run, new_run = whole(old), whole(new)
    rows += _compare("param", dict(old_run.params) if old_run else {}, dict(new_run.params) if new_run else {})

    old_m = {k: m.value for k, m in (old_run.metrics if old_run else {}).items()}
    new_m = {k: m.value for k, m in (new_run.metrics if new_run else {}).items()}
    for key in sorted(set(old_m) | set(new_m)):
        a, b = old_m.get(key), new_m.get(key)
        note = f"delta {_fmt_number(b - a):s}" if a is not None and b is not None and a != b else ""
        rows.append(DiffRow("metric", key, None if a is None else _fmt_number(a),
                            None if b is None else _fmt_number(b), _status(
                                None if a is None else repr(a), None if b is None else repr(b)), note))

    # dataset inputs, matched by (name, context); a different digest is flagged
    def by_key(inputs: list[DatasetInput]) -> dict[str, DatasetInput]:
        return {f"{d.name} ({d.context})" if d.context else d.name: d for d in inputs}

    od, nd = by_key(_datasets(catalog, old)), by_key(_datasets(catalog, new))
    for key in sorted(set(od) | set(nd)):
        a_in, b_in = od.get(key), nd.get(key)
        a_txt = a_in.digest if a_in else None
        b_txt = b_in.digest if b_in else None
        status = _status(a_txt, b_txt)
        note = ""
        if status == CHANGED:
            note = "digest changed: the data is not the same"
        elif status == SAME and a_in and b_in and a_in.source != b_in.source:
            status, note = CHANGED, "source changed"
        rows.append(DiffRow("dataset", key, a_txt, b_txt, status, note))

    # classification (effective, along lineage)
    def eff(v: ModelVersion) -> dict[str, str]:
        node = version_node_id(model, v.version)
        c = graph.effective_classification(node) if node in graph else v.classification(reg.tags)
        return _class_text(c)

    rows += _compare("classification", eff(old), eff(new))

    # upstream lineage (by label, so the same dataset in two runs compares equal)
    def upstream(v: ModelVersion) -> dict[str, str]:
        node = version_node_id(model, v.version)
        if node not in graph:
            return {}
        out: dict[str, str] = {}
        for n in graph.upstream(node):
            data = graph.g.nodes[n]
            if data["kind"] in ("dataset", "job"):
                out[f"{data['kind']}:{data['label']}"] = n
        return out

    ou, nu = upstream(old), upstream(new)
    for key in sorted(set(ou) | set(nu)):
        rows.append(DiffRow("lineage", key, ou.get(key), nu.get(key), _status(
            "present" if key in ou else None, "present" if key in nu else None)))
    return diff


__all__ = ["ADDED", "CHANGED", "REMOVED", "SAME", "DiffRow", "VersionDiff", "diff_versions"]
