"""The governance pages of the main window: Approvals, Audit log, Trust and Approve / Reject.

:func:`install_governance_pages` is the one entry point the main window calls. It replaces
the "approvals" and "audit" placeholder pages, adds a Governance menu (Approve / Reject…
Ctrl+Shift+A, Trust list…, Verify approvals, Check audit log) and puts the approve action
into the version detail pane's context menu.

The pages and dialogs verify with ``GuiSettings.verification_settings`` (the organisation
CA and policy file set in Settings, the window's artifact roots): the same
:class:`~mlops_desktop.services.settings.VerificationSettings` ``mlops-desktop verify``
builds from ``--ca``, ``--policy`` and ``--artifact-root``; the work itself is in
:mod:`mlops_desktop.services`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QWidget,
)

from mlops_desktop.ui.governance.shared import APPROVE_SHORTCUT

if TYPE_CHECKING:
    from mlops_desktop.ui.common.host import PageHost

logger = logging.getLogger(__name__)



# ---------------------------------------------------------------------------- wiring


class GovernanceController(QObject):
    """Connects the governance pages and dialogs to the main window."""

    sig_decided = Signal(object)  # a decision was recorded here (its ApprovalRecord)

    def __init__(self, window: PageHost) -> None:
        super().__init__(window.window())
        from mlops_desktop.ui.governance.approvals_view import ApprovalsView
        from mlops_desktop.ui.governance.audit_view import AuditView

        self.window = window
        self.dialogs: list[QWidget] = []
        self._watched_settings_dialog: QWidget | None = None
        settings = window.gui_settings
        self.approvals_view = ApprovalsView(notifier=window.notifier, governance_url=window.governance_url,
                                            gui_settings=settings)
        self.audit_view = AuditView(notifier=window.notifier, governance_url=window.governance_url)
        self.approvals_view.url_source = self.audit_view.url_source = self.governance_url
        self.audit_view.settings_source = self.approvals_view.settings_source  # Settings' policy: witness quorum
        window.add_page("approvals", "Approvals", self.approvals_view, "approvals")
        window.add_page("audit", "Audit log", self.audit_view, "audit")
        window.progress.watch(self.approvals_view.slot)
        window.progress.watch(self.audit_view.slot)

        self.approve_action = QAction("&Approve / Reject…", window.window())
        self.approve_action.setObjectName("approveAction")
        self.approve_action.setShortcut(QKeySequence(APPROVE_SHORTCUT))
        self.approve_action.setStatusTip("Sign an approval or rejection of the selected model version")
        self.approve_action.triggered.connect(self.show_approval_dialog)
        window.addAction(self.approve_action)
        self.trust_action = QAction("&Trust list…", window.window())
        self.trust_action.setObjectName("trustAction")
        self.trust_action.triggered.connect(self.show_trust_dialog)
        self.verify_action = QAction("&Verify approvals", window.window())
        self.verify_action.triggered.connect(self._on_verify_action_triggered)
        self.audit_action = QAction("Check the audit &log", window.window())
        self.audit_action.triggered.connect(self._on_audit_action_triggered)
        self.forget_key_action = QAction("&Forget the unlocked key", window.window())
        self.forget_key_action.setObjectName("forgetKeyAction")
        self.forget_key_action.setStatusTip("Stop signing this window's registry observations with the key "
                                            "unlocked to sign a decision")
        self.forget_key_action.setEnabled(False)  # no key unlocked yet
        self.forget_key_action.triggered.connect(self.forget_signing_key)
        self._build_menu()

        self.approvals_view.sig_approve_requested.connect(self.show_approval_dialog)
        self.approvals_view.sig_trust_requested.connect(self.show_trust_dialog)
        self.approvals_view.sig_changed.connect(self.audit_view.mark_stale)
        self.audit_view.sig_changed.connect(self.approvals_view.mark_stale)

        models_view = window.models_view
        for widget in (models_view.detail, models_view.versions_table):
            widget.addAction(self.approve_action)
            if widget.contextMenuPolicy() == Qt.ContextMenuPolicy.DefaultContextMenu:
                widget.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        models_view.sig_version_selected.connect(self._on_version_selected)
        requested = getattr(models_view.detail, "sig_decision_requested", None)  # the Governance tab's buttons
        if requested is not None:
            requested.connect(self._on_decision_requested)
        window.sig_catalog_loaded.connect(self._on_window_catalog_loaded)
        from mlops_desktop.ui.governance.access_log import AccessLog

        # the access log writes to the window's governance store (never to an open snapshot's records)
        self.access_log = AccessLog(lambda: self.window.governance_url, self)
        window.sig_stores_changed.connect(self.access_log.stores_opened)
        window.sig_governance_changed.connect(self._on_governance_changed)
        # connected after the window's own slot, which opens the dialog
        window.settings_action.triggered.connect(self._on_settings_action_triggered)
        models_view.sig_version_selected.connect(self.access_log.version_viewed)
        window.sig_shutting_down.connect(self.shutdown)
        self._sync()

    def _build_menu(self) -> None:
        bar = self.window.menuBar()
        menu = bar.addMenu("&Governance")
        menu.setObjectName("governanceMenu")
        help_action = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
        if help_action is not None:
            bar.removeAction(menu.menuAction())
            bar.insertMenu(help_action, menu)
        menu.addAction(self.approve_action)
        menu.addAction(self.forget_key_action)
        menu.addSeparator()
        menu.addAction(self.verify_action)
        menu.addAction(self.audit_action)
        menu.addSeparator()
        menu.addAction(self.trust_action)
        self.menu = menu

    # -- state from the window -------------------------------------------------------

    def _alive(self, view: QWidget) -> bool:
        try:
            key = "approvals" if view is self.approvals_view else "audit"
            return self.window.page(key) is view
        except (RuntimeError, ValueError):
            return False

    def governance_url(self, verified_only: bool = False) -> str | None:
        """Where the governance records the pages show come from: the records an open snapshot
        carries (``snapshot:FILE``, read-only, as ``--governance snapshot:FILE``; its reading
        refuses a snapshot that is not verified against this client's anchors, and the pages say
        so), else the window's governance store. With ``verified_only`` an unverified snapshot's
        records are not named (for pages that would only report the refusal as an error)."""
        snapshot = self.snapshot_with_governance()
        if snapshot is None or (verified_only and not snapshot[1]):
            return self.window.governance_url
        return f"snapshot:{snapshot[0]}"

    def snapshot_with_governance(self) -> tuple[str, bool] | None:
        """(file, verified) of the first open snapshot that carries governance records, if any."""
        from mlops_desktop.sources.snapshot import SnapshotSource

        for source in getattr(self.window, "sources", None) or ():
            if isinstance(source, SnapshotSource):
                info = source.predicate.get("governance")
                if isinstance(info, dict) and info.get("tables"):
                    return str(source.path), source.status.ok
        return None

    def read_only_reason(self) -> str | None:
        """Why no decision can be signed here now (None: it can)."""
        snapshot = self.snapshot_with_governance()
        if snapshot is None:
            return None
        return ("A snapshot is open: the approvals and audit log shown are the read-only records it carries, "
                "verified against this client's trust anchors. Open the live stores to approve or reject.")

    def artifact_roots(self) -> dict[str, str]:
        roots = self.window.source_settings.get("artifact_roots") if self.window.source_settings else None
        return dict(roots) if isinstance(roots, dict) else {}

    def _sync(self) -> None:
        url = self.governance_url()
        if self._alive(self.approvals_view):
            if url != self.approvals_view.governance_url:
                self.approvals_view.set_governance_url(url)
            self.approvals_view.set_catalog(self.window.catalog, self.artifact_roots())
        if self._alive(self.audit_view) and url != self.audit_view.governance_url:
            self.audit_view.set_governance_url(url)
        self._update_decision_actions()

    def _update_decision_actions(self) -> None:
        """Approve / Reject only where a decision can be recorded: not on a snapshot's records."""
        reason = self.read_only_reason()
        self.approve_action.setEnabled(reason is None)
        self.approve_action.setToolTip(reason or "Sign an approval or rejection of the selected model version")
        if reason is not None:
            self.approve_action.setStatusTip(reason)
        if self._alive(self.approvals_view):
            self.approvals_view.set_read_only(reason)
        tab = getattr(getattr(self.window.models_view, "detail", None), "governance_tab", None)
        if tab is not None:  # the version page's Governance tab: its Approve / Reject buttons
            tab.set_read_only(reason)

    def _on_window_catalog_loaded(self, catalog: object) -> None:
        self._sync()
        self.access_log.catalog_loaded(catalog, list(self.window.store_urls))  # the registry journal

    def _on_governance_changed(self, url: object) -> None:
        """Settings switched the governance store: the pages forget the old store and read the new
        one (now if shown); the access log writes to the new one from now on."""
        new = str(url) if url else None
        shown = self.governance_url()  # an open snapshot's records stay shown
        if self._alive(self.approvals_view):
            self.approvals_view.artifact_roots = self.artifact_roots()
            self.approvals_view.set_governance_url(shown)
        if self._alive(self.audit_view):
            self.audit_view.set_governance_url(shown)
        from mlops_desktop.sources.base import redact

        self.window.statusBar().showMessage(
            f"Governance store: {redact(new) if new else 'the default governance.db'}", 8000)

    def _on_settings_action_triggered(self) -> None:
        dialog = self.window.settings_dialog
        if dialog is not None and dialog is not self._watched_settings_dialog:
            self._watched_settings_dialog = dialog
            dialog.accepted.connect(self._on_settings_accepted)

    def _on_settings_accepted(self) -> None:
        """A policy or CA file changed in Settings: the shown Approvals page verifies again with it
        (a hidden one does when shown)."""
        if self._alive(self.approvals_view) and self.approvals_view.needs_refresh():
            self.approvals_view.mark_stale()

    def _on_version_selected(self, version: object) -> None:
        if self.read_only_reason() is not None:
            return
        if version is None:
            self.approve_action.setStatusTip("Select a model version first")
        else:
            self.approve_action.setStatusTip(f"Sign an approval or rejection of {getattr(version, 'uri', '')}")

    def _on_verify_action_triggered(self) -> None:
        self.access_log.verification_run("approvals")
        self._sync()
        if self._alive(self.approvals_view):
            self.window.show_page("approvals")
            self.approvals_view.refresh()

    def _on_audit_action_triggered(self) -> None:
        self.access_log.verification_run("audit-log")
        self._sync()
        if self._alive(self.audit_view):
            self.window.show_page("audit")
            self.audit_view.refresh()

    # -- dialogs -----------------------------------------------------------------------

    def target_version(self) -> Any:
        """The version to decide on: the selected approval's on the Approvals page, else the
        version selected on the Models page."""
        catalog = self.window.catalog
        if self.window.current_page_key() == "approvals" and self._alive(self.approvals_view):
            record = self.approvals_view.selected_record()
            if record is not None:
                mv = catalog.find_version(record.model_name, record.version)
                if mv is not None and not mv.deleted:
                    return mv
        models_view = self.window.models_view
        return models_view.selected_version() if models_view is not None else None

    def show_approval_dialog(self) -> QWidget | None:
        from mlops_desktop.ui.governance.approval_dialog import ApprovalDialog

        reason = self.read_only_reason()
        if reason is not None:
            self.window.statusBar().showMessage(reason, 10000)
            return None
        version = self.target_version()
        if version is None:
            self.window.statusBar().showMessage(
                "Select a model version (Models page) first, then press Ctrl+Shift+A.", 8000)
            if self.window.store_urls:
                self.window.show_page("models")
            return None
        self._sync()
        dialog = ApprovalDialog(
            version, self.window.catalog, governance_url=self.window.governance_url,
            artifact_roots=self.artifact_roots(), notifier=self.window.notifier,
            gui_settings=self.window.gui_settings, parent=self.window.window(),
        )
        dialog.sig_decided.connect(self._on_dialog_decided)
        dialog.sig_key_unlocked.connect(self._on_key_unlocked)
        self._open(dialog)
        return dialog

    def _on_decision_requested(self, _version: object, target: str, decision: str) -> None:
        """Approve… / Reject… on the version's Governance tab: the dialog for that target."""
        dialog = self.show_approval_dialog()
        if dialog is not None:
            if target:
                dialog._target_touched = True  # type: ignore[attr-defined]
                dialog.target_combo.setCurrentText(target)  # type: ignore[attr-defined]
            if decision == "REJECTED":
                dialog.reject_radio.setChecked(True)  # type: ignore[attr-defined]

    def show_trust_dialog(self) -> QWidget:
        from mlops_desktop.ui.governance.trust_view import TrustDialog

        dialog = TrustDialog(governance_url=self.window.governance_url, notifier=self.window.notifier,
                             gui_settings=self.window.gui_settings, parent=self.window.window())
        dialog.view.sig_changed.connect(self._on_trust_changed)
        self._open(dialog)
        return dialog

    def _open(self, dialog: Any) -> None:
        self.dialogs = [d for d in self.dialogs if _visible(d)]
        self.dialogs.append(dialog)
        self.last_dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        dialog.open()

    def _on_dialog_decided(self, record: Any) -> None:
        self.sig_decided.emit(record)
        if self._alive(self.approvals_view):
            self.approvals_view.refresh(select_id=record.id)
        if self._alive(self.audit_view):
            self.audit_view.mark_stale()
        self.window.statusBar().showMessage(
            f"{'Approval' if record.decision == 'APPROVED' else 'Rejection'} of {record.model_name} version "
            f"{record.version} for "
            f"{record.target} recorded at audit-log entry {record.log_seq}.", 10000)

    def _on_key_unlocked(self, key: Any) -> None:
        """The officer unlocked a key to sign a decision: the window's observations of the
        registries are signed with it until the window closes."""
        self.access_log.keep_signing_key(key)
        self.forget_key_action.setEnabled(True)
        bar = self.window.statusBar()
        note = (f"Registry observations in this window are now signed with key {str(key.key_id)[:16]} "
                "until it closes (Governance > Forget the unlocked key).")
        current = bar.currentMessage()
        bar.showMessage(f"{current} {note}" if current else note, 15000)

    def forget_signing_key(self) -> None:
        """Observations from now on are unsigned again (the key is dropped from memory)."""
        self.access_log.keep_signing_key(None)
        self.forget_key_action.setEnabled(False)
        self.window.statusBar().showMessage("Unlocked key forgotten: registry observations are recorded "
                                            "unsigned.", 10000)

    def _on_trust_changed(self) -> None:
        if self._alive(self.approvals_view):
            self.approvals_view.mark_stale()
        if self._alive(self.audit_view):
            self.audit_view.mark_stale()

    def shutdown(self) -> None:
        for dialog in self.dialogs:
            stop = getattr(dialog, "shutdown", None)
            if callable(stop):
                stop()
            if _visible(dialog):
                dialog.close()
        self.dialogs.clear()
        self.access_log.shutdown()
        for view in (self.approvals_view, self.audit_view):
            try:
                view.shutdown()
            except RuntimeError:  # the page was replaced and deleted
                pass


def _visible(widget: QWidget) -> bool:
    try:
        return widget.isVisible()
    except RuntimeError:
        return False


def install_governance_pages(window: PageHost) -> GovernanceController:
    """Add the Approvals and Audit log pages, the Governance menu and the Approve / Reject…
    action (Ctrl+Shift+A) to ``window``. The controller is returned (and ``window.governance``)."""
    controller = GovernanceController(window)
    window.governance = controller  # type: ignore[attr-defined]
    return controller

