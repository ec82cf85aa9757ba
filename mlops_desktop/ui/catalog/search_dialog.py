"""Global search (Ctrl+K): models, versions, datasets and runs of the open stores.

The index is a flat list of :class:`SearchHit` with their search text already folded
(built once per catalog); each keystroke is a substring scan, prefix matches first.
Enter (or a double-click) jumps to the item in its page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListView, QVBoxLayout, QWidget

from mlops_desktop.core.entities import Catalog, Run
from mlops_desktop.ui.common.roles import HIT_ROLE

MAX_HITS = 200
KIND_TITLES = {"model": "Model", "version": "Version", "dataset": "Dataset", "run": "Run"}


@dataclass(frozen=True, slots=True)
class SearchHit:
    kind: str  # model | version | dataset | run
    title: str
    detail: str
    key: tuple[str, ...]  # model: (name,), version: (name, version), dataset: (id,), run: (run_id,)
    text: str  # folded search text


def build_index(catalog: Catalog, extra_runs: Iterable[Run] = ()) -> list[SearchHit]:
    """Every model, visible version, dataset and run of ``catalog`` (plus ``extra_runs``)."""
    hits: list[SearchHit] = []
    for model in sorted(catalog.models, key=lambda m: m.name.casefold()):
        tags = " ".join(f"{k}={v}" for k, v in model.tags.items())
        hits.append(SearchHit("model", model.name, model.description or tags, (model.name,),
                              f"{model.name} {model.description} {tags}".casefold()))
        for v in model.visible_versions():
            where = " ".join([v.stage or "", *(f"@{a}" for a in v.aliases)]).strip()
            title = f"{model.name} v{v.version}"
            hits.append(SearchHit("version", title, " · ".join(x for x in (where, v.author or "", v.run_id or "") if x),
                                  (model.name, v.version),
                                  f"{title} {model.name} version {v.version} {where} {v.author or ''} "
                                  f"{v.run_id or ''}".casefold()))
    for ds in sorted(catalog.datasets.values(), key=lambda d: d.name.casefold()):
        hits.append(SearchHit("dataset", ds.name, f"{ds.digest} · {ds.source}", (ds.id,),
                              f"{ds.name} {ds.digest} {ds.source}".casefold()))
    runs: dict[str, Run] = dict(catalog.runs)
    for run in extra_runs:
        runs.setdefault(run.run_id, run)
    for run in runs.values():
        hits.append(SearchHit("run", run.name or run.run_id, f"{run.run_id} · {run.experiment_name} · {run.user or ''}",
                              (run.run_id,), f"{run.name} {run.run_id} {run.experiment_name} {run.user or ''}".casefold()))
    return hits


def search(index: list[SearchHit], query: str, limit: int = MAX_HITS) -> list[SearchHit]:
    """Hits containing every word of ``query``; titles starting with it first."""
    words = query.casefold().split()
    if not words:
        return []
    first = words[0]
    prefix: list[SearchHit] = []
    other: list[SearchHit] = []
    for hit in index:
        if all(w in hit.text for w in words):
            (prefix if hit.title.casefold().startswith(first) else other).append(hit)
            if len(prefix) >= limit:
                break
    return (prefix + other)[:limit]


class SearchResultsModel(QAbstractListModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hits: list[SearchHit] = []

    def set_hits(self, hits: list[SearchHit]) -> None:
        self.beginResetModel()
        self.hits = hits
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.hits)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.hits):
            return None
        hit = self.hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{KIND_TITLES[hit.kind]}: {hit.title}    —  {hit.detail}" if hit.detail else \
                f"{KIND_TITLES[hit.kind]}: {hit.title}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return hit.detail
        if role == HIT_ROLE:
            return hit
        return None


class SearchDialog(QDialog):
    """Type to search; Enter or double-click emits :attr:`sig_activated` and closes."""

    sig_activated = Signal(object)  # SearchHit

    def __init__(self, index: list[SearchHit], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SearchDialog")
        self.setWindowTitle("Search everything")
        self.resize(680, 420)
        self.index = index
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("Search models, versions, datasets and runs…")
        self.edit.setClearButtonEnabled(True)
        self.edit.setAccessibleName("Search text")
        self.model = SearchResultsModel(self)
        self.results = QListView()
        self.results.setObjectName("searchResults")
        self.results.setAccessibleName("Search results")
        self.results.setModel(self.model)
        self.results.setUniformItemSizes(True)
        self.results.activated.connect(self._on_results_activated)
        self.results.doubleClicked.connect(self._on_results_activated)
        self.count = QLabel()
        self.count.setObjectName("searchCount")
        layout = QVBoxLayout(self)
        layout.addWidget(self.edit)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.count)
        self.edit.textChanged.connect(self.set_query)
        self.edit.returnPressed.connect(self.activate_current)
        self.edit.installEventFilter(self)
        self.set_query("")

    def set_query(self, text: str) -> None:
        hits = search(self.index, text)
        self.model.set_hits(hits)
        if hits:
            self.results.setCurrentIndex(self.model.index(0))
        if not text.strip():
            self.count.setText(f"{len(self.index)} items to search. Type a name, version, digest, run id, user…")
        elif not hits:
            self.count.setText("Nothing matches. Try fewer words, or open more stores (File > Open store…).")
        else:
            more = "+" if len(hits) >= MAX_HITS else ""
            self.count.setText(f"{len(hits)}{more} matches — Enter opens, ↑/↓ choose")

    def activate_current(self) -> None:
        index = self.results.currentIndex()
        if index.isValid():
            self._on_results_activated(index)

    def _on_results_activated(self, index: QModelIndex) -> None:
        hit = index.data(HIT_ROLE)
        if isinstance(hit, SearchHit):
            self.sig_activated.emit(hit)
            self.accept()

    def eventFilter(self, obj: object, event: object) -> bool:  # noqa: N802
        """Up/Down in the text field move through the results."""
        if obj is self.edit and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress \
                and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            row = self.results.currentIndex().row() + (1 if event.key() == Qt.Key.Key_Down else -1)
            if 0 <= row < self.model.rowCount():
                self.results.setCurrentIndex(self.model.index(row))
            return True
        return super().eventFilter(obj, event)  # type: ignore[arg-type]
