"""The findings catalogue of COMPLIANCE.md as data: each rule's id, title and default severity.

Plain data on purpose: :class:`~mlops_desktop.core.findings.settings.FindingSettings` and the
Settings dialog need the titles and default severities without the rule code, and the rule
code needs the settings. :data:`~mlops_desktop.core.findings.registry.REGISTRY` binds each
entry to the function(s) that check it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    title: str
    severity: str


CATALOGUE: dict[str, RuleInfo] = {
    info.id: info
    for info in (
        RuleInfo("F1", "Deployed version without a valid signed approval for that version and target", "high"),
        RuleInfo("F2", "Approver is also the version's author or its run's user (separation of duties)", "high"),
        RuleInfo("F3", "Personal-data (PII or PHI) dataset without a lawful basis", "high"),
        RuleInfo("F4", "Special-category data without an Art. 9(2) condition", "high"),
        RuleInfo("F5", "Retention date passed while the dataset still feeds an active version", "high"),
        RuleInfo("F6", "Personal-data (PII) dataset without a retention date", "medium"),
        RuleInfo("F7", "Automated decision with legal effect but no human review recorded", "high"),
        RuleInfo("F8", "DPIA expected but no DPIA reference recorded", "medium"),
        RuleInfo("F9", "Model purpose not among the dataset's permitted purposes", "medium"),
        RuleInfo("F10", "Third-country transfer without a safeguard", "high"),
        RuleInfo("F11", "PHI reaches a deployed version without an approval carrying the HIPAA regime", "critical"),
        RuleInfo("F12", "Dataset claims safe-harbor de-identification but has identifier-like columns", "high"),
        RuleInfo("F15", "Audit log inconsistent", "critical"),
        RuleInfo("F16", "Records younger than the retention duty are missing", "medium"),
        RuleInfo("F17", "Deployed version without lineage (no run or no training dataset)", "medium"),
        RuleInfo("F18", "Approval made on evidence that has since changed", "high"),
        RuleInfo("F19", "Deployed version whose validation tag says failed", "high"),
        RuleInfo("F20", "Promotion with no decision valid for that target at that time", "high"),
        RuleInfo("F21", "SageMaker package approved by the principal who created it", "high"),
        RuleInfo("F22", "Approved with no description, or at creation time", "medium"),
        RuleInfo("F23", "Deployed on an endpoint while not Approved", "high"),
        RuleInfo("F24", "Deployed version with no monitoring result within the monitoring window", "medium"),
        RuleInfo("F25", "Drift above threshold after the latest approval for its target", "high"),
        RuleInfo("F26", "Failed data-quality check on a dataset that trains a deployed version", "medium"),
        RuleInfo("F27", "Classification tag with a value outside the convention", "medium"),
    )
}

#: The rule of every finding id (short, as printed in the register).
RULES: dict[str, str] = {fid: info.title for fid, info in CATALOGUE.items()}

#: Default severity per finding id (FindingSettings.severities overrides).
DEFAULT_SEVERITIES: dict[str, str] = {fid: info.severity for fid, info in CATALOGUE.items()}
