"""The user settings the findings engine applies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from mlops_desktop.core.findings.catalogue import DEFAULT_SEVERITIES


@dataclass(frozen=True, slots=True)
class FindingSettings:
    """Thresholds and conventions the findings engine applies (all user settings)."""

    production_stages: tuple[str, ...] = ("Production",)
    production_aliases: tuple[str, ...] = ("champion", "production")
    #: Approvals by distinct trusted keys (none of them the author) a deployment needs.
    min_approvals: int = 2
    #: HIPAA documentation retention (164.316(b)(2)).
    retention_years: int = 6
    #: Stages that mean "no longer active" (a dataset feeding only these is not in use).
    inactive_stages: tuple[str, ...] = ("Archived",)
    #: Today's date; None means the current UTC date (tests inject a fixed one).
    today: date | None = None
    #: Days within which a deployed version needs a monitoring result (F24, the monitoring status).
    monitoring_max_age_days: int = 30
    #: Severity overrides, e.g. {"F6": "low"}.
    severities: Mapping[str, str] = field(default_factory=dict)

    def current_date(self) -> date:
        return self.today or datetime.now(UTC).date()

    def severity_of(self, finding_id: str) -> str:
        return self.severities.get(finding_id, DEFAULT_SEVERITIES[finding_id])

    def is_production_target(self, target: str) -> bool:
        t = target.strip().lower()
        return t in {s.lower() for s in self.production_stages} or t in {a.lower() for a in self.production_aliases}
