"""The report dialog: preview, scope, export through a worker, cancel, errors; rendered to PNG."""

from __future__ import annotations

import io
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from PySide6.QtWidgets import QApplication

from mlops_desktop.core.errors import UsageError
from mlops_desktop.core.findings import FindingSettings
from mlops_desktop.governance.keys import PASSPHRASE_ENV, create_key, generate_private_key, key_id
from mlops_desktop.reports import pades
from mlops_desktop.reports.model import ReportSettings
from mlops_desktop.ui.common import theme
from mlops_desktop.ui.common.settings import GuiSettings
from mlops_desktop.ui.export.report_dialog import ReportDialog, export_work, preview_findings
from tests.ui.conftest import flush_events

PASSPHRASE = "correct staple horse battery 42"
SETTINGS = ReportSettings(findings=FindingSettings(today=date(2026, 6, 1)),
                          generated_at=datetime(2026, 6, 1, tzinfo=UTC))


class Recorder:
    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    def show_error(self, exc: BaseException, title: str = "") -> None:  # noqa: ARG002
        self.errors.append(exc)


@pytest.fixture
def catalog(mlflow3_db: Path):
    from mlops_desktop.sources.loader import load_catalog

    return load_catalog([str(mlflow3_db)])


@pytest.fixture
def dialog(qtbot, catalog, tmp_path: Path, ui):
    out = tmp_path / "out"
    out.mkdir()
    recorder = Recorder()
    viewed: list[str] = []
    dlg = ReportDialog(catalog, None, notifier=recorder, settings=SETTINGS, default_dir=out, opener=viewed.append)
    dlg.recorder = recorder
    dlg.viewed = viewed
    qtbot.addWidget(dlg)
    dlg.show()
    ui.wait_idle(qtbot, dlg.preview_slot)
    yield dlg
    dlg.shutdown()


def test_work_functions_are_plain(catalog, tmp_path: Path) -> None:
    findings = preview_findings(catalog, None, progress=lambda *a: None, is_cancelled=lambda: False)
    assert any(f.id == "F11" for f in findings)
    result = export_work(catalog, "hipaa", str(tmp_path / "r.pdf"), ["sepsis-alert"], None, SETTINGS,
                         progress=lambda *a: None, is_cancelled=lambda: False)
    assert result.path.exists() and result.models == ["sepsis-alert"]


def test_preview_scope_and_render(dialog, ui) -> None:
    assert dialog.preview.rowCount() > 5
    assert "findings in scope" in dialog.preview_label.text()
    ui.render(dialog, "report_dialog")
    dialog.set_models(["sepsis-alert"])
    objects = {dialog.preview.item(r, 2).text() for r in range(dialog.preview.rowCount())}
    assert objects and all("sepsis-alert" in o for o in objects)
    assert dialog.selected_models() == ["sepsis-alert"]
    ui.render(dialog, "report_dialog_scoped")


def test_export_writes_and_opens_the_report(dialog, qtbot, ui) -> None:
    dialog.edition_combo.setCurrentIndex(dialog.edition_combo.findData("eu-ai-act"))
    dialog.set_models(["credit-limit", "sepsis-alert"])
    with qtbot.waitSignal(dialog.sig_report_written, timeout=60_000) as blocker:
        dialog.start_export()
    result = blocker.args[0]
    assert result.path.exists() and result.edition == "eu-ai-act"
    assert result.models == ["credit-limit", "sepsis-alert"]
    assert dialog.opened == [str(result.path)] == dialog.viewed
    assert "Report written" in dialog.status.text() and dialog.progress.value() == 100
    ui.wait_idle(qtbot, dialog.export_slot)
    assert dialog.export_button.isEnabled() and not dialog.cancel_button.isEnabled()
    ui.render(dialog, "report_dialog_done")


def test_cancel_leaves_no_file(dialog, qtbot, ui) -> None:
    folder = Path(dialog.path_edit.text()).parent
    dialog.start_export()
    dialog.cancel_export()
    assert "cancelled" in dialog.status.text()
    assert dialog.export_slot.shutdown()
    flush_events()
    assert list(folder.iterdir()) == []
    assert dialog.report_result is None and dialog.export_button.isEnabled()


