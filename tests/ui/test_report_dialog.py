"""The report dialog: preview, scope, export through a worker, cancel, errors; rendered to PNG."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mlops_desktop.core.errors import UsageError
from mlops_desktop.core.findings import FindingSettings
from mlops_desktop.reports.model import ReportSettings
from mlops_desktop.ui.report_dialog import ReportDialog, export_work, preview_findings

SETTINGS = ReportSettings(findings=FindingSettings(today=date(2026, 6, 1)),
                          generated_at=datetime(2026, 6, 1, tzinfo=UTC))


class Recorder:
    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    def show_error(self, exc: BaseException, title: str = "") -> None:  # noqa: ARG002
        self.errors.append(exc)


@pytest.fixture
def catalog(mlflow3_db: Path):
    from mlops_desktop.sources.base import load_catalog

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
    dialog.export_slot.shutdown()
    qtbot.wait(50)
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
