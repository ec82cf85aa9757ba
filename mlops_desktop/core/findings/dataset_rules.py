"""Rules checked on every dataset, over the tags of every place it was logged (one function per rule)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from mlops_desktop.core.classification import is_true
from mlops_desktop.core.findings.context import (
    DatasetContext,
    Draft,
    is_active,
    negative,
    parse_date,
    split_list,
    unknown_values,
)
from mlops_desktop.core.findings.datasets import SAFE_HARBOR_VALUES, hipaa_identifier_columns

logger = logging.getLogger(__name__)


def _draft(ctx: DatasetContext, evidence: str, remediation: str) -> Draft:
    return Draft(ctx.view.label, evidence, remediation, models=ctx.view.model_names)


def f3_pii_without_lawful_basis(ctx: DatasetContext) -> Iterator[Draft]:
    """Personal data without a lawful basis; PHI is personal data too (health data about a person)."""
    tags = ctx.view.tags
    pii, phi = is_true(tags.get("pii")), is_true(tags.get("phi"))
    if (pii or phi) and negative(tags.get("lawful_basis")):
        what = "pii=true" if pii else "phi=true (health information about a person is personal data)"
        yield _draft(
            ctx,
            f"{what} but no lawful_basis tag on the dataset or any of its inputs.",
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


def _direct_identifier(ctx: DatasetContext, inp: dict[str, Any]) -> str | None:
    """Why the input column ``inp`` (``dataset``, ``field``) is a direct identifier, or None: its name
    looks like one of the 18 identifiers, or its source dataset tags that column pii/phi."""
    name = str(inp.get("field") or "")
    by_name = hipaa_identifier_columns([name])
    if by_name:
        return by_name[0][1]
    location = str(inp.get("dataset") or "")
    for other in ctx.views.values():
        if other.source != location and other.name != location:
            continue
        for f in other.fields:
            if f.get("name") == name and (is_true((f.get("tags") or {}).get("pii"))
                                          or is_true((f.get("tags") or {}).get("phi"))):
                return "a column its source tags as personal data"
    return None


def identifier_columns(ctx: DatasetContext) -> list[tuple[str, str]]:
    """(column, why) for the columns of a dataset that look like HIPAA identifiers: by name (the 18
    categories of 164.514(b)(2)(i), truncated forms included) and by column lineage (a column derived
    from a direct identifier, e.g. a salted hash of ``patient_id``, is a re-identification code that
    164.514(c)(1) does not allow)."""
    reasons: dict[str, list[str]] = {}
    by_name = dict(hipaa_identifier_columns(ctx.view.columns))
    for col, label in by_name.items():
        text = label
        if label == "geographic units below state" and _ZIP3.search(col.lower()):
            text += (": the initial three ZIP digits are allowed only where that area holds more than 20,000 "
                     "people, 164.514(b)(2)(i)(B), and no such check is recorded")
        reasons.setdefault(col, []).append(text)
    for col, inputs in ctx.view.column_sources().items():
        for inp in inputs:
            why = _direct_identifier(ctx, inp)
            if why is None:
                continue
            how = "; ".join(str(t.get("description") or t.get("subtype") or t.get("type"))
                            for t in inp.get("transformations") or [] if isinstance(t, dict)) or "a transformation"
            source = f"derived from {inp.get('dataset')}.{inp.get('field')} ({why}) by {how}"
            if not _CODE.search(f"{col} {how}".lower()):  # generalised, not encoded (zip -> zip3)
                reasons.setdefault(col, []).append(f"{source}, a reduced form of that identifier")
            else:
                reasons.setdefault(col, []).append(
                    f"{source}, so it is a re-identification code derived from information about the individual, "
                    "which 164.514(c)(1) does not allow")
    ordered = [c for c in ctx.view.columns if c in reasons] + sorted(c for c in reasons if c not in ctx.view.columns)
    return [(c, "; ".join(reasons[c])) for c in ordered]


_ZIP3 = re.compile(r"zip_?3|zip_?prefix")
#: Words that say a derived column is a code standing for the identifier (hash, token, surrogate key).
_CODE = re.compile(r"hash|token|encrypt|pseudonym|surrogate|(^|_)(key|code|uuid|uid)($|[_ ])|digest|hmac|sha-?\d|md5")


def f12_safe_harbor_with_identifiers(ctx: DatasetContext) -> Iterator[Draft]:
    view = ctx.view
    if (view.tags.get("hipaa_deidentified") or "").strip().lower() not in SAFE_HARBOR_VALUES:
        return
    hits = identifier_columns(ctx)
    if hits:
        listed = ", ".join(f"{c} ({why})" for c, why in hits)
        yield _draft(
            ctx,
            f"hipaa_deidentified=safe_harbor but the schema has identifier-like columns: {listed}.",
            "Remove or generalise these columns (164.514(b)(2)); replace codes derived from identifiers by a "
            "random code kept apart from the data (164.514(c)); or change the claim to expert_determination "
            "with the expert's report.",
        )


def f27_dataset_unknown_values(ctx: DatasetContext) -> Iterator[Draft]:
    """Classification tags of a dataset (any place it was logged) whose value is outside the convention."""
    bad = unknown_values(ctx.view.tags)
    if bad:
        yield _draft(
            ctx,
            "Dataset tag(s) outside the convention: " + "; ".join(bad) + ".",
            "Correct the tag to one of the documented values (docs/COMPLIANCE.md): until then the rules that "
            "read it cannot judge the dataset (a de-identification claim that names no method is no claim).",
        )
