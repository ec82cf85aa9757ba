"""ORM rows of the governance store (SQLAlchemy 2). The schema itself is owned by Alembic."""

from __future__ import annotations

import hashlib

from sqlalchemy import BigInteger, Boolean, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mlops_desktop.crypto.canonical import canonical_json


class Base(DeclarativeBase):
    pass


class SqlMeta(Base):
    """Store identity and settings: ``store_id``, ``created_at``."""

    __tablename__ = "gov_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


class SqlLogHead(Base):
    """The one-row log head: size, compact range and root. Appends lock this row."""

    __tablename__ = "log_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    frontier: Mapped[str] = mapped_column(Text, nullable=False)  # JSON list of hex node hashes
    root_hash: Mapped[str] = mapped_column(String(64), nullable=False)


class SqlLogEntry(Base):
    """One audit-log entry: RFC 8785 bytes; ``seq`` is assigned under the head lock (no SERIAL)."""

    __tablename__ = "log_entries"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entry: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    leaf_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    time: Mapped[str] = mapped_column(String(40), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    object: Mapped[str] = mapped_column(Text, nullable=False)
    __table_args__ = (Index("ix_log_entries_action", "action"),)


class SqlCheckpoint(Base):
    """A signed C2SP checkpoint note of the log at ``size``."""

    __tablename__ = "checkpoints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    root_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    frontier: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    key_id: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[str] = mapped_column(String(40), nullable=False)


class SqlCheckpointKey(Base):
    """Public keys of the clients that sign checkpoints."""

    __tablename__ = "checkpoint_keys"
    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    public_pem: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[str] = mapped_column(String(40), nullable=False)


class SqlPublicKey(Base):
    """Every signer public key ever seen; kept forever so old records still verify."""

    __tablename__ = "public_keys"
    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_pem: Mapped[str] = mapped_column(Text, nullable=False)
    identity: Mapped[str | None] = mapped_column(String(320))
    certificate_pem: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(40), nullable=False)


class SqlTrustStatement(Base):
    """A trust-list change: ``pin`` (trust init, unsigned root), ``add`` or ``revoke`` (signed)."""

    __tablename__ = "trust_statements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    log_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    subject_key_id: Mapped[str] = mapped_column(String(64), nullable=False)
    envelope: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[str] = mapped_column(String(40), nullable=False)


class SqlApproval(Base):
    """A promotion decision: the DSSE envelope verbatim; ``id`` is its SHA-256."""

    __tablename__ = "approvals"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_name: Mapped[str] = mapped_column(String(400), nullable=False)
    version: Mapped[str] = mapped_column(String(100), nullable=False)
    target: Mapped[str] = mapped_column(String(200), nullable=False)
    decision: Mapped[str] = mapped_column(String(16), nullable=False)
    key_id: Mapped[str] = mapped_column(String(64), nullable=False)
    log_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    envelope: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[str] = mapped_column(String(40), nullable=False)
    __table_args__ = (Index("ix_approvals_model_version", "model_name", "version"),)


class SqlPolicy(Base):
    """Promotion policies that decisions referred to, by digest."""

    __tablename__ = "policies"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(200), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[str] = mapped_column(String(40), nullable=False)


class SqlExport(Base):
    """Register of exported reports, snapshots and log exports."""

    __tablename__ = "exports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    path: Mapped[str] = mapped_column(Text, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    log_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[str] = mapped_column(String(40), nullable=False)


