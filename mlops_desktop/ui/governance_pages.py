"""The governance pages of the main window: Approvals, Audit log, Trust and Approve / Reject.

:func:`install_governance_pages` is the one entry point the main window calls. It replaces
the "approvals" and "audit" placeholder pages, adds a Governance menu (Approve / Reject…
Ctrl+Shift+A, Trust list…, Verify approvals, Check audit log) and puts the approve action
into the version detail pane's context menu.

This module also holds what the governance widgets share: :func:`gov_session` (one
governance store opened per worker task, so a file replaced on disk is read afresh),
:class:`Banner`, :class:`KeyFileField`, the verification-status colours and
:class:`StatusBadgeDelegate`.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QTextDocumentFragment,
)
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from mlops_desktop.ui import theme
from mlops_desktop.ui.delegates import draw_item_background

if TYPE_CHECKING:
    from mlops_desktop.governance.db import Governance
    from mlops_desktop.governance.policy import Policy
    from mlops_desktop.ui.main_window import MainWindow
    from mlops_desktop.ui.settings import GuiSettings

logger = logging.getLogger(__name__)

APPROVE_SHORTCUT = "Ctrl+Shift+A"
STATUS_ROLE = Qt.ItemDataRole.UserRole + 20  #: a verification status string (governance_facts STATUS_*)
LAST_KEY_SETTING = "last_key_path"
LAST_ADMIN_KEY_SETTING = "last_admin_key_path"
KEY_FILE_FILTER = "Key files (*.key *.pem *.p12 *.pfx);;All files (*)"

#: Words shown for each verification status (governance_facts STATUS_* values).
STATUS_TEXT = {
    "valid": "Valid",
    "invalid": "Invalid",
    "untrusted": "Untrusted signer",
    "revoked": "Revoked signer",
    "expired": "Expired",
    "evidence_changed": "Evidence changed",
}
_STATUS_LIGHT = {
    "valid": "#15803d", "invalid": "#b91c1c", "untrusted": "#c2410c", "revoked": "#7e22ce",
    "expired": "#4b5563", "evidence_changed": "#a16207",
}
_STATUS_DARK = {
    "valid": "#4ade80", "invalid": "#f87171", "untrusted": "#fb923c", "revoked": "#c084fc",
    "expired": "#9ca3af", "evidence_changed": "#facc15",
}
#: Banner kinds: (background, text) per theme.
_BANNER_LIGHT = {"ok": ("#dcfce7", "#14532d"), "error": ("#fee2e2", "#7f1d1d"),
                 "warning": ("#fef3c7", "#78350f"), "info": ("#e0f2fe", "#0c4a6e")}
_BANNER_DARK = {"ok": ("#14351f", "#bbf7d0"), "error": ("#4c1515", "#fecaca"),
                "warning": ("#42300c", "#fde68a"), "info": ("#0c2f45", "#bae6fd")}


def is_dark() -> bool:
    """Whether the application palette is dark (read from the palette itself, so it is right
    while the palette-change events of a theme switch are delivered)."""
    return QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def status_text(status: str) -> str:
    return STATUS_TEXT.get(status, status.replace("_", " ").capitalize())


def status_color(status: str) -> QColor:
    table = _STATUS_DARK if is_dark() else _STATUS_LIGHT
    return QColor(table.get(status, table["expired"]))


def ok_color(ok: bool) -> QColor:
    return status_color("valid" if ok else "invalid")


def monospace_font() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)


@contextmanager
def gov_session(url: str | None, *, create: bool = True) -> Iterator[Governance]:
    """Open the governance store for one task and close it afterwards (call in a worker)."""
    from mlops_desktop.governance.db import open_governance

    gov = open_governance(url, create=create)
    try:
        yield gov
    finally:
        gov.close()


def passphrase_or_env(typed: str) -> str:
    """The typed passphrase, else MLOPS_DESKTOP_PASSPHRASE (automation), else a clear error."""
    import os

    from mlops_desktop.core.errors import UsageError
    from mlops_desktop.governance.keys import PASSPHRASE_ENV

    if typed:
        return typed
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        return env
    raise UsageError("Type the passphrase of your key.", f"Or set {PASSPHRASE_ENV} for automation.")


# ---------------------------------------------------------------------------- policy in force

POLICY_SETTING_HINT = "Fix the file, or clear Settings > General > Promotion policy to use the built-in policy."


@dataclass(frozen=True)
class PolicyInForce:
    """The promotion policy the GUI decides and verifies with, or why there is none.

    ``path`` is the policy file set in Settings ("" = the built-in policy). When that file
    cannot be used, ``policy`` is None and ``error`` says why: the built-in policy is never
    put in its place silently, so nothing is signed until the file is fixed or the setting
    cleared.
    """

    path: str
    policy: Policy | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.policy is not None

    def describe(self) -> str:
        """One line naming the policy in force (plain text)."""
        from mlops_desktop.governance.policy import DEFAULT_POLICY

        if self.policy is None:
            return f"No policy in force: the policy file {self.path} cannot be used."
        if self.path:
            return f"Policy in force: {self.policy.policy_id} from {self.path}."
        if self.policy is DEFAULT_POLICY:
            return f"Policy in force: the built-in policy {self.policy.policy_id}."
        return f"Policy in force: {self.policy.policy_id}."

    def problem(self) -> str:
        """The full message for a file that cannot be used (plain text)."""
        return (f"The promotion policy file set in Settings cannot be used: {self.error} "
                f"Nothing is decided under the built-in policy instead. {POLICY_SETTING_HINT}")


def policy_file_setting(settings: GuiSettings | None) -> str:
    """The policy file set in Settings ("" = the built-in policy)."""
    prefs = getattr(settings, "prefs", None)
    value = getattr(prefs, "policy_file", "")
    return value.strip() if isinstance(value, str) else ""


def resolve_policy(path: str) -> PolicyInForce:
    """Read the policy file (call in a worker); the built-in policy for "". Never raises for a
    bad file: the problem is returned so the page or dialog can show it."""
    from mlops_desktop.core.errors import MlopsError
    from mlops_desktop.governance.policy import DEFAULT_POLICY, load_policy

    path = path.strip()
    if not path:
        return PolicyInForce("", DEFAULT_POLICY)
    try:
        return PolicyInForce(path, load_policy(Path(path).expanduser()))
    except MlopsError as exc:
        return PolicyInForce(path, None, exc.message + (f" {exc.hint}" if exc.hint else ""))


# ---------------------------------------------------------------------------- widgets


class Banner(QLabel):
    """A coloured message strip (ok / error / warning / info) that follows the theme.

    Painted, not styled with a style sheet: a style sheet would pin the colours of the theme
    it was made in, and a styled widget gets no palette-change event to update it.
    """

    def __init__(self, parent: QWidget | None = None, name: str = "banner") -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.kind = "info"
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAccessibleName("Status")
        self.setContentsMargins(9, 6, 9, 6)

    def show_message(self, kind: str, html_text: str, accessible: str | None = None) -> None:
        self.kind = kind
        self.setText(html_text)
        # screen readers read the words, not the markup
        self.setAccessibleDescription(accessible or QTextDocumentFragment.fromHtml(html_text).toPlainText())
        self.setVisible(True)
        self.update()

    def colors(self) -> tuple[QColor, QColor]:
        """(background, text) of the current kind in the current theme."""
        table = _BANNER_DARK if is_dark() else _BANNER_LIGHT
        bg, fg = table.get(self.kind, table["info"])
        return QColor(bg), QColor(fg)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        bg, fg = self.colors()
        if self.palette().color(QPalette.ColorRole.WindowText) != fg:
            palette = self.palette()
            for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text):
                palette.setColor(role, fg)
            self.setPalette(palette)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(fg)
        painter.setBrush(bg)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        painter.end()
        super().paintEvent(event)


def field_label(text: str = "", name: str = "") -> QLabel:
    """A word-wrapped, selectable label that takes a form row's full width."""
    label = QLabel(text)
    if name:
        label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return label


