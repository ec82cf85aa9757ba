"""An export says where its file is when it cannot be opened: the report and snapshot dialogs
with this machine's desktop services, which have no viewer (the offscreen platform opens nothing)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication

from mlops_desktop.core.findings import FindingSettings
from mlops_desktop.reports.model import ReportSettings
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.common import theme
from mlops_desktop.ui.export.located import FileLocationWidget, desktop_open
from mlops_desktop.ui.export.report_dialog import ReportDialog
from mlops_desktop.ui.export.snapshot_dialog import SnapshotDialog
from tests.ui.conftest import OFFSCREEN_NOISE, flush_events

#: Qt's own word that this platform has no program to hand a file to.
NO_HANDLER = r"does not support QPlatformServices::openDocument"
#: (the offscreen plugin's noise too: the closest qt_log_ignore marker is the one used)
no_handler_noise = pytest.mark.qt_log_ignore(NO_HANDLER, OFFSCREEN_NOISE)
SETTINGS = ReportSettings(findings=FindingSettings(today=date(2026, 6, 1)),
                          generated_at=datetime(2026, 6, 1, tzinfo=UTC))


@no_handler_noise
def test_this_machine_has_no_viewer(qtbot, tmp_path: Path) -> None:
    """The premise of the tests below, checked rather than assumed."""
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    assert desktop_open(pdf) is False
    assert QDesktopServices.openUrl(QUrl.fromLocalFile(str(tmp_path))) is False


@pytest.fixture
def report_dialog(qtbot, mlflow3_db: Path, tmp_path: Path, ui):
    out = tmp_path / "out folder"
    out.mkdir()
    dialog = ReportDialog(load_catalog([str(mlflow3_db)]), None, settings=SETTINGS, default_dir=out)
    qtbot.addWidget(dialog)
    dialog.show()
    ui.wait_idle(qtbot, dialog.preview_slot)
    yield dialog
    dialog.shutdown()


@no_handler_noise
@pytest.mark.parametrize("mode", ["light", "dark"])
def test_report_not_opened_says_where_it_is(report_dialog: ReportDialog, qtbot, ui, mode: str) -> None:
    theme.theme_manager().apply(mode)
    report_dialog.resize(1280, 800)
    report_dialog.set_models(["sepsis-alert"])
    assert not report_dialog.location.isVisible()
    with qtbot.waitSignal(report_dialog.sig_report_written, timeout=60_000) as blocker:
        report_dialog.start_export()
    path = blocker.args[0].path
    assert path.exists()
    ui.wait_idle(qtbot, report_dialog.export_slot)
    location = report_dialog.location
    assert report_dialog.opened == [str(path)]
    assert location.isVisible() and location.banner.kind == "warning"
    text = location.banner.text()
    assert "No program on this computer opened the report" in text
    assert str(path) in location.banner.accessibleDescription()
    assert location.show_button.isVisible() and location.copy_button.isVisible()
    flush_events()
    ui.render(report_dialog, f"report_dialog_not_opened_{mode}")
    report_dialog.resize(1920, 1080)
    flush_events()
    ui.render(report_dialog, f"report_dialog_not_opened_1920_{mode}")
    # Copy path
    QGuiApplication.clipboard().clear()
    location.copy_button.click()
    assert QGuiApplication.clipboard().text() == str(path)
    # Show in folder: no file manager either, so the path is copied and the message says so
    QGuiApplication.clipboard().clear()
    assert location.show_in_folder() is False
    assert QGuiApplication.clipboard().text() == str(path)
    said = location.banner.accessibleDescription()
    assert "No file manager opened the folder" in said and str(path.parent) in said and str(path) in said
    theme.theme_manager().apply("system")


@no_handler_noise
def test_report_opened_says_so(report_dialog: ReportDialog, qtbot, ui) -> None:
    """With a handler for file: URLs (what a desktop has) the viewer gets the file and the message is calm."""
    seen: list[str] = []

    class Handler(QObject):
        @Slot(QUrl)
        def show(self, url: QUrl) -> None:
            seen.append(url.toLocalFile())

    handler = Handler()
    QDesktopServices.setUrlHandler("file", handler, "show")
    try:
        report_dialog.set_models(["sepsis-alert"])
        with qtbot.waitSignal(report_dialog.sig_report_written, timeout=60_000) as blocker:
            report_dialog.start_export()
        ui.wait_idle(qtbot, report_dialog.export_slot)
        path = blocker.args[0].path
        assert seen == [str(path)]
        assert report_dialog.location.banner.kind == "ok"
        assert str(path) in report_dialog.location.banner.accessibleDescription()
        assert report_dialog.location.show_in_folder() is True and seen[-1] == str(path.parent)
    finally:
        QDesktopServices.unsetUrlHandler("file")


@no_handler_noise
def test_a_launcher_that_raises_is_a_message(qtbot, tmp_path: Path) -> None:
    def broken(_path: Path) -> bool:
        raise PermissionError("no")

    widget = FileLocationWidget("report", broken)
    qtbot.addWidget(widget)
    assert widget.open_file(tmp_path / "r.pdf") is False
    assert widget.banner.kind == "warning" and str(tmp_path / "r.pdf") in widget.banner.accessibleDescription()


@no_handler_noise
@pytest.mark.parametrize("mode", ["light", "dark"])
def test_snapshot_says_where_it_is(qtbot, ui, tmp_path: Path, mlflow3_db: Path, mode: str) -> None:
    theme.theme_manager().apply(mode)
    dialog = SnapshotDialog([str(mlflow3_db)])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.resize(1280, 800)
    dialog.out_edit.setText(str(tmp_path / "audit"))
    dialog.sign_check.setChecked(False)
    with qtbot.waitSignal(dialog.sig_created, timeout=20_000) as created:
        assert dialog.start()
    path = Path(created.args[0].path)
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=20_000)
    assert dialog.location.isVisible() and str(path) in dialog.location.banner.accessibleDescription()
    flush_events()
    ui.render(dialog, f"snapshot_dialog_written_{mode}")
    dialog.location.copy_button.click()
    assert QGuiApplication.clipboard().text() == str(path)
    assert dialog.location.show_in_folder() is False  # no file manager here
    assert "is copied to the clipboard" in dialog.location.banner.text()
    flush_events()
    ui.render(dialog, f"snapshot_dialog_written_folder_{mode}")
    assert dialog.shutdown()
    theme.theme_manager().apply("system")
