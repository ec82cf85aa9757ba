"""The Approvals page: every signed decision with its verification status, verified in a worker.

Each row is checked by :func:`mlops_desktop.services.approvals.load_approvals`, as
``mlops-desktop verify`` checks it (signature over the stored bytes, statement against the
row, audit-log entry, signer trusted at the log time with its certificate checked against
the organisation CA set in Settings, subject digest against the open stores): an edited row
shows up as invalid, a revoked signer as revoked, a signer certified by another CA as
untrusted, a changed model as "evidence changed". With Settings' policy setting a
``[witnesses]`` quorum, the verdict and banner say whether it is met, as ``verify --policy`` does.
"""

from __future__ import annotations

import base64
import html
import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QItemSelection, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.entities import Catalog
from mlops_desktop.services.approvals import ApprovalsState, load_approvals
from mlops_desktop.services.settings import VerificationSettings
from mlops_desktop.ui.common.delegates import StatusBadgeDelegate
from mlops_desktop.ui.common.roles import ENTITY_ROLE, STATUS_ROLE
from mlops_desktop.ui.common.settings import verification_settings
from mlops_desktop.ui.common.status import (
    STATUS_TEXT,
    monospace_font,
    pretty_json,
    status_color,
    status_text,
)
from mlops_desktop.ui.common.widgets import Banner, make_table, show_load_error
from mlops_desktop.ui.common.workers import ErrorSink, TaskSlot
from mlops_desktop.ui.governance.shared import APPROVE_SHORTCUT, unverified_snapshot_message
from mlops_desktop.ui.governance.verdict import VerdictBar
from mlops_desktop.ui.models.base import Column, EntityTableModel, FieldFilterProxyModel

if TYPE_CHECKING:
    from mlops_desktop.ui.common.settings import GuiSettings

logger = logging.getLogger(__name__)

EMPTY_TEXT = f"No approvals yet — select a model version and press {APPROVE_SHORTCUT}"


# ---------------------------------------------------------------------------- model


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _signed_at(v: Any) -> datetime | None:
    return v.signed_at or v.decided_at


def _decision(v: Any) -> str:
    return v.record.decision.capitalize()


class ApprovalsModel(EntityTableModel[Any]):
    """Rows are :class:`~mlops_desktop.governance.approvals.VerifiedApproval`."""

    columns = (
        Column("Model", lambda v: v.record.model_name),
        Column("Version", lambda v: v.record.version),
        Column("Target", lambda v: v.record.target),
        Column("Decision", _decision),
        Column("Signer", lambda v: v.identity or "unknown"),
        Column("Key", lambda v: v.record.key_id[:16], tooltip=lambda v: v.record.key_id),
        Column("Signed at", lambda v: _time(_signed_at(v)),
               sort=lambda v: (_signed_at(v) or datetime.min).timestamp() if _signed_at(v) else 0.0),
        Column("Regimes", lambda v: ", ".join(v.regimes)),
        Column("Status", lambda v: status_text(v.status), tooltip=lambda v: v.detail or status_text(v.status)),
    )

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == STATUS_ROLE and index.isValid() and index.row() < len(self.rows):
            return self.rows[index.row()].status if index.column() == len(self.columns) - 1 else None
        return super().data(index, role)

    def row_of(self, envelope_id: str) -> int:
        for i, v in enumerate(self.rows):
            if v.record.id == envelope_id:
                return i
        return -1


# ---------------------------------------------------------------------------- details


def explanation_html(v: Any, unchecked: bool) -> str:
    r = v.record
    color = status_color(v.status).name()
    if v.problems:
        why = "<ul>" + "".join(f"<li>{html.escape(p)}</li>" for p in v.problems) + "</ul>"
    elif v.valid:
        why = ("<p>The signature verifies over the stored envelope bytes with the signer's key; the signed "
               "statement matches the stored row and its audit-log entry; the signer was on the trust list "
               f"with role {html.escape(', '.join(v.roles) or 'none')} at the decision's log time"
               + ("." if unchecked else "; the subject digest still matches the store.") + "</p>")
    else:
        why = ""
    note = ("<p><i>The model is not in the open stores, so its subject digest was not rechecked. "
            "Open its store to check the evidence.</i></p>") if unchecked else ""
    rows = [
        ("Envelope id", r.id),
        ("Subject", f"models:/{r.model_name}/{r.version}"),
        ("Decision (stored row)", f"{r.decision} for {r.target}"),
        *([("Decision (signed)", f"{v.decision} for {v.target}")]
          if v.decision and (v.decision, v.target) != (r.decision, r.target) else []),
        ("Regimes", ", ".join(v.regimes) or "none"),
        ("Signer", v.identity or "unknown"),
        ("Key id (fingerprint)", r.key_id),
        ("Roles at the time", ", ".join(v.roles) or "none"),
        ("Decided at (audit log)", _time(v.decided_at) or "unknown"),
        ("Signed at (signer's claim)", _time(v.signed_at) or "unknown"),
        ("Digest method", v.digest_method or "unknown"),
        ("Audit-log entry", str(r.log_seq)),
    ]
    table = "".join(f"<tr><td><b>{html.escape(k)}</b>&nbsp;&nbsp;</td><td>{html.escape(val)}</td></tr>"
                    for k, val in rows)
    return (f"<h3 style='color:{color}'>{html.escape(status_text(v.status))}</h3>{why}{note}"
            f"<table cellspacing='2'>{table}</table>")


