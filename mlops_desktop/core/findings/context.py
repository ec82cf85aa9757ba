"""What a rule function is given (one context per object it checks) and what it returns.

A rule function takes a :class:`VersionContext`, :class:`DatasetContext` or
:class:`StoreContext` and yields a :class:`Draft` per finding; the engine stamps each
draft with the rule's id, title, severity and object kind
(:mod:`mlops_desktop.core.findings.engine`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from mlops_desktop.core.classification import Classification, normalise_tags
from mlops_desktop.core.entities import Catalog, ModelVersion, RegisteredModel
from mlops_desktop.core.findings.datasets import DatasetView
from mlops_desktop.core.findings.lineage_view import LineageView
from mlops_desktop.core.findings.settings import FindingSettings
from mlops_desktop.core.governance_facts import (
    STATUS_VALID,
    ApprovalFact,
    GovernanceFacts,
    PromotionFact,
)

NEGATIVE_VALUES = frozenset({"", "false", "no", "none", "n/a", "0"})


@dataclass(frozen=True, slots=True)
class Draft:
    """A finding before the engine adds the rule's id, title, severity and object kind."""

    object: str
    evidence: str
    remediation: str
    models: Iterable[str] = ()
    approvals: Iterable[str] = ()
    #: What within the object the finding is about, when one rule can raise several on one object.
    part: str = ""


@dataclass(frozen=True)
class VersionContext:
    """One visible model version, with the facts several rules share."""

    catalog: Catalog
    settings: FindingSettings
    lineage: LineageView
    model: RegisteredModel
    version: ModelVersion
    today: date
    #: Decisions on this version, in audit-log order.
    approvals: tuple[ApprovalFact, ...]
    #: The version's author and its run's user(s), case-folded.
    people: frozenset[str]
    #: The production targets the version is deployed to (empty: not deployed).
    targets: tuple[str, ...]
    #: Promotions of this version the registry journal observed (F20), oldest first.
    promotions: tuple[PromotionFact, ...] = ()

    @property
    def uri(self) -> str:
        return self.version.uri

    @property
    def active(self) -> bool:
        return is_active(self.version, self.settings)

    @cached_property
    def classification(self) -> Classification:
        """The version's own classification facts (model, version and dataset-input tags)."""
        return self.version.classification(self.model.tags)

    def by_author(self, approval: ApprovalFact) -> bool:
        """True when ``approval`` is signed by the version's author or its run's user."""
        who = approval.signer_identity
        if not who:
            return False
        return who.strip().lower() in self.people


@dataclass(frozen=True, slots=True)
class DatasetContext:
    settings: FindingSettings
    view: DatasetView
    today: date
    #: Every dataset view by id (F12 follows column lineage into the source datasets).
    views: Mapping[str, DatasetView] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoreContext:
    """Store-wide facts (the governance store's audit log)."""

    settings: FindingSettings
    governance: GovernanceFacts


def version_context(
    catalog: Catalog,
    governance: GovernanceFacts,
    settings: FindingSettings,
    lineage: LineageView,
    model: RegisteredModel,
    version: ModelVersion,
    today: date,
) -> VersionContext:
    registry = catalog.registry_of(version)  # decisions count only for the registry they were made on
    approvals = sorted(
        governance.approvals_for(model.name, version.version, registry.label if registry else ""),
        key=lambda a: (a.log_index or 0, a.envelope_id),
    )
    return VersionContext(
        catalog=catalog,
        settings=settings,
        lineage=lineage,
        model=model,
        version=version,
        today=today,
        approvals=tuple(approvals),
        people=frozenset(people_of(version, catalog)),
        targets=tuple(deployment_targets(model, version, settings, lineage)),
        promotions=tuple(p for p in governance.promotions if p.model_name == model.name
                         and p.version == version.version and p.registry == (registry.label if registry else "")),
    )


