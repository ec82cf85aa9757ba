"""The rule registry: each finding id of the catalogue with its title, default severity and
the function(s) that check it.

F10 has two checks (model/version tags and dataset tags); every other rule has one. The
engine runs every check of every rule; a rule whose checks yield nothing raises nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mlops_desktop.core.findings import (
    audit_rules,
    dataset_rules,
    external_rules,
    journal_rules,
    monitoring_rules,
    version_rules,
)
from mlops_desktop.core.findings.catalogue import CATALOGUE
from mlops_desktop.core.findings.context import DatasetContext, Draft, StoreContext, VersionContext

VersionCheck = Callable[[VersionContext], Iterable[Draft]]
DatasetCheck = Callable[[DatasetContext], Iterable[Draft]]
StoreCheck = Callable[[StoreContext], Iterable[Draft]]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    #: Default severity (FindingSettings.severities overrides it).
    severity: str
    version_check: VersionCheck | None = None
    dataset_check: DatasetCheck | None = None
    store_check: StoreCheck | None = None
    #: Checked on every deleted version (MLflow ``Deleted_Internal``): what the registry no longer shows.
    deleted_check: VersionCheck | None = None

    @property
    def object_kinds(self) -> tuple[str, ...]:
        """The kinds of object this rule's findings are about."""
        pairs = (("model_version", self.version_check or self.deleted_check), ("dataset", self.dataset_check),
                 ("audit_log", self.store_check))
        return tuple(kind for kind, check in pairs if check is not None)


def _rule(
    fid: str,
    *,
    version: VersionCheck | None = None,
    dataset: DatasetCheck | None = None,
    store: StoreCheck | None = None,
    deleted: VersionCheck | None = None,
) -> Rule:
    info = CATALOGUE[fid]
    return Rule(fid, info.title, info.severity, version, dataset, store, deleted)


REGISTRY: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        _rule("F1", version=version_rules.f1_unapproved_deployment),
        _rule("F2", version=version_rules.f2_author_approves),
        _rule("F3", dataset=dataset_rules.f3_pii_without_lawful_basis),
        _rule("F4", dataset=dataset_rules.f4_special_category_without_condition),
        _rule("F5", dataset=dataset_rules.f5_retention_passed),
        _rule("F6", dataset=dataset_rules.f6_pii_without_retention),
        _rule("F7", version=version_rules.f7_automated_decision_without_review),
        _rule("F8", version=version_rules.f8_dpia_missing),
        _rule("F9", version=version_rules.f9_purpose_not_permitted),
        _rule("F10", version=version_rules.f10_version_transfer_without_safeguard,
              dataset=dataset_rules.f10_dataset_transfer_without_safeguard),
        _rule("F11", version=version_rules.f11_phi_without_hipaa_approval),
        _rule("F12", dataset=dataset_rules.f12_safe_harbor_with_identifiers),
        _rule("F15", store=audit_rules.f15_audit_log_inconsistent),
        _rule("F16", version=version_rules.f16_records_missing_within_retention,
              deleted=version_rules.f16_deleted_classified_version),
        _rule("F17", version=version_rules.f17_deployed_without_lineage),
        _rule("F18", version=version_rules.f18_evidence_changed),
        _rule("F19", version=version_rules.f19_deployed_validation_failed),
        _rule("F20", version=journal_rules.f20_promotion_without_decision,
              deleted=journal_rules.f20_promotion_without_decision),
        _rule("F21", version=external_rules.f21_approved_by_creator),
        _rule("F22", version=external_rules.f22_approved_without_review_record),
        _rule("F23", version=external_rules.f23_deployed_while_not_approved),
        _rule("F24", version=monitoring_rules.f24_not_monitored),
        _rule("F25", version=monitoring_rules.f25_drift_after_approval),
        _rule("F26", version=monitoring_rules.f26_failed_data_quality),
        _rule("F27", version=version_rules.f27_version_unknown_values,
              dataset=dataset_rules.f27_dataset_unknown_values),
    )
}
