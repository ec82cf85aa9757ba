"""The Audit log page: every recorded action, the chain status, filters and export.

Loading verifies the whole log in a worker (:mod:`mlops_desktop.services.audit`, as
``mlops-desktop audit verify``: entries, head, signed checkpoints, and the tree head this
client verified last time), so a deleted tail or a restored older copy of
the governance store is shown as a red banner naming the problem.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.services.audit import AuditExport, AuditState, export_audit, load_audit
from mlops_desktop.services.settings import VerificationSettings
from mlops_desktop.ui.common.roles import ENTITY_ROLE
from mlops_desktop.ui.common.settings import verification_settings
from mlops_desktop.ui.common.status import monospace_font, pretty_json
from mlops_desktop.ui.common.widgets import Banner, make_table, show_load_error
from mlops_desktop.ui.common.workers import ErrorSink, TaskSlot
from mlops_desktop.ui.governance.shared import unverified_snapshot_message
from mlops_desktop.ui.governance.verdict import VerdictBar
from mlops_desktop.ui.models.base import Column, EntityTableModel, FieldFilterProxyModel

logger = logging.getLogger(__name__)

EXPORT_TIP = "Write the whole log with its signed checkpoint as one JSON file"
EMPTY_TEXT = "The audit log is empty — opening stores, approvals, exports and trust changes are recorded here."


# ---------------------------------------------------------------------------- model


def _actor(entry: Any) -> str:
    user = entry.actor.get("os_user") or "unknown"
    kid = entry.actor.get("key_id")
    return f"{user} (key {kid[:12]})" if kid else str(user)


def _time(entry: Any) -> str:
    return entry.time.replace("T", " ")[:19] + (" UTC" if entry.time.endswith("Z") else "")


class AuditLogModel(EntityTableModel[Any]):
    """Rows are :class:`~mlops_desktop.governance.audit.LogEntry`."""

    columns = (
        Column("Seq", lambda e: str(e.seq), sort=lambda e: e.seq),
        Column("Time", _time, sort=lambda e: e.time),
        Column("Actor", _actor),
        Column("Action", lambda e: e.action),
        Column("Object", lambda e: e.object),
    )


def chain_status_html(v: Any) -> tuple[str, str]:
    """(banner kind, html) for a LogVerification."""
    if v.ok:
        cp = f"last checkpoint at {v.checkpoint_size}" if v.checkpoint_size is not None else "no checkpoint yet"
        seen = (f"this client last verified it at {v.remembered_size}" if v.remembered_size is not None
                else "first verification by this client")
        return "ok", (f"<b>✓ Audit log consistent</b> — {v.size} entr{'y' if v.size == 1 else 'ies'} · "
                      f"root <code>{html.escape(v.root_hash[:16])}…</code> · {cp} · {seen}")
    items = "".join(f"<li>{html.escape(p)}</li>" for p in v.problems)
    return "error", (f"<b>✗ Audit log BROKEN</b> — {len(v.problems)} problem{'s' if len(v.problems) != 1 else ''} "
                     f"({v.size} entries stored):<ul style='margin:2px 0 0 0'>{items}</ul>")


# ---------------------------------------------------------------------------- view


class AuditView(QWidget):
    """The Audit log page."""

    sig_changed = Signal()  # governance data changed through this page (an export is recorded)
    sig_loaded = Signal(object)  # AuditState
    sig_exported = Signal(object)  # services.audit.AuditExport

    def __init__(self, *, notifier: ErrorSink | None = None, governance_url: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AuditView")
        self.setAccessibleName("Audit log page")
        self.notifier = notifier
        self.governance_url = governance_url
        self.state: AuditState | None = None
        self.export_result: AuditExport | None = None
        self._stale = True
        self.slot = TaskSlot("audit-log", None, self)
        #: Where the governance URL comes from when it can change (the main window's setting).
        self.url_source: Callable[[], str | None] | None = None
        self._loaded_url: str | None = None
        #: What the log is verified with (Settings' policy file: its witness quorum), read at each refresh.
        self.settings_source: Callable[[], VerificationSettings] = lambda: verification_settings(None)
        self._loaded_settings: VerificationSettings | None = None

        self.banner = Banner(name="chainStatus")
        self.banner.setAccessibleName("Audit-log chain status")
        self.banner.show_message("info", "The audit log is verified when this page is shown.")
        self.verdict_bar = VerdictBar("auditVerdict")
        self.verdict_bar.sig_anchor_added.connect(lambda _kid: self.refresh())

        self.action_combo = QComboBox()
        self.action_combo.setObjectName("actionFilter")
        self.action_combo.setAccessibleName("Filter by action")
        self.action_combo.addItem("All actions", "")
        self.action_combo.setMinimumWidth(170)
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("auditFilter")
        self.filter_edit.setAccessibleName("Filter entries")
        self.filter_edit.setPlaceholderText("Filter entries: actor, object, time…  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.count_label = QLabel()
        self.count_label.setObjectName("auditCount")
        self.verify_button = QPushButton("Verify again")
        self.verify_button.setObjectName("auditVerifyButton")
        self.verify_button.clicked.connect(self._on_verify_button_clicked)
        self.export_button = QPushButton("Export…")
        self.export_button.setObjectName("exportButton")
        self.export_button.setToolTip(EXPORT_TIP)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        top = QHBoxLayout()
        action_label = QLabel("&Action:")
        action_label.setBuddy(self.action_combo)
        top.addWidget(action_label)
        top.addWidget(self.action_combo)
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.count_label)
        top.addSpacing(12)
        top.addWidget(self.verify_button)
        top.addWidget(self.export_button)

        self.model = AuditLogModel(parent=self)
        self.proxy = FieldFilterProxyModel(lambda row: row.action, self)
        self.proxy.setSourceModel(self.model)
        self.table = make_table(self.proxy)
        self.table.setObjectName("auditTable")
        self.table.setAccessibleName("Audit-log entries")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        for col, width in enumerate((60, 170, 230, 150)):
            self.table.setColumnWidth(col, width)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.entry_view = QPlainTextEdit()
        self.entry_view.setObjectName("entryView")
        self.entry_view.setAccessibleName("Entry details")
        self.entry_view.setReadOnly(True)
        self.entry_view.setFont(monospace_font())
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.entry_view)
        split.setSizes([420, 180])

        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setObjectName("auditEmpty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(split)

        self.status_label = QLabel()
        self.status_label.setObjectName("auditExportStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.banner)
        layout.addWidget(self.verdict_bar)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.status_label)

        self.filter_edit.textChanged.connect(self._on_filter_edit_changed)
        self.action_combo.currentIndexChanged.connect(self._on_action_combo_changed)
        self._update_count()

    # -- data ----------------------------------------------------------------------------------

    def mark_stale(self) -> None:
        self._stale = True
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        self._stale = False
        self.verify_button.setEnabled(False)
        self.export_button.setEnabled(False)
        self._loaded_url = self.current_url()
        self._loaded_settings = self.settings_source()
        self.slot.start(load_audit, self._loaded_url, self._loaded_settings, label="Verifying the audit log",
                        on_done=self._on_loaded, on_error=self._on_load_error)

    def is_running(self) -> bool:
        return self.slot.is_running()

    def _on_loaded(self, state: AuditState) -> None:
        self.state = state
        self.verify_button.setEnabled(True)
        self.export_button.setEnabled(not state.read_only_reason)
        self.export_button.setToolTip(
            f"{state.read_only_reason} An export is recorded in the log, so it needs a writable store."
            if state.read_only_reason else EXPORT_TIP)
        kind, text = chain_status_html(state.verification)
        if state.read_only_reason:
            text += f"<br>{html.escape(state.read_only_reason)}"
        accessible = ("Audit log consistent" if state.verification.ok else
                      "Audit log broken: " + " ".join(state.verification.problems))
        anchored = state.anchored
        if anchored is not None and anchored.trust_problems:
            text += "<br>" + "<br>".join(f"Trust list: {html.escape(p)}" for p in anchored.trust_problems)
            kind = "error"
        witnesses = anchored.witnesses if anchored is not None else None
        if witnesses is not None and witnesses.required:  # the policy's quorum, in audit verify's words
            text += f"<br><b>Witnesses:</b> {html.escape(witnesses.describe())}"
            if not witnesses.ok:
                kind = "error"
                accessible += " Witnesses: " + witnesses.describe()
        if anchored is not None and anchored.unanchored and kind == "ok":
            kind = "warning"
        self.banner.show_message(kind, text, accessible)
        self.verdict_bar.set_verdict(state.verdict)
        current = self.action_combo.currentData()
        self.action_combo.blockSignals(True)
        self.action_combo.clear()
        self.action_combo.addItem("All actions", "")
        for action in sorted({e.action for e in state.entries}):
            self.action_combo.addItem(action, action)
        index = self.action_combo.findData(current) if current else 0
        self.action_combo.setCurrentIndex(max(index, 0))
        self.action_combo.blockSignals(False)
        self.proxy.set_value(self.action_combo.currentData())
        self.model.set_rows(state.entries)
        self._update_count()
        if self.proxy.rowCount():
            self.table.selectRow(0)
        else:
            self.entry_view.setPlainText("")
        self.sig_loaded.emit(state)

    def _on_load_error(self, exc: BaseException) -> bool:
        self.verify_button.setEnabled(True)
        self.verdict_bar.set_verdict("")  # nothing was verified: no earlier verdict may stay shown
        self.state = None  # nor earlier entries
        self.model.set_rows([])
        self.entry_view.setPlainText("")
        self._update_count()
        if unverified_snapshot_message(self.banner, exc):
            return True
        return show_load_error(self.banner, self.notifier, exc, "the audit log", "verify the audit log")

    def _update_count(self, *_args: object) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count_label.setText(f"{total} entries" if shown == total else f"{shown} of {total} entries")
        if total and not shown:
            self.empty_label.setText("No entry matches the filters.")
            self.stack.setCurrentIndex(0)
        elif total:
            self.stack.setCurrentIndex(1)
        else:
            self.empty_label.setText(EMPTY_TEXT)
            self.stack.setCurrentIndex(0)

    # -- export ----------------------------------------------------------------------------------

    def export_to(self, out: str) -> None:
        """Export in a worker; the result (or the reason it was refused) is shown under the table."""
        self.export_button.setEnabled(False)
        self.status_label.setVisible(True)
        self.status_label.setText("Exporting…")
        self.slot.start(partial(export_audit, create=False), self.current_url(), out, label="Exporting the audit log",
                        on_done=self._on_exported, on_error=self._on_export_error)

    def _on_export_button_clicked(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, "Export the audit log", str(Path.home() / "audit-log.json"),
                                                    "JSON files (*.json);;All files (*)")
        if path:
            self.export_to(path)

    def _on_exported(self, result: AuditExport) -> None:
        self.export_result = result
        self.export_button.setEnabled(True)
        self.status_label.setText(f"Exported {result.size} entries to {result.path}\n"
                                  f"SHA-256 {result.sha256} (recorded in the log)")
        self.sig_exported.emit(result)
        self.sig_changed.emit()
        self.mark_stale()

    def _on_export_error(self, exc: BaseException) -> bool:
        self.export_button.setEnabled(True)
        if isinstance(exc, MlopsError):
            self.status_label.setText(f"Not exported: {exc.message}" + (f" {exc.hint}" if exc.hint else ""))
            return True
        self.status_label.setText(f"Not exported: internal error ({type(exc).__name__}).")
        if self.notifier is not None:
            self.notifier.show_error(exc)
            return True
        return False

    # -- handlers --------------------------------------------------------------------------------

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def _on_filter_edit_changed(self, text: str) -> None:
        self.proxy.set_filter_text(text)
        self._update_count()

    def _on_action_combo_changed(self, _index: int) -> None:
        self.proxy.set_value(self.action_combo.currentData())
        self._update_count()

    def _on_table_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        entry = self.proxy.mapToSource(rows[0]).data(ENTITY_ROLE) if rows else None
        self.entry_view.setPlainText(pretty_json(entry.to_dict()) if entry is not None else "")

    def _on_verify_button_clicked(self) -> None:
        self.refresh()

    def current_url(self) -> str | None:
        return self.url_source() if self.url_source is not None else self.governance_url

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if (self._stale or self.current_url() != self._loaded_url
                or (self._loaded_settings is not None and self.settings_source() != self._loaded_settings)) \
                and not self.slot.is_running():
            self.refresh()

    def set_governance_url(self, url: str | None) -> None:
        """Another governance store: forget the old log and verify the new one (now if the page is
        shown, else when it is)."""
        self.governance_url = url
        if url != self._loaded_url:
            self.state = None
            self.model.set_rows([])
            self.entry_view.setPlainText("")
            self.status_label.setVisible(False)
            self._update_count()
            self.banner.show_message("info", "Governance store changed: reading its audit log…")
        self.mark_stale()

    def shutdown(self) -> None:
        self.slot.shutdown()
