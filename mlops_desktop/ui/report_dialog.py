"""The report dialog: edition, scope (models), findings preview, export with progress and cancel.

The work runs through :mod:`mlops_desktop.ui.workers` (plain, Qt-free functions from
:mod:`mlops_desktop.reports.jobs`); a cancelled or failed export leaves no file. When the
report is written the dialog opens it with the desktop's PDF viewer.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.findings import Finding, count_by_severity, scope_findings
from mlops_desktop.reports.model import EDITIONS, ReportSettings
from mlops_desktop.ui.workers import TaskSlot

logger = logging.getLogger(__name__)

SEVERITY_BACKGROUND = {
    "critical": "#f3c6c6",
    "high": "#f8d7c4",
    "medium": "#faecc8",
    "low": "#d9e4f2",
    "info": "#e6e6e6",
}


def preview_findings(catalog: Catalog, governance_url: str | None, settings: ReportSettings | None = None, *,
                     progress, is_cancelled) -> list[Finding]:
    """Findings over the catalog and (when there is one) the governance store: Qt-free work."""
    from mlops_desktop.core.findings import evaluate
    from mlops_desktop.reports.jobs import governance_evidence

    gov, evidence = governance_evidence(governance_url, catalog, progress=progress, is_cancelled=is_cancelled)
    try:
        return evaluate(catalog, evidence.facts if evidence else None, settings.findings if settings else None,
                        is_cancelled=is_cancelled)
    finally:
        if gov is not None:
            gov.close()


def export_work(catalog: Catalog, edition: str, out: str, models: list[str], governance_url: str | None,
                settings: ReportSettings | None, *, progress, is_cancelled):
    """The export itself (runs in a worker thread)."""
    from mlops_desktop.reports.jobs import run_report

    return run_report([], edition, out, models=models, governance_url=governance_url, settings=settings,
                      catalog=catalog, progress=progress, is_cancelled=is_cancelled)


class ReportDialog(QDialog):
    """Export an audit report for the open stores."""

    sig_report_written = Signal(object)  # ReportResult

    def __init__(self, catalog: Catalog, governance_url: str | None = None, *, notifier=None,
                 settings: ReportSettings | None = None, default_dir: str | Path | None = None,
                 open_when_done: bool = True, opener=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export audit report")
        self.setObjectName("ReportDialog")
        self.catalog = catalog
        self.governance_url = governance_url
        self.settings = settings
        self.open_when_done = open_when_done
        self.opened: list[str] = []  # files handed to the viewer
        self._opener = opener  # callable(path); default: the desktop's PDF viewer
        self.report_result = None
        self.last_error: BaseException | None = None
        self._findings: list[Finding] = []
        self.preview_slot = TaskSlot("report-preview", notifier, self)
        self.export_slot = TaskSlot("report-export", notifier, self)
        self.export_slot.sig_progress.connect(self._on_export_progress)
        self.export_slot.sig_finished.connect(self._on_export_finished)

        self.edition_combo = QComboBox()
        for key, title in EDITIONS.items():
            self.edition_combo.addItem(f"{title} ({key})", key)
        self.all_models = QCheckBox("All registered models")
        self.all_models.setChecked(True)
        self.all_models.toggled.connect(self._on_all_models_toggled)
        self.model_list = QListWidget()
        self.model_list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        for model in sorted(catalog.models, key=lambda m: m.name):
            item = QListWidgetItem(model.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            item.setToolTip(model.name)
            self.model_list.addItem(item)
        self.model_list.setEnabled(False)
        self.model_list.setMaximumHeight(150)
        self.model_list.itemChanged.connect(self._refresh_preview_table)
        folder = Path(default_dir) if default_dir else Path.home()
        self.path_edit = QLineEdit(str(folder / "audit-report.pdf"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)

        self.preview_label = QLabel("Evaluating findings…")
        self.preview = QTableWidget(0, 4)
        self.preview.setHorizontalHeaderLabels(["Id", "Severity", "Object", "Rule"])
        self.preview.verticalHeader().setVisible(False)
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.preview.setWordWrap(False)

        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button = QPushButton("Cancel export")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_export)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)

        form = QFormLayout()
        form.addRow("Edition", self.edition_combo)
        form.addRow("Scope", self.all_models)
        form.addRow("", self.model_list)
        form.addRow("Save as", path_row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.preview_label)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(820, 640)
        self.preview_slot.start(preview_findings, catalog, governance_url, settings, label="Evaluating findings",
                                on_done=self._on_preview_done, on_error=self._on_preview_failed)

    # -- scope ------------------------------------------------------------------------------

    def selected_models(self) -> list[str]:
        """The models in scope ([] means all)."""
        if self.all_models.isChecked():
            return []
        return [self.model_list.item(i).text() for i in range(self.model_list.count())
                if self.model_list.item(i).checkState() == Qt.CheckState.Checked]

    def set_models(self, names: list[str]) -> None:
        self.all_models.setChecked(not names)
        for i in range(self.model_list.count()):
            item = self.model_list.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.text() in names else Qt.CheckState.Unchecked)
        self._refresh_preview_table()

    def _on_all_models_toggled(self, checked: bool) -> None:
        self.model_list.setEnabled(not checked)
        self._refresh_preview_table()

    def _on_browse_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save report as", self.path_edit.text(), "PDF files (*.pdf)")
        if path:
            self.path_edit.setText(path if path.lower().endswith(".pdf") else path + ".pdf")

    # -- preview ----------------------------------------------------------------------------

    def _on_preview_done(self, findings: list[Finding]) -> None:
        self._findings = list(findings)
        self._refresh_preview_table()

    def _on_preview_failed(self, exc: BaseException) -> bool:
        self.preview_label.setText(f"Findings could not be evaluated: {exc}")
        return False  # the notifier shows it too

    def _refresh_preview_table(self, *_: object) -> None:
        if self.preview_slot.is_running():
            return
        models = self.selected_models()
        shown = scope_findings(self._findings, models or None)
        if not self.all_models.isChecked() and not models:
            shown = []
        counts = count_by_severity(shown)
        self.preview_label.setText(
            f"{len(shown)} findings in scope: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
            if shown else "No findings in scope."
        )
        self.preview.setRowCount(len(shown))
        for row, f in enumerate(shown):
            for col, value in enumerate((f.id, f.severity, f.object, f.rule)):
                item = QTableWidgetItem(value)
                item.setToolTip(f"{f.evidence}\n\nRemediation: {f.remediation}")
                if col == 1:
                    from PySide6.QtGui import QColor

                    item.setBackground(QColor(SEVERITY_BACKGROUND.get(f.severity, "#ffffff")))
                    item.setForeground(QColor("#111827"))  # dark text on the light badge in both themes
                self.preview.setItem(row, col, item)
        self.preview.resizeColumnsToContents()
        self.preview.setColumnWidth(2, min(self.preview.columnWidth(2), 280))

    # -- export -----------------------------------------------------------------------------

    def start_export(self) -> None:
        out = self.path_edit.text().strip()
        if not out:
            self.status.setText("Choose where to save the report.")
            return
        if not self.all_models.isChecked() and not self.selected_models():
            self.status.setText("Select at least one model, or tick “All registered models”.")
            return
        edition = self.edition_combo.currentData()
        self.report_result = None
        self.last_error = None
        self.progress.setValue(0)
        self.status.setText("Exporting…")
        self.export_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.export_slot.start(export_work, self.catalog, edition, out, self.selected_models(), self.governance_url,
                               self.settings, label="Exporting report", on_done=self._on_export_done,
                               on_error=self._on_export_failed)

    def cancel_export(self) -> None:
        if self.export_slot.is_running():
            self.export_slot.cancel()
            self.status.setText("Export cancelled; no file was written.")

    def _on_export_progress(self, done: int, total: int, message: str) -> None:
        self.progress.setValue(int(100 * done / total) if total else 0)
        self.status.setText(message)

    def _on_export_done(self, result) -> None:
        self.report_result = result
        self.progress.setValue(100)
        recorded = (f"; recorded in the audit log as entry {result.log_index}" if result.log_index is not None
                    else "")
        self.status.setText(f"Report written: {result.path} ({result.pages} pages){recorded}.")
        self.sig_report_written.emit(result)
        if self.open_when_done:
            self.open_result(result.path)

    def _on_export_failed(self, exc: BaseException) -> bool:
        self.last_error = exc
        self.status.setText(f"Export failed: {exc}" if isinstance(exc, MlopsError) else "Export failed.")
        return False

    def _on_export_finished(self) -> None:
        self.export_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def open_result(self, path: Path | str) -> None:
        self.opened.append(str(path))
        if self._opener is not None:
            self._opener(str(path))
        elif not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            logger.info("No viewer opened %s", path)

    # -- lifetime ---------------------------------------------------------------------------

    def shutdown(self) -> None:
        self.preview_slot.shutdown()
        self.export_slot.shutdown()

    def done(self, code: int) -> None:  # noqa: D401 - Qt override
        self.preview_slot.cancel()
        self.export_slot.cancel()
        super().done(code)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)
