"""The report profile in the sections it fills, the model card per model and the model-risk edition,
read back with pypdf from reports over the MLflow 3 fixture store (a copy with model-card tags added
through SQLite, as a team would set them with MLflow's client)."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from pathlib import Path

import pytest
from pypdf import PdfReader

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.profile import (
    ExpertDetermination,
    Processor,
    ReportProfile,
    RetentionRule,
    save_profile,
)
from mlops_desktop.reports.export import export_report
from mlops_desktop.reports.model import FindingStatus
from mlops_desktop.reports.model_card import build_card
from tests.reports.govfix import SETTINGS

CARD_TAGS = {
    "intended_use": "rank discharged patients for follow-up calls",
    "out_of_scope_use": "clinical diagnosis",
    "limitations": "trained on one hospital's 2024 admissions",
    "ethical_considerations": "age and sex are proxies in the features",
    "caveats": "recalibrate yearly",
    "risk_rating_reason": "influences care decisions",
    "methodology": "gradient-boosted trees",
    "monitoring_plan": "weekly AUC and PSI on admissions",
}
VERSION_TAGS = {"validated_by": "val@example.org", "validation_date": "2026-03-01"}
PROFILE = ReportProfile(
    organisation="Example Health Ltd", controller="Example Health Ltd, 1 High Street", dpo_contact="dpo@example.org",
    officer_name="Dana Officer", purposes=("readmission risk scoring",), recipients=("care coordinators",),
    processors=(Processor("CloudCo", "model hosting", "BAA-3", True),), technical_measures=("encryption at rest",),
    expert_determination=ExpertDetermination("Dr. A. Statistician", "2026-01-15", "k-anonymity (k=11)"),
    retention=(RetentionRule("training extracts", "6 years", "45 CFR 164.316(b)(2)"),),
)


def flat_text(path: Path) -> str:
    return re.sub(r"\s+", " ", "\n".join(p.extract_text() or "" for p in PdfReader(str(path)).pages))


@pytest.fixture
def card_catalog(mlflow3_db: Path) -> Catalog:
    from mlops_desktop.sources.loader import load_catalog

    con = sqlite3.connect(mlflow3_db)
    with con:
        for k, v in CARD_TAGS.items():
            con.execute("INSERT INTO registered_model_tags (key, value, name) VALUES (?, ?, 'readmission-risk')", (k, v))
        for k, v in VERSION_TAGS.items():
            con.execute("INSERT INTO model_version_tags (key, value, name, version) VALUES (?, ?, 'readmission-risk', 3)",
                        (k, v))
    con.close()
    return load_catalog([str(mlflow3_db)])


def test_model_card_from_tags_and_gaps(card_catalog: Catalog) -> None:
    model = card_catalog.model("readmission-risk")
    assert model is not None
    card = build_card(card_catalog, model, model.version("3"))
    assert card.value("Model overview", "Description") == "readmission-risk model owned by clinical"
    assert card.value("Model overview", "Model owner") == "clinical"  # tag team
    assert card.value("Model overview", "Methodology") == "gradient-boosted trees"
    assert card.value("Intended uses", "Intended use") == CARD_TAGS["intended_use"]
    assert card.value("Intended uses", "Out-of-scope use") == "clinical diagnosis"
    assert card.value("Intended uses", "Risk rating") == "high"  # tag risk_tier
    assert card.value("Intended uses", "Reason for the risk rating") == "influences care decisions"
    assert card.value("Intended uses", "Purpose of the model") == "not recorded — gap (tag purpose)"
    assert card.value("Training details", "Training data") == "readmission-risk-train (training)"
    assert card.value("Evaluation details", "Evaluation data") == "readmission-risk-eval"
    assert card.value("Evaluation details", "Metrics") == "auc=0.8838, loss=0.05"
    assert card.value("Additional information", "Caveats and recommendations") == "recalibrate yearly"
    assert card.gaps == ["purpose of the model (tag purpose)"]
    bare = card_catalog.model("fraud-detector")
    assert bare is not None
    gaps = build_card(card_catalog, bare, bare.version("3")).gaps
    assert gaps == ["methodology (tag methodology)", "purpose of the model (tag purpose)",
                    "intended use (tag intended_use)", "out-of-scope use (tag out_of_scope_use)",
                    "reason for the risk rating (tag risk_rating_reason)", "limitations (tag limitations)",
                    "ethical considerations (tag ethical_considerations)", "caveats and recommendations (tag caveats)"]


def test_model_card_appendix_in_every_edition(card_catalog: Catalog, tmp_path: Path) -> None:
    for edition in ("gdpr", "model-risk"):
        result = export_report(card_catalog, edition, tmp_path / f"{edition}.pdf", models=["readmission-risk"],
                               settings=SETTINGS)
        text = flat_text(result.path)
        for heading in ("Model card (version 3)", "Model overview", "Intended uses", "Training details",
                        "Evaluation details", "Additional information"):
            assert heading in text, (edition, heading)
        assert "rank discharged patients for follow-up calls" in text
        assert "Model card gaps (1): purpose of the model (tag purpose)." in text


def test_model_risk_edition_sections(card_catalog: Catalog, tmp_path: Path) -> None:
    findings_status = {}
    settings = dataclasses.replace(SETTINGS, profile=PROFILE)
    probe = export_report(card_catalog, "model-risk", tmp_path / "probe.pdf", settings=settings)
    first = probe.findings[0]
    findings_status[first.key] = FindingStatus(owner="ml-platform", due="2026-07-01", status="in progress")
    settings = dataclasses.replace(settings, finding_status=findings_status)
    result = export_report(card_catalog, "model-risk", tmp_path / "mr.pdf", settings=settings)
    text = flat_text(result.path)
    reader = PdfReader(str(result.path))
    top = [o["/Title"] for o in reader.outline if not isinstance(o, list)]
    assert top[:13] == [
        "1. Executive summary", "2. Scope and method",
        "3. Model inventory and tiering (SR 11-7 V; SS1/23 Principle 1)", "4. Purpose and use",
        "5. Conceptual soundness and data (SR 11-7 V.1; SS1/23 Principle 4)",
        "6. Performance against the challenger (SR 11-7 V.2 outcomes analysis)",
        "7. Limitations and compensating controls (SR 11-7 V.3; SS1/23 Principle 4.5)",
        "8. Ongoing monitoring (SR 11-7 V.2; SS1/23 Principle 4.4)",
        "9. Validation outcome and validator sign-off (SR 11-7 VI; SS1/23 Principle 4.3)",
        "10. Findings and remediation (SS1/23 Principle 5)", "11. Promotion history (registry journal)",
        "12. Findings register", "13. Inventory"]
    assert "Federal Reserve SR 11-7 and PRA SS1/23 model risk management" in text
    # performance against the challenger: readmission-risk v3 (champion) vs v2 (challenger), from the diff service
    assert "In use: v3; challenger: v2." in text
    assert "6.6 readmission-risk In use: v3; challenger: v2. Metric v3 (in use) v2 (challenger) Difference auc 0.883789 0.884448 delta -0.00065903 loss 0.05 0.05 same" in text
    # the model with no challenger alias says so
    assert "Not recorded — gap: no challenger alias (challenger) points at another version of ñandú-scorer ✓." in text
    # limitations, monitoring, validation from the tags; absent ones are gaps
    assert "trained on one hospital's 2024 admissions" in text and "weekly AUC and PSI on admissions" in text
    assert "models:/readmission-risk/3 champion passed val@example.org, 2026-03-01" in text
    assert "not recorded — gap (tag monitoring_plan)" in text
    # findings with key, owner and due date from the status file; others not recorded
    assert f"{first.key}" in text and "ml-platform" in text and "2026-07-01" in text
    for f in result.findings:
        assert f.key in text.replace(" ", "") or f.key in text, f.key
    # sign-off roles and the officer from the profile as preparer
    assert "Model validator (independent of development)" in text and "Model risk committee" in text
    assert reader.metadata is not None and reader.metadata.author == "Test Officer"  # explicit author wins


def test_profile_fills_gdpr_and_hipaa_sections(catalog: Catalog, tmp_path: Path) -> None:
    settings = dataclasses.replace(SETTINGS, author="", organisation="", profile=PROFILE)
    gdpr = export_report(catalog, "gdpr", tmp_path / "gdpr.pdf", settings=settings)
    text = flat_text(gdpr.path)
    assert "Prepared by Dana Officer" in text and "Organisation Example Health Ltd" in text
    assert "Controller Example Health Ltd, 1 High Street" in text and "DPO contact dpo@example.org" in text
    assert "Recipients care coordinators (report profile)" in text
    assert "CloudCo (model hosting), agreement BAA-3" in text
    assert "Not recorded in the report profile (gap): organisational measures." in text
    assert PdfReader(str(gdpr.path)).metadata.author == "Dana Officer"  # type: ignore[union-attr]
    hipaa = export_report(catalog, "hipaa", tmp_path / "hipaa.pdf", settings=settings)
    text = flat_text(hipaa.path)
    assert "Expert Dr. A. Statistician" in text and "Method k-anonymity (k=11)" in text
    assert "training extracts 6 years 45 CFR 164.316(b)(2)" in text
    empty = export_report(catalog, "hipaa", tmp_path / "empty.pdf",
                          settings=dataclasses.replace(SETTINGS, author=""))
    text = flat_text(empty.path)
    assert "Expert not recorded — gap (report profile)" in text
    assert "Retention schedule: not recorded — gap (report profile)." in text
    assert "(operating-system user; no officer's name in the report profile)" in text


def test_cli_report_profile_option(mlflow3_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlops_desktop.cli.main import main

    prof = save_profile(PROFILE, tmp_path / "profile.toml")
    out = tmp_path / "mr.pdf"
    code = main(["report", "--store", str(mlflow3_db), "--edition", "model-risk", "--out", str(out),
                 "--profile", str(prof), "--as-of", "2026-06-01"])
    assert code == 0
    text = flat_text(out)
    assert "Model risk management report (SR 11-7, PRA SS1/23)" in text and "Report profile " + str(prof) in text
    code = main(["report", "--store", str(mlflow3_db), "--edition", "model-risk", "--out", str(out),
                 "--profile", str(tmp_path / "missing.toml")])
    assert code == 2 and "does not exist" in capsys.readouterr().err
