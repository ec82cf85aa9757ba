"""Report editions as PDF (ReportLab; document machinery in ``reports.document``), their
charts and lineage figures (laid out by ``core.layout``), evidence bundles and PAdES
signatures; the report job both faces run. No Qt here."""

from __future__ import annotations

from reportlab import rl_config

from mlops_desktop.reports.model import EDITIONS, GovernanceEvidence, ReportSettings

# reportlab.graphics validates every attribute set on a shape (a development aid: a lineage figure
# sets ~100,000); the figures are built by tested code only. Read when reportlab.graphics.shapes is
# first imported, which the package's modules do after this.
rl_config.shapeChecking = 0

__all__ = ["EDITIONS", "GovernanceEvidence", "ReportSettings"]
