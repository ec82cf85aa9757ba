"""The tamper-evident audit log: RFC 6962 tree over RFC 8785 entries, signed checkpoints.

Entries are appended under a lock (SQLite ``BEGIN IMMEDIATE``; PostgreSQL ``SELECT ... FOR
UPDATE`` on the one-row head), so ``seq`` is gapless. Every N appends (and on demand) the
client signs a C2SP checkpoint with its own checkpoint key. Each client remembers the last
tree head it verified (in its user data directory) and checks the log against it: no hash
structure alone reveals a deleted tail or a restored backup.

Other layers record what users do with :func:`log_action`.
"""

from __future__ import annotations

import base64
import contextlib
import getpass
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from mlops_desktop.core import paths
from mlops_desktop.core.errors import CancelledError, CheckFailed, StoreError
from mlops_desktop.core.governance_facts import AuditLogStatus
from mlops_desktop.core.profile import officer_name
from mlops_desktop.core.progress import CancelledFn, ProgressFn, never_cancelled, no_progress
from mlops_desktop.crypto import checkpoint as cpmod
from mlops_desktop.crypto.canonical import canonical_json
from mlops_desktop.crypto.ecdsa import generate_private_key, key_id, public_pem
from mlops_desktop.crypto.merkle import (
    Frontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
)

# The action names live in a module with no imports; re-exported here for this module's callers.
from mlops_desktop.governance.actions import (
    ACCESS_ACTIONS as ACCESS_ACTIONS,
    ACTION_APPROVE as ACTION_APPROVE,
    ACTION_KEY_CREATED as ACTION_KEY_CREATED,
    ACTION_LOG_EXPORTED as ACTION_LOG_EXPORTED,
    ACTION_MODEL_VIEWED as ACTION_MODEL_VIEWED,
    ACTION_OBSERVE as ACTION_OBSERVE,
    ACTION_REJECT as ACTION_REJECT,
    ACTION_REPORT_EXPORTED as ACTION_REPORT_EXPORTED,
    ACTION_SETTING_CHANGED as ACTION_SETTING_CHANGED,
    ACTION_SNAPSHOT_EXPORTED as ACTION_SNAPSHOT_EXPORTED,
    ACTION_STORE_OPENED as ACTION_STORE_OPENED,
    ACTION_TRUST_ADD as ACTION_TRUST_ADD,
    ACTION_TRUST_INIT as ACTION_TRUST_INIT,
    ACTION_TRUST_REVOKE as ACTION_TRUST_REVOKE,
    ACTION_VERIFY as ACTION_VERIFY,
    ACTION_WEBHOOK as ACTION_WEBHOOK,
)
from mlops_desktop.governance.db import Governance, now_iso
from mlops_desktop.governance.keys import load_public_key_pem
from mlops_desktop.governance.models import (
    SqlApproval,
    SqlCheckpoint,
    SqlCheckpointKey,
    SqlExport,
    SqlLogEntry,
    SqlLogHead,
    SqlObservation,
    SqlPublicKey,
    SqlTrustStatement,
    SqlWebhookEvent,
)

logger = logging.getLogger(__name__)



@dataclass(frozen=True, slots=True)
class LogEntry:
    seq: int
    time: str
    actor: dict[str, Any]
    action: str
    object: str
    details: dict[str, Any]
    raw: bytes = field(repr=False, default=b"")

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "time": self.time, "actor": self.actor, "action": self.action,
                "object": self.object, "details": self.details}


def current_actor(key_id: str | None = None) -> dict[str, Any]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    actor: dict[str, Any] = {"os_user": user, "key_id": key_id}
    officer = officer_name()  # the officer's display name from the report profile, beside the OS user
    if officer:
        actor["officer"] = officer
    return actor


# ---------------------------------------------------------------------------- appending


def lock_head(session: Session, gov: Governance) -> SqlLogHead:
    """The log head, locked for this transaction (call inside ``gov.write_session()``)."""
    stmt = sa.select(SqlLogHead).where(SqlLogHead.id == 1)
    if gov.dialect == "postgresql":
        stmt = stmt.with_for_update()
    head = session.execute(stmt).scalar_one_or_none()
    if head is None:
        raise StoreError(f"The governance store {gov.url} has no log head.", "It was damaged; restore it from a backup.")
    return head


#: How far in the future an entry's time may lie (clock skew between clients).
FUTURE_SKEW = timedelta(minutes=5)

#: Log actions backed by a governance row (the row's envelope SHA-256 is in the entry's details).
ROW_ACTIONS = (ACTION_APPROVE, ACTION_REJECT, ACTION_TRUST_INIT, ACTION_TRUST_ADD, ACTION_TRUST_REVOKE)


