"""Rules checked on every visible model version (one function per rule).

Deployment rules (F1, F11, F17) apply to versions with a production target; data-use
rules (F7, F8, F9, F10, F16) to active versions; approval rules (F2, F18) to every
version with decisions on record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlops_desktop.core.classification import classify, is_true, normalise_tags
from mlops_desktop.core.findings.context import (
    Draft,
    VersionContext,
    countable,
    negative,
    split_list,
    unknown_values,
)
from mlops_desktop.core.governance_facts import (
    STATUS_EVIDENCE_CHANGED,
    STATUS_EXPIRED,
    STATUS_VALID,
)


def _deployed_as(ctx: VersionContext) -> str:
    return ", ".join(repr(t) for t in ctx.targets)


def f1_unapproved_deployment(ctx: VersionContext) -> Iterator[Draft]:
    """Each production target needs ``min_approvals`` distinct valid approvals by non-authors."""
    if not ctx.targets:
        return
    minimum = ctx.settings.min_approvals
    missing = []
    cited: list[str] = []
    for target in ctx.targets:
        on_target = [a for a in ctx.approvals if a.target.strip().lower() == target.lower()]
        keys = {a.key_id for a in on_target if countable(a) and not ctx.by_author(a)}
        if len(keys) < minimum:
            cited.extend(a.envelope_id for a in on_target)
            states = ", ".join(sorted({f"{a.decision.lower()}/{a.status}" for a in on_target})) or "none recorded"
            missing.append(f"{target!r} has {len(keys)} of {minimum} valid approvals (on record: {states})")
    if missing:
        yield Draft(
            ctx.uri,
            f"Deployed as {_deployed_as(ctx)}; " + "; ".join(missing) + ".",
            f"Obtain {minimum} signed approvals by distinct trusted approvers (not the author) for "
            "each production target, or withdraw the deployment.",
            models=[ctx.model.name],
            approvals=cited,
        )


def f2_author_approves(ctx: VersionContext) -> Iterator[Draft]:
    """The approver is the version's author or its run's user (genuine signatures only)."""
    for a in ctx.approvals:
        if a.decision.upper() != "APPROVED" or a.status not in (STATUS_VALID, STATUS_EXPIRED, STATUS_EVIDENCE_CHANGED):
            continue
        if ctx.by_author(a):
            yield Draft(
                ctx.uri,
                f"Approval for target {a.target!r} (envelope {a.envelope_id}) is signed by {a.signer_identity} "
                f"(key {a.key_id[:16]}…), who is the version's author or its run's user.",
                "Have an approver who neither built nor trained this version approve it; the author's approval does "
                "not count toward the policy.",
                models=[ctx.model.name],
                approvals=[a.envelope_id],
                part=a.envelope_id,
            )


def f7_automated_decision_without_review(ctx: VersionContext) -> Iterator[Draft]:
    if not ctx.active:
        return
    f = ctx.classification.facts
    if is_true(f.get("automated_decision")) and is_true(f.get("legal_effect")) and not is_true(f.get("human_review")):
        yield Draft(
            ctx.uri,
            f"automated_decision={f.get('automated_decision')}, legal_effect={f.get('legal_effect')}, "
            f"human_review={f.get('human_review', 'not recorded')}.",
            "Record the human review step (tag human_review) or document why Art. 22(2) allows the decision.",
            models=[ctx.model.name],
        )


def f8_dpia_missing(ctx: VersionContext) -> Iterator[Draft]:
    if not ctx.active:
        return
    facts = ctx.classification
    f = facts.facts
    reasons = []
    if facts.special_categories or facts.phi:
        reasons.append("special-category data" + (f" ({', '.join(facts.special_categories)})" if facts.special_categories else " (PHI)"))
    if is_true(f.get("automated_decision")):
        reasons.append("automated decision-making")
    if (f.get("risk_tier") or "").lower() == "high":
        reasons.append("risk_tier=high")
    if reasons and negative(f.get("dpia_reference")):
        yield Draft(
            ctx.uri,
            f"A DPIA is expected ({'; '.join(reasons)}) but no dpia_reference is recorded on the model, version or "
            "datasets.",
            "Carry out (or link) the data-protection impact assessment and tag its id as dpia_reference.",
            models=[ctx.model.name],
        )


def f9_purpose_not_permitted(ctx: VersionContext) -> Iterator[Draft]:
    if not ctx.active:
        return
    version, model = ctx.version, ctx.model
    purpose = normalise_tags(version.tags).get("purpose") or normalise_tags(model.tags).get("purpose")
    if not purpose:
        return
    for inp in version.datasets:
        permitted = split_list(normalise_tags(inp.tags).get("purposes"))
        ds = ctx.catalog.datasets.get(inp.dataset_id)
        if not permitted and ds is not None:
            permitted = split_list(normalise_tags(ds.tags).get("purposes"))
        if permitted and purpose.strip().lower() not in permitted:
            yield Draft(
                ctx.uri,
                f"Model purpose {purpose!r} is not among the permitted purposes of dataset {inp.name} "
                f"({', '.join(permitted)}).",
                "Check compatibility of purposes (GDPR Art. 5(1)(b), 6(4)); extend the dataset's permitted purposes "
                "with a documented assessment, or do not use it for this model.",
                models=[model.name],
                part=inp.dataset_id,
            )


def f10_version_transfer_without_safeguard(ctx: VersionContext) -> Iterator[Draft]:
    """F10 on model and version tags (dataset tags: :func:`dataset_rules.f10_dataset_transfer_without_safeguard`)."""
    if not ctx.active:
        return
    own = {**normalise_tags(ctx.model.tags), **normalise_tags(ctx.version.tags)}
    if not negative(own.get("third_country_transfer")) and negative(own.get("transfer_safeguard")):
        yield Draft(
            ctx.uri,
            f"third_country_transfer={own.get('third_country_transfer')} with no transfer_safeguard recorded.",
            "Record the Chapter V safeguard (adequacy decision, SCCs, BCRs) as transfer_safeguard, or stop the "
            "transfer.",
            models=[ctx.model.name],
        )


def f11_phi_without_hipaa_approval(ctx: VersionContext) -> Iterator[Draft]:
    if not ctx.targets or not ctx.lineage.version_phi(ctx.model, ctx.version):
        return
    # the author's own approval never clears it (separation of duties, as for F1)
    if any(countable(a) and not ctx.by_author(a) and "hipaa" in {r.lower() for r in a.regimes}
           for a in ctx.approvals):
        return
    yield Draft(
        ctx.uri,
        f"The version's lineage carries PHI (no de-identification step in between) and it is deployed as "
        f"{_deployed_as(ctx)}; no valid approval carries the 'hipaa' regime.",
        "Have a HIPAA-accountable approver review the PHI use and sign an approval with regime 'hipaa', or "
        "retrain on de-identified data.",
        models=[ctx.model.name],
        approvals=[a.envelope_id for a in ctx.approvals],
    )


def f16_records_missing_within_retention(ctx: VersionContext) -> Iterator[Draft]:
    """A PHI version whose run record is gone within the retention period."""
    version, settings = ctx.version, ctx.settings
    if not ctx.active or version.created_at is None or not ctx.lineage.version_phi(ctx.model, version):
        return
    age_years = (ctx.today - version.created_at.date()).days / 365.25
    run = ctx.catalog.runs.get(version.run_id or "")
    if age_years < settings.retention_years and version.run_id and (run is None or run.deleted):
        state = "deleted" if run is not None else "missing from the store"
        yield Draft(
            ctx.uri,
            f"The PHI model version was created {version.created_at.date().isoformat()} (within the "
            f"{settings.retention_years}-year retention duty) but its run {version.run_id} is {state}.",
            "Restore the run's records from backup (HIPAA documentation must be kept 6 years, 164.316(b)(2)).",
            models=[ctx.model.name],
        )


def f17_deployed_without_lineage(ctx: VersionContext) -> Iterator[Draft]:
    if not ctx.targets:
        return
    version = ctx.version
    gaps = []
    run = ctx.catalog.runs.get(version.run_id or "")
    producers = ctx.lineage.upstream_producers(ctx.model, version)
    if not version.run_id and not producers:
        gaps.append("no run recorded")
    elif version.run_id and run is None and not producers:
        gaps.append(f"run {version.run_id} not found in the stores")
    upstream = ctx.lineage.upstream_dataset_ids(ctx.model, version)
    own = {d.dataset_id for d in version.datasets}
    training = [d for d in version.datasets if (d.context or "training").lower() in ("training", "train")]
    if not training and not [i for i in upstream if i not in own]:
        gaps.append("no training dataset recorded")
    if gaps:
        yield Draft(
            ctx.uri,
            f"Deployed as {_deployed_as(ctx)} with {' and '.join(gaps)}.",
            "Log the training run and its datasets (mlflow.log_input) or connect the pipeline's lineage store, so "
            "the provenance of the deployed model can be shown.",
            models=[ctx.model.name],
        )


def f18_evidence_changed(ctx: VersionContext) -> Iterator[Draft]:
    """An approval whose signed subject digest no longer matches the store."""
    for a in ctx.approvals:
        if a.decision.upper() == "APPROVED" and a.status == STATUS_EVIDENCE_CHANGED:
            detail = f" ({a.status_detail})" if a.status_detail else ""
            yield Draft(
                ctx.uri,
                f"Approval for target {a.target!r} by {a.signer_identity or a.key_id[:16]} (envelope {a.envelope_id}) "
                f"signed a subject digest that no longer matches the store{detail}.",
                "Find out what changed in the model's artifacts or metadata since the approval; review the version "
                "again and sign a new approval.",
                models=[ctx.model.name],
                approvals=[a.envelope_id],
                part=a.envelope_id,
            )


#: Tag keys that record a version's validation outcome (F19), and the values that mean failed.
VALIDATION_KEYS: tuple[str, ...] = ("validation_status", "validation")
FAILED_VALUES = frozenset({"failed", "fail", "failure", "rejected", "not_passed", "not passed"})


def f19_deployed_validation_failed(ctx: VersionContext) -> Iterator[Draft]:
    """A deployed version whose own validation tag (version, else model) says it failed."""
    if not ctx.targets:
        return
    for where, tags in (("version", ctx.version.tags), ("registered model", ctx.model.tags)):
        norm = normalise_tags(tags)
        for key in VALIDATION_KEYS:
            value = norm.get(key)
            if value is not None and value.strip().lower() in FAILED_VALUES:
                yield Draft(
                    ctx.uri,
                    f"Deployed as {_deployed_as(ctx)} although its {where} tag {key}={value} records a failed "
                    "validation.",
                    "Withdraw the deployment or record the validator's re-test (a new validation outcome) and the "
                    "risk acceptance of whoever owns the model; then sign the decision for the target.",
                    models=[ctx.model.name],
                )
                return


_LOGGED_MODEL_IN_PATH = re.compile(r"/models/(m-[0-9a-f]{8,})(?:/|$)")


def _logged_model_of(ctx: VersionContext) -> str | None:
    """The MLflow 3 logged model a (deleted) version was registered from: MLflow redacts a deleted
    version's source and run id but keeps its storage location, which names the logged model."""
    if ctx.version.logged_model_id:
        return ctx.version.logged_model_id
    match = _LOGGED_MODEL_IN_PATH.search(ctx.version.storage_location or "")
    return match.group(1) if match else None


