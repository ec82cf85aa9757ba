"""Edit > Signing keys…: the keys this client created or imported, their full fingerprints,
and Create / Import PKCS#12 / Export public key, as ``keys create|import-pkcs12|export-public``.

The work is :mod:`mlops_desktop.services.keys`; creating and importing run in a worker
(scrypt takes about a second).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.errors import MlopsError, UsageError
from mlops_desktop.services.keys import (
    CreateKeyRequest,
    ImportPkcs12Request,
    KeyInfo,
    OwnKey,
    create_signing_key,
    default_key_path,
    import_signing_key,
    own_keys,
    write_public_key,
)
from mlops_desktop.ui.common.dialogs import TaskDialog
from mlops_desktop.ui.common.keyfield import KeyFileField
from mlops_desktop.ui.common.settings import GuiSettings
from mlops_desktop.ui.common.widgets import Banner
from mlops_desktop.ui.common.workers import TaskSlot
from mlops_desktop.ui.keys.widgets import FingerprintField, PassphrasePair

logger = logging.getLogger(__name__)

P12_FILTER = "PKCS#12 files (*.p12 *.pfx);;All files (*)"


def _message(exc: MlopsError) -> str:
    return f"{exc.message} {exc.hint}".strip() if exc.hint else exc.message


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _NewKeyDialog(TaskDialog):
    """What creating and importing share: where to save, the new passphrase, a worker, a banner."""

    sig_key_written = Signal(object)  # KeyInfo

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.slot = TaskSlot("keys", None, self)
        self.key_info: KeyInfo | None = None
        self.out_edit = QLineEdit()
        self.out_edit.setAccessibleName("Save the key file as")
        self.out_browse = QPushButton("Browse…")
        self.out_browse.setAccessibleName("Browse for where to save the key file")
        self.out_browse.clicked.connect(self._on_out_browse_clicked)
        self.out_row = QHBoxLayout()
        self.out_row.addWidget(self.out_edit, 1)
        self.out_row.addWidget(self.out_browse)
        self.out_label = QLabel("&Save as:")
        self.out_label.setBuddy(self.out_edit)
        self.passphrases = PassphrasePair(self.known_words, self)
        self.banner = Banner(name="keyBanner")
        self.banner.setVisible(False)
        self.buttons = QDialogButtonBox()
        self.run_button = self.buttons.addButton("Create", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.run_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self.reject)
        self.passphrases.sig_changed.connect(self._update_button)

    def _lay_out(self, intro_text: str, rows: list[tuple[str, QWidget]]) -> None:
        """The dialog's layout: an introduction, the form (``rows``, then where the key file goes and
        its new passphrase), the banner and the buttons."""
        intro = QLabel(intro_text)
        intro.setWordWrap(True)
        form = QFormLayout()
        for label, widget in rows:
            form.addRow(label, widget)
        form.addRow(self.out_label, self.out_row)
        self.passphrases.add_to(form)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.banner)
        layout.addWidget(self.buttons)
        self.resize(640, 420)
        self._update_button()

    def known_words(self) -> list[str]:
        return []

    def shutdown(self, timeout: float = 10.0) -> bool:
        judged = self.passphrases.shutdown(timeout)
        return super().shutdown(timeout) and judged

    def _update_button(self) -> None:
        self.run_button.setEnabled(not self.slot.is_running() and self.key_info is None
                                   and self.passphrases.is_acceptable())

    def _on_out_browse_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the key file as", self.out_edit.text(),
                                              "Key files (*.key);;All files (*)")
        if path:
            self.out_edit.setText(path)

    def show_problem(self, text: str) -> None:
        self.banner.show_message("error", _esc(text), text)

    def request(self) -> object:  # pragma: no cover - each dialog says what it runs
        raise NotImplementedError

    def work(self, request: object) -> KeyInfo:  # pragma: no cover
        raise NotImplementedError

    def start(self) -> bool:
        """Check the fields, then write the key in the worker. False when something is missing."""
        problem = self.passphrases.problem()
        if problem:
            self.show_problem(problem)
            return False
        try:
            request = self.request()
        except MlopsError as exc:
            self.show_problem(_message(exc))
            return False
        self.banner.show_message("info", "Deriving the encryption key (scrypt) and writing the key file…")
        self.run_button.setEnabled(False)

        work = self.work

        def run(req: object, progress: object = None, is_cancelled: object = None) -> KeyInfo:  # noqa: ARG001
            return work(req)

        self.slot.start(run, request, label=self.windowTitle(), on_done=self._on_done, on_error=self._on_error)
        return True

    def _on_done(self, info: KeyInfo) -> None:
        self.key_info = info
        self.banner.show_message(
            "ok", f"Written: <b>{_esc(info.path)}</b> and its public key <b>{_esc(info.public_path)}</b>.<br>"
                  f"Fingerprint (key id): <code>{info.key_id}</code><br>Give the public key file to your "
                  "administrator; they compare this fingerprint before adding you to the trust list.")
        self.close_button.setText("Close")
        self._update_button()
        self.sig_key_written.emit(info)

    def _on_error(self, exc: BaseException) -> bool:
        self._update_button()
        if isinstance(exc, MlopsError):
            self.show_problem(_message(exc))
            return True
        self.show_problem(f"The key was not written: internal error ({type(exc).__name__}).")
        sys.excepthook(type(exc), exc, exc.__traceback__)  # a bug: the crash dialog, with its report
        return True


class CreateKeyDialog(_NewKeyDialog):
    """``keys create --out PATH --name NAME --email EMAIL``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Create a signing key", parent)
        self.setObjectName("CreateKeyDialog")
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName("Your name")
        self.name_edit.setPlaceholderText("Dana Officer")
        self.email_edit = QLineEdit()
        self.email_edit.setAccessibleName("Your e-mail")
        self.email_edit.setPlaceholderText("dana@example.org")
        self._out_touched = False
        self.out_edit.setText(default_key_path(""))
        self.out_edit.textEdited.connect(self._on_out_edited)
        for edit in (self.name_edit, self.email_edit):
            edit.textChanged.connect(self._on_identity_changed)
        self._lay_out("An ECDSA P-256 key for signing approvals, snapshots and reports. The private key "
                      "stays in this file, encrypted with your passphrase; the <code>.pub</code> file next "
                      "to it is what you hand out.",
                      [("&Name:", self.name_edit), ("&E-mail:", self.email_edit)])

    def known_words(self) -> list[str]:
        edits = [getattr(self, "name_edit", None), getattr(self, "email_edit", None)]  # None while built
        return [e.text().strip() for e in edits if e is not None and e.text().strip()]

    def _on_out_edited(self, _text: str) -> None:
        self._out_touched = True

    def _on_identity_changed(self) -> None:
        if not self._out_touched:
            self.out_edit.setText(default_key_path(self.name_edit.text(), self.email_edit.text()))
        self.passphrases.refresh()  # the name and e-mail are known words

    def request(self) -> CreateKeyRequest:
        return CreateKeyRequest(self.out_edit.text(), self.name_edit.text(), self.email_edit.text(),
                                self.passphrases.passphrase())

    def work(self, request: object) -> KeyInfo:
        assert isinstance(request, CreateKeyRequest)
        return create_signing_key(request)