def _parse_time(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return value if value.tzinfo else None


def _last_time(session: Session, head: SqlLogHead) -> str | None:
    if head.size == 0:
        return None
    return session.execute(sa.select(SqlLogEntry.time).where(SqlLogEntry.seq == head.size - 1)).scalar_one_or_none()


def next_time(session: Session, head: SqlLogHead) -> str:
    """The time of the next entry (call under the head lock): now, or the previous entry's time if
    this clock is behind it, so times never decrease along the log."""
    now = now_iso()
    last = _last_time(session, head)
    if last is not None:
        last_dt, now_dt = _parse_time(last), _parse_time(now)
        if last_dt is not None and now_dt is not None and now_dt < last_dt:
            return last
    return now


def append(
    session: Session,
    gov: Governance,
    action: str,
    obj: str,
    details: Mapping[str, Any] | None = None,
    *,
    key_id: str | None = None,
    head: SqlLogHead | None = None,
    time: str | None = None,
) -> LogEntry:
    """Append one entry inside the caller's write transaction and return it."""
    head = head or lock_head(session, gov)
    seq = head.size
    when = time or next_time(session, head)
    if time is not None:
        last = _last_time(session, head)
        last_dt, when_dt = (_parse_time(last) if last else None), _parse_time(when)
        if when_dt is None:
            raise StoreError(f"Audit-log time {when!r} is not an RFC 3339 time.")
        if last_dt is not None and when_dt < last_dt:
            raise StoreError(f"Audit-log entry {seq} would be dated {when}, before entry {seq - 1} ({last}): "
                             "times never decrease along the log.", "Check this computer's clock.")
    actor = current_actor(key_id)
    payload = dict(details or {})
    entry: dict[str, Any] = {
        "seq": seq,
        "time": when,
        "actor": actor,
        "action": action,
        "object": obj,
        "details": payload,
    }
    raw = canonical_json(entry)
    leaf = leaf_hash(raw)
    frontier = Frontier(head.size, [bytes.fromhex(h) for h in json.loads(head.frontier)])
    frontier.append(leaf)
    head.size = frontier.size
    head.frontier = json.dumps([n.hex() for n in frontier.nodes])
    head.root_hash = frontier.root().hex()
    session.add(SqlLogEntry(seq=seq, entry=raw, leaf_hash=leaf.hex(), time=when, action=action, object=obj))
    if gov.checkpoint_every and head.size % gov.checkpoint_every == 0:
        session.flush()
        try:
            _write_checkpoint(session, gov, head)
        except StoreError as exc:  # never block recording an action; verify reports the cause
            logger.warning("Checkpoint at size %d not signed: %s", head.size, exc)
    return LogEntry(seq, when, actor, action, obj, payload, raw)


def log_action(gov: Governance, action: str, obj: str, details: Mapping[str, Any] | None = None,
               *, key_id: str | None = None) -> int:
    """Record one action in its own transaction; returns its ``seq``. Raises StoreError if read-only."""
    with gov.write_session() as session:
        return append(session, gov, action, obj, details, key_id=key_id).seq


def try_log_action(gov: Governance, action: str, obj: str, details: Mapping[str, Any] | None = None,
                   *, key_id: str | None = None) -> int | None:
    """Like :func:`log_action`, but a read-only or unreachable store only logs a warning."""
    try:
        return log_action(gov, action, obj, details, key_id=key_id)
    except StoreError as exc:
        logger.warning("Could not record %s on %s in the audit log: %s", action, obj, exc)
        return None


def record_export(gov: Governance, kind: str, path: Path | str, sha256: str,
                  details: Mapping[str, Any] | None = None, *, key_id: str | None = None) -> int:
    """Log an exported report / snapshot (its SHA-256) and register it; returns the log seq."""
    action = {"report": ACTION_REPORT_EXPORTED, "snapshot": ACTION_SNAPSHOT_EXPORTED}.get(kind, f"{kind}.export")
    with gov.write_session() as session:
        e = append(session, gov, action, str(path), {"sha256": sha256, **dict(details or {})}, key_id=key_id)
        session.add(SqlExport(kind=kind, path=str(path), sha256=sha256, log_seq=e.seq, created_at=e.time))
        return e.seq


# ---------------------------------------------------------------------------- checkpoints


def _client_key_path() -> Path:
    return paths.user_config_dir() / "checkpoint-key.pem"


def client_checkpoint_public_path() -> Path:
    """This client's checkpoint public key (PEM), for an administrator to certify with role
    ``log``: ``trust add --signer <this file> --identity NAME --role log``."""
    return _client_key_path().with_name("checkpoint-key.pem.pub")


def client_checkpoint_key() -> tuple[str, ec.EllipticCurvePrivateKey]:
    """This client's checkpoint signing key (created on first use, 0600 in the config dir)."""
    path = _client_key_path()
    if path.exists():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), None)
        except (OSError, ValueError, TypeError) as exc:
            raise StoreError(f"The checkpoint key {path} is unreadable ({exc}).",
                             "Move it away; a new one is made on next use.") from exc
        assert isinstance(key, ec.EllipticCurvePrivateKey)
    else:
        key = generate_private_key()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            paths.ensure_dir(path.parent)
            fd, tmp = tempfile.mkstemp(dir=str(path.parent))
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except OSError as exc:
            raise StoreError(f"Cannot write the checkpoint key {path}: {exc}.") from exc
    pub_path = client_checkpoint_public_path()
    if not pub_path.exists():
        try:
            pub_path.write_bytes(f"# identity: checkpoint key of {getpass_user()}\n".encode()
                                 + public_pem(key.public_key()))
        except OSError as exc:
            logger.warning("Could not write %s: %s", pub_path, exc)
    return f"mlops-desktop.dev/client/{key_id(key.public_key())[:16]}", key


