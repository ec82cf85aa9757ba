"""Report editions as PDF (ReportLab; document machinery in ``reports.document``), their
charts and lineage figures (laid out by ``core.layout``), evidence bundles and PAdES
signatures; the report job both faces run. No Qt here."""

from __future__ import annotations

import os
import sys

from mlops_desktop.reports.model import EDITIONS, GovernanceEvidence, ReportSettings


def _without_shape_checking() -> None:
    """reportlab.graphics validates every attribute set on a shape (a development aid: a lineage
    figure sets ~100,000); the figures are built by tested code only. Read when
    reportlab.graphics.shapes is first imported, which the package's modules do after this.
    reportlab itself is not imported here: its configuration pulls in PIL (10 MB) for every window
    and command, and only a report needs it. Its documented ``RL_`` variable is used instead."""
    config = sys.modules.get("reportlab.rl_config")
    if config is not None:
        config.shapeChecking = 0  # type: ignore[attr-defined]
    else:
        os.environ.setdefault("RL_shapeChecking", "0")


_without_shape_checking()

__all__ = ["EDITIONS", "GovernanceEvidence", "ReportSettings"]