class ImportPkcs12Dialog(_NewKeyDialog):
    """``keys import-pkcs12 P12FILE --out PATH``: the key and certificate become a key file of
    this client, encrypted with a new passphrase."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Import a PKCS#12 key", parent)
        self.setObjectName("ImportPkcs12Dialog")
        self.run_button.setText("Import")
        self.p12_field = KeyFileField("PKCS#12 file", "the .p12 / .pfx file your organisation issued", P12_FILTER)
        self.p12_passphrase = QLineEdit()
        self.p12_passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.p12_passphrase.setAccessibleName("Passphrase of the PKCS#12 file")
        self.p12_field.sig_changed.connect(self._on_p12_changed)
        self.out_edit.setText(default_key_path("imported"))
        self._out_touched = False
        self.out_edit.textEdited.connect(lambda _t: setattr(self, "_out_touched", True))
        self._lay_out("The key (ECDSA P-256) and its certificate are read from the bundle and saved as a "
                      "key file of this client, encrypted with a new passphrase of your choice.",
                      [("PKCS#12 &file:", self.p12_field), ("Its pass&phrase:", self.p12_passphrase)])

    def _on_p12_changed(self, text: str) -> None:
        if not self._out_touched and text.strip():
            self.out_edit.setText(default_key_path(Path(text.strip()).stem))

    def request(self) -> ImportPkcs12Request:
        if not self.p12_field.path():
            raise UsageError("Choose the PKCS#12 file to import.", "The .p12 or .pfx file your organisation issued.")
        return ImportPkcs12Request(self.p12_field.path(), self.p12_passphrase.text(), self.out_edit.text(),
                                   self.passphrases.passphrase())

    def work(self, request: object) -> KeyInfo:
        assert isinstance(request, ImportPkcs12Request)
        return import_signing_key(request)


class KeysDialog(QDialog):
    """The keys of this client's key index with their fingerprints; create, import, export."""

    def __init__(self, settings: GuiSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("KeysDialog")
        self.setWindowTitle("Signing keys")
        self.settings = settings
        self.keys: list[OwnKey] = []
        self.child_dialog: _NewKeyDialog | None = None
        self.table = QTableWidget(0, 3)
        self.table.setAccessibleName("Signing keys of this client")
        self.table.setHorizontalHeaderLabels(["Holder", "Fingerprint (key id)", "Key file"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        self.empty_label = QLabel("No key yet. Create one, or import the PKCS#12 file your organisation issued.")
        self.empty_label.setWordWrap(True)

        self.identity_label = QLabel()
        self.identity_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fingerprint = FingerprintField()
        self.path_label = QLabel()
        self.path_label.setWordWrap(True)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.public_label = QLabel()
        self.public_label.setWordWrap(True)
        self.public_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        details = QFormLayout()
        details.addRow("Holder:", self.identity_label)
        details.addRow("Fingerprint:", self.fingerprint)
        details.addRow("Key file:", self.path_label)
        details.addRow("Public key:", self.public_label)

        self.create_button = QPushButton("Create key…")
        self.create_button.clicked.connect(self.show_create_dialog)
        self.import_button = QPushButton("Import PKCS#12…")
        self.import_button.clicked.connect(self.show_import_dialog)
        self.export_button = QPushButton("Export public key…")
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.use_button = QPushButton("Sign with this key")
        self.use_button.setToolTip("Preselect this key in the Approve, Snapshot and Report dialogs "
                                   "(Settings > General > Signing key).")
        self.use_button.clicked.connect(self._on_use_button_clicked)
        actions = QHBoxLayout()
        for button in (self.create_button, self.import_button, self.export_button, self.use_button):
            actions.addWidget(button)
        actions.addStretch(1)
        self.banner = Banner(name="keysBanner")
        self.banner.setVisible(False)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        layout.addLayout(details)
        layout.addLayout(actions)
        layout.addWidget(self.banner)
        layout.addWidget(close)
        self.resize(900, 480)
        self.refresh()

    # -- the list ------------------------------------------------------------------------------

    def refresh(self, select: str | None = None) -> None:
        try:
            self.keys = own_keys()
        except MlopsError as exc:
            self.keys = []
            self.banner.show_message("error", _esc(_message(exc)))
        self.table.setRowCount(len(self.keys))
        for row, key in enumerate(self.keys):
            info = key.info
            cells = [info.identity or "(no identity)", info.key_id,
                     info.path if key.exists else f"{info.path} (missing)"]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, col, item)
        self.empty_label.setVisible(not self.keys)
        wanted = next((r for r, k in enumerate(self.keys) if k.fingerprint == select), len(self.keys) - 1)
        if self.keys:
            self.table.selectRow(wanted)
        self._on_table_selection_changed()

    def selected_key(self) -> OwnKey | None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        return self.keys[rows.pop()] if len(rows) == 1 else None

    def _on_table_selection_changed(self) -> None:
        key = self.selected_key()
        info = key.info if key else None
        self.identity_label.setText(info.identity or "(no identity)" if info else "")
        self.fingerprint.set_fingerprint(info.key_id if info else "")
        self.path_label.setText(info.path if info else "")
        self.public_label.setText(info.public_path if info else "")
        self.export_button.setEnabled(key is not None)
        self.use_button.setEnabled(key is not None and key.exists and self.settings is not None)
        if key is not None and self.settings is not None and self.settings.prefs.key_path == key.info.path:
            self.use_button.setText("Signs by default")
            self.use_button.setEnabled(False)
        else:
            self.use_button.setText("Sign with this key")

    # -- actions -------------------------------------------------------------------------------

    def _open_child(self, dialog: _NewKeyDialog) -> _NewKeyDialog:
        dialog.sig_key_written.connect(lambda info: self.refresh(info.key_id))
        # closed while writing: the key may still have been written (scrypt cannot stop half-way)
        dialog.finished.connect(self._on_child_finished)
        dialog.open()
        self.child_dialog = dialog
        return dialog

    def _on_child_finished(self, _code: int) -> None:
        selected = self.selected_key()
        self.refresh(selected.fingerprint if selected is not None else None)

    def show_create_dialog(self) -> CreateKeyDialog:
        dialog = CreateKeyDialog(self)
        self._open_child(dialog)
        return dialog

    def show_import_dialog(self) -> ImportPkcs12Dialog:
        dialog = ImportPkcs12Dialog(self)
        self._open_child(dialog)
        return dialog

    def _on_export_button_clicked(self) -> None:
        key = self.selected_key()
        if key is None:
            return
        start = str(Path.home() / Path(key.info.public_path).name)
        path, _ = QFileDialog.getSaveFileName(self, "Export the public key", start,
                                              "Public keys (*.pub *.pem);;All files (*)")
        if path:
            self.export_public_key(path)

    def export_public_key(self, out: str) -> Path | None:
        """Write the selected key's public key to ``out``; the banner says where, or why not."""
        key = self.selected_key()
        if key is None:
            self.banner.show_message("error", "Select a key first.")
            return None
        try:
            written = write_public_key(key.info.path, out)
        except MlopsError as exc:
            self.banner.show_message("error", _esc(f"Not exported: {_message(exc)}"))
            return None
        self.banner.show_message("ok", f"Public key written to <b>{_esc(str(written))}</b> "
                                       f"(fingerprint <code>{key.info.key_id}</code>).")
        return written

    def _on_use_button_clicked(self) -> None:
        key = self.selected_key()
        if key is not None and self.settings is not None:
            self.settings.remember_signing_key(key.info.path)
            self.banner.show_message("ok", _esc(f"Signing dialogs now start with {key.info.path}."))
            self._on_table_selection_changed()

    def done(self, code: int) -> None:  # noqa: D401 - Qt override
        if self.child_dialog is not None:
            self.child_dialog.shutdown()
        super().done(code)
