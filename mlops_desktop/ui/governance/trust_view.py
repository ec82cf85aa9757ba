"""Trust management: the signers on the trust list, and (for administrators) adding and
revoking signers or pinning the first administrator.

Every change is a statement signed with an administrator's key (typed passphrase or
MLOPS_DESKTOP_PASSPHRASE), made in a worker by :mod:`mlops_desktop.services.trust` (as
``mlops-desktop trust``); a refused change is explained in the dialog and nothing is written.
Signer certificates are checked against the organisation CA set in Settings.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import datetime, time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QItemSelection, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.services.session import KeyFile
from mlops_desktop.services.settings import VerificationSettings
from mlops_desktop.services.trust import (
    AddSignerRequest,
    SignerRow,
    TrustChange,
    TrustState,
    add_signer,
    load_trust_state,
    pin_admins,
    public_key_summary,
    revoke_signer,
)
from mlops_desktop.ui.common.delegates import StatusBadgeDelegate
from mlops_desktop.ui.common.dialogs import TaskDialog
from mlops_desktop.ui.common.keyfield import (
    LAST_ADMIN_KEY_SETTING,
    KeyFileField,
    passphrase_or_env,
    remember_path,
    remembered_path,
)
from mlops_desktop.ui.common.roles import ENTITY_ROLE, STATUS_ROLE
from mlops_desktop.ui.common.settings import verification_settings
from mlops_desktop.ui.common.status import status_text
from mlops_desktop.ui.common.widgets import Banner, field_label, make_table
from mlops_desktop.ui.common.workers import ErrorSink, TaskSlot
from mlops_desktop.ui.models.base import Column, EntityTableModel

if TYPE_CHECKING:
    from mlops_desktop.ui.common.settings import GuiSettings

logger = logging.getLogger(__name__)

ROLES = ("approver", "reviewer", "admin")
PUBLIC_KEY_FILTER = "Public keys (*.pub *.pem);;All files (*)"
CERTIFICATE_FILTER = "Certificates (*.pem *.crt *.cer *.der);;All files (*)"
EMPTY_TEXT = ("The trust list is empty. An administrator pins the first administrator key "
              "(Pin administrator…), then adds the people who approve.")


# ---------------------------------------------------------------------------- model


def _date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


class SignersModel(EntityTableModel[SignerRow]):
    columns = (
        Column("Identity", lambda s: s.identity or "unknown"),
        Column("Key id", lambda s: s.key_id[:16], tooltip=lambda s: s.key_id),
        Column("Roles", lambda s: ", ".join(s.roles) + (" (pinned)" if s.pinned else "")),
        Column("Valid from", lambda s: _date(s.valid_from)),
        Column("Valid until", lambda s: _date(s.valid_until) or "no end"),
        Column("Revoked", lambda s: _date(s.revoked_at) or "no"),
        Column("Status", lambda s: status_text(s.status)),
    )

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == STATUS_ROLE and index.isValid() and index.row() < len(self.rows):
            return self.rows[index.row()].status if index.column() == len(self.columns) - 1 else None
        return super().data(index, role)


# ---------------------------------------------------------------------------- change dialogs


class _AdminChangeDialog(TaskDialog):
    """Shared parts of the add / revoke / pin dialogs: admin key, passphrase, status, worker."""

    sig_done = Signal(object)
    needs_admin = True

    def __init__(self, title: str, governance_url: str | None, gui_settings: GuiSettings | None,
                 notifier: ErrorSink | None, parent: QWidget | None,
                 verification: VerificationSettings | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.governance_url = governance_url
        self.gui_settings = gui_settings
        #: What a signer's certificate is checked with (Settings' organisation CA).
        self.verification = verification if verification is not None else verification_settings(gui_settings)
        self.notifier = notifier
        self.result_value: Any = None
        self.slot = TaskSlot("trust-change", None, self)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.admin_key_field = KeyFileField("Administrator key file")
        self.admin_key_field.set_path(remembered_path(gui_settings, LAST_ADMIN_KEY_SETTING))
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_edit.setAccessibleName("Passphrase of the administrator key")
        self.passphrase_edit.setPlaceholderText("passphrase of the administrator key")
        self.banner = Banner(name="trustChangeStatus")
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton("Sign", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setAutoDefault(False)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.close_button.setAutoDefault(False)
        self.ok_button.clicked.connect(self.submit)
        self.close_button.clicked.connect(self.reject)
        self.passphrase_edit.returnPressed.connect(self.submit)

    def finish_layout(self, intro: str) -> None:
        if self.needs_admin:
            self.form.addRow("&Administrator key:", self.admin_key_field)
            self.form.addRow("&Passphrase:", self.passphrase_edit)
        layout = QVBoxLayout(self)
        label = QLabel(intro)
        label.setWordWrap(True)
        layout.addWidget(label)
        layout.addLayout(self.form)
        layout.addStretch(1)
        layout.addWidget(self.banner)
        layout.addWidget(self.buttons)
        self.banner.setVisible(False)

    def is_running(self) -> bool:
        return self.slot.is_running()

    def validate(self) -> str | None:
        return None

    def job(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        """The service function and its arguments (``progress`` / ``is_cancelled`` are added)."""
        raise NotImplementedError

    def unlock(self) -> KeyFile:
        """The administrator key with the passphrase typed (unlocked by the service, in the worker)."""
        return KeyFile(self.admin_key_field.path(), self.passphrase, "administrator key")

    def submit(self) -> bool:
        if self.slot.is_running() or self.result_value is not None:
            return False
        problem = self.validate()
        passphrase = ""
        if problem is None and self.needs_admin:
            if not self.admin_key_field.path():
                problem = "Choose the administrator key file."
            else:
                try:
                    passphrase = passphrase_or_env(self.passphrase_edit.text())
                except MlopsError as exc:
                    problem = exc.message
        if problem is not None:
            self.banner.show_message("error", html.escape(problem))
            return False
        self.passphrase = passphrase
        fn, args = self.job()
        self.passphrase = ""
        self.passphrase_edit.clear()
        self.ok_button.setEnabled(False)
        self.banner.show_message("info", "Signing…")
        self.slot.start(fn, *args, label=self.windowTitle(), on_done=self._on_done, on_error=self._on_error)
        return True

    def _on_done(self, value: Any) -> None:
        self.result_value = value
        if self.needs_admin:
            remember_path(self.gui_settings, LAST_ADMIN_KEY_SETTING, self.admin_key_field.path())
        self.banner.show_message("ok", self.done_text(value))
        self.close_button.setText("Close")
        self.sig_done.emit(value)

    def done_text(self, value: Any) -> str:
        return "Done."

    def _on_error(self, exc: BaseException) -> bool:
        self.ok_button.setEnabled(True)
        if isinstance(exc, MlopsError):
            hint = f" {exc.hint}" if exc.hint else ""
            self.banner.show_message("error", f"<b>Not changed:</b> {html.escape(exc.message)}{html.escape(hint)}"
                                              "<br>Nothing was written.")
            return True
        self.banner.show_message("error", f"Not changed: internal error ({type(exc).__name__}).")
        if self.notifier is not None:
            self.notifier.show_error(exc)
            return True
        return False



class AddSignerDialog(_AdminChangeDialog):
    """An administrator adds a signer: public key, identity, roles, validity, and optionally the
    signer's X.509 certificate (checked against the organisation CA set in Settings)."""

    def __init__(self, governance_url: str | None = None, *, gui_settings: GuiSettings | None = None,
                 notifier: ErrorSink | None = None, verification: VerificationSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("Add signer", governance_url, gui_settings, notifier, parent, verification)
        self.setObjectName("AddSignerDialog")
        self.resize(620, 400)
        self.public_key_field = KeyFileField("Signer public key", "KEYFILE.pub written by 'keys create'",
                                             PUBLIC_KEY_FILTER)
        self.fingerprint_label = field_label(name="fingerprintLabel")
        self.identity_edit = QLineEdit()
        self.identity_edit.setAccessibleName("Identity")
        self.identity_edit.setPlaceholderText("e-mail address of the signer")
        self.role_checks: dict[str, QCheckBox] = {}
        roles_row = QHBoxLayout()
        for role in ROLES:
            check = QCheckBox(role)
            check.setAccessibleName(f"Role {role}")
            check.setChecked(role == "approver")
            self.role_checks[role] = check
            roles_row.addWidget(check)
        roles_row.addStretch(1)
        self.no_end_check = QCheckBox("No end date")
        self.no_end_check.setChecked(True)
        self.until_edit = QDateEdit(QDate.currentDate().addYears(1))
        self.until_edit.setCalendarPopup(True)
        self.until_edit.setDisplayFormat("yyyy-MM-dd")
        self.until_edit.setAccessibleName("Valid until")
        self.until_edit.setEnabled(False)
        self.no_end_check.toggled.connect(lambda on: self.until_edit.setEnabled(not on))
        until_row = QHBoxLayout()
        until_row.addWidget(self.until_edit)
        until_row.addWidget(self.no_end_check)
        until_row.addStretch(1)
        self.form.addRow("Signer &public key:", self.public_key_field)
        self.form.addRow("Fingerprint:", self.fingerprint_label)
        self.form.addRow("&Identity:", self.identity_edit)
        self.form.addRow("Roles:", roles_row)
        until_label = QLabel("Valid &until:")
        until_label.setBuddy(self.until_edit)
        self.form.addRow(until_label, until_row)
        self.certificate_field = KeyFileField("Signer certificate", "optional: X.509 certificate issued by the "
                                              "organisation CA", CERTIFICATE_FILTER)
        self.form.addRow("&Certificate:", self.certificate_field)
        self.public_key_field.sig_changed.connect(self._on_public_key_changed)
        self.finish_layout("The signer's key is added to the trust list by a statement signed with your "
                           "administrator key. Signatures made with it count from now on.")
        self.ok_button.setText("Sign and add")

    def _on_public_key_changed(self, path: str) -> None:
        summary = public_key_summary(path)
        self.fingerprint_label.setText(summary.key_id or summary.message)
        if summary.email and not self.identity_edit.text().strip():
            self.identity_edit.setText(summary.email)

    def roles(self) -> list[str]:
        return [r for r, c in self.role_checks.items() if c.isChecked()]

    def valid_until(self) -> datetime | None:
        if self.no_end_check.isChecked():
            return None
        d = self.until_edit.date()
        return datetime.combine(datetime(d.year(), d.month(), d.day()).date(), time(23, 59, 59)).astimezone()

    def validate(self) -> str | None:
        if not self.public_key_field.path():
            return "Choose the signer's public key file."
        if not self.identity_edit.text().strip():
            return "Give the signer's identity (e-mail)."
        if not self.roles():
            return "Tick at least one role."
        return None

    def job(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        request = AddSignerRequest(self.governance_url, self.public_key_field.path(), self.identity_edit.text().strip(),
                                   tuple(self.roles()), valid_until=self.valid_until(),
                                   certificate=self.certificate_field.path(), settings=self.verification)
        return partial(add_signer, create=False), (request, self.unlock().unlock)

    def done_text(self, value: TrustChange) -> str:
        return (f"<b>Added</b> {html.escape(self.identity_edit.text().strip())} (key "
                f"<code>{html.escape(value.key_id[:16])}</code>) at audit-log entry {value.log_seq}.")


class RevokeSignerDialog(_AdminChangeDialog):
    """An administrator revokes a signer from now on (earlier decisions keep their validity)."""

    def __init__(self, signer: SignerRow, governance_url: str | None = None, *,
                 gui_settings: GuiSettings | None = None, notifier: ErrorSink | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("Revoke signer", governance_url, gui_settings, notifier, parent)
        self.setObjectName("RevokeSignerDialog")
        self.resize(620, 300)
        self.signer = signer
        who = field_label(f"<b>{html.escape(signer.identity or 'unknown')}</b><br>key "
                          f"<code>{html.escape(signer.key_id)}</code>")
        self.reason_edit = QLineEdit()
        self.reason_edit.setAccessibleName("Reason")
        self.reason_edit.setPlaceholderText("why (recorded in the signed statement)")
        self.form.addRow("Signer:", who)
        self.form.addRow("&Reason:", self.reason_edit)
        self.finish_layout("From now on, signatures made with this key no longer count. "
                           "Decisions it signed before stay valid.")
        self.ok_button.setText("Sign and revoke")

    def job(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return partial(revoke_signer, create=False), (self.governance_url, self.signer.key_id,
                                                      self.reason_edit.text().strip(), self.unlock().unlock)

    def done_text(self, value: TrustChange) -> str:
        return (f"<b>Revoked</b> key <code>{html.escape(value.key_id[:16])}</code> at audit-log entry "
                f"{value.log_seq}.")


class PinAdminDialog(_AdminChangeDialog):
    """``trust init``: pin the first administrator (the root of trust), the pin signed by the
    administrator's own key; the pinned key becomes a trust anchor of this client."""

    def __init__(self, governance_url: str | None = None, *, gui_settings: GuiSettings | None = None,
                 notifier: ErrorSink | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Pin administrator", governance_url, gui_settings, notifier, parent)
        self.setObjectName("PinAdminDialog")
        self.resize(600, 280)
        #: the administrator's key file (KEYFILE, or KEYFILE.pub with KEYFILE next to it)
        self.public_key_field = self.admin_key_field
        self.fingerprint_label = field_label(name="fingerprintLabel")
        self.admin_key_field.sig_changed.connect(self._on_public_key_changed)
        self.finish_layout("The trust list starts with one pinned administrator. The pin is signed by the "
                           "administrator's own key, can be made once per governance store, and makes that key a "
                           "trust anchor of this computer; compare the fingerprint with the administrator's.")
        self.form.addRow("Fingerprint:", self.fingerprint_label)
        self.ok_button.setText("Pin")
        self._on_public_key_changed(self.admin_key_field.path())

    def _on_public_key_changed(self, path: str) -> None:
        pub = path if not path or path.endswith(".pub") else f"{path}.pub"
        summary = public_key_summary(pub)
        self.fingerprint_label.setText(" — ".join(x for x in (summary.identity, summary.key_id) if x)
                                       if summary.key_id else summary.message)

    def validate(self) -> str | None:
        return None if self.admin_key_field.path() else "Choose the administrator's key file."

    def job(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        key = self.unlock()

        def unlock_file(path: Path) -> Any:
            return KeyFile(str(path), key.passphrase, key.what).unlock()

        return pin_admins, (self.governance_url, [self.admin_key_field.path()], unlock_file)

    def done_text(self, value: list[str]) -> str:
        return ("<b>Pinned</b> administrator " + ", ".join(f"<code>{html.escape(k)}</code>" for k in value)
                + " (self-signed; now a trust anchor of this computer).")


# ---------------------------------------------------------------------------- view


class TrustView(QWidget):
    """The signers on the trust list, with add / revoke / pin for administrators."""

    sig_changed = Signal()
    sig_loaded = Signal(object)  # TrustState

    def __init__(self, *, governance_url: str | None = None, notifier: ErrorSink | None = None,
                 gui_settings: GuiSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TrustView")
        self.setAccessibleName("Trust list")
        self.governance_url = governance_url
        self.notifier = notifier
        self.gui_settings = gui_settings
        self.state: TrustState | None = None
        self.dialog: _AdminChangeDialog | None = None
        self._stale = True
        self.slot = TaskSlot("trust", None, self)
        #: What signer certificates are checked with (Settings' organisation CA), read at each load.
        self.settings_source: Callable[[], VerificationSettings] = lambda: verification_settings(self.gui_settings)

        self.banner = Banner(name="trustBanner")
        self.banner.show_message("info", "Reading the trust list…")
        self.model = SignersModel(parent=self)
        self.table = make_table(self.model)
        self.table.setObjectName("signersTable")
        self.table.setAccessibleName("Signers")
        self.table.setItemDelegateForColumn(len(SignersModel.columns) - 1, StatusBadgeDelegate(self.table))
        for col, width in enumerate((200, 140, 140, 96, 96, 96)):
            self.table.setColumnWidth(col, width)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setObjectName("trustEmpty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.table)

        self.add_button = QPushButton("&Add signer…")
        self.add_button.setObjectName("addSignerButton")
        self.revoke_button = QPushButton("&Revoke signer…")
        self.revoke_button.setObjectName("revokeSignerButton")
        self.pin_button = QPushButton("&Pin administrator…")
        self.pin_button.setObjectName("pinAdminButton")
        self.refresh_button = QPushButton("Re&load")
        self.add_button.clicked.connect(self.show_add_dialog)
        self.revoke_button.clicked.connect(self.show_revoke_dialog)
        self.pin_button.clicked.connect(self.show_pin_dialog)
        self.refresh_button.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.revoke_button)
        buttons.addWidget(self.pin_button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    # -- data -------------------------------------------------------------------------------------

    def refresh(self) -> None:
        self._stale = False
        self.slot.start(load_trust_state, self.governance_url, self.settings_source(), label="Reading the trust list",
                        on_done=self._on_loaded, on_error=self._on_load_error)

    def is_running(self) -> bool:
        return self.slot.is_running()

    def _on_loaded(self, state: TrustState) -> None:
        self.state = state
        self.model.set_rows(state.signers)
        self.stack.setCurrentIndex(1 if state.signers else 0)
        n = len(state.signers)
        lines = [f"{n} signer{'s' if n != 1 else ''} on the trust list of {html.escape(state.url)}." if n
                 else f"The trust list of {html.escape(state.url)} is empty."]
        kind = "ok" if state.initialised else "warning"
        for problem in state.problems:
            kind = "error"
            lines.append(html.escape(problem))
        if state.read_only_reason:
            lines.append(html.escape(state.read_only_reason))
        self.banner.show_message(kind, "<br>".join(lines))
        if self.model.rowCount():
            self.table.selectRow(0)
        self._update_buttons()
        self.sig_loaded.emit(state)

    def _on_load_error(self, exc: BaseException) -> bool:
        if isinstance(exc, MlopsError):
            self.banner.show_message("error", f"<b>Cannot read the trust list:</b> {html.escape(exc.message)}")
            return True
        self.banner.show_message("error", f"Cannot read the trust list: internal error ({type(exc).__name__}).")
        if self.notifier is not None:
            self.notifier.show_error(exc)
            return True
        return False

    def selected_signer(self) -> SignerRow | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(ENTITY_ROLE) if rows else None

    def signer(self, identity: str) -> SignerRow | None:
        return next((s for s in self.model.rows if s.identity == identity), None)

    def select_signer(self, key_id: str) -> bool:
        for row, s in enumerate(self.model.rows):
            if s.key_id == key_id:
                self.table.selectRow(row)
                return True
        return False

    def _update_buttons(self) -> None:
        state = self.state
        writable = state is not None and not state.read_only_reason
        initialised = state is not None and state.initialised
        self.add_button.setEnabled(writable and initialised)
        selected = self.selected_signer()
        self.revoke_button.setEnabled(writable and selected is not None and selected.revoked_at is None)
        self.pin_button.setVisible(state is not None and not initialised)
        self.pin_button.setEnabled(writable)

    def _on_table_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_buttons()

    # -- dialogs ------------------------------------------------------------------------------------

    def _open(self, dialog: _AdminChangeDialog) -> _AdminChangeDialog:
        dialog.sig_done.connect(self._on_dialog_done)
        self.dialog = dialog
        dialog.open()
        return dialog

    def show_add_dialog(self) -> _AdminChangeDialog:
        return self._open(AddSignerDialog(self.governance_url, gui_settings=self.gui_settings,
                                          notifier=self.notifier, verification=self.settings_source(), parent=self))

    def show_revoke_dialog(self) -> _AdminChangeDialog | None:
        signer = self.selected_signer()
        if signer is None:
            return None
        return self._open(RevokeSignerDialog(signer, self.governance_url, gui_settings=self.gui_settings,
                                             notifier=self.notifier, parent=self))

    def show_pin_dialog(self) -> _AdminChangeDialog:
        return self._open(PinAdminDialog(self.governance_url, gui_settings=self.gui_settings,
                                         notifier=self.notifier, parent=self))

    def _on_dialog_done(self, _value: Any) -> None:
        self.sig_changed.emit()
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._stale and not self.slot.is_running():
            self.refresh()

    def shutdown(self) -> None:
        if self.dialog is not None:
            try:
                self.dialog.shutdown()
            except RuntimeError:
                pass
        self.slot.shutdown()


class TrustDialog(QDialog):
    """The trust list in a window (Governance > Trust list…, or from the Approvals page)."""

    def __init__(self, *, governance_url: str | None = None, notifier: ErrorSink | None = None,
                 gui_settings: GuiSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TrustDialog")
        self.setAccessibleName("Trust list")
        self.setWindowTitle("Trust list")
        self.resize(900, 460)
        self.view = TrustView(governance_url=governance_url, notifier=notifier, gui_settings=gui_settings)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)

    def shutdown(self) -> None:
        self.view.shutdown()

    def reject(self) -> None:
        self.shutdown()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)
