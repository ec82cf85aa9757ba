"""Rules checked on every dataset, over the tags of every place it was logged (one function per rule)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from mlops_desktop.core.classification import is_true
from mlops_desktop.core.findings.context import (
    DatasetContext,
    Draft,
    is_active,
    negative,
    parse_date,
    split_list,
)
from mlops_desktop.core.findings.datasets import SAFE_HARBOR_VALUES, hipaa_identifier_columns

logger = logging.getLogger(__name__)


def _draft(ctx: DatasetContext, evidence: str, remediation: str) -> Draft:
    return Draft(ctx.view.label, evidence, remediation, models=ctx.view.model_names)


def f3_pii_without_lawful_basis(ctx: DatasetContext) -> Iterator[Draft]:
    tags = ctx.view.tags
    if is_true(tags.get("pii")) and negative(tags.get("lawful_basis")):
        yield _draft(
            ctx,
            "pii=true but no lawful_basis tag on the dataset or any of its inputs.",
            "Record the Art. 6(1) lawful basis (consent, contract, legal_obligation, vital_interest, public_task, "
            "legitimate_interest) as lawful_basis.",
        )


def f4_special_category_without_condition(ctx: DatasetContext) -> Iterator[Draft]:
    tags = ctx.view.tags
    special = split_list(tags.get("special_categories"))
    if (special or is_true(tags.get("phi"))) and negative(tags.get("art9_condition")):
        what = f"special_categories={', '.join(special)}" if special else "phi=true (health data is an Art. 9 category)"
        yield _draft(
            ctx,
            f"{what} but no art9_condition recorded.",
            "Record the Art. 9(2) condition relied on (e.g. explicit consent, health care, public health) as "
            "art9_condition.",
        )


def f5_retention_passed(ctx: DatasetContext) -> Iterator[Draft]:
    """The retention date has passed but the dataset still feeds active versions."""
    view, today = ctx.view, ctx.today
    retention = view.tags.get("retention_until")
    if not retention:
        return
    until = parse_date(retention)
    if until is None:
        logger.debug("Unparseable retention_until %r on %s", retention, view.label)
        return
    active = [(m, v) for m, v in view.consumers if is_active(v, ctx.settings)]
    if until < today and active:
        used = ", ".join(sorted(v.uri for _, v in active)[:10])
        yield Draft(
            view.label,
            f"retention_until={until.isoformat()} has passed (today {today.isoformat()}) but the dataset still "
            f"feeds active version(s): {used}.",
            "Erase the data and retire or retrain the versions built on it, or record the legal ground for "
            "keeping it and extend retention_until.",
            models=[m.name for m, _ in active],
        )


def f6_pii_without_retention(ctx: DatasetContext) -> Iterator[Draft]:
    tags = ctx.view.tags
    if is_true(tags.get("pii")) and not tags.get("retention_until"):
        yield _draft(
            ctx,
            "pii=true but no retention_until recorded.",
            "Decide how long the personal data may be kept (Art. 5(1)(e)) and tag it as retention_until (ISO date).",
        )


def f10_dataset_transfer_without_safeguard(ctx: DatasetContext) -> Iterator[Draft]:
    """F10 on dataset tags (model and version tags: :func:`version_rules.f10_version_transfer_without_safeguard`)."""
    tags = ctx.view.tags
    if not negative(tags.get("third_country_transfer")) and negative(tags.get("transfer_safeguard")):
        yield _draft(
            ctx,
            f"third_country_transfer={tags.get('third_country_transfer')} with no transfer_safeguard recorded.",
            "Record the Chapter V safeguard (adequacy decision, SCCs, BCRs) as transfer_safeguard, or stop the "
            "transfer.",
        )


def f12_safe_harbor_with_identifiers(ctx: DatasetContext) -> Iterator[Draft]:
    view = ctx.view
    if (view.tags.get("hipaa_deidentified") or "").strip().lower() not in SAFE_HARBOR_VALUES:
        return
    hits = hipaa_identifier_columns(view.columns)
    if hits:
        listed = ", ".join(f"{c} ({label})" for c, label in hits)
        yield _draft(
            ctx,
            f"hipaa_deidentified=safe_harbor but the schema has identifier-like columns: {listed}.",
            "Remove or generalise these columns (164.514(b)(2)), or change the claim to expert_determination "
            "with the expert's report.",
        )