class SqlObservation(Base):
    """One observation of a metadata store's registry state (the registry journal).

    A row is written only when the state differs from the registry's previous observation.
    Columns:

    - ``registry_kind``, ``registry_id``: the registry (``Source.kind`` / ``Source.registry_id``).
    - ``observed_at``: RFC 3339 UTC, the time of its audit-log entry.
    - ``encoding``: ``full`` (``body`` is the whole state) or ``delta`` (the changes from the
      observation ``base_id``, the registry's previous one).
    - ``body``: zlib-compressed sorted-key compact JSON of the state or the delta
      (``governance.journal.state_json``).
    - ``state_digest``: SHA-256 of that JSON of the whole state (compared with the
      last observation to decide whether anything changed; checked after reconstruction).
    - ``versions``: how many model versions the state holds.
    - ``source``: the store's display URL (no password).
    - ``envelope``/``key_id``: a DSSE envelope signing the record, when a key was unlocked.
    - ``log_seq``: its audit-log entry (action ``registry.observe``), whose details carry
      ``record_sha256`` = :meth:`record_sha256`; ``audit verify`` reconciles the two.
    """

    __tablename__ = "observations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    registry_kind: Mapped[str] = mapped_column(String(32), nullable=False)
    registry_id: Mapped[str] = mapped_column(String(200), nullable=False)
    observed_at: Mapped[str] = mapped_column(String(40), nullable=False)
    encoding: Mapped[str] = mapped_column(String(16), nullable=False)
    base_id: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    state_digest: Mapped[str] = mapped_column(String(64), nullable=False)
    versions: Mapped[int] = mapped_column(Integer, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    envelope: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_id: Mapped[str | None] = mapped_column(String(64))
    log_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    __table_args__ = (Index("ix_observations_registry", "registry_kind", "registry_id", "id"),)

    def record_sha256(self) -> str:
        """SHA-256 of every column but ``id`` and ``log_seq`` (the audit entry carries it)."""
        return record_sha256({
            "registry_kind": self.registry_kind, "registry_id": self.registry_id, "observed_at": self.observed_at,
            "encoding": self.encoding, "base_id": self.base_id, "body": hashlib.sha256(bytes(self.body)).hexdigest(),
            "state_digest": self.state_digest, "versions": self.versions, "source": self.source,
            "envelope": hashlib.sha256(bytes(self.envelope)).hexdigest() if self.envelope is not None else None,
            "key_id": self.key_id,
        })


class SqlWebhookEvent(Base):
    """One registry webhook delivery (``listen``), stored as received.

    Columns:

    - ``registry_kind`` (``mlflow``), ``registry_id``: the registry the delivery is about
      ("" when the listener cannot tell).
    - ``event``: the event name (MLflow's ``X-MLflow-Event`` / payload ``event``, e.g.
      ``model_version.created``, ``model_version_alias.created``).
    - ``payload``: the request body, byte for byte as received (JSON text).
    - ``delivery_id``: the sender's delivery id (``X-MLflow-Delivery-Id``) or None.
    - ``headers``: JSON object of the signature-relevant request headers as received, or None.
    - ``received_at``: RFC 3339 UTC, the time of its audit-log entry.
    - ``signature_ok``: whether the HMAC signature checked against the secret.
    - ``log_seq``: its audit-log entry (action ``webhook.receive``), whose details carry
      ``record_sha256`` = :meth:`record_sha256`; ``entry_hash``: that entry's leaf hash (hex).
      ``audit verify`` reconciles rows and entries both ways.
    """

    __tablename__ = "webhook_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    registry_kind: Mapped[str] = mapped_column(String(32), nullable=False)
    registry_id: Mapped[str] = mapped_column(String(200), nullable=False)
    event: Mapped[str] = mapped_column(String(200), nullable=False)
    payload: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    delivery_id: Mapped[str | None] = mapped_column(String(200))
    headers: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[str] = mapped_column(String(40), nullable=False)
    signature_ok: Mapped[bool] = mapped_column(Boolean, nullable=False)
    log_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    entry_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    __table_args__ = (Index("ix_webhook_events_registry", "registry_kind", "registry_id", "id"),)

    def record_sha256(self) -> str:
        """SHA-256 of every column but ``id``, ``log_seq`` and ``entry_hash`` (the entry carries it)."""
        return record_sha256({
            "registry_kind": self.registry_kind, "registry_id": self.registry_id, "event": self.event,
            "payload": hashlib.sha256(bytes(self.payload)).hexdigest(), "delivery_id": self.delivery_id,
            "headers": self.headers, "received_at": self.received_at, "signature_ok": bool(self.signature_ok),
        })


def record_sha256(fields: dict[str, object]) -> str:
    """SHA-256 of the RFC 8785 JSON of a row's fields (journal rows hashed into the audit log)."""
    return hashlib.sha256(canonical_json(fields)).hexdigest()
