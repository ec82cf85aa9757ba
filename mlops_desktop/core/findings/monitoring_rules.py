"""Rules on monitoring evidence (:mod:`mlops_desktop.core.monitoring`): F24, F25, F26.

- F24: a deployed version with no monitoring result within
  ``FindingSettings.monitoring_max_age_days`` days (its own, or its training datasets').
- F25: drift above threshold found after the latest approval of a target the version is
  deployed to (that approval's evidence is stale); without an approval for the target, after
  the version was registered.
- F26: the latest data-quality result of a dataset that trains a deployed version has
  failed checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from mlops_desktop.core.entities import Catalog, iso
from mlops_desktop.core.findings.context import Draft, VersionContext
from mlops_desktop.core.monitoring import (
    DATA_QUALITY,
    DRIFT,
    MonitoringIndex,
    current_results,
    version_monitoring,
)

_index_cache: tuple[Catalog, int, MonitoringIndex] | None = None


def monitoring_index(catalog: Catalog) -> MonitoringIndex:
    """The catalog's linked monitoring results (built once per catalog)."""
    global _index_cache
    key = len(catalog.monitoring) + len(catalog.runs)
    if _index_cache is not None and _index_cache[0] is catalog and _index_cache[1] == key:
        return _index_cache[2]
    index = MonitoringIndex.build(catalog)
    _index_cache = (catalog, key, index)
    return index


def f24_not_monitored(ctx: VersionContext) -> Iterator[Draft]:
    if not ctx.targets or not ctx.active:
        return
    days = ctx.settings.monitoring_max_age_days
    vm = version_monitoring(monitoring_index(ctx.catalog), ctx.version, deployed=True, now=ctx.today,
                            max_age_days=days, lineage=ctx.lineage, model=ctx.model)
    if vm.status != "not-monitored":
        return
    last = f"the last one is from {iso(vm.last_checked)}" if vm.last_checked else "none was ever recorded"
    yield Draft(
        ctx.uri,
        f"Deployed as {', '.join(ctx.targets)}; no monitoring result (drift or data-quality) for the version or "
        f"its training datasets within {days} days of {ctx.today.isoformat()}; {last}.",
        "Schedule drift and data-quality monitoring for the deployed version (Evidently, Great Expectations, "
        "SageMaker Model Monitor or an MLflow monitoring run) and link the results to it "
        "(docs/MONITORING.md).",
        models=[ctx.model.name],
    )


def _approved_at(ctx: VersionContext, target: str) -> datetime | None:
    """The time of the latest approval of ``target`` that counts (a valid signature: an invalid,
    untrusted, revoked or expired one never makes earlier drift look reviewed)."""
    times = [a.signed_at for a in ctx.approvals
             if a.valid and a.decision.upper() == "APPROVED" and a.target.lower() == target.lower() and a.signed_at]
    return max(times) if times else None


def f25_drift_after_approval(ctx: VersionContext) -> Iterator[Draft]:
    if not ctx.targets or not ctx.active:
        return
    index = monitoring_index(ctx.catalog)
    own = [r for r in index.by_version.get((ctx.version.model_name, ctx.version.version), [])
           if r.kind == DRIFT and r.at is not None and r.has_drift]
    if not own:
        return
    for target in ctx.targets:
        approved = _approved_at(ctx, target)
        since = approved or ctx.version.created_at
        later = [r for r in own if since is None or (r.at is not None and r.at >= since)]
        if not later:
            continue
        latest = later[-1]
        features = ", ".join(sorted({d.feature for r in later for d in r.drifted_features}))
        basis = (f"the latest approval for {target} at {iso(approved)}" if approved else
                 f"registration at {iso(ctx.version.created_at)} (no approval for {target} recorded)")
        yield Draft(
            ctx.uri,
            f"Deployed as {target}; {len(later)} drift result(s) above threshold since {basis}, the latest "
            f"{latest.id} at {iso(latest.at)}: {latest.summary()}. Drifted features: {features}.",
            "Review the drift with the model owner: retrain or recalibrate, or record why the drift is acceptable, "
            f"and have the {target} approval signed again on the current evidence.",
            models=[ctx.model.name],
        )


def f26_failed_data_quality(ctx: VersionContext) -> Iterator[Draft]:
    if not ctx.targets or not ctx.active:
        return
    index = monitoring_index(ctx.catalog)
    for nid in index.dataset_ids_of(ctx.version, ctx.lineage, ctx.model):
        results = [r for r in index.by_dataset.get(nid, []) if r.kind == DATA_QUALITY]
        for r in current_results(results):
            failed = r.failed_checks
            if not failed:
                continue
            yield Draft(
                ctx.uri,
                f"Deployed as {', '.join(ctx.targets)}; training dataset {nid.removeprefix('dataset:')} failed "
                f"{len(failed)} of {len(r.checks)} data-quality checks in {r.id} at {iso(r.at)}: "
                + "; ".join(c.name + (f" ({c.detail})" if c.detail else "") for c in failed[:6]) + ".",
                "Investigate the failed checks with the data owner; if the training data was affected, retrain "
                "and re-approve the version, otherwise record why the failures do not affect it.",
                models=[ctx.model.name],
            )
