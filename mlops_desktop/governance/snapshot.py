"""Writing signed snapshots.

``create_snapshot`` reads the stores, writes the catalog (format in
:mod:`mlops_desktop.sources.snapshot_format`) and a copy of the governance records into a
temporary file next to the target, hashes every table, signs the manifest as a DSSE
envelope over an in-toto Statement (predicate :data:`SNAPSHOT_PREDICATE`), fsyncs and
renames: a cancelled or failed run leaves no partial file. Opening one, and who signed it,
is :mod:`mlops_desktop.governance.snapshot_view`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
import logging
import os
import sqlite3
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateTable

from mlops_desktop import __version__
from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.errors import CancelledError, MlopsError, StoreError, UsageError
from mlops_desktop.core.hashing import file_sha256
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)
from mlops_desktop.crypto.dsse import make_statement, sign_envelope
from mlops_desktop.crypto.ecdsa import public_pem
from mlops_desktop.governance import audit
from mlops_desktop.governance.db import Governance, now_iso, resolve_url
from mlops_desktop.governance.keys import SigningKey
from mlops_desktop.governance.models import Base, SqlLogHead
from mlops_desktop.governance.snapshot_view import snapshot_settings
from mlops_desktop.governance.store import open_governance
from mlops_desktop.sources import snapshot_format as fmt
from mlops_desktop.sources.base import DEFAULT_SETTINGS, SourceSettings
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.sources.snapshot import SnapshotSource

logger = logging.getLogger(__name__)

SNAPSHOT_PREDICATE = fmt.SNAPSHOT_PREDICATE


@dataclass(frozen=True, slots=True)
class SnapshotResult:
    """What ``snapshot create`` wrote."""

    path: Path
    sha256: str  # of the whole file
    size: int
    signed: bool
    key_id: str | None
    created_at: str
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    governance_url: str | None = None  # whose records were copied
    log_seq: int | None = None  # the audit-log entry recording the export (export_snapshot)
    not_recorded: str | None = None  # why the export could not be recorded, if it could not

    def as_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "size": self.size,
            "signed": self.signed,
            "key_id": self.key_id,
            "created_at": self.created_at,
            "governance": self.governance_url,
            "log_seq": self.log_seq,
            "tables": {k: {"rows": v["rows"], "sha256": v["sha256"]} for k, v in self.tables.items()},
        }


class _Phases:
    """Maps sub-step progress onto one 0..100 bar."""

    def __init__(self, progress: ProgressFn) -> None:
        self.progress = progress
        self.start = 0
        self.end = 0

    def phase(self, start: int, end: int, message: str) -> ProgressFn:
        self.start, self.end = start, end
        self.progress(start, 100, message)

        def sub(done: int, total: int, msg: str) -> None:
            frac = done / total if total else 0.0
            self.progress(self.start + int((self.end - self.start) * min(frac, 1.0)), 100, msg)

        return sub


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _check_out(out: Path, stores: Sequence[str]) -> Path:
    out = Path(out).expanduser()
    if out.is_dir():
        raise UsageError(f"{out} is a folder.", "Pass a file name such as audit-2026-01.mlsnap.")
    parent = out.parent.resolve()
    if not parent.is_dir():
        raise UsageError(f"The folder {parent} does not exist.", "Create it first or pick another --out.")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"Cannot write in {parent}.", "Pick a folder you can write to.")
    resolved = parent / out.name
    for raw in stores:
        candidate = raw.split(":", 1)[1] if raw.startswith(("snapshot:", "openlineage:")) else raw
        candidate = candidate.removeprefix("mlflow+sqlite:///").removeprefix("mlmd+sqlite:///")
        with contextlib.suppress(OSError, ValueError):
            if Path(candidate).expanduser().resolve() == resolved:
                raise UsageError(f"--out {out} is one of the stores being read.", "Write the snapshot elsewhere.")
    return resolved


def write_catalog(con: sqlite3.Connection, catalog: Catalog, progress: ProgressFn, is_cancelled: CancelledFn) -> None:
    """Create the catalog tables and insert the catalog's rows."""
    total = len(fmt.TABLES)
    for i, (spec, rows) in enumerate(fmt.catalog_rows(catalog)):
        check_cancelled(is_cancelled)
        progress(i, total, f"Writing {spec.table.removeprefix(fmt.CATALOG_PREFIX).replace('_', ' ')}")
        con.execute(fmt.table_ddl(spec))
        placeholders = ", ".join("?" for _ in spec.columns)
        cols = ", ".join(f'"{c}"' for c in spec.columns)
        for start in range(0, len(rows), 20000):
            check_cancelled(is_cancelled)
            con.executemany(f'INSERT INTO "{spec.table}" ({cols}) VALUES ({placeholders})',  # noqa: S608
                            rows[start:start + 20000])
    progress(total, total, "Catalog written")


