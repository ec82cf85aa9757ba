"""The governance side of opening a snapshot: who signed it, and the records it carries.

:func:`resolve_signer` is the :data:`~mlops_desktop.sources.snapshot.SignerResolver` the
snapshot source is handed (through :func:`snapshot_settings`): whether a trust list trusts
the key that signed the manifest. :func:`open_snapshot_governance` is a read-only
governance store over the ``gov_*`` tables a snapshot carries.

``--governance snapshot:FILE`` (:func:`open_snapshot_governance_file`) refuses a snapshot that is
not verified (ALTERED, unsigned, untrusted or unanchored) unless the caller allows it: explicitly,
or through :func:`configure_governance_snapshots` (the command line sets it from
``--allow-unverified`` and ``--trust-anchor`` once per command).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mlops_desktop.core.errors import MlopsError, StoreError
from mlops_desktop.core.governance_facts import STATUS_VALID
from mlops_desktop.governance.anchors import TrustAnchors, load_anchors, unanchored_message
from mlops_desktop.governance.db import Governance, open_database, resolve_url
from mlops_desktop.governance.models import SqlMeta
from mlops_desktop.governance.trust import load_trust
from mlops_desktop.sources import sqlite as ro
from mlops_desktop.sources.base import DEFAULT_SETTINGS, SourceSettings
from mlops_desktop.sources.snapshot import (
    VERIFIED,
    SignerTrust,
    SnapshotSource,
    UnverifiedSnapshotError,
)

logger = logging.getLogger(__name__)


def resolve_signer(
    kid: str, at: datetime | None, path: Path, predicate: Mapping[str, Any], statement: bytes = b"",
    *, anchors: TrustAnchors | None = None,
) -> SignerTrust:
    """Whether a chain from this client's trust anchors reaches ``kid`` at ``at`` (the snapshot's
    creation time).

    The signer is verified when its key is an anchor, or a trust list (the local governance store
    when it is a SQLite file on this machine, then the one carried in the snapshot) holds a grant
    for it whose chain starts at an anchor. A carried trust list whose pins are not anchors proves
    nothing (anyone can write one naming themselves "ada"): the verdict is then "unanchored" with the
    full fingerprint, or, when this client holds an anchor for the identity the manifest claims,
    "NOT the expected signer" naming that anchor.
    """
    anchors = anchors if anchors is not None else load_anchors()
    # The creation time is the signer's own claim (a key past its validity window could name a time
    # inside it): the signer must be trusted when the snapshot is judged, as well as then.
    now = datetime.now(UTC)
    when = now if at is None or at > now else at
    signer: Mapping[str, Any] = predicate["signer"] if isinstance(predicate.get("signer"), dict) else {}
    claimed = signer.get("identity") if isinstance(signer.get("identity"), str) else None
    if anchors.contains(kid):
        return SignerTrust(anchors.identity(kid) or claimed, "trust anchor")
    note = None
    local_path = resolve_url(None)[1]
    if local_path is not None and local_path.is_file() and local_path.resolve() != path.resolve():
        try:
            with open_database(str(local_path), create=False) as gov:
                trust = load_trust(gov, anchors=anchors)
                status, _detail = trust.status_at(kid, when)
                revoked = _revoked(trust, kid, claimed, "this client's governance store")
                if revoked is not None:
                    # a revocation this client knows ends the key, whatever time the manifest claims and
                    # whatever older trust list the snapshot carries (a copy made before the revocation)
                    return revoked
                if status == STATUS_VALID and trust.anchored(kid, when) and _valid_now(trust, kid, now):
                    return SignerTrust(trust.identity(kid), "local trust list")
        except MlopsError as exc:
            logger.info("Local trust list not consulted: %s", exc)
    view = snapshot_governance_view(path, predicate, hashlib.sha256(statement).hexdigest())
    if view is not None:
        try:
            trust = load_trust(view, anchors=anchors)
            revoked = _revoked(trust, kid, claimed, "the trust list the snapshot carries")
            if revoked is not None:  # the creation time is the signer's claim: a revoked key backdates
                return revoked
            status, detail = trust.status_at(kid, when)
            if status == STATUS_VALID and trust.anchored(kid, when) and _valid_now(trust, kid, now):
                return SignerTrust(trust.identity(kid), "trust list in the snapshot")
            note = detail if status != STATUS_VALID else (
                None if _valid_now(trust, kid, now) else trust.status_at(kid, now)[1])
        except MlopsError as exc:
            note = f"the snapshot's trust list cannot be read ({exc})"
        finally:
            view.close()
    expected = [a for a in anchors.anchors if claimed and a.identity and _same_identity(a.identity, claimed)]
    if expected:
        names = "; ".join(f"key {a.key_id} ({a.source})" for a in expected)
        return SignerTrust(note=f"NOT the expected signer: signed by key {kid} claiming {claimed}, but this client's "
                                f"trust anchor for {claimed} is {names}; the snapshot was not made by them")
    message = unanchored_message(kid, claimed)
    if anchors:
        message += f" ({anchors.describe()} None of them reaches this key.)"
    if note:
        message += f" ({note})"
    return SignerTrust(note=message)


def _valid_now(trust: Any, kid: str, now: datetime) -> bool:
    """Is ``kid`` trusted (through an anchor) now? A snapshot's creation time proves nothing, so a
    signer past its validity window no longer makes a snapshot verified."""
    return bool(trust.status_at(kid, now)[0] == STATUS_VALID and trust.anchored(kid, now))


def _revoked(trust: Any, kid: str, claimed: str | None, where: str) -> SignerTrust | None:
    """The refusal of a key ``trust`` records as revoked now (None: it is not). A snapshot has no
    log position and its creation time is the signer's own claim, so a revoked key is refused
    for every snapshot, as a revocation ends a key for everything after it in the log."""
    signer = trust.signers.get(kid)
    if signer is None or signer.revoked_at is None:
        return None
    return SignerTrust(note=f"signed by key {kid} claiming {claimed or '(no identity)'}, which {where} records as "
                            f"revoked (at {signer.revoked_at.isoformat()}); the time a snapshot claims cannot "
                            "bring it back")


def _same_identity(a: str, b: str) -> bool:
    """"ada <ada@example.org>" and "ada@example.org" name the same person (case-insensitive e-mail)."""
    def email(x: str) -> str:
        x = x.strip()
        if "<" in x and x.endswith(">"):
            x = x[x.rindex("<") + 1:-1]
        return x.lower()

    return email(a) == email(b)


def snapshot_settings(settings: SourceSettings = DEFAULT_SETTINGS, *, anchors: Sequence[str] = (),
                      allow_unverified: bool | None = None) -> SourceSettings:
    """``settings`` with this client's trust anchors (plus ``anchors``: --trust-anchor values)
    deciding who signed a snapshot; ``allow_unverified`` (--allow-unverified) lets a snapshot that
    is not verified be used anyway."""
    loaded = load_anchors(list(anchors))
    changes: dict[str, Any] = {"snapshot_trust": functools.partial(resolve_signer, anchors=loaded)}
    if allow_unverified is not None:
        changes["allow_unverified"] = allow_unverified
    return dataclasses.replace(settings, **changes)


def open_snapshot(path: Path | str, *, anchors: Sequence[str] = (), allow_unverified: bool = True) -> SnapshotSource:
    """A snapshot, judged against this client's trust anchors (``snapshot verify|info`` open any
    snapshot; the other commands refuse an unverified one unless --allow-unverified)."""
    return SnapshotSource.open(path, snapshot_settings(anchors=anchors, allow_unverified=allow_unverified))


@dataclass
class SnapshotGovernance(Governance):
    """A read-only governance store inside a snapshot.

    ``store_id`` names this snapshot (``snapshot-<manifest sha256>``), so the client's memory
    of the live store's log head is not compared with an older copy (that would be a false
    "entries deleted" alarm); ``origin`` stays the live log's, so checkpoints verify.
    """

    live_store_id: str = ""
    live_origin: str = ""
    #: why the snapshot is not verified, when it was opened anyway (--allow-unverified); "" when verified
    unverified: str = ""
    #: the private copy that was verified and is read (``--governance snapshot:FILE``), removed on close
    private_copy: Path | None = None

    def close(self) -> None:
        super().close()
        if self.private_copy is not None:
            shutil.rmtree(self.private_copy.parent, ignore_errors=True)
            self.private_copy = None

    @property
    def origin(self) -> str:
        return self.live_origin or f"mlops-desktop.dev/governance/{self.live_store_id}"


def open_snapshot_governance(source: SnapshotSource) -> SnapshotGovernance | None:
    """A read-only governance view over the records a snapshot carries (None when it has none).

    The governance code (approvals, trust list, audit-log verification, findings facts) runs
    on it exactly as on a live store; writes are refused (``read_only_reason``).
    """
    return snapshot_governance_view(source.path, source.predicate, source.manifest_digest)


@dataclass(frozen=True, slots=True)
class GovernanceSnapshotRules:
    """How ``--governance snapshot:FILE`` is opened: the extra trust anchors (``--trust-anchor``),
    whether a snapshot that is not verified may be used (``--allow-unverified``), and who is told
    when one is (the command's outputs)."""

    anchors: tuple[str, ...] = ()
    allow_unverified: bool = False
    on_unverified: Callable[[str], None] | None = field(default=None, compare=False)


_rules = GovernanceSnapshotRules()


def configure_governance_snapshots(rules: GovernanceSnapshotRules | None = None) -> None:
    """Set how this process opens governance snapshots (None: the defaults, refusing)."""
    global _rules
    _rules = rules or GovernanceSnapshotRules()


def open_snapshot_governance_file(path: Path | str, *, allow_unverified: bool | None = None,
                                  anchors: Sequence[str] | None = None,
                                  on_unverified: Callable[[str], None] | None = None) -> SnapshotGovernance:
    """The governance view of the snapshot at ``path`` (for ``--governance snapshot:FILE``).

    The snapshot is verified first, against this client's trust anchors (plus ``anchors``). One
    that is not verified (ALTERED, unsigned, untrusted, unanchored) is refused with
    :class:`UnverifiedSnapshotError` unless ``allow_unverified``; then ``on_unverified`` is told
    and the view's :attr:`SnapshotGovernance.unverified` says why. Arguments left None come from
    :func:`configure_governance_snapshots`."""
    rules = _rules
    allow = rules.allow_unverified if allow_unverified is None else allow_unverified
    notify = on_unverified or rules.on_unverified
    text = str(path)
    p = Path(text.removeprefix("snapshot:").removeprefix("//")).expanduser().resolve()
    # Verified and read from one private copy: the file at ``p`` replaced after the check is never read.
    private = _private_copy(p)
    view: SnapshotGovernance | None = None
    try:
        try:
            source = open_snapshot(private, anchors=list(rules.anchors if anchors is None else anchors),
                                   allow_unverified=allow)
        except UnverifiedSnapshotError as exc:
            raise UnverifiedSnapshotError(
                exc.message.replace(str(private), str(p)).replace("Refusing snapshot", "Refusing governance snapshot", 1),
                "Check it with 'mlops-desktop snapshot verify'; to use its records anyway pass --allow-unverified "
                "(every output then says the snapshot is unverified).", exc.status) from exc
        except MlopsError as exc:
            raise type(exc)(exc.message.replace(str(private), str(p)), exc.hint) from exc
        try:
            status = source.status
            view = snapshot_governance_view(private, source.predicate, source.manifest_digest, display=p)
        finally:
            source.close()
    finally:
        if view is None:
            shutil.rmtree(private.parent, ignore_errors=True)
    if view is None:
        raise StoreError(f"The snapshot {p} carries no governance records.",
                         "It was taken without a governance store; use a live --governance store.")
    view.private_copy = private
    if status.state != VERIFIED:
        view.unverified = (f"UNVERIFIED governance snapshot {p} used (--allow-unverified): "
                           f"{status.text.replace(str(private), str(p))}")
        logger.warning("%s", view.unverified)
        if notify is not None:
            notify(view.unverified)
    return view


def _private_copy(path: Path) -> Path:
    """``path`` copied once into a directory only this user can read (removed when the view closes)."""
    if not path.is_file():
        raise StoreError(f"The snapshot {path} does not exist or is not a file.", "Check the path after 'snapshot:'.")
    folder = Path(tempfile.mkdtemp(prefix="mlops-desktop-snapshot-"))
    copy = folder / path.name
    try:
        with path.open("rb") as src, copy.open("xb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise StoreError(f"The snapshot {path} cannot be read ({exc}).", "Check the file's permissions.") from exc
    copy.chmod(0o400)
    return copy


def snapshot_governance_view(
    path: Path, predicate: Mapping[str, Any], manifest_digest: str, *, display: Path | None = None
) -> SnapshotGovernance | None:
    """The read-only governance store over a snapshot file's ``gov_*`` tables, if it has any
    (``display``: the path to name, when ``path`` is a private copy of it)."""
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
    shown = display or path
    return SnapshotGovernance(
        url=f"snapshot:{shown}", engine=engine, dialect="sqlite", path=shown,
        store_id=f"snapshot-{manifest_digest}", schema_revision=revision,
        read_only_reason=f"{shown} is a snapshot: its governance records are read-only.", meta=meta,
        checkpoint_every=0, live_store_id=live_id, live_origin=origin if isinstance(origin, str) else "",
    )
