"""Signed promotion decisions: approve / reject, list, verify.

One envelope per approver, each verifiable alone. The statement's subject is
``models:/<name>/<version>`` with the subject digest; the predicate (type
:data:`~mlops_desktop.crypto.dsse.PROMOTION_PREDICATE`) carries the decision, target,
regimes, reason, approver, signing time, policy id and digest, evidence and the audit-log
index of the decision. Envelope and log entry are written in one transaction.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from mlops_desktop.core.entities import Catalog, ModelVersion, RegistryRef
from mlops_desktop.core.errors import UsageError
from mlops_desktop.core.governance_facts import (
    STATUS_EVIDENCE_CHANGED,
    STATUS_EXPIRED,
    STATUS_INVALID,
    STATUS_OTHER_REGISTRY,
    STATUS_REGISTRY_NOT_RECORDED,
    STATUS_UNANCHORED,
    STATUS_VALID,
    ApprovalFact,
)
from mlops_desktop.core.monitoring import monitoring_evidence
from mlops_desktop.core.progress import CancelledFn, ProgressFn, never_cancelled, no_progress
from mlops_desktop.core.timestamps import require_timestamp as parse_time
from mlops_desktop.crypto.dsse import (
    PROMOTION_PREDICATE,
    EnvelopeError,
    Statement,
    make_statement,
    parse_envelope,
    parse_statement,
    sign_envelope,
    verify_envelope,
)
from mlops_desktop.governance import audit
from mlops_desktop.governance.anchors import unanchored_message
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.digest import METHOD_ARTIFACTS, SubjectDigest, subject_digest
from mlops_desktop.governance.keys import SigningKey
from mlops_desktop.governance.models import SqlApproval, SqlLogEntry, SqlPolicy
from mlops_desktop.governance.policy import DEFAULT_POLICY, REGIMES, Decision, Policy
from mlops_desktop.governance.trust import TrustList, load_trust

logger = logging.getLogger(__name__)

APPROVED = "APPROVED"
REJECTED = "REJECTED"


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    """A stored decision: the envelope bytes verbatim plus the columns used to find it."""

    id: str  # SHA-256 of the envelope bytes
    model_name: str
    version: str
    target: str
    decision: str
    key_id: str
    log_seq: int
    created_at: str
    envelope: bytes

    @property
    def registry(self) -> RegistryRef | None:
        """The registry the envelope's predicate names, read without verifying the signature
        (for listing; verification judges it); None when it names none or cannot be read."""
        try:
            statement = parse_statement(parse_envelope(self.envelope).payload, (PROMOTION_PREDICATE,))
        except EnvelopeError:
            return None
        return predicate_registry(statement.predicate)

    def to_dict(self) -> dict[str, Any]:
        registry = self.registry
        return {"id": self.id, "model": self.model_name, "version": self.version, "target": self.target,
                "decision": self.decision, "key_id": self.key_id, "log_index": self.log_seq,
                "created_at": self.created_at, "registry": registry.to_dict() if registry else None,
                "envelope": self.envelope.decode("utf-8", errors="replace")}


def _find_version(catalog: Catalog, name: str, version: str) -> ModelVersion:
    mv = catalog.find_version(name, str(version))
    if mv is None:
        if catalog.model(name) is None:
            raise UsageError(f"No model {name!r} in the given stores.", "Check the name with 'inventory'.")
        raise UsageError(f"Model {name!r} has no version {version}.", "Check the version with 'inventory'.")
    if mv.deleted:
        raise UsageError(f"Version {version} of {name!r} is deleted in the store.")
    return mv


def _evidence(catalog: Catalog, mv: ModelVersion) -> dict[str, Any]:
    run = catalog.full_run(mv.run_id)  # its metrics are signed: read whole when held lean
    metrics = {k: m.value for k, m in sorted(run.metrics.items())} if run else {}
    metrics = {k: v for k, v in metrics.items() if v == v and v not in (float("inf"), float("-inf"))}
    evidence: dict[str, Any] = {
        "runId": mv.run_id,
        "datasets": [{"name": d.name, "digest": d.digest, "source": d.source, "context": d.context}
                     for d in mv.datasets],
        "metrics": metrics,
        "author": mv.author,
    }
    monitoring = monitoring_evidence(catalog, mv)  # the results current when signed (docs/MONITORING.md)
    if monitoring:
        evidence["monitoring"] = monitoring
    return evidence


def promotion_predicate(
    *,
    decision: str,
    name: str,
    version: str,
    target: str,
    regimes: Sequence[str],
    reason: str,
    identity: str | None,
    key_id: str,
    signed_at: str,
    policy: Policy,
    digest: SubjectDigest,
    evidence: Mapping[str, Any],
    log_index: int | str,
    store_id: str,
    registry: RegistryRef | None = None,
) -> dict[str, Any]:
    """The promotion-decision predicate, built in one place for signing and for previews.

    A preview passes placeholders for ``signed_at`` and ``log_index`` (known only at signing).
    ``store`` is the governance store; ``registry`` the metadata store the version was read
    from (its kind and registry identity, docs/CRYPTO.md "Registry identity"): the decision
    counts only for that registry.
    """
    return {
        "decision": decision,
        "model": {"name": name, "version": str(version)},
        "target": target,
        "regimes": sorted({r.strip().lower() for r in regimes if r.strip()}),
        "reason": reason,
        "approver": {"identity": identity, "keyId": key_id},
        "signedAt": signed_at,
        "policy": {"id": policy.policy_id, "digest": policy.digest},
        "digest": {"method": digest.method, "recordDigest": digest.record_digest, "location": digest.location,
                   "files": digest.files},
        "evidence": dict(evidence),
        "logIndex": log_index,
        "store": store_id,
        "registry": registry.to_dict() if registry is not None else None,
    }


def registry_of_version(catalog: Catalog, mv: ModelVersion) -> RegistryRef:
    """The registry a decision on ``mv`` is bound to; refused when its store records none."""
    ref = catalog.registry_of(mv)
    if ref is None:
        raise UsageError(
            f"The store {mv.store or '(unknown)'} that holds {mv.model_name} v{mv.version} records no registry "
            "identity (a snapshot taken before registry identities were recorded), so a decision could not name "
            "the registry it is made on.",
            "Decide on the registry itself, or take a new snapshot of it.")
    return ref


def predicate_registry(pred: Mapping[str, Any]) -> RegistryRef | None:
    """The registry a signed predicate names; None for an old decision that names none."""
    reg = pred.get("registry")
    if isinstance(reg, Mapping) and isinstance(reg.get("kind"), str) and isinstance(reg.get("id"), str) \
            and reg["kind"] and reg["id"]:
        return RegistryRef(reg["kind"], reg["id"])
    return None


def decide(
    gov: Governance,
    catalog: Catalog,
    name: str,
    version: str,
    target: str,
    reason: str,
    regimes: Sequence[str],
    key: SigningKey,
    *,
    decision: str = APPROVED,
    policy: Policy = DEFAULT_POLICY,
    artifact_roots: Mapping[str, str] | None = None,
    digest: SubjectDigest | None = None,
) -> ApprovalRecord:
    """Sign and store one decision together with its audit-log entry (one transaction)."""
    gov.require_writable()
    if decision not in (APPROVED, REJECTED):
        raise UsageError(f"Unknown decision {decision!r}.")
    if not target.strip():
        raise UsageError("A target stage or alias is required.", "Pass --target, e.g. Production or champion.")
    if not reason.strip():
        raise UsageError("A reason is required.", "Pass --reason TEXT: it is part of the signed record.")
    regimes = sorted({r.strip().lower() for r in regimes if r.strip()})
    bad = [r for r in regimes if r not in REGIMES]
    if bad:
        raise UsageError(f"Unknown regime {', '.join(bad)}.", f"Use one of: {', '.join(REGIMES)}.")
    mv = _find_version(catalog, name, version)
    registry = registry_of_version(catalog, mv)
    trust = load_trust(gov)
    now = datetime.now().astimezone()
    status, detail = trust.status_at(key.key_id, now)
    if status != STATUS_VALID:
        raise UsageError(f"Key {key.key_id[:16]} cannot sign decisions: {detail or status}.",
                         "Ask an administrator to add it with 'trust add'.")
    identity = trust.identity(key.key_id) or key.identity
    sd = digest or subject_digest(catalog, mv, artifact_roots)
    evidence = _evidence(catalog, mv)
    with gov.write_session() as session:
        head = audit.lock_head(session, gov)
        seq = head.size
        signed_at = audit.next_time(session, head)
        predicate = promotion_predicate(
            decision=decision, name=mv.model_name, version=str(mv.version), target=target, regimes=regimes,
            reason=reason, identity=identity, key_id=key.key_id, signed_at=signed_at, policy=policy, digest=sd,
            evidence=evidence, log_index=seq, store_id=gov.store_id, registry=registry,
        )
        statement = make_statement(mv.uri, sd.digest, PROMOTION_PREDICATE, predicate)
        envelope = sign_envelope(statement, [key])
        env_id = hashlib.sha256(envelope).hexdigest()
        action = audit.ACTION_APPROVE if decision == APPROVED else audit.ACTION_REJECT
        entry = audit.append(session, gov, action, mv.uri, {
            "envelope_sha256": env_id, "decision": decision, "target": target, "regimes": regimes,
            "key_id": key.key_id, "subject_digest": sd.digest, "digest_method": sd.method,
        }, key_id=key.key_id, head=head, time=signed_at)
        if session.get(SqlPolicy, policy.digest) is None:
            session.add(SqlPolicy(digest=policy.digest, policy_id=policy.policy_id, text=policy.text,
                                  created_at=signed_at))
        session.add(SqlApproval(id=env_id, model_name=mv.model_name, version=str(mv.version), target=target,
                                decision=decision, key_id=key.key_id, log_seq=entry.seq, envelope=envelope,
                                created_at=signed_at))
    return ApprovalRecord(env_id, mv.model_name, str(mv.version), target, decision, key.key_id, seq, signed_at,
                          envelope)


def approve(gov: Governance, catalog: Catalog, name: str, version: str, target: str, reason: str,
            regimes: Sequence[str], key: SigningKey, **kwargs: Any) -> ApprovalRecord:
    return decide(gov, catalog, name, version, target, reason, regimes, key, decision=APPROVED, **kwargs)


def reject(gov: Governance, catalog: Catalog, name: str, version: str, target: str, reason: str,
           regimes: Sequence[str], key: SigningKey, **kwargs: Any) -> ApprovalRecord:
    return decide(gov, catalog, name, version, target, reason, regimes, key, decision=REJECTED, **kwargs)


@dataclass(frozen=True, slots=True)
class SubjectPreview:
    """What a decision on one version will sign, known before the passphrase."""

    version: ModelVersion
    subject: str  # models:/<name>/<version>
    digest: SubjectDigest
    evidence: dict[str, Any]


def preview_subject(catalog: Catalog, name: str, version: str,
                    artifact_roots: Mapping[str, str] | None = None) -> SubjectPreview:
    """Subject, subject digest and evidence of a decision (raises for an unknown or deleted version)."""
    mv = _find_version(catalog, name, version)
    return SubjectPreview(mv, mv.uri, subject_digest(catalog, mv, artifact_roots), _evidence(catalog, mv))


def preview(catalog: Catalog, name: str, version: str, artifact_roots: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What will be signed (before the passphrase): subject, digest method and evidence."""
    p = preview_subject(catalog, name, version, artifact_roots)
    return {"subject": p.subject, "digest": p.digest.to_dict(), "evidence": p.evidence}


