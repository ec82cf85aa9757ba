"""Edit > Signing keys…: create (zxcvbn meter), import PKCS#12, export the public key, full
fingerprints; wrong passphrase, a foreign or corrupt PKCS#12 and an unwritable export path are
messages in the dialog. Real key files, real scrypt, real PKCS#12 from ``cryptography``."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from PySide6.QtGui import QGuiApplication

from mlops_desktop.core import paths
from mlops_desktop.crypto.ecdsa import key_id
from mlops_desktop.governance.keys import list_keys, load_private_key, load_public_key
from mlops_desktop.ui.common.settings import GuiSettings
from mlops_desktop.ui.keys.dialog import CreateKeyDialog, ImportPkcs12Dialog, KeysDialog

STRONG = "correct staple horse battery 42"
P12_PASS = "issued by the pki team 7"


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in (read-only mode; sysfs when running as root)."""
    locked = tmp_path / "locked"
    locked.mkdir(exist_ok=True)
    locked.chmod(0o500)
    if not os.access(locked, os.W_OK):
        return locked
    locked.chmod(0o700)
    for candidate in (Path("/sys/kernel"), Path("/sys")):
        try:
            fd, name = tempfile.mkstemp(dir=candidate)
        except OSError:
            return candidate
        os.close(fd)
        os.unlink(name)
    pytest.skip("no unwritable folder here")


def _wait(qtbot, dialog) -> None:
    qtbot.waitUntil(lambda: not dialog.slot.is_running(), timeout=30_000)


@pytest.fixture
def keys_dialog(qtbot, tmp_path: Path):
    settings = GuiSettings(tmp_path / "gui.ini")
    dialog = KeysDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    yield dialog
    dialog.done(0)


def _create(qtbot, keys_dialog: KeysDialog, name="Dana Officer", email="dana@example.org") -> CreateKeyDialog:
    dialog = keys_dialog.show_create_dialog()
    dialog.name_edit.setText(name)
    dialog.email_edit.setText(email)
    dialog.passphrases.first.setText(STRONG)
    dialog.passphrases.second.setText(STRONG)
    assert dialog.run_button.isEnabled()
    assert dialog.start()
    _wait(qtbot, dialog)
    return dialog


def test_create_key_shows_the_full_fingerprint(qtbot, keys_dialog: KeysDialog, ui) -> None:
    assert keys_dialog.table.rowCount() == 0 and keys_dialog.empty_label.isVisibleTo(keys_dialog)
    create = keys_dialog.show_create_dialog()
    # the default file is in the keys folder and follows the e-mail
    create.email_edit.setText("dana@example.org")
    assert create.out_edit.text() == str(paths.keys_dir() / "dana.key")
    create.name_edit.setText("Dana Officer")
    pair = create.passphrases
    pair.first.setText("dana officer 2026")  # her own name: zxcvbn knows it
    assert not create.run_button.isEnabled() and "too weak" in pair.verdict.text()
    weak_score = pair.meter.value()
    pair.first.setText(STRONG)
    assert pair.meter.value() > weak_score and pair.meter.value() >= 3
    assert not create.run_button.isEnabled() and "Repeat it" in pair.verdict.text()
    pair.second.setText(STRONG)
    assert create.run_button.isEnabled() and pair.problem() == ""
    ui.render(create, "dialog_create_key")
    assert create.start()
    _wait(qtbot, create)
    info = create.key_info
    assert info is not None, create.banner.text()
    assert info.key_id in create.banner.text()
    # the written files are a real key pair with that fingerprint
    signing = load_private_key(info.path, STRONG)
    assert signing.key_id == info.key_id == key_id(load_public_key(Path(info.public_path)))
    assert signing.identity == "Dana Officer <dana@example.org>"
    assert os.stat(info.path).st_mode & 0o777 == 0o600
    # the list shows it, with the whole fingerprint, selectable and copyable
    assert [k.key_id for k in list_keys()] == [info.key_id]
    assert keys_dialog.table.rowCount() == 1
    assert keys_dialog.table.item(0, 1).text() == info.key_id and len(info.key_id) == 64
    assert keys_dialog.fingerprint.fingerprint() == info.key_id
    keys_dialog.fingerprint.copy_button.click()
    assert QGuiApplication.clipboard().text() == info.key_id
    create.done(0)