def remembered_path(settings: GuiSettings | None, key: str) -> str:
    if settings is None:
        return ""
    value = settings.data.get(key)
    return str(value) if isinstance(value, str) else ""


def remember_path(settings: GuiSettings | None, key: str, path: str) -> None:
    if settings is None or not path or settings.data.get(key) == path:
        return
    settings.data[key] = path
    settings.save()


class KeyFileField(QWidget):
    """A key-file path with a Browse… button."""

    sig_changed = Signal(str)

    def __init__(self, title: str = "Key file", placeholder: str = "key file written by 'keys create'",
                 file_filter: str = KEY_FILE_FILTER, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.file_filter = file_filter
        self.setAccessibleName(title)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setAccessibleName(title)
        self.edit.setClearButtonEnabled(True)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setAccessibleName(f"Browse for the {title.lower()}")
        self.browse_button.clicked.connect(self._on_browse_button_clicked)
        self.edit.textChanged.connect(self.sig_changed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse_button)
        self.setFocusProxy(self.edit)

    def path(self) -> str:
        return self.edit.text().strip()

    def set_path(self, path: str) -> None:
        self.edit.setText(path)

    def _on_browse_button_clicked(self) -> None:
        start = self.path() or str(Path.home())
        path, _filter = QFileDialog.getOpenFileName(self, self.title, start, self.file_filter)
        if path:
            self.edit.setText(path)


class StatusBadgeDelegate(QStyledItemDelegate):
    """Paints the status under :data:`STATUS_ROLE` as a coloured pill with its words."""

    PAD_X = 8

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        status = index.data(STATUS_ROLE)
        if not status:
            super().paint(painter, option, index)
            return
        draw_item_background(self, painter, option, index)
        text = status_text(str(status))
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(option.font)
        font.setBold(True)
        painter.setFont(font)
        fm = QFontMetrics(font)
        rect = option.rect
        h = min(fm.height() + 4, rect.height() - 2)
        w = min(fm.horizontalAdvance(text) + 2 * self.PAD_X, rect.width() - 6)
        pill = QRectF(rect.x() + 3, rect.y() + (rect.height() - h) / 2, w, h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(status_color(str(status)))
        painter.drawRoundedRect(pill, h / 2, h / 2)
        painter.setPen(QColor(theme.colors().badge_text))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, fm.elidedText(text, Qt.TextElideMode.ElideRight,
                                                                           int(w) - 4))
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        size = super().sizeHint(option, index)
        status = index.data(STATUS_ROLE)
        if status:
            font = QFont(option.font)
            font.setBold(True)
            size.setWidth(max(size.width(), QFontMetrics(font).horizontalAdvance(status_text(status)) + 24))
        return size


# ---------------------------------------------------------------------------- wiring


class GovernanceController(QObject):
    """Connects the governance pages and dialogs to the main window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        from mlops_desktop.ui.approvals_view import ApprovalsView
        from mlops_desktop.ui.audit_view import AuditView

        self.window = window
        self.dialogs: list[QWidget] = []
        settings = getattr(window, "gui_settings", None)
        self.approvals_view = ApprovalsView(notifier=window.notifier, governance_url=window.governance_url,
                                            gui_settings=settings)
        self.audit_view = AuditView(notifier=window.notifier, governance_url=window.governance_url)
        self.approvals_view.url_source = self.audit_view.url_source = self.governance_url
        window.add_page("approvals", "Approvals", self.approvals_view, "approvals")
        window.add_page("audit", "Audit log", self.audit_view, "audit")
        progress = getattr(window, "progress", None)
        if progress is not None:
            progress.watch(self.approvals_view.slot)
            progress.watch(self.audit_view.slot)

        self.approve_action = QAction("&Approve / Reject…", window)
        self.approve_action.setObjectName("approveAction")
        self.approve_action.setShortcut(QKeySequence(APPROVE_SHORTCUT))
        self.approve_action.setStatusTip("Sign an approval or rejection of the selected model version")
        self.approve_action.triggered.connect(self.show_approval_dialog)
        window.addAction(self.approve_action)
        self.trust_action = QAction("&Trust list…", window)
        self.trust_action.setObjectName("trustAction")
        self.trust_action.triggered.connect(self.show_trust_dialog)
        self.verify_action = QAction("&Verify approvals", window)
        self.verify_action.triggered.connect(self._on_verify_action_triggered)
        self.audit_action = QAction("Check the audit &log", window)
        self.audit_action.triggered.connect(self._on_audit_action_triggered)
        self._build_menu()

        self.approvals_view.sig_approve_requested.connect(self.show_approval_dialog)
        self.approvals_view.sig_trust_requested.connect(self.show_trust_dialog)
        self.approvals_view.sig_changed.connect(self.audit_view.mark_stale)
        self.audit_view.sig_changed.connect(self.approvals_view.mark_stale)

        models_view = getattr(window, "models_view", None)
        if models_view is not None:
            for widget in (models_view.detail, models_view.versions_table):
                widget.addAction(self.approve_action)
                if widget.contextMenuPolicy() == Qt.ContextMenuPolicy.DefaultContextMenu:
                    widget.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
            models_view.sig_version_selected.connect(self._on_version_selected)
        window.sig_catalog_loaded.connect(self._on_window_catalog_loaded)
        from mlops_desktop.ui.access_log import AccessLog

        self.access_log = AccessLog(self.governance_url, self)  # reads the window's URL at each write
        window.sig_stores_changed.connect(self.access_log.stores_opened)
        sig_governance = getattr(window, "sig_governance_changed", None)
        if sig_governance is not None:
            sig_governance.connect(self._on_governance_changed)
        settings_action = getattr(window, "settings_action", None)
        if settings_action is not None:  # connected after the window's own slot, which opens the dialog
            settings_action.triggered.connect(self._on_settings_action_triggered)
        if models_view is not None:
            models_view.sig_version_selected.connect(self.access_log.version_viewed)
        sig_shutdown = getattr(window, "sig_shutting_down", None)
        if sig_shutdown is not None:
            sig_shutdown.connect(self.shutdown)
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

    def governance_url(self) -> str | None:
        return self.window.governance_url

    def artifact_roots(self) -> dict[str, str]:
        roots = self.window.source_settings.get("artifact_roots") if self.window.source_settings else None
        return dict(roots) if isinstance(roots, dict) else {}

    def _sync(self) -> None:
        url = self.window.governance_url
        if self._alive(self.approvals_view):
            self.approvals_view.governance_url = url
            self.approvals_view.set_catalog(self.window.catalog, self.artifact_roots())
        if self._alive(self.audit_view):
            self.audit_view.governance_url = url

    def _on_window_catalog_loaded(self, _catalog: object) -> None:
        self._sync()

    def _on_governance_changed(self, url: object) -> None:
        """Settings switched the governance store: the pages forget the old store and read the new
        one (now if shown); the access log writes to the new one from now on."""
        new = str(url) if url else None
        if self._alive(self.approvals_view):
            self.approvals_view.artifact_roots = self.artifact_roots()
            self.approvals_view.set_governance_url(new)
        if self._alive(self.audit_view):
            self.audit_view.set_governance_url(new)
        from mlops_desktop.sources.base import redact

        self.window.statusBar().showMessage(
            f"Governance store: {redact(new) if new else 'the default governance.db'}", 8000)

    def _on_settings_action_triggered(self) -> None:
        dialog = getattr(self.window, "settings_dialog", None)
        if dialog is not None and not getattr(dialog, "_governance_watched", False):
            dialog._governance_watched = True
            dialog.accepted.connect(self._on_settings_accepted)

    def _on_settings_accepted(self) -> None:
        """A policy file changed in Settings: the shown Approvals page verifies again with it
        (a hidden one does when shown)."""
        if self._alive(self.approvals_view) and self.approvals_view.needs_refresh():
            self.approvals_view.mark_stale()

    def _on_version_selected(self, version: object) -> None:
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
        models_view = getattr(self.window, "models_view", None)
        return models_view.selected_version() if models_view is not None else None

    def show_approval_dialog(self) -> QWidget | None:
        from mlops_desktop.ui.approval_dialog import ApprovalDialog

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
            gui_settings=getattr(self.window, "gui_settings", None), parent=self.window,
        )
        dialog.sig_decided.connect(self._on_dialog_decided)
        self._open(dialog)
        return dialog

    def show_trust_dialog(self) -> QWidget:
        from mlops_desktop.ui.trust_view import TrustDialog

        dialog = TrustDialog(governance_url=self.window.governance_url, notifier=self.window.notifier,
                             gui_settings=getattr(self.window, "gui_settings", None), parent=self.window)
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
        if self._alive(self.approvals_view):
            self.approvals_view.refresh(select_id=record.id)
        if self._alive(self.audit_view):
            self.audit_view.mark_stale()
        self.window.statusBar().showMessage(
            f"{'Approval' if record.decision == 'APPROVED' else 'Rejection'} of {record.model_name} version "
            f"{record.version} for "
            f"{record.target} recorded at audit-log entry {record.log_seq}.", 10000)

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


def install_governance_pages(window: MainWindow) -> None:
    """Add the Approvals and Audit log pages, the Governance menu and the Approve / Reject…
    action (Ctrl+Shift+A) to ``window``. The controller is ``window.governance``."""
    window.governance = GovernanceController(window)  # type: ignore[attr-defined]


def show_load_error(banner: Banner, notifier: Any, exc: BaseException, reading: str, doing: str) -> bool:
    """Explain a failed load of a governance page in its banner (worker ``on_error`` handler).

    Expected problems (:class:`MlopsError`) are handled here; a bug also goes to the notifier.
    """
    from mlops_desktop.core.errors import MlopsError

    if isinstance(exc, MlopsError):
        banner.show_message("error", f"<b>Cannot read {reading}:</b> {html.escape(exc.message)}"
                                     + (f"<br>{html.escape(exc.hint)}" if exc.hint else ""))
        return True
    banner.show_message("error", f"Cannot {doing}: internal error ({type(exc).__name__}).")
    if notifier is not None:
        notifier.show_error(exc)
        return True
    return False