def build_statement(
    catalog: Catalog,
    tables: Mapping[str, dict[str, Any]],
    created_at: str,
    key: SigningKey | None,
    governance: Mapping[str, Any] | None,
) -> bytes:
    predicate: dict[str, Any] = {
        "format": fmt.FORMAT,
        "table_digest": fmt.TABLE_DIGEST_RULE,
        "created_at": created_at,
        "app": {"name": "mlops-desktop", "version": __version__},
        "created_by": _os_user(),
        "sources": [
            {"kind": s.kind, "url": s.url, "schema": s.schema, "dialect": s.dialect, "identity": s.identity}
            for s in catalog.stores
        ],
        "counts": {
            "models": len(catalog.models),
            "versions": sum(len(m.versions) for m in catalog.models),
            "runs": len(catalog.runs),
            "datasets": len(catalog.datasets),
            "lineage_nodes": len(catalog.lineage_nodes),
            "lineage_edges": len(catalog.lineage_edges),
        },
        "signer": {"key_id": key.key_id, "identity": key.identity} if key else None,
        "governance": dict(governance) if governance else None,
        "tables": {name: dict(t) for name, t in tables.items()},
    }
    return make_statement(fmt.SNAPSHOT_SUBJECT, fmt.tables_digest(predicate["tables"]), fmt.SNAPSHOT_PREDICATE,
                          predicate)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def create_snapshot(
    stores: Sequence[str],
    out: Path | str,
    *,
    key: SigningKey | None = None,
    governance: Governance | None = None,
    settings: SourceSettings = DEFAULT_SETTINGS,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
    catalog: Catalog | None = None,
) -> SnapshotResult:
    """Write a snapshot of ``stores`` (and the governance records, when given) to ``out``.

    ``catalog`` may be passed when the caller has it loaded already (the GUI). Writes to a
    temporary file in the target folder and renames it into place only when complete.
    """
    target = _check_out(Path(out), stores)
    phases = _Phases(progress)
    if catalog is None:
        catalog = load_catalog(stores, phases.phase(0, 40, "Reading the stores"), is_cancelled,
                               settings=snapshot_settings(settings))
    check_cancelled(is_cancelled)
    created_at = now_iso()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    con: sqlite3.Connection | None = None
    try:
        con = sqlite3.connect(tmp)
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.execute("BEGIN")
        write_catalog(con, catalog, phases.phase(40, 65, "Writing the catalog"), is_cancelled)
        gov_info = None
        if governance is not None:
            gov_info = copy_governance(con, governance, phases.phase(65, 75, "Copying governance records"),
                                       is_cancelled)
        con.execute(fmt.MANIFEST_DDL)
        con.commit()
        hash_progress = phases.phase(75, 95, "Hashing tables")
        tables: dict[str, dict[str, Any]] = {}
        names = fmt.data_tables(con)
        for i, name in enumerate(names):
            hash_progress(i, len(names), f"Hashing {name}")
            tables[name] = fmt.table_digest(con, name, is_cancelled).as_json()
        statement = build_statement(catalog, tables, created_at, key, gov_info)
        envelope = sign_envelope(statement, [key]) if key is not None else None
        pub = public_pem(key.public_key).decode("ascii") if key is not None else None
        check_cancelled(is_cancelled)
        progress(96, 100, "Signing the manifest" if key else "Writing the manifest")
        con.execute(f'INSERT INTO "{fmt.MANIFEST_TABLE}" (id, format, statement, envelope, public_key) '
                    "VALUES (1, ?, ?, ?, ?)", (fmt.FORMAT, statement, envelope, pub))
        con.commit()
        con.close()
        con = None
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        check_cancelled(is_cancelled)
        os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException as exc:
        if con is not None:
            with contextlib.suppress(sqlite3.Error):
                con.close()
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"Cannot write the snapshot {target}: {exc}.",
                             "Check free disk space and permissions of the folder.") from exc
        if isinstance(exc, OSError) and not isinstance(exc, MlopsError):
            raise StoreError(f"Cannot write the snapshot {target}: {exc.strerror or exc}.",
                             "Check free disk space and permissions of the folder.") from exc
        raise
    progress(100, 100, "Snapshot written")
    return SnapshotResult(target, file_sha256(target), target.stat().st_size, key is not None,
                          key.key_id if key else None, created_at, tables,
                          governance.url if governance is not None else None)


def governance_for_snapshot(url: str | None) -> Governance | None:
    """The governance store to copy: the one given (it must exist), else the default one when
    it exists (MLOPS_DESKTOP_GOVERNANCE_URL or the user data directory); None when there is none."""
    if url is None:
        path = resolve_url(None)[1]
        if path is not None and not path.is_file():
            return None
    return open_governance(url, create=False)


