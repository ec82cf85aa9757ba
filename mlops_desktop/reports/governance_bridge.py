"""Reads what a report needs from the governance store, and records the exported report.

The findings engine only sees :class:`GovernanceFacts`; the PDF and the evidence bundle
also need the envelopes verbatim, public keys, the checkpoint and inclusion proofs. This
module is the one place in ``reports`` that talks to :mod:`mlops_desktop.governance`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.errors import MlopsError, StoreError
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)
from mlops_desktop.crypto.merkle import leaf_hash, verify_inclusion
from mlops_desktop.reports.model import GovernanceEvidence

logger = logging.getLogger(__name__)

ACCESS_REPORT_LIMIT = 200


def open_for_report(url: str | None) -> Any:
    """The governance store for ``url``; None when no URL is given and no default store exists."""
    from mlops_desktop.governance.db import resolve_url
    from mlops_desktop.governance.store import open_governance

    if not url:
        _, path = resolve_url(None)
        if path is not None and not path.exists():
            logger.info("no governance store at %s: report without governance evidence", path)
            return None
    return open_governance(url, create=False)


def checkpoint_verifier(note: str, public_key_pem: str) -> bool:
    """Check a checkpoint note's signature with the log's public key (C2SP signed note)."""
    from mlops_desktop.crypto import checkpoint as cpmod
    from mlops_desktop.governance.keys import load_public_key_pem

    try:
        cp = cpmod.parse_checkpoint(note)
        cpmod.verify_checkpoint(note, cp.key_name, load_public_key_pem(public_key_pem.encode("ascii")))
    except (cpmod.CheckpointError, MlopsError, ValueError, UnicodeEncodeError):  # unreadable key: does not verify
        logger.debug("checkpoint does not verify", exc_info=True)
        return False
    return True


def collect_evidence(
    gov: Any,
    catalog: Catalog,
    *,
    artifact_roots: Mapping[str, str] | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> GovernanceEvidence:
    """Verified facts, envelopes, keys, checkpoint and inclusion proofs from an open store."""
    import sqlalchemy as sa

    from mlops_desktop.crypto import checkpoint as cpmod
    from mlops_desktop.crypto.ecdsa import public_pem
    from mlops_desktop.governance import audit
    from mlops_desktop.governance.api import governance_facts, list_approvals, load_trust
    from mlops_desktop.governance.models import SqlCheckpointKey

    progress(0, 4, "Verifying approvals and the audit log")
    facts = governance_facts(gov, catalog, artifact_roots=artifact_roots, is_cancelled=is_cancelled)
    check_cancelled(is_cancelled)
    progress(1, 4, "Reading envelopes and keys")
    records = list_approvals(gov)
    trust = load_trust(gov)
    ev = GovernanceEvidence(facts=facts, store_url=gov.url)
    ev.envelopes = {r.id: r.envelope for r in records}
    ev.public_keys = {kid: public_pem(key).decode("ascii") for kid, key in sorted(trust.public_keys.items())}
    ev.signers = {kid: ident for kid in ev.public_keys if (ident := trust.identity(kid))}
    audit_status = facts.audit
    if audit_status is not None:
        ev.transcript.append(f"Entries checked: {audit_status.size}")
        ev.transcript.append(f"Root hash: {audit_status.root_hash}")
        ev.transcript.append(f"Latest checkpoint size: {audit_status.checkpoint_size}")
        ev.transcript.extend(f"BREAK: {p}" for p in audit_status.problems)
        ev.transcript.append("Result: " + ("consistent" if audit_status.ok else "INCONSISTENT"))
    check_cancelled(is_cancelled)
    progress(2, 4, "Checkpoint and inclusion proofs")
    seqs = sorted({r.log_seq for r in records})
    try:
        inc = audit.inclusion_evidence(gov, seqs)
    except (StoreError, cpmod.CheckpointError) as exc:
        ev.transcript.append(f"No checkpoint available for inclusion proofs: {exc}")
        inc = None
    if inc is not None:
        ev.checkpoint = str(inc["checkpoint"])
        ev.checkpoint_size = int(inc["size"])
        ev.checkpoint_root = str(inc["root"])
        ev.log_origin = str(inc["origin"])
        import base64

        for item in inc["inclusion"]:
            seq = int(item["seq"])
            ev.entries[seq] = base64.b64decode(item["entry"])
            ev.proofs[seq] = list(item["proof"])
        key_name = cpmod.parse_checkpoint(ev.checkpoint).key_name
        with gov.read_session() as session:
            pem = session.execute(
                sa.select(SqlCheckpointKey.public_pem).where(SqlCheckpointKey.name == key_name).limit(1)
            ).scalar_one_or_none()
        ev.log_public_key = pem
        signed = bool(pem) and checkpoint_verifier(ev.checkpoint, str(pem))
        ev.transcript.append(
            f"Checkpoint the report was made at: size {ev.checkpoint_size}, root {ev.checkpoint_root}, "
            f"signed by {key_name}: signature " + ("verifies" if signed else "DOES NOT VERIFY")
        )
        root = bytes.fromhex(ev.checkpoint_root)
        for seq in sorted(ev.entries):
            ok = verify_inclusion(leaf_hash(ev.entries[seq]), seq, ev.checkpoint_size,
                                  [bytes.fromhex(h) for h in ev.proofs[seq]], root)
            ev.transcript.append(f"Inclusion of entry {seq}: " + ("verified" if ok else "FAILED"))
    check_cancelled(is_cancelled)
    progress(3, 4, "Access report")
    entries = audit.access_report(gov)[-ACCESS_REPORT_LIMIT:]
    ev.access_report = [
        {
            "seq": e.seq,
            "time": e.time,
            "actor": e.actor.get("os_user") if isinstance(e.actor, dict) else str(e.actor),
            "action": e.action,
            "object": e.object,
        }
        for e in entries
    ]
    progress(4, 4, "Governance evidence ready")
    return ev


def record_report(gov: Any, result: Any) -> int:
    """Append the report's SHA-256 to the audit log (and the export register); returns its seq.

    Database errors the governance layer lets through become a StoreError here.
    """
    import sqlite3

    from sqlalchemy.exc import SQLAlchemyError

    from mlops_desktop.governance.audit import record_export

    details = {
        "report_id": result.report_id,
        "edition": result.edition,
        "models": list(result.models),
        "bundle_sha256": result.bundle_sha256,
        "pages": result.pages,
    }
    try:
        return int(record_export(gov, "report", result.path, result.sha256, details))
    except (sqlite3.Error, SQLAlchemyError) as exc:
        raise StoreError(
            f"Cannot record the report in the audit log of {gov.url}: {exc}.",
            "The report was not written. Check the governance store (mlops-desktop audit verify) and try again.",
        ) from exc