def _deleted_version_data(ctx: VersionContext) -> tuple[list[str], str] | None:
    """(kinds of classified data, how it is known) for a deleted version, or None when nothing
    says it held classified data."""
    model, version, catalog = ctx.model, ctx.version, ctx.catalog
    lm_id = _logged_model_of(ctx)
    lm = catalog.logged_models.get(lm_id or "")
    run = catalog.runs.get(lm.source_run_id or "") if lm is not None else None
    if run is None:
        run = catalog.runs.get(version.run_id or "")
    if run is not None and run.inputs:
        cls = classify([*(i.tags for i in run.inputs), version.tags, model.tags])
        basis = f"its training run {run.run_id} read {', '.join(sorted({i.name for i in run.inputs}))}"
    else:
        cls = version.classification(model.tags)
        basis = "its own tags and its registered model's tags"
        if not (cls.phi or cls.pii):
            siblings = [v for v in model.visible_versions() if v is not version]
            phi = [v for v in siblings if ctx.lineage.version_phi(model, v)]
            pii = [v for v in siblings if v.classification(model.tags).pii]
            if phi or pii:
                names = sorted({d.name for v in (phi or pii) for d in v.datasets
                                if (d.context or "training").lower() in ("training", "train")})
                redacted = "its run id and source are redacted in the store" + (
                    f" (its logged model {lm_id} is not in the stores read)" if lm_id else "")
                basis = (f"{redacted}; judged from the registered model: "
                         f"{'versions ' if len(phi or pii) > 1 else 'version '}"
                         f"{', '.join(v.version for v in (phi or pii))} of {model.name} "
                         f"{'are' if len(phi or pii) > 1 else 'is'} trained on "
                         + ("PHI" if phi else "personal data")
                         + (f" ({', '.join(names)})" if names else ""))
                return (["PHI", "personal data"] if phi and pii else ["PHI"] if phi else ["personal data"]), basis
            return None
    kinds = [k for k, on in (("PHI", cls.phi), ("personal data", cls.pii)) if on]
    return (kinds, basis) if kinds else None