def export_snapshot(
    stores: Sequence[str],
    out: Path | str,
    *,
    key: SigningKey | None = None,
    governance_url: str | None = None,
    settings: SourceSettings = DEFAULT_SETTINGS,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
    catalog: Catalog | None = None,
) -> SnapshotResult:
    """What ``snapshot create`` and the GUI do: copy the governance records (see
    :func:`governance_for_snapshot`), write the snapshot, then record its SHA-256 in the
    governance store's audit log and register of exports."""
    gov = governance_for_snapshot(governance_url)
    try:
        result = create_snapshot(stores, out, key=key, governance=gov, settings=settings, progress=progress,
                                 is_cancelled=is_cancelled, catalog=catalog)
        if gov is None:
            return result
        try:
            seq = audit.record_export(gov, "snapshot", result.path, result.sha256,
                                      {"signed": result.signed, "created_at": result.created_at},
                                      key_id=result.key_id)
        except MlopsError as exc:
            logger.warning("Snapshot %s not recorded in the audit log: %s", result.path, exc)
            return dataclasses.replace(result, not_recorded=str(exc))
        return dataclasses.replace(result, log_seq=seq)
    finally:
        if gov is not None:
            gov.close()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def copy_governance(
    con: sqlite3.Connection, gov: Governance, progress: ProgressFn, is_cancelled: CancelledFn
) -> dict[str, Any]:
    """Copy every governance table verbatim (same names and columns) in one read transaction.

    The snapshot file is then also a (read-only) governance database: see
    :func:`open_snapshot_governance`. A checkpoint of the log is signed first (when the store
    is writable), so the snapshot carries the checkpoint it was made at.
    """
    checkpoint: str | None = None
    if not gov.read_only:
        try:
            checkpoint = audit.write_checkpoint(gov)
        except StoreError as exc:
            logger.warning("No checkpoint signed for the snapshot: %s", exc)
    tables = list(Base.metadata.sorted_tables)
    names: list[str] = []
    size = 0
    root = ""
    try:
        with gov.engine.connect() as src:
            if gov.dialect == "postgresql":
                src = src.execution_options(isolation_level="REPEATABLE READ")
            with src.begin():
                revision = src.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
                con.execute('CREATE TABLE "alembic_version" (version_num VARCHAR(32) NOT NULL PRIMARY KEY)')
                if revision is not None:
                    con.execute('INSERT INTO "alembic_version" VALUES (?)', (revision,))
                names.append("alembic_version")
                for i, table in enumerate(tables):
                    check_cancelled(is_cancelled)
                    progress(i, len(tables), f"Copying {table.name}")
                    con.execute(str(CreateTable(table).compile(dialect=sqlite_dialect.dialect())))
                    cols = [c.name for c in table.columns]
                    col_list = ", ".join(f'"{c}"' for c in cols)
                    marks = ", ".join("?" for _ in cols)
                    insert = f'INSERT INTO "{table.name}" ({col_list}) VALUES ({marks})'  # noqa: S608
                    result = src.execute(sa.select(*table.columns))
                    while True:
                        batch = result.fetchmany(5000)
                        if not batch:
                            break
                        check_cancelled(is_cancelled)
                        con.executemany(insert, [tuple(r) for r in batch])
                    names.append(table.name)
                head_row = src.execute(sa.select(SqlLogHead.size, SqlLogHead.root_hash)).first()
                if head_row is not None:
                    size, root = int(head_row[0]), str(head_row[1])
    except SQLAlchemyError as exc:
        raise StoreError(f"Cannot read the governance store {gov.url}: {str(getattr(exc, 'orig', exc)).splitlines()[0]}.",
                         "Check that it is an MLOps Desktop governance store you may read.") from exc
    progress(len(tables), len(tables), "Governance records copied")
    return {
        "url": gov.url,
        "store_id": gov.store_id,
        "origin": gov.origin,
        "schema": gov.schema_revision,
        "tables": names,
        "log_size": size,
        "root_hash": root,
        "checkpoint": checkpoint,
    }


def snapshot_info(source: SnapshotSource) -> dict[str, Any]:
    """What ``snapshot info`` prints."""
    predicate = source.predicate
    return {
        "path": str(source.path),
        "format": fmt.FORMAT,
        "status": source.status.as_json(),
        "created_at": predicate.get("created_at"),
        "created_by": predicate.get("created_by"),
        "app": predicate.get("app"),
        "sources": predicate.get("sources", []),
        "counts": predicate.get("counts", {}),
        "signer": predicate.get("signer"),
        "governance": predicate.get("governance"),
        "tables": {k: {"rows": v.get("rows"), "sha256": v.get("sha256")}
                   for k, v in predicate.get("tables", {}).items()},
        "manifest_sha256": source.manifest_digest,
    }


__all__ = [
    "SNAPSHOT_PREDICATE",
    "CancelledError",
    "SnapshotResult",
    "create_snapshot",
    "export_snapshot",
    "governance_for_snapshot",
    "snapshot_info",
]
