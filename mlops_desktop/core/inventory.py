"""The inventory: every registered model and version with where it is and what fed it.

``inventory_json`` is the exact shape of ``mlops-desktop inventory --format json``
(DESIGN.md), which scripts rely on; ``inventory_rows`` is the flat form for CSV/tables.
"""

from __future__ import annotations

from typing import Any

from mlops_desktop.core.entities import (
    Catalog,
    ExternalApproval,
    ModelVersion,
    RegisteredModel,
    iso,
)


def version_json(model: RegisteredModel, v: ModelVersion) -> dict[str, Any]:
    return {
        "version": v.version,
        "stage": v.stage,
        "aliases": list(v.aliases),
        "status": v.status,
        "author": v.author,
        "run_id": v.run_id,
        "source": v.source,
        "created_at": iso(v.created_at),
        "tags": dict(v.tags),
        "datasets": [
            {"name": d.name, "digest": d.digest, "source": d.source, "context": d.context, "tags": dict(d.tags)}
            for d in v.datasets
        ],
        "classification": v.classification(model.tags).as_json(),
        # only stores whose registry has its own approval states (SageMaker, DataRobot) add this
        **({"external_approvals": [external_approval_json(a) for a in v.external_approvals]}
           if v.external_approvals else {}),
    }


def external_approval_json(a: ExternalApproval) -> dict[str, Any]:
    """An approval state another registry claims: shown as a claim, never as a signature."""
    return {"system": a.system, "status": a.status, "approved": a.approved, "principal": a.principal,
            "at": iso(a.at), "note": a.note, "evidence": a.evidence, "at_creation": a.at_creation,
            "signed": False, "statement": a.statement()}


def inventory_json(catalog: Catalog, include_deleted: bool = False) -> dict[str, Any]:
    return {
        "stores": [{"kind": s.kind, "url": s.url, "schema": s.schema} for s in catalog.stores],
        "models": [
            {
                "name": m.name,
                "description": m.description,
                "tags": dict(m.tags),
                "aliases": dict(sorted(m.aliases.items())),
                "versions": [version_json(m, v) for v in m.visible_versions(include_deleted)],
            }
            for m in catalog.models
        ],
    }


ROW_COLUMNS = ("model", "version", "stage", "aliases", "status", "author", "run_id", "created_at", "pii", "phi",
               "risk_tier", "datasets", "source")


def inventory_rows(catalog: Catalog, include_deleted: bool = False) -> list[dict[str, Any]]:
    """One row per version (a model without versions gets one row with an empty version)."""
    rows: list[dict[str, Any]] = []
    for m in catalog.models:
        versions = m.visible_versions(include_deleted)
        if not versions:
            rows.append({"model": m.name, "version": "", "risk_tier": m.tags.get("risk_tier", "")})
            continue
        for v in versions:
            cls = v.classification(m.tags)
            rows.append({
                "model": m.name,
                "version": v.version,
                "stage": v.stage or "",
                "aliases": ",".join(v.aliases),
                "status": v.status,
                "author": v.author or "",
                "run_id": v.run_id or "",
                "created_at": iso(v.created_at) or "",
                "pii": "yes" if cls.pii else "no",
                "phi": "yes" if cls.phi else "no",
                "risk_tier": m.tags.get("risk_tier", ""),
                "datasets": ";".join(f"{d.name}@{d.digest}" for d in v.datasets),
                "source": v.source,
            })
    return rows