def envelope_text(envelope: bytes) -> str:
    """The stored envelope (verbatim bytes, pretty-printed when they are JSON) and its payload
    decoded for reading."""
    raw = envelope.decode("utf-8", errors="replace")
    try:
        obj = json.loads(raw)
    except ValueError:
        return f"Stored envelope (not valid JSON):\n{raw}"
    text = "Stored DSSE envelope:\n" + pretty_json(obj)
    payload = obj.get("payload") if isinstance(obj, dict) else None
    if isinstance(payload, str):
        try:
            statement = json.loads(base64.b64decode(payload, validate=True))
            text += ("\n\nPayload decoded for reading (the signature covers the base64 bytes above):\n"
                     + pretty_json(statement))
        except ValueError:
            text += "\n\nThe payload is not decodable base64 JSON."
    return text


# ---------------------------------------------------------------------------- view


class ApprovalsView(QWidget):
    """The Approvals page."""

    sig_approve_requested = Signal()
    sig_trust_requested = Signal()
    sig_changed = Signal()  # governance data changed through this page
    sig_loaded = Signal(object)  # ApprovalsState

    def __init__(self, *, notifier: ErrorSink | None = None, governance_url: str | None = None,
                 gui_settings: GuiSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ApprovalsView")
        self.setAccessibleName("Approvals page")
        self.notifier = notifier
        self.governance_url = governance_url
        self.gui_settings = gui_settings
        self.catalog: Catalog | None = None
        self.artifact_roots: dict[str, str] = {}
        self.state: ApprovalsState | None = None
        #: Why decisions cannot be signed from this page (an open snapshot's records), or None.
        self.read_only: str | None = None
        self._stale = True
        self._select_after: str | None = None
        self.slot = TaskSlot("approvals", None, self)
        #: Where the governance URL comes from when it can change (the main window's setting).
        self.url_source: Callable[[], str | None] | None = None
        self._loaded_url: str | None = None
        #: What the decisions are verified with (Settings' CA roots and policy file, the window's
        #: artifact roots), read at each refresh.
        self.settings_source: Callable[[], VerificationSettings] = (
            lambda: verification_settings(self.gui_settings, self.artifact_roots))
        self._loaded_settings: VerificationSettings | None = None

        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("approvalsFilter")
        self.filter_edit.setPlaceholderText("Filter approvals: model, signer, target, regime…  (Ctrl+F)")
        self.filter_edit.setAccessibleName("Filter approvals")
        self.filter_edit.setClearButtonEnabled(True)
        self.status_combo = QComboBox()
        self.status_combo.setAccessibleName("Filter by status")
        self.status_combo.addItem("All statuses", "")
        for status, text in STATUS_TEXT.items():
            self.status_combo.addItem(text, status)
        self.count_label = QLabel()
        self.count_label.setObjectName("approvalsCount")
        self.approve_button = QPushButton(f"Approve / Reject…  ({APPROVE_SHORTCUT})")
        self.approve_button.setObjectName("approveButton")
        self.approve_button.clicked.connect(self.sig_approve_requested)
        self.trust_button = QPushButton("Trust list…")
        self.trust_button.setObjectName("trustButton")
        self.trust_button.clicked.connect(self.sig_trust_requested)
        self.verify_button = QPushButton("Verify again")
        self.verify_button.setObjectName("verifyButton")
        self.verify_button.clicked.connect(self._on_verify_button_clicked)
        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.status_combo)
        top.addWidget(self.count_label)
        top.addSpacing(12)
        top.addWidget(self.approve_button)
        top.addWidget(self.trust_button)
        top.addWidget(self.verify_button)

        self.banner = Banner(name="approvalsBanner")
        self.banner.show_message("info", "Approvals are verified when this page is shown.")
        self.verdict_bar = VerdictBar("approvalsVerdict")
        self.verdict_bar.sig_anchor_added.connect(lambda _kid: self.refresh())

        self.model = ApprovalsModel(parent=self)
        self.proxy = FieldFilterProxyModel(lambda row: row.status, self)
        self.proxy.setSourceModel(self.model)
        self.table = make_table(self.proxy)
        self.table.setObjectName("approvalsTable")
        self.table.setAccessibleName("Approvals")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(6, Qt.SortOrder.DescendingOrder)
        self.table.setItemDelegateForColumn(len(ApprovalsModel.columns) - 1, StatusBadgeDelegate(self.table))
        for col, width in enumerate((150, 60, 100, 80, 170, 130, 150, 100, 120)):
            self.table.setColumnWidth(col, width)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)

        self.explanation = QTextBrowser()
        self.explanation.setObjectName("approvalExplanation")
        self.explanation.setAccessibleName("Verification explanation")
        self.explanation.setOpenLinks(False)
        self.envelope_view = QPlainTextEdit()
        self.envelope_view.setObjectName("envelopeView")
        self.envelope_view.setAccessibleName("Envelope JSON")
        self.envelope_view.setReadOnly(True)
        self.envelope_view.setFont(monospace_font())
        self.envelope_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        details = QSplitter(Qt.Orientation.Horizontal)
        details.addWidget(self.explanation)
        details.addWidget(self.envelope_view)
        details.setSizes([420, 600])

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(details)
        split.setSizes([320, 300])

        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setObjectName("approvalsEmpty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        font = self.empty_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.empty_label.setFont(font)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(split)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.verdict_bar)
        layout.addWidget(self.stack, 1)

        self.filter_edit.textChanged.connect(self._on_filter_edit_changed)
        self.status_combo.currentIndexChanged.connect(self._on_status_combo_changed)
        self._show_details(None)
        self._update_count()

    # -- data ------------------------------------------------------------------------------

    def set_catalog(self, catalog: Catalog | None, artifact_roots: Mapping[str, str] | None = None) -> None:
        """New stores mean new evidence to check: verify again (now if visible, else when shown)."""
        self.catalog = catalog
        self.artifact_roots = dict(artifact_roots or {})
        self.mark_stale()

    def mark_stale(self) -> None:
        self._stale = True
        if self.isVisible():
            self.refresh()

    def refresh(self, select_id: str | None = None) -> None:
        """Verify every decision in a worker; ``select_id`` is selected when done."""
        self._stale = False
        self._select_after = select_id or self._select_after or self.selected_id()
        self.verify_button.setEnabled(False)
        self._loaded_url = self.current_url()
        self._loaded_settings = self.settings_source()
        self.slot.start(load_approvals, self._loaded_url, self.catalog, self._loaded_settings,
                        label="Verifying approvals", on_done=self._on_loaded, on_error=self._on_load_error)

    def is_running(self) -> bool:
        return self.slot.is_running()

    def _on_loaded(self, state: ApprovalsState) -> None:
        self.state = state
        self.verify_button.setEnabled(True)
        self.model.set_rows(state.approvals)
        self.stack.setCurrentIndex(1 if state.approvals else 0)
        self._update_banner(state)
        self.verdict_bar.set_verdict(state.verdict if state.approvals or state.trust_initialised else "")
        self._update_count()
        target = self._select_after
        self._select_after = None
        if target and not self.select_record(target) and self.proxy.rowCount():
            self.table.selectRow(0)
        elif not target and self.proxy.rowCount():
            self.table.selectRow(0)
        if not self.proxy.rowCount():
            self._show_details(None)
        self.sig_loaded.emit(state)

    def _on_load_error(self, exc: BaseException) -> bool:
        self.verify_button.setEnabled(True)
        self.verdict_bar.set_verdict("")  # nothing was verified: no earlier verdict may stay shown
        self.state = None  # nor earlier rows with their statuses
        self.model.set_rows([])
        self._show_details(None)
        self._update_count()
        if unverified_snapshot_message(self.banner, exc):
            return True
        return show_load_error(self.banner, self.notifier, exc, "the governance store", "verify the approvals")

    def _update_banner(self, state: ApprovalsState) -> None:
        n = len(state.approvals)
        counts: dict[str, int] = {}
        for v in state.approvals:
            counts[v.status] = counts.get(v.status, 0) + 1
        where = html.escape(state.url)
        bad = {k: c for k, c in counts.items() if k != "valid"}
        parts = [f"{c} {status_text(k).lower()}" for k, c in sorted(bad.items())]
        lines = []
        if n == 0:
            kind = "info"
            lines.append(f"No decisions recorded in the governance store {where}.")
        elif bad:
            kind = "error" if any(k in ("invalid", "revoked", "untrusted") for k in bad) else "warning"
            lines.append(f"<b>{n - sum(bad.values())} of {n} decisions verify</b> — {', '.join(parts)}. "
                         f"Governance store {where}.")
        else:
            kind = "ok"
            lines.append(("<b>The decision verifies.</b>" if n == 1 else f"<b>All {n} decisions verify.</b>")
                         + f" Governance store {where}.")
        if not state.trust_initialised:
            kind = "warning" if kind in ("ok", "info") else kind
            lines.append("The trust list is empty: an administrator pins the first admin key "
                         "(Trust list… or 'mlops-desktop trust init').")
        for problem in state.trust_problems:
            kind = "error"
            lines.append(f"Trust list: {html.escape(problem)}")
        witnesses = state.witnesses
        if witnesses is not None and witnesses.required:  # the policy's quorum, in verify's words
            lines.append(f"<b>Witnesses:</b> {html.escape(witnesses.describe())}")
            if not witnesses.ok:
                kind = "error"
        for message in state.unanchored:
            kind = "error" if kind == "error" else "warning"
            lines.append(f"Trust list: {html.escape(message)}")
        if state.read_only_reason:
            lines.append(html.escape(state.read_only_reason))
        if state.ca_checked:
            lines.append("Signer certificates are checked against the organisation CA set in Settings.")
        if state.policy.ok:
            lines.append(html.escape(state.policy.describe()))
        else:
            kind = "error"
            lines.append(f"<b>No policy in force.</b> {html.escape(state.policy.problem())} "
                         "Until then, approval expiry is not checked.")
        self.banner.show_message(kind, "<br>".join(lines))

    def _update_count(self, *_args: object) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        noun = "decision" if total == 1 else "decisions"
        self.count_label.setText(f"{total} {noun}" if shown == total else f"{shown} of {total} {noun}")
        if total and not shown:
            self.empty_label.setText("No decision matches the filter.")
            self.stack.setCurrentIndex(0)
        elif total:
            self.stack.setCurrentIndex(1)
        else:
            self.empty_label.setText(self._empty_text())
            self.stack.setCurrentIndex(0)

    # -- selection ---------------------------------------------------------------------------

    def selected_record(self) -> Any:
        v = self.selected()
        return v.record if v is not None else None

    def selected(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.proxy.mapToSource(rows[0]).data(ENTITY_ROLE) if rows else None

    def selected_id(self) -> str | None:
        record = self.selected_record()
        return record.id if record is not None else None

    def select_record(self, envelope_id: str) -> bool:
        row = self.model.row_of(envelope_id)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        return True

    def status_of(self, envelope_id: str) -> str | None:
        row = self.model.row_of(envelope_id)
        return self.model.entity(row).status if row >= 0 else None

    def _on_table_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._show_details(self.selected())

    def _show_details(self, v: Any) -> None:
        if v is None:
            self.explanation.setHtml("<p><i>Select a decision to see how it was verified.</i></p>")
            self.envelope_view.setPlainText("")
            return
        unchecked = self.state is not None and v.record.id in self.state.unchecked
        self.explanation.setHtml(explanation_html(v, unchecked))
        self.envelope_view.setPlainText(envelope_text(v.record.envelope))

    # -- handlers ------------------------------------------------------------------------------

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def _on_filter_edit_changed(self, text: str) -> None:
        self.proxy.set_filter_text(text)
        self._update_count()

    def _on_status_combo_changed(self, _index: int) -> None:
        self.proxy.set_value(self.status_combo.currentData())
        self._update_count()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "explanation"):
            self._show_details(self.selected())  # the status colour follows the theme
        super().changeEvent(event)

    def _on_verify_button_clicked(self) -> None:
        self.refresh()

    def current_url(self) -> str | None:
        return self.url_source() if self.url_source is not None else self.governance_url

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self.needs_refresh() and not self.slot.is_running():
            self.refresh()

    def needs_refresh(self) -> bool:
        """Stale, or the governance store or the verification settings changed since the last load."""
        return (self._stale or self.current_url() != self._loaded_url
                or self.settings_source() != self._loaded_settings)

    def set_governance_url(self, url: str | None) -> None:
        """Another governance store: forget the old one's decisions and verify the new one's
        (now if the page is shown, else when it is)."""
        self.governance_url = url
        if url != self._loaded_url:
            self.state = None
            self.model.set_rows([])
            self._show_details(None)
            self._update_count()
            self.banner.show_message("info", "Governance store changed: reading its approvals…")
        self.mark_stale()

    def set_read_only(self, reason: str | None) -> None:
        """No decision can be signed here (the records of an open snapshot): Approve / Reject… is
        disabled and its tooltip says why; ``None`` enables it again."""
        self.read_only = reason
        self.approve_button.setEnabled(reason is None)
        self.approve_button.setToolTip(reason or "Sign an approval or rejection of the selected model version")
        self.empty_label.setText(self._empty_text())

    def _empty_text(self) -> str:
        return "This snapshot carries no decisions." if self.read_only else EMPTY_TEXT

    def shutdown(self) -> None:
        self.slot.shutdown()