def list_approvals(gov: Governance, model: str | None = None, version: str | None = None,
                   target: str | None = None) -> list[ApprovalRecord]:
    with gov.read_session() as session:
        stmt = sa.select(SqlApproval)
        if model is not None:
            stmt = stmt.where(SqlApproval.model_name == model)
        if version is not None:
            stmt = stmt.where(SqlApproval.version == str(version))
        if target is not None:
            stmt = stmt.where(SqlApproval.target == target)
        rows = session.scalars(stmt.order_by(SqlApproval.log_seq, SqlApproval.id)).all()
        return [ApprovalRecord(r.id, r.model_name, r.version, r.target, r.decision, r.key_id, r.log_seq,
                               r.created_at, bytes(r.envelope)) for r in rows]


# ---------------------------------------------------------------------------- verification


@dataclass(slots=True)
class VerifiedApproval:
    record: ApprovalRecord
    status: str
    problems: list[str] = field(default_factory=list)
    identity: str | None = None
    roles: tuple[str, ...] = ()
    regimes: tuple[str, ...] = ()
    decided_at: datetime | None = None  # audit-log time
    signed_at: datetime | None = None  # the signer's claim
    digest_method: str | None = None
    decision: str = ""
    target: str = ""
    registry: RegistryRef | None = None  # the registry the signed predicate names

    @property
    def valid(self) -> bool:
        return self.status == STATUS_VALID

    @property
    def in_scope(self) -> bool:
        """Made on one of the registries in view (or not judged against any)."""
        return self.status not in (STATUS_OTHER_REGISTRY, STATUS_REGISTRY_NOT_RECORDED)

    @property
    def detail(self) -> str:
        return "; ".join(self.problems)

    def to_fact(self) -> ApprovalFact:
        r = self.record
        return ApprovalFact(r.id, r.model_name, r.version, self.target or r.target, self.decision or r.decision,
                            self.regimes, self.identity, r.key_id, self.roles[0] if self.roles else None,
                            self.signed_at, r.log_seq, self.status, self.detail,
                            self.registry.label if self.registry else "")

    def to_decision(self) -> Decision:
        return Decision(self.record.key_id, self.identity, self.roles, self.decision or self.record.decision,
                        self.target or self.record.target, self.regimes,
                        self.decided_at or parse_time(self.record.created_at), self.record.log_seq,
                        self.status, self.detail)

    def to_dict(self) -> dict[str, Any]:
        return {**{k: v for k, v in self.record.to_dict().items() if k != "envelope"},
                "status": self.status, "problems": list(self.problems), "identity": self.identity,
                "roles": list(self.roles), "regimes": list(self.regimes), "digest_method": self.digest_method,
                "registry": self.registry.to_dict() if self.registry else None,
                "decided_at": self.decided_at.isoformat() if self.decided_at else None}


