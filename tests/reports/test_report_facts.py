"""The facts a report states, checked against the MLflow 3 fixture and real signed decisions: no
contradiction between sections, a signature kept apart from whether a decision counts, per-model
figures per model, roles, reasons, gaps named instead of "no findings", every finding key printed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mlops_desktop.core.entities import Catalog
from mlops_desktop.reports.export import export_report
from mlops_desktop.reports.jobs import run_report
from tests.reports.govfix import SETTINGS, Gov, approve
from tests.reports.test_report_pdf import flat, pdf_text


def reject(gov: Gov, catalog: Catalog, who: str, model: str, version: str, target: str,
           regimes: tuple[str, ...], reason: str) -> str:
    from mlops_desktop.governance.approvals import reject as do_reject
    from mlops_desktop.governance.store import open_governance

    with open_governance(gov.url) as g:
        return str(do_reject(g, catalog, model, version, target, reason, list(regimes), gov.keys[who]).id)


def _report(mlflow3_db: Path, governance: Gov, tmp_path: Path, edition: str) -> str:
    out = tmp_path / f"{edition}.pdf"
    run_report([str(mlflow3_db)], edition, out, governance_url=governance.url, settings=SETTINGS)
    return flat(pdf_text(out))


def test_a_rejection_is_not_a_valid_hipaa_approval(catalog: Catalog, governance: Gov, tmp_path: Path,
                                                   mlflow3_db: Path) -> None:
    # readmission-risk v3 (PHI by lineage, champion): its only decision is alice's rejection under hipaa
    reject(governance, catalog, "alice@example.org", "readmission-risk", "3", "champion", ("hipaa",),
           "readmission AUC below the clinical threshold")
    text = _report(mlflow3_db, governance, tmp_path, "hipaa")
    row = text[text.index("models:/readmission-risk/3 champion rejected champion by alice@example.org"):][:400]
    assert "NO: rejected by alice@example.org does not count (it is a rejection; as the signer's latest decision " \
           "it holds the target back" in row
    assert "Valid HIPAA approval" not in text and not re.search(r"readmission-risk/3 champion .{0,120} yes \(", text)
    # and F11 just below agrees
    assert re.search(r"F11-[0-9a-f]{10} critical models:/readmission-risk/3", text)
    # the certificate carries the signed reason and both verdicts
    assert "Reason (signed) readmission AUC below the clinical threshold" in text
    assert "Signature valid Counts toward champion no, because it is a rejection" in text


def test_a_self_approval_has_a_valid_signature_and_does_not_count(catalog: Catalog, governance: Gov,
                                                                  tmp_path: Path, mlflow3_db: Path) -> None:
    for who in ("alice@example.org", "bob@example.org", "dan@example.org"):  # dan is v3's run user
        approve(governance, catalog, who, "demand-forecast", "3", "champion")
    text = _report(mlflow3_db, governance, tmp_path, "gdpr")
    dan = text[text.index("Signer dan@example.org"):][:900]
    assert "Signature valid" in dan and "VALID" not in dan
    assert ("Counts toward champion no, because Separation of duties: no approver is the version's author or run "
            "user: Approval by dan@example.org (key " + governance.key_id("dan@example.org")[:12]
            + ") is the version's author or run user") in dan
    alice = text[text.index("Signer alice@example.org"):][:700]
    assert "Counts toward champion yes, counted by the rule '2 distinct trusted approvers with role approver' of " \
           "policy" in alice
    # the per-model governance section prints the policy rule by rule, as verify does
    assert "Policy builtin-default for champion: met" in text or re.search(r"Policy \S+ for champion: met", text)
    # per-model security figures: this model's decisions, and none for a model without decisions
    assert ("3 of 3 signed decisions on demand-forecast have a valid signature, 2 count toward their target; "
            "audit log (store-wide): verified") in text
    assert "no signed decisions on record for churn-predictor; audit log (store-wide)" in text
    assert "6/10 signed decisions verify" not in text and "signed decisions verify; audit log" not in text


def test_roles_are_the_signers_roles_not_the_first_one(catalog: Catalog, governance: Gov, tmp_path: Path,
                                                       mlflow3_db: Path) -> None:
    from mlops_desktop.governance.store import open_governance
    from mlops_desktop.governance.trust import add_signer
    from tests.reports.govfix import _key

    erin = _key("erin@example.org")
    governance.keys["erin@example.org"] = erin
    with open_governance(governance.url) as gov:
        add_signer(gov, governance.keys["admin@example.org"], erin.public_key,  # type: ignore[attr-defined]
                   "erin@example.org", ["admin", "approver"])
    approve(governance, catalog, "erin@example.org", "credit-limit", "3", "Production")
    text = _report(mlflow3_db, governance, tmp_path, "gdpr")
    cert = text[text.index("Signer erin@example.org"):][:1200]
    assert "Roles (trust list at the decision) admin, approver" in cert
    assert "Role admin " not in cert
    # erin's approval counts (role approver among its roles), but one approver of two does not meet the policy
    assert "Counts toward Production yes, counted by the rule '2 distinct trusted approvers with role approver'" \
        in text
    assert re.search(r"Policy \S+ for Production: NOT MET", text)


def test_transcript_training_data_and_numbering(catalog: Catalog, governance: Gov, tmp_path: Path,
                                                mlflow3_db: Path) -> None:
    approve(governance, catalog, "alice@example.org", "churn-predictor", "3", "Production")
    text = _report(mlflow3_db, governance, tmp_path, "gdpr")
    assert "Latest checkpoint when the log was verified: none recorded" in text  # no checkpoint before the report
    # training and evaluation inputs apart, by the context MLflow records for each input
    card = text[text.index("Version 3 (Production, champion) Source"):][:900]
    assert "Training data churn-predictor-train Evaluation data churn-predictor-eval" in card
    # Art. 30 records numbered without a hole (empty-model has no version and no record)
    heads = re.findall(r"\b3\.(\d) (churn-predictor|credit-limit|demand-forecast|fraud-detector|readmission-risk|"
                       r"sepsis-alert|ñandú-scorer ✓)", text)
    assert [int(n) for n, _ in dict.fromkeys(heads)] == [1, 2, 3, 4, 5, 6, 7]
    assert "Registered without any version (no processing recorded, no record below): empty-model." in text


@pytest.mark.parametrize("edition", ["gdpr", "hipaa", "eu-ai-act"])
def test_gaps_are_named_never_read_as_no_findings(catalog: Catalog, tmp_path: Path, edition: str) -> None:
    out = tmp_path / f"{edition}.pdf"
    export_report(catalog, edition, out, settings=SETTINGS)
    text = flat(pdf_text(out))
    assert "No findings of type" not in text
    if edition == "gdpr":
        assert ("F9 (Model purpose not among the dataset's permitted purposes): not recorded — gap: 13 of 13 "
                "versions record no purpose tag (model or version)") in text
        assert ("F7 (Automated decision with legal effect but no human review recorded): not recorded — gap: 13 of "
                "13 versions record no automated_decision tag") in text
    if edition == "hipaa":
        assert "F15 (Audit log inconsistent): not recorded — gap: no governance store was given" in text


@pytest.mark.parametrize("edition", ["gdpr", "hipaa", "eu-ai-act"])
def test_every_finding_key_of_the_findings_json_is_in_each_edition(mlflow3_db: Path, tmp_path: Path,
                                                                  edition: str) -> None:
    import contextlib
    import io

    from mlops_desktop.cli.main import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main(["findings", "--store", str(mlflow3_db), "--format", "json", "--fail-on", "none",
              "--as-of", "2026-06-01"])
    keys = [f["key"] for f in json.loads(buf.getvalue())["findings"]]
    assert len(keys) > 20 and "F19-" + keys[0][:0] in "".join(keys)
    out = tmp_path / f"{edition}.pdf"
    run_report([str(mlflow3_db)], edition, out, settings=SETTINGS)
    text = pdf_text(out).replace("\n", " ")
    missing = [k for k in keys if k not in text]
    assert missing == []


def test_audit_transcript_checkpoint_sizes_agree_with_the_log(catalog: Catalog, governance: Gov, tmp_path: Path,
                                                              mlflow3_db: Path) -> None:
    """A store with a checkpoint, grown since: the table, the signed checkpoint and the transcript
    state the same two checkpoints the log holds (the one when verified, the one the report signed)."""
    import sqlalchemy as sa

    from mlops_desktop.crypto.checkpoint import parse_checkpoint
    from mlops_desktop.governance import audit
    from mlops_desktop.governance.models import SqlCheckpoint
    from mlops_desktop.governance.store import open_governance

    approve(governance, catalog, "alice@example.org", "churn-predictor", "3", "Production")
    with open_governance(governance.url) as gov:
        before = parse_checkpoint(audit.write_checkpoint(gov)).size
    approve(governance, catalog, "bob@example.org", "churn-predictor", "3", "Production")  # the log grows past it
    text = _report(mlflow3_db, governance, tmp_path, "gdpr")
    with open_governance(governance.url) as gov, gov.read_session() as session:
        stored = {int(c.size): str(c.note) for c in session.execute(sa.select(SqlCheckpoint)).scalars().all()}
    appendix = text[text.index("Appendix C. Audit-log verification transcript Result"):]
    verified = int(re.search(r"Result CONSISTENT Log size (\d+) ", appendix).group(1))  # type: ignore[union-attr]
    made_at = int(re.search(r"Checkpoint the report was made at size (\d+) \(below\)", appendix)  # type: ignore[union-attr]
                  .group(1))
    # the report signed a checkpoint of the log it verified; the one before is the store's earlier one
    assert made_at == verified > before and made_at in stored and before in stored
    assert before == max(size for size in stored if size < made_at)
    cp = parse_checkpoint(stored[made_at])
    assert f"Latest checkpoint when verified size {before} " in appendix
    assert f"Latest checkpoint when the log was verified: size {before} " in appendix
    assert f"Checkpoint the report was made at: size {made_at}, root {cp.root.hex()}" in appendix
    signed = appendix[appendix.index("Signed checkpoint the report was made at"):][:400]
    assert flat(" ".join(stored[made_at].splitlines()[:3])) in signed  # the stored note printed: origin, size, root
    assert "Checkpoint size —" not in text and "no checkpoint recorded" not in text
