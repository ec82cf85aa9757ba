"""Pieces of the keys dialogs: the passphrase pair with its strength meter, the fingerprint field."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
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
from mlops_desktop.ui.common.workers import TaskSlot

#: Passphrases up to this length are judged in the UI thread (zxcvbn: under 30 ms); longer ones in a worker.
SYNC_MAX_LENGTH = 32
DEBOUNCE_MS = 200
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
        #: long passphrases are judged in a worker (zxcvbn can take a second on 70 random characters)
        self.slot = TaskSlot("passphrase-estimate", None, self)
        self.pending = False
        self._cache: dict[tuple[str, tuple[str, ...]], PassphraseEstimate] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._start_estimate)
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
        if self.pending:
            return "The passphrase is still being judged; a moment."
        if self.estimate.weakness:
            return f"The passphrase is {self.estimate.weakness}."
        if self.second.text() != self.first.text():
            return "The two passphrases differ."
        return ""

    def is_acceptable(self) -> bool:
        return not self.problem()

    def _key(self) -> tuple[str, tuple[str, ...]]:
        return self.first.text(), tuple(self._known_words())

    def refresh(self) -> None:
        """Judge the passphrase: at once when short, else in a worker shortly after typing stops."""
        key = self._key()
        cached = self._cache.get(key)
        if cached is None and len(key[0]) <= SYNC_MAX_LENGTH:
            cached = estimate_passphrase(*key)
            self._remember(key, cached)
        if cached is not None:
            self._timer.stop()
            self.pending = False
            self.estimate = cached
        else:
            self.pending = True
            self._timer.start()
        self._show()

    def _remember(self, key: tuple[str, tuple[str, ...]], estimate: PassphraseEstimate) -> None:
        if len(self._cache) >= 64:
            self._cache.clear()
        self._cache[key] = estimate

    def _start_estimate(self) -> None:
        key = self._key()

        def on_done(estimate: PassphraseEstimate) -> None:
            self._on_estimated(key, estimate)

        self.slot.start(_estimate_job, key, label="Judging the passphrase", on_done=on_done)

    def _on_estimated(self, key: tuple[str, tuple[str, ...]], estimate: PassphraseEstimate) -> None:
        self._remember(key, estimate)
        if key == self._key():
            self.pending = False
            self.estimate = estimate
            self._show()

    def _show(self) -> None:
        typed = self.first.text()
        word = SCORE_WORDS[max(0, min(4, self.estimate.score))]
        tries = f"about 10^{int(self.estimate.guesses_log10)} guesses"
        if self.pending:
            text = "Judging the passphrase…"
        elif not typed:
            text = "Not yet typed. The key file is encrypted with it (scrypt); nobody can recover a lost one."
        elif self.estimate.weakness:
            hint = " ".join(self.estimate.suggestions)
            text = f"Not accepted: {self.estimate.weakness}." + (f" {hint}" if hint else "")
        elif self.second.text() != self.first.text():
            text = f"{word.capitalize()} ({tries}). Repeat it above."
        else:
            text = f"{word.capitalize()} ({tries}); the two match."
        self.verdict.setText(text)
        self.meter.setValue(self.estimate.score if typed and not self.pending else 0)
        palette = self.meter.palette()
        palette.setColor(QPalette.ColorRole.Highlight, ok_color(self.estimate.weakness is None))
        self.meter.setPalette(palette)
        self.meter.setAccessibleDescription(word if typed else "empty")
        self.sig_changed.emit()

    def shutdown(self, timeout: float = 5.0) -> bool:
        self._timer.stop()
        self._cache.clear()
        return self.slot.shutdown(timeout)


def _estimate_job(key: tuple[str, tuple[str, ...]], progress: object = None,  # noqa: ARG001
                  is_cancelled: object = None) -> PassphraseEstimate:  # noqa: ARG001
    return estimate_passphrase(key[0], key[1])
