"""The version detail pane lists other registries' approval claims, each marked not signed."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("botocore", reason="the SageMaker source validates against botocore's service model")

from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.catalog.version_detail import VersionDetailWidget
from tests.conftest import FIXTURES
from tests.ui.conftest import render

SAGEMAKER = f"sagemaker:{FIXTURES / 'sagemaker' / 'account'}"


def test_claims_on_the_version_pane(qtbot, mlflow3_db: Path) -> None:
    catalog = load_catalog([SAGEMAKER, str(mlflow3_db)])
    widget = VersionDetailWidget()
    qtbot.addWidget(widget)
    widget.resize(720, 520)
    widget.show()

    model = catalog.model("readmission-risk-sm")
    assert model is not None
    v3 = model.version("3")
    assert v3 is not None
    widget.set_version(v3, model, catalog)
    claim = v3.external_approvals[0]
    assert widget.claims_label.text() == claim.statement()
    assert widget.claims_label.text().startswith("pending manual approval in SageMaker (set by ")
    assert widget.claims_label.text().endswith(", not signed")
    caption = widget.facts.labelForField(widget.claims_label)
    assert caption is not None and caption.text() == "External approvals (not signed):"  # seen even when cut
    tip = widget.claims_label.toolTip()
    assert "Nobody signed them" in tip and claim.evidence in tip
    assert widget.claims_label.isVisible() and widget.claims_label.width() > 400  # beside its caption, not squeezed
    render(widget, "version-detail-external-claims")

    # an MLflow version has none: said so, not left blank
    mlflow = catalog.model("fraud-detector")
    assert mlflow is not None
    widget.set_version(mlflow.version("3"), mlflow, catalog)
    assert widget.claims_label.text() == "none recorded" and widget.claims_label.toolTip() == ""
    widget.set_version(None, None, None)
    assert widget.claims_label.text() == ""


def test_several_claims_one_line_each(qtbot) -> None:
    pytest.importorskip("datarobot", reason="the DataRobot source validates with the datarobot client's schemas")
    catalog = load_catalog([f"datarobot:{FIXTURES / 'datarobot' / 'export'}"])
    widget = VersionDetailWidget()
    qtbot.addWidget(widget)
    model = catalog.model("churn-predictor-dr")
    assert model is not None
    version = model.version("2")
    assert version is not None
    widget.set_version(version, model, catalog)
    assert widget.claims_label.text().splitlines() == [
        "approved in DataRobot by carol@example.org at 2026-03-12T09:45:00Z, not signed"]
