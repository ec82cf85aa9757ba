"""Findings -> PDF report editions (ReportLab) and evidence bundles. No Qt here."""

from __future__ import annotations

from mlops_desktop.reports.model import EDITIONS, GovernanceEvidence, ReportSettings

__all__ = ["EDITIONS", "GovernanceEvidence", "ReportSettings"]