def deployment_targets(
    model: RegisteredModel, version: ModelVersion, settings: FindingSettings, lineage: LineageView | None = None
) -> list[str]:
    """The production targets (stage, aliases, ``pushed``) a version is deployed to."""
    targets: list[str] = []
    prod_stages = {s.lower() for s in settings.production_stages}
    if version.stage and version.stage.lower() in prod_stages:
        targets.append(version.stage)
    aliases = list(version.aliases) + [a for a, v in model.aliases.items() if v == version.version]
    prod_aliases = {a.lower() for a in settings.production_aliases}
    for alias in aliases:
        if alias.lower() in prod_aliases and alias not in targets:
            targets.append(alias)
    if lineage is not None and lineage.pushed(model, version) and "pushed" not in targets:
        targets.append("pushed")
    return targets


def is_active(version: ModelVersion, settings: FindingSettings) -> bool:
    inactive = {s.lower() for s in settings.inactive_stages}
    return not version.deleted and not (version.stage and version.stage.lower() in inactive)


def people_of(version: ModelVersion, catalog: Catalog) -> set[str]:
    """The version's author and its run's user(s), case-folded."""
    people = {p for p in (version.user_id, version.run_user) if p}
    run = catalog.runs.get(version.run_id or "")
    if run is not None and run.user:
        people.add(run.user)
    return {p.strip().lower() for p in people}


def countable(a: ApprovalFact) -> bool:
    """A verified approval by an approver (counts toward the policy)."""
    return a.decision.upper() == "APPROVED" and a.status == STATUS_VALID and (a.role in (None, "", "approver"))


def negative(value: str | None) -> bool:
    """True for an absent tag or a value meaning "no"."""
    return value is None or value.strip().lower() in NEGATIVE_VALUES


def parse_date(value: str) -> date | None:
    text = value.strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def split_list(value: str | None) -> list[str]:
    """A comma- or semicolon-separated tag value as case-folded items."""
    return [p.strip().lower() for p in (value or "").replace(";", ",").split(",") if p.strip()]


_BOOLEAN = frozenset({"true", "false", "yes", "no", "1", "0", "y", "n", "t", "f"})
#: The classification keys whose values are enumerated by the convention (docs/COMPLIANCE.md), with
#: the values they may take (case-insensitive). ``lawful_basis`` may list several, comma-separated.
ALLOWED_VALUES: dict[str, frozenset[str]] = {
    "pii": _BOOLEAN,
    "phi": _BOOLEAN,
    "automated_decision": _BOOLEAN,
    "legal_effect": _BOOLEAN,
    "hipaa_deidentified": frozenset({"false", "no", "safe_harbor", "safe-harbor", "safe harbor", "safeharbor",
                                     "expert_determination", "expert-determination", "expert determination"}),
    "lawful_basis": frozenset({"consent", "contract", "legal_obligation", "vital_interest", "vital_interests",
                               "public_task", "legitimate_interest", "legitimate_interests"}),
    "risk_tier": frozenset({"high", "medium", "low"}),
}
#: How the allowed values are named in a finding.
ALLOWED_TEXT: dict[str, str] = {
    "pii": "true or false", "phi": "true or false", "automated_decision": "true or false",
    "legal_effect": "true or false",
    "hipaa_deidentified": "false, safe_harbor or expert_determination (164.514(b)(1) or (b)(2))",
    "lawful_basis": "consent, contract, legal_obligation, vital_interest, public_task or legitimate_interest "
                    "(Art. 6(1))",
    "risk_tier": "high, medium or low",
}


def unknown_values(tags: dict[str, str]) -> list[str]:
    """``key=value (allowed: ...)`` for every enumerated classification tag whose value is outside the
    convention, and ``retention_until`` values that are not ISO dates; sorted by key."""
    out = []
    norm = normalise_tags(tags)
    for key in sorted(norm):
        value = norm[key]
        allowed = ALLOWED_VALUES.get(key)
        if allowed is not None:
            items = split_list(value) if key == "lawful_basis" else [value.strip().lower()]
            if not items or any(i not in allowed for i in items):
                out.append(f"{key}={value} (allowed: {ALLOWED_TEXT[key]})")
        elif key == "retention_until" and parse_date(value) is None:
            out.append(f"retention_until={value} (allowed: an ISO date, YYYY-MM-DD)")
    return out
