"""The verdict line of the Approvals and Audit log pages, in the words ``verify`` prints.

"verified" only when the chain of signatures reaches a trust anchor of this computer;
otherwise the unanchored verdict with the key's full fingerprint, and a "Trust this key"
button that adds it to this computer's anchors file after a confirmation explaining that the
fingerprint must first be compared with its holder's.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from mlops_desktop.core.errors import MlopsError

_UNANCHORED = re.compile(r"^unanchored: signed by key ([0-9a-f]{64}) claiming (.*?); compare the fingerprint")


def unanchored_key(verdict: str) -> tuple[str, str] | None:
    """``(key id, claimed identity)`` of an unanchored verdict, else None."""
    m = _UNANCHORED.match(verdict)
    return (m.group(1), m.group(2)) if m else None


def trust_key_explanation(key_id: str, identity: str) -> str:
    """What the confirmation says before a key becomes a trust anchor of this computer."""
    return (f"The governance store says this key belongs to {identity}, but anyone can write that.\n\n"
            f"Fingerprint:\n{key_id}\n\n"
            f"Compare it, all 64 characters, with the fingerprint {identity} reads out to you in person or by "
            "phone (their 'mlops-desktop keys list' shows it). Only if they match, trust the key: from then on "
            "this computer counts what the key signs, and what administrators it vouches for sign, as verified.")


def ask_to_trust(parent: QWidget | None, key_id: str, identity: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Warning, "Trust this key?", trust_key_explanation(key_id, identity),
                      QMessageBox.StandardButton.Cancel, parent)
    box.setObjectName("trustKeyConfirm")
    yes = box.addButton("Fingerprints match: trust this key", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is yes


class VerdictBar(QWidget):
    """One line: the verdict, and "Trust this key" for an unanchored one."""

    sig_anchor_added = Signal(str)  # key id

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName("Trust verdict")
        self.verdict = ""
        self.key: tuple[str, str] | None = None
        #: Asks the user to confirm (replaced in tests); returns True to trust the key.
        self.confirm: Callable[[QWidget | None, str, str], bool] = ask_to_trust
        self.label = QLabel()
        self.label.setObjectName(f"{name}Text")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.trust_button = QPushButton("Trust this key…")
        self.trust_button.setObjectName(f"{name}TrustButton")
        self.trust_button.setToolTip("Add this key to this computer's trust anchors, after comparing its "
                                     "fingerprint with its holder's")
        self.trust_button.clicked.connect(self._on_trust_button_clicked)
        self.trust_button.setVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.trust_button, 0, Qt.AlignmentFlag.AlignTop)
        self.setVisible(False)

    def set_verdict(self, verdict: str) -> None:
        self.verdict = verdict
        self.key = unanchored_key(verdict)
        if verdict == "verified":
            text = "<b>Verdict: verified</b> — every signature's chain reaches a trust anchor of this computer."
        elif self.key is not None:
            text = f"<b>Verdict:</b> <code>{html.escape(verdict)}</code>"
        else:
            text = f"<b>Verdict: {html.escape(verdict)}</b>"
        self.label.setText(text)
        self.label.setAccessibleName(f"Verdict: {verdict}")
        self.trust_button.setVisible(self.key is not None)
        self.setVisible(bool(verdict))

    def _on_trust_button_clicked(self) -> None:
        if self.key is None:
            return
        key_id, identity = self.key
        if not self.confirm(self, key_id, identity):
            return
        from mlops_desktop.governance.anchors import add_anchor

        try:
            add_anchor(key_id, f"trusted on the governance pages; claimed identity {identity}", identity=identity)
        except MlopsError as exc:
            QMessageBox.warning(self, "Trust this key", exc.message)
            return
        self.sig_anchor_added.emit(key_id)
