"""Signing key files: encrypted PKCS#8 PEM or PKCS#12, passphrases, the key index, certificates.

The primitives (signing, verifying, key ids) are in :mod:`mlops_desktop.crypto.ecdsa`.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import verification

from mlops_desktop.core import paths
from mlops_desktop.core.errors import MlopsError, UsageError
from mlops_desktop.crypto.ecdsa import generate_private_key, is_p256, key_id, public_pem, sign_bytes

logger = logging.getLogger(__name__)

PASSPHRASE_ENV = "MLOPS_DESKTOP_PASSPHRASE"
MIN_PASSPHRASE_LENGTH = 12
PKCS12_KDF_ROUNDS = 600_000
_COMMON = {
    "password1234", "passwordpassword", "123456789012", "qwertyuiopas", "qwertyuiop12",
    "letmeinletmein", "iloveyou1234", "adminadminadmin", "changemechangeme", "welcome12345",
    "correcthorsebatterystaple",
}


class KeyFileError(MlopsError):
    """A key file cannot be read, decrypted or used."""


class CertificateError(MlopsError):
    """A signer certificate does not chain to the organisation CA or does not fit the key."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An unlocked private key, ready to sign."""

    private_key: ec.EllipticCurvePrivateKey
    key_id: str
    identity: str | None = None
    path: Path | None = None
    certificate: x509.Certificate | None = None

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.private_key.public_key()

    def sign(self, data: bytes) -> bytes:
        return sign_bytes(self.private_key, data)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What ``keys create`` / ``keys list`` report about a key (no secret material)."""

    key_id: str
    identity: str | None
    path: str
    public_path: str
    created_at: str
    certificate_path: str | None = None


# ---------------------------------------------------------------------------- public keys


def _require_p256(key: object, what: str) -> None:
    if not is_p256(key):
        raise KeyFileError(f"{what} is not an ECDSA P-256 key.", "MLOps Desktop signs with ECDSA P-256 only.")


def load_public_key_pem(data: bytes, what: str = "public key") -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(f"{what} is not a readable PEM public key.", "Pass the KEYFILE.pub written by 'keys create'.") from exc
    _require_p256(key, what)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key


def load_public_key(path: Path) -> ec.EllipticCurvePublicKey:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise KeyFileError(f"No such public key file: {path}.") from exc
    except OSError as exc:
        raise KeyFileError(f"Cannot read {path}: {exc.strerror}.") from exc
    return load_public_key_pem(data, str(path))


def public_key_identity(path: Path) -> str | None:
    """The ``# identity:`` comment ``keys create`` writes above the PEM, if any."""
    try:
        text = Path(path).read_text("utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("# identity:"):
            return line.split(":", 1)[1].strip() or None
    return None


# ---------------------------------------------------------------------------- passphrases


def check_passphrase_strength(passphrase: str) -> None:
    """Refuse passphrases a laptop can guess: PKCS#8 PEM encryption uses few KDF rounds."""
    hint = f"Use at least {MIN_PASSPHRASE_LENGTH} characters, e.g. four unrelated words."
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise UsageError(f"The passphrase is too short ({len(passphrase)} characters).", hint)
    folded = passphrase.lower()
    compact = re.sub(r"[\s\-_.]", "", folded)
    if len(set(folded)) < 5:
        raise UsageError("The passphrase is too weak (too few different characters).", hint)
    if compact in _COMMON or any(compact == w * (len(compact) // len(w)) for w in _COMMON_BASES if len(compact) % len(w) == 0):
        raise UsageError("The passphrase is too weak (a common password).", hint)
    if compact.isdigit() or _is_sequence(compact):
        raise UsageError("The passphrase is too weak (a simple sequence).", hint)


_COMMON_BASES = ("password", "passw0rd", "admin", "qwerty", "abc123", "letmein", "secret", "123456")


def _is_sequence(text: str) -> bool:
    if len(text) < 3:
        return False
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return steps in ({1}, {-1}, {0})


def get_passphrase(prompt: str, *, confirm: bool = False, check_strength: bool = False) -> str:
    """The passphrase from MLOPS_DESKTOP_PASSPHRASE, else an interactive prompt."""
    env = os.environ.get(PASSPHRASE_ENV)
    if env is not None:
        passphrase = env
    else:
        try:
            passphrase = getpass.getpass(prompt)
            if confirm and getpass.getpass("Repeat the passphrase: ") != passphrase:
                raise UsageError("The two passphrases differ.", "Type the same passphrase twice.")
        except EOFError as exc:
            raise UsageError(
                "No passphrase given.", f"Type it at the prompt or set {PASSPHRASE_ENV} for automation."
            ) from exc
    if check_strength:
        check_passphrase_strength(passphrase)
    return passphrase


# ---------------------------------------------------------------------------- key files


def _atomic_write(path: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _public_file_text(public_key: ec.EllipticCurvePublicKey, identity: str | None) -> bytes:
    header = "# MLOps Desktop signer public key (ECDSA P-256)\n"
    if identity:
        header += f"# identity: {identity}\n"
    header += f"# key id: {key_id(public_key)}\n"
    return header.encode() + public_pem(public_key)


def _write_key_pair(
    out: Path,
    private_key: ec.EllipticCurvePrivateKey,
    passphrase: str,
    identity: str | None,
    certificate: x509.Certificate | None = None,
) -> KeyInfo:
    out = Path(out)
    pub = out.with_name(out.name + ".pub")
    crt = out.with_name(out.name + ".crt")
    for target in (out, pub):
        if target.exists():
            raise UsageError(f"{target} already exists.", "Pick another --out path; keys are never overwritten.")
    if not out.parent.is_dir():
        raise UsageError(f"Folder {out.parent} does not exist.", "Create it first or pick another --out path.")
    encrypted = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode("utf-8")),
    )
    written: list[Path] = []
    try:
        _atomic_write(pub, _public_file_text(private_key.public_key(), identity), 0o644)
        written.append(pub)
        if certificate is not None:
            _atomic_write(crt, certificate.public_bytes(serialization.Encoding.PEM), 0o644)
            written.append(crt)
        _atomic_write(out, encrypted, 0o600)
        written.append(out)
    except OSError as exc:
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        raise MlopsError(f"Cannot write the key to {out}: {exc.strerror or exc}.", "Check the folder is writable.") from exc
    info = KeyInfo(
        key_id=key_id(private_key.public_key()),
        identity=identity,
        path=str(out.resolve()),
        public_path=str(pub.resolve()),
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        certificate_path=str(crt.resolve()) if certificate is not None else None,
    )
    _remember_key(info)
    return info


def format_identity(name: str | None, email: str | None) -> str | None:
    if name and email:
        return f"{name} <{email}>"
    return email or name or None


def create_key(out: Path, name: str | None, email: str | None, passphrase: str) -> KeyInfo:
    """Generate a P-256 key; write ``out`` (encrypted PKCS#8 PEM, 0600) and ``out.pub``."""
    check_passphrase_strength(passphrase)
    return _write_key_pair(Path(out), generate_private_key(), passphrase, format_identity(name, email))


def import_pkcs12(p12_path: Path, p12_passphrase: str, out: Path, new_passphrase: str,
                  identity: str | None = None) -> KeyInfo:
    """Import a PKCS#12 bundle (key + optional certificate) as an encrypted key file."""
    check_passphrase_strength(new_passphrase)
    key, cert = _load_pkcs12(Path(p12_path), p12_passphrase)
    if identity is None and cert is not None:
        identity = _certificate_identity(cert)
    return _write_key_pair(Path(out), key, new_passphrase, identity, cert)


def export_pkcs12(key: SigningKey, out: Path, passphrase: str) -> None:
    """Write ``key`` (and its certificate) as PKCS#12 with many KDF rounds."""
    check_passphrase_strength(passphrase)
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(PKCS12_KDF_ROUNDS)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(passphrase.encode("utf-8"))
    )
    data = pkcs12.serialize_key_and_certificates(
        (key.identity or key.key_id).encode("utf-8"), key.private_key, key.certificate, None, encryption
    )
    if Path(out).exists():
        raise UsageError(f"{out} already exists.", "Pick another path.")
    _atomic_write(Path(out), data, 0o600)


def _certificate_identity(cert: x509.Certificate) -> str | None:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        emails = san.get_values_for_type(x509.RFC822Name)
        if emails:
            return str(emails[0])
    except x509.ExtensionNotFound:
        pass
    cns = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(cns[0].value) if cns else None


def _load_pkcs12(path: Path, passphrase: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate | None]:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyFileError(f"No such key file: {path}.") from exc
    except OSError as exc:
        raise KeyFileError(f"Cannot read {path}: {exc.strerror}.") from exc
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(data, passphrase.encode("utf-8"))
    except ValueError as exc:
        text = str(exc).lower()
        if "password" in text or "decrypt" in text or "mac" in text:
            raise KeyFileError(f"Wrong passphrase for {path}.") from exc
        raise KeyFileError(f"{path} is not a readable PKCS#12 file (corrupt or not a key file).") from exc
    if key is None:
        raise KeyFileError(f"{path} holds no private key.")
    _require_p256(key, str(path))
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key, cert


def load_private_key(path: Path | str, passphrase: str) -> SigningKey:
    """Unlock a key file (encrypted PKCS#8 PEM, or PKCS#12 .p12/.pfx)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyFileError(f"No such key file: {path}.", "Create one with 'mlops-desktop keys create'.") from exc
    except IsADirectoryError as exc:
        raise KeyFileError(f"{path} is a folder, not a key file.") from exc
    except OSError as exc:
        raise KeyFileError(f"Cannot read {path}: {exc.strerror}.") from exc
    identity: str | None = None
    certificate: x509.Certificate | None = None
    if b"-----BEGIN" not in data:
        key, certificate = _load_pkcs12(path, passphrase)
        identity = _certificate_identity(certificate) if certificate is not None else None
    else:
        if b"ENCRYPTED PRIVATE KEY" not in data:
            raise KeyFileError(
                f"{path} is not an encrypted private key file.",
                "Pass the KEYFILE written by 'keys create' (not the .pub file), or import a PKCS#12 file.",
            )
        try:
            loaded = serialization.load_pem_private_key(data, passphrase.encode("utf-8"))
        except ValueError as exc:
            if "incorrect password" in str(exc).lower() or "decrypt" in str(exc).lower():
                raise KeyFileError(f"Wrong passphrase for {path}.", "Type the passphrase you chose at 'keys create'.") from exc
            raise KeyFileError(f"{path} is not a readable private key (corrupt or truncated).",
                            "Restore the key file from your backup.") from exc
        except (TypeError, UnsupportedAlgorithm) as exc:
            raise KeyFileError(f"{path} is not a readable private key ({exc}).") from exc
        _require_p256(loaded, str(path))
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        key = loaded
        pub = path.with_name(path.name + ".pub")
        identity = public_key_identity(pub) if pub.exists() else None
        crt = path.with_name(path.name + ".crt")
        if crt.exists():
            certificate = load_certificate(crt)
    return SigningKey(key, key_id(key.public_key()), identity, path, certificate)


# ---------------------------------------------------------------------------- key index


def _index_path() -> Path:
    return paths.keys_dir() / "index.json"


def _remember_key(info: KeyInfo) -> None:
    try:
        paths.ensure_dir(paths.keys_dir())
        items = [k for k in _read_index() if k.get("key_id") != info.key_id]
        items.append({
            "key_id": info.key_id, "identity": info.identity, "path": info.path,
            "public_path": info.public_path, "created_at": info.created_at,
            "certificate_path": info.certificate_path,
        })
        _atomic_write(_index_path(), json.dumps(items, indent=2).encode(), 0o600)
    except OSError as exc:  # the key itself is written; the index is a convenience
        logger.warning("Could not record key %s in %s: %s", info.key_id, _index_path(), exc)


def _read_index() -> list[dict[str, str | None]]:
    try:
        data = json.loads(_index_path().read_text("utf-8"))
    except (OSError, ValueError):
        return []
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []


def list_keys() -> list[KeyInfo]:
    """Keys this client created or imported (from the config directory's index)."""
    out = []
    for d in _read_index():
        out.append(KeyInfo(
            key_id=str(d.get("key_id")), identity=d.get("identity"), path=str(d.get("path")),
            public_path=str(d.get("public_path")), created_at=str(d.get("created_at")),
            certificate_path=d.get("certificate_path"),
        ))
    return out


def export_public(path: Path) -> bytes:
    """The bare SubjectPublicKeyInfo PEM of a key file, its .pub file, or a PKCS#12 bundle."""
    path = Path(path)
    pub = path if path.suffix == ".pub" else path.with_name(path.name + ".pub")
    if pub.exists():
        return public_pem(load_public_key(pub))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"No such key file: {path}.") from exc
    if b"PUBLIC KEY" in data:
        return public_pem(load_public_key_pem(data, str(path)))
    raise KeyFileError(f"No public key next to {path} (expected {pub}).", "Export it from the .pub file 'keys create' wrote.")


# ---------------------------------------------------------------------------- certificates


def load_certificate(path: Path) -> x509.Certificate:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CertificateError(f"Cannot read certificate {path}: {exc.strerror or exc}.") from exc
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise CertificateError(f"{path} is not a readable X.509 certificate.") from exc


def load_certificates(path: Path) -> list[x509.Certificate]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CertificateError(f"Cannot read CA file {path}: {exc.strerror or exc}.") from exc
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise CertificateError(f"{path} holds no readable PEM certificates.") from exc
    return certs


def verify_certificate(
    certificate: x509.Certificate,
    roots: Sequence[x509.Certificate],
    public_key: ec.EllipticCurvePublicKey,
    at: datetime,
    intermediates: Sequence[x509.Certificate] = (),
) -> None:
    """Check a signer certificate chains to the organisation CA at ``at`` and certifies the key.

    Uses ``cryptography.x509.verification`` with a permissive end-entity extension policy
    (signer certificates need no TLS server/client names). Revocation is the trust list's job.
    """
    if not roots:
        raise CertificateError("No organisation CA is configured.", "Set the CA certificate file first.")
    if key_id(certificate.public_key()) != key_id(public_key):  # type: ignore[arg-type]
        raise CertificateError("The certificate is for another key than the signer's.")
    builder = (
        verification.PolicyBuilder()
        .store(verification.Store(list(roots)))
        .time(at.astimezone(UTC).replace(tzinfo=None))
        .extension_policies(
            ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(),
            ee_policy=verification.ExtensionPolicy.permit_all(),
        )
    )
    verifier = builder.build_client_verifier()
    try:
        verifier.verify(certificate, list(intermediates))
    except verification.VerificationError as exc:
        subject = certificate.subject.rfc4514_string()
        if at < certificate.not_valid_before_utc or at > certificate.not_valid_after_utc:
            raise CertificateError(
                f"The certificate of {subject} is not valid at {at:%Y-%m-%d %H:%M}Z "
                f"(valid {certificate.not_valid_before_utc:%Y-%m-%d} to {certificate.not_valid_after_utc:%Y-%m-%d})."
            ) from exc
        raise CertificateError(
            f"The certificate of {subject} is not issued by the organisation CA ({exc})."
        ) from exc
