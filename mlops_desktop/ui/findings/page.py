"""The Findings page: every finding with severity, rule, object, explanation and remediation;
filters by severity, rule and text; double-click goes to the object; copy and CSV export.

The findings are computed in a worker (:func:`mlops_desktop.services.governance_status.
load_findings`, the same evaluation as ``mlops-desktop findings``) whenever the stores or the
governance store change, and again on request.
"""

from __future__ import annotations

import csv
import functools
import heapq
import html
import io
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QKeyEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.findings import SEVERITIES, Finding
from mlops_desktop.core.progress import CancelledFn, ProgressFn, check_cancelled
from mlops_desktop.services.governance_status import FindingsResult, load_findings
from mlops_desktop.services.settings import VerificationSettings
from mlops_desktop.sources.base import redact
from mlops_desktop.ui.common.roles import ENTITY_ROLE
from mlops_desktop.ui.common.status import status_color
from mlops_desktop.ui.common.unverified import unverified_snapshot_advice
from mlops_desktop.ui.common.widgets import Banner, FilterBar, make_table
from mlops_desktop.ui.common.workers import ErrorSink, TaskSlot
from mlops_desktop.ui.models.base import Column, EntityTableModel

if TYPE_CHECKING:
    from mlops_desktop.ui.common.host import PageHost

#: The CSV header (``findings --format json`` field names).
CSV_COLUMNS = ("key", "id", "severity", "rule", "object", "object_kind", "evidence", "remediation")

NO_STORE_TEXT = "<h3>No store open</h3><p>Open a store (File &gt; Open store…, Ctrl+O) to check it for findings.</p>"
COMPUTING_TEXT = "<h3>Checking the open stores…</h3><p>The findings appear when every rule has been evaluated.</p>"
NO_FINDINGS_TEXT = ("<h3>No findings</h3><p>Every rule of the catalogue passes on the open stores"
                    " (the same check as <code>mlops-desktop findings</code>).</p>")
NO_MATCH_TEXT = "<h3>No finding matches the filters</h3><p>Clear the text or choose another severity or rule.</p>"

#: Severity -> the status whose colour it is drawn in (red, orange, amber, blue, grey).
_SEVERITY_STATUS = {"critical": "invalid", "high": "untrusted", "medium": "evidence_changed",
                    "low": "other_registry", "info": "expired"}


def severity_color(severity: str) -> QColor:
    return status_color(_SEVERITY_STATUS.get(severity, "expired"))


def _short_url(url: str) -> str:
    """A governance store's file name, or its server and database (the full URL is in the tooltip)."""
    url = redact(url)
    if "://" in url and not url.split("://", 1)[0].endswith("sqlite"):
        return url.split("://", 1)[1].split("@")[-1]
    return url.rstrip("/").rsplit("/", 1)[-1]


def _rule(f: Finding) -> str:
    return f"{f.id} {f.rule}"


#: findings table: room around a cell's text, the object column's cap and floor, and the least
#: an explanation or a remediation column gets
_CELL_PAD = 16
_MAX_OBJECT = 300
_MIN_OBJECT = 120
#: Object texts measured for the column's width: the longest by characters
_OBJECT_SAMPLE = 24
_MIN_TEXT = 160


def _rule_number(f: Finding) -> int:
    return int(f.id[1:]) if f.id[1:].isdigit() else 0


class FindingsModel(EntityTableModel[Finding]):
    columns = (
        Column("Severity", lambda f: f.severity, lambda f: f.sort_key),
        Column("Rule", _rule, lambda f: (_rule_number(f), f.sort_key),
               tooltip=lambda f: f"{_rule(f)}\nKey {f.key}"),
        Column("Object", lambda f: f.object, tooltip=lambda f: f"{f.object}\nDouble-click to show it"),
        Column("Explanation", lambda f: f.evidence, tooltip=lambda f: f.evidence),
        Column("Remediation", lambda f: f.remediation, tooltip=lambda f: f.remediation),
    )

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and index.column() == 0 and index.row() < len(self.rows):
            if role == Qt.ItemDataRole.ForegroundRole:
                return severity_color(self.rows[index.row()].severity)
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
        return super().data(index, role)