def f16_deleted_classified_version(ctx: VersionContext) -> Iterator[Draft]:
    """A deleted version (MLflow ``Deleted_Internal``) that held classified data, within the retention duty."""
    version, settings = ctx.version, ctx.settings
    if not version.deleted:
        return
    held = _deleted_version_data(ctx)
    if held is None:
        return
    kinds, basis = held
    if version.created_at is not None:
        age_years = (ctx.today - version.created_at.date()).days / 365.25
        if age_years >= settings.retention_years:
            return
        when = (f"created {version.created_at.date().isoformat()}, within the {settings.retention_years}-year "
                "retention duty")
    else:
        when = f"its creation time is not recorded, so it may be within the {settings.retention_years}-year duty"
    yield Draft(
        ctx.uri,
        f"The version was deleted from the registry ({when}) and held {' and '.join(kinds)}: {basis}.",
        "Restore the version's registry record (or an export of it: source, run, datasets, approvals) from "
        "backup and keep it for the retention period (HIPAA documentation 164.316(b)(2); accountability "
        "records, GDPR Art. 5(2)); record who deleted it and why.",
        models=[ctx.model.name],
    )


def f27_version_unknown_values(ctx: VersionContext) -> Iterator[Draft]:
    """Classification tags of the version (and, once per model on its latest version, of the registered
    model) whose value is outside the convention."""
    bad = unknown_values(ctx.version.tags)
    if bad:
        yield Draft(
            ctx.uri,
            "Version tag(s) outside the convention: " + "; ".join(bad) + ".",
            "Correct the tag to one of the documented values (docs/COMPLIANCE.md), so the rules that read it can "
            "judge the version.",
            models=[ctx.model.name],
        )
    latest = ctx.model.latest_version()
    if latest is ctx.version:
        bad = unknown_values(ctx.model.tags)
        if bad:
            yield Draft(
                f"models:/{ctx.model.name}",
                "Registered-model tag(s) outside the convention: " + "; ".join(bad) + ".",
                "Correct the tag to one of the documented values (docs/COMPLIANCE.md), so the rules that read it "
                "can judge the model's versions.",
                models=[ctx.model.name],
            )
