"""PDF editions read back with pypdf: headings, findings, certificates, metadata, attachments."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from mlops_desktop.core.entities import (
    Catalog,
    Dataset,
    DatasetInput,
    ModelVersion,
    RegisteredModel,
    Run,
    StoreInfo,
)
from mlops_desktop.core.errors import CancelledError, StoreError, UsageError
from mlops_desktop.reports.bundle import verify_bundle
from mlops_desktop.reports.export import export_report
from mlops_desktop.reports.governance_bridge import checkpoint_verifier
from mlops_desktop.reports.jobs import run_report
from tests.reports.govfix import SETTINGS, approve

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SNAPSHOT_DIR = Path(__file__).resolve().parent.parent.parent / "test-artifacts"

HEADINGS = {
    "gdpr": ["Records of processing (Art. 30)", "Lawful basis and special categories (Art. 6, 9)",
             "Principles (Art. 5)", "Automated decisions (Art. 13-15, 22)", "DPIA register (Art. 35)",
             "Data protection by design and by default (Art. 25)", "Security of processing (Art. 32)",
             "Accountability (Art. 5(2))"],
    "hipaa": ["PHI inventory and de-identification (164.514)", "Models using PHI and their approvals",
              "Access control and authentication (164.312(a), (d))",
              "Audit controls and activity review (164.312(b), 164.308(a)(1)(ii)(D))", "Integrity (164.312(c))",
              "Transmission security (164.312(e))", "Retention (164.316(b)(2), 6 years)"],
    "eu-ai-act": ["Annex IV point 1: General description of the AI system", "Annex IV point 2: Development process",
                  "Annex IV point 4: Performance metrics", "Annex IV point 8: EU declaration of conformity",
                  "Annex IV point 9: Post-market monitoring plan", "Record keeping (Art. 12) and human oversight",
                  "Gaps in the technical documentation"],
}
#: Pages and top-level bookmarks of each edition over the MLflow 3 fixture store.
PAGES = {"gdpr": 25, "hipaa": 22, "eu-ai-act": 26}
OUTLINE = {
    "gdpr": ["3. Records of processing (Art. 30)", "4. Lawful basis and special categories (Art. 6, 9)",
             "5. Principles (Art. 5)", "6. Automated decisions (Art. 13-15, 22)", "7. DPIA register (Art. 35)",
             "8. Data protection by design and by default (Art. 25)", "9. Security of processing (Art. 32)",
             "10. Accountability (Art. 5(2))", "11. Promotion history (registry journal)", "12. Findings register",
             "13. Inventory"],
    "hipaa": ["3. PHI inventory and de-identification (164.514)", "4. Models using PHI and their approvals",
              "5. Access control and authentication (164.312(a), (d))",
              "6. Audit controls and activity review (164.312(b), 164.308(a)(1)(ii)(D))", "7. Integrity (164.312(c))",
              "8. Transmission security (164.312(e))", "9. Retention (164.316(b)(2), 6 years)",
              "10. Promotion history (registry journal)", "11. Findings register", "12. Inventory"],
    "eu-ai-act": ["3. Systems in scope and applicable dates", "4. Annex IV point 1: General description of the AI system",
                  "5. Annex IV point 2: Development process and data",
                  "6. Annex IV point 3: Monitoring, functioning and control", "7. Annex IV point 4: Performance metrics",
                  "8. Annex IV point 5: Risk management system (Art. 9)",
                  "9. Annex IV point 6: Changes through the lifecycle", "10. Annex IV point 7: Harmonised standards applied",
                  "11. Annex IV point 8: EU declaration of conformity",
                  "12. Annex IV point 9: Post-market monitoring plan (Art. 72)",
                  "13. Record keeping (Art. 12) and human oversight (Art. 14)",
                  "14. Gaps in the technical documentation", "15. Promotion history (registry journal)",
                  "16. Findings register", "17. Inventory"],
}
APPENDICES = ["Appendix A. Model cards and lineage figures", "Appendix B. Approval certificates",
              "Appendix C. Audit-log verification transcript", "Appendix D. Evidence bundle", "Sign-off"]
#: The embedded DejaVu subsets (nothing else: no unembedded Helvetica).
FONTS = ["/AAAAAA+DejaVuSans", "/AAAAAA+DejaVuSans-Bold", "/AAAAAA+DejaVuSans-Oblique", "/AAAAAA+DejaVuSansMono"]
COMMON = ["Contents", "Executive summary", "Scope and method", "Findings register", "Inventory",
          "Appendix A. Model cards and lineage figures", "Appendix B. Approval certificates",
          "Appendix C. Audit-log verification transcript", "Appendix D. Evidence bundle", "Sign-off"]


def pdf_text(path: Path) -> str:
    reader = PdfReader(str(path))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("edition", ["gdpr", "hipaa", "eu-ai-act"])
def test_each_edition_has_its_sections(catalog: Catalog, tmp_path: Path, edition: str) -> None:
    out = tmp_path / f"{edition}.pdf"
    result = export_report(catalog, edition, out, settings=SETTINGS)
    text = flat(pdf_text(out))
    for heading in COMMON + HEADINGS[edition]:
        assert heading in text, heading
    assert "models:/readmission-risk/3" in text  # F11 / F1 object
    assert "F11" in text and "F5" in text
    assert "ñandú-scorer ✓" in text  # the unicode model name survives (embedded font)
    reader = PdfReader(str(out))
    meta = reader.metadata
    assert meta is not None and result.report_id in str(meta.title)
    assert meta.author == "Test Officer" and "scope" in str(meta.subject)
    assert list(reader.attachments) == [result.bundle_path.name]
    assert (result.pages, len(reader.pages)) == (PAGES[edition], PAGES[edition])
    top = [o["/Title"] for o in reader.outline if not isinstance(o, list)]  # a bookmark per numbered section
    assert top == ["1. Executive summary", "2. Scope and method", *OUTLINE[edition], *APPENDICES]
    fonts = {str(f.get_object()["/BaseFont"]) for page in reader.pages[:3]
             for f in (page["/Resources"].get("/Font") or {}).values()}
    assert sorted(fonts) == FONTS


def test_fixture_report_with_governance(catalog: Catalog, governance, tmp_path: Path, mlflow3_db: Path) -> None:  # type: ignore[no-untyped-def]
    ids = [
        approve(governance, catalog, "alice@example.org", "demand-forecast", "3", "champion"),
        approve(governance, catalog, "bob@example.org", "demand-forecast", "3", "champion"),
        approve(governance, catalog, "dan@example.org", "demand-forecast", "3", "champion"),
    ]
    out = tmp_path / "gdpr.pdf"
    result = run_report([str(mlflow3_db)], "gdpr", out, governance_url=governance.url, settings=SETTINGS)
    text = flat(pdf_text(out))
    # signer fingerprints and verification results on the certificates
    for who in ("alice@example.org", "bob@example.org", "dan@example.org"):
        assert governance.key_id(who) in text
    assert "Signature valid" in text and "Certificate B.3" in text
    # F2: dan trained the version and approved it; F1 cleared by alice + bob
    assert re.search(r"F2 high models:/demand-forecast/3", text)
    assert not re.search(r"F1 high models:/demand-forecast/3", text)
    assert re.search(r"F1 high models:/churn-predictor/3", text)
    # audit-log transcript with a verified checkpoint and inclusion proofs
    assert "CONSISTENT" in text and "signature verifies" in text
    # the report's SHA-256 went into the audit log
    from mlops_desktop.governance.audit import read_entries
    from mlops_desktop.governance.store import open_governance

    with open_governance(governance.url) as gov:
        entries = [e for e in read_entries(gov) if e.action == "report.export"]
    assert len(entries) == 1 and entries[-1].details["sha256"] == result.sha256
    assert entries[-1].seq == result.log_index
    import hashlib

    assert hashlib.sha256(out.read_bytes()).hexdigest() == result.sha256
    # the bundle cites exactly these envelopes
    bundle = json.loads(result.bundle_path.read_text("utf-8"))
    assert {e["id"] for e in bundle["envelopes"]} == set(ids)


def test_evidence_bundle_verifies_on_its_own(catalog: Catalog, governance, tmp_path: Path, mlflow3_db: Path) -> None:  # type: ignore[no-untyped-def]
    for who in ("alice@example.org", "bob@example.org"):
        approve(governance, catalog, who, "readmission-risk", "3", "champion", ("hipaa",))
    out = tmp_path / "hipaa.pdf"
    result = run_report([str(mlflow3_db)], "hipaa", out, governance_url=governance.url, settings=SETTINGS)
    # the embedded copy is the file next to the PDF without the report record (docs/BUNDLE.md)
    embedded = PdfReader(str(out)).attachments[result.bundle_path.name][0]
    raw = result.bundle_path.read_bytes()
    sidecar = json.loads(raw)
    assert sidecar.pop("report_record")["index"] == result.log_index
    assert json.loads(embedded) == sidecar
    # no database from here on: delete it
    Path(governance.url).unlink()
    check = verify_bundle(raw, checkpoint_verifier=checkpoint_verifier)
    assert check.ok, check.problems
    # the two envelopes' entries and the four trust statements' (pin, three signers)
    assert check.envelopes_verified == 2 and check.proofs_verified == 6 and check.checkpoint_verified
    # F11 cleared by a hipaa approval: not among the findings of the bundle
    doc = json.loads(raw)
    assert not [f for f in doc["findings"] if f["id"] == "F11" and f["object"] == "models:/readmission-risk/3"]
    # tampered bundles fail, each for its own reason
    env = doc["envelopes"][0]
    flipped = json.loads(raw)
    payload = json.loads(__import__("base64").b64decode(env["envelope_b64"]))
    payload["payload"] = payload["payload"][:-4] + ("AAAA" if payload["payload"][-4:] != "AAAA" else "BBBB")
    new_env = json.dumps(payload).encode()
    flipped["envelopes"][0]["envelope_b64"] = __import__("base64").b64encode(new_env).decode()
    flipped["envelopes"][0]["sha256"] = __import__("hashlib").sha256(new_env).hexdigest()
    bad = verify_bundle(flipped)
    assert not bad.ok and any("does not verify" in p for p in bad.problems)
    proof = json.loads(raw)
    entry = proof["log_entries"][0]
    if entry["inclusion_proof"]:
        entry["inclusion_proof"][0] = "00" * 32
    else:
        proof["checkpoint"]["root_hash"] = "00" * 32
    assert not verify_bundle(proof).ok
    cp = json.loads(raw)
    cp["checkpoint"]["note"] = cp["checkpoint"]["note"].replace("\n", "\n\n", 1)
    assert not verify_bundle(cp, checkpoint_verifier=checkpoint_verifier).ok


def test_f15_after_tampering_shows_in_the_report(catalog: Catalog, governance, tmp_path: Path, mlflow3_db: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.reports.govfix import tamper

    approve(governance, catalog, "alice@example.org", "credit-limit", "3", "Production")
    tamper(governance, seq=1)
    out = tmp_path / "eu.pdf"
    run_report([str(mlflow3_db)], "eu-ai-act", out, governance_url=governance.url, settings=SETTINGS)
    text = flat(pdf_text(out))
    assert re.search(r"F15 critical audit-log", text)
    assert "INCONSISTENT" in text and "altered" in text


def test_same_inputs_same_content(catalog: Catalog, tmp_path: Path) -> None:
    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    a = export_report(catalog, "gdpr", tmp_path / "1" / "r.pdf", settings=SETTINGS)
    b = export_report(catalog, "gdpr", tmp_path / "2" / "r.pdf", settings=SETTINGS)
    assert a.report_id == b.report_id
    assert a.bundle_path.read_bytes() == b.bundle_path.read_bytes()
    assert pdf_text(a.path) == pdf_text(b.path)
    assert a.sha256 == b.sha256  # fixed generation time: byte-identical (invariant mode)


def test_models_scope_and_unknown_model(catalog: Catalog, tmp_path: Path) -> None:
    result = export_report(catalog, "hipaa", tmp_path / "r.pdf", models=["sepsis-alert"], settings=SETTINGS)
    assert result.models == ["sepsis-alert"]
    text = flat(pdf_text(result.path))
    assert "models:/sepsis-alert/3" in text and "models:/churn-predictor/3" not in text
    with pytest.raises(UsageError, match="No registered model named 'nope'"):
        export_report(catalog, "hipaa", tmp_path / "x.pdf", models=["nope"], settings=SETTINGS)
    assert not (tmp_path / "x.pdf").exists()


def test_empty_store_gives_a_valid_report(tmp_path: Path) -> None:
    empty = Catalog(stores=[StoreInfo("mlflow", "empty.db", "abc123", identity="sha256:00")])
    for edition in ("gdpr", "hipaa", "eu-ai-act"):
        result = export_report(empty, edition, tmp_path / f"{edition}.pdf", settings=SETTINGS)
        text = flat(pdf_text(result.path))
        assert "Nothing is in scope" in text, edition
        assert "Sign-off" in text and result.pages == {"gdpr": 6, "hipaa": 6, "eu-ai-act": 7}[edition]


def _long_name_catalog() -> tuple[Catalog, str]:
    unit = "ñandú-Ωμέγα-Жираф-✓-"
    name = (unit * 30)[:500]
    assert len(name) == 500
    tags = {"pii": "true", "phi": "true", "lawful_basis": "consent"}
    inp = DatasetInput("d1", name[:200], "abc", "s3://x/" + name[:120], "training", tags)
    run = Run("r" * 32, user="ö@example.org", inputs=[inp])
    v = ModelVersion(name, "1", stage="Production", run_id=run.run_id, run_user=run.user, datasets=[inp], source="models:/m-1")
    model = RegisteredModel(name=name, tags={"risk_tier": "high"}, aliases={"champion": "1"}, versions=[v])
    ds = Dataset("d1", name[:200], "abc", "s3://x/" + name[:120], tags=tags)
    return Catalog(stores=[StoreInfo("mlflow", "long.db", "x")], models=[model], runs={run.run_id: run},
                   datasets={"d1": ds}), name


def test_long_unicode_model_name_wraps_inside_the_page(tmp_path: Path) -> None:
    catalog, name = _long_name_catalog()
    result = export_report(catalog, "eu-ai-act", tmp_path / "long.pdf", settings=SETTINGS)
    reader = PdfReader(str(result.path))
    text = flat(pdf_text(result.path)).replace(" ", "")
    assert name[:60].replace(" ", "") in text  # rendered (wrapped, so spaces/newlines may split it)
    width = float(reader.pages[0].mediabox.width)
    outside: list[tuple[float, str]] = []

    def visit(t: str, cm: list[float], tm: list[float], *_: object) -> None:
        x = cm[4] + tm[4] * cm[0]
        if t.strip() and (x < -1 or x > width):
            outside.append((x, t[:30]))

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    assert not outside, outside[:5]


def _render_pngs(pdf: Path, out_dir: Path, prefix: str, pages: int = 4) -> list[Path]:
    exe = shutil.which("pdftoppm")
    if exe is None:
        if IN_CI:
            pytest.fail("pdftoppm is missing: install poppler-utils in CI")
        pytest.skip("pdftoppm not installed (apt-get install poppler-utils)")
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([exe, "-r", "60", "-png", "-f", "1", "-l", str(pages), str(pdf), str(out_dir / prefix)],
                   check=True, timeout=120)
    return sorted(out_dir.glob(f"{prefix}*.png"))


def test_first_pages_render_to_png(catalog: Catalog, tmp_path: Path) -> None:
    """Renders the first pages of each edition (and the long-name report) so a person can look at them."""
    long_catalog, _ = _long_name_catalog()
    for edition, cat in (("gdpr", catalog), ("hipaa", catalog), ("eu-ai-act", catalog), ("long-name", long_catalog)):
        pdf = tmp_path / f"{edition}.pdf"
        export_report(cat, "eu-ai-act" if edition == "long-name" else edition, pdf, settings=SETTINGS)
        pngs = _render_pngs(pdf, SNAPSHOT_DIR / "reports", edition)
        assert len(pngs) == 4
        from PIL import Image

        with Image.open(pngs[0]) as im:
            lo, hi = im.convert("L").getextrema()
            assert im.size == (497, 702) and hi - lo > 100  # A4 at 60 dpi (rounded up), not a blank page


# ------------------------------------------------------------------------------ bad input


def test_unwritable_output_paths(catalog: Catalog, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    with pytest.raises(UsageError, match="does not exist"):
        export_report(catalog, "gdpr", tmp_path / "missing" / "r.pdf", settings=SETTINGS)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(UsageError, match="is a file, not a folder"):
        export_report(catalog, "gdpr", tmp_path / "afile" / "r.pdf", settings=SETTINGS)
    with pytest.raises(UsageError, match="is a folder"):
        export_report(catalog, "gdpr", tmp_path, settings=SETTINGS)
    with pytest.raises(UsageError, match="Unknown report edition"):
        export_report(catalog, "sox", tmp_path / "r.pdf", settings=SETTINGS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_folder(catalog: Catalog, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(UsageError, match="no permission"):
            export_report(catalog, "gdpr", folder / "r.pdf", settings=SETTINGS)
    finally:
        folder.chmod(0o700)


def test_cancelled_export_leaves_no_file(catalog: Catalog, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    total = [0]

    def count() -> bool:
        total[0] += 1
        return False

    export_report(catalog, "gdpr", tmp_path / "probe.pdf", settings=SETTINGS, is_cancelled=count)
    for p in tmp_path.iterdir():
        p.unlink()
    assert total[0] > 10  # enough checks to cancel at the start, in the middle and at the end
    for limit in (0, total[0] // 2, total[0] - 1):  # at the start, mid-layout, just before the rename
        calls = [0]

        def cancel_after(limit: int = limit, calls: list[int] = calls) -> bool:
            calls[0] += 1
            return calls[0] > limit

        with pytest.raises(CancelledError):
            export_report(catalog, "gdpr", tmp_path / "r.pdf", settings=SETTINGS, is_cancelled=cancel_after)
        assert list(tmp_path.iterdir()) == [], limit


def test_existing_file_survives_a_failed_export(catalog: Catalog, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    out = tmp_path / "r.pdf"
    out.write_bytes(b"previous report")
    with pytest.raises(CancelledError):
        export_report(catalog, "gdpr", out, settings=SETTINGS, is_cancelled=lambda: True)
    assert out.read_bytes() == b"previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.pdf"]


def test_store_that_disappears_mid_export(mlflow3_db: Path, tmp_path: Path) -> None:
    before = [0]

    def clobber(done: int, total: int, message: str) -> None:
        before[0] += 1
        if before[0] == 1:
            mlflow3_db.write_bytes(b"gone" * 4096)

    out = tmp_path / "out" / "r.pdf"
    out.parent.mkdir()
    with pytest.raises(StoreError, match="is not a metadata store"):
        run_report([str(mlflow3_db)], "gdpr", out, settings=SETTINGS, progress=clobber)
    assert list(out.parent.iterdir()) == []


def test_governance_store_that_breaks_before_recording(catalog: Catalog, governance, tmp_path: Path, mlflow3_db: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out" / "r.pdf"
    out.parent.mkdir()
    broken = [False]

    def break_gov(done: int, total: int, message: str) -> None:
        if "Laying out" in message and not broken[0]:
            broken[0] = True
            with open(governance.url, "r+b") as fh:  # noqa: PTH123
                fh.write(b"\0" * 4096)

    with pytest.raises(StoreError):
        run_report([str(mlflow3_db)], "gdpr", out, governance_url=governance.url, settings=SETTINGS,
                   progress=break_gov)
    assert broken[0] and list(out.parent.iterdir()) == []


def test_report_bytes_are_a_pdf(catalog: Catalog, tmp_path: Path) -> None:
    result = export_report(catalog, "gdpr", tmp_path / "r.pdf", settings=SETTINGS)
    data = result.path.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    PdfReader(io.BytesIO(data), strict=True)


def test_cover_carries_the_store_content_hash(catalog: Catalog, tmp_path: Path) -> None:
    import hashlib

    from pypdf import PdfReader

    out = tmp_path / "r.pdf"
    export_report(catalog, "gdpr", out, settings=SETTINGS)
    store_file = Path(catalog.stores[0].identity)
    digest = hashlib.sha256(store_file.read_bytes()).hexdigest()
    cover = PdfReader(str(out)).pages[0].extract_text().replace("\n", "")
    assert digest[:32] in cover
