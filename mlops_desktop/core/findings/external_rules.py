"""Rules on the approval states other registries claim (SageMaker ``ModelApprovalStatus``,
DataRobot change-request reviews): F21, F22, F23.

Those claims are :class:`~mlops_desktop.core.entities.ExternalApproval` records on a
version. Nobody signed them, so they never count as approvals here (F1 still asks for
signed ones); these rules check what the claims themselves say.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from mlops_desktop.core.entities import Catalog, ExternalApproval, iso
from mlops_desktop.core.findings.context import Draft, VersionContext

_endpoint_cache: tuple[object, dict[tuple[str, str], list[str]]] | None = None


def _current(ctx: VersionContext) -> list[ExternalApproval]:
    """The latest claim of each system about this version."""
    latest: dict[str, ExternalApproval] = {}
    for claim in ctx.version.external_approvals:
        old = latest.get(claim.system)
        if old is None or (claim.at and (old.at is None or claim.at >= old.at)):
            latest[claim.system] = claim
    return [latest[s] for s in sorted(latest)]


#: How each registry lets an organisation keep creators from approving, and where the reason goes.
_SEPARATE_APPROVER = {
    "sagemaker": "require a separate approver role (e.g. deny UpdateModelPackage to the creating role)",
    "datarobot": "set the deployment approval policy's reviewer groups so that a version's creator cannot "
                 "review its change requests",
}
_REASON_FIELD = {"sagemaker": "approval description", "datarobot": "review comment"}


def _creators(ctx: VersionContext) -> set[str]:
    return {p.strip().lower() for p in (ctx.version.user_id,) if p}


def _endpoints(catalog: Catalog) -> Mapping[tuple[str, str], list[str]]:
    """(model, version) -> names of the endpoints/deployments serving it, from the sources'
    deployment records (computed once per catalog)."""
    global _endpoint_cache
    if _endpoint_cache is not None and _endpoint_cache[0] is catalog.lineage_nodes:
        return _endpoint_cache[1]
    index: dict[tuple[str, str], list[str]] = {}
    for rec in catalog.lineage_nodes:
        endpoint = rec.attrs.get("endpoint")
        if rec.kind == "deployment" and endpoint:
            key = (str(rec.attrs.get("model_name", "")), str(rec.attrs.get("version", "")))
            index.setdefault(key, []).append(str(endpoint))
    _endpoint_cache = (catalog.lineage_nodes, index)
    return index


def f21_approved_by_creator(ctx: VersionContext) -> Iterator[Draft]:
    """The principal who approved the package (per the external claim) is the one who created it."""
    creators = _creators(ctx)
    for claim in _current(ctx):
        if claim.approved and claim.principal and claim.principal.strip().lower() in creators:
            how = "; the approval was set by the call that created it" if claim.at_creation else ""
            yield Draft(
                ctx.uri,
                f"The version is {claim.statement()}; {claim.principal} is also the principal who created it{how} "
                f"(evidence: {claim.evidence or 'the registry record'}).",
                f"Have someone other than the creator review the version and set its approval in "
                f"{claim.system_label}; {_SEPARATE_APPROVER.get(claim.system, 'require a separate approver role')}, "
                "and sign the decision here.",
                models=[ctx.model.name],
            )


def f22_approved_without_review_record(ctx: VersionContext) -> Iterator[Draft]:
    """Approved with no description, or approved at creation time (no separate review step)."""
    for claim in _current(ctx):
        if not claim.approved:
            continue
        gaps = []
        if not claim.note.strip():
            gaps.append(f"no {_REASON_FIELD.get(claim.system, 'approval description')}")
        if claim.at_creation:
            gaps.append(f"the approval set when the version was created ({iso(ctx.version.created_at) or iso(claim.at)})")
        if gaps:
            yield Draft(
                ctx.uri,
                f"The version is {claim.statement()}, with {' and '.join(gaps)}.",
                f"Record why the version was approved ({_REASON_FIELD.get(claim.system, 'approval description')} in "
                f"{claim.system_label}) after a review "
                "separate from its registration, and sign the decision here.",
                models=[ctx.model.name],
            )


def f23_deployed_while_not_approved(ctx: VersionContext) -> Iterator[Draft]:
    """Served by an endpoint (deployment) while the registry's own status is not Approved."""
    endpoints = _endpoints(ctx.catalog).get((ctx.model.name, ctx.version.version), [])
    if not endpoints:
        return
    for claim in _current(ctx):
        if claim.approved:
            continue
        yield Draft(
            ctx.uri,
            f"Deployed on {', '.join(sorted(endpoints))} while its {claim.system_label} status is "
            f"{claim.status!r} ({claim.statement()}).",
            f"Take the version off the endpoint, or complete its review and approval in {claim.system_label} "
            "and sign the decision here.",
            models=[ctx.model.name],
        )