def getpass_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _write_checkpoint(session: Session, gov: Governance, head: SqlLogHead) -> SqlCheckpoint:
    last = session.execute(
        sa.select(SqlCheckpoint).order_by(SqlCheckpoint.size.desc(), SqlCheckpoint.id.desc()).limit(1)
    ).scalar_one_or_none()
    if last is not None:
        if last.size > head.size:
            raise StoreError(f"The log has {head.size} entries but was checkpointed at {last.size}; "
                             "refusing to sign a checkpoint that contradicts it.")
        if last.size == head.size:
            if last.root_hash == head.root_hash:
                return last
            raise StoreError(f"The log head disagrees with the checkpoint at size {last.size}; refusing to sign.")
        frontier = Frontier(last.size, [bytes.fromhex(h) for h in json.loads(last.frontier)])
        if frontier.root().hex() != last.root_hash:
            raise StoreError(f"The stored checkpoint at size {last.size} is inconsistent; refusing to sign.")
        leaves = session.execute(
            sa.select(SqlLogEntry.entry).where(SqlLogEntry.seq >= last.size, SqlLogEntry.seq < head.size)
            .order_by(SqlLogEntry.seq)
        ).scalars().all()
        if len(leaves) != head.size - last.size:
            raise StoreError("Entries are missing after the last checkpoint; refusing to sign.")
        for raw in leaves:
            frontier.append(leaf_hash(raw))
        if frontier.root().hex() != head.root_hash:
            raise StoreError(f"The log is not an extension of the checkpoint at size {last.size}; refusing to sign.")
    name, key = client_checkpoint_key()
    kid = key_id(key.public_key())
    if session.get(SqlCheckpointKey, kid) is None:
        session.add(SqlCheckpointKey(key_id=kid, name=name, public_pem=public_pem(key.public_key()).decode(),
                                     created_at=now_iso()))
    note = cpmod.sign_checkpoint(gov.origin, head.size, bytes.fromhex(head.root_hash), name, key)
    row = SqlCheckpoint(size=head.size, root_hash=head.root_hash, frontier=head.frontier, note=note,
                        key_id=kid, created_at=now_iso())
    session.add(row)
    session.flush()
    return row


def checkpoint_public_key(kid: str, pem: str) -> ec.EllipticCurvePublicKey:
    """A stored checkpoint key's public key, which must be the key its id names: a certification
    names the key id, so a public key put in the table under a certified id is refused."""
    pub = load_public_key_pem(pem.encode())
    if key_id(pub) != kid:
        raise cpmod.CheckpointError(f"the stored checkpoint key {kid[:16]} does not match its key id "
                                    "(its public key was replaced by hand)")
    return pub


def write_checkpoint(gov: Governance) -> str:
    """Sign (or reuse) a checkpoint of the current log; returns the note."""
    with gov.write_session() as session:
        head = lock_head(session, gov)
        return _write_checkpoint(session, gov, head).note


def latest_checkpoint(gov: Governance) -> str | None:
    with gov.read_session() as session:
        return session.execute(
            sa.select(SqlCheckpoint.note).order_by(SqlCheckpoint.size.desc(), SqlCheckpoint.id.desc()).limit(1)
        ).scalar_one_or_none()


# ---------------------------------------------------------------------------- client memory


