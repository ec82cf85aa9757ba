"""Archival properties of every edition: all fonts embedded (pdffonts), XMP metadata read back by
pypdf and agreeing with the information dictionary, PDF/A identification, the sRGB output intent,
the evidence bundle as an associated file."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from mlops_desktop.core.entities import Catalog
from mlops_desktop.reports.archival import srgb_profile, xmp_packet
from mlops_desktop.reports.export import export_report
from tests.reports.govfix import SETTINGS

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
EDITIONS = ("gdpr", "hipaa", "eu-ai-act", "model-risk")


def _pdffonts(pdf: Path) -> list[list[str]]:
    exe = shutil.which("pdffonts")
    if exe is None:
        if IN_CI:
            pytest.fail("pdffonts is missing: install poppler-utils in CI")
        pytest.skip("pdffonts not installed (apt-get install poppler-utils)")
    out = subprocess.run([exe, str(pdf)], check=True, capture_output=True, text=True, timeout=60).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_font_is_embedded(catalog: Catalog, tmp_path: Path, edition: str) -> None:
    result = export_report(catalog, edition, tmp_path / f"{edition}.pdf", settings=SETTINGS)
    rows = _pdffonts(result.path)
    # name, type..., encoding, emb, sub, uni, object, generation: emb is the 5th column from the end
    assert sorted(r[0] for r in rows) == ["AAAAAA+DejaVuSans", "AAAAAA+DejaVuSans-Bold",
                                          "AAAAAA+DejaVuSans-Oblique", "AAAAAA+DejaVuSansMono"]
    assert [r[-5] for r in rows] == ["yes"] * 4


@pytest.mark.parametrize("edition", EDITIONS)
def test_xmp_metadata_and_pdfa_identification(catalog: Catalog, tmp_path: Path, edition: str) -> None:
    result = export_report(catalog, edition, tmp_path / f"{edition}.pdf", settings=SETTINGS)
    reader = PdfReader(str(result.path))
    assert reader.pdf_header == "%PDF-1.7"
    xmp = reader.xmp_metadata
    assert xmp is not None
    info = reader.metadata
    assert info is not None
    assert xmp.dc_title == {"x-default": info.title} and result.report_id in str(info.title)
    assert xmp.dc_creator == ["Test Officer"] == [info.author]
    assert xmp.dc_description == {"x-default": info.subject}
    assert xmp.pdf_keywords == info["/Keywords"] == f"mlops-desktop, {edition}, {result.report_id}"
    assert xmp.pdf_producer == info.producer and xmp.xmp_creator_tool == info.creator
    assert xmp.xmp_create_date.isoformat() == "2026-06-01T12:00:00"  # SETTINGS.generated_at, UTC
    assert str(info["/CreationDate"]) == "D:20260601120000+00'00'"
    # the evidence bundle is attached, so the identification is PDF/A-3 level B (module docstring)
    raw = reader.trailer["/Root"]["/Metadata"].get_object()
    assert "/Filter" not in raw  # PDF/A: the metadata stream is not filtered
    text = raw.get_data().decode("utf-8")
    assert "<pdfaid:part>3</pdfaid:part>" in text and "<pdfaid:conformance>B</pdfaid:conformance>" in text
    root = reader.trailer["/Root"]
    (intent,) = [o.get_object() for o in root["/OutputIntents"]]
    assert intent["/S"] == "/GTS_PDFA1" and intent["/OutputConditionIdentifier"] == "sRGB IEC61966-2.1"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3 and profile.get_data() == srgb_profile()
    assert hashlib.sha256(srgb_profile()).hexdigest() == hashlib.sha256(
        (Path(__file__).resolve().parents[2] / "mlops_desktop/reports/icc/sRGB-lcms2.icc").read_bytes()).hexdigest()
    (af,) = [o.get_object() for o in root["/AF"]]
    assert af["/AFRelationship"] == "/Supplement" and af["/UF"] == result.bundle_path.name
    stream = af["/EF"]["/F"].get_object()
    assert stream["/Subtype"] == "/application/json"
    assert stream["/Params"]["/Size"] == len(result.bundle_path.read_bytes())
    for page in reader.pages:  # PDF/A: every annotation prints
        for annot in page.get("/Annots") or []:
            assert annot.get_object()["/F"] == 4


def test_xmp_packet_escapes_and_names_the_part() -> None:
    from datetime import UTC, datetime

    from mlops_desktop.reports.archival import DocInfo

    info = DocInfo("A <b> & c", "Ö. Officer", "s", ("k1", "k2"), "tool", "prod", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    text = xmp_packet(info, 2).decode("utf-8")
    assert "A &lt;b&gt; &amp; c" in text and "<rdf:li>Ö. Officer</rdf:li>" in text
    assert "<pdfaid:part>2</pdfaid:part>" in text and "<xmp:CreateDate>2026-01-02T03:04:05+00:00</xmp:CreateDate>" in text
