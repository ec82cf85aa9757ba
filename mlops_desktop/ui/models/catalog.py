"""The catalog's tables: registered models, versions, datasets, runs and key/value lists."""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from mlops_desktop.core.classification import Classification, classify, normalise_tags
from mlops_desktop.core.entities import (
    Catalog,
    Dataset,
    DatasetInput,
    ModelVersion,
    RegisteredModel,
    Run,
)
from mlops_desktop.core.progress import check_cancelled
from mlops_desktop.sources.base import RUN_SORTS, DatasetQuery, DatasetSummary, RunQuery, RunSummary
from mlops_desktop.ui.common.roles import BADGES_ROLE, ENTITY_ROLE, SORT_ROLE
from mlops_desktop.ui.models.base import (
    Column,
    EntityTableModel,
    format_time,
    same_rows,
    time_key,
    version_sort_key,
)
from mlops_desktop.ui.models.windowed import WindowedQueryModel

# -- registered models --------------------------------------------------------------


def model_badges(model: RegisteredModel) -> list[str]:
    return model_classification(model).badges


def model_classification(model: RegisteredModel) -> Classification:
    tag_sets: list[dict[str, str]] = [model.tags]
    for v in model.visible_versions():
        tag_sets.append(v.tags)
        tag_sets.extend(d.tags for d in v.datasets)
    return classify(tag_sets)


def risk_tier(model: RegisteredModel) -> str:
    return normalise_tags(model.tags).get("risk_tier", "")


_RISK_ORDER = {"low": 1, "medium": 2, "high": 3, "unacceptable": 4}


def stage_and_aliases(model: RegisteredModel) -> str:
    """Each version's stage and aliases, newest version first: ``v3 Production @champion · v2 @challenger``."""
    names: dict[str, list[str]] = {}
    for v in model.visible_versions():
        if v.stage and v.stage != "None":
            names.setdefault(v.version, []).append(v.stage)
    for alias, ver in sorted(model.aliases.items()):
        names.setdefault(str(ver), []).append(f"@{alias}")
    return " · ".join(f"v{ver} " + " ".join(names[ver])
                      for ver in sorted(names, key=version_sort_key, reverse=True))


def last_updated(model: RegisteredModel) -> datetime | None:
    times = [t for t in [model.updated_at, *(v.updated_at or v.created_at for v in model.versions)] if t]
    return max(times) if times else None


def _latest(model: RegisteredModel) -> str:
    latest = model.latest_version()
    return latest.version if latest else ""


def _latest_key(model: RegisteredModel) -> tuple[int, int, str]:
    latest = model.latest_version()
    return version_sort_key(latest.version) if latest else (2, 0, "")


def _author(model: RegisteredModel) -> str:
    latest = model.latest_version()
    return (latest.author or "") if latest else ""


#: Monitoring statuses, worst first (the Models page column sorts by this).
_MONITORING_ORDER = ("drift", "data-quality", "not-monitored", "checked")


def monitoring_summary(statuses: list[tuple[str, str, str]]) -> tuple[str, int, str]:
    """(text, sort rank, tooltip) of a model's deployed versions' ``(version, status, label)``."""
    if not statuses:
        return "", len(_MONITORING_ORDER), "No deployed version"
    worst = min(_MONITORING_ORDER.index(s) for _, s, _ in statuses)
    label = next(lb for _, s, lb in statuses if _MONITORING_ORDER.index(s) == worst)
    versions = ", ".join(f"v{v}" for v, s, _ in statuses if _MONITORING_ORDER.index(s) == worst)
    tip = "\n".join(f"v{v} (deployed): {lb}" for v, _, lb in statuses)
    return f"{label} ({versions})", worst, tip


def monitoring_summaries(by_model: dict[str, list[tuple[str, str, str]]]) -> dict[str, tuple[str, int, str]]:
    """:func:`monitoring_summary` of each model (10,000 models: 30 ms of Python, for a worker)."""
    return {name: monitoring_summary(items) for name, items in by_model.items()}


#: The inventory's columns that depend on the model alone (the rest on computed results).
STATIC_COLUMNS = 7
#: Rows per column a fit measures: the widest texts of the whole inventory (by length).
FIT_SAMPLE = 12
_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ROLES = frozenset((_DISPLAY, _TOOLTIP, ENTITY_ROLE, SORT_ROLE, BADGES_ROLE))
_DATA_COLUMN = 5  # the static column drawn as badges (its text, key and tooltip are its badges')


