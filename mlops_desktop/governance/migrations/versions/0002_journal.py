"""The registry journal: observations of registry state, and received registry webhook events.

``observations``: one row per observed change of a registry's state (``full`` state or a
``delta`` from the registry's previous observation ``base_id``; ``body`` is zlib-compressed
sorted-key JSON), hashed into its audit-log entry ``log_seq`` (action ``registry.observe``).

``webhook_events``: one row per webhook delivery, ``payload`` byte for byte as received,
hashed into its audit-log entry ``log_seq`` (action ``webhook.receive``; ``entry_hash`` is
that entry's leaf hash). Column meanings: ``SqlObservation`` and ``SqlWebhookEvent`` in
``mlops_desktop.governance.models``.

Revision ID: 0002_journal
Revises: 0001_initial
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_journal"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "observations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("registry_kind", sa.String(32), nullable=False),
        sa.Column("registry_id", sa.String(200), nullable=False),
        sa.Column("observed_at", sa.String(40), nullable=False),
        sa.Column("encoding", sa.String(16), nullable=False),
        sa.Column("base_id", sa.Integer()),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("state_digest", sa.String(64), nullable=False),
        sa.Column("versions", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("envelope", sa.LargeBinary()),
        sa.Column("key_id", sa.String(64)),
        sa.Column("log_seq", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_observations_registry", "observations", ["registry_kind", "registry_id", "id"])
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("registry_kind", sa.String(32), nullable=False),
        sa.Column("registry_id", sa.String(200), nullable=False),
        sa.Column("event", sa.String(200), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("delivery_id", sa.String(200)),
        sa.Column("headers", sa.Text()),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("signature_ok", sa.Boolean(), nullable=False),
        sa.Column("log_seq", sa.BigInteger(), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_webhook_events_registry", "webhook_events", ["registry_kind", "registry_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_events_registry", "webhook_events")
    op.drop_table("webhook_events")
    op.drop_index("ix_observations_registry", "observations")
    op.drop_table("observations")