def _read_state() -> dict[str, Any]:
    try:
        data = json.loads(paths.client_state_path().read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        logger.warning("Client state %s unreadable (%s); starting afresh", paths.client_state_path(), exc)
        return {}
    return data if isinstance(data, dict) else {}


def _write_state(state: Mapping[str, Any]) -> None:
    path = paths.client_state_path()
    paths.ensure_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix=".client-state.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(state, fh, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def remembered_head(gov: Governance) -> dict[str, Any] | None:
    """The tree head (``size``, ``root``) this client last verified for this store."""
    item = _read_state().get("stores", {}).get(gov.store_id)
    return item if isinstance(item, dict) else None


def remembered_at_url(gov: Governance) -> dict[str, Any] | None:
    """What this client last verified at this store's URL: ``store_id``, ``size``."""
    item = _read_state().get("urls", {}).get(gov.url)
    return item if isinstance(item, dict) else None


def remember(gov: Governance, **values: Any) -> None:
    """Remember a verified tree head, keyed by the store's id and by its URL."""
    state = _read_state()
    stores = state.setdefault("stores", {})
    item = stores.setdefault(gov.store_id, {})
    item.update(values)
    item["url"] = gov.url
    if "size" in values:
        state.setdefault("urls", {})[gov.url] = {"store_id": gov.store_id, "size": values["size"]}
    try:
        _write_state(state)
    except OSError as exc:
        logger.warning("Could not save client state: %s", exc)


# ---------------------------------------------------------------------------- reading


def _to_entry(raw: bytes) -> LogEntry:
    obj = json.loads(raw)
    return LogEntry(int(obj["seq"]), str(obj["time"]), dict(obj.get("actor") or {}), str(obj["action"]),
                    str(obj["object"]), dict(obj.get("details") or {}), raw)


def read_entries(gov: Governance, *, limit: int | None = None, actions: Sequence[str] | None = None,
                 start: int = 0) -> list[LogEntry]:
    """Entries in seq order (the newest ``limit`` if given)."""
    with gov.read_session() as session:
        stmt = sa.select(SqlLogEntry.entry).where(SqlLogEntry.seq >= start)
        if actions:
            stmt = stmt.where(SqlLogEntry.action.in_(list(actions)))
        if limit is not None:
            stmt = stmt.order_by(SqlLogEntry.seq.desc()).limit(limit)
            raws = list(reversed(session.execute(stmt).scalars().all()))
        else:
            raws = list(session.execute(stmt.order_by(SqlLogEntry.seq)).scalars().all())
    out = []
    for raw in raws:
        try:
            out.append(_to_entry(raw))
        except (ValueError, KeyError, TypeError):
            logger.warning("Unreadable audit-log entry skipped")
    return out


def entry_at(gov: Governance, seq: int) -> LogEntry | None:
    with gov.read_session() as session:
        raw = session.execute(sa.select(SqlLogEntry.entry).where(SqlLogEntry.seq == seq)).scalar_one_or_none()
    if raw is None:
        return None
    try:
        return _to_entry(raw)
    except (ValueError, KeyError, TypeError):
        return None


def access_report(gov: Governance) -> list[LogEntry]:
    """Who opened which stores and viewed which models (HIPAA activity review)."""
    return read_entries(gov, actions=ACCESS_ACTIONS)


def head(gov: Governance) -> tuple[int, str]:
    with gov.read_session() as session:
        row = session.get(SqlLogHead, 1)
        if row is None:
            raise StoreError(f"The governance store {gov.url} has no log head.")
        return row.size, row.root_hash


# ---------------------------------------------------------------------------- verification


@dataclass(slots=True)
class LogVerification:
    ok: bool
    size: int
    root_hash: str
    checkpoint_size: int | None
    checkpoint_note: str | None
    remembered_size: int | None
    problems: list[str]
    #: (size, key id) of every checkpoint whose signature verified; whether its key counts is
    #: judged against the trust list (role ``log``) by governance.verify.
    signed_checkpoints: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # facts that do not fail the check
    certified_checkpoint_size: int | None = None  # the newest checkpoint by a certified key

    def status(self) -> AuditLogStatus:
        return AuditLogStatus(self.ok, self.size, self.root_hash, self.checkpoint_size, tuple(self.problems))

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "size": self.size, "root": self.root_hash, "checkpoint_size": self.checkpoint_size,
                "certified_checkpoint_size": self.certified_checkpoint_size,
                "client_last_verified_size": self.remembered_size, "problems": list(self.problems),
                "notes": list(self.notes)}


_ROW_WHAT = {ACTION_APPROVE: "approval", ACTION_REJECT: "rejection", ACTION_TRUST_INIT: "administrator pin",
             ACTION_TRUST_ADD: "trust grant", ACTION_TRUST_REVOKE: "revocation"}
_KIND_ACTION = {"pin": ACTION_TRUST_INIT, "add": ACTION_TRUST_ADD, "revoke": ACTION_TRUST_REVOKE}


def _reconcile(session: Session, rows: Sequence[Any]) -> list[str]:
    """Every governance row has its log entry carrying the row's envelope hash, and every
    row-backed log entry has its row: a deleted or added row is named with its entry number."""
    problems: list[str] = []
    entries: dict[int, tuple[str, str, str | None]] = {}  # seq -> (action, object, envelope sha256)
    for seq, raw, _leaf in rows:
        try:
            obj = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(obj, dict):
            continue
        action = str(obj.get("action", ""))
        raw_details = obj.get("details")
        sha = raw_details.get("envelope_sha256") if isinstance(raw_details, dict) else None
        entries[int(seq)] = (action, str(obj.get("object", "")), str(sha) if sha else None)
    row_seqs: dict[int, list[tuple[str, str]]] = {}  # seq -> [(action, envelope sha256)]
    for env_id, log_seq, decision, approval_envelope in session.execute(
        sa.select(SqlApproval.id, SqlApproval.log_seq, SqlApproval.decision, SqlApproval.envelope)
    ).all():
        action = ACTION_APPROVE if decision == "APPROVED" else ACTION_REJECT
        sha = hashlib.sha256(bytes(approval_envelope)).hexdigest()
        row_seqs.setdefault(int(log_seq), []).append((action, sha))
        if sha != env_id:
            problems.append(f"The {_ROW_WHAT[action]} row {env_id[:16]} at audit-log entry {log_seq} holds another "
                            "envelope than its id says (edited by hand).")
    for log_seq, kind, envelope in session.execute(
        sa.select(SqlTrustStatement.log_seq, SqlTrustStatement.kind, SqlTrustStatement.envelope)
    ).all():
        action = _KIND_ACTION.get(kind, f"trust.{kind}")
        sha = hashlib.sha256(bytes(envelope)).hexdigest() if envelope is not None else ""
        row_seqs.setdefault(int(log_seq), []).append((action, sha))
    for seq, items in sorted(row_seqs.items()):
        for action, sha in items:
            what = _ROW_WHAT.get(action, "governance")
            entry = entries.get(seq)
            if entry is None:
                problems.append(f"The {what} row for audit-log entry {seq} has no such log entry "
                                "(a row added by hand, or its entry deleted).")
            elif entry[0] != action:
                problems.append(f"The {what} row for audit-log entry {seq} does not match that entry, which records "
                                f"{entry[0]} of {entry[1]} (a row added by hand).")
            elif entry[2] is not None and entry[2] != sha:
                problems.append(f"The {what} row for audit-log entry {seq} holds another envelope than the entry "
                                "records (a row replaced or added by hand).")
        if len(items) > 1:
            problems.append(f"Audit-log entry {seq} has {len(items)} governance rows; each entry records one "
                            "(rows added by hand).")
    for seq, (action, obj, _sha) in sorted(entries.items()):
        if action in _ROW_WHAT and not any(a == action for a, _ in row_seqs.get(seq, [])):
            problems.append(f"Audit-log entry {seq} records the {_ROW_WHAT[action]} {action} of {obj}, but its row "
                            "is missing from the governance store (deleted).")
    problems.extend(_reconcile_journal(session, rows))
    return problems


