"""The one way this application opens a SQLite file it must not change.

``connect_readonly`` checks first that the path is a regular file (a FIFO would block the
open, a folder or socket gives a cryptic SQLite error), then connects through a ``file:``
URI built with :meth:`pathlib.Path.as_uri` (so ``#``, ``?``, ``%``, spaces and non-ASCII
characters in folder names are quoted, not read as URI syntax), with ``mode=ro`` and
``PRAGMA query_only``. :func:`readonly_engine` is the SQLAlchemy engine on top of it.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import QueuePool

from mlops_desktop.core.errors import StoreError

SQLITE_MAGIC = b"SQLite format 3\x00"

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def file_kind(mode: int) -> str | None:
    """What a non-regular file is (``"a folder"``...), None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def check_regular_file(path: Path, what: str = "database file") -> None:
    """Raise :class:`StoreError` unless ``path`` is (a symlink to) an existing regular file.

    Only ``os.stat`` runs, so nothing is opened: a FIFO is refused at once instead of
    blocking, and nothing is created next to the path.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError as exc:
        if os.path.islink(path):
            raise StoreError(f"{path} is a symbolic link to a missing file ({os.readlink(path)}).",
                             f"Point it at the {what}, or pass the {what} itself.") from exc
        raise StoreError(f"No such file: {path}.", "Check the path and try again.") from exc
    except OSError as exc:
        raise StoreError(f"Cannot read {path}: {exc.strerror or exc}.", "Check the path and its permissions.") from exc
    kind = file_kind(mode)
    if kind is not None:
        raise StoreError(f"{path} is {kind}, not a {what}.", f"Pass the {what} itself.")


def readonly_uri(path: Path) -> str:
    """``file:///...?mode=ro`` with every special character of the path quoted."""
    return Path(os.path.abspath(path)).as_uri() + "?mode=ro"


def connect_readonly(path: Path, what: str = "database file") -> sqlite3.Connection:
    """A connection that cannot write (``mode=ro`` and ``query_only``), usable from any thread."""
    check_regular_file(path, what)
    try:
        con = sqlite3.connect(readonly_uri(path), uri=True, check_same_thread=False)
    except sqlite3.Error as exc:
        raise StoreError(f"Cannot open {path}: {exc}.", "Check the path and its permissions.") from exc
    try:
        con.execute("PRAGMA query_only = ON")
    except sqlite3.Error as exc:
        con.close()
        raise StoreError(f"{path} is not a readable SQLite database ({exc}).",
                         f"Pass the {what} itself, not a copy being written.") from exc
    return con


def readonly_engine(path: Path, what: str = "database file") -> sa.Engine:
    """A SQLAlchemy engine whose every connection comes from :func:`connect_readonly`.

    The file is checked once here, so a bad path fails at once with one clear message.
    """
    check_regular_file(path, what)

    def creator() -> sqlite3.Connection:
        return connect_readonly(path, what)

    # A pool of file connections (the URL alone would make SQLAlchemy pool as for :memory:).
    return sa.create_engine("sqlite+pysqlite://", creator=creator, poolclass=QueuePool)


def table_names(path: Path, what: str = "database file") -> set[str]:
    """Lower-cased names of the tables in a SQLite file (for detection by content)."""
    con = connect_readonly(path, what)
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
