"""File > Export snapshot…: write a signed offline snapshot, with progress and Cancel.

The work runs in a :class:`~mlops_desktop.ui.common.workers.TaskSlot` thread through
:func:`mlops_desktop.services.snapshots.create_snapshot`, as ``mlops-desktop snapshot create``. Cancelling, closing the dialog or any error
leaves no file behind: the writer works on a temporary file next to the target and renames
it only when complete.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.services.session import KeyFile
from mlops_desktop.services.snapshots import SnapshotRequest, create_snapshot
from mlops_desktop.ui.common.dialogs import TaskDialog
from mlops_desktop.ui.common.workers import ErrorSink, TaskSlot, TaskState
from mlops_desktop.ui.export.located import FileLocationWidget
from mlops_desktop.ui.models.loading import source_settings

if TYPE_CHECKING:
    from mlops_desktop.governance.snapshot import SnapshotResult

logger = logging.getLogger(__name__)


class SnapshotDialog(TaskDialog):
    """Choose the file and the signing key, then create; shows progress, can cancel.

    ``catalog`` (optional) is the catalog the window already has loaded, so the stores are
    not read twice. ``sig_created(result)`` carries the
    :class:`~mlops_desktop.governance.snapshot.SnapshotResult`.
    """

    sig_created = Signal(object)

    def __init__(
        self,
        stores: Sequence[str],
        *,
        governance_url: str | None = None,
        catalog: Catalog | None = None,
        settings: Mapping[str, object] | None = None,
        notifier: ErrorSink | None = None,
        default_out: str = "",
        key_path: str = "",
        parent: QWidget | None = None,
    ) -> None:
        """``key_path`` is the key preselected for signing (the window passes
        ``GuiSettings.signing_key_path()``)."""
        super().__init__(parent)
        self.setObjectName("SnapshotDialog")
        self.setWindowTitle("Export snapshot")
        self.resize(620, 320)
        self.stores = list(stores)
        self.governance_url = governance_url
        self.catalog = catalog
        self.settings = dict(settings or {})
        self.notifier = notifier
        self.snapshot_result: SnapshotResult | None = None
        self.slot = TaskSlot("snapshot", None, self)
        self._state: TaskState | None = None
        self._target: Path | None = None
        self._started_at = 0.0
        self.slot.sig_progress.connect(self._on_slot_progress)

        stores_label = QLabel("<br>".join(self.stores) or "(no store open)")
        stores_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        stores_label.setWordWrap(True)

        self.out_edit = QLineEdit(default_out)
        self.out_edit.setPlaceholderText("/path/to/audit.mlsnap")
        self.out_edit.textChanged.connect(self._on_out_edit_changed)
        out_browse = QPushButton("Browse…")
        out_browse.clicked.connect(self._on_out_browse_clicked)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(out_browse)

        self.sign_check = QCheckBox("Sign the manifest with my key")
        self.sign_check.setChecked(True)
        self.sign_check.toggled.connect(self._on_sign_check_toggled)
        self.key_edit = QLineEdit(key_path)
        self.key_edit.setPlaceholderText("key file written by 'keys create'")
        key_browse = QPushButton("Browse…")
        key_browse.clicked.connect(self._on_key_browse_clicked)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(key_browse)
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_edit.setPlaceholderText("passphrase of the key")

        form = QFormLayout()
        form.addRow("Stores:", stores_label)
        form.addRow("Save as:", out_row)
        form.addRow("", self.sign_check)
        form.addRow("Key:", key_row)
        form.addRow("Passphrase:", self.passphrase_edit)

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setVisible(False)
        self.status_label = QLabel(
            "The snapshot holds the catalog, the governance records and a signed manifest. "
            "Nothing is written until it is complete."
        )
        self.status_label.setObjectName("snapshotStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.location = FileLocationWidget("snapshot")
        self.buttons = QDialogButtonBox()
        self.create_button = self.buttons.addButton("Create", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.create_button.clicked.connect(self._on_create_button_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.location)
        layout.addWidget(self.buttons)
        self._on_out_edit_changed(self.out_edit.text())

    # -- state ------------------------------------------------------------------------

    def is_running(self) -> bool:
        return self.slot.is_running()

    def _set_running(self, running: bool) -> None:
        signing = self.sign_check.isChecked()
        self.out_edit.setEnabled(not running)
        self.sign_check.setEnabled(not running)
        self.key_edit.setEnabled(not running and signing)
        self.passphrase_edit.setEnabled(not running and signing)
        self.create_button.setEnabled(not running and bool(self.out_edit.text().strip()))
        if running:
            self.progress_bar.setVisible(True)

    # -- actions ----------------------------------------------------------------------

    def start(self) -> bool:
        """Validate the form and start writing; False (with a message) when something is missing."""
        out = self.out_edit.text().strip()
        if not out:
            self.status_label.setText("Choose where to save the snapshot.")
            return False
        if not self.stores and self.catalog is None:
            self.status_label.setText("Open a store first: there is nothing to snapshot.")
            return False
        key_path = self.key_edit.text().strip() if self.sign_check.isChecked() else ""
        if self.sign_check.isChecked() and not key_path:
            self.status_label.setText("Choose your key file, or untick signing to write an unsigned snapshot.")
            return False
        if not out.endswith(".mlsnap"):
            out += ".mlsnap"
            self.out_edit.setText(out)
        self.snapshot_result = None
        self.location.setVisible(False)
        self._target = Path(out).expanduser()
        self._started_at = time.time()
        self.progress_bar.setValue(0)
        self.status_label.setText("Starting…")
        request = SnapshotRequest(tuple(self.stores), out, self.governance_url, source_settings(self.settings),
                                  self.catalog)
        unlock = KeyFile(key_path, self.passphrase_edit.text()).unlock if key_path else None
        self._state = self.slot.start(create_snapshot, request, unlock, label="Writing snapshot",
                                      on_done=self._on_job_done, on_error=self._on_job_error)
        self._state.sig_cancelled.connect(self._on_job_cancelled)
        self.passphrase_edit.clear()
        self._set_running(True)
        return True

    def cancel_job(self) -> None:
        """Ask the worker to stop; it removes its temporary file and reports back."""
        if self._state is not None and self.slot.is_running():
            self._state.cancel()
            self.cancel_button.setEnabled(False)
            self.status_label.setText("Cancelling…")

    # -- handlers ---------------------------------------------------------------------

    def _on_create_button_clicked(self) -> None:
        self.start()

    def _on_cancel_button_clicked(self) -> None:
        if self.slot.is_running():
            self.cancel_job()
        else:
            self.reject()

    def _on_out_edit_changed(self, text: str) -> None:
        self.create_button.setEnabled(bool(text.strip()) and not self.slot.is_running())

    def _on_sign_check_toggled(self, checked: bool) -> None:
        self.key_edit.setEnabled(checked)
        self.passphrase_edit.setEnabled(checked)

    def _on_out_browse_clicked(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, "Save snapshot", self.out_edit.text(),
                                                    "Snapshots (*.mlsnap);;All files (*)")
        if path:
            self.out_edit.setText(path)

    def _on_key_browse_clicked(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Signing key", self.key_edit.text(),
                                                    "Key files (*.key *.pem *.p12 *.pfx);;All files (*)")
        if path:
            self.key_edit.setText(path)

    def _on_slot_progress(self, done: int, total: int, message: str) -> None:
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(min(done, total))
        self.status_label.setText(message)

    def _on_job_cancelled(self) -> None:
        self._state = None
        self._set_running(False)
        self.cancel_button.setEnabled(True)
        self.progress_bar.setVisible(False)
        target = self._target
        if target is not None and target.exists() and target.stat().st_mtime >= self._started_at - 1:
            # The cancel came after the file was complete and renamed: say so, do not pretend.
            self.status_label.setText(f"The snapshot was complete before the cancel took effect: {target}")
        else:
            self.status_label.setText("Cancelled; no snapshot was written.")

    def _on_job_done(self, result: SnapshotResult) -> None:
        self._state = None
        self.snapshot_result = result
        self._set_running(False)
        self.progress_bar.setValue(self.progress_bar.maximum())
        signed = f"signed with key {result.key_id[:16]}" if result.key_id else "unsigned"
        text = f"Wrote {result.path} ({signed}).\nSHA-256 {result.sha256}"
        if result.not_recorded:
            text += f"\nNot recorded in the audit log: {result.not_recorded}"
        self.status_label.setText(text)
        self.location.set_file(result.path, opened=True)
        self.cancel_button.setText("Close")
        self.sig_created.emit(result)

    def _on_job_error(self, exc: BaseException) -> bool:
        self._state = None
        self._set_running(False)
        self.progress_bar.setVisible(False)
        if isinstance(exc, MlopsError):
            self.status_label.setText(f"Not written: {exc}")
            return True
        self.status_label.setText(f"Not written: internal error ({type(exc).__name__}).")
        if self.notifier is not None:
            self.notifier.show_error(exc)
            return True
        return False

    # -- closing ------------------------------------------------------------------------

