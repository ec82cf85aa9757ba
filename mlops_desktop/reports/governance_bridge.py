"""Reads what a report needs from the governance store, and records the exported report.

The findings engine only sees :class:`GovernanceFacts`; the PDF and the evidence bundle
also need the envelopes verbatim, public keys, the checkpoint and inclusion proofs. This
module is the one place in ``reports`` that talks to :mod:`mlops_desktop.governance`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import Any

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.errors import MlopsError, StoreError
from mlops_desktop.core.governance_facts import GovernanceFacts
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)
from mlops_desktop.crypto.merkle import leaf_hash, verify_inclusion
from mlops_desktop.reports.model import GovernanceEvidence
from mlops_desktop.reports.verdicts import RuleLine, TargetVerdict, Verdicts, decision_verdict

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


def journal_coverage(gov: Any, catalog: Catalog) -> dict[str, tuple[str, str, int]]:
    """Per registry of ``catalog`` the journal observed: its first and last observation times and count."""
    from mlops_desktop.governance.journal import observable_stores, observations

    out: dict[str, tuple[str, str, int]] = {}
    for store in observable_stores(catalog):
        if store.registry is not None and (obs := observations(gov, store.registry)):
            out[store.registry.label] = (obs[0].observed_at, obs[-1].observed_at, len(obs))
    return out


def collect_evidence(
    gov: Any,
    catalog: Catalog,
    *,
    artifact_roots: Mapping[str, str] | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
    models: Collection[str] | None = None,
) -> GovernanceEvidence:
    """Verified facts, envelopes, keys, checkpoint and inclusion proofs from an open store; the
    decisions' verdicts for ``models`` (names; all when empty)."""
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
    ev.journal_coverage = journal_coverage(gov, catalog)
    ev.envelopes = {r.id: r.envelope for r in records}
    ev.public_keys = {kid: public_pem(key).decode("ascii") for kid, key in sorted(trust.public_keys.items())}
    ev.signers = {kid: ident for kid in ev.public_keys if (ident := trust.identity(kid))}
    ev.verdicts = decision_verdicts(facts, catalog, trust, ev.envelopes, models=models)
    audit_status = facts.audit
    if audit_status is not None:
        ev.transcript.append(f"Entries checked: {audit_status.size}")
        ev.transcript.append(f"Root hash: {audit_status.root_hash}")
        ev.transcript.append("Latest checkpoint when the log was verified: " + (
            "none recorded" if audit_status.checkpoint_size is None else f"size {audit_status.checkpoint_size}"))
        ev.transcript.extend(f"BREAK: {p}" for p in audit_status.problems)
        ev.transcript.append("Result: " + ("consistent" if audit_status.ok else "INCONSISTENT"))
    check_cancelled(is_cancelled)
    progress(2, 4, "Checkpoint and inclusion proofs")
    from mlops_desktop.governance.models import SqlTrustStatement

    with gov.read_session() as session:  # trust statements too: the bundle carries the chain of authority
        trust_seqs = set(session.execute(sa.select(SqlTrustStatement.log_seq)).scalars().all())
    seqs = sorted({r.log_seq for r in records} | trust_seqs)
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
        ev.trust_evidence = bundle_trust_evidence(gov, ev.checkpoint_size, pem)
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


def bundle_trust_evidence(gov: Any, size: int, log_pem: str | None) -> dict[str, Any]:
    """Trust statements before ``size``, public keys, identities, stored policies and the log key id."""
    import sqlalchemy as sa

    from mlops_desktop.crypto.ecdsa import key_id
    from mlops_desktop.governance import audit
    from mlops_desktop.governance.keys import load_public_key_pem
    from mlops_desktop.governance.models import SqlPolicy

    with gov.read_session() as session:
        out = audit.trust_evidence(session, size)
        out["policies"] = {p.digest: {"id": p.policy_id, "text": p.text}
                           for p in session.execute(sa.select(SqlPolicy)).scalars().all()}
    try:
        out["log_key_id"] = key_id(load_public_key_pem(log_pem.encode("ascii"))) if log_pem else None
    except (MlopsError, ValueError):
        out["log_key_id"] = None
    return out


def seal_report(gov: Any, log_index: int, since_size: int | None) -> dict[str, Any] | None:
    """The report record for the sidecar bundle: the entry recording the report, its inclusion proof
    at a checkpoint signed after it, and consistency from the report's checkpoint. None when the log
    does not match its checkpoint (the report, which shows that finding, is still written, unsealed:
    ``report verify`` then says its SHA-256 is not proved to be in the log)."""
    import sqlite3

    from sqlalchemy.exc import SQLAlchemyError

    from mlops_desktop.core.errors import CheckFailed
    from mlops_desktop.governance.audit import sealed_record

    try:
        return sealed_record(gov, log_index, since_size)
    except (CheckFailed, StoreError) as exc:
        logger.warning("report record not sealed: %s", exc)
        return None
    except (sqlite3.Error, SQLAlchemyError) as exc:
        raise StoreError(f"Cannot sign a checkpoint over the report's record in {gov.url}: {exc}.",
                         "The report was not written. Check the governance store (mlops-desktop audit verify).") from exc