_JOURNAL_WHAT = {ACTION_OBSERVE: "registry observation", ACTION_WEBHOOK: "webhook event"}


def _reconcile_journal(session: Session, rows: Sequence[Any]) -> list[str]:
    """Journal rows (observations, webhook events) against their entries, whose details carry
    the row's ``record_sha256``: an edited, added or deleted row is named with its entry number."""
    problems: list[str] = []
    entries: dict[int, tuple[str, str | None, str]] = {}  # seq -> (action, record sha256, leaf hash)
    for seq, raw, leaf in rows:
        try:
            obj = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(obj, dict) or obj.get("action") not in _JOURNAL_WHAT:
            continue
        details = obj.get("details")
        sha = details.get("record_sha256") if isinstance(details, dict) else None
        entries[int(seq)] = (str(obj["action"]), str(sha) if sha else None, str(leaf))
    seen: dict[int, int] = {}
    journal: list[tuple[str, int, str, str | None]] = []  # (action, log_seq, record sha256, entry hash)
    inspector = sa.inspect(session.connection())  # a snapshot taken before the journal has no such tables
    if inspector.has_table(SqlObservation.__tablename__):
        last_seq = -1
        for obs in session.scalars(sa.select(SqlObservation).order_by(SqlObservation.id)):
            journal.append((ACTION_OBSERVE, int(obs.log_seq), obs.record_sha256(), None))
            if int(obs.log_seq) < last_seq:
                problems.append(f"Registry observation {obs.id} (audit-log entry {obs.log_seq}) is out of log order "
                                f"after the one at entry {last_seq}: the rows' ids were swapped by hand.")
            last_seq = max(last_seq, int(obs.log_seq))
    if inspector.has_table(SqlWebhookEvent.__tablename__):
        for ev in session.scalars(sa.select(SqlWebhookEvent)):
            journal.append((ACTION_WEBHOOK, int(ev.log_seq), ev.record_sha256(), ev.entry_hash))
    for action, seq, sha, entry_hash in journal:
        what = _JOURNAL_WHAT[action]
        seen[seq] = seen.get(seq, 0) + 1
        entry = entries.get(seq)
        if entry is None or entry[0] != action:
            problems.append(f"The {what} row for audit-log entry {seq} has no such log entry "
                            "(a row added by hand, or its entry deleted).")
        elif entry[1] != sha:
            problems.append(f"The {what} row for audit-log entry {seq} no longer matches the record that entry "
                            "hashed (the row was edited by hand).")
        elif entry_hash is not None and entry_hash != entry[2]:
            problems.append(f"The {what} row for audit-log entry {seq} names another entry hash than the "
                            "entry has (edited by hand).")
    for seq, count in sorted(seen.items()):
        if count > 1:
            problems.append(f"Audit-log entry {seq} has {count} journal rows; each entry records one "
                            "(rows added by hand).")
    for seq, (action, _sha, _leaf) in sorted(entries.items()):
        if seq not in seen:
            problems.append(f"Audit-log entry {seq} records a {_JOURNAL_WHAT[action]}, but its row is missing "
                            "from the governance store (deleted).")
    return problems


def journal_problems(session: Session) -> list[str]:
    """The journal rows (observations, webhook events) that do not reconcile with their audit-log
    entries: the check ``audit verify`` makes, for readers of the journal (``history``, as-of)."""
    rows = session.execute(
        sa.select(SqlLogEntry.seq, SqlLogEntry.entry, SqlLogEntry.leaf_hash)
        .where(SqlLogEntry.action.in_(tuple(_JOURNAL_WHAT))).order_by(SqlLogEntry.seq)
    ).all()
    return _reconcile_journal(session, rows)


