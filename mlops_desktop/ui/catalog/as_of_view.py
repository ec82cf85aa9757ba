"""The Models page "as of" a past time: the registry state rebuilt from the journal, read-only,
naming the observation it rests on, with a way back to the live registry."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, Qt, QTimeZone, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.entities import Catalog
from mlops_desktop.services.timeline import AsOfState, AsOfVersion, as_of_job
from mlops_desktop.ui.catalog.column_fit import fit_columns
from mlops_desktop.ui.common.widgets import make_table
from mlops_desktop.ui.common.workers import ErrorSink, TaskSlot
from mlops_desktop.ui.models.base import (
    Column,
    EntityTableModel,
    FilterProxyModel,
    version_sort_key,
)


def _short(text: str | None) -> str:
    return (text or "").replace("T", " ").split(".")[0].removesuffix("Z")


class AsOfVersionsModel(EntityTableModel[AsOfVersion]):
    """Every version of the rebuilt state, by model then version."""

    columns = (
        Column("Model", lambda v: v.model),
        Column("Version", lambda v: v.version, lambda v: version_sort_key(v.version)),
        Column("Stage", lambda v: v.stage if v.stage not in (None, "None") else ""),
        Column("Aliases", lambda v: ", ".join(f"@{a}" for a in v.aliases)),
        Column("Status", lambda v: v.status or ""),
        Column("Run", lambda v: v.run_id or ""),
        Column("Created", lambda v: _short(v.created_at)),
        Column("Last updated", lambda v: _short(v.last_updated_at)),
    )


class AsOfControl(QWidget):
    """The "as of" date control of the Models page: a UTC date and time, Show, and Now."""

    sig_as_of = Signal(object)  # datetime (UTC) or None: back to now

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AsOfControl")
        self.setAccessibleName("Show the registry as of a past time")
        self.check = QCheckBox("As of")
        self.check.setObjectName("asOfCheck")
        self.check.setAccessibleName("As of a past time")
        self.check.setToolTip("Show the registry as the journal recorded it at a past time (read-only)")
        self.edit = QDateTimeEdit()
        self.edit.setObjectName("asOfEdit")
        self.edit.setAccessibleName("As of (UTC)")
        self.edit.setTimeZone(QTimeZone.utc())
        self.edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss 'UTC'")
        self._exact: datetime | None = None  # a time given to set_when, finer than the control shows
        self.edit.setCalendarPopup(True)
        self.edit.setDateTime(QDateTime.currentDateTimeUtc())
        self.edit.setEnabled(False)
        self.edit.dateTimeChanged.connect(self._on_edit_date_time_changed)
        self.check.toggled.connect(self._on_check_toggled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        layout.addWidget(self.edit)

    def when(self) -> datetime | None:
        if not self.check.isChecked():
            return None
        shown = datetime.fromtimestamp(self.edit.dateTime().toSecsSinceEpoch(), tz=UTC)
        if self._exact is not None and int(self._exact.timestamp()) == int(shown.timestamp()):
            return self._exact
        return shown.replace(microsecond=999999)  # the whole second shown

    def set_when(self, when: datetime | None) -> None:
        """Show the state at ``when`` (None: now, the live registry)."""
        if when is not None:
            self._exact = when.astimezone(UTC)
            self.edit.blockSignals(True)
            self.edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(when.timestamp()), QTimeZone.utc()))
            self.edit.blockSignals(False)
        if self.check.isChecked() != (when is not None):
            self.check.setChecked(when is not None)
        else:
            self.sig_as_of.emit(self.when())

    def _on_check_toggled(self, on: bool) -> None:
        self.edit.setEnabled(on)
        self.sig_as_of.emit(self.when())

    def _on_edit_date_time_changed(self, _value: QDateTime) -> None:
        if self.check.isChecked():
            self.sig_as_of.emit(self.when())


class AsOfView(QWidget):
    """What the Models page shows while a past time is chosen."""

    sig_back_to_now = Signal()

    def __init__(self, notifier: ErrorSink | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AsOfView")
        self.setAccessibleName("Registry state as of a past time")
        self.slot = TaskSlot("models-as-of", notifier, self)
        self.state: AsOfState | None = None
        self.banner = QLabel()
        self.banner.setObjectName("asOfBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setStyleSheet("QLabel#asOfBanner { padding: 6px; border: 1px solid palette(mid); "
                                  "background: palette(alternate-base); }")
        self.now_button = QPushButton("Back to now")
        self.now_button.setObjectName("asOfNowButton")
        self.now_button.setAccessibleName("Back to now")
        self.now_button.setToolTip("Show the live registry again")
        self.now_button.clicked.connect(self.sig_back_to_now)
        self.model = AsOfVersionsModel(parent=self)
        self.proxy = FilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.table = make_table(self.proxy)
        self.table.setObjectName("asOfTable")
        self.table.setAccessibleName("Versions as of the chosen time")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.fitter = fit_columns(self.table, ("Model", "Aliases", "Run", "Stage"), {"Run": 280})
        self.empty = QLabel()
        self.empty.setObjectName("asOfEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        head = QHBoxLayout()
        head.addWidget(self.banner, 1)
        head.addWidget(self.now_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.stack, 1)

    def load(self, url: str | None, catalog: Catalog, when: datetime) -> None:
        """Rebuild the state at ``when`` in a worker."""
        self.state = None
        self.banner.setText(f"Registry as of <b>{when:%Y-%m-%d %H:%M:%S} UTC</b> — rebuilding it from the journal…")
        self.model.set_rows([])
        self.empty.setText("Reading the registry journal…")
        self.stack.setCurrentWidget(self.empty)
        self.slot.start(as_of_job, url, catalog, when, label="Registry state as of a past time",
                        on_done=self._on_state_done)

    def _on_state_done(self, state: AsOfState) -> None:
        self.state = state
        when = f"{state.when:%Y-%m-%d %H:%M:%S} UTC"
        if state.empty_reason:
            self.banner.setText(f"Registry as of <b>{when}</b>: <b>no recorded state</b>. Read-only view.")
            self.empty.setText(state.empty_reason)
            self.stack.setCurrentWidget(self.empty)
            return
        rests = "; ".join(
            f"{html.escape(b.store_url.rsplit('/', 1)[-1])}: observation #{b.observation_id} taken "
            f"{html.escape(_short(b.observed_at))} UTC ({html.escape(b.signature_words)})"
            for b in state.basis)
        self.banner.setText(
            f"Registry as of <b>{when}</b>, rebuilt from the journal — read-only. Rests on {rests}. "
            f"{state.models} model{'s' if state.models != 1 else ''}, {len(state.versions)} "
            f"version{'s' if len(state.versions) != 1 else ''}. Anything that changed between that observation "
            "and the chosen time is not known.")
        self.banner.setToolTip("\n".join(f"{b.store_url} — registry {b.registry}, observation #{b.observation_id} "
                                         f"at {b.observed_at}" for b in state.basis))
        self.model.set_rows(state.versions)
        self.stack.setCurrentWidget(self.table)
        if not state.versions:
            self.empty.setText("The journal recorded no model version at that time.")
            self.stack.setCurrentWidget(self.empty)

    def set_filter_text(self, text: str) -> None:
        self.proxy.set_filter_text(text)

    def shutdown(self) -> None:
        self.slot.shutdown()
