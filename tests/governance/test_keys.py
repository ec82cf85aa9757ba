"""Keys: creation, passphrases, bad key files, PKCS#12, certificates against an organisation CA."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
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
    assert json.loads(key_file.read_bytes())["format"] == "mlops-desktop-key/v1"
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
                                  "passwordpasswordpassword", "qwertyuiop12",
                                  # long, many different characters, no plain sequence: a length rule passes these
                                  "monkey12345678", "1qaz2wsx3edc4rfv", "Password2024!", "alicewonderland",
                                  "trustno1trustno1"])
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


# ---------------------------------------------------------------------------- scrypt key files, zxcvbn, upgrade


def _independent_decrypt(data: bytes, passphrase: str) -> ec.EllipticCurvePrivateKey:
    """Decrypt a key file from the documented container format alone (no project code)."""
    doc = json.loads(data)
    assert doc["format"] == "mlops-desktop-key/v1"
    kdf, cipher = doc["kdf"], doc["cipher"]
    assert kdf["name"] == "scrypt" and cipher["name"] == "AES-256-GCM"
    wrapping = Scrypt(salt=base64.b64decode(kdf["salt"]), length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(
        passphrase.encode())
    header = {k: v for k, v in doc.items() if k != "ciphertext"}
    aad = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()  # RFC 8785 for ASCII
    der = AESGCM(wrapping).decrypt(base64.b64decode(cipher["nonce"]), base64.b64decode(doc["ciphertext"]), aad)
    key = serialization.load_der_private_key(der, None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


@pytest.mark.real_kdf_cost
def test_new_key_file_is_scrypt_wrapped_and_decrypts_independently(tmp_path: Path) -> None:
    info = keys.create_key(tmp_path / "k", "Alice", "alice@example.org", PASSPHRASE)
    data = (tmp_path / "k").read_bytes()
    doc = json.loads(data)
    assert sorted(doc) == ["cipher", "ciphertext", "format", "kdf", "key_id"]
    assert (doc["kdf"]["n"], doc["kdf"]["r"], doc["kdf"]["p"]) == (2**17, 8, 1)
    assert len(base64.b64decode(doc["kdf"]["salt"])) == 16 and len(base64.b64decode(doc["cipher"]["nonce"])) == 12
    assert doc["key_id"] == info.key_id
    key = _independent_decrypt(data, PASSPHRASE)
    assert ecdsa.key_id(key.public_key()) == info.key_id
    assert keys.key_file_format(data) == "scrypt"


@pytest.mark.parametrize("member", ["n", "salt", "nonce", "key_id", "ciphertext"])
def test_altered_key_container_is_refused(tmp_path: Path, member: str) -> None:
    keys.create_key(tmp_path / "k", "A", "a@example.org", PASSPHRASE)
    doc = json.loads((tmp_path / "k").read_bytes())
    if member == "n":
        doc["kdf"]["n"] = 2**14  # a weaker cost: the parameters are GCM associated data
    elif member == "salt":
        doc["kdf"]["salt"] = base64.b64encode(b"\0" * 16).decode()
    elif member == "nonce":
        doc["cipher"]["nonce"] = base64.b64encode(b"\0" * 12).decode()
    elif member == "key_id":
        doc["key_id"] = "0" * 64
    else:
        raw = bytearray(base64.b64decode(doc["ciphertext"]))
        raw[10] ^= 1
        doc["ciphertext"] = base64.b64encode(bytes(raw)).decode()
    (tmp_path / "k").write_text(json.dumps(doc))
    with pytest.raises(KeyFileError, match=f"Wrong passphrase for {tmp_path / 'k'}, or the file was altered"):
        keys.load_private_key(tmp_path / "k", PASSPHRASE)


def test_absurd_scrypt_parameters_are_refused_before_running(tmp_path: Path) -> None:
    keys.create_key(tmp_path / "k", "A", "a@example.org", PASSPHRASE)
    doc = json.loads((tmp_path / "k").read_bytes())
    for n in (2**24, 3, 0, "16384"):
        doc["kdf"]["n"] = n
        (tmp_path / "k").write_text(json.dumps(doc))
        with pytest.raises(KeyFileError, match="not a readable private key \\(corrupt or truncated\\)"):
            keys.load_private_key(tmp_path / "k", PASSPHRASE)


def test_passphrase_judged_by_zxcvbn_with_owner_names(tmp_path: Path) -> None:
    # strong for a stranger, weak once the owner's name and e-mail are known words
    assert keys.passphrase_weakness("Alice@Example.org!") is None
    assert keys.passphrase_weakness("Alice@Example.org!", ["Alice", "alice@example.org"]) is not None
    with pytest.raises(UsageError, match="The passphrase is too weak \\(guessable in about 10\\^4 tries\\)"):
        keys.create_key(tmp_path / "k", "Alice", "alice@example.org", "Alice@Example.org!")
    with pytest.raises(UsageError) as info:
        keys.check_passphrase_strength("monkey12345678")
    assert info.value.message == ("The passphrase is too weak (guessable in about 10^4 tries: "
                                  "this is similar to a commonly used password).")
    assert info.value.hint == "Add another word or two. Uncommon words are better."
    with pytest.raises(UsageError, match="too short \\(5 characters, at least 12\\)"):
        keys.check_passphrase_strength("short")
    keys.check_passphrase_strength(PASSPHRASE)


def _legacy_key_file(path: Path, passphrase: str) -> ec.EllipticCurvePrivateKey:
    """A key file as versions before the scrypt container wrote it (PKCS#8, PBKDF2 2,048 rounds)."""
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.BestAvailableEncryption(passphrase.encode())))
    os.chmod(path, 0o600)
    pub = path.with_name(path.name + ".pub")
    pub.write_bytes(b"# identity: old@example.org\n" + key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return key


def test_old_pkcs8_files_still_load_and_upgrade_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.key"
    key = _legacy_key_file(path, PASSPHRASE)
    kid = ecdsa.key_id(key.public_key())
    assert keys.key_file_format(path.read_bytes()) == "pkcs8"
    loaded = keys.load_private_key(path, PASSPHRASE)
    assert loaded.key_id == kid and loaded.identity == "old@example.org"
    result = keys.upgrade_key_file(path, PASSPHRASE)
    assert (result.upgraded, result.old_format, result.new_format, result.key_id) == (True, "pkcs8", "scrypt", kid)
    assert result.passphrase_warning is None
    assert keys.key_file_format(path.read_bytes()) == "scrypt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _independent_decrypt(path.read_bytes(), PASSPHRASE).private_numbers() == key.private_numbers()
    assert keys.load_private_key(path, PASSPHRASE).key_id == kid
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.key", "old.key.pub"]  # no temporary left
    again = keys.upgrade_key_file(path, PASSPHRASE)
    assert (again.upgraded, again.old_format) == (False, "scrypt")


def test_upgrade_with_wrong_passphrase_or_failed_replace_keeps_the_old_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.key"
    _legacy_key_file(path, PASSPHRASE)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="Wrong passphrase"):
        keys.upgrade_key_file(path, "not the passphrase at all")
    assert path.read_bytes() == before

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keys.os, "replace", refuse)
    with pytest.raises(MlopsError, match="the old file is kept"):
        keys.upgrade_key_file(path, PASSPHRASE)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.key", "old.key.pub"]


