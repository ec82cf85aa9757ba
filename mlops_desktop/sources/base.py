"""Store URLs, detection and the common source interface.

URL forms (DESIGN.md):

- ``path/to/file.db``: auto-detected by its tables (MLflow SQLite, MLMD SQLite or snapshot)
- ``mlflow+sqlite:///abs/path.db``, ``mlflow+postgresql://...``, ``mlflow+mysql://...``
- ``mlflow+http://host:port[/prefix]``, ``mlflow+https://...`` (a tracking server over REST)
- ``mlmd+sqlite:///...``, ``mlmd+mysql://...``, ``mlmd+postgresql://...``
- ``openlineage:path.ndjson`` or ``openlineage:folder``
- ``snapshot:path.mlsnap``
- ``sagemaker:PATH`` (folder or .zip of SageMaker API responses and CloudTrail files)
- ``datarobot:PATH`` (folder or .zip of DataRobot REST API responses)
- ``monitoring:PATH`` (folder of monitoring results: Evidently, Great Expectations, Model Monitor)
"""

from __future__ import annotations

import importlib
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, NamedTuple
from urllib.parse import urlsplit, urlunsplit

from mlops_desktop.core.classification import TRUE_VALUES
from mlops_desktop.core.entities import Catalog, Dataset, MetricValue, Run, StoreInfo
from mlops_desktop.core.errors import StoreError, UsageError
from mlops_desktop.core.progress import CancelledFn, ProgressFn, never_cancelled, no_progress
from mlops_desktop.sources.sqlite import SQLITE_MAGIC, check_regular_file, table_names

#: kind -> "module:Class" of the source that reads it (imported lazily).
SOURCE_CLASSES: dict[str, str] = {
    "mlflow": "mlops_desktop.sources.mlflow_sql:MlflowSqlSource",
    "mlflow-rest": "mlops_desktop.sources.mlflow_rest:MlflowRestSource",
    "mlmd": "mlops_desktop.sources.mlmd:MlmdSource",
    "openlineage": "mlops_desktop.sources.openlineage:OpenLineageSource",
    "snapshot": "mlops_desktop.sources.snapshot:SnapshotSource",
    "sagemaker": "mlops_desktop.sources.sagemaker:SageMakerSource",
    "datarobot": "mlops_desktop.sources.datarobot:DataRobotSource",
    "monitoring": "mlops_desktop.sources.monitoring:MonitoringSource",
}
#: What a page of runs can be sorted by (the Runs table's columns, in order).
RUN_SORTS = ("name", "run_id", "experiment", "user", "status", "start_time", "duration", "datasets")
#: What a page of datasets can be sorted by.
DATASET_SORTS = ("name", "digest", "used_by_runs", "source")
#: Lower-cases ASCII letters only: what SQLite's ``lower()``, PostgreSQL's ``lower(... COLLATE "C")``
#: and this module's in-memory paging all do, so a filter or sort gives the same rows everywhere.
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
#: The kinds a SQLite file can be, in the order their claims are tried.
SQLITE_KINDS = ("snapshot", "mlflow", "mlmd")


class SignerTrust(NamedTuple):
    """What a trust list says of the key that signed a snapshot."""

    identity: str | None = None  # who holds the key, when a trust list trusts it
    trust_source: str | None = None  # "local trust list", "trust list in the snapshot"; None: not trusted
    note: str | None = None  # why it is not trusted, when known


#: ``(key id, signing time, snapshot path, manifest predicate, statement bytes) -> SignerTrust``:
#: asked by the snapshot source once the manifest signature verified. Governance provides one.
SignerResolver = Callable[[str, datetime | None, Path, Mapping[str, Any], bytes], SignerTrust]


