"""Store URLs, detection and the common source interface.

URL forms (DESIGN.md):

- ``path/to/file.db``: auto-detected by its tables (MLflow SQLite, MLMD SQLite or snapshot)
- ``mlflow+sqlite:///abs/path.db``, ``mlflow+postgresql://...``, ``mlflow+mysql://...``
- ``mlmd+sqlite:///...``, ``mlmd+mysql://...``
- ``openlineage:path.ndjson`` or ``openlineage:folder``
- ``snapshot:path.mlsnap``
"""

from __future__ import annotations

import importlib
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mlops_desktop.core.entities import Catalog, StoreInfo
from mlops_desktop.core.errors import StoreError, UsageError
from mlops_desktop.core.progress import CancelledFn, ProgressFn, never_cancelled, no_progress

SQLITE_MAGIC = b"SQLite format 3\x00"

#: kind -> "module:Class" of the source that reads it (imported lazily).
SOURCE_CLASSES: dict[str, str] = {
    "mlflow": "mlops_desktop.sources.mlflow_sql:MlflowSqlSource",
    "mlmd": "mlops_desktop.sources.mlmd:MlmdSource",
    "openlineage": "mlops_desktop.sources.openlineage:OpenLineageSource",
    "snapshot": "mlops_desktop.sources.snapshot:SnapshotSource",
}


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
    """Hide a password in ``scheme://user:password@host``."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, _, host = rest.rpartition("@")
    if ":" in creds:
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def _sqlite_tables(path: Path) -> set[str]:
    uri = f"file:{path.as_posix()}?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"Cannot open {path}: {exc}.") from exc
    try:
        rows = con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path} is not a readable SQLite database ({exc}).",
            "Check that you picked the store file itself, not a copy being written.",
        ) from exc
    finally:
        con.close()
    return {r[0].lower() for r in rows}


def detect_file_kind(path: Path) -> str:
    """Which store a local file or folder is, decided by its content (never its name)."""
    if not path.exists():
        raise StoreError(f"No such file or folder: {path}.", "Check the path and try again.")
    if path.is_dir():
        if any(p.suffix in {".json", ".ndjson", ".jsonl"} for p in path.iterdir()):
            return "openlineage"
        raise StoreError(
            f"{path} is a folder without OpenLineage event files (*.json, *.ndjson).",
            "Pick a store file, or a folder of OpenLineage events.",
        )
    try:
        with path.open("rb") as fh:
            head = fh.read(256)
    except OSError as exc:
        raise StoreError(f"Cannot read {path}: {exc.strerror}.") from exc
    if not head:
        raise StoreError(f"{path} is empty.", "Pick an MLflow or MLMD database, a snapshot or OpenLineage events.")
    if head.startswith(SQLITE_MAGIC):
        tables = _sqlite_tables(path)
        if "mlsnap_manifest" in tables:
            return "snapshot"
        if {"registered_models", "model_versions"} & tables or {"runs", "experiments"} <= tables:
            return "mlflow"
        if {"artifact", "execution", "event"} <= tables or "mlmdenv" in tables:
            return "mlmd"
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


def parse_store_url(raw: str) -> StoreUrl:
    """Turn a ``--store`` argument into a :class:`StoreUrl`; raises StoreError/UsageError."""
    text = raw.strip()
    if not text:
        raise UsageError("An empty store URL was given.", "Pass a file path or a URL such as mlflow+sqlite:///path.db.")
    for kind in ("mlflow", "mlmd"):
        prefix = kind + "+"
        if text.startswith(prefix):
            inner = text[len(prefix):]
            dialect = inner.split(":", 1)[0]
            if dialect == "sqlite":
                path = Path(inner.removeprefix("sqlite:///")).expanduser()
                if not inner.startswith("sqlite:////") and not path.is_absolute():
                    path = path.resolve()
                if not path.exists():
                    raise StoreError(f"No such file: {path}.", "Check the path and try again.")
                return StoreUrl(kind, raw, f"sqlite:///{path}", path)
            if dialect.startswith("postgresql") or dialect.startswith("postgres"):
                rest = inner.split("://", 1)[1] if "://" in inner else ""
                return StoreUrl(kind, raw, f"postgresql+psycopg://{rest}")
            if dialect.startswith("mysql") or dialect.startswith("mariadb"):
                rest = inner.split("://", 1)[1] if "://" in inner else ""
                return StoreUrl(kind, raw, f"mysql+pymysql://{rest}")
            raise UsageError(f"Unsupported database in {redact(raw)!r}.", "Use sqlite, postgresql or mysql.")
    for kind in ("openlineage", "snapshot"):
        if text.startswith(kind + ":"):
            path = Path(text[len(kind) + 1:].removeprefix("//")).expanduser()
            if not path.exists():
                raise StoreError(f"No such file or folder: {path}.", "Check the path and try again.")
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


class Source(ABC):
    """A read-only view of one store. Never writes; every call opens its own session."""

    def __init__(self, url: StoreUrl) -> None:
        self.url = url

    @property
    @abstractmethod
    def info(self) -> StoreInfo:
        """Kind, URL, schema version and identity of the store."""

    @abstractmethod
    def load_catalog(
        self,
        progress: ProgressFn = no_progress,
        is_cancelled: CancelledFn = never_cancelled,
        *,
        all_runs: bool = False,
    ) -> Catalog:
        """Read the store into a catalog. ``all_runs`` also loads runs no model version uses."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_source(raw: str | StoreUrl, settings: Mapping[str, object] | None = None) -> Source:
    """Open a store by URL. Raises :class:`StoreError` with an actionable message."""
    url = raw if isinstance(raw, StoreUrl) else parse_store_url(raw)
    module_name, _, class_name = SOURCE_CLASSES[url.kind].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise StoreError(f"This build cannot read {url.kind} stores yet ({url.display}).") from exc
    cls = getattr(module, class_name)
    source: Source = cls(url, settings=settings or {})
    return source


def open_sources(raws: Sequence[str], settings: Mapping[str, object] | None = None) -> list[Source]:
    sources: list[Source] = []
    try:
        for raw in raws:
            sources.append(open_source(raw, settings))
    except BaseException:
        for s in sources:
            s.close()
        raise
    return sources


def load_catalog(
    raws: Sequence[str],
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
    *,
    all_runs: bool = False,
    settings: Mapping[str, object] | None = None,
) -> Catalog:
    """Open every store, read it and merge the catalogs (in the order given)."""
    if not raws:
        raise UsageError("No store given.", "Pass at least one --store URL or path.")
    catalog = Catalog()
    sources = open_sources(raws, settings)
    try:
        for source in sources:
            catalog = catalog.merge(source.load_catalog(progress, is_cancelled, all_runs=all_runs))
    finally:
        for s in sources:
            s.close()
    return catalog
