"""PAdES B-B signatures on exported reports (optional; needs the ``sign`` extra: pyHanko).

The report is signed with the officer's ECDSA P-256 key as a *certification* signature that
permits no further changes (DocMDP level 1), PAdES baseline B-B (``ETSI.CAdES.detached``,
SHA-256). When the officer has no X.509 certificate, a self-signed one is made for the key
(CN = the key's identity, one year, key usage digitalSignature + nonRepudiation) and embedded.

Verification judges by pyHanko's ``bottom_line`` (never ``valid`` alone: a flipped byte keeps
``valid`` but loses ``intact``) and, on top of it, refuses any incremental update after the
signature: the report's SHA-256 recorded in the audit log is that of the signed file, so any
later revision is a different document.

pyHanko is imported lazily: the rest of the application works without it.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from mlops_desktop.core.errors import MlopsError, UsageError
from mlops_desktop.crypto.ecdsa import key_id
from mlops_desktop.governance.keys import SigningKey

logger = logging.getLogger(__name__)

INSTALL_HINT = "Install the signing extra: pip install 'mlops-desktop[sign]' (it adds pyHanko)."
FIELD_NAME = "MLOpsDesktopReportSignature"
CERT_VALIDITY = timedelta(days=365)


class PdfSignatureError(MlopsError):
    """The PDF cannot be signed or read for verification."""


def _pyhanko() -> Any:
    """Import pyHanko or explain how to get it."""
    try:
        import pyhanko.sign  # noqa: F401
        from pyhanko.sign import signers
    except ImportError as exc:
        raise UsageError("Signing or verifying PDF reports needs pyHanko, which is not installed.",
                         INSTALL_HINT) from exc
    return signers


def require_pyhanko() -> None:
    """Fail early (before any work) when pyHanko is missing."""
    _pyhanko()


def self_signed_certificate(key: SigningKey, *, now: datetime | None = None) -> x509.Certificate:
    """A self-signed certificate for ``key``: CN = its identity (else its key id), valid one year."""
    now = now or datetime.now(UTC)
    cn = key.identity or key.key_id
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + CERT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key), critical=False)
    )
    return builder.sign(key.private_key, hashes.SHA256())


def check_certificate(cert: x509.Certificate, key: SigningKey) -> None:
    """Refuse a certificate that is not for ``key`` (the signature would never verify)."""
    if key_id(cert.public_key()) != key.key_id:  # type: ignore[arg-type]
        raise PdfSignatureError("The signing certificate is not for this key.",
                                "Pass the certificate issued for this key with --sign-cert.")


def _asn1_cert(cert: x509.Certificate) -> Any:
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def sign_pdf_bytes(pdf: bytes, key: SigningKey, certificate: x509.Certificate | None = None,
                   *, reason: str = "Audit report issued") -> bytes:
    """``pdf`` with a PAdES B-B certification signature by ``key`` appended as an incremental update."""
    signers = _pyhanko()
    from asn1crypto import keys as asn1_keys
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
    from pyhanko.sign.general import SigningError
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    cert = certificate or key.certificate or self_signed_certificate(key)
    check_certificate(cert, key)
    asn1_cert = _asn1_cert(cert)
    pkcs8 = key.private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
    signer = signers.SimpleSigner(
        signing_cert=asn1_cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(pkcs8),
        cert_registry=SimpleCertificateStore.from_certs([asn1_cert]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        name=key.identity or key.key_id,
        reason=f"{reason} (key {key.key_id})",
    )
    out = io.BytesIO()
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        signers.sign_pdf(writer, meta, signer=signer, output=out)
    except (PdfError, SigningError, ValueError) as exc:
        raise PdfSignatureError(f"Cannot sign the report PDF: {exc}.") from exc
    logger.info("signed report PDF with key %s", key.key_id)
    return out.getvalue()


def sign_pdf(in_path: Path | str, out_path: Path | str, key: SigningKey,
             certificate: x509.Certificate | None = None) -> None:
    """Sign the PDF at ``in_path`` into ``out_path`` (written to a temp file, then renamed)."""
    import os
    import tempfile

    src, dst = Path(in_path), Path(out_path)
    try:
        data = src.read_bytes()
    except OSError as exc:
        raise UsageError(f"Cannot read {src}: {exc.strerror or exc}.") from exc
    signed = sign_pdf_bytes(data, key, certificate)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.stem}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(signed)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(slots=True)
class SignatureCheck:
    """One signature in the PDF, as pyHanko judged it."""

    field_name: str
    signer: str | None
    key_id: str | None
    signing_time: str | None
    intact: bool
    valid: bool
    trusted: bool
    coverage: str  # ENTIRE_FILE when nothing was appended after the signature
    modification_level: str | None  # NONE, LTA_UPDATES, FORM_FILLING, ANNOTATIONS, OTHER
    docmdp_ok: bool | None
    bottom_line: bool

    @property
    def modified(self) -> bool:
        return self.coverage != "ENTIRE_FILE" or self.modification_level not in (None, "NONE")

    @property
    def ok(self) -> bool:
        return self.bottom_line and self.intact and self.trusted and not self.modified


@dataclass(slots=True)
class PdfVerification:
    """The verdict on a PDF's signatures: ``ok`` only when every signature passes."""

    path: str
    signatures: list[SignatureCheck] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.signatures) and all(s.ok for s in self.signatures)

    @property
    def verdict(self) -> str:
        if self.error is not None:
            return f"INVALID: {self.error}"
        if not self.signatures:
            return "UNSIGNED: the PDF carries no signature."
        problems: list[str] = []
        for s in self.signatures:
            if not s.intact:
                problems.append(f"{s.field_name}: the signed bytes were altered (not intact)")
            elif not s.valid:
                problems.append(f"{s.field_name}: the signature does not verify")
            if not s.trusted:
                problems.append(f"{s.field_name}: the signer certificate does not chain to a trusted root")
            if s.modified:
                problems.append(f"{s.field_name}: the file was changed after signing "
                                f"(modification level {s.modification_level or 'unknown'})")
            if not s.bottom_line and not problems:
                problems.append(f"{s.field_name}: pyHanko's overall judgement is negative")
        if problems:
            return "INVALID: " + "; ".join(problems) + "."
        who = ", ".join(s.signer or s.key_id or s.field_name for s in self.signatures)
        return f"VALID: signed by {who}; intact, trusted, unmodified since signing."

    def as_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "ok": self.ok,
            "verdict": self.verdict,
            "signatures": [
                {"field": s.field_name, "signer": s.signer, "key_id": s.key_id, "signing_time": s.signing_time,
                 "intact": s.intact, "valid": s.valid, "trusted": s.trusted, "coverage": s.coverage,
                 "modification_level": s.modification_level, "docmdp_ok": s.docmdp_ok,
                 "bottom_line": s.bottom_line, "ok": s.ok}
                for s in self.signatures
            ],
        }


