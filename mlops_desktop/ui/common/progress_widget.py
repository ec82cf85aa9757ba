"""Status-bar progress for background tasks, with a Cancel button."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from mlops_desktop.ui.common.workers import TaskSlot


class TaskProgressWidget(QWidget):
    """Follows any number of task slots; shows the most recently started running one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TaskProgressWidget")
        self.setAccessibleName("Background task progress")
        self._slots: list[TaskSlot] = []
        self._active: list[TaskSlot] = []
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(180)
        self.bar.setMaximumHeight(16)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop this task")
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.setVisible(False)

    def watch(self, slot: TaskSlot) -> None:
        self._slots.append(slot)
        slot.sig_started.connect(lambda label, s=slot: self._on_slot_started(s, label))
        slot.sig_progress.connect(lambda d, t, m, s=slot: self._on_slot_progress(s, d, t, m))
        slot.sig_finished.connect(lambda s=slot: self._on_slot_finished(s))

    @property
    def active_slot(self) -> TaskSlot | None:
        return self._active[-1] if self._active else None

    def _on_slot_started(self, slot: TaskSlot, label: str) -> None:
        if slot in self._active:
            self._active.remove(slot)
        self._active.append(slot)
        self.label.setText(label)
        self.bar.setRange(0, 0)  # busy until the first progress report
        self.setVisible(True)

    def _on_slot_progress(self, slot: TaskSlot, done: int, total: int, message: str) -> None:
        if slot is not self.active_slot:
            return
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
        else:
            self.bar.setRange(0, 0)
        if message:
            self.label.setText(message)

    def _on_slot_finished(self, slot: TaskSlot) -> None:
        if slot in self._active and not slot.is_running():
            self._active.remove(slot)
        if not self._active:
            self.setVisible(False)
        else:
            self.label.setText(self._active[-1].current.label if self._active[-1].current else "")

    def _on_cancel_button_clicked(self) -> None:
        slot = self.active_slot
        if slot is not None:
            slot.cancel()