@dataclass(frozen=True, slots=True)
class SourceSettings:
    """What a source is told besides its URL.

    ``artifact_roots`` maps artifact-root prefixes recorded by the training environment to
    local folders; ``snapshot_trust`` says who signed a snapshot (the governance layer's
    trust lists; without it a signed snapshot is "untrusted").
    """

    artifact_roots: Mapping[str, str] = field(default_factory=dict)
    snapshot_trust: SignerResolver | None = None
    #: with ``snapshot_trust`` set, a snapshot that is not verified (ALTERED, unanchored, untrusted,
    #: unsigned) is refused unless this is true (``--allow-unverified``); it is then used with a warning.
    allow_unverified: bool = False
    #: told the status line of each unverified snapshot used that way (the CLI prints it on stderr)
    on_unverified: Callable[[str], None] | None = None


#: The settings of a source nobody configured.
DEFAULT_SETTINGS = SourceSettings()


@dataclass(frozen=True, slots=True)
class StoreUrl:
    """A parsed ``--store`` argument."""

    kind: str  # mlflow | mlmd | openlineage | snapshot
    raw: str  # what the user typed
    sqlalchemy_url: str | None = None  # for SQL stores
    path: Path | None = None  # for file stores
    options: Mapping[str, str] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        if self.sqlalchemy_url is None:
            return "file"
        return self.sqlalchemy_url.split(":", 1)[0].split("+", 1)[0]

    @property
    def display(self) -> str:
        """The URL without a password, safe to print and log."""
        return redact(self.raw)


def redact(url: str) -> str:
    """``url`` with its password hidden (SQLAlchemy's rendering); anything else unchanged."""
    if "://" not in url or "@" not in url:
        return url
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url


def source_class(kind: str) -> type[Source]:
    """The class that reads stores of ``kind`` (its module is imported now)."""
    module_name, _, class_name = SOURCE_CLASSES[kind].partition(":")
    cls: type[Source] = getattr(importlib.import_module(module_name), class_name)
    return cls


def sqlite_kind(path: Path, tables: set[str]) -> str | None:
    """The first kind whose source claims a SQLite file with these tables."""
    for kind in SQLITE_KINDS:
        if source_class(kind).claims(tables):
            return kind
    return None


def detect_file_kind(path: Path) -> str:
    """Which store a local file or folder is, decided by its content (never its name)."""
    if not os.path.lexists(path):
        raise StoreError(f"No such file or folder: {path}.", "Check the path and try again.")
    if path.is_dir():
        if any(p.suffix in {".json", ".ndjson", ".jsonl"} for p in path.iterdir()):
            return "openlineage"
        raise StoreError(
            f"{path} is a folder without OpenLineage event files (*.json, *.ndjson).",
            "Pick a store file, or a folder of OpenLineage events.",
        )
    check_regular_file(path, "store file")
    try:
        with path.open("rb") as fh:
            head = fh.read(256)
    except OSError as exc:
        raise StoreError(f"Cannot read {path}: {exc.strerror}.") from exc
    if not head:
        raise StoreError(f"{path} is empty.", "Pick an MLflow or MLMD database, a snapshot or OpenLineage events.")
    if head.startswith(SQLITE_MAGIC):
        tables = table_names(path, "store file")
        kind = sqlite_kind(path, tables)
        if kind is not None:
            return kind
        if not tables:
            raise StoreError(f"{path} is an empty SQLite database with no tables.",
                             "Pick the database your MLflow server or pipeline writes to.")
        raise StoreError(
            f"{path} is a SQLite database, but not an MLflow, ML Metadata or snapshot store "
            f"(tables: {', '.join(sorted(tables)[:6])}).",
            "Pick the database your MLflow server or pipeline writes to.",
        )
    stripped = head.lstrip()
    if stripped.startswith(b"{"):
        return "openlineage"
    raise StoreError(
        f"{path} is not a metadata store (neither a SQLite database nor OpenLineage JSON).",
        "Pick an MLflow or MLMD SQLite file, a .mlsnap snapshot or an OpenLineage .ndjson file.",
    )