def _enum_name(value: object) -> str | None:
    return None if value is None else str(getattr(value, "name", value))


def verify_pdf(path: Path | str, trust_roots: list[x509.Certificate]) -> PdfVerification:
    """Validate every signature in the PDF against ``trust_roots`` (offline: nothing is fetched)."""
    _pyhanko()
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko_certvalidator import ValidationContext

    path = Path(path)
    result = PdfVerification(str(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    vc = ValidationContext(trust_roots=[_asn1_cert(c) for c in trust_roots], allow_fetching=False,
                           revocation_mode="soft-fail")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
        for sig in embedded:
            status = validate_pdf_signature(sig, signer_validation_context=vc)
            cert = status.signing_cert
            signer = None
            kid = None
            if cert is not None:
                crypto_cert = x509.load_der_x509_certificate(cert.dump())
                cns = crypto_cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
                signer = str(cns[0].value) if cns else crypto_cert.subject.rfc4514_string()
                kid = key_id(crypto_cert.public_key())  # type: ignore[arg-type]
            when = status.signer_reported_dt
            result.signatures.append(SignatureCheck(
                field_name=str(sig.field_name),
                signer=signer,
                key_id=kid,
                signing_time=when.astimezone(UTC).isoformat() if when is not None else None,
                intact=bool(status.intact),
                valid=bool(status.valid),
                trusted=bool(status.trusted),
                coverage=_enum_name(status.coverage) or "UNKNOWN",
                modification_level=_enum_name(status.modification_level),
                docmdp_ok=status.docmdp_ok,
                bottom_line=bool(status.bottom_line),
            ))
    except (PdfError, SignatureValidationError, ValueError, KeyError, TypeError) as exc:
        result.error = f"the PDF or its signature cannot be read ({type(exc).__name__}: {exc})"
    return result