def findings_csv(findings: list[Finding]) -> str:
    """The findings as CSV (``CSV_COLUMNS``), one row each, in the order given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for f in findings:
        writer.writerow([f.key, f.id, f.severity, f.rule, f.object, f.object_kind, f.evidence, f.remediation])
    return out.getvalue()


def finding_html(f: Finding) -> str:
    e = html.escape
    colour = severity_color(f.severity).name()
    rows = [("Object", f.object), ("Explanation", f.evidence), ("Remediation", f.remediation), ("Key", f.key)]
    if f.approvals:
        rows.append(("Decisions cited", ", ".join(f.approvals)))
    table = "".join(f"<tr><td valign='top'><b>{e(k)}</b>&nbsp;&nbsp;</td><td>{e(v)}</td></tr>" for k, v in rows)
    return (f"<h3><span style='color:{colour}'>{e(f.severity.upper())}</span> &nbsp;{e(f.id)} {e(f.rule)}</h3>"
            f"<table cellspacing='3'>{table}</table>")


@dataclass(slots=True)
class PreparedFindings:
    """The findings and what the table needs of them, computed in the worker."""

    result: FindingsResult
    rows: list[Finding]  # in the table's default order (severity, rule, object)
    severities: Counter[str]
    rules: Counter[str]
    rule_names: dict[str, str]  # rule id -> "F1 title", in rule-number order


class SharedFindings:
    """The findings another page is computing for the same stores, handed to this page's worker
    (the Models page evaluates every rule for its Findings column: evaluating them a second time
    at once doubled the work that keeps the window waiting)."""

    def __init__(self) -> None:
        self._given = threading.Event()
        self.result: FindingsResult | None = None

    def give(self, result: FindingsResult | None) -> None:
        """The other page's findings, or None when it ended without them (this page computes its own)."""
        self.result = result
        self._given.set()

    def wait(self, is_cancelled: CancelledFn) -> FindingsResult | None:
        while not self._given.wait(0.05):
            check_cancelled(is_cancelled)
        return self.result


#: gives the SharedFindings of a page computing these (url, catalog, settings)' findings, or None
FindingsSource = Callable[[str | None, Catalog, VerificationSettings], SharedFindings | None]


def findings_job(
    url: str | None, catalog: Catalog, settings: VerificationSettings, shared: SharedFindings | None = None, *,
    progress: ProgressFn, is_cancelled: CancelledFn,
) -> PreparedFindings:
    """Worker function: :func:`load_findings` (or the ``shared`` findings another page computed),
    then the table's order and counts (so a big catalogue's findings cost the UI thread one model
    reset). The filter's texts are made when a filter is first typed (:func:`finding_texts`)."""
    result = shared.wait(is_cancelled) if shared is not None else None
    if result is None:
        result = load_findings(url, catalog, settings, progress=progress, is_cancelled=is_cancelled)
    rows = sorted(result.findings, key=lambda f: f.sort_key)
    check_cancelled(is_cancelled)
    return PreparedFindings(result, rows, Counter(f.severity for f in rows), Counter(f.id for f in rows),
                            rule_names(rows))


def finding_texts(rows: Sequence[Finding], *, progress: ProgressFn, is_cancelled: CancelledFn) -> list[str]:
    """Worker function: each finding's filter text (:meth:`EntityTableModel.search_text`), made
    when a filter is first typed: 59,000 findings' texts take 22 MB, held only once asked for."""
    texts = []
    for i, f in enumerate(rows):
        if i % 2000 == 0:
            check_cancelled(is_cancelled)
            progress(i, len(rows), "Preparing the filter")
        texts.append("\x1f".join(col.display(f) for col in FindingsModel.columns).casefold())
    return texts


def rule_names(findings: list[Finding]) -> dict[str, str]:
    """Rule id -> "F1 title" of every rule with a finding, in rule-number order."""
    first: dict[str, Finding] = {}
    for f in findings:
        first.setdefault(f.id, f)
    return {rule_id: _rule(f) for rule_id, f in sorted(first.items(), key=lambda i: (_rule_number(i[1]), i[0]))}


