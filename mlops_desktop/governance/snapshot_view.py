"""The governance side of opening a snapshot: who signed it, and the records it carries.

:func:`resolve_signer` is the :data:`~mlops_desktop.sources.snapshot.SignerResolver` the
snapshot source is handed (through :func:`snapshot_settings`): whether a trust list trusts
the key that signed the manifest. :func:`open_snapshot_governance` is a read-only
governance store over the ``gov_*`` tables a snapshot carries.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mlops_desktop.core.errors import MlopsError, StoreError
from mlops_desktop.core.governance_facts import STATUS_VALID
from mlops_desktop.governance import audit
from mlops_desktop.governance.db import Governance, open_database, resolve_url
from mlops_desktop.governance.models import SqlMeta
from mlops_desktop.governance.trust import load_trust
from mlops_desktop.sources import sqlite as ro
from mlops_desktop.sources.base import DEFAULT_SETTINGS, SourceSettings
from mlops_desktop.sources.snapshot import SignerTrust, SnapshotSource

logger = logging.getLogger(__name__)


def resolve_signer(
    kid: str, at: datetime | None, path: Path, predicate: Mapping[str, Any], statement: bytes = b""
) -> SignerTrust:
    """Whether a trust list trusts ``kid`` at ``at`` (the snapshot's creation time).

    The local governance store is asked first when it is a SQLite file on this machine (no
    network on open), then the trust list carried in the snapshot, unless its pinned
    administrators differ from those this client remembers for that store.
    """
    when = at or datetime.now(UTC)
    note = None
    local_path = resolve_url(None)[1]
    if local_path is not None and local_path.is_file() and local_path.resolve() != path.resolve():
        try:
            with open_database(str(local_path), create=False) as gov:
                trust = load_trust(gov)
                status, _detail = trust.status_at(kid, when)
                if status == STATUS_VALID:
                    return SignerTrust(trust.identity(kid), "local trust list")
        except MlopsError as exc:
            logger.info("Local trust list not consulted: %s", exc)
    view = snapshot_governance_view(path, predicate, hashlib.sha256(statement).hexdigest())
    if view is None:
        return SignerTrust()
    try:
        trust = load_trust(view)
        # What this client remembers of the live store the records were copied from.
        live = Governance(url=view.url, engine=view.engine, dialect="sqlite", store_id=view.live_store_id)
        memory = audit.remembered_head(live) or {}
        seen = memory.get("pinned_admins")
        if seen is not None and sorted(seen) != sorted(trust.pinned):
            return SignerTrust(note="the snapshot's trust-list administrators differ from those this client knows")
        status, detail = trust.status_at(kid, when)
        if status == STATUS_VALID:
            return SignerTrust(trust.identity(kid), "trust list in the snapshot")
        note = detail
    except MlopsError as exc:
        note = f"the snapshot's trust list cannot be read ({exc})"
    finally:
        view.close()
    return SignerTrust(note=note)


def snapshot_settings(settings: SourceSettings = DEFAULT_SETTINGS) -> SourceSettings:
    """``settings`` with this client's trust lists deciding who signed a snapshot."""
    return dataclasses.replace(settings, snapshot_trust=resolve_signer)


def open_snapshot(path: Path | str) -> SnapshotSource:
    """A snapshot, verified against this client's trust lists (what every command opens)."""
    return SnapshotSource.open(path, snapshot_settings())


@dataclass
class SnapshotGovernance(Governance):
    """A read-only governance store inside a snapshot.

    ``store_id`` names this snapshot (``snapshot-<manifest sha256>``), so the client's memory
    of the live store's log head is not compared with an older copy (that would be a false
    "entries deleted" alarm); ``origin`` stays the live log's, so checkpoints verify.
    """

    live_store_id: str = ""
    live_origin: str = ""

    @property
    def origin(self) -> str:
        return self.live_origin or f"mlops-desktop.dev/governance/{self.live_store_id}"


def open_snapshot_governance(source: SnapshotSource) -> SnapshotGovernance | None:
    """A read-only governance view over the records a snapshot carries (None when it has none).

    The governance code (approvals, trust list, audit-log verification, findings facts) runs
    on it exactly as on a live store; writes are refused (``read_only_reason``).
    """
    return snapshot_governance_view(source.path, source.predicate, source.manifest_digest)


def open_snapshot_governance_file(path: Path | str) -> SnapshotGovernance:
    """The governance view of the snapshot at ``path`` (for ``--governance snapshot:FILE``).

    The snapshot is verified first; an altered one still opens (its status is logged as a
    warning and every record is checked again by the governance code itself)."""
    text = str(path)
    p = Path(text.removeprefix("snapshot:").removeprefix("//")).expanduser().resolve()
    source = open_snapshot(p)
    try:
        view = open_snapshot_governance(source)
    finally:
        source.close()
    if view is None:
        raise StoreError(f"The snapshot {p} carries no governance records.",
                         "It was taken without a governance store; use a live --governance store.")
    return view


def snapshot_governance_view(
    path: Path, predicate: Mapping[str, Any], manifest_digest: str
) -> SnapshotGovernance | None:
    """The read-only governance store over a snapshot file's ``gov_*`` tables, if it has any."""
    info = predicate.get("governance")
    if not isinstance(info, dict) or not info.get("tables"):
        return None
    engine = ro.readonly_engine(path, "snapshot file")
    try:
        with Session(engine) as session:
            meta = {m.key: m.value for m in session.scalars(sa.select(SqlMeta))}
            revision = session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(f"The governance records in {path} cannot be read ({exc}).",
                         "The snapshot is damaged or altered.") from exc
    live_id = meta.get("store_id", str(info.get("store_id", "")))
    origin = info.get("origin")
    return SnapshotGovernance(
        url=f"snapshot:{path}", engine=engine, dialect="sqlite", path=path,
        store_id=f"snapshot-{manifest_digest}", schema_revision=revision,
        read_only_reason=f"{path} is a snapshot: its governance records are read-only.", meta=meta,
        checkpoint_every=0, live_store_id=live_id, live_origin=origin if isinstance(origin, str) else "",
    )