def test_upgrade_warns_about_a_weak_old_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "old.key"
    _legacy_key_file(path, "monkey12345678")
    result = keys.upgrade_key_file(path, "monkey12345678")
    assert result.upgraded
    assert result.passphrase_warning == ("too weak (guessable in about 10^4 tries: "
                                         "this is similar to a commonly used password)")


def test_upgrade_refuses_pkcs12(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    p12 = tmp_path / "a.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"a", key, None, None, serialization.BestAvailableEncryption(PASSPHRASE.encode())))
    before = p12.read_bytes()
    with pytest.raises(UsageError, match="is a PKCS#12 file"):
        keys.upgrade_key_file(p12, PASSPHRASE)
    assert p12.read_bytes() == before


def test_exported_pkcs12_uses_600000_pbkdf2_sha256_rounds(tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed (it reads the PKCS#12 KDF parameters)")
    k = ec.generate_private_key(ec.SECP256R1())
    keys.export_pkcs12(keys.SigningKey(k, ecdsa.key_id(k.public_key()), "a@example.org"), tmp_path / "a.p12",
                       PASSPHRASE)
    out = subprocess.run([openssl, "pkcs12", "-info", "-noout", "-in", str(tmp_path / "a.p12"),
                          "-passin", f"pass:{PASSPHRASE}"], capture_output=True, text=True, check=True)
    text = out.stdout + out.stderr
    assert "PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256" in text, text
    # cryptography fixes the PKCS#12 MAC at 2,048 iterations (not configurable): documented in
    # docs/CRYPTO.md, and the reason the app's own key files use the scrypt container instead.
    assert "MAC: sha256, Iteration 2048" in text, text


def test_cli_keys_upgrade_and_weak_create(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from mlops_desktop.cli.main import main

    path = tmp_path / "old.key"
    key = _legacy_key_file(path, PASSPHRASE)
    monkeypatch.setenv(keys.PASSPHRASE_ENV, PASSPHRASE)
    assert main(["keys", "upgrade", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"path": str(path), "key_id": ecdsa.key_id(key.public_key()), "old_format": "pkcs8",
                   "new_format": "scrypt", "upgraded": True, "passphrase_warning": None}
    assert main(["keys", "upgrade", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"{path} already uses scrypt; nothing to do"
    assert main(["keys", "upgrade", str(tmp_path / "missing.key")]) == 2
    assert capsys.readouterr().err == (f"mlops-desktop: error: No such key file: {tmp_path / 'missing.key'}. "
                                       "Pass the KEYFILE written by 'keys create'.\n")
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "monkey12345678")
    assert main(["keys", "create", "--out", str(tmp_path / "new.key"), "--name", "N", "--email", "n@example.org"]) == 2
    err = capsys.readouterr().err
    assert "The passphrase is too weak (guessable in about 10^4 tries" in err
    assert not (tmp_path / "new.key").exists()