def test_bad_output_path_is_reported(dialog, qtbot, ui, tmp_path: Path) -> None:
    dialog.path_edit.setText(str(tmp_path / "missing" / "r.pdf"))
    dialog.start_export()
    ui.wait_idle(qtbot, dialog.export_slot)
    assert isinstance(dialog.last_error, UsageError)
    assert "does not exist" in dialog.status.text()
    assert dialog.recorder.errors and isinstance(dialog.recorder.errors[0], UsageError)
    dialog.path_edit.setText("")
    dialog.start_export()
    assert "Choose where" in dialog.status.text()
    dialog.path_edit.setText(str(tmp_path / "r.pdf"))
    dialog.set_models([])
    dialog.all_models.setChecked(False)
    dialog.start_export()
    assert "Select at least one model" in dialog.status.text()


# ---------------------------------------------------------------- signing (PAdES)


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real key (``keys create``), remembered in Settings as the officer's key file."""
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    path = tmp_path / "keys" / "olga.key"
    path.parent.mkdir()
    create_key(path, "Olga Officer", "olga@example.org", PASSPHRASE)
    settings = GuiSettings()
    settings.prefs.key_path = str(path)
    settings.save()
    return path


@pytest.fixture
def sign_dialog(qtbot, catalog, tmp_path: Path, ui, key_file: Path):
    out = tmp_path / "out"
    out.mkdir()
    recorder = Recorder()
    dlg = ReportDialog(catalog, None, notifier=recorder, settings=SETTINGS, default_dir=out, opener=lambda p: None)
    dlg.recorder = recorder
    dlg.out_dir = out
    qtbot.addWidget(dlg)
    dlg.show()
    ui.wait_idle(qtbot, dlg.preview_slot)
    yield dlg
    dlg.shutdown()


def _embedded_cert(path: Path) -> x509.Certificate:
    from pyhanko.pdf_utils.reader import PdfFileReader

    embedded = PdfFileReader(io.BytesIO(path.read_bytes())).embedded_signatures[0]
    return x509.load_der_x509_certificate(embedded.signer_cert.dump())


def _export_and_wait(dialog, qtbot, ui) -> None:
    dialog.start_export()
    ui.wait_idle(qtbot, dialog.export_slot, timeout=60_000)


def test_signing_is_off_by_default_with_the_settings_key(sign_dialog, key_file: Path) -> None:
    assert not sign_dialog.sign_check.isChecked() and sign_dialog.sign_check.isEnabled()
    assert sign_dialog.sign_key_field.path() == str(key_file)  # prefilled from Settings
    assert not sign_dialog.sign_passphrase.isEnabled() and not sign_dialog.sign_key_field.isEnabled()
    assert sign_dialog.sign_passphrase.echoMode() == sign_dialog.sign_passphrase.EchoMode.Password
    names = {w.accessibleName() for w in (sign_dialog.sign_check, sign_dialog.sign_key_field.edit,
                                          sign_dialog.sign_cert_field.edit, sign_dialog.sign_passphrase)}
    assert "" not in names and len(names) == 4
    sign_dialog.sign_check.setChecked(True)
    assert sign_dialog.sign_passphrase.isEnabled() and sign_dialog.sign_cert_field.isEnabled()
    # Tab goes from the "Save as" row into the signing group, through it, then to Export
    chain = [sign_dialog.path_edit]
    widget = sign_dialog.path_edit
    for _ in range(8):
        widget = widget.nextInFocusChain()
        while not widget.focusPolicy() & widget.focusPolicy().TabFocus:
            widget = widget.nextInFocusChain()
        chain.append(widget)
    assert chain[1:8] == [sign_dialog.browse_button, sign_dialog.sign_check, sign_dialog.sign_key_field.edit,
                          sign_dialog.sign_key_field.browse_button, sign_dialog.sign_cert_field.edit,
                          sign_dialog.sign_cert_field.browse_button, sign_dialog.sign_passphrase]
    assert chain[8] is sign_dialog.export_button