def test_create_refuses_an_existing_file(qtbot, keys_dialog: KeysDialog, tmp_path: Path) -> None:
    taken = tmp_path / "taken.key"
    taken.write_text("x")
    dialog = keys_dialog.show_create_dialog()
    dialog.name_edit.setText("Dana Officer")
    dialog.email_edit.setText("dana@example.org")
    dialog.out_edit.setText(str(taken))
    dialog.passphrases.first.setText(STRONG)
    dialog.passphrases.second.setText(STRONG)
    assert dialog.start()
    _wait(qtbot, dialog)
    assert dialog.key_info is None
    assert "already exists" in dialog.banner.text() and dialog.banner.kind == "error"
    assert taken.read_text() == "x" and list_keys() == []
    dialog.done(0)


def test_export_public_key_and_an_unwritable_path(qtbot, keys_dialog: KeysDialog, tmp_path: Path, ui) -> None:
    info = _create(qtbot, keys_dialog).key_info
    out = tmp_path / "dana.pub"
    assert keys_dialog.export_public_key(str(out)) == out
    assert key_id(load_public_key(out)) == info.key_id
    assert str(out) in keys_dialog.banner.text() and keys_dialog.banner.kind == "ok"
    ui.render(keys_dialog, "dialog_keys")
    # never overwritten
    assert keys_dialog.export_public_key(str(out)) is None
    assert "already exists" in keys_dialog.banner.text() and keys_dialog.banner.kind == "error"
    # a folder that cannot be written
    locked = unwritable_folder(tmp_path)
    assert keys_dialog.export_public_key(str(locked / "dana.pub")) is None
    text = keys_dialog.banner.text()
    assert "Not exported: Cannot write the public key to" in text and str(locked) in text
    assert "Pick a folder you can write to" in text
    assert not (locked / "dana.pub").exists()
    # a folder that does not exist
    assert keys_dialog.export_public_key(str(tmp_path / "nowhere" / "dana.pub")) is None
    assert "does not exist" in keys_dialog.banner.text()


def test_sign_with_this_key_sets_the_preselected_key(qtbot, keys_dialog: KeysDialog) -> None:
    info = _create(qtbot, keys_dialog).key_info
    assert keys_dialog.use_button.isEnabled()
    keys_dialog.use_button.click()
    assert keys_dialog.settings.prefs.key_path == info.path
    assert GuiSettings(keys_dialog.settings.path).signing_key_path() == info.path
    assert not keys_dialog.use_button.isEnabled() and keys_dialog.use_button.text() == "Signs by default"


# -- PKCS#12 --------------------------------------------------------------------------------


def _certificate(key, email: str) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, email)])
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
            .sign(key, None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()))


def _p12(path: Path, key, email: str = "ops@example.org") -> Path:
    enc = (serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(20_000)
           .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC).hmac_hash(hashes.SHA256())
           .build(P12_PASS.encode()))
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"k", key, _certificate(key, email), None, enc))
    return path


def _import(qtbot, keys_dialog: KeysDialog, p12: Path, p12_passphrase: str = P12_PASS) -> ImportPkcs12Dialog:
    dialog = keys_dialog.show_import_dialog()
    dialog.p12_field.set_path(str(p12))
    dialog.p12_passphrase.setText(p12_passphrase)
    dialog.passphrases.first.setText(STRONG)
    dialog.passphrases.second.setText(STRONG)
    assert dialog.start()
    _wait(qtbot, dialog)
    return dialog


def test_import_pkcs12(qtbot, keys_dialog: KeysDialog, tmp_path: Path, ui) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    p12 = _p12(tmp_path / "ops.p12", key)
    dialog = keys_dialog.show_import_dialog()
    dialog.p12_field.set_path(str(p12))
    assert dialog.out_edit.text() == str(paths.keys_dir() / "ops.key")
    dialog.done(0)
    dialog = _import(qtbot, keys_dialog, p12)
    info = dialog.key_info
    assert info is not None, dialog.banner.text()
    assert info.key_id == key_id(key.public_key()) and info.identity == "ops@example.org"
    loaded = load_private_key(info.path, STRONG)
    assert loaded.certificate is not None and loaded.key_id == info.key_id
    assert keys_dialog.fingerprint.fingerprint() == info.key_id
    ui.render(dialog, "dialog_import_pkcs12")
    dialog.done(0)