def split_rest_url(raw: str) -> tuple[str, str]:
    """``mlflow+https://host:port/prefix`` -> (``https://host:port/prefix``, display URL).

    Refuses a password in the URL: it would end up in the recent-stores list.
    """
    text = raw.strip()
    inner = text.removeprefix("mlflow+")
    parts = urlsplit(inner)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"Malformed MLflow server URL {strip_userinfo(text)!r}.",
                         "Write it as mlflow+https://host:port or mlflow+http://127.0.0.1:5000.")
    if parts.password:
        raise UsageError(
            "A password inside the store URL is not accepted (the URL is kept in the recent-stores list).",
            "Set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN) instead.",
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"Bad port in {strip_userinfo(text)!r}.", "Use a number such as 5000.") from exc
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = f"{host}:{port}" if port else host
    base = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    return base, "mlflow+" + base


def strip_userinfo(text: str) -> str:
    """The URL without ``user[:password]@``."""
    return re.sub(r"//[^/@]*@", "//", text)


def parse_store_url(raw: str) -> StoreUrl:
    """Turn a ``--store`` argument into a :class:`StoreUrl`; raises StoreError/UsageError."""
    text = raw.strip()
    if not text:
        raise UsageError("An empty store URL was given.", "Pass a file path or a URL such as mlflow+sqlite:///path.db.")
    if text.startswith(("mlflow+http://", "mlflow+https://")):
        base, display = split_rest_url(text)  # refuses a password in the URL
        return StoreUrl("mlflow-rest", display, None, None, {"base_url": base})
    for kind in ("mlflow", "mlmd"):
        prefix = kind + "+"
        if text.startswith(prefix):
            inner = text[len(prefix):]
            dialect = inner.split(":", 1)[0]
            if dialect == "sqlite":
                path = Path(inner.removeprefix("sqlite:///")).expanduser()
                if not inner.startswith("sqlite:////") and not path.is_absolute():
                    path = path.resolve()
                check_regular_file(path, "store file")
                return StoreUrl(kind, raw, f"sqlite:///{path}", path)
            if dialect.startswith("postgresql") or dialect.startswith("postgres"):
                rest = inner.split("://", 1)[1] if "://" in inner else ""
                return StoreUrl(kind, raw, f"postgresql+psycopg://{rest}")
            if dialect.startswith("mysql") or dialect.startswith("mariadb"):
                rest = inner.split("://", 1)[1] if "://" in inner else ""
                return StoreUrl(kind, raw, f"mysql+pymysql://{rest}")
            raise UsageError(f"Unsupported database in {redact(raw)!r}.", "Use sqlite, postgresql or mysql.")
    for kind in ("openlineage", "snapshot", "sagemaker", "datarobot", "monitoring"):
        if text.startswith(kind + ":"):
            path = Path(text[len(kind) + 1:].removeprefix("//")).expanduser()
            if not os.path.lexists(path):
                raise StoreError(f"No such file or folder: {path}.", "Check the path and try again.")
            if not path.is_dir():
                check_regular_file(path, f"{kind} file")
            return StoreUrl(kind, raw, None, path.resolve())
    if "://" in text:
        raise UsageError(
            f"Unknown store URL {redact(raw)!r}.",
            "Prefix it with the store kind, e.g. mlflow+postgresql://user@host/db.",
        )
    path = Path(text).expanduser()
    kind = detect_file_kind(path)
    path = path.resolve()
    if kind in ("mlflow", "mlmd"):
        return StoreUrl(kind, raw, f"sqlite:///{path}", path)
    return StoreUrl(kind, raw, None, path)


def fold(text: str | None) -> str:
    """``text`` with ASCII letters lower-cased (see :data:`ASCII_LOWER`)."""
    return (text or "").translate(ASCII_LOWER)


@dataclass(frozen=True, slots=True)
class RunQuery:
    """Which runs a page holds and in what order (:meth:`Source.page_runs`).

    ``text`` matches, ignoring ASCII case, a substring of the run's name, id, experiment
    name (its id when unnamed), user or status. ``sort`` is one of :data:`RUN_SORTS`:
    texts compare by their ASCII-lower-cased code points, ``start_time`` and ``duration``
    by milliseconds (-1 when not recorded), ``datasets`` by the number of dataset inputs.
    Ties are broken by run id, ascending, whatever the direction.
    """

    text: str = ""
    sort: str = "start_time"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.sort not in RUN_SORTS:
            raise ValueError(f"unknown run sort {self.sort!r}")