def test_signed_export_is_a_valid_pades_pdf(sign_dialog, qtbot, ui, key_file: Path, qapp) -> None:
    dialog = sign_dialog
    dialog.sign_check.setChecked(True)
    dialog.sign_passphrase.setText(PASSPHRASE)
    manager = theme.theme_manager(qapp)
    try:
        for mode in ("light", "dark"):
            manager.apply(mode)
            QApplication.processEvents()
            ui.render(dialog, f"report_dialog_sign_{mode}")
    finally:
        manager.apply("light")
    dialog.set_models(["sepsis-alert"])
    with qtbot.waitSignal(dialog.sig_report_written, timeout=60_000) as blocker:
        dialog.start_export()
    assert dialog.sign_passphrase.text() == ""  # cleared as soon as it was used
    result = blocker.args[0]
    ui.wait_idle(qtbot, dialog.export_slot)
    key_pub = serialization.load_pem_public_key(key_file.with_name("olga.key.pub").read_bytes())
    assert result.signed_by == key_id(key_pub)  # type: ignore[arg-type]
    verification = pades.verify_pdf(result.path, [_embedded_cert(result.path)])
    assert verification.ok and verification.verdict.startswith("VALID"), verification.verdict
    assert verification.signatures[0].key_id == result.signed_by
    assert "signed (PAdES)" in dialog.status.text() and not dialog.recorder.errors
    ui.render(dialog, "report_dialog_signed")


def test_wrong_passphrase_is_shown_and_writes_nothing(sign_dialog, qtbot, ui, qapp) -> None:
    dialog = sign_dialog
    dialog.sign_check.setChecked(True)
    dialog.sign_passphrase.setText("not the passphrase at all 99")
    _export_and_wait(dialog, qtbot, ui)
    assert dialog.sign_passphrase.text() == ""
    assert dialog.sign_banner.isVisible() and dialog.sign_banner.kind == "error"
    assert "Wrong passphrase" in dialog.sign_banner.text() and "nothing was written" in dialog.sign_banner.text()
    assert "Wrong passphrase" in dialog.status.text()
    assert list(dialog.out_dir.iterdir()) == []
    assert dialog.report_result is None and not dialog.recorder.errors  # shown in the dialog, no extra box
    assert dialog.export_button.isEnabled()
    manager = theme.theme_manager(qapp)
    try:
        for mode in ("light", "dark"):
            manager.apply(mode)
            QApplication.processEvents()
            ui.render(dialog, f"report_dialog_sign_error_{mode}")
    finally:
        manager.apply("light")


