"""PAdES B-B report signatures: real reports, real pyHanko, negative vectors first (CRYPTO.md)."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pypdf import PdfReader

from mlops_desktop.cli.main import main
from mlops_desktop.core.entities import Catalog, StoreInfo
from mlops_desktop.core.errors import UsageError
from mlops_desktop.crypto.ecdsa import generate_private_key, key_id
from mlops_desktop.governance.keys import SigningKey, create_key, load_private_key
from mlops_desktop.reports import pades
from mlops_desktop.reports.export import export_report
from mlops_desktop.reports.jobs import run_report
from tests.reports.govfix import SETTINGS, Gov

PASSPHRASE = "correct staple horse battery 42"
AS_OF = ["--as-of", "2026-06-01"]


def _key(identity: str = "Olga Officer <olga@example.org>") -> SigningKey:
    priv = generate_private_key()
    return SigningKey(priv, key_id(priv.public_key()), identity)


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, x509.Certificate, SigningKey]:
    """One signed report (empty store: quick) shared by the negative vectors, which work on copies."""
    key = _key()
    cert = pades.self_signed_certificate(key)
    empty = Catalog(stores=[StoreInfo("mlflow", "empty.db", "abc123", identity="sha256:00")])
    out = tmp_path_factory.mktemp("signed") / "gdpr.pdf"

    def sign(pdf: bytes) -> tuple[bytes, str]:
        return pades.sign_pdf_bytes(pdf, key, cert), key.key_id

    result = export_report(empty, "gdpr", out, settings=SETTINGS, sign=sign)
    assert result.signed_by == key.key_id
    return out.read_bytes(), cert, key


def _copy(tmp_path: Path, data: bytes, name: str = "copy.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- negative vectors


def test_flipped_byte_in_signed_range_is_not_intact(signed: tuple[bytes, x509.Certificate, SigningKey],
                                                    tmp_path: Path) -> None:
    data, cert, _ = signed
    byte_range = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
    assert byte_range is not None
    first_len = int(byte_range.group(2))
    stream = data.index(b"stream", len(data) // 4)  # inside a content stream of the original revision
    pos = stream + 40
    assert pos < first_len  # within the first signed range
    tampered = bytearray(data)
    tampered[pos] ^= 0x01
    result = pades.verify_pdf(_copy(tmp_path, bytes(tampered)), [cert])
    assert result.ok is False, result.verdict
    assert result.error is None and len(result.signatures) == 1
    sig = result.signatures[0]
    assert sig.intact is False and sig.bottom_line is False
    assert sig.valid is True  # why `valid` alone must never be the verdict (CRYPTO.md)
    assert "not intact" in result.verdict and result.verdict.startswith("INVALID")


def test_incremental_metadata_edit_after_signing_is_modified(signed: tuple[bytes, x509.Certificate, SigningKey],
                                                             tmp_path: Path) -> None:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    data, cert, _ = signed
    buf = io.BytesIO(data)
    writer = IncrementalPdfFileWriter(buf, strict=False)
    writer.document_meta.title = "A quite different report"
    writer.write_in_place()
    edited = buf.getvalue()
    assert edited.startswith(data) and len(edited) > len(data)  # a genuine incremental update
    result = pades.verify_pdf(_copy(tmp_path, edited), [cert])
    sig = result.signatures[0]
    assert (sig.intact, sig.valid, sig.trusted) == (True, True, True)  # the signed revision itself is untouched...
    assert (sig.coverage != "ENTIRE_FILE", sig.modified) == (True, True)  # ...but the file was changed after it
    # pyHanko files an Info-dictionary update under "signature maintenance" (LTA_UPDATES), which even
    # DocMDP "no changes" tolerates, so bottom_line alone may pass it; the report's verdict must not:
    # the audit log holds the hash of the signed file, and this is a different file.
    assert result.ok is False and "changed after signing" in result.verdict


def test_incremental_annotation_after_signing_is_modified(signed: tuple[bytes, x509.Certificate, SigningKey],
                                                          tmp_path: Path) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    data, cert, _ = signed
    buf = io.BytesIO(data)
    writer = IncrementalPdfFileWriter(buf, strict=False)
    page_ref = writer.root["/Pages"]["/Kids"].raw_get(0)
    page = page_ref.get_object()
    annot = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/Text"),
        generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(n) for n in (50, 50, 80, 80)]),
        generic.NameObject("/Contents"): generic.TextStringObject("No findings, really."),
    }))
    page[generic.NameObject("/Annots")] = generic.ArrayObject([annot])
    writer.mark_update(page_ref)
    writer.write_in_place()
    result = pades.verify_pdf(_copy(tmp_path, buf.getvalue()), [cert])
    sig = result.signatures[0]
    assert (sig.intact, sig.trusted, sig.modified) == (True, True, True)
    assert sig.modification_level not in (None, "NONE")
    assert (sig.bottom_line, result.ok) == (False, False)


def test_other_trust_root_is_not_trusted(signed: tuple[bytes, x509.Certificate, SigningKey], tmp_path: Path) -> None:
    data, _, _ = signed
    stranger = pades.self_signed_certificate(_key("Olga Officer <olga@example.org>"))  # same name, other key
    result = pades.verify_pdf(_copy(tmp_path, data), [stranger])
    sig = result.signatures[0]
    assert (sig.intact, sig.valid) == (True, True)  # cryptographically fine...
    assert sig.trusted is False and sig.bottom_line is False  # ...but not from anyone we trust
    assert result.ok is False and "trusted root" in result.verdict
    assert pades.verify_pdf(_copy(tmp_path, data, "b.pdf"), []).ok is False


def test_unsigned_and_garbage_pdfs_fail_with_a_verdict(signed: tuple[bytes, x509.Certificate, SigningKey],
                                                       tmp_path: Path) -> None:
    data, cert, _ = signed
    cut = data.rindex(b"%%EOF", 0, data.index(b"/ByteRange")) + len(b"%%EOF")  # the revision before signing
    unsigned = pades.verify_pdf(_copy(tmp_path, data[:cut] + b"\n", "u.pdf"), [cert])
    assert unsigned.ok is False and unsigned.verdict.startswith("UNSIGNED")
    garbage = pades.verify_pdf(_copy(tmp_path, b"%PDF-1.7\nnot really a pdf\n", "g.pdf"), [cert])
    assert garbage.ok is False and garbage.verdict.startswith("INVALID")


def test_certificate_for_another_key_is_refused(tmp_path: Path) -> None:
    key = _key()
    other = pades.self_signed_certificate(_key())
    with pytest.raises(pades.PdfSignatureError, match="not for this key"):
        pades.sign_pdf_bytes(b"%PDF-1.7\n", key, other)


# ---------------------------------------------------------------- positive


def test_signed_report_verifies_and_carries_its_certificate(signed: tuple[bytes, x509.Certificate, SigningKey],
                                                            tmp_path: Path) -> None:
    data, cert, key = signed
    path = _copy(tmp_path, data)
    result = pades.verify_pdf(path, [cert])
    assert result.ok is True, result.verdict
    [sig] = result.signatures
    assert (sig.bottom_line, sig.intact, sig.valid, sig.trusted) == (True, True, True, True)
    assert sig.coverage == "ENTIRE_FILE" and sig.modification_level == "NONE" and sig.docmdp_ok
    assert sig.key_id == key.key_id and sig.signer == key.identity
    assert result.verdict.startswith("VALID") and json.loads(json.dumps(result.as_json()))["ok"] is True
    # the self-signed certificate: CN = identity, one year, digitalSignature + nonRepudiation
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == key.identity
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days in (365, 366)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert (usage.digital_signature, usage.content_commitment, usage.key_cert_sign) == (True, True, False)
    # PAdES B-B: ETSI.CAdES.detached sub-filter, and the evidence bundle is still attached
    assert b"/ETSI.CAdES.detached" in data
    reader = PdfReader(io.BytesIO(data))
    assert "gdpr.evidence.json" in reader.attachments and len(reader.pages) >= 3


def test_sign_pdf_file_to_file(signed: tuple[bytes, x509.Certificate, SigningKey], tmp_path: Path) -> None:
    data, _, _ = signed
    cut = data.rindex(b"%%EOF", 0, data.index(b"/ByteRange")) + len(b"%%EOF")
    src = _copy(tmp_path, data[:cut] + b"\n", "in.pdf")
    key = _key("Second Officer")
    pades.sign_pdf(src, tmp_path / "out.pdf", key)  # no certificate: a self-signed one is embedded
    from pyhanko.pdf_utils.reader import PdfFileReader

    embedded = PdfFileReader(io.BytesIO((tmp_path / "out.pdf").read_bytes())).embedded_signatures[0]
    cert = x509.load_der_x509_certificate(embedded.signer_cert.dump())
    result = pades.verify_pdf(tmp_path / "out.pdf", [cert])
    assert result.ok and result.signatures[0].signer == "Second Officer"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_run_report_records_the_hash_of_the_signed_file(catalog: Catalog, governance: Gov, tmp_path: Path,
                                                        mlflow3_db: Path) -> None:
    key = _key()
    out = tmp_path / "hipaa.pdf"
    result = run_report([str(mlflow3_db)], "hipaa", out, governance_url=governance.url, settings=SETTINGS,
                        catalog=catalog, sign_key=key)
    signed_bytes = out.read_bytes()
    assert result.sha256 == hashlib.sha256(signed_bytes).hexdigest() and result.signed_by == key.key_id
    from mlops_desktop.governance.audit import read_entries
    from mlops_desktop.governance.store import open_governance

    with open_governance(governance.url) as gov:
        entries = [e for e in read_entries(gov) if e.action == "report.export"]
    assert [e.details["sha256"] for e in entries] == [result.sha256]
    from pyhanko.pdf_utils.reader import PdfFileReader

    embedded = PdfFileReader(io.BytesIO(signed_bytes)).embedded_signatures[0]
    cert = x509.load_der_x509_certificate(embedded.signer_cert.dump())
    assert pades.verify_pdf(out, [cert]).ok is True


# ---------------------------------------------------------------- CLI


def _officer_key(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "officer.key"
    path.parent.mkdir()
    create_key(path, "Olga Officer", "olga@example.org", PASSPHRASE)
    return path


def test_cli_report_sign_key(mlflow3_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    keyfile = _officer_key(tmp_path)
    key = load_private_key(keyfile, PASSPHRASE)
    cert = pades.self_signed_certificate(key)
    cert_file = tmp_path / "officer.crt.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    monkeypatch.setenv("MLOPS_DESKTOP_PASSPHRASE", PASSPHRASE)
    out = tmp_path / "r.pdf"
    code = main(["report", "--store", str(mlflow3_db), "--edition", "gdpr", "--out", str(out), "--models",
                 "churn-predictor", "--sign-key", str(keyfile), "--sign-cert", str(cert_file), "--format", "json",
                 *AS_OF])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["signed_by"] == key.key_id and doc["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    result = pades.verify_pdf(out, [cert])
    assert result.ok and result.signatures[0].signer == "Olga Officer <olga@example.org>"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("wrong-passphrase", "Wrong passphrase"),
        ("missing-key", "No such key file"),
        ("public-key", "not an encrypted private key"),
        ("cert-without-key", "--sign-cert needs --sign-key"),
        ("cert-for-other-key", "not for this key"),
        ("garbage-cert", "not a readable X.509 certificate"),
    ],
)
def test_cli_sign_bad_input_exits_2_and_writes_nothing(mlflow3_db: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str],
                                                       case: str, message: str) -> None:
    keyfile = _officer_key(tmp_path)
    monkeypatch.setenv("MLOPS_DESKTOP_PASSPHRASE", "this is not the passphrase" if case == "wrong-passphrase"
                       else PASSPHRASE)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    extra: list[str] = ["--sign-key", str(keyfile)]
    if case == "missing-key":
        extra = ["--sign-key", str(tmp_path / "nope.key")]
    elif case == "public-key":
        extra = ["--sign-key", str(keyfile) + ".pub"]
    elif case == "cert-without-key":
        extra = ["--sign-cert", str(keyfile) + ".pub"]
    elif case == "cert-for-other-key":
        other = tmp_path / "other.pem"
        other.write_bytes(pades.self_signed_certificate(_key()).public_bytes(serialization.Encoding.PEM))
        extra += ["--sign-cert", str(other)]
    elif case == "garbage-cert":
        bad = tmp_path / "bad.pem"
        bad.write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        extra += ["--sign-cert", str(bad)]
    before = keyfile.read_bytes()
    code = main(["report", "--store", str(mlflow3_db), "--edition", "gdpr", "--out", str(out_dir / "r.pdf"),
                 *extra, *AS_OF])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert list(out_dir.iterdir()) == []
    assert keyfile.read_bytes() == before


def test_missing_pyhanko_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pyhanko.sign", None)  # as if pyHanko were not installed
    with pytest.raises(UsageError, match=r"mlops-desktop\[sign\]"):
        pades.require_pyhanko()


def test_cancel_or_failure_while_signing_leaves_no_file(tmp_path: Path) -> None:
    from mlops_desktop.core.errors import CancelledError

    empty = Catalog(stores=[StoreInfo("mlflow", "empty.db", "abc123", identity="sha256:00")])
    key = _key()
    cancelled = [False]

    def sign_then_cancel(pdf: bytes) -> tuple[bytes, str]:
        signed_pdf = pades.sign_pdf_bytes(pdf, key)
        cancelled[0] = True  # the user presses Cancel while the signature is being made
        return signed_pdf, key.key_id

    def failing_sign(pdf: bytes) -> tuple[bytes, str]:
        return pades.sign_pdf_bytes(pdf, key, pades.self_signed_certificate(_key())), key.key_id

    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(CancelledError):
        export_report(empty, "gdpr", out / "r.pdf", settings=SETTINGS, sign=sign_then_cancel,
                      is_cancelled=lambda: cancelled[0])
    assert list(out.iterdir()) == []
    with pytest.raises(pades.PdfSignatureError, match="not for this key"):
        export_report(empty, "gdpr", out / "r.pdf", settings=SETTINGS, sign=failing_sign)
    assert list(out.iterdir()) == []