def verify_log(
    gov: Governance,
    *,
    update_memory: bool = True,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> LogVerification:
    """Check every entry, the head, every checkpoint and this client's memory. Never raises on
    tampering: each break is a specific sentence in ``problems``."""
    problems: list[str] = []
    with gov.read_session() as session:
        head_row = session.get(SqlLogHead, 1)
        rows = session.execute(
            sa.select(SqlLogEntry.seq, SqlLogEntry.entry, SqlLogEntry.leaf_hash).order_by(SqlLogEntry.seq)
        ).all()
        cps = session.execute(sa.select(SqlCheckpoint).order_by(SqlCheckpoint.size, SqlCheckpoint.id)).scalars().all()
        cp_keys = {k.key_id: k for k in session.scalars(sa.select(SqlCheckpointKey))}
        checkpoints = [(c.size, c.root_hash, c.note, c.key_id) for c in cps]
        problems.extend(_reconcile(session, rows))
    total = len(rows)
    leaves: list[bytes] = []
    expected = 0
    missing = 0
    prev_time: tuple[int, str, datetime] | None = None
    future_limit = datetime.now().astimezone() + FUTURE_SKEW
    for i, (seq, raw, stored_leaf) in enumerate(rows):
        if i % 10000 == 0:
            progress(i, total, "Checking audit-log entries")
            if is_cancelled():
                raise CancelledError()
        if seq != expected:
            if seq > expected:
                problems.append(f"Audit log entries {expected}..{seq - 1} are missing (gap in seq).")
                missing += seq - expected
            else:
                problems.append(f"Audit log entry seq {seq} appears twice.")
            expected = seq
        expected += 1
        computed = leaf_hash(bytes(raw))
        if computed.hex() != stored_leaf:
            problems.append(f"Audit log entry {seq} was altered: its content no longer matches its recorded hash.")
        try:
            inner = json.loads(raw)
            inner_seq = inner.get("seq") if isinstance(inner, dict) else None
        except ValueError:
            inner = None
            inner_seq = None
            problems.append(f"Audit log entry {seq} is not valid JSON.")
        when_text = str(inner.get("time")) if isinstance(inner, dict) else ""
        when = _parse_time(when_text)
        if isinstance(inner, dict) and when is None:
            problems.append(f"Audit log entry {seq} has no valid time ({when_text!r}).")
        elif when is not None:
            if prev_time is not None and when < prev_time[2]:
                problems.append(f"Audit log entry {seq} is dated {when_text}, before entry {prev_time[0]} "
                                f"({prev_time[1]}): times must not decrease along the log (a backdated entry).")
            if when > future_limit:
                problems.append(f"Audit log entry {seq} is dated {when_text}, more than "
                                f"{int(FUTURE_SKEW.total_seconds() // 60)} minutes ahead of this computer's clock.")
            if prev_time is None or when >= prev_time[2]:
                prev_time = (seq, when_text, when)
        if inner_seq is not None and inner_seq != seq:
            problems.append(f"Audit log entry stored at seq {seq} says it is entry {inner_seq} "
                            "(entries were swapped, moved or inserted).")
        leaves.append(computed)
    n = len(leaves)
    wanted = sorted({c[0] for c in checkpoints if c[0] <= n})
    memory = remembered_head(gov)
    mem_size = int(memory["size"]) if memory and isinstance(memory.get("size"), int) else None
    if mem_size is not None and mem_size <= n:
        wanted = sorted({*wanted, mem_size})
    prefix_roots: dict[int, str] = {}
    frontier = Frontier()
    if 0 in wanted:
        prefix_roots[0] = frontier.root().hex()
    want_iter = iter(wanted)
    nxt = next(want_iter, None)
    while nxt == 0:
        nxt = next(want_iter, None)
    for lf in leaves:
        frontier.append(lf)
        if nxt is not None and frontier.size == nxt:
            prefix_roots[nxt] = frontier.root().hex()
            nxt = next(want_iter, None)
    root = frontier.root().hex()
    if head_row is None:
        problems.append("The log head row is missing.")
    else:
        if head_row.size != n + missing and head_row.size != n:
            problems.append(f"The log head records {head_row.size} entries but {n} are stored "
                            "(entries were deleted or inserted by hand).")
        elif head_row.root_hash != root and not problems:
            problems.append("The log head's root hash does not match the stored entries.")
    by_size: dict[int, str] = {}
    signed: list[tuple[int, str]] = []
    for size, cp_root, note, kid in checkpoints:
        key_row = cp_keys.get(kid)
        if key_row is None:
            problems.append(f"Checkpoint at size {size} is signed by an unknown key {kid[:16]}.")
        else:
            try:
                parsed = cpmod.verify_checkpoint(note, key_row.name, checkpoint_public_key(kid, key_row.public_pem))
            except (cpmod.CheckpointError, StoreError) as exc:
                problems.append(f"Checkpoint at size {size} has a bad signature ({exc}).")
                parsed = None
            except Exception as exc:  # noqa: BLE001 - a mangled key row must be a finding, not a crash
                problems.append(f"Checkpoint at size {size} cannot be checked ({type(exc).__name__}).")
                parsed = None
            if parsed is not None and (parsed.size != size or parsed.root.hex() != cp_root or parsed.origin != gov.origin):
                problems.append(f"Checkpoint at size {size}: the signed note does not match its row "
                                "(edited by hand, or from another log).")
            elif parsed is not None:
                signed.append((size, kid))
        if size in by_size and by_size[size] != cp_root:
            problems.append(f"Two checkpoints of size {size} have different roots (the log was forked or rewritten).")
        by_size.setdefault(size, cp_root)
        if size > n:
            problems.append(f"Checkpoint at size {size} is larger than the log ({n} entries): "
                            "the newest entries were deleted.")
        elif prefix_roots.get(size) != cp_root:
            problems.append(f"The log does not match its checkpoint at size {size}: "
                            "entries up to there were changed, swapped, inserted or removed.")
    if mem_size is not None and memory is not None:
        if mem_size > n:
            problems.append(f"This client last verified the log at {mem_size} entries, but it now has {n}: "
                            "the newest entries were deleted or an older copy of the database was restored.")
        elif prefix_roots.get(mem_size) != memory.get("root"):
            problems.append(f"The log no longer matches the tree head this client verified at size {mem_size}: "
                            "it was rewritten or an older copy of the database was restored.")
    at_url = remembered_at_url(gov)
    if at_url is not None and at_url.get("store_id") not in (None, gov.store_id):
        problems.append(f"This client last verified the governance store at {gov.url} with id {at_url.get('store_id')} "
                        f"({at_url.get('size')} entries); it now has id {gov.store_id}: the database was replaced, "
                        "or its id was changed to make this client forget what it saw.")
    cp_size = max((c[0] for c in checkpoints), default=None)
    cp_note = next((c[2] for c in reversed(checkpoints) if c[0] == cp_size), None)
    ok = not problems
    if ok and update_memory:
        remember(gov, size=n, root=root, checkpoint=cp_note, verified_at=now_iso())
    progress(total, total, "Audit log checked")
    return LogVerification(ok, n, root, cp_size, cp_note, mem_size, problems, signed)


def require_consistent(gov: Governance) -> LogVerification:
    result = verify_log(gov)
    if not result.ok:
        raise CheckFailed("Audit log inconsistent: " + " ".join(result.problems))
    return result


# ---------------------------------------------------------------------------- evidence & export


def inclusion_evidence(gov: Governance, seqs: Iterable[int]) -> dict[str, Any]:
    """The current checkpoint and inclusion proofs of the cited entries (evidence bundle)."""
    note = write_checkpoint(gov) if not gov.read_only else latest_checkpoint(gov)
    if note is None:
        raise StoreError("The audit log has no checkpoint yet.")
    cp = cpmod.parse_checkpoint(note)
    with gov.read_session() as session:
        raws = session.execute(
            sa.select(SqlLogEntry.entry).where(SqlLogEntry.seq < cp.size).order_by(SqlLogEntry.seq)
        ).scalars().all()
    leaves = [leaf_hash(r) for r in raws]
    proofs = []
    for seq in sorted(set(seqs)):
        if 0 <= seq < len(leaves):
            proofs.append({
                "seq": seq,
                "entry": base64.b64encode(raws[seq]).decode(),
                "leaf_hash": leaves[seq].hex(),
                "proof": [p.hex() for p in inclusion_proof(leaves, seq, cp.size)],
            })
    return {"origin": cp.origin, "size": cp.size, "root": cp.root.hex(), "checkpoint": note, "inclusion": proofs}


def trust_evidence(session: Session, below: int) -> dict[str, Any]:
    """Every trust statement recorded before log size ``below`` (pins, adds, revocations, in log
    order, envelopes as base64 of their exact bytes) and every stored public key, for exported
    evidence that a verifier replays offline (docs/BUNDLE.md)."""
    statements = session.execute(
        sa.select(SqlTrustStatement).where(SqlTrustStatement.log_seq < below)
        .order_by(SqlTrustStatement.log_seq, SqlTrustStatement.id)
    ).scalars().all()
    keys = session.execute(sa.select(SqlPublicKey).order_by(SqlPublicKey.key_id)).scalars().all()
    carried: list[dict[str, Any]] = [
        {"log_index": int(st.log_seq), "kind": st.kind, "subject_key_id": st.subject_key_id,
         "envelope_b64": base64.b64encode(bytes(st.envelope)).decode("ascii") if st.envelope is not None else None}
        for st in statements
    ]
    # a trust entry whose row was deleted (a revocation removed by hand) is carried without its envelope and
    # without its entry, so the verifier fails on it instead of replaying a trust list that never revoked
    kinds = {action: kind for kind, action in _KIND_ACTION.items()}
    have = {int(st.log_seq) for st in statements}
    for seq, raw in session.execute(
        sa.select(SqlLogEntry.seq, SqlLogEntry.entry).where(SqlLogEntry.seq < below).order_by(SqlLogEntry.seq)
    ).all():
        if int(seq) in have or b'"trust.' not in bytes(raw):
            continue
        try:
            action = json.loads(raw).get("action")
        except (ValueError, AttributeError):
            continue
        if action in kinds:
            carried.append({"log_index": int(seq), "kind": kinds[action], "subject_key_id": "", "envelope_b64": None,
                            "row_missing": True})
    carried.sort(key=lambda item: int(item["log_index"]))
    return {
        "trust_statements": carried,
        "public_keys": {k.key_id: k.public_pem for k in keys},
        "identities": {k.key_id: k.identity for k in keys if k.identity},
    }


def export_log(gov: Governance, out: Path) -> dict[str, Any]:
    """Write the whole log (each entry's exact bytes, and a readable copy), its signed checkpoint,
    the checkpoint key, the trust statements and public keys as one JSON file (docs/BUNDLE.md)."""
    note = write_checkpoint(gov)
    cp = cpmod.parse_checkpoint(note)
    with gov.read_session() as session:
        raws = [bytes(r) for r in session.execute(
            sa.select(SqlLogEntry.entry).where(SqlLogEntry.seq < cp.size).order_by(SqlLogEntry.seq)
        ).scalars().all()]
        key_row = session.execute(sa.select(SqlCheckpointKey).where(SqlCheckpointKey.name == cp.key_name)
                                  .order_by(SqlCheckpointKey.created_at.desc()).limit(1)).scalar_one_or_none()
        trust_part = trust_evidence(session, cp.size)
    root = root_from_leaf_hashes([leaf_hash(r) for r in raws])
    if root != cp.root:
        raise CheckFailed("The audit log does not match its checkpoint; run 'audit verify'.")
    bundle = {
        "format": "mlops-desktop-audit-log/v2",
        "origin": cp.origin,
        "size": cp.size,
        "root": cp.root.hex(),
        "checkpoint": note,
        "checkpoint_public_key": {"name": cp.key_name, "key_id": key_row.key_id if key_row else None,
                                  "pem": key_row.public_pem if key_row else None},
        **trust_part,
        "entries_b64": [base64.b64encode(r).decode("ascii") for r in raws],
        "entries": [json.loads(r) for r in raws],
    }
    data = json.dumps(bundle, indent=1, ensure_ascii=False).encode("utf-8")
    out = Path(out)
    try:
        fd, tmp = tempfile.mkstemp(dir=str(out.parent), prefix=f".{out.name}.")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, out)
    except OSError as exc:
        raise StoreError(f"Cannot write {out}: {exc.strerror or exc}.") from exc
    digest = hashlib.sha256(data).hexdigest()
    record_export(gov, "audit-log", out, digest, {"size": cp.size, "root": cp.root.hex()})
    return {"path": str(out), "sha256": digest, "size": cp.size, "root": cp.root.hex()}


