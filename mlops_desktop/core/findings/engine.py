"""The evaluation entry point: every registered rule over a catalog and governance facts."""

from __future__ import annotations

from collections.abc import Iterable

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.findings.context import DatasetContext, Draft, StoreContext, version_context
from mlops_desktop.core.findings.datasets import dataset_views
from mlops_desktop.core.findings.lineage_view import LineageView, default_lineage
from mlops_desktop.core.findings.model import Finding
from mlops_desktop.core.findings.registry import REGISTRY, Rule
from mlops_desktop.core.findings.settings import FindingSettings
from mlops_desktop.core.governance_facts import GovernanceFacts
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)


def stamp(rule: Rule, kind: str, drafts: Iterable[Draft], settings: FindingSettings) -> list[Finding]:
    """``drafts`` of ``rule`` as findings with the rule's id, title and (overridable) severity."""
    return [
        Finding(
            id=rule.id,
            severity=settings.severity_of(rule.id),
            object=d.object,
            rule=rule.title,
            evidence=d.evidence,
            remediation=d.remediation,
            object_kind=kind,
            models=tuple(sorted(set(d.models))),
            approvals=tuple(d.approvals),
            part=d.part,
        )
        for d in drafts
    ]


def evaluate(
    catalog: Catalog,
    governance: GovernanceFacts | None = None,
    settings: FindingSettings | None = None,
    *,
    lineage: LineageView | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> list[Finding]:
    """All findings for ``catalog`` (and ``governance`` when given), most severe first.

    Without governance facts, approval-based findings (F1, F11) still fire: no approval
    is known, so none is valid. F2, F15 and F18 need governance facts.
    """
    settings = settings or FindingSettings()
    gov = governance or GovernanceFacts()
    lineage = lineage if lineage is not None else default_lineage(catalog)
    today = settings.current_date()
    rules = list(REGISTRY.values())
    out: list[Finding] = []

    models = sorted(catalog.models, key=lambda m: m.name)
    total = len(models) + 2
    progress(0, total, "Evaluating findings")
    for i, model in enumerate(models):
        check_cancelled(is_cancelled)
        for version in model.visible_versions(include_deleted=True):
            ctx = version_context(catalog, gov, settings, lineage, model, version, today)
            for rule in rules:
                check = rule.deleted_check if version.deleted else rule.version_check
                if check is not None:
                    out.extend(stamp(rule, "model_version", check(ctx), settings))
        progress(i + 1, total, f"Evaluated {model.name}")

    check_cancelled(is_cancelled)
    views = dataset_views(catalog, lineage)
    for view in sorted(views.values(), key=lambda v: (v.name, v.digest, v.id)):
        dctx = DatasetContext(settings, view, today, views)
        for rule in rules:
            if rule.dataset_check is not None:
                out.extend(stamp(rule, "dataset", rule.dataset_check(dctx), settings))
    progress(len(models) + 1, total, "Evaluated datasets")

    sctx = StoreContext(settings, gov)
    for rule in rules:
        if rule.store_check is not None:
            out.extend(stamp(rule, "audit_log", rule.store_check(sctx), settings))
    progress(total, total, "Findings ready")
    return sorted(out, key=lambda f: f.sort_key)
