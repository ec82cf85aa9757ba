"""ORM rows of the governance store (SQLAlchemy 2). The schema itself is owned by Alembic."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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
