"""Report editions as PDF (ReportLab; document machinery in ``reports.document``), their
charts and lineage figures (laid out by ``core.layout``), evidence bundles and PAdES
signatures; the report job both faces run. No Qt here."""

from __future__ import annotations

from mlops_desktop.reports.model import EDITIONS, GovernanceEvidence, ReportSettings

__all__ = ["EDITIONS", "GovernanceEvidence", "ReportSettings"]