#: Classification badges a dataset filter text matches (a substring of the badge's name) when
#: one of the dataset's run inputs carries the tag ``badge=true`` (any of ``classification.TRUE_VALUES``).
DATASET_BADGE_TAGS = ("pii", "phi")
#: Classification tags whose values a dataset filter text matches (the Datasets table shows them).
DATASET_FACT_TAGS = ("lawful_basis", "retention_until")


@dataclass(frozen=True, slots=True)
class DatasetQuery:
    """Which datasets a page holds (:meth:`Source.page_datasets`): ``text`` matches a
    substring of the id, name, digest or source (ASCII case ignored), a classification
    badge one of the dataset's inputs is tagged with (``PII``, ``PHI``:
    :data:`DATASET_BADGE_TAGS`), or the value of a classification tag of its inputs
    (:data:`DATASET_FACT_TAGS`, e.g. the lawful basis); ``sort`` is one of
    :data:`DATASET_SORTS`; ties are broken by dataset id."""

    text: str = ""
    sort: str = "name"
    descending: bool = False

    def __post_init__(self) -> None:
        if self.sort not in DATASET_SORTS:
            raise ValueError(f"unknown dataset sort {self.sort!r}")


@dataclass(slots=True)
class RunSummary:
    """One row of a page of runs: the run's own fields (params, metrics, tags and inputs may
    be empty: :meth:`Source.run_detail` reads them) and how many dataset inputs it has."""

    run: Run
    datasets: int


@dataclass(slots=True)
class DatasetSummary:
    """One row of a page of datasets: the dataset (with the tags of its inputs) and how many
    runs of the store use it as an input."""

    dataset: Dataset
    used_by_runs: int


def millis(value: datetime | None) -> int:
    """Epoch milliseconds of a time, -1 when not recorded."""
    return round(value.timestamp() * 1000) if value is not None else -1


def run_matches(run: Run, needle: str) -> bool:
    """Does ``run`` match a :class:`RunQuery` text (already :func:`fold`-ed)?"""
    if not needle:
        return True
    return any(needle in fold(field) for field in (
        run.name, run.run_id, run.experiment_name or run.experiment_id, run.user, run.status))


def run_sort_key(row: RunSummary, sort: str) -> Any:
    run = row.run
    if sort == "name":
        return fold(run.name or run.run_id)
    if sort == "run_id":
        return fold(run.run_id)
    if sort == "experiment":
        return fold(run.experiment_name or run.experiment_id)
    if sort == "user":
        return fold(run.user)
    if sort == "status":
        return fold(run.status)
    if sort == "start_time":
        return millis(run.start_time)
    if sort == "duration":
        start, end = millis(run.start_time), millis(run.end_time)
        return end - start if start >= 0 and end >= 0 else -1
    return row.datasets


def page_of_runs(rows: list[RunSummary], query: RunQuery, offset: int, limit: int | None) -> list[RunSummary]:
    """``rows`` filtered and ordered as :class:`RunQuery` says, then sliced (in memory)."""
    needle = fold(query.text.strip())
    hits = sorted((r for r in rows if run_matches(r.run, needle)), key=lambda r: fold(r.run.run_id))
    hits.sort(key=lambda r: run_sort_key(r, query.sort), reverse=query.descending)  # stable: ties by id
    return hits[offset:] if limit is None else hits[offset:offset + limit]


def dataset_matches(row: DatasetSummary, needle: str, input_tags: list[dict[str, str]] | None = None) -> bool:
    """Does the dataset match a :class:`DatasetQuery` text (already :func:`fold`-ed)?

    ``input_tags``: the tags of each of its run inputs (default: the dataset's own tags).
    """
    ds = row.dataset
    if not needle or any(needle in fold(field) for field in (ds.id, ds.name, ds.digest, ds.source)):
        return True
    for tags in input_tags if input_tags is not None else [ds.tags]:
        norm = {fold(k.strip()): fold((v or "").strip()) for k, v in tags.items()}
        if any(needle in badge and norm.get(badge) in TRUE_VALUES for badge in DATASET_BADGE_TAGS):
            return True
        if any(needle in norm.get(fact, "") for fact in DATASET_FACT_TAGS):
            return True
    return False


