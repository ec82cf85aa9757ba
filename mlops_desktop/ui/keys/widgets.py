"""Pieces of the keys dialogs: the passphrase pair with its strength meter, the fingerprint field."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QWidget,
)

from mlops_desktop.services.keys import PassphraseEstimate, estimate_passphrase
from mlops_desktop.ui.common.status import monospace_font

#: zxcvbn score -> what the meter says
SCORE_WORDS = ("very weak", "weak", "fair", "strong", "very strong")


class FingerprintField(QWidget):
    """A full key fingerprint (64 hex digits), selectable, with a Copy button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setReadOnly(True)
        self.edit.setFont(monospace_font())
        self.edit.setAccessibleName("Fingerprint (key id)")
        self.edit.setToolTip("The SHA-256 of the key's DER SubjectPublicKeyInfo. Compare all 64 digits.")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setAccessibleName("Copy the fingerprint")
        self.copy_button.clicked.connect(self.copy)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.copy_button)
        self.set_fingerprint("")

    def set_fingerprint(self, fingerprint: str) -> None:
        self.edit.setText(fingerprint)
        self.edit.setCursorPosition(0)
        self.copy_button.setEnabled(bool(fingerprint))
        width = self.edit.fontMetrics().horizontalAdvance("0" * 66)
        self.edit.setMinimumWidth(width)

    def fingerprint(self) -> str:
        return self.edit.text()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.edit.text())


class PassphrasePair(QWidget):
    """New passphrase, repeated, with zxcvbn's strength meter and the rule a new key file
    must meet (:func:`mlops_desktop.governance.keys.estimate_passphrase`)."""

    sig_changed = Signal()

    def __init__(self, known_words: Callable[[], list[str]] = list, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._known_words = known_words
        self.estimate: PassphraseEstimate = estimate_passphrase("")
        self.first = QLineEdit()
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.first.setAccessibleName("New passphrase")
        self.first.setPlaceholderText("four or more unrelated words")
        self.second = QLineEdit()
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        self.second.setAccessibleName("Repeat the passphrase")
        self.meter = QProgressBar()
        self.meter.setRange(0, 4)
        self.meter.setTextVisible(False)
        self.meter.setAccessibleName("Passphrase strength")
        self.meter.setMaximumHeight(10)
        self.verdict = QLabel()
        self.verdict.setObjectName("passphraseVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("New &passphrase:", self.first)
        form.addRow("&Repeat it:", self.second)
        form.addRow("Strength:", self.meter)
        form.addRow("", self.verdict)
        self.first.textChanged.connect(self.refresh)
        self.second.textChanged.connect(self.refresh)
        self.refresh()

    def passphrase(self) -> str:
        return self.first.text()

    def problem(self) -> str:
        """Why the passphrase cannot be used ("" when it can)."""
        if self.estimate.weakness:
            return f"The passphrase is {self.estimate.weakness}."
        if self.second.text() != self.first.text():
            return "The two passphrases differ."
        return ""

    def is_acceptable(self) -> bool:
        return not self.problem()

    def refresh(self) -> None:
        self.estimate = estimate_passphrase(self.first.text(), self._known_words())
        self.meter.setValue(self.estimate.score if self.first.text() else 0)
        word = SCORE_WORDS[max(0, min(4, self.estimate.score))]
        if not self.first.text():
            text = "Not yet typed. The key file is encrypted with it (scrypt); nobody can recover a lost one."
        elif self.estimate.weakness:
            hint = " ".join(self.estimate.suggestions)
            text = f"{word.capitalize()}: {self.estimate.weakness}." + (f" {hint}" if hint else "")
        elif self.second.text() != self.first.text():
            text = f"{word.capitalize()} (about 10^{int(self.estimate.guesses_log10)} guesses). Repeat it below."
        else:
            text = f"{word.capitalize()} (about 10^{int(self.estimate.guesses_log10)} guesses)."
        self.verdict.setText(text)
        self.meter.setAccessibleDescription(word)
        self.sig_changed.emit()
