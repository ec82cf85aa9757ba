"""Keys: creation, passphrases, bad key files, PKCS#12, certificates against an organisation CA."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from mlops_desktop.core.errors import MlopsError, UsageError
from mlops_desktop.crypto import ecdsa
from mlops_desktop.governance import keys
from mlops_desktop.governance.keys import CertificateError, KeyFileError
from tests.governance.helpers import PASSPHRASE


def test_create_and_load(tmp_path: Path) -> None:
    info = keys.create_key(tmp_path / "alice.key", "Alice", "alice@example.org", PASSPHRASE)
    key_file = tmp_path / "alice.key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert b"ENCRYPTED PRIVATE KEY" in key_file.read_bytes()
    pub = keys.load_public_key(tmp_path / "alice.key.pub")
    spki = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert info.key_id == hashlib.sha256(spki).hexdigest()
    assert isinstance(pub.curve, ec.SECP256R1)
    k = keys.load_private_key(key_file, PASSPHRASE)
    assert k.key_id == info.key_id and k.identity == "Alice <alice@example.org>"
    assert ecdsa.verify_bytes(pub, k.sign(b"x"), b"x")
    assert keys.export_public(key_file).startswith(b"-----BEGIN PUBLIC KEY-----")
    assert [i.key_id for i in keys.list_keys()] == [info.key_id]


def test_existing_key_is_never_overwritten(tmp_path: Path) -> None:
    keys.create_key(tmp_path / "k", "A", "a@example.org", PASSPHRASE)
    before = (tmp_path / "k").read_bytes()
    with pytest.raises(UsageError, match="already exists"):
        keys.create_key(tmp_path / "k", "A", "a@example.org", PASSPHRASE)
    assert (tmp_path / "k").read_bytes() == before


def test_wrong_passphrase(tmp_path: Path) -> None:
    keys.create_key(tmp_path / "k", "A", "a@example.org", PASSPHRASE)
    with pytest.raises(KeyFileError, match=f"Wrong passphrase for {tmp_path / 'k'}"):
        keys.load_private_key(tmp_path / "k", "not the passphrase at all")


@pytest.mark.parametrize("content", [b"", b"garbage", b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"])
def test_corrupt_key_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.key"
    path.write_bytes(content)
    with pytest.raises(KeyFileError) as info:
        keys.load_private_key(path, PASSPHRASE)
    assert str(path) in info.value.message
    assert path.read_bytes() == content


def test_truncated_key_file(tmp_path: Path) -> None:
    keys.create_key(tmp_path / "k", "A", "a@example.org", PASSPHRASE)
    data = (tmp_path / "k").read_bytes()
    (tmp_path / "k").write_bytes(data[:120] + data[-40:])
    with pytest.raises(KeyFileError, match="corrupt or truncated"):
        keys.load_private_key(tmp_path / "k", PASSPHRASE)


def test_missing_and_public_key_files(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="No such key file"):
        keys.load_private_key(tmp_path / "nope", PASSPHRASE)
    keys.create_key(tmp_path / "k", "A", "a@example.org", PASSPHRASE)
    with pytest.raises(KeyFileError, match="not an encrypted private key"):
        keys.load_private_key(tmp_path / "k.pub", PASSPHRASE)


def test_non_p256_key_is_refused(tmp_path: Path) -> None:
    k = ec.generate_private_key(ec.SECP384R1())
    path = tmp_path / "p384.key"
    path.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.BestAvailableEncryption(PASSPHRASE.encode())))
    with pytest.raises(KeyFileError, match="P-256"):
        keys.load_private_key(path, PASSPHRASE)


@pytest.mark.parametrize("weak", ["short", "aaaaaaaaaaaaaaaa", "123456789012345", "password1234", "abcdefghijklmnop",
                                  "passwordpasswordpassword", "qwertyuiop12"])
def test_weak_passphrases_are_refused_and_nothing_written(tmp_path: Path, weak: str) -> None:
    with pytest.raises(UsageError, match="passphrase is too"):
        keys.create_key(tmp_path / "k", "A", "a@example.org", weak)
    assert not any(tmp_path.iterdir())


def test_passphrase_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(keys.PASSPHRASE_ENV, PASSPHRASE)
    assert keys.get_passphrase("x", check_strength=True) == PASSPHRASE
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "weak")
    with pytest.raises(UsageError):
        keys.get_passphrase("x", check_strength=True)


def test_unwritable_folder_leaves_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, 0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(MlopsError):
            keys.create_key(folder / "k", "A", "a@example.org", PASSPHRASE)
        assert not list(folder.iterdir())
    finally:
        os.chmod(folder, 0o700)


def test_folder_that_is_a_file_fails_cleanly_even_for_root(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(MlopsError):
        keys.create_key(blocker / "k", "A", "a@example.org", PASSPHRASE)
    assert blocker.read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]


# ---------------------------------------------------------------------------- PKCS#12 and X.509


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn: str = "Example Org CA") -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=10)).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue(ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate, subject_key: ec.EllipticCurvePublicKey,
          email: str, *, days_valid: tuple[int, int] = (-1, 365)) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder().subject_name(_name(email)).issuer_name(ca_cert.subject)
        .public_key(subject_key).serial_number(x509.random_serial_number())
        .not_valid_before(now + timedelta(days=days_valid[0])).not_valid_after(now + timedelta(days=days_valid[1]))
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def test_pkcs12_import_with_certificate(tmp_path: Path) -> None:
    ca_key, ca_cert = make_ca()
    key = ec.generate_private_key(ec.SECP256R1())
    cert = issue(ca_key, ca_cert, key.public_key(), "alice@example.org")
    enc = (serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(50_000)
           .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC).hmac_hash(hashes.SHA256())
           .build(b"p12 passphrase long"))
    p12 = tmp_path / "alice.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"alice", key, cert, None, enc))
    # load the .p12 directly...
    direct = keys.load_private_key(p12, "p12 passphrase long")
    assert direct.key_id == ecdsa.key_id(key.public_key()) and direct.identity == "alice@example.org"
    with pytest.raises(KeyFileError, match="Wrong passphrase"):
        keys.load_private_key(p12, "wrong passphrase here")
    # ...or import it as an encrypted key file with its certificate
    info = keys.import_pkcs12(p12, "p12 passphrase long", tmp_path / "alice.key", PASSPHRASE)
    loaded = keys.load_private_key(tmp_path / "alice.key", PASSPHRASE)
    assert loaded.key_id == info.key_id and loaded.certificate is not None
    keys.verify_certificate(loaded.certificate, [ca_cert], loaded.public_key, datetime.now(UTC))
    # and back out with many KDF rounds
    keys.export_pkcs12(loaded, tmp_path / "again.p12", PASSPHRASE)
    assert keys.load_private_key(tmp_path / "again.p12", PASSPHRASE).key_id == info.key_id


def test_corrupt_pkcs12(tmp_path: Path) -> None:
    p12 = tmp_path / "x.p12"
    p12.write_bytes(b"\x30\x82garbage")
    with pytest.raises(KeyFileError):
        keys.load_private_key(p12, PASSPHRASE)


def test_certificate_checks() -> None:
    ca_key, ca_cert = make_ca()
    other_key, other_ca = make_ca("Rogue CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    good = issue(ca_key, ca_cert, key.public_key(), "a@example.org")
    keys.verify_certificate(good, [ca_cert], key.public_key(), now)
    expired = issue(ca_key, ca_cert, key.public_key(), "a@example.org", days_valid=(-30, -1))
    with pytest.raises(CertificateError, match="not valid at"):
        keys.verify_certificate(expired, [ca_cert], key.public_key(), now)
    rogue = issue(other_key, other_ca, key.public_key(), "a@example.org")
    with pytest.raises(CertificateError, match="not issued by the organisation CA"):
        keys.verify_certificate(rogue, [ca_cert], key.public_key(), now)
    with pytest.raises(CertificateError, match="another key"):
        keys.verify_certificate(good, [ca_cert], ec.generate_private_key(ec.SECP256R1()).public_key(), now)