@dataclass(frozen=True, slots=True)
class RowFacts:
    """What the static columns of one inventory row show and sort by (computed once per row)."""

    texts: tuple[str, ...]
    keys: tuple[Any, ...]
    badges: list[str]


def row_facts(columns: Sequence[Column[Any]], model: RegisteredModel) -> RowFacts:
    """The static ``columns``' texts and keys of ``model`` (its badges, the costly part, classified once)."""
    badges = model_badges(model)
    data = " ".join(badges)
    texts = tuple(data if c == _DATA_COLUMN else col.display(model) for c, col in enumerate(columns))
    keys = tuple((data or "~") if c == _DATA_COLUMN else col.sort(model) if col.sort is not None else text.casefold()
                 for c, (col, text) in enumerate(zip(columns, texts, strict=True)))
    return RowFacts(texts, keys, badges)


def widest(lengths: Sequence[int], count: int = FIT_SAMPLE) -> list[int]:
    """The positions of the ``count`` largest ``lengths`` (a fit measures those rows)."""
    return heapq.nlargest(count, range(len(lengths)), key=lengths.__getitem__)


def inventory_texts_job(
    columns: Sequence[Column[Any]], rows: Sequence[RegisteredModel], *, progress: Callable[[int, int, str], None],
    is_cancelled: Callable[[], bool],
) -> tuple[Sequence[RegisteredModel], list[str], list[RowFacts], dict[int, list[RegisteredModel]]]:
    """Worker function: each row's filter text of its static cells (the computed cells' texts are
    the model's, :meth:`ModelInventoryModel._computed_texts`), its static cells and sort keys
    (:class:`RowFacts`), and each static column's widest rows."""
    texts, facts = [], []
    static = columns[:STATIC_COLUMNS]
    for i, row in enumerate(rows):
        if i % 500 == 0:
            check_cancelled(is_cancelled)
            progress(i, len(rows), "Indexing rows for the filter")
        fact = row_facts(static, row)
        facts.append(fact)
        texts.append("\x1f".join(fact.texts).casefold())
    check_cancelled(is_cancelled)
    samples = {c: [rows[i] for i in widest([len(f.texts[c]) for f in facts])] for c in range(len(static))}
    return rows, texts, facts, samples