def test_unreadable_key_and_missing_passphrase_write_nothing(sign_dialog, qtbot, ui, tmp_path: Path) -> None:
    dialog = sign_dialog
    dialog.sign_check.setChecked(True)
    dialog.sign_passphrase.setText("")
    dialog.start_export()  # refused before any work
    assert not dialog.export_slot.is_running()
    assert "Type the passphrase" in dialog.sign_banner.text()
    dialog.sign_key_field.set_path("")
    dialog.sign_passphrase.setText(PASSPHRASE)
    dialog.start_export()
    assert "Choose your key file" in dialog.sign_banner.text() and not dialog.export_slot.is_running()
    junk = tmp_path / "junk.key"
    junk.write_bytes(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nnot base64 at all\n-----END ENCRYPTED PRIVATE KEY-----\n")
    dialog.sign_key_field.set_path(str(junk))
    dialog.sign_passphrase.setText(PASSPHRASE)
    _export_and_wait(dialog, qtbot, ui)
    assert "not a readable private key" in dialog.sign_banner.text()
    dialog.sign_key_field.set_path(str(tmp_path / "missing.key"))
    dialog.sign_passphrase.setText(PASSPHRASE)
    _export_and_wait(dialog, qtbot, ui)
    assert "No such key file" in dialog.sign_banner.text()
    assert list(dialog.out_dir.iterdir()) == [] and not dialog.recorder.errors


def test_certificate_file_must_fit_the_key(sign_dialog, qtbot, ui, key_file: Path, tmp_path: Path) -> None:
    from mlops_desktop.governance.keys import SigningKey, load_private_key

    dialog = sign_dialog
    dialog.sign_check.setChecked(True)
    other = generate_private_key()
    foreign = pades.self_signed_certificate(SigningKey(other, key_id(other.public_key()), "Mallory"))
    (tmp_path / "foreign.crt").write_bytes(foreign.public_bytes(serialization.Encoding.PEM))
    dialog.sign_cert_field.set_path(str(tmp_path / "foreign.crt"))
    dialog.sign_passphrase.setText(PASSPHRASE)
    _export_and_wait(dialog, qtbot, ui)
    assert "not for this key" in dialog.sign_banner.text()
    (tmp_path / "bad.crt").write_text("not a certificate")
    dialog.sign_cert_field.set_path(str(tmp_path / "bad.crt"))
    dialog.sign_passphrase.setText(PASSPHRASE)
    _export_and_wait(dialog, qtbot, ui)
    assert "not a readable X.509 certificate" in dialog.sign_banner.text()
    assert list(dialog.out_dir.iterdir()) == [] and not dialog.recorder.errors
    own = pades.self_signed_certificate(load_private_key(key_file, PASSPHRASE))
    (tmp_path / "own.crt").write_bytes(own.public_bytes(serialization.Encoding.DER))
    dialog.sign_cert_field.set_path(str(tmp_path / "own.crt"))
    dialog.sign_passphrase.setText(PASSPHRASE)
    dialog.set_models(["sepsis-alert"])
    _export_and_wait(dialog, qtbot, ui)
    assert dialog.report_result is not None and not dialog.sign_banner.isVisible()
    verification = pades.verify_pdf(dialog.report_result.path, [own])  # the certificate we gave is embedded
    assert verification.ok, verification.verdict


def test_without_pyhanko_signing_is_disabled_with_how_to_install(qtbot, catalog, monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "pyhanko.sign", None)  # what an absent package looks like to import
    dlg = ReportDialog(catalog, None, notifier=Recorder(), settings=SETTINGS, default_dir=tmp_path, key_path="")
    qtbot.addWidget(dlg)
    try:
        assert not dlg.sign_check.isEnabled() and not dlg.sign_check.isChecked()
        assert "pip install" in dlg.sign_check.toolTip() and "pyHanko" in dlg.sign_check.toolTip()
        assert dlg.sign_key_field.path() == ""
    finally:
        dlg.shutdown()


def test_model_risk_edition_from_the_dialog_with_the_profile(qtbot, catalog, tmp_path: Path, ui) -> None:
    import dataclasses

    from pypdf import PdfReader

    from mlops_desktop.core.profile import ReportProfile, load_profile, save_profile

    path = save_profile(ReportProfile(officer_name="Dana Officer", organisation="Example Health Ltd"),
                        tmp_path / "profile.toml")
    settings = dataclasses.replace(SETTINGS, profile=load_profile(path))
    dlg = ReportDialog(catalog, None, notifier=Recorder(), settings=settings, default_dir=tmp_path,
                       opener=lambda _p: None)
    qtbot.addWidget(dlg)
    dlg.show()
    ui.wait_idle(qtbot, dlg.preview_slot)
    assert dlg.edition_combo.findData("model-risk") >= 0
    assert dlg.profile_label.text().startswith(f"{path} — not recorded: controller, DPO contact")
    dlg.edition_combo.setCurrentIndex(dlg.edition_combo.findData("model-risk"))
    dlg.set_models(["readmission-risk"])
    ui.render(dlg, "report_dialog_model_risk")
    with qtbot.waitSignal(dlg.sig_report_written, timeout=60_000) as blocker:
        dlg.start_export()
    result = blocker.args[0]
    assert result.edition == "model-risk" and result.models == ["readmission-risk"]
    reader = PdfReader(str(result.path))
    text = " ".join((p.extract_text() or "") for p in reader.pages)
    assert "Model risk management report (SR 11-7, PRA SS1/23)" in text and "In use: v3; challenger: v2." in text
    assert reader.metadata is not None and reader.metadata.author == "Dana Officer"
    ui.wait_idle(qtbot, dlg.export_slot)
    dlg.shutdown()
