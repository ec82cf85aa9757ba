"""The report dialog: edition, scope (models), findings preview, export with progress and cancel.

The work runs through :mod:`mlops_desktop.ui.common.workers` (plain, Qt-free functions from
:mod:`mlops_desktop.reports.jobs`); a cancelled or failed export leaves no file. When the
report is written the dialog opens it with the desktop's PDF viewer.

Optionally the PDF is signed (PAdES B-B, :mod:`mlops_desktop.reports.pades`) with the
officer's key: the key is unlocked in the worker, before anything is written, so a wrong
passphrase or an unreadable key is reported in the dialog and leaves no file. The
passphrase field is cleared as soon as the export starts.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
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
from mlops_desktop.ui.common.keyfield import KeyFileField, passphrase_or_env
from mlops_desktop.ui.common.widgets import Banner
from mlops_desktop.ui.common.workers import TaskSlot
from mlops_desktop.ui.export.located import FileLocationWidget

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


CERT_FILE_FILTER = "Certificates (*.crt *.pem *.cer *.der);;All files (*)"


@dataclass(frozen=True)
class SignRequest:
    """What the worker needs to sign the PDF: the key file, its passphrase, an optional certificate."""

    key_path: str
    passphrase: str = field(repr=False)
    cert_path: str = ""


def pyhanko_problem() -> str | None:
    """Why PDFs cannot be signed here (pyHanko missing, with how to install it), or None.

    Asks the import system whether pyHanko is there without importing it (~0.3 s): this runs
    on the UI thread when the dialog opens; the worker imports it when signing.
    """
    import importlib.util

    from mlops_desktop.reports import pades

    try:
        found = importlib.util.find_spec("pyhanko.sign") is not None
    except (ImportError, ValueError):
        found = False
    return None if found else f"PDF signing needs pyHanko, which is not installed. {pades.INSTALL_HINT}"


def export_work(catalog: Catalog, edition: str, out: str, models: list[str], governance_url: str | None,
                settings: ReportSettings | None, sign: SignRequest | None = None, *, progress, is_cancelled):
    """The export itself (runs in a worker thread). With ``sign`` the key is unlocked first
    (a wrong passphrase raises before anything is written) and the PDF is PAdES-signed."""
    from mlops_desktop.reports.jobs import run_report

    sign_key = sign_cert = None
    if sign is not None:
        from mlops_desktop.governance.keys import load_certificate, load_private_key

        progress(0, 100, "Unlocking the signing key…")
        sign_key = load_private_key(Path(sign.key_path).expanduser(), sign.passphrase)
        if sign.cert_path:
            sign_cert = load_certificate(Path(sign.cert_path).expanduser())
    return run_report([], edition, out, models=models, governance_url=governance_url, settings=settings,
                      catalog=catalog, sign_key=sign_key, sign_cert=sign_cert, progress=progress,
                      is_cancelled=is_cancelled)


def _settings_key_path() -> str:
    """The key file from Settings (``prefs.key_path``); "" when there is none or it cannot be read."""
    try:
        from mlops_desktop.ui.common.settings import GuiSettings

        return GuiSettings(readonly=True).prefs.key_path
    except Exception:  # noqa: BLE001 - a convenience prefill never stops the dialog
        logger.warning("Could not read the key path from the GUI settings", exc_info=True)
        return ""


class ReportDialog(QDialog):
    """Export an audit report for the open stores."""

    sig_report_written = Signal(object)  # ReportResult

    def __init__(self, catalog: Catalog, governance_url: str | None = None, *, notifier=None,
                 settings: ReportSettings | None = None, default_dir: str | Path | None = None,
                 open_when_done: bool = True, opener=None, key_path: str | None = None,
                 parent: QWidget | None = None) -> None:
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

        self._build_sign_group(_settings_key_path() if key_path is None else key_path)

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
        self.status.setAccessibleName("Export status")
        self.location = FileLocationWidget("report")
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button = QPushButton("Cancel export")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_export)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        self.close_button = close
        self.browse_button = browse
        self.edition_combo.setAccessibleName("Report edition")
        self.all_models.setAccessibleName("All registered models")
        self.model_list.setAccessibleName("Models in scope")
        self.path_edit.setAccessibleName("Save the report as")
        browse.setAccessibleName("Browse for where to save the report")
        self.preview.setAccessibleName("Findings in scope")

        self.profile_label = QLabel(self._profile_text())
        self.profile_label.setObjectName("reportProfile")
        self.profile_label.setWordWrap(True)
        self.profile_label.setAccessibleName("Report profile")
        form = QFormLayout()
        form.addRow("Edition", self.edition_combo)
        form.addRow("Profile", self.profile_label)
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
        layout.addWidget(self.sign_group)
        layout.addWidget(self.preview_label)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.location)
        layout.addLayout(buttons)
        self.resize(820, 720)
        self._set_tab_order()
        self.preview_slot.start(preview_findings, catalog, governance_url, settings, label="Evaluating findings",
                                on_done=self._on_preview_done, on_error=self._on_preview_failed)

    def _profile_text(self) -> str:
        """Which report profile the sections fill from, and what it still lacks (Settings > Report profile)."""
        prof = self.settings.profile if self.settings is not None else None
        if prof is None or not prof.source:
            return "No report profile: controller, DPO, processors… will be reported as not recorded " \
                   "(fill them in Settings > Report profile)."
        missing = prof.missing()
        return f"{prof.source}" + (f" — not recorded: {', '.join(missing)}" if missing else " — complete")

    # -- signing --------------------------------------------------------------------------

    def _build_sign_group(self, key_path: str) -> None:
        self.sign_group = QGroupBox("Signature")
        self.sign_group.setObjectName("signGroup")
        self.sign_check = QCheckBox("Sign the PDF (PAdES) with my key")
        self.sign_check.setObjectName("signCheck")
        self.sign_check.setAccessibleName("Sign the PDF (PAdES) with my key")
        self.sign_check.setChecked(False)
        self.sign_key_field = KeyFileField("Signing key file")
        self.sign_key_field.set_path(key_path)
        self.sign_cert_field = KeyFileField(
            "Signing certificate file",
            placeholder="optional: the key's X.509 certificate (else its own .crt or a self-signed one)",
            file_filter=CERT_FILE_FILTER)
        self.sign_passphrase = QLineEdit()
        self.sign_passphrase.setObjectName("signPassphrase")
        self.sign_passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.sign_passphrase.setAccessibleName("Passphrase of the signing key")
        self.sign_passphrase.setPlaceholderText("passphrase of your key (it is never stored)")
        self.sign_passphrase.returnPressed.connect(self.start_export)
        self.sign_banner = Banner(name="signStatus")
        self.sign_banner.setAccessibleName("Signature status")
        self.sign_banner.setVisible(False)
        sign_form = QFormLayout()
        sign_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        sign_form.addRow(self.sign_check)
        sign_form.addRow("&Key file:", self.sign_key_field)
        sign_form.addRow("Ce&rtificate:", self.sign_cert_field)
        sign_form.addRow("&Passphrase:", self.sign_passphrase)
        box = QVBoxLayout(self.sign_group)
        box.addLayout(sign_form)
        box.addWidget(self.sign_banner)
        self.sign_unavailable = pyhanko_problem()
        if self.sign_unavailable:
            self.sign_check.setEnabled(False)
            self.sign_check.setToolTip(self.sign_unavailable)
            self.sign_check.setAccessibleDescription(self.sign_unavailable)
        else:
            self.sign_check.setToolTip("Add a PAdES B-B certification signature made with your key; "
                                       "the audit log records the hash of the signed file.")
        self.sign_check.toggled.connect(self._on_sign_toggled)
        self._on_sign_toggled(False)

    def _on_sign_toggled(self, checked: bool) -> None:
        for widget in (self.sign_key_field, self.sign_cert_field, self.sign_passphrase):
            widget.setEnabled(checked)
        if not checked:
            self.sign_banner.setVisible(False)

    def _sign_request(self) -> SignRequest | None:
        """The signing request from the form (the passphrase field is cleared); raises on a gap."""
        from mlops_desktop.core.errors import UsageError

        if not self.sign_check.isChecked():
            return None
        key_path = self.sign_key_field.path()
        if not key_path:
            raise UsageError("Choose your key file to sign the PDF.", "Or untick “Sign the PDF”.")
        passphrase = passphrase_or_env(self.sign_passphrase.text())
        self.sign_passphrase.clear()
        return SignRequest(key_path, passphrase, self.sign_cert_field.path())

    def _show_sign_error(self, exc: MlopsError) -> None:
        hint = f"<br>{html.escape(exc.hint)}" if exc.hint else ""
        self.sign_banner.show_message(
            "error", f"<b>Not signed, nothing was written:</b> {html.escape(exc.message)}{hint}")
        self.status.setText(f"Export failed: {exc.message}")

    def _set_tab_order(self) -> None:
        """Tab follows the form top to bottom, then the buttons, then the preview to read it."""
        chain: list[QWidget] = [
            self.edition_combo, self.all_models, self.model_list, self.path_edit, self.browse_button,
            self.sign_check, self.sign_key_field.edit, self.sign_key_field.browse_button,
            self.sign_cert_field.edit, self.sign_cert_field.browse_button, self.sign_passphrase,
            self.export_button, self.cancel_button, self.close_button, self.preview,
        ]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

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
        try:
            sign = self._sign_request()
        except MlopsError as exc:
            self._show_sign_error(exc)
            self.sign_passphrase.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.sign_banner.setVisible(False)
        edition = self.edition_combo.currentData()
        self.report_result = None
        self.last_error = None
        self.location.setVisible(False)
        self.progress.setValue(0)
        self.status.setText("Exporting…")
        self.export_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.export_slot.start(export_work, self.catalog, edition, out, self.selected_models(), self.governance_url,
                               self.settings, sign, label="Exporting report", on_done=self._on_export_done,
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
        signed = f"; signed (PAdES) with key {result.signed_by[:16]}" if result.signed_by else ""
        self.status.setText(f"Report written: {result.path} ({result.pages} pages){signed}{recorded}.")
        self.sig_report_written.emit(result)
        if self.open_when_done:
            self.open_result(result.path)
        else:
            self.location.set_file(result.path, opened=True)

    def _on_export_failed(self, exc: BaseException) -> bool:
        from mlops_desktop.governance.keys import CertificateError, KeyFileError
        from mlops_desktop.reports.pades import PdfSignatureError

        self.last_error = exc
        if isinstance(exc, KeyFileError | CertificateError | PdfSignatureError):
            self._show_sign_error(exc)  # shown here, in the dialog, not as a separate error box
            self.sign_passphrase.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        self.status.setText(f"Export failed: {exc}" if isinstance(exc, MlopsError) else "Export failed.")
        return False

    def _on_export_finished(self) -> None:
        self.export_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def open_result(self, path: Path | str) -> bool:
        """Hand the report to the PDF viewer; when none takes it, the dialog says where it is."""
        self.opened.append(str(path))
        if self._opener is None:
            return self.location.open_file(path)
        opened = self._opener(str(path)) is not False  # an opener may answer False: nothing opened it
        self.location.set_file(path, opened=opened)
        return opened

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