class ModelInventoryModel(EntityTableModel[RegisteredModel]):
    """The registered-model inventory: one row per model; the Monitoring column is filled by
    :meth:`set_monitoring` once the statuses are computed (in a worker).

    A row's static cells (:class:`RowFacts`) are computed once (in the worker of
    :func:`inventory_texts_job`, or when first shown) so painting, fitting and sorting the table
    call no column function again; a column's widest rows are kept for :meth:`fit_sample`.
    """

    def __init__(self, rows: Any = (), parent: Any = None) -> None:
        super().__init__(rows, parent)
        self._facts: list[RowFacts | None] = [None] * len(self._rows)
        self._samples: dict[int, list[RegisteredModel]] = {}  # column -> its widest rows
        self._positions: dict[int, int] | None = None  # id(row) -> row, built when asked
        self._fit_key = 0  # changes whenever a column's widest rows may have changed
        self._keys: dict[int, list[Any]] = {}  # column -> every row's sort key
        self._in_order = True  # the rows are in (sort column, order): sorting again moves none
        self.moved: list[int] | None = None  # after a sort: each row's new position (old row -> new)
        self._monitoring: dict[str, tuple[str, int, str]] = {}
        self.attention: dict[str, ModelAttention] = {}
        none = ModelAttention(governance_note="Governance not computed yet", findings_note="Findings not computed yet")
        self._no_attention = none
        self._computed: dict[str, str] | None = None  # see _computed_texts
        self.columns = (*type(self).columns, Column(
            "Governance", lambda m: self.attention.get(m.name, none).governance,
            lambda m: (self.attention.get(m.name, none).governance_rank, self.attention.get(m.name, none).governance),
            tooltip=lambda m: self.attention.get(m.name, none).governance_tip), Column(
            "Findings", lambda m: self.attention.get(m.name, none).findings,
            lambda m: self.attention.get(m.name, none).findings_rank,
            tooltip=lambda m: self.attention.get(m.name, none).findings_tip), Column(
            "Monitoring", lambda m: self._monitoring.get(m.name, ("", 99, ""))[0],
            lambda m: self._monitoring.get(m.name, ("", 99, ""))[1:2],
            tooltip=lambda m: self._monitoring.get(m.name, ("", 99, "Monitoring not computed yet"))[2]))

    # -- rows and their cached cells ------------------------------------------------------

    def _rows_reset(self) -> None:
        self._facts = [None] * len(self._rows)
        self._computed = None
        self._rows_changed()
        self._samples = {}
        self._in_order = True

    def _rows_appended(self, first: int, count: int) -> None:
        self._facts.extend([None] * count)
        self._computed = None
        self._rows_changed()
        self._in_order = False

    def _rows_changed(self) -> None:
        self._positions = None
        self._keys = {}
        self._fit_key += 1

    def facts(self, row: int) -> RowFacts:
        """The static cells of ``row`` (computed on first use when no worker computed them)."""
        fact = self._facts[row]
        if fact is None:
            fact = self._facts[row] = row_facts(self.columns[:STATIC_COLUMNS], self._rows[row])
        return fact

    def set_search_texts(self, rows: Sequence[RegisteredModel], texts: Sequence[str],
                         facts: Sequence[RowFacts] | None = None,
                         samples: dict[int, list[RegisteredModel]] | None = None) -> None:
        super().set_search_texts(rows, texts)
        if facts is not None:
            if same_rows(rows, self._rows):
                self._facts = list(facts)
            else:
                by_id = {id(r): f for r, f in zip(rows, facts, strict=True)}
                self._facts = [by_id.get(id(r), cached) for r, cached in zip(self._rows, self._facts, strict=True)]
            self._keys = {}
        if samples is not None:
            self._samples.update(samples)
            self._fit_key += 1

    # -- the filter's texts ----------------------------------------------------------------
    #
    # A row's filter text is its static cells' (cached in ``_search``, computed by
    # :func:`inventory_texts_job`) and, apart, its Governance, Findings and Monitoring cells'
    # (:meth:`_computed_texts`, made again only after those results change). A needle never holds
    # the cells' separator, so matching the two apart matches what matching them joined would.

    def _static_text(self, row: int) -> str:
        text = self._search[row]
        if text is None:
            text = self._search[row] = "\x1f".join(self.facts(row).texts).casefold()
        return text

    def _computed_texts(self) -> dict[str, str]:
        """model name -> its computed cells' text, case-folded (made when first asked)."""
        texts = self._computed
        if texts is None:
            attention, monitoring, none = self.attention, self._monitoring, self._no_attention
            texts = {}
            for m in self._rows:
                a = attention.get(m.name, none)
                shown = monitoring.get(m.name)
                texts[m.name] = f"{a.governance}\x1f{a.findings}\x1f{shown[0] if shown else ''}".casefold()
            self._computed = texts
        return texts

    def search_text(self, row: int) -> str:
        """Every column's text of one row, case-folded: what the filter matches."""
        return self._static_text(row) + "\x1f" + self._computed_texts().get(self._rows[row].name, "")

    def matches(self, row: int, needle: str) -> bool:
        return needle in self._static_text(row) or needle in self._computed_texts().get(self._rows[row].name, "")

    # -- computed columns ----------------------------------------------------------------

    def set_monitoring(self, by_model: dict[str, list[tuple[str, str, str]]]) -> None:
        """Each model's deployed versions as ``(version, status, label)``."""
        self.set_monitoring_summaries(monitoring_summaries(by_model))

    def set_monitoring_summaries(self, summaries: dict[str, tuple[str, int, str]]) -> None:
        """Each model's Monitoring cell (:func:`monitoring_summaries`, computed in a worker)."""
        self._monitoring = dict(summaries)
        self._computed = None
        column = self.column_index("Monitoring")
        monitoring = self._monitoring
        self._computed_changed([column], [len(monitoring[m.name][0]) if m.name in monitoring else 0
                                          for m in self._rows])
        if self.rowCount():
            self.dataChanged.emit(self.index(0, column), self.index(self.rowCount() - 1, column))

    def set_attention(self, by_model: dict[str, ModelAttention]) -> None:
        """Each model's governance and findings (computed in a worker)."""
        self.attention = dict(by_model)
        self._computed = None
        first, last = self.column_index("Governance"), self.column_index("Findings")
        attention = self.attention
        items = [attention.get(m.name) for m in self._rows]
        self._computed_changed([first], [len(a.governance) if a is not None else 0 for a in items])
        self._computed_changed([last], [len(a.findings) if a is not None else 0 for a in items])
        if self.rowCount():
            self.dataChanged.emit(self.index(0, first), self.index(self.rowCount() - 1, last))

    def _computed_changed(self, columns: Sequence[int], lengths: Sequence[int]) -> None:
        """The cells of ``columns`` changed: their sort keys go, their widest rows are found again."""
        rows = self._rows
        for column in columns:
            self._keys.pop(column, None)
            self._samples[column] = [rows[i] for i in widest(lengths)]
            if column == self._sort_column:
                self._in_order = False
        self._fit_key += 1

    def needs_attention(self, row: int) -> bool:
        item = self.attention.get(self._rows[row].name)
        return item is not None and item.needs_attention

    # -- filtering, fitting, sorting ------------------------------------------------------

    def matching(self, needle: str, only_attention: bool, rows: Iterable[int]) -> list[int]:
        """The ``rows`` whose text holds ``needle`` (and that need attention, if asked), in order."""
        kept = list(rows)
        if needle:
            search = self._search
            if None in search:  # texts not computed ahead (a small inventory): computed here
                for r in kept:
                    if search[r] is None:
                        self._static_text(r)
            computed, rows_ = self._computed_texts(), self._rows
            kept = [r for r in kept if needle in search[r] or needle in computed.get(rows_[r].name, "")]  # type: ignore[operator]
        if only_attention:
            attention, rows_ = self.attention, self._rows
            kept = [r for r in kept if (a := attention.get(rows_[r].name)) is not None and a.needs_attention]
        return kept

    def fit_key(self) -> int:
        """Changes whenever :meth:`fit_sample` may name other rows (not when sorted or filtered)."""
        return self._fit_key

    def fit_sample(self, column: int, count: int) -> list[QModelIndex]:
        """The cells a column's width is measured on: its widest rows of the whole inventory
        (by text length), else its first rows."""
        sample = self._samples.get(column)
        if sample is None:
            return [self.index(r, column) for r in range(min(count, len(self._rows)))]
        if self._positions is None:
            self._positions = {id(r): i for i, r in enumerate(self._rows)}
        positions = self._positions
        return [self.index(positions[id(r)], column) for r in sample if id(r) in positions]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by an argsort of the column's cached keys; sorting again as sorted moves nothing
        (a view's ``sortByColumn`` asks twice)."""
        if (column, order) == (self._sort_column, self._sort_order) and self._in_order:
            return
        self._sort_column, self._sort_order = column, order
        if not 0 <= column < len(self.columns) or not self._rows:
            self._in_order = True
            return
        self.layoutAboutToBeChanged.emit()
        keys = self._sort_keys(column)
        order_ = sorted(range(len(keys)), key=keys.__getitem__, reverse=order == Qt.SortOrder.DescendingOrder)
        new_pos = [0] * len(order_)
        for new, old in enumerate(order_):
            new_pos[old] = new
        self._rows = [self._rows[i] for i in order_]
        self._search = [self._search[i] for i in order_]
        self._facts = [self._facts[i] for i in order_]
        self._keys = {column: [keys[i] for i in order_]}
        self._positions = None
        self._in_order = True
        self.moved = new_pos
        old_indexes = self.persistentIndexList()
        self.changePersistentIndexList(old_indexes, [self.index(new_pos[i.row()], i.column()) for i in old_indexes])
        self.layoutChanged.emit()
        self.moved = None

    def _sort_keys(self, column: int) -> list[Any]:
        keys = self._keys.get(column)
        if keys is None:
            if column < STATIC_COLUMNS and None not in self._facts:
                keys = [f.keys[column] for f in self._facts]  # type: ignore[union-attr]
            else:
                key = self.sort_key(column)
                keys = [key(item) for item in self._rows]
            self._keys[column] = keys
        return keys

    # -- Qt overrides ----------------------------------------------------------------------

    def cell(self, row: int, column: int, role: int) -> Any:
        """What :meth:`data` answers for ``(row, column)`` (the proxy asks without an index)."""
        if role not in _ROLES or row >= len(self._rows) or column >= len(self.columns):
            return None
        if role == ENTITY_ROLE:
            return self._rows[row]
        if column < STATIC_COLUMNS:
            fact = self.facts(row)
            if role == _DISPLAY:
                return fact.texts[column]
            if role == SORT_ROLE:
                return fact.keys[column]
            if column == _DATA_COLUMN:
                if role == BADGES_ROLE:
                    return fact.badges
                return ", ".join(fact.badges) or "No PII or PHI recorded"
            if role == BADGES_ROLE:
                return None
            col = self.columns[column]
            if col.tooltip is not None:
                return col.tooltip(self._rows[row])
            text = fact.texts[column]
            return text if len(text) > 40 else None
        return super().data(self.index(row, column), role)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or not index.isValid():
            return None
        return self.cell(index.row(), index.column(), role)

    columns: Sequence[Column[Any]] = (
        Column("Name", lambda m: m.name),
        Column("Latest version", _latest, _latest_key),
        Column("Stage / aliases", stage_and_aliases),
        Column("Author", _author),
        Column("Risk tier", risk_tier, lambda m: (_RISK_ORDER.get(risk_tier(m), 0), risk_tier(m))),
        Column(
            "Data", lambda m: " ".join(model_badges(m)), lambda m: " ".join(model_badges(m)) or "~", model_badges,
            lambda m: ", ".join(model_badges(m)) or "No PII or PHI recorded",
        ),
        Column("Last updated", lambda m: format_day(last_updated(m)), lambda m: time_key(last_updated(m)),
               tooltip=lambda m: format_time(last_updated(m)) + " UTC" if last_updated(m) else ""),
    )

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        """Short titles where the column's cells are short (the full title is the tooltip)."""
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            title = self.columns[section].title
            if role == _DISPLAY:
                return SHORT_TITLES.get(title, title)
            if role == _TOOLTIP and title in SHORT_TITLES:
                return title
        return super().headerData(section, orientation, role)


#: the inventory's headers shortened to what their cells need ("3", "2026-11-27")
SHORT_TITLES = {"Latest version": "Latest", "Last updated": "Updated"}


def format_day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


# -- governance and findings beside each model ----------------------------------------


_SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")


@dataclass(slots=True)
class ModelAttention:
    """A model's governance (per deployed version and target) and findings, as the Models page
    shows them. The tooltips are written when shown (10,000 models' tooltips held as text took
    20 MB): from the targets' statuses and the findings, which the page holds anyway."""

    governance: str = ""  # "v3: ✓ Production ⚠ champion 1 of 2"
    governance_rank: int = 0  # 0 nothing deployed, 1 approved, 2 unmet, 3 rejected
    findings: str = ""  # "4 · high"
    findings_rank: int = 99
    validation_failed: bool = False
    needs_attention: bool = False
    #: tooltips given as text (a model whose governance or findings are not computed yet)
    governance_note: str = ""
    findings_note: str = ""
    #: (version, target, its TargetStatus or None when no governance store was read), deployed only
    target_statuses: tuple[tuple[str, str, Any], ...] = ()
    model_findings: tuple[Any, ...] = ()

    @property
    def governance_tip(self) -> str:
        if self.governance_note:
            return self.governance_note
        tips = [f"v{version} {target}: no governance store read, so not approved" if ts is None
                else f"v{version} {target}: {ts.words}" + "".join(f"\n  • {r}" for r in ts.reasons)
                for version, target, ts in self.target_statuses]
        tip = "\n".join(tips) or "No deployed version"
        if self.validation_failed:
            tip = "A deployed version's validation tag says failed (F19).\n" + tip
        return tip

    @property
    def findings_tip(self) -> str:
        if self.findings_note:
            return self.findings_note
        findings = self.model_findings
        if not findings:
            return "No findings"
        return "\n".join(f"{f.id} {f.severity}: {f.rule}" for f in findings[:15]) + (
            f"\n… {len(findings) - 15} more" if len(findings) > 15 else "")


def model_attention(model: RegisteredModel, status: Any, findings: Sequence[Any], deployed: Any) -> ModelAttention:
    """``status`` a services.governance_status.GovernanceStatus (or None), ``findings`` the
    findings of this model, ``deployed(model, version)`` the version's deployed targets."""
    out = ModelAttention()
    parts: list[str] = []
    statuses: list[tuple[str, str, Any]] = []
    rank = {"approved": 1, "not-required": 1, "unmet": 2, "rejected": 3}
    for v in model.visible_versions():
        targets = deployed(model, v)
        if not targets:
            continue
        vg = status.of(model.name, v.version) if status is not None else None
        labels = []
        for t in targets:
            ts = vg.targets.get(t) if vg is not None else None
            statuses.append((v.version, t, ts))
            if ts is None:
                labels.append(f"⚠ {t} not verified")
                out.governance_rank = max(out.governance_rank, 2)
                continue
            labels.append(ts.label)
            out.governance_rank = max(out.governance_rank, rank[ts.status])
        parts.append(f"v{v.version}: " + " ".join(labels))
    out.target_statuses = tuple(statuses)
    out.governance = " · ".join(parts)
    out.validation_failed = any(f.id == "F19" for f in findings)
    if out.validation_failed:
        out.governance = "⚠ validation failed · " + out.governance
    if findings:
        out.model_findings = tuple(findings)
        worst = min(_SEVERITY_ORDER.index(f.severity) for f in findings if f.severity in _SEVERITY_ORDER)
        out.findings_rank = worst
        out.findings = f"{len(findings)} · {_SEVERITY_ORDER[worst]}"
    out.needs_attention = out.governance_rank >= 2 or out.validation_failed or out.findings_rank <= 1
    return out


class AttentionFilterProxyModel(QAbstractTableModel):
    """The inventory's shown rows: the text filter, plus "needs attention"
    (:attr:`ModelAttention.needs_attention`), over a :class:`ModelInventoryModel`.

    Not a ``QSortFilterProxyModel`` with a Python ``filterAcceptsRow``: Qt would call into Python
    once per model on every keystroke, sort and reset, and each call takes the GIL back from the
    page's computing workers (10,000 models: seconds). The rows kept are chosen in one Python loop
    over the cached search texts and the view is told once (a reset, or a layout change for a sort).
    Sorting is the source model's (an argsort of its keys).
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.only_attention = False
        self._needle = ""
        self._source: ModelInventoryModel | None = None
        self._shown: list[int] = []  # source rows shown, in the source's order
        self._persistent: list[QModelIndex] = []  # while the source sorts: the indexes to move
        self._persistent_entities: list[RegisteredModel] = []
        self._persistent_rows: list[int] = []  # their source rows

    # -- the source ---------------------------------------------------------------

    def setSourceModel(self, model: ModelInventoryModel) -> None:  # noqa: N802
        self.beginResetModel()
        self._source = model
        model.modelReset.connect(self._on_source_reset)
        model.layoutAboutToBeChanged.connect(self._on_source_layout_about_to_be_changed)
        model.layoutChanged.connect(self._on_source_layout_changed)
        model.rowsInserted.connect(self._on_source_rows_inserted)
        model.dataChanged.connect(self._on_source_data_changed)
        self._shown = self._kept(range(model.rowCount()))
        self.endResetModel()

    def sourceModel(self) -> ModelInventoryModel | None:  # noqa: N802
        return self._source

    def mapToSource(self, index: QModelIndex | QPersistentModelIndex) -> QModelIndex:  # noqa: N802
        if self._source is None or not index.isValid():
            return QModelIndex()
        return self._source.index(self._shown[index.row()], index.column())

    def _kept(self, rows: Iterable[int]) -> list[int]:
        model = self._source
        assert model is not None
        if not self._needle and not self.only_attention:
            return list(rows)
        return model.matching(self._needle, self.only_attention, rows)

    def _refilter(self, narrower: bool = False) -> None:
        """Choose the shown rows again; ``narrower``: only rows shown now can still be kept."""
        model = self._source
        if model is None:
            return
        kept = self._kept(self._shown if narrower else range(model.rowCount()))
        if kept == self._shown:
            return
        self.beginResetModel()
        self._shown = kept
        self.endResetModel()

    def _on_source_reset(self) -> None:
        model = self._source
        self.beginResetModel()
        self._shown = self._kept(range(model.rowCount())) if model is not None else []
        self.endResetModel()

    def _on_source_layout_about_to_be_changed(self, *_args: object) -> None:
        model = self._source
        assert model is not None
        self.layoutAboutToBeChanged.emit()
        self._persistent = self.persistentIndexList()
        self._persistent_rows = [self._shown[i.row()] for i in self._persistent]
        self._persistent_entities = [model.entity(r) for r in self._persistent_rows]

    def _on_source_layout_changed(self, *_args: object) -> None:
        """The source was sorted: the same rows, in its new order (selections follow their rows)."""
        model = self._source
        assert model is not None
        moved = model.moved
        if moved is not None and len(moved) == model.rowCount():  # a sort: where each row went
            if self._needle or self.only_attention:
                self._shown = sorted(map(moved.__getitem__, self._shown))
                rows = [moved[r] for r in self._persistent_rows]
                positions = [bisect_left(self._shown, r) for r in rows]
            else:
                self._shown = list(range(model.rowCount()))
                positions = [moved[r] for r in self._persistent_rows]
            new = [self.index(p, i.column()) for p, i in zip(positions, self._persistent, strict=True)]
        else:
            self._shown = self._kept(range(model.rowCount()))
            pos = {id(model.entity(r)): n for n, r in enumerate(self._shown)}
            new = [self.index(pos[id(e)], i.column()) if id(e) in pos else QModelIndex()
                   for e, i in zip(self._persistent_entities, self._persistent, strict=True)]
        self.changePersistentIndexList(self._persistent, new)
        self._persistent, self._persistent_entities, self._persistent_rows = [], [], []
        self.layoutChanged.emit()

    def _on_source_rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        kept = self._kept(range(first, last + 1))
        if not kept:
            return
        start = len(self._shown)
        self.beginInsertRows(QModelIndex(), start, start + len(kept) - 1)
        self._shown.extend(kept)
        self.endInsertRows()

    def _on_source_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, *_args: object) -> None:
        if self._shown:
            self.dataChanged.emit(self.index(0, top_left.column()),
                                  self.index(len(self._shown) - 1, bottom_right.column()))

    # -- our API --------------------------------------------------------------------

    def row_of(self, name: str) -> int:
        """The shown row of the model named ``name``, or -1."""
        model = self._source
        if model is None:
            return -1
        for n, r in enumerate(self._shown):
            if model.entity(r).name == name:
                return n
        return -1

    def set_filter_text(self, text: str) -> None:
        needle = text.strip().casefold()
        if needle != self._needle:
            narrower = bool(self._needle) and self._needle in needle  # typed on: a subset of the shown rows
            self._needle = needle
            self._refilter(narrower)

    def set_only_attention(self, on: bool) -> None:
        self.only_attention = bool(on)
        self._refilter()

    # -- Qt overrides ----------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() or self._source is None else self._source.columnCount()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if self._source is None:
            return None
        return self._source.headerData(section, orientation, role)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or self._source is None or not index.isValid() or index.row() >= len(self._shown):
            return None
        return self._source.cell(self._shown[index.row()], index.column(), role)

    def fit_key(self) -> int | None:
        """The source's (the widths fitted to its widest rows hold however it is filtered)."""
        return self._source.fit_key() if self._source is not None else None

    def fit_sample(self, column: int, count: int) -> list[QModelIndex]:
        return self._source.fit_sample(column, count) if self._source is not None else []

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if self._source is None:
            return
        self._source.sort(column, order)


# -- model versions -----------------------------------------------------------------


class VersionsModel(EntityTableModel[ModelVersion]):
    """Versions of one registered model (newest first)."""

    columns = (
        Column("Version", lambda v: v.version, lambda v: version_sort_key(v.version)),
        Column("Stage", lambda v: v.stage or ""),
        Column("Aliases", lambda v: ", ".join(f"@{a}" for a in v.aliases)),
        Column("Status", lambda v: v.status),
        Column("Author", lambda v: v.author or ""),
        Column("Data", lambda v: " ".join(v.classification().badges),
                             badges=lambda v: v.classification().badges),
        Column("Created", lambda v: format_time(v.created_at), lambda v: time_key(v.created_at)),
    )

    def set_model(self, model: RegisteredModel | None) -> None:
        versions = model.visible_versions() if model else []
        self.set_rows(sorted(versions, key=lambda v: version_sort_key(v.version), reverse=True))


# -- datasets -------------------------------------------------------------------------


@dataclass(slots=True)
class DatasetRow:
    """A dataset plus what the catalog says about its use."""

    dataset: Dataset
    classification: Classification
    used_by_runs: int


class DatasetInputsModel(EntityTableModel[tuple[DatasetInput, Classification]]):
    """Datasets a version's run used, each with its classification."""

    columns = (
        Column("Dataset", lambda r: r[0].name),
        Column("Context", lambda r: r[0].context or ""),
        Column("Data", lambda r: " ".join(r[1].badges), badges=lambda r: r[1].badges),
        Column("Lawful basis", lambda r: r[1].facts.get("lawful_basis", "")),
        Column("Digest", lambda r: r[0].digest),
        Column("Source", lambda r: r[0].source),
    )


def version_inputs(version: ModelVersion, catalog: Catalog | None) -> list[tuple[DatasetInput, Classification]]:
    out = []
    for inp in version.datasets:
        ds = catalog.datasets.get(inp.dataset_id) if catalog else None
        out.append((inp, classify([inp.tags, ds.tags if ds else {}])))
    return out


# -- runs -----------------------------------------------------------------------------


def _duration(run: Run) -> float | None:
    if run.start_time and run.end_time:
        return (run.end_time - run.start_time).total_seconds()
    return None


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


# -- key/value lists (tags, params, metrics) ------------------------------------------


class KeyValueModel(EntityTableModel[tuple[str, str]]):
    """Two columns of text; used for tags, params and latest metrics."""

    def __init__(self, key_title: str = "Key", value_title: str = "Value", parent: Any = None) -> None:
        self.columns = (
            Column(key_title, lambda kv: kv[0]),
            Column(value_title, lambda kv: kv[1]),
        )
        super().__init__((), parent)

    def set_mapping(self, mapping: dict[str, str]) -> None:
        self.set_rows(sorted(((str(k), str(v)) for k, v in mapping.items()), key=lambda kv: kv[0].casefold()))




# -- rows read from the stores on demand (the Runs and Datasets pages) -----------------


def _summary_duration(row: RunSummary) -> float | None:
    return _duration(row.run)


class RunPagesModel(WindowedQueryModel[RunSummary]):
    """The Runs page: runs read a window at a time, sorted and filtered by the stores."""

    columns = (
        Column("Run", lambda r: r.run.name or r.run.run_id),
        Column("Run ID", lambda r: r.run.run_id),
        Column("Experiment", lambda r: r.run.experiment_name or r.run.experiment_id),
        Column("User", lambda r: r.run.user or ""),
        Column("Status", lambda r: r.run.status + (" (deleted)" if r.run.deleted else "")),
        Column("Started", lambda r: format_time(r.run.start_time), lambda r: time_key(r.run.start_time)),
        Column("Duration", lambda r: format_duration(_summary_duration(r)),
               lambda r: d if (d := _summary_duration(r)) is not None else -1.0),
        Column("Datasets", lambda r: str(r.datasets), lambda r: r.datasets),
    )
    sort_keys = RUN_SORTS  # one per column, in order

    def run_query(self, *, filtered: bool = True) -> RunQuery:
        """The current query as the stores take it (newest first when no column is chosen)."""
        key = self.sort_key_of(self.query.column)
        text = self.query.text if filtered else ""
        if key is None:
            return RunQuery(text)
        return RunQuery(text, key, self.query.order == Qt.SortOrder.DescendingOrder)


def dataset_row(summary: DatasetSummary) -> DatasetRow:
    """A page's dataset as the Datasets table shows it (classified by the tags of its inputs)."""
    return DatasetRow(summary.dataset, classify([summary.dataset.tags]), summary.used_by_runs)


class DatasetPagesModel(WindowedQueryModel[DatasetRow]):
    """The Datasets page: datasets read a window at a time, sorted and filtered by the stores."""

    columns = (
        Column("Name", lambda r: r.dataset.name),
        Column("Digest", lambda r: r.dataset.digest),
        Column("Data", lambda r: " ".join(r.classification.badges), badges=lambda r: r.classification.badges),
        Column("Lawful basis", lambda r: r.classification.facts.get("lawful_basis", "")),
        Column("Retention until", lambda r: r.classification.facts.get("retention_until", "")),
        Column("Used by runs", lambda r: str(r.used_by_runs), lambda r: r.used_by_runs),
        Column("Source", lambda r: r.dataset.source),
        Column("Store", lambda r: r.dataset.store),
    )
    sort_keys = ("name", "digest", None, None, None, "used_by_runs", "source", None)

    def dataset_query(self, *, filtered: bool = True) -> DatasetQuery:
        key = self.sort_key_of(self.query.column)
        text = self.query.text if filtered else ""
        if key is None:
            return DatasetQuery(text)
        return DatasetQuery(text, key, self.query.order == Qt.SortOrder.DescendingOrder)