def verify_export(path: Path) -> tuple[int, str]:
    """Check an exported log's own consistency offline: entries (their exact bytes when the export
    carries them), root and checkpoint signature with the key it carries. This does not judge the
    key: ``audit verify-export`` (governance.offline) also requires the key to be certified through
    this client's trust anchors."""
    try:
        bundle = json.loads(Path(path).read_text("utf-8"))
        note = bundle["checkpoint"]
        key = bundle["checkpoint_public_key"]
        cp = cpmod.verify_checkpoint(note, key["name"], load_public_key_pem(key["pem"].encode()))
        if "entries_b64" in bundle:
            raws = [base64.b64decode(t, validate=True) for t in bundle["entries_b64"]]
            if [json.loads(r) for r in raws] != bundle["entries"]:
                raise CheckFailed(f"{path}: the entries do not match the signed checkpoint (the readable copy "
                                  "differs from the entries' exact bytes).")
        else:
            raws = [canonical_json(e) for e in bundle["entries"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, cpmod.CheckpointError) as exc:
        raise CheckFailed(f"{path} is not a valid audit-log export ({exc}).") from exc
    leaves = [leaf_hash(r) for r in raws]
    if len(leaves) != cp.size or root_from_leaf_hashes(leaves) != cp.root:
        raise CheckFailed(f"{path}: the entries do not match the signed checkpoint.")
    return cp.size, cp.root.hex()


def sealed_record(gov: Governance, seq: int, since_size: int | None) -> dict[str, Any]:
    """The proof that entry ``seq`` (an exported report's record) is in the log: its exact bytes, a
    checkpoint signed now that covers it, its RFC 9162 inclusion proof at that checkpoint, and the
    consistency proof from the checkpoint of size ``since_size`` the report's evidence was made at
    (docs/BUNDLE.md, "report_record")."""
    note = write_checkpoint(gov)
    cp = cpmod.parse_checkpoint(note)
    if not 0 <= seq < cp.size:
        raise StoreError(f"Audit-log entry {seq} is not covered by the checkpoint at size {cp.size}.")
    with gov.read_session() as session:
        raws = [bytes(r) for r in session.execute(
            sa.select(SqlLogEntry.entry).where(SqlLogEntry.seq < cp.size).order_by(SqlLogEntry.seq)
        ).scalars().all()]
        key_row = session.execute(sa.select(SqlCheckpointKey).where(SqlCheckpointKey.name == cp.key_name)
                                  .order_by(SqlCheckpointKey.created_at.desc()).limit(1)).scalar_one_or_none()
    leaves = [leaf_hash(r) for r in raws]
    if len(leaves) != cp.size or root_from_leaf_hashes(leaves) != cp.root:
        raise CheckFailed("The audit log does not match its newest checkpoint; run 'audit verify'.")
    consistency: list[str] | None = None
    if since_size is not None and 0 <= since_size <= cp.size:
        consistency = [h.hex() for h in consistency_proof(leaves, since_size, cp.size)]
    return {
        "index": seq,
        "entry_b64": base64.b64encode(raws[seq]).decode("ascii"),
        "inclusion_proof": [h.hex() for h in inclusion_proof(leaves, seq, cp.size)],
        "checkpoint": {"origin": cp.origin, "size": cp.size, "root_hash": cp.root.hex(), "note": note,
                       "log_public_key": key_row.public_pem if key_row is not None else None,
                       "log_key_id": key_row.key_id if key_row is not None else None},
        "consistency_from": since_size if consistency is not None else None,
        "consistency_proof": consistency,
    }