def _signed_reason(envelope: bytes | None) -> str:
    """The reason a decision's signed predicate records (read from the stored envelope bytes)."""
    import base64
    import json

    if not envelope:
        return ""
    try:
        payload = json.loads(base64.b64decode(json.loads(envelope)["payload"]))
        return str((payload.get("predicate") or {}).get("reason") or "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return ""


def decision_verdicts(facts: GovernanceFacts, catalog: Catalog, trust: Any, envelopes: Mapping[str, bytes],
                      policy: Any = None, models: Collection[str] | None = None) -> Verdicts:
    """The promotion policy (the built-in one unless given) evaluated for every version and target that
    has decisions or a policy rule for a stage or alias it holds, and each decision's verdict: its
    signature, whether it counts toward its target and why, its roles (from the trust list at the
    decision's log position), its signed reason and regimes. With ``models`` (names), only those
    models' versions and decisions are judged (what a report of them shows)."""
    from datetime import UTC, datetime

    from mlops_desktop.governance.policy import DEFAULT_POLICY, Decision, evaluate_policy

    policy = policy or DEFAULT_POLICY
    out = Verdicts()
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    now = datetime.now().astimezone()
    roles: dict[str, tuple[str, ...]] = {}
    wanted = set(models) if models else None
    approvals = [a for a in facts.approvals if wanted is None or a.model_name in wanted]
    for a in approvals:
        signer = trust.signers.get(a.key_id) if hasattr(trust, "signers") else None
        grant = signer.grant_at(a.signed_at or epoch, a.log_index) if signer is not None else None
        roles[a.envelope_id] = tuple(grant.roles) if grant is not None else ((a.role,) if a.role else ())
    # decisions on each version of each model, scoped by the registry the version belongs to (two
    # merged registries may both hold "fraud-detector" v3: a decision counts for its own only)
    decided_on: dict[str, list[Any]] = {}
    judged_by: dict[str, TargetVerdict] = {}  # each decision's target, evaluated on its own registry's version
    for model in catalog.models:
        if wanted is not None and model.name not in wanted:
            continue
        for version in model.visible_versions():
            ref = catalog.registry_of(version)
            decided = facts.approvals_for(model.name, version.version, ref.label if ref else "")
            for a in decided:
                decided_on.setdefault(a.envelope_id, decided)
            held = [version.stage] if version.stage else []
            held += list(version.aliases) + [al for al, v in model.aliases.items() if v == version.version]
            targets = sorted({a.target for a in decided} | {t for t in held if policy.rule_for(t) is not None})
            decisions = [Decision(a.key_id, a.signer_identity, roles[a.envelope_id], a.decision.upper(), a.target,
                                  tuple(a.regimes), a.signed_at or epoch, a.log_index or 0, a.status, a.status_detail)
                         for a in decided]
            for target in targets:
                result = evaluate_policy(policy, catalog, version, target, decisions, now)
                verdict = TargetVerdict(
                    model.name, version.version, target, result.policy_id, result.satisfied,
                    tuple(RuleLine(r.rule, r.satisfied, r.explanation) for r in result.rules),
                    tuple(result.counted_key_ids))
                out.targets[(model.name, version.version, target, version.store)] = verdict
                for a in decided:
                    if a.target == target:
                        judged_by[a.envelope_id] = verdict
    for a in approvals:
        judged = judged_by.get(a.envelope_id)
        same = [x for x in decided_on.get(a.envelope_id, [a])
                if x.key_id == a.key_id and x.target.lower() == a.target.lower()]
        latest = max(same, key=lambda x: x.log_index or 0) is a if same else True
        out.decisions[a.envelope_id] = decision_verdict(a, judged, roles[a.envelope_id],
                                                        _signed_reason(envelopes.get(a.envelope_id)), latest)
    return out


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
        "evidence_sha256": result.evidence_sha256,
        "pages": result.pages,
    }
    try:
        return int(record_export(gov, "report", result.path, result.sha256, details))
    except (sqlite3.Error, SQLAlchemyError) as exc:
        raise StoreError(
            f"Cannot record the report in the audit log of {gov.url}: {exc}.",
            "The report was not written. Check the governance store (mlops-desktop audit verify) and try again.",
        ) from exc
