"""The evaluation entry point: every registered rule over a catalog and governance facts."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.findings.context import DatasetContext, Draft, StoreContext, version_context
from mlops_desktop.core.findings.datasets import DatasetView, dataset_views
from mlops_desktop.core.findings.lineage_view import LineageView, default_lineage
from mlops_desktop.core.findings.model import Finding
from mlops_desktop.core.findings.registry import REGISTRY, Rule
from mlops_desktop.core.findings.settings import FindingSettings
from mlops_desktop.core.governance_facts import GovernanceFacts
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    checkpoint,
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
    models: Collection[str] | None = None,
    views: Mapping[str, DatasetView] | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> list[Finding]:
    """All findings for ``catalog`` (and ``governance`` when given), most severe first.

    Without governance facts, approval-based findings (F1, F11) still fire: no approval
    is known, so none is valid. F2, F15 and F18 need governance facts.

    ``models`` (registered-model names; empty or None: all) evaluates only what a report of those
    models shows, and gives exactly ``scope_findings(evaluate(catalog, ...), models)``: the version
    rules on those models' versions (a version finding concerns its own model only), the dataset
    rules on the datasets that feed one of them or no model at all (a dataset finding concerns
    models among the dataset's consumers, whose list is still built from the whole catalog), and
    the store-wide rules.

    ``views``: ``dataset_views(catalog, lineage)`` when the caller has built it already (a report
    shows the same datasets); built here otherwise.
    """
    settings = settings or FindingSettings()
    gov = governance or GovernanceFacts()
    lineage = lineage if lineage is not None else default_lineage(catalog)
    today = settings.current_date()
    rules = list(REGISTRY.values())
    out: list[Finding] = []

    wanted = {m for m in models or () if m}
    in_scope = sorted((m for m in catalog.models if not wanted or m.name in wanted), key=lambda m: m.name)
    total = len(in_scope) + 2
    progress(0, total, "Evaluating findings")
    for i, model in enumerate(in_scope):
        check_cancelled(is_cancelled)
        for version in model.visible_versions(include_deleted=True):
            checkpoint()
            ctx = version_context(catalog, gov, settings, lineage, model, version, today)
            for rule in rules:
                check = rule.deleted_check if version.deleted else rule.version_check
                if check is not None:
                    out.extend(stamp(rule, "model_version", check(ctx), settings))
        progress(i + 1, total, f"Evaluated {model.name}")

    check_cancelled(is_cancelled)
    if views is None:
        views = dataset_views(catalog, lineage)
    for view in sorted(views.values(), key=lambda v: (v.name, v.digest, v.id)):
        checkpoint()
        if wanted and view.consumers and not any(m.name in wanted for m, _ in view.consumers):
            continue
        dctx = DatasetContext(settings, view, today, views)
        for rule in rules:
            if rule.dataset_check is not None:
                out.extend(stamp(rule, "dataset", rule.dataset_check(dctx), settings))
    progress(len(in_scope) + 1, total, "Evaluated datasets")

    sctx = StoreContext(settings, gov)
    for rule in rules:
        if rule.store_check is not None:
            out.extend(stamp(rule, "audit_log", rule.store_check(sctx), settings))
    progress(total, total, "Findings ready")
    return sorted(out, key=lambda f: f.sort_key)
