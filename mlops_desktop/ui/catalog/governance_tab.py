"""The version pane's Governance tab: every target the version holds, the promotion policy rule
by rule as ``verify --target`` prints it, the version's decisions (signer, roles, regimes,
signed reason, verdict) and Approve / Reject buttons."""

from __future__ import annotations

import base64
import json

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.services.governance_status import GovernanceStatus, VersionGovernance
from mlops_desktop.ui.common.status import ok_color


def signed_reason(envelope: bytes) -> str:
    """The reason the signed predicate records ("not recorded" when it says none)."""
    try:
        payload = json.loads(base64.b64decode(json.loads(envelope)["payload"]))
        return str((payload.get("predicate") or {}).get("reason") or "") or "not recorded"
    except (ValueError, KeyError, TypeError, AttributeError):
        return "not readable"


class WrappingDelegate(QStyledItemDelegate):
    """Rows as tall as their text wrapped in its column (a rule or verdict is read whole, never cut)."""

    def __init__(self, tree: QTreeWidget) -> None:
        super().__init__(tree)
        self.tree = tree

    def sizeHint(self, option: QStyleOptionViewItem,  # noqa: N802 - Qt override
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        hint = super().sizeHint(option, index)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not isinstance(text, str) or not text:
            return hint
        width = self.tree.header().sectionSize(index.column()) - 12
        if index.column() == 0:  # the branch indentation of its depth
            depth, parent = 1, index.parent()
            while parent.isValid():
                depth, parent = depth + 1, parent.parent()
            width -= self.tree.indentation() * depth
        rect = option.fontMetrics.boundingRect(QRect(0, 0, max(24, width), 100_000), Qt.TextFlag.TextWordWrap, text)
        return QSize(hint.width(), max(hint.height(), rect.height() + 6))


def _item(texts: list[str]) -> QTreeWidgetItem:
    """A row whose cells carry their whole text as tooltip too."""
    item = QTreeWidgetItem(texts)
    for column, text in enumerate(texts):
        if text:
            item.setToolTip(column, text)
    return item


class GovernanceTabWidget(QWidget):
    """Fill with :meth:`set_governance`."""

    sig_decision_requested = Signal(object, str, str)  # ModelVersion, target, APPROVED | REJECTED

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("GovernanceTab")
        self.setAccessibleName("Governance of this version")
        self.version: object | None = None
        #: Why no decision can be signed from this tab (an open snapshot's records), or None.
        self.read_only: str | None = None
        self.summary = QLabel()
        self.summary.setObjectName("governanceSummary")
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("governanceTree")
        self.tree.setHeaderLabels(["Target / rule / decision", "Verdict"])
        # both columns share the tab's width and wrap their text (rows grow); what still does not
        # fit (a signer, a role or a reason with a word longer than its column is wide) ends in
        # "…" (it was clipped without a sign), and every cell gives its whole text as tooltip
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tree.setItemDelegate(WrappingDelegate(self.tree))
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(lambda *_args: self.tree.scheduleDelayedItemsLayout())
        self.approve_button = QPushButton("Approve…")
        self.approve_button.setObjectName("governanceApprove")
        self.reject_button = QPushButton("Reject…")
        self.reject_button.setObjectName("governanceReject")
        self.approve_button.clicked.connect(lambda: self._request("APPROVED"))
        self.reject_button.clicked.connect(lambda: self._request("REJECTED"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.reject_button)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.tree, 1)
        self.set_governance(None, None, "")

    def selected_target(self) -> str:
        item = self.tree.currentItem()
        while item is not None and item.parent() is not None:
            item = item.parent()
        if item is not None:
            return str(item.data(0, Qt.ItemDataRole.UserRole) or "")
        vg = self._vg
        first = next(iter(vg.unapproved), None) if vg is not None else None
        return first.target if first is not None else ""

    def set_read_only(self, reason: str | None) -> None:
        """No decision can be signed here (the governance controller's ``read_only_reason``: an
        open snapshot's records): Approve / Reject are disabled and their tooltips say why;
        ``None`` enables them again (for a version)."""
        self.read_only = reason
        self._update_buttons()

    def _update_buttons(self) -> None:
        enabled = self.version is not None and self.read_only is None
        for button, tip in ((self.approve_button, "Sign an approval of this version for the selected target"),
                            (self.reject_button, "Sign a rejection of this version for the selected target")):
            button.setEnabled(enabled)
            button.setToolTip(self.read_only or tip)

    def _request(self, decision: str) -> None:
        if self.read_only is not None:
            return
        if self.version is not None:
            self.sig_decision_requested.emit(self.version, self.selected_target(), decision)

    def set_governance(self, version: object | None, status: GovernanceStatus | None, waiting: str) -> None:
        self.version = version
        self.tree.clear()
        self._vg: VersionGovernance | None = None
        self._update_buttons()
        if version is None:
            self.summary.setText("")
            return
        vg = status.of(version.model_name, version.version) if status is not None else None  # type: ignore[attr-defined]
        self._vg = vg
        if vg is None:
            self.summary.setText(waiting or "No governance store read: no decision is known, so no target is approved.")
            return
        if not vg.targets:
            self.summary.setText("This version holds no stage or alias.")
        else:
            left = [t.target for t in vg.unapproved]
            self.summary.setText(f"Policy {status.policy_id}: " + ", ".join(t.label for t in vg.targets.values())  # type: ignore[union-attr]
                                 + (f". Not approved: {', '.join(left)}." if left else ". Every held target approved."))
        for t in vg.targets.values():
            top = _item([f"{t.label}", t.words])
            top.setData(0, Qt.ItemDataRole.UserRole, t.target)
            top.setForeground(1, ok_color(t.status in ("approved", "not-required")))
            self.tree.addTopLevelItem(top)
            rules = _item(["Policy, rule by rule (as verify prints it)", ""])
            top.addChild(rules)
            for r in t.result.rules if t.result is not None else []:
                item = _item([f"[{'ok' if r.satisfied else 'FAIL'}] {r.rule}", r.explanation])
                item.setForeground(0, ok_color(r.satisfied))
                rules.addChild(item)
            others = [] if t.status in ("approved", "not-required") else [
                x for x in t.reasons if not x.startswith(f"Policy {status.policy_id} for")]  # type: ignore[union-attr]
            for problem in others:
                item = _item(["Also refused by verify", problem])
                item.setForeground(0, ok_color(False))
                top.addChild(item)
            decided = [d for d in vg.decisions if d.target.lower() == t.target.lower()]
            box = _item([f"Decisions ({len(decided)})", ""])
            top.addChild(box)
            for d in decided:
                rec = d.record
                text = (f"{rec.decision.lower()} by {d.identity or rec.key_id[:16]} — role {', '.join(d.roles) or 'none'}"
                        f" — regimes {', '.join(d.regimes) or 'none'} — reason: {signed_reason(rec.envelope)}")
                item = _item([text, f"{d.status}{': ' + d.detail if d.detail else ''}"])
                box.addChild(item)
            top.setExpanded(True)
            rules.setExpanded(True)
            box.setExpanded(True)
        for d in vg.other_registries:
            rec = d.record
            item = _item([f"Not counted: {rec.decision.lower()} for {rec.target} by {d.identity or rec.key_id[:16]}",
                                    d.detail])
            self.tree.addTopLevelItem(item)