def test_import_wrong_passphrase(qtbot, keys_dialog: KeysDialog, tmp_path: Path) -> None:
    p12 = _p12(tmp_path / "ops.p12", ec.generate_private_key(ec.SECP256R1()))
    dialog = _import(qtbot, keys_dialog, p12, "not the passphrase")
    assert dialog.key_info is None and dialog.banner.kind == "error"
    assert f"Wrong passphrase for {p12}" in dialog.banner.text()
    assert list_keys() == [] and not Path(dialog.out_edit.text()).exists()
    dialog.done(0)


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_import_foreign_key_type(qtbot, keys_dialog: KeysDialog, tmp_path: Path, kind: str) -> None:
    key = rsa.generate_private_key(65537, 2048) if kind == "rsa" else ed25519.Ed25519PrivateKey.generate()
    p12 = _p12(tmp_path / f"{kind}.p12", key)
    dialog = _import(qtbot, keys_dialog, p12)
    assert dialog.key_info is None and dialog.banner.kind == "error"
    text = dialog.banner.text()
    assert "is not an ECDSA P-256 key" in text and "signs with ECDSA P-256 only" in text
    assert list_keys() == []
    dialog.done(0)


@pytest.mark.parametrize("content", [b"\x30\x82garbage", b"", b"-----BEGIN CERTIFICATE-----\nAAAA\n"])
def test_import_corrupt_pkcs12(qtbot, keys_dialog: KeysDialog, tmp_path: Path, content: bytes) -> None:
    p12 = tmp_path / "broken.p12"
    p12.write_bytes(content)
    dialog = _import(qtbot, keys_dialog, p12)
    assert dialog.key_info is None and dialog.banner.kind == "error"
    assert "not a readable PKCS#12 file" in dialog.banner.text()
    dialog.done(0)


def test_import_needs_a_file(qtbot, keys_dialog: KeysDialog, tmp_path: Path) -> None:
    dialog = _import(qtbot, keys_dialog, tmp_path / "absent.p12")
    assert dialog.key_info is None and "No such key file" in dialog.banner.text()
    dialog.done(0)
    dialog = keys_dialog.show_import_dialog()
    dialog.passphrases.first.setText(STRONG)
    dialog.passphrases.second.setText(STRONG)
    assert not dialog.start() and "Choose the PKCS#12 file" in dialog.banner.text()
    dialog.done(0)


def test_edit_menu_opens_the_keys_dialog(make_window, qtbot) -> None:
    window = make_window(gui_settings=GuiSettings(Path(os.environ["HOME"]) / "gui.ini"))
    window.keys_action.trigger()
    dialog = window.keys_dialog
    assert isinstance(dialog, KeysDialog) and dialog.isVisible()
    assert dialog.settings is window.gui_settings
    dialog.done(0)


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_keys_dialogs_render(qtbot, ui, tmp_path: Path, mode: str) -> None:
    from PySide6.QtWidgets import QApplication

    from mlops_desktop.ui.common import theme

    theme.theme_manager().apply(mode)
    try:
        dialog = KeysDialog(GuiSettings(tmp_path / "gui.ini"))
        qtbot.addWidget(dialog)
        dialog.show()
        ui.render(dialog, f"keys_dialog_empty_{mode}")
        info = _create(qtbot, dialog).key_info
        dialog.child_dialog.done(0)
        p12 = _p12(tmp_path / "pki-issued.p12", ec.generate_private_key(ec.SECP256R1()), "ops@example.org")
        _import(qtbot, dialog, p12).done(0)
        dialog.refresh(info.key_id)
        dialog.export_public_key(str(tmp_path / "dana.pub"))
        dialog.resize(1280, 800)
        QApplication.processEvents()
        ui.render(dialog, f"keys_dialog_{mode}")
        dialog.resize(1920, 1080)
        QApplication.processEvents()
        ui.render(dialog, f"keys_dialog_1920_{mode}")
        create = dialog.show_create_dialog()
        create.resize(1280, 800)
        create.name_edit.setText("Dana Officer")
        create.email_edit.setText("dana.officer@example.org")
        create.passphrases.first.setText("dana2026!")
        QApplication.processEvents()
        ui.render(create, f"keys_create_weak_{mode}")
        create.passphrases.first.setText(STRONG)
        create.passphrases.second.setText(STRONG)
        QApplication.processEvents()
        ui.render(create, f"keys_create_{mode}")
        create.resize(1920, 1080)
        QApplication.processEvents()
        ui.render(create, f"keys_create_1920_{mode}")
        create.done(0)
        imp = _import(qtbot, dialog, tmp_path / "absent.p12")
        imp.resize(1280, 800)
        QApplication.processEvents()
        ui.render(imp, f"keys_import_error_{mode}")
        imp.done(0)
    finally:
        theme.theme_manager().apply("system")