def _log_entries(gov: Governance, seqs: Sequence[int]) -> dict[int, dict[str, Any]]:
    import json

    out: dict[int, dict[str, Any]] = {}
    if not seqs:
        return out
    with gov.read_session() as session:
        for chunk_start in range(0, len(seqs), 500):
            chunk = list(seqs[chunk_start:chunk_start + 500])
            for seq, raw in session.execute(
                sa.select(SqlLogEntry.seq, SqlLogEntry.entry).where(SqlLogEntry.seq.in_(chunk))
            ).all():
                try:
                    obj = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(obj, dict):
                    out[seq] = obj
    return out


def _open_envelope(record: ApprovalRecord, trust: TrustList) -> Statement:
    env = parse_envelope(record.envelope)
    if len(env.signatures) != 1:
        raise EnvelopeError("an approval envelope carries exactly one signature; each approver signs their own")
    if env.signatures[0].keyid != record.key_id:
        raise EnvelopeError("the envelope is signed by another key than the row says")
    pub = trust.public_keys.get(record.key_id)
    verified = verify_envelope(record.envelope, {record.key_id: pub} if pub else {})
    return parse_statement(verified.envelope.payload, (PROMOTION_PREDICATE,))


def verify_approval(
    record: ApprovalRecord,
    trust: TrustList,
    log_entry: Mapping[str, Any] | None,
    catalog: Catalog | None,
    *,
    artifact_roots: Mapping[str, str] | None = None,
    now: datetime | None = None,
    expiry_days: int | None = None,
    digest_cache: dict[tuple[str, str, str], SubjectDigest] | None = None,
    registries: Sequence[RegistryRef] | None = None,
) -> VerifiedApproval:
    """Check one stored decision: signature over the stored bytes, statement, log entry, the
    registry it was made on, signer trusted at the log time, subject digest still matching the
    store, and age.

    ``registries`` (default: the catalog's) are the registries in view: a decision made on
    another one is ``other_registry`` ("made on another registry <kind>:<id>"), one whose
    predicate names no registry is ``registry_not_recorded``; neither counts, and neither is
    compared with the stores (their evidence is not these stores'). ``None`` without a
    catalog: no registry is in view and none is judged."""
    if registries is None and catalog is not None:
        registries = catalog.registries()
    out = VerifiedApproval(record, STATUS_INVALID)
    if hashlib.sha256(record.envelope).hexdigest() != record.id:
        out.problems.append("the stored envelope is not the one recorded (row edited by hand)")
        return out
    try:
        st = _open_envelope(record, trust)
    except EnvelopeError as exc:
        out.problems.append(exc.message.rstrip("."))
        return out
    pred = st.predicate
    model = pred.get("model") or {}
    out.decision = str(pred.get("decision", ""))
    out.target = str(pred.get("target", ""))
    out.regimes = tuple(str(r) for r in pred.get("regimes") or ())
    out.digest_method = (pred.get("digest") or {}).get("method")
    out.registry = predicate_registry(pred)
    try:
        out.signed_at = parse_time(str(pred.get("signedAt")))
    except ValueError:
        out.signed_at = None
    mismatch = []
    if st.subject_name != f"models:/{record.model_name}/{record.version}":
        mismatch.append("subject")
    if model.get("name") != record.model_name or str(model.get("version")) != record.version:
        mismatch.append("model")
    if out.target != record.target or out.decision != record.decision:
        mismatch.append("target or decision")
    if pred.get("logIndex") != record.log_seq:
        mismatch.append("log index")
    if (pred.get("approver") or {}).get("keyId") != record.key_id:
        mismatch.append("approver key")
    if mismatch:
        out.problems.append(f"the signed statement does not match the stored row ({', '.join(mismatch)})")
        return out
    if log_entry is None:
        out.problems.append(f"audit-log entry {record.log_seq} of this decision is missing")
        return out
    details = log_entry.get("details") or {}
    if details.get("envelope_sha256") != record.id or log_entry.get("seq") != record.log_seq:
        out.problems.append(f"audit-log entry {record.log_seq} records another envelope")
        return out
    try:
        out.decided_at = parse_time(str(log_entry.get("time")))
    except ValueError:
        out.problems.append(f"audit-log entry {record.log_seq} has no valid time")
        return out
    if registries is not None and (out.registry is None or out.registry not in registries):
        out.identity = trust.identity(record.key_id) or (pred.get("approver") or {}).get("identity")
        if out.registry is None:
            out.status = STATUS_REGISTRY_NOT_RECORDED
            out.problems.append("registry not recorded: decided before decisions named the registry they were made "
                                "on, so it counts for none")
        else:
            out.status = STATUS_OTHER_REGISTRY
            out.problems.append(f"made on another registry {out.registry.label}")
        return out
    out.identity = trust.identity(record.key_id) or (pred.get("approver") or {}).get("identity")
    signer = trust.signers.get(record.key_id)
    grant = signer.grant_at(out.decided_at, record.log_seq) if signer else None
    out.roles = grant.roles if grant else ()
    # judged at the decision's log position: nothing after a revocation counts, whatever its time
    status, detail = trust.status_at(record.key_id, out.decided_at, seq=record.log_seq)
    if status != STATUS_VALID:
        out.status = status
        out.problems.append(detail)
        return out
    if not trust.anchored(record.key_id, out.decided_at, record.log_seq):
        out.status = STATUS_UNANCHORED
        out.problems.append(unanchored_message(record.key_id, out.identity))
        return out
    if catalog is not None:
        mv = (catalog.find_version_in(record.model_name, record.version, out.registry) if out.registry is not None
              else catalog.find_version(record.model_name, record.version))
        if mv is None or mv.deleted:
            out.status = STATUS_EVIDENCE_CHANGED
            out.problems.append("the version is no longer in the given stores")
            return out
        method = out.digest_method
        cache_key = (record.model_name, record.version, f"{method}@{out.registry.label if out.registry else ''}")
        sd = digest_cache.get(cache_key) if digest_cache is not None else None
        if sd is None:
            sd = subject_digest(catalog, mv, artifact_roots, method=method)
            if digest_cache is not None:
                digest_cache[cache_key] = sd
        if method == METHOD_ARTIFACTS and not sd.digest:
            recorded = (pred.get("digest") or {}).get("recordDigest")
            if recorded != sd.record_digest:
                out.status = STATUS_EVIDENCE_CHANGED
                out.problems.append("the version's metadata changed since the decision (artifacts not reachable "
                                    "here: map them with --artifact-root to check their digest)")
                return out
            out.problems.append("artifacts not reachable here; only the version record was rechecked")
        elif sd.digest != st.digest:
            out.status = STATUS_EVIDENCE_CHANGED
            what = "model artifacts" if method == METHOD_ARTIFACTS else "version record"
            out.problems.append(f"the {what} changed since the decision (subject digest no longer matches)")
            return out
    now = now or datetime.now().astimezone()
    if expiry_days and out.decided_at < now - timedelta(days=expiry_days):
        out.status = STATUS_EXPIRED
        out.problems.append(f"decided on {out.decided_at:%Y-%m-%d}, older than {expiry_days} days")
        return out
    out.status = STATUS_VALID
    return out


