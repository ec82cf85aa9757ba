"""The catalog's tables: registered models, versions, datasets, runs and key/value lists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
from mlops_desktop.sources.base import RUN_SORTS, DatasetQuery, DatasetSummary, RunQuery, RunSummary
from mlops_desktop.ui.models.base import (
    Column,
    EntityTableModel,
    format_time,
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
    parts = [f"{v.stage} v{v.version}" for v in model.visible_versions() if v.stage and v.stage != "None"]
    parts += [f"@{alias} v{ver}" for alias, ver in sorted(model.aliases.items())]
    return " · ".join(parts)


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


class ModelInventoryModel(EntityTableModel[RegisteredModel]):
    """The registered-model inventory: one row per model; the Monitoring column is filled by
    :meth:`set_monitoring` once the statuses are computed (in a worker)."""

    def __init__(self, rows: Any = (), parent: Any = None) -> None:
        super().__init__(rows, parent)
        self._monitoring: dict[str, tuple[str, int, str]] = {}
        self.attention: dict[str, ModelAttention] = {}
        none = ModelAttention(governance_tip="Governance not computed yet", findings_tip="Findings not computed yet")
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

    def set_monitoring(self, by_model: dict[str, list[tuple[str, str, str]]]) -> None:
        """Each model's deployed versions as ``(version, status, label)``."""
        self._monitoring = {name: monitoring_summary(items) for name, items in by_model.items()}
        self._refresh_monitoring_texts()
        column = self.column_index("Monitoring")
        if self.rowCount():
            self.dataChanged.emit(self.index(0, column), self.index(self.rowCount() - 1, column))

    def set_attention(self, by_model: dict[str, ModelAttention]) -> None:
        """Each model's governance and findings (computed in a worker)."""
        self.attention = dict(by_model)
        self._refresh_attention_texts()
        if self.rowCount():
            first, last = self.column_index("Governance"), self.column_index("Findings")
            self.dataChanged.emit(self.index(0, first), self.index(self.rowCount() - 1, last))

    def _refresh_attention_texts(self) -> None:
        """Put the current Governance and Findings texts into the filter's cached texts."""
        columns = [self.column_index("Governance"), self.column_index("Findings")]
        for i, cached in enumerate(self._search):
            parts = cached.split("\x1f") if cached is not None else []
            if len(parts) == len(self.columns):
                for c in columns:
                    parts[c] = self.columns[c].display(self._rows[i]).casefold()
                self._search[i] = "\x1f".join(parts)

    def needs_attention(self, row: int) -> bool:
        item = self.attention.get(self._rows[row].name)
        return item is not None and item.needs_attention

    def set_search_texts(self, rows: Sequence[RegisteredModel], texts: Sequence[str]) -> None:
        super().set_search_texts(rows, texts)
        self._refresh_attention_texts()
        self._refresh_monitoring_texts()  # texts computed before the statuses arrived

    def _refresh_monitoring_texts(self) -> None:
        """Put the current Monitoring text (the last column) into the filter's cached texts."""
        for i, cached in enumerate(self._search):
            if cached is not None and cached.count("\x1f") == len(self.columns) - 1:
                head = cached.rsplit("\x1f", 1)[0]
                self._search[i] = head + "\x1f" + self.columns[-1].display(self._rows[i]).casefold()

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
        Column("Last updated", lambda m: format_time(last_updated(m)), lambda m: time_key(last_updated(m))),
    )


# -- governance and findings beside each model ----------------------------------------


_SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")


@dataclass(slots=True)
class ModelAttention:
    """A model's governance (per deployed version and target) and findings, as the Models page
    shows them."""

    governance: str = ""  # "v3: ✓ Production ⚠ champion 1 of 2"
    governance_tip: str = ""
    governance_rank: int = 0  # 0 nothing deployed, 1 approved, 2 unmet, 3 rejected
    findings: str = ""  # "4 · high"
    findings_tip: str = ""
    findings_rank: int = 99
    validation_failed: bool = False
    needs_attention: bool = False


def model_attention(model: RegisteredModel, status: Any, findings: Sequence[Any], deployed: Any) -> ModelAttention:
    """``status`` a services.governance_status.GovernanceStatus (or None), ``findings`` the
    findings of this model, ``deployed(model, version)`` the version's deployed targets."""
    out = ModelAttention()
    parts: list[str] = []
    tips: list[str] = []
    rank = {"approved": 1, "not-required": 1, "unmet": 2, "rejected": 3}
    for v in model.visible_versions():
        targets = deployed(model, v)
        if not targets:
            continue
        vg = status.of(model.name, v.version) if status is not None else None
        labels = []
        for t in targets:
            ts = vg.targets.get(t) if vg is not None else None
            if ts is None:
                labels.append(f"⚠ {t} not verified")
                tips.append(f"v{v.version} {t}: no governance store read, so not approved")
                out.governance_rank = max(out.governance_rank, 2)
                continue
            labels.append(ts.label)
            out.governance_rank = max(out.governance_rank, rank[ts.status])
            tips.append(f"v{v.version} {t}: {ts.words}" + "".join(f"\n  • {r}" for r in ts.reasons))
        parts.append(f"v{v.version}: " + " ".join(labels))
    out.governance = " · ".join(parts)
    out.governance_tip = "\n".join(tips) or "No deployed version"
    out.validation_failed = any(f.id == "F19" for f in findings)
    if out.validation_failed:
        out.governance = "⚠ validation failed · " + out.governance
        out.governance_tip = "A deployed version's validation tag says failed (F19).\n" + out.governance_tip
    if findings:
        worst = min(_SEVERITY_ORDER.index(f.severity) for f in findings if f.severity in _SEVERITY_ORDER)
        out.findings_rank = worst
        out.findings = f"{len(findings)} · {_SEVERITY_ORDER[worst]}"
        out.findings_tip = "\n".join(f"{f.id} {f.severity}: {f.rule}" for f in list(findings)[:15]) + (
            f"\n… {len(findings) - 15} more" if len(findings) > 15 else "")
    else:
        out.findings_tip = "No findings"
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

    def _accepts(self, row: int) -> bool:
        model = self._source
        assert model is not None
        if self.only_attention and not model.needs_attention(row):
            return False
        return not self._needle or self._needle in model.search_text(row)

    def _kept(self, rows: Iterable[int]) -> list[int]:
        if not self._needle and not self.only_attention:
            return list(rows)
        return [r for r in rows if self._accepts(r)]

    def _refilter(self) -> None:
        model = self._source
        if model is None:
            return
        kept = self._kept(range(model.rowCount()))
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
        self._persistent_entities = [model.entity(self._shown[i.row()]) for i in self._persistent]

    def _on_source_layout_changed(self, *_args: object) -> None:
        """The source was sorted: the same rows, in its new order (selections follow their rows)."""
        model = self._source
        assert model is not None
        self._shown = self._kept(range(model.rowCount()))
        pos = {id(model.entity(r)): n for n, r in enumerate(self._shown)}
        new = [self.index(pos[id(e)], i.column()) if id(e) in pos else QModelIndex()
               for e, i in zip(self._persistent_entities, self._persistent, strict=True)]
        self.changePersistentIndexList(self._persistent, new)
        self._persistent, self._persistent_entities = [], []
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
            self._needle = needle
            self._refilter()

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
        if self._source is None or not index.isValid() or index.row() >= len(self._shown):
            return None
        return self._source.data(self._source.index(self._shown[index.row()], index.column()), role)

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
