"""Read-only SQLAlchemy engines for the SQL stores, and SQL error translation.

The one boundary where driver errors become :class:`StoreError` with a message that says
what to do. SQLite opens with ``mode=ro`` and ``query_only``; PostgreSQL sessions run
``default_transaction_read_only``; MySQL/MariaDB sessions are ``TRANSACTION READ ONLY``.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from mlops_desktop.core.errors import StoreError
from mlops_desktop.sources import sqlite
from mlops_desktop.sources.base import StoreUrl

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5


def readonly_engine(url: StoreUrl) -> sa.Engine:
    """An engine that cannot write, with short connect timeouts for servers."""
    if url.sqlalchemy_url is None:
        raise StoreError(f"{url.display} is not a SQL store.")
    if url.dialect == "sqlite":
        assert url.path is not None
        return sqlite.readonly_engine(url.path, "store file")
    try:
        sa_url = make_url(url.sqlalchemy_url)
    except ArgumentError as exc:
        raise StoreError(f"Malformed database URL {url.display}.", "Write it as mlflow+postgresql://user@host:5432/db.") from exc
    connect_args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_S}
    if sa_url.get_backend_name() == "postgresql":
        connect_args["options"] = "-c default_transaction_read_only=on"
    elif sa_url.get_backend_name() == "mysql":
        connect_args["init_command"] = "SET SESSION TRANSACTION READ ONLY"
        connect_args["charset"] = "utf8mb4"
        connect_args["read_timeout"] = 120
    try:
        return sa.create_engine(sa_url, connect_args=connect_args, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as exc:
        raise StoreError(f"No database driver for {url.display}: {exc}.") from exc


def translate_sql_error(exc: SQLAlchemyError, url: StoreUrl) -> StoreError:
    """Turn a driver error into a message a user can act on."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    lowered = text.lower()
    where = url.display
    if ("authentication failed" in lowered or "access denied" in lowered
            or ("role" in lowered and "does not exist" in lowered)):
        return StoreError(f"The server refused the credentials for {where}.", "Check the user name and password in the URL.")
    if "does not exist" in lowered and "database" in lowered or "unknown database" in lowered:
        return StoreError(f"The database in {where} does not exist on that server.", "Check the database name in the URL.")
    if any(s in lowered for s in ("connection refused", "could not connect", "can't connect", "timeout", "timed out",
                                  "name or service not known", "could not translate host", "no route to host")):
        return StoreError(
            f"Cannot reach the database server for {where} ({text}).",
            "Check that the server is running and the host and port are right.",
        )
    if isinstance(orig, sqlite3.DatabaseError) or "file is not a database" in lowered or "malformed" in lowered:
        return StoreError(f"{where} is not a readable database ({text}).", "The file may be corrupt or not a store.")
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return StoreError(f"The connection to {where} was lost.", "Reload once the server is back.")
    return StoreError(f"Reading {where} failed: {text}.", "Check the store, then reload.")


__all__ = ["readonly_engine", "translate_sql_error"]