def verify_approvals(
    gov: Governance,
    catalog: Catalog | None,
    records: Sequence[ApprovalRecord] | None = None,
    *,
    trust: TrustList | None = None,
    artifact_roots: Mapping[str, str] | None = None,
    now: datetime | None = None,
    policy: Policy | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
    registries: Sequence[RegistryRef] | None = None,
) -> list[VerifiedApproval]:
    """Verify many decisions (all of them by default); expiry per the policy's target rule;
    ``registries`` in view as :func:`verify_approval` takes them (default: the catalog's)."""
    from mlops_desktop.core.errors import CancelledError

    records = list_approvals(gov) if records is None else list(records)
    trust = trust or load_trust(gov)
    entries = _log_entries(gov, [r.log_seq for r in records])
    cache: dict[tuple[str, str, str], SubjectDigest] = {}
    out = []
    for i, rec in enumerate(records):
        if i % 500 == 0:
            progress(i, len(records), "Verifying approvals")
            if is_cancelled():
                raise CancelledError()
        rule = policy.rule_for(rec.target) if policy else None
        out.append(verify_approval(rec, trust, entries.get(rec.log_seq), catalog, artifact_roots=artifact_roots,
                                   now=now, expiry_days=rule.expiry_days if rule else None, digest_cache=cache,
                                   registries=registries))
    progress(len(records), len(records), "Approvals verified")
    return out