class FindingsView(QWidget):
    sig_open_object = Signal(str)  # models:/name/version, dataset:name@digest, audit-log
    sig_loaded = Signal(object)  # FindingsResult

    def __init__(self, notifier: ErrorSink | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("FindingsView")
        self.setAccessibleName("Findings page")
        self.notifier = notifier
        self.slot = TaskSlot("findings", None, self)
        self.texts_slot = TaskSlot("findings-texts", None, self)  # the filter's texts, when first needed
        self.catalog = Catalog()
        self.governance_url_source: Callable[[], str | None] = lambda: None
        self.verification_source: Callable[[], VerificationSettings] = VerificationSettings
        #: findings being computed elsewhere for the same stores (the Models page), used instead of computing them again
        self.findings_source: FindingsSource = lambda _url, _catalog, _settings: None
        self.result: FindingsResult | None = None
        self._severity_counts: Counter[str] = Counter()
        self._stale = False

        self.filter_bar = FilterBar("Filter findings: rule, object, explanation, remediation…  (Ctrl+F)", "findings")
        self.severity_combo = QComboBox()
        self.severity_combo.setObjectName("severityFilter")
        self.severity_combo.setAccessibleName("Filter by severity")
        self.severity_combo.addItem("Every severity", None)
        for s in SEVERITIES:
            self.severity_combo.addItem(s, s)
        self.rule_combo = QComboBox()
        self.rule_combo.setObjectName("ruleFilter")
        self.rule_combo.setAccessibleName("Filter by rule")
        self.rule_combo.setMinimumWidth(200)
        self.rule_combo.setMaximumWidth(320)
        self.rule_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.rule_combo.addItem("Every rule", None)
        self.refresh_button = QPushButton("Check again")
        self.refresh_button.setObjectName("findingsRefresh")
        self.refresh_button.setToolTip("Evaluate every rule again on the open stores and the governance store")
        self.refresh_button.clicked.connect(self.refresh)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setObjectName("findingsCopy")
        self.copy_button.setToolTip("Copy the selected finding (or every finding shown) as CSV (Ctrl+C)")
        self.copy_button.clicked.connect(self.copy_selected)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setObjectName("findingsExport")
        self.export_button.setToolTip("Write the findings shown (filters applied) to a CSV file")
        self.export_button.clicked.connect(self._on_export_button_clicked)
        top = QHBoxLayout()
        top.addWidget(self.filter_bar, 1)
        top.addWidget(self.severity_combo)
        top.addWidget(self.rule_combo)

        self.banner = Banner(name="findingsBanner")
        self.banner.setVisible(False)

        #: Every finding (default order) with its filter text (None until a filter is first typed);
        #: the model holds the ones shown: the filters run over these lists (a proxy model would call
        #: Python once per row and filter).
        self.all_findings: list[Finding] = []
        self._texts: list[str] | None = None
        self.model = FindingsModel(parent=self)
        self.proxy = self.model  # the rows shown, in the table's order
        self.table = make_table(self.model)
        self.table.setObjectName("findingsTable")
        self.table.setAccessibleName("Findings")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((76, 220, 275, 290)):
            self.table.setColumnWidth(col, width)
        # the rule (id and name) is what people scan: fitted to its longest text, the object too
        # (capped), and explanation and remediation share the rest, cut with the whole text as
        # tooltip (the details pane below shows all of it); refitted when the rows or the width change
        self._fitted_for: tuple[int, int] | None = None
        self._needs: tuple[int, int, int] | None = None  # Severity, Rule, Object widths of these rows
        self.model.modelReset.connect(self._forget_needs)
        self.table.viewport().installEventFilter(self)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.table.installEventFilter(self)  # Ctrl+C copies whole findings, not the current cell

        self.details = QTextBrowser()
        self.details.setObjectName("findingDetails")
        self.details.setAccessibleName("Finding details")
        self.details.setOpenLinks(False)
        self.empty_label = QLabel(NO_STORE_TEXT)
        self.empty_label.setObjectName("findingsEmpty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.table)
        self.split.addWidget(self.details)
        self.split.setSizes([520, 130])
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.split)
        self.status = QLabel()
        self.status.setObjectName("findingsStatus")
        self.status.setWordWrap(True)

        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        for b in (self.refresh_button, self.copy_button, self.export_button):
            bottom.addWidget(b)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        layout.addLayout(bottom)

        self.filter_bar.edit.textChanged.connect(self._on_filter_changed)
        self.severity_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.rule_combo.currentIndexChanged.connect(self._on_filter_changed)
        self._show_details(None)
        self._update_state()

    # -- data ------------------------------------------------------------------------------

    def set_catalog(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.refresh()

    def mark_stale(self, *_args: object) -> None:
        """The decisions changed (one was just signed): evaluate again, now if shown, else when shown."""
        self._stale = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._stale and not self.slot.is_running():
            self.refresh()

    def refresh(self) -> None:
        """Evaluate every rule on the open stores in a worker (nothing when none is open)."""
        self.slot.cancel()
        self._stale = False
        self.banner.setVisible(False)
        if not self.catalog.stores:
            self.result = None
            self._severity_counts = Counter()
            self.all_findings, self._texts = [], None
            self.model.set_rows([])
            self._fill_rule_combo({}, Counter())
            self._update_state()
            return
        self._set_busy(True)
        url, settings = self.governance_url_source(), self.verification_source()
        self.slot.start(findings_job, url, self.catalog, settings, self.findings_source(url, self.catalog, settings),
                        label="Checking for findings", on_done=self._on_findings_done,
                        on_error=self._on_findings_error)
        self._update_state()

    def is_running(self) -> bool:
        return self.slot.is_running()

    def _set_busy(self, busy: bool) -> None:
        self.refresh_button.setEnabled(not busy)

    def _on_findings_done(self, prepared: PreparedFindings) -> None:
        self._set_busy(False)
        result = prepared.result
        self.result = result
        self._severity_counts = prepared.severities
        selected = [f.key for f in self.selected_findings(fallback=False)]
        self.texts_slot.cancel()
        self.all_findings, self._texts = prepared.rows, None
        self._fill_rule_combo(prepared.rule_names, prepared.rules)
        self._on_filter_changed()
        if selected:
            self.select_finding(selected[0])
        if result.note:
            self.banner.show_message("warning", html.escape(result.note))
        self.sig_loaded.emit(result)

    def _on_findings_error(self, exc: BaseException) -> bool:
        self._set_busy(False)
        self.result = None
        self.all_findings, self._texts = [], None
        self.model.set_rows([])
        self._update_state()
        advice = unverified_snapshot_advice(exc, "Findings not computed", self.refresh_button.text())
        if advice is not None:  # the window's own words, not the command line's --allow-unverified
            self.banner.show_message("error", advice)
            return True
        if isinstance(exc, MlopsError):
            self.banner.show_message("error", f"<b>Findings not computed:</b> {html.escape(exc.message)}"
                                     + (f"<br>{html.escape(exc.hint)}" if exc.hint else ""))
            return True
        self.banner.show_message("error", f"Findings not computed: internal error ({type(exc).__name__}).")
        if self.notifier is not None:
            self.notifier.show_error(exc)
            return True
        return False

    def _fill_rule_combo(self, names: dict[str, str], counts: Counter[str]) -> None:
        current = self.rule_combo.currentData()
        self.rule_combo.blockSignals(True)
        self.rule_combo.clear()
        self.rule_combo.addItem("Every rule", None)
        for rule_id, name in names.items():
            self.rule_combo.addItem(f"{name} ({counts[rule_id]})", rule_id)
            self.rule_combo.setItemData(self.rule_combo.count() - 1, name, Qt.ItemDataRole.ToolTipRole)
        index = self.rule_combo.findData(current) if current else 0
        self.rule_combo.setCurrentIndex(max(index, 0))
        self.rule_combo.blockSignals(False)

    # -- filters -----------------------------------------------------------------------------

    def set_severity(self, severity: str | None) -> None:
        self.severity_combo.setCurrentIndex(max(self.severity_combo.findData(severity), 0))

    def set_rule(self, rule_id: str | None) -> None:
        self.rule_combo.setCurrentIndex(max(self.rule_combo.findData(rule_id), 0))

    def _on_filter_changed(self, *_args: object) -> None:
        needle = self.filter_bar.edit.text().strip().casefold()
        severity, rule = self.severity_combo.currentData(), self.rule_combo.currentData()
        texts = self._texts
        if needle and texts is None:  # the texts are made once, in a worker; the filter then applies
            if not self.texts_slot.is_running():
                self.texts_slot.start(finding_texts, self.all_findings, label="Preparing the findings filter",
                                      on_done=functools.partial(self._on_texts_made, self.all_findings))
            self.filter_bar.count.setText("Preparing the filter…")
            return
        rows = zip(self.all_findings, texts, strict=True) if needle and texts is not None else \
            ((f, "") for f in self.all_findings)
        shown = self.all_findings if not (needle or severity or rule) else [
            f for f, text in rows
            if (severity is None or f.severity == severity) and (rule is None or f.id == rule)
            and (not needle or needle in text)]
        # the lists are in the default order: the model keeps its rows sorted as the header says
        self.model.set_rows(shown, sorted_by=(0, Qt.SortOrder.AscendingOrder))
        self._fitted_for = None
        self.fit_columns()
        self._update_state()
        if not self.selected_findings(fallback=False):
            self._show_details(None)

    def _update_state(self) -> None:
        shown, total = self.model.rowCount(), len(self.all_findings)
        self.filter_bar.set_count(shown, total)
        running = self.slot.is_running()
        for b in (self.copy_button, self.export_button):
            b.setEnabled(shown > 0)
        if shown:
            self.stack.setCurrentWidget(self.split)
        else:
            if running and not total:
                text = COMPUTING_TEXT
            elif not self.catalog.stores:
                text = NO_STORE_TEXT
            elif total:
                text = NO_MATCH_TEXT
            elif self.result is not None:
                text = NO_FINDINGS_TEXT
            else:
                text = "<h3>No findings computed</h3><p>Press <b>Check again</b>.</p>"
            self.empty_label.setText(text)
            self.stack.setCurrentWidget(self.empty_label)
        if running:
            self.status.setText("Checking the open stores for findings…")
        elif self.result is not None:
            summary = ", ".join(f"{self._severity_counts[s]} {s}" for s in SEVERITIES if self._severity_counts[s])
            url = self.result.governance_url
            where = f"decisions from {_short_url(url)}" if url else "no governance store"
            self.status.setToolTip(f"Governance store: {redact(url)}" if url else "")
            self.status.setText(f"{total} finding{'s' if total != 1 else ''}"
                                + (f" ({summary})" if summary else "") + f"; {where}. "
                                "Double-click a finding to show its object.")
        else:
            self.status.setText("")

    # -- rows ----------------------------------------------------------------------------------

    def visible_findings(self) -> list[Finding]:
        """The findings shown, in the table's order."""
        return list(self.model.rows)

    def selected_findings(self, fallback: bool = True) -> list[Finding]:
        """The selected findings (with ``fallback``, every finding shown when none is selected)."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        chosen = [self.model.entity(r) for r in rows]
        return chosen or (self.visible_findings() if fallback else [])

    def select_finding(self, key: str) -> bool:
        for r, f in enumerate(self.model.rows):
            if f.key == key:
                self.table.selectRow(r)
                self.table.scrollTo(self.model.index(r, 0))
                return True
        return False

    def copy_selected(self) -> str:
        """Copy the selected finding (or every finding shown) to the clipboard as CSV."""
        text = findings_csv(self.selected_findings())
        QApplication.clipboard().setText(text)
        return text

    def export_csv(self, path: str) -> int:
        """Write the findings shown to ``path`` as CSV; returns how many."""
        shown = self.visible_findings()
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(findings_csv(shown))
        return len(shown)

    def _on_export_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export findings", "findings.csv", "CSV files (*.csv)")
        if not path:
            return
        try:
            n = self.export_csv(path)
        except OSError as exc:
            self.banner.show_message("error", f"<b>Not exported:</b> {html.escape(str(exc))}<br>"
                                     "Choose a folder you can write to.")
            return
        self.banner.show_message("ok", f"Exported {n} finding{'s' if n != 1 else ''} to {html.escape(path)}")

    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        finding = index.data(ENTITY_ROLE)
        if finding is not None:
            self.sig_open_object.emit(finding.object)

    def _on_table_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        chosen = self.selected_findings(fallback=False)
        self._show_details(chosen[0] if chosen else None)

    def _show_details(self, finding: Finding | None) -> None:
        if finding is None:
            self.details.setHtml("<p><i>Select a finding to read its explanation and remediation; "
                                 "double-click it to show its object.</i></p>")
            return
        self.details.setHtml(finding_html(finding))

    def _forget_needs(self) -> None:
        self._needs = None

    def _column_needs(self) -> tuple[int, int, int]:
        """The widths Severity, Rule and Object need for the model's rows (measured once per set of
        rows; a resize only shares the width again). Object is measured on its longest texts by
        length (60,000 findings hold 28,000 objects: measuring each held the UI thread 100 ms)."""
        if self._needs is None:
            metrics = self.table.fontMetrics()
            header = self.table.horizontalHeader()

            def need(col: int, texts: Iterable[str]) -> int:
                heading = header.fontMetrics().horizontalAdvance(
                    str(self.model.headerData(col, Qt.Orientation.Horizontal)))
                return max([heading + 24, *(metrics.horizontalAdvance(t) + _CELL_PAD for t in texts)])

            rows = self.model.rows
            objects = heapq.nlargest(_OBJECT_SAMPLE, {f.object for f in rows}, key=len)
            self._needs = (max(76, need(0, {f.severity for f in rows})), need(1, {_rule(f) for f in rows}),
                           min(need(2, objects), _MAX_OBJECT))
        return self._needs

    def fit_columns(self) -> None:
        """Severity and Rule as wide as their longest text, Object too up to a cap, and the
        explanation and remediation columns sharing what is left (at least ``_MIN_TEXT`` each)."""
        width = self.table.viewport().width()
        if self._fitted_for == (width, len(self.model.rows)):
            return
        self._fitted_for = (width, len(self.model.rows))
        severity, rule, obj = self._column_needs()
        rest = width - severity - rule - obj
        if rest < 2 * _MIN_TEXT:  # narrow: the object gives way first, then the rule
            obj = max(_MIN_OBJECT, obj - (2 * _MIN_TEXT - rest))
            rest = width - severity - rule - obj
            if rest < 2 * _MIN_TEXT:
                rule = max(_MIN_OBJECT, rule - (2 * _MIN_TEXT - rest))
                rest = width - severity - rule - obj
        for col, w in enumerate((severity, rule, obj, max(_MIN_TEXT, rest // 2))):
            self.table.setColumnWidth(col, w)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_columns()
            return False
        if (watched is self.table and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.matches(QKeySequence.StandardKey.Copy)):
            self.copy_selected()
            return True
        return super().eventFilter(watched, event)

    def focus_filter(self) -> None:
        self.filter_bar.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_bar.edit.selectAll()

    def _on_texts_made(self, rows: list[Finding], texts: list[str]) -> None:
        if rows is self.all_findings:  # not findings computed since
            self._texts = texts
            self._on_filter_changed()

    def is_filtering(self) -> bool:
        """The filter's texts are being made (the typed filter applies when they are)."""
        return self.texts_slot.is_running()

    def shutdown(self) -> None:
        self.slot.shutdown()
        self.texts_slot.shutdown()


def install_findings_page(
    window: PageHost,
    open_object: Callable[[str], object],
    governance_url: Callable[[], str | None] | None = None,
    verification: Callable[[], VerificationSettings] | None = None,
) -> FindingsView:
    """Add the Findings page; ``open_object`` shows a finding's object (double-click).

    ``governance_url`` gives the store whose decisions the governance rules see (by default the
    window's), ``verification`` what they are verified with (by default Settings')."""
    view = FindingsView(window.notifier)
    view.governance_url_source = governance_url or (lambda: window.governance_url)
    view.verification_source = verification or (lambda: window.gui_settings.verification_settings())
    view.sig_open_object.connect(open_object)
    if (models_view := getattr(window, "models_view", None)) is not None:
        view.findings_source = lambda url, catalog, settings: models_page_findings(models_view, url, catalog, settings)
    window.add_page("findings", "Findings", view, "audit")
    window.progress.watch(view.slot)
    window.sig_catalog_loaded.connect(view.set_catalog)
    window.sig_governance_changed.connect(lambda _url: view.refresh())
    window.sig_shutting_down.connect(view.shutdown)
    return view


def models_page_findings(models_view: Any, url: str | None, catalog: Catalog,
                         settings: VerificationSettings) -> SharedFindings | None:
    """The findings the Models page's running governance task computes, when it evaluates the
    same catalogue with the same governance store and settings (None: compute them here).

    Given when that task ends: its findings if it delivered a new overview, else None."""
    slot = models_view.governance_slot
    if (models_view.catalog is not catalog or not slot.is_running() or models_view.governance_url_source() != url
            or models_view.verification_source() != settings):
        return None
    shared = SharedFindings()
    before = models_view.overview

    def finished() -> None:
        slot.sig_finished.disconnect(finished)
        overview = models_view.overview
        fresh = overview is not None and overview is not before and models_view.catalog is catalog
        shared.give(overview.findings if fresh else None)

    slot.sig_finished.connect(finished)
    return shared
