"""What the findings engine produces: :class:`Finding`, severities and the helpers over lists of findings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mlops_desktop.core.errors import UsageError

#: Severities, most severe first.
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding of the catalogue."""

    id: str  # F1..F18
    severity: str
    object: str  # models:/name/version, dataset:name@digest, audit-log
    rule: str
    evidence: str
    remediation: str
    object_kind: str = "model_version"  # model_version | dataset | audit_log
    models: tuple[str, ...] = ()  # registered models this finding concerns (report scoping)
    approvals: tuple[str, ...] = ()  # envelope ids cited as evidence
    #: What within the object the finding is about, when a rule can raise several findings on one
    #: object (an envelope id, a dataset name); part of the key, never of the wording.
    part: str = ""

    @property
    def key(self) -> str:
        """The finding's stable key: ``<id>-<10 hex>`` from the rule id, the object and the part.

        Evidence wording, severity and remediation are left out on purpose, so the key stays the
        same across runs and releases while the same rule holds on the same object; the findings
        status file (owner, due date, status) is keyed by it."""
        return finding_key(self.id, self.object, self.part)

    @property
    def sort_key(self) -> tuple[int, int, str, str]:
        return (_RANK.get(self.severity, 99), int(self.id[1:]), self.object, self.evidence)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "severity": self.severity,
            "object": self.object,
            "object_kind": self.object_kind,
            "rule": self.rule,
            "evidence": self.evidence,
            "remediation": self.remediation,
            "models": list(self.models),
            "approvals": list(self.approvals),
        }


def finding_key(rule_id: str, obj: str, part: str = "") -> str:
    """The stable key of the finding of ``rule_id`` on ``obj`` (and ``part``): see :attr:`Finding.key`."""
    raw = "\x1f".join((rule_id, obj, part))
    return f"{rule_id}-{hashlib.sha256(raw.encode('utf-8')).hexdigest()[:10]}"


def severity_rank(severity: str) -> int:
    """0 for critical ... 4 for info; raises UsageError for an unknown name."""
    try:
        return _RANK[severity.strip().lower()]
    except KeyError:
        raise UsageError(f"Unknown severity {severity!r}.", f"Use one of: {', '.join(SEVERITIES)}.") from None


def at_or_above(findings: Iterable[Finding], severity: str) -> list[Finding]:
    limit = severity_rank(severity)
    return [f for f in findings if _RANK.get(f.severity, 99) <= limit]


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    return counts


def scope_findings(findings: Iterable[Finding], models: Sequence[str] | None) -> list[Finding]:
    """Findings concerning ``models`` (plus store-wide ones such as the audit log)."""
    if not models:
        return list(findings)
    wanted = set(models)
    return [f for f in findings if not f.models or wanted & set(f.models)]
