"""Opening the governance store: URL resolution, migrations, schema checks, sessions.

One engine per store, shared across threads; one Session per call. SQL errors become
:class:`StoreError` here, at the single boundary. A schema newer than this build knows
opens read-only: reads work, writes are refused with a clear message.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from mlops_desktop.core import paths
from mlops_desktop.core.errors import SchemaError, StoreError
from mlops_desktop.crypto.merkle import EMPTY_ROOT
from mlops_desktop.governance.models import SqlLogHead, SqlMeta
from mlops_desktop.sources import sqlite as ro
from mlops_desktop.sources.base import redact
from mlops_desktop.sources.sqlite import SQLITE_MAGIC, check_regular_file

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

logger = logging.getLogger(__name__)

GOVERNANCE_ENV = "MLOPS_DESKTOP_GOVERNANCE_URL"
_SQLITE_BUSY_TIMEOUT_S = 60


def now_iso() -> str:
    """RFC 3339 UTC with microseconds and a ``Z`` suffix."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Governance:
    """An open governance store."""

    url: str  # display form, password removed
    engine: Engine
    dialect: str  # sqlite | postgresql
    path: Path | None = None
    store_id: str = ""
    schema_revision: str | None = None
    read_only_reason: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    checkpoint_every: int = 100  # sign a checkpoint every N appends (0: only on demand)

    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None

    @property
    def origin(self) -> str:
        """The checkpoint origin line: identifies this log."""
        return f"mlops-desktop.dev/governance/{self.store_id}"

    def require_writable(self) -> None:
        if self.read_only_reason is not None:
            raise SchemaError(self.read_only_reason) if "newer" in self.read_only_reason else StoreError(
                self.read_only_reason
            )

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        try:
            with Session(self.engine) as session:
                yield session
        except (SQLAlchemyError, sqlite3.Error) as exc:  # raw sqlite3 errors come from BEGIN IMMEDIATE
            raise _store_error(self, exc) from exc

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A transaction holding the log's write lock on SQLite (BEGIN IMMEDIATE)."""
        self.require_writable()
        try:
            with self.engine.connect() as conn:
                if self.dialect == "sqlite":
                    conn.execution_options(sqlite_begin="IMMEDIATE")
                with Session(bind=conn) as session, session.begin():
                    yield session
        except (SQLAlchemyError, sqlite3.Error) as exc:  # raw sqlite3 errors come from BEGIN IMMEDIATE
            raise _store_error(self, exc) from exc

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Governance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _store_error(gov: Governance, exc: SQLAlchemyError | sqlite3.Error) -> StoreError:
    text = str(getattr(exc, "orig", exc) or exc)
    low = text.lower()
    if "readonly" in low or "read-only" in low or "read only" in low:
        return StoreError(f"The governance database {gov.url} is read-only.",
                          "Nothing was written. Ask for write access or use another --governance store.")
    if "locked" in low:
        return StoreError(f"The governance database {gov.url} is locked by another program.",
                          "Try again in a moment.")
    if "no such table" in low or "does not exist" in low or "undefined" in low:
        return SchemaError(f"The governance database {gov.url} is incomplete ({text.splitlines()[0]}).",
                           "It was not created by MLOps Desktop, or a migration was interrupted.")
    return StoreError(f"Governance database error on {gov.url}: {text.splitlines()[0] if text else type(exc).__name__}.")


#: the schema revisions of ``migrations/versions``, oldest first. Opening a store compares its
#: revision with these without importing alembic (16 MB, and mako, for every window and command);
#: alembic runs only to migrate. tests/governance/test_schema_revisions.py holds them to alembic's
#: script directory.
REVISIONS = ("0001_initial", "0002_journal")


def _script_dir() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config())


def _alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    location = resources.files("mlops_desktop.governance").joinpath("migrations")
    cfg.set_main_option("script_location", str(location))
    return cfg


def known_revisions() -> set[str]:
    return set(REVISIONS)


def head_revision() -> str:
    return REVISIONS[-1]


def _current_revision(conn: sa.Connection) -> str | None:
    """The revision recorded in ``alembic_version`` (what alembic's MigrationContext reads); more
    than one row (branches this build never made) is a revision no build of ours knows."""
    rows = [r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))]
    return None if not rows else rows[0] if len(rows) == 1 else "+".join(sorted(rows))


