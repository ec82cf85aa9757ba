"""Signing key files: scrypt-wrapped key files, PKCS#12, passphrases, the key index, certificates.

Key files written by this version are a small JSON container (``mlops-desktop-key/v1``): the
PKCS#8 DER private key encrypted with AES-256-GCM under a key derived from the passphrase by
scrypt (N=2**17, r=8, p=1; the parameters and salt are stored in the file and authenticated as
GCM associated data). Older files, encrypted PKCS#8 PEM (PBKDF2 with 2,048 rounds), still load;
``keys upgrade`` rewrites them. PKCS#12 files are imported, or exported with 600,000 PBKDF2-SHA256
rounds. Passphrase strength is judged by zxcvbn's guess estimate, not by length alone.

The primitives (signing, verifying, key ids) are in :mod:`mlops_desktop.crypto.ecdsa`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import getpass
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import verification

from mlops_desktop.core import paths
from mlops_desktop.core.errors import MlopsError, UsageError
from mlops_desktop.crypto.canonical import canonical_json
from mlops_desktop.crypto.ecdsa import generate_private_key, is_p256, key_id, public_pem, sign_bytes

logger = logging.getLogger(__name__)

PASSPHRASE_ENV = "MLOPS_DESKTOP_PASSPHRASE"
MIN_PASSPHRASE_LENGTH = 12
#: zxcvbn score (0-4) a new passphrase must reach: 3 is "safely unguessable" (about 10^8 guesses),
#: 4 "very unguessable" (10^10 and more). Offline attacks on a stolen key file face scrypt.
MIN_PASSPHRASE_SCORE = 3
#: zxcvbn judges at most this many characters (it refuses longer input); a longer passphrase is
#: judged by its beginning, which can only make the verdict stricter.
ESTIMATE_MAX_LENGTH = 72
PKCS12_KDF_ROUNDS = 600_000
KEY_FORMAT = "mlops-desktop-key/v1"
#: scrypt cost for new key files (OWASP's minimum: N=2**17, r=8, p=1; 128 MiB, about a second).
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
#: What a key file may ask of the loader (a file with absurd parameters is refused, not run).
_SCRYPT_MAX_MEMORY = 1 << 30


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


@dataclass(frozen=True, slots=True)
class PassphraseEstimate:
    """zxcvbn's judgement of a passphrase (what a strength meter shows) and this project's verdict."""

    score: int  # 0-4
    guesses_log10: float
    weakness: str | None  # why it is refused for a new key file, None when strong enough
    suggestions: tuple[str, ...] = ()

    @property
    def acceptable(self) -> bool:
        return self.weakness is None


def estimate_passphrase(passphrase: str, user_inputs: Sequence[str] = ()) -> PassphraseEstimate:
    """How guessable ``passphrase`` is, and whether a new key file may use it.

    zxcvbn estimates how many guesses an attacker needs (dictionary words, names, keyboard
    patterns, repeats, sequences, dates, l33t); ``user_inputs`` (the key owner's name and e-mail)
    count as known words. Length alone proves nothing: 'aaaaaaaaaaaaaaaa' is long.
    """
    judged = passphrase[:ESTIMATE_MAX_LENGTH]
    from zxcvbn import zxcvbn  # its dictionaries take 13 MB: loaded when a passphrase is judged

    result = zxcvbn(judged, user_inputs=[u for u in user_inputs if u]) if passphrase else None
    score = int(result["score"]) if result else 0
    log10 = float(result["guesses_log10"]) if result else 0.0
    suggestions = tuple(str(x) for x in result["feedback"]["suggestions"]) if result else ()
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        weakness: str | None = f"too short ({len(passphrase)} characters, at least {MIN_PASSPHRASE_LENGTH})"
    elif score >= MIN_PASSPHRASE_SCORE:
        weakness = None
    else:
        assert result is not None
        warning = str(result["feedback"]["warning"] or "").rstrip(".")
        weakness = f"too weak (guessable in about 10^{int(log10)} tries"
        weakness += f": {warning[0].lower() + warning[1:]})" if warning else ")"
    return PassphraseEstimate(score, log10, weakness, suggestions)


def passphrase_weakness(passphrase: str, user_inputs: Sequence[str] = ()) -> str | None:
    """Why ``passphrase`` is too weak for a new key file, or None when it is strong enough
    (see :func:`estimate_passphrase`)."""
    return estimate_passphrase(passphrase, user_inputs).weakness


def check_passphrase_strength(passphrase: str, user_inputs: Sequence[str] = ()) -> None:
    """Refuse a passphrase zxcvbn judges guessable (score below MIN_PASSPHRASE_SCORE)."""
    estimate = estimate_passphrase(passphrase, user_inputs)
    if estimate.weakness is None:
        return
    hint = " ".join(estimate.suggestions) or "Use four or more unrelated words."
    raise UsageError(f"The passphrase is {estimate.weakness}.", hint)


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


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"{what} is not a string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{what} is not base64") from exc


def _scrypt(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _seal(private_key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey, passphrase: str,
          extra: dict[str, str] | None = None) -> bytes:
    salt, nonce = os.urandom(16), os.urandom(12)
    spki = private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    header: dict[str, object] = {
        "format": KEY_FORMAT,
        "key_id": hashlib.sha256(spki).hexdigest(),
        **(extra or {}),
        "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt)},
        "cipher": {"name": "AES-256-GCM", "nonce": _b64(nonce)},
    }
    der = private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    wrapping = _scrypt(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    ciphertext = AESGCM(wrapping).encrypt(nonce, der, canonical_json(header))
    return (json.dumps({**header, "ciphertext": _b64(ciphertext)}, indent=2) + "\n").encode("utf-8")


def encrypt_private_key(private_key: ec.EllipticCurvePrivateKey, passphrase: str) -> bytes:
    """The ``mlops-desktop-key/v1`` container of ``private_key`` (see the module docstring).

    JSON with ``format``, ``key_id`` (hex SHA-256 of the DER SubjectPublicKeyInfo), ``kdf``
    (``scrypt`` with ``n``, ``r``, ``p``, base64 ``salt``), ``cipher`` (``AES-256-GCM`` with a
    base64 12-byte ``nonce``) and ``ciphertext`` (base64 GCM output over the unencrypted PKCS#8
    DER key); witness keys (Ed25519) add ``witness`` (the cosigner name). The associated data is
    the RFC 8785 canonical JSON of every member except ``ciphertext``, so no parameter can be changed.
    """
    return _seal(private_key, passphrase)


@dataclass(frozen=True, slots=True)
class _Container:
    key_id: str
    n: int
    r: int
    p: int
    salt: bytes
    nonce: bytes
    ciphertext: bytes
    aad: bytes
    witness: str | None


def _parse_container(data: bytes) -> _Container:
    """The members of a key container; ValueError/KeyError/TypeError when it is not one."""
    doc = json.loads(data.decode("utf-8"))
    if not isinstance(doc, dict) or doc.get("format") != KEY_FORMAT:
        raise ValueError("not an mlops-desktop-key/v1 file")
    kdf, cipher = doc["kdf"], doc["cipher"]
    if kdf.get("name") != "scrypt" or cipher.get("name") != "AES-256-GCM":
        raise ValueError(f"unsupported KDF or cipher {kdf.get('name')}/{cipher.get('name')}")
    n, r, p = kdf["n"], kdf["r"], kdf["p"]
    if not all(type(v) is int and v > 0 for v in (n, r, p)) or n < 2 or n & (n - 1):
        raise ValueError("bad scrypt parameters")
    if 128 * n * r > _SCRYPT_MAX_MEMORY or p > 16:
        raise ValueError("scrypt parameters beyond what a key file may ask")
    witness = doc.get("witness")
    return _Container(
        key_id=str(doc["key_id"]), n=n, r=r, p=p,
        salt=_unb64(kdf["salt"], "salt"), nonce=_unb64(cipher["nonce"], "nonce"),
        ciphertext=_unb64(doc["ciphertext"], "ciphertext"),
        aad=canonical_json({k: v for k, v in doc.items() if k != "ciphertext"}),
        witness=str(witness) if witness is not None else None,
    )


def _open_container(path: Path, data: bytes, passphrase: str) -> tuple[object, _Container]:
    corrupt = f"{path} is not a readable private key (corrupt or truncated)."
    backup = "Restore the key file from your backup."
    try:
        box = _parse_container(data)
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise KeyFileError(corrupt, backup) from exc
    try:
        der = AESGCM(_scrypt(passphrase, box.salt, box.n, box.r, box.p)).decrypt(box.nonce, box.ciphertext, box.aad)
    except InvalidTag as exc:
        raise KeyFileError(f"Wrong passphrase for {path}, or the file was altered.",
                           "Type the passphrase you chose at 'keys create'.") from exc
    except (ValueError, MemoryError) as exc:
        raise KeyFileError(corrupt, backup) from exc
    try:
        loaded = serialization.load_der_private_key(der, None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(corrupt, backup) from exc
    spki = loaded.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    if hashlib.sha256(spki).hexdigest() != box.key_id:
        raise KeyFileError(f"{path} names key {box.key_id} but holds another key.", backup)
    return loaded, box


def _decrypt_container(path: Path, data: bytes, passphrase: str) -> ec.EllipticCurvePrivateKey:
    loaded, box = _open_container(path, data, passphrase)
    if box.witness is not None:
        raise KeyFileError(f"{path} is a witness key (Ed25519), not a signing key.",
                           "Pass it to 'audit witness --key'; sign decisions with a key from 'keys create'.")
    _require_p256(loaded, str(path))
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    return loaded


def key_file_format(data: bytes) -> str:
    """``scrypt`` (this version's container), ``pkcs8`` (older PEM files) or ``pkcs12``."""
    head = data.lstrip()[:1]
    if head == b"{":
        return "scrypt"
    if b"-----BEGIN" in data:
        return "pkcs8"
    return "pkcs12"


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
    encrypted = encrypt_private_key(private_key, passphrase)
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
    """Generate a P-256 key; write ``out`` (scrypt-wrapped container, 0600) and ``out.pub``."""
    check_passphrase_strength(passphrase, [v for v in (name, email) if v])
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
    """Write ``key`` (and its certificate) as PKCS#12 with 600,000 PBKDF2-SHA256 rounds on the key bag.

    For other tools (pyHanko, OS key stores). ``cryptography`` keeps the PKCS#12 integrity MAC at
    2,048 iterations, which lets a passphrase be tested more cheaply than the key bag suggests:
    the app's own key files are therefore the scrypt container, never PKCS#12.
    """
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


def _load_pkcs8(path: Path, data: bytes, passphrase: str) -> ec.EllipticCurvePrivateKey:
    """An encrypted PKCS#8 PEM file as older versions wrote them (PBKDF2, 2,048 rounds)."""
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
    return loaded


def load_private_key(path: Path | str, passphrase: str) -> SigningKey:
    """Unlock a key file (the scrypt container, an older encrypted PKCS#8 PEM, or PKCS#12 .p12/.pfx)."""
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
    kind = key_file_format(data)
    if kind == "pkcs12":
        key, certificate = _load_pkcs12(path, passphrase)
        identity = _certificate_identity(certificate) if certificate is not None else None
    else:
        key = _decrypt_container(path, data, passphrase) if kind == "scrypt" else _load_pkcs8(path, data, passphrase)
        pub = path.with_name(path.name + ".pub")
        identity = public_key_identity(pub) if pub.exists() else None
        crt = path.with_name(path.name + ".crt")
        if crt.exists():
            certificate = load_certificate(crt)
    return SigningKey(key, key_id(key.public_key()), identity, path, certificate)


# ---------------------------------------------------------------------------- witness keys


@dataclass(frozen=True, slots=True)
class WitnessKey:
    """An unlocked Ed25519 witness key and its cosigner name (c2sp.org/tlog-cosignature)."""

    name: str
    private_key: ed25519.Ed25519PrivateKey
    path: Path | None = None

    @property
    def public_key(self) -> ed25519.Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def vkey(self) -> str:
        from mlops_desktop.crypto.checkpoint import witness_vkey

        return witness_vkey(self.name, self.public_key)


def create_witness_key(out: Path, name: str, passphrase: str) -> str:
    """Generate an Ed25519 witness key named ``name``; write ``out`` (the scrypt container with a
    ``witness`` member) and ``out.pub`` (PEM with the verifier key line). Returns the vkey."""
    from mlops_desktop.crypto.checkpoint import CheckpointError, witness_vkey

    out = Path(out)
    pub = out.with_name(out.name + ".pub")
    for target in (out, pub):
        if target.exists():
            raise UsageError(f"{target} already exists.", "Pick another --out path; keys are never overwritten.")
    if not out.parent.is_dir():
        raise UsageError(f"Folder {out.parent} does not exist.", "Create it first or pick another --out path.")
    check_passphrase_strength(passphrase, [name])
    key = ed25519.Ed25519PrivateKey.generate()
    try:
        vkey = witness_vkey(name, key.public_key())
    except CheckpointError as exc:
        raise UsageError(str(exc), "A witness name is a schema-less URL such as witness.example.org/ci.") from exc
    text = (f"# MLOps Desktop witness key (Ed25519, cosignature/v1)\n# witness: {name}\n# vkey: {vkey}\n").encode()
    text += key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        _atomic_write(pub, text, 0o644)
        _atomic_write(out, _seal(key, passphrase, {"witness": name}), 0o600)
    except OSError as exc:
        with contextlib.suppress(OSError):
            pub.unlink()
        raise MlopsError(f"Cannot write the key to {out}: {exc.strerror or exc}.", "Check the folder is writable.") from exc
    return vkey


def load_witness_key(path: Path | str, passphrase: str) -> WitnessKey:
    """Unlock a witness key file written by ``keys create --witness NAME``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyFileError(f"No such key file: {path}.", "Create one with 'mlops-desktop keys create --witness NAME'.") from exc
    except OSError as exc:
        raise KeyFileError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    hint = "Create a witness key with 'mlops-desktop keys create --out KEYFILE --witness NAME'."
    if key_file_format(data) != "scrypt":
        raise KeyFileError(f"{path} is not a witness key file.", hint)
    loaded, box = _open_container(path, data, passphrase)
    if box.witness is None or not isinstance(loaded, ed25519.Ed25519PrivateKey):
        raise KeyFileError(f"{path} is a signing key, not a witness key.", hint)
    return WitnessKey(box.witness, loaded, path)


@dataclass(frozen=True, slots=True)
class UpgradeResult:
    """What ``keys upgrade`` did to one key file."""

    path: str
    key_id: str
    old_format: str
    new_format: str
    upgraded: bool
    passphrase_warning: str | None = None


def upgrade_key_file(path: Path | str, passphrase: str) -> UpgradeResult:
    """Rewrite an older PKCS#8 key file as the scrypt container, keeping its passphrase.

    The new file is written next to the old one, read back and checked to hold the same key,
    then moved over it in one ``os.replace``: a failure at any step leaves the old file as it was.
    A file already in the container format is left alone. PKCS#12 files are not rewritten
    (they belong to whoever issued them): import them with ``keys import-pkcs12``.
    """
    path = Path(path)
    key = load_private_key(path, passphrase)
    kind = key_file_format(path.read_bytes())
    warning = passphrase_weakness(passphrase, [key.identity] if key.identity else ())
    if kind == "scrypt":
        return UpgradeResult(str(path), key.key_id, kind, kind, False, warning)
    if kind == "pkcs12":
        raise UsageError(f"{path} is a PKCS#12 file; 'keys upgrade' rewrites key files written by 'keys create'.",
                         f"Import it with 'mlops-desktop keys import-pkcs12 {path} --out NEW_KEYFILE'.")
    data = encrypt_private_key(key.private_key, passphrase)
    mode = path.stat().st_mode & 0o777 or 0o600
    tmp: Path | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".upgrade", dir=str(path.parent))
        tmp = Path(tmp_name)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode & 0o700 or 0o600)
        if _decrypt_container(tmp, tmp.read_bytes(), passphrase).private_numbers() != key.private_key.private_numbers():
            raise KeyFileError(f"The rewritten {path} did not read back as the same key; the old file is kept.")
        os.replace(tmp, path)
    except OSError as exc:
        raise MlopsError(f"Cannot rewrite {path}: {exc.strerror or exc}; the old file is kept.",
                         "Check the folder is writable.") from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
    return UpgradeResult(str(path), key.key_id, kind, "scrypt", True, warning)


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
