"""Pieces of the keys dialogs: the passphrase pair with its strength meter, the fingerprint field."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.services.keys import PassphraseEstimate, estimate_passphrase
from mlops_desktop.ui.common.status import monospace_font, ok_color

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


class PassphrasePair(QObject):
    """New passphrase, repeated, with zxcvbn's strength meter and the rule a new key file
    must meet (:func:`mlops_desktop.governance.keys.estimate_passphrase`). :meth:`add_to` puts
    its rows into the dialog's form, so every label lines up."""

    sig_changed = Signal()

    def __init__(self, known_words: Callable[[], list[str]] = list, parent: QObject | None = None) -> None:
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
        self.meter.setFixedHeight(10)
        self.verdict = QLabel()
        self.verdict.setObjectName("passphraseVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.first.textChanged.connect(self.refresh)
        self.second.textChanged.connect(self.refresh)
        self.refresh()

    def add_to(self, form: QFormLayout) -> None:
        first_label = QLabel("New &passphrase:")
        first_label.setBuddy(self.first)
        second_label = QLabel("&Repeat it:")
        second_label.setBuddy(self.second)
        strength = QVBoxLayout()
        strength.setSpacing(4)
        strength.addWidget(self.meter)
        strength.addWidget(self.verdict)
        form.addRow(first_label, self.first)
        form.addRow(second_label, self.second)
        form.addRow("Strength:", strength)

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
        typed = self.first.text()
        self.estimate = estimate_passphrase(typed, self._known_words())
        self.meter.setValue(self.estimate.score if typed else 0)
        word = SCORE_WORDS[max(0, min(4, self.estimate.score))]
        tries = f"about 10^{int(self.estimate.guesses_log10)} guesses"
        if not typed:
            text = "Not yet typed. The key file is encrypted with it (scrypt); nobody can recover a lost one."
        elif self.estimate.weakness:
            hint = " ".join(self.estimate.suggestions)
            text = f"Not accepted: {self.estimate.weakness}." + (f" {hint}" if hint else "")
        elif self.second.text() != self.first.text():
            text = f"{word.capitalize()} ({tries}). Repeat it above."
        else:
            text = f"{word.capitalize()} ({tries}); the two match."
        self.verdict.setText(text)
        palette = self.meter.palette()
        palette.setColor(QPalette.ColorRole.Highlight, ok_color(self.estimate.weakness is None))
        self.meter.setPalette(palette)
        self.meter.setAccessibleDescription(word if typed else "empty")
        self.sig_changed.emit()