def dataset_sort_key(row: DatasetSummary, sort: str) -> Any:
    if sort == "used_by_runs":
        return row.used_by_runs
    return fold(getattr(row.dataset, sort))


def page_of_datasets(rows: list[DatasetSummary], query: DatasetQuery, offset: int, limit: int | None,
                     input_tags: Mapping[str, list[dict[str, str]]] | None = None) -> list[DatasetSummary]:
    """``rows`` filtered and ordered as :class:`DatasetQuery` says, then sliced (in memory)."""
    needle = fold(query.text.strip())
    tags = input_tags or {}
    hits = sorted((r for r in rows if dataset_matches(r, needle, tags.get(r.dataset.id))),
                  key=lambda r: fold(r.dataset.id))
    hits.sort(key=lambda r: dataset_sort_key(r, query.sort), reverse=query.descending)
    return hits[offset:] if limit is None else hits[offset:offset + limit]


class Source(ABC):
    """A read-only view of one store. Never writes; every call opens its own session."""

    #: Groups of (lower-case) table names; a SQLite file holding every table of one group
    #: is this source's. Empty for sources that do not read SQLite files.
    CLAIMS_TABLES: ClassVar[tuple[frozenset[str], ...]] = ()
    #: Whether :meth:`metric_history` can return more than the latest value of a metric.
    KEEPS_METRIC_HISTORY: ClassVar[bool] = False

    def __init__(self, url: StoreUrl, settings: SourceSettings = DEFAULT_SETTINGS) -> None:
        self.url = url
        self.settings = settings

    @classmethod
    def claims(cls, tables: set[str]) -> bool:
        """Is a SQLite file with these tables one of this source's stores?"""
        return any(group <= tables for group in cls.CLAIMS_TABLES)

    @property
    @abstractmethod
    def info(self) -> StoreInfo:
        """Kind, URL, schema version and identity of the store."""

    @abstractmethod
    def registry_id(self) -> str:
        """The registry identity of this store (docs/CRYPTO.md, "Registry identity";
        :mod:`mlops_desktop.sources.registry_identity`): derived from the store's own content,
        the same for a byte copy or a restored dump, "" when the store holds nothing to derive
        it from. Also in :attr:`info` (``StoreInfo.registry_id``)."""

    @abstractmethod
    def load_catalog(
        self,
        progress: ProgressFn = no_progress,
        is_cancelled: CancelledFn = never_cancelled,
        *,
        all_runs: bool = False,
    ) -> Catalog:
        """Read the store into a catalog. ``all_runs`` also loads runs no model version uses."""

    @abstractmethod
    def load_registry(
        self, progress: ProgressFn = no_progress, is_cancelled: CancelledFn = never_cancelled
    ) -> Catalog | None:
        """Stores, models and versions only, when the store can give them faster than the whole
        catalog (the inventory shows them first); None when it cannot."""

    def load_working_catalog(self, registry: Catalog | None, progress: ProgressFn = no_progress,
                             is_cancelled: CancelledFn = never_cancelled) -> Catalog:
        """The catalog a long-lived view holds (the GUI): the same facts as :meth:`load_catalog`,
        but a source may reuse ``registry`` (what its :meth:`load_registry` just returned, so one
        copy of the models and versions is held) and hold runs :attr:`~Run.lean`, read whole on
        demand through :attr:`Catalog.run_readers`. This default reads the whole catalog."""
        return self.load_catalog(progress, is_cancelled)

    @abstractmethod
    def metric_history(self, run_id: str, key: str) -> list[MetricValue]:
        """Every recorded value of one metric of one run, in step order (empty: none kept)."""

    @abstractmethod
    def metric_keys(self, run_id: str) -> list[str]:
        """The keys of the metrics with a history for one run (empty: none kept)."""

    # -- on-demand reads (the GUI's Runs and Datasets pages) ---------------------------
    #
    # Sources that can page in the store itself (SQL) override these. The fallback reads
    # every run once (``load_catalog(all_runs=True)``), keeps that catalog and pages it in
    # memory, with the same filter and order as :class:`RunQuery` and :class:`DatasetQuery`.

    #: Whether the paging methods read from the store itself (False: the in-memory fallback).
    PAGES_IN_STORE: ClassVar[bool] = False

    def _paging_catalog(self) -> Catalog:
        cached: Catalog | None = getattr(self, "_all_runs_catalog", None)
        if cached is None:
            cached = self.load_catalog(all_runs=True)
            self._all_runs_catalog = cached
        return cached

    def _summaries(self) -> tuple[list[RunSummary], list[DatasetSummary], dict[str, list[dict[str, str]]]]:
        """Every run and dataset of the full load, and the tags of each dataset's run inputs."""
        cached: tuple[list[RunSummary], list[DatasetSummary], dict[str, list[dict[str, str]]]] | None = \
            getattr(self, "_paging_rows", None)
        if cached is None:
            catalog = self._paging_catalog()
            runs = [RunSummary(r, len(r.inputs)) for r in catalog.runs.values()]
            uses: dict[str, int] = {}
            input_tags: dict[str, list[dict[str, str]]] = {}
            for r in catalog.runs.values():
                for inp in r.inputs:
                    uses[inp.dataset_id] = uses.get(inp.dataset_id, 0) + 1
                    input_tags.setdefault(inp.dataset_id, []).append(inp.tags)
            datasets = [DatasetSummary(d, uses.get(d.id, 0)) for d in catalog.datasets.values()]
            cached = (runs, datasets, input_tags)
            self._paging_rows = cached
        return cached

    def count_runs(self, query: RunQuery = RunQuery(), *,  # noqa: B008 - frozen
                   is_cancelled: CancelledFn | None = None) -> int:
        """How many runs of the store match ``query`` (every run, not only those versions use).

        ``is_cancelled`` (every paging read takes it): a source may stop a read once it says
        so, raising :class:`~mlops_desktop.core.errors.CancelledError` (SQLite stores do)."""
        return len(page_of_runs(self._summaries()[0], query, 0, None))

    def page_runs(self, query: RunQuery, offset: int, limit: int, *,
                  is_cancelled: CancelledFn | None = None) -> list[RunSummary]:
        """Runs ``offset`` to ``offset + limit`` of those matching ``query``, in its order."""
        return page_of_runs(self._summaries()[0], query, offset, limit)

    def run_detail(self, run_id: str) -> Run | None:
        """One run with its params, latest metrics, tags and dataset inputs (None: no such run)."""
        return self._paging_catalog().runs.get(run_id)

    def count_datasets(self, query: DatasetQuery = DatasetQuery(), *,  # noqa: B008 - frozen
                       is_cancelled: CancelledFn | None = None) -> int:
        """How many datasets of the store match ``query``."""
        _runs, datasets, tags = self._summaries()
        return len(page_of_datasets(datasets, query, 0, None, tags))

    def page_datasets(self, query: DatasetQuery, offset: int, limit: int, *,
                      is_cancelled: CancelledFn | None = None) -> list[DatasetSummary]:
        """Datasets ``offset`` to ``offset + limit`` of those matching ``query``, in its order."""
        _runs, datasets, tags = self._summaries()
        return page_of_datasets(datasets, query, offset, limit, tags)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_source(raw: str | StoreUrl, settings: SourceSettings = DEFAULT_SETTINGS) -> Source:
    """Open a store by URL. Raises :class:`StoreError` with an actionable message."""
    url = raw if isinstance(raw, StoreUrl) else parse_store_url(raw)
    return source_class(url.kind)(url, settings)
