"""Settings > Trust anchors: the keys this client holds as its roots of trust, as
``trust anchor list|add|remove`` (:mod:`mlops_desktop.governance.anchors`). Changes are written
to the anchors file at once, as the command does; OK and Cancel do not undo them."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFontMetrics, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.governance.anchors import (
    SOURCE_FILE,
    SOURCE_PINNED,
    Anchor,
    add_anchor,
    anchors_path,
    load_anchors,
    parse_anchor_ref,
    remove_anchor,
)
from mlops_desktop.ui.common.status import monospace_font
from mlops_desktop.ui.common.widgets import Banner

#: sources whose anchors live in the anchors file (and can be removed here)
REMOVABLE = (SOURCE_FILE, SOURCE_PINNED)
#: digits of a fingerprint the column shows at its default width (both ends; the tooltip is whole)
FINGERPRINT_CHARS = 24
#: the widest the Holder column is made to fit its contents
HOLDER_MAX_WIDTH = 240


class _ElideMiddle(QStyledItemDelegate):
    """Cut a fingerprint in the middle, so both ends stay readable."""

    def initStyleOption(self, option: QStyleOptionViewItem,  # noqa: N802 - Qt override
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


def _message(exc: MlopsError) -> str:
    return f"{exc.message} {exc.hint}".strip() if exc.hint else exc.message


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class TrustAnchorsTab(QWidget):
    """The anchors with fingerprint, holder, note and source; add from a public key file (or a
    full fingerprint), remove the selected one, copy its fingerprint."""

    sig_anchors_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trustAnchorsTab")
        self.anchors: list[Anchor] = []
        intro = QLabel("A signature is <b>verified</b> only when its chain of signatures starts at one of these "
                       "keys. Compare a key's full fingerprint with its holder (in person, by phone) before "
                       "adding it. Changes apply at once, as <nobr><code>mlops-desktop trust anchor add|remove</code></nobr>.")
        intro.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setAccessibleName("Trust anchors")
        self.table.setHorizontalHeaderLabels(["Fingerprint (key id)", "Holder", "Note", "Source"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setItemDelegateForColumn(0, _ElideMiddle(self.table))
        # the fingerprint (64 digits) and holder get a bounded width, the source its own, and the
        # note the rest: nothing runs off the right edge; a cut cell's tooltip is the whole text
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setColumnWidth(0, QFontMetrics(monospace_font()).horizontalAdvance("0" * FINGERPRINT_CHARS) + 16)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.empty_label = QLabel("This client holds no trust anchors yet: nothing it verifies can be "
                                  "'verified', only 'unanchored'.")
        self.empty_label.setWordWrap(True)
        self.copy_button = QPushButton("Copy fingerprint")
        self.copy_button.clicked.connect(self.copy_fingerprint)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setAccessibleName("Remove the selected trust anchor")
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        row = QHBoxLayout()
        row.addWidget(self.copy_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)

        self.ref_edit = QLineEdit()
        self.ref_edit.setAccessibleName("Public key file or full fingerprint")
        self.ref_edit.setPlaceholderText("KEYFILE.pub, or the 64-digit fingerprint")
        self.ref_edit.textChanged.connect(self._on_ref_edit_changed)
        browse = QPushButton("Browse…")
        browse.setAccessibleName("Browse for a public key file")
        browse.clicked.connect(self._on_browse_clicked)
        self.browse_button = browse
        ref_row = QHBoxLayout()
        ref_row.addWidget(self.ref_edit, 1)
        ref_row.addWidget(browse)
        self.note_edit = QLineEdit()
        self.note_edit.setAccessibleName("Why this key is trusted")
        self.note_edit.setPlaceholderText("e.g. fingerprint confirmed by phone with Dana, 2026-12-01")
        self.preview = QLabel()
        self.preview.setObjectName("anchorPreview")
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.add_button = QPushButton("Add trust anchor")
        self.add_button.clicked.connect(self.add_from_form)
        key_label = QLabel("&Key:")
        key_label.setBuddy(self.ref_edit)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_button)
        add_row.addStretch(1)
        form = QFormLayout()
        form.addRow(key_label, ref_row)
        form.addRow("&Note:", self.note_edit)
        form.addRow("", self.preview)
        form.addRow("", add_row)
        self.banner = Banner(name="anchorsBanner")
        self.banner.setVisible(False)
        self.file_label = QLabel()
        self.file_label.setWordWrap(True)
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        layout.addLayout(row)
        layout.addLayout(form)
        layout.addWidget(self.banner)
        layout.addWidget(self.file_label)
        self.refresh()
        self._on_ref_edit_changed("")

    # -- the list --------------------------------------------------------------------------

    def refresh(self, select: str | None = None) -> None:
        try:
            self.anchors = list(load_anchors().anchors)
        except MlopsError as exc:
            self.anchors = []
            self.banner.show_message("error", _esc(_message(exc)))
        self.table.setRowCount(len(self.anchors))
        mono = monospace_font()
        for r, anchor in enumerate(self.anchors):
            cells = [anchor.key_id, anchor.identity or "", anchor.note or "", anchor.source]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if c == 0:
                    item.setFont(mono)
                self.table.setItem(r, c, item)
        self.table.resizeColumnToContents(1)
        self.table.setColumnWidth(1, min(self.table.columnWidth(1), HOLDER_MAX_WIDTH))
        self.empty_label.setVisible(not self.anchors)
        self.file_label.setText(f"Kept in {anchors_path()}. This client's own keys (Edit > Signing keys) and "
                                "MLOPS_DESKTOP_TRUST_ANCHORS are anchors too; remove those where they come from.")
        if select is not None:
            row = next((r for r, a in enumerate(self.anchors) if a.key_id == select), -1)
            if row >= 0:
                self.table.selectRow(row)
        self._update_buttons()

    def selected_anchor(self) -> Anchor | None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        return self.anchors[rows.pop()] if len(rows) == 1 else None

    def _update_buttons(self) -> None:
        anchor = self.selected_anchor()
        self.copy_button.setEnabled(anchor is not None)
        removable = anchor is not None and anchor.source in REMOVABLE
        self.remove_button.setEnabled(removable)
        self.remove_button.setToolTip(
            "" if anchor is None or removable else
            f"This anchor comes from {anchor.source}; remove it there "
            "(unset the variable, drop the option, or the key from the key index).")

    def copy_fingerprint(self) -> None:
        anchor = self.selected_anchor()
        if anchor is not None:
            QGuiApplication.clipboard().setText(anchor.key_id)

    # -- add / remove ----------------------------------------------------------------------

    def _on_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Public key to trust", self.ref_edit.text(),
                                              "Public keys (*.pub *.pem);;All files (*)")
        if path:
            self.ref_edit.setText(path)

    def _on_ref_edit_changed(self, text: str) -> None:
        """Show the fingerprint of the key before it is added (or why it cannot be)."""
        ref = text.strip()
        if not ref:
            self.preview.setText("Pick the signer's or administrator's public key file.")
            self.add_button.setEnabled(False)
            return
        try:
            anchor = parse_anchor_ref(ref, SOURCE_FILE)
        except MlopsError as exc:
            self.preview.setText(_message(exc))
            self.add_button.setEnabled(False)
            return
        who = f"{anchor.identity}, " if anchor.identity else ""
        self.preview.setText(f"{who}fingerprint {anchor.key_id}: compare all 64 digits with its holder.")
        self.add_button.setEnabled(True)

    def add_from_form(self) -> Anchor | None:
        """``trust anchor add REF --note NOTE``; the banner says what was added, or why not."""
        try:
            anchor = add_anchor(self.ref_edit.text().strip(), self.note_edit.text().strip() or None)
        except MlopsError as exc:
            self.banner.show_message("error", _esc(f"Not added: {_message(exc)}"))
            return None
        self.banner.show_message("ok", _esc(f"Trust anchor added: {anchor.label()}."))
        self.ref_edit.clear()
        self.note_edit.clear()
        self.refresh(anchor.key_id)
        self.sig_anchors_changed.emit()
        return anchor

    def _on_remove_button_clicked(self) -> None:
        anchor = self.selected_anchor()
        if anchor is not None:
            self.remove(anchor.key_id)

    def remove(self, kid: str) -> Anchor | None:
        """``trust anchor remove KEYID``."""
        try:
            removed = remove_anchor(kid)
        except MlopsError as exc:
            self.banner.show_message("error", _esc(f"Not removed: {_message(exc)}"))
            return None
        self.banner.show_message("ok", _esc(f"Trust anchor removed: {removed.label()}. Signatures that reached "
                                            "this client only through it are now unanchored."))
        self.refresh()
        self.sig_anchors_changed.emit()
        return removed