def resolve_url(url: str | None) -> tuple[str, Path | None]:
    """``(sqlalchemy_url, sqlite_path)`` for a --governance value (None: env, then the default file)."""
    raw = (url or os.environ.get(GOVERNANCE_ENV) or "").strip()
    if not raw:
        path = paths.default_governance_path()
        return f"sqlite:///{path}", path
    if raw.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + raw.split("://", 1)[1], None
    if raw.startswith("postgresql+"):
        return "postgresql+psycopg://" + raw.split("://", 1)[1], None
    if raw.startswith("sqlite:///"):
        path = Path(raw.removeprefix("sqlite:///")).expanduser()
        if not raw.startswith("sqlite:////") and not path.is_absolute():
            path = path.resolve()
        return f"sqlite:///{path}", path
    if "://" in raw:
        raise StoreError(f"Unsupported governance URL {redact(raw)!r}.",
                         "Use a SQLite file path or postgresql://user@host/database.")
    path = Path(raw).expanduser().resolve()
    return f"sqlite:///{path}", path


def _begin_immediate(dbapi_con: Any) -> None:
    """``BEGIN IMMEDIATE`` with a short-sleep retry loop.

    SQLite's own busy handler backs off to 100 ms sleeps, which starves writers when
    several processes append at once; the write lock is only held for a few milliseconds.
    """
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT_S
    dbapi_con.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                dbapi_con.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(random.uniform(0.0005, 0.003))
    finally:
        dbapi_con.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_TIMEOUT_S * 1000}")


def _make_engine(sa_url: str, path: Path | None, read_only: bool) -> Engine:
    if path is None:
        return sa.create_engine(sa_url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    if read_only:
        engine = ro.readonly_engine(path, "governance database")
    else:
        # A plain file name, not a URL: '?', '#' and '%' in folder names stay what they are.
        def creator() -> sqlite3.Connection:
            return sqlite3.connect(str(path), timeout=_SQLITE_BUSY_TIMEOUT_S, check_same_thread=False)

        engine = sa.create_engine("sqlite+pysqlite://", creator=creator, poolclass=QueuePool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_con: Any, _record: Any) -> None:
        dbapi_con.isolation_level = None  # we emit BEGIN ourselves

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode == "IMMEDIATE":
            _begin_immediate(conn.connection.dbapi_connection)
        else:
            conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


#: held while a SQLite governance store is checked, created or migrated (see open_database)
_SQLITE_OPEN_LOCK = threading.Lock()


def open_database(url: str | None = None, *, create: bool = True) -> Governance:
    """Open (and create or migrate if needed) a governance database (not a snapshot: see
    :func:`mlops_desktop.governance.store.open_governance`, which every command uses).

    ``url``: None (MLOPS_DESKTOP_GOVERNANCE_URL, else the default SQLite file in the user
    data directory), a SQLite path / ``sqlite:///`` URL, or ``postgresql://...``.
    """
    sa_url, path = resolve_url(url)
    # one thread at a time checks, creates or migrates a SQLite store: a thread that opens it
    # (without creating) while another creates it would see the new file before its schema
    with _SQLITE_OPEN_LOCK if path is not None else contextlib.nullcontext():
        return _open_database(url, sa_url, path, create)


def _open_database(url: str | None, sa_url: str, path: Path | None, create: bool) -> Governance:
    dialect = "sqlite" if path is not None else "postgresql"
    display = str(path) if path is not None else redact(url or os.environ.get(GOVERNANCE_ENV, ""))
    read_only_reason: str | None = None
    if path is not None:
        read_only_reason = _check_sqlite_file(path, create, url is None and not os.environ.get(GOVERNANCE_ENV))
    # even root must not write to a read-only one: it opens with mode=ro and query_only
    engine = _make_engine(sa_url, path, read_only_reason is not None)
    gov = Governance(url=display, engine=engine, dialect=dialect, path=path, read_only_reason=read_only_reason)
    try:
        _prepare(gov, create)
    except SQLAlchemyError as exc:
        engine.dispose()
        if dialect == "postgresql":
            raise StoreError(
                f"Cannot reach the governance database {display}: {str(getattr(exc, 'orig', exc)).splitlines()[0]}.",
                "Check the URL, that the server is running and that you may connect.",
            ) from exc
        raise _store_error(gov, exc) from exc
    except BaseException:
        engine.dispose()
        raise
    return gov


def _check_sqlite_file(path: Path, create: bool, is_default: bool) -> str | None:
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a governance database.", "Pass a file path.")
    if os.path.lexists(path):
        check_regular_file(path, "governance database")
        try:
            with path.open("rb") as fh:
                head = fh.read(16)
        except OSError as exc:
            raise StoreError(f"Cannot read the governance database {path}: {exc.strerror}.") from exc
        if head and head != SQLITE_MAGIC:
            raise StoreError(f"{path} is not a governance database (not SQLite).",
                             "Pass the governance .db file, or a new path to create one.")
        if (not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK)
                or path.stat().st_mode & 0o222 == 0):
            return (f"The governance database {path} is read-only; nothing can be recorded. "
                    "Ask for write access or use another --governance store.")
        return None
    if not create:
        raise StoreError(f"No governance database at {path}.")
    if is_default:
        paths.ensure_dir(path.parent)
    elif not path.parent.is_dir():
        raise StoreError(f"Cannot create the governance database {path}: folder {path.parent} does not exist.")
    if not os.access(path.parent, os.W_OK):
        raise StoreError(f"Cannot create the governance database {path}: folder {path.parent} is read-only.")
    return None