def test_long_passphrases_are_judged_off_the_ui_thread(qtbot, keys_dialog: KeysDialog) -> None:
    """zxcvbn takes over a second on 70 random characters: the meter says it is judging, Create
    waits for the verdict, and the UI thread is not blocked meanwhile."""
    import time

    dialog = keys_dialog.show_create_dialog()
    pair = dialog.passphrases
    long_random = "aB3$kL9@pQ2!zX7&mN5#wE8*rT1^yU4%iO6(pA0)sD2_fG3+hJ4=kL5-zX6~cV7vB8nM9q"
    started = time.perf_counter()
    pair.first.setText(long_random)
    pair.second.setText(long_random)
    assert time.perf_counter() - started < 0.1
    assert pair.pending and "Judging" in pair.verdict.text() and not dialog.run_button.isEnabled()
    assert not dialog.start() and "still being judged" in dialog.banner.text()
    qtbot.waitUntil(lambda: not pair.pending, timeout=20_000)
    assert pair.estimate.acceptable and pair.meter.value() == 4 and "the two match" in pair.verdict.text()
    dialog.name_edit.setText("Dana Officer")
    dialog.email_edit.setText("dana@example.org")
    qtbot.waitUntil(lambda: not pair.pending, timeout=20_000)
    assert dialog.run_button.isEnabled()
    # a long but guessable one is refused the same way
    weak = "a" * 60
    pair.first.setText(weak)
    qtbot.waitUntil(lambda: not pair.pending, timeout=20_000)
    assert not pair.estimate.acceptable and "Not accepted" in pair.verdict.text()
    assert not dialog.run_button.isEnabled()
    dialog.done(0)
    assert dialog.shutdown()


def _openssl(*args: str) -> None:
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


@pytest.mark.parametrize("legacy", [False, True], ids=["openssl-default", "openssl-legacy-rc2-3des"])
def test_import_pkcs12_made_by_openssl(qtbot, keys_dialog: KeysDialog, tmp_path: Path, legacy: bool) -> None:
    """Bundles written by another tool (OpenSSL's own defaults, and its legacy RC2/3DES encryption)."""
    key, cert, p12 = tmp_path / "k.pem", tmp_path / "c.pem", tmp_path / "issued.p12"
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key))
    _openssl("req", "-new", "-x509", "-key", str(key), "-subj", "/CN=ops@example.org", "-days", "30", "-out", str(cert))
    _openssl("pkcs12", "-export", *(["-legacy"] if legacy else []), "-inkey", str(key), "-in", str(cert),
             "-out", str(p12), "-passout", f"pass:{P12_PASS}")
    dialog = _import(qtbot, keys_dialog, p12)
    info = dialog.key_info
    assert info is not None, dialog.banner.text()
    expected = key_id(serialization.load_pem_private_key(key.read_bytes(), None).public_key())
    assert info.key_id == expected == keys_dialog.fingerprint.fingerprint()
    assert info.identity == "ops@example.org"
    dialog.done(0)
    # the same bundle with a wrong passphrase
    again = _import(qtbot, keys_dialog, p12, "not it at all")
    assert again.key_info is None and f"Wrong passphrase for {p12}" in again.banner.text()
    again.done(0)


def test_import_pkcs12_without_a_key(qtbot, keys_dialog: KeysDialog, tmp_path: Path) -> None:
    key, cert, p12 = tmp_path / "k.pem", tmp_path / "c.pem", tmp_path / "cert-only.p12"
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key))
    _openssl("req", "-new", "-x509", "-key", str(key), "-subj", "/CN=ops@example.org", "-days", "30", "-out", str(cert))
    _openssl("pkcs12", "-export", "-nokeys", "-in", str(cert), "-out", str(p12), "-passout", f"pass:{P12_PASS}")
    dialog = _import(qtbot, keys_dialog, p12)
    assert dialog.key_info is None and "holds no private key" in dialog.banner.text()
    assert list_keys() == []
    dialog.done(0)


def test_a_bug_while_writing_reaches_the_crash_handler(qtbot, keys_dialog: KeysDialog,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import mlops_desktop.ui.keys.dialog as module

    def broken(_request):
        raise RuntimeError("a bug")

    seen: list[BaseException] = []
    monkeypatch.setattr(module, "create_signing_key", broken)
    monkeypatch.setattr(sys, "excepthook", lambda _t, exc, _tb: seen.append(exc))
    dialog = _create(qtbot, keys_dialog)
    assert dialog.key_info is None and "internal error (RuntimeError)" in dialog.banner.text()
    assert [str(e) for e in seen] == ["a bug"]
    dialog.done(0)