def _prepare(gov: Governance, create: bool) -> None:
    with gov.engine.connect() as conn:
        inspector = sa.inspect(conn)
        tables = set(inspector.get_table_names())
        current = _current_revision(conn) if "alembic_version" in tables else None
    if current is not None and "gov_meta" not in tables:
        raise StoreError(f"{gov.url} is not an MLOps Desktop governance store (it has another application's "
                         f"schema, tables: {', '.join(sorted(tables)[:5])}).",
                         "Pass the governance store itself, or a new path to create one.")
    if current is None:
        foreign = tables - {"alembic_version"}
        if foreign:
            raise StoreError(f"{gov.url} is not an MLOps Desktop governance store (tables: {', '.join(sorted(foreign)[:5])}).",
                             "Pass an empty database or the governance store itself.")
        if gov.read_only_reason is not None or not create:
            raise StoreError(f"{gov.url} holds no governance store and cannot be created here.")
        _upgrade(gov)
    elif current not in known_revisions():
        gov.read_only_reason = (
            f"The governance store {gov.url} has schema {current}, newer than this build of MLOps Desktop "
            f"knows (up to {head_revision()}); it is open read-only. Upgrade MLOps Desktop to record anything."
        )
    elif current != head_revision():
        if gov.read_only_reason is None:
            _upgrade(gov)
    gov.schema_revision = head_revision() if current is None or (
        current != head_revision() and current in known_revisions() and gov.read_only_reason is None
    ) else current
    with Session(gov.engine) as session:
        meta = {m.key: m.value for m in session.scalars(sa.select(SqlMeta))}
    if "store_id" not in meta:
        if gov.read_only_reason is not None:
            raise StoreError(f"{gov.url} is an unfinished governance store and is read-only.")
        meta = _initialise(gov)
    gov.meta = meta
    gov.store_id = meta["store_id"]


def _upgrade(gov: Governance) -> None:
    from alembic import command

    cfg = _alembic_config()
    with gov.engine.begin() as conn:
        if gov.dialect == "postgresql":  # two clients creating one store at once: one waits
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7231001)")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    logger.info("Governance store %s migrated to %s", gov.url, head_revision())


def _initialise(gov: Governance) -> dict[str, str]:
    with gov.write_session() as session:
        if gov.dialect == "postgresql":
            session.execute(sa.text("SELECT pg_advisory_xact_lock(7231001)"))
        existing = {m.key: m.value for m in session.scalars(sa.select(SqlMeta))}
        if "store_id" in existing:
            return existing
        meta = {"store_id": uuid.uuid4().hex, "created_at": now_iso()}
        for key, value in meta.items():
            session.add(SqlMeta(key=key, value=value))
        if session.get(SqlLogHead, 1) is None:
            session.add(SqlLogHead(id=1, size=0, frontier=json.dumps([]), root_hash=EMPTY_ROOT.hex()))
    return meta
