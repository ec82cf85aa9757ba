"""Approve / reject one model version: what ``mlops-desktop approve|reject`` and the Approve /
Reject dialog both run.

1. :func:`prepare_decision` (worker): the policy in force, the subject digest, the evidence,
   the lineage classification, the trust list and the version's earlier decisions.
2. :func:`preview_statement` and :func:`preview_policy` (instant, as the form changes): the
   in-toto Statement that will be signed and the policy as it would stand with it.
3. :func:`sign_decision` (worker): unlock the key and record the signed decision (envelope
   and audit-log entry in one transaction), with the digest and policy that were shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.errors import MlopsError, UsageError
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)
from mlops_desktop.services.session import UnlockFn, gov_session, log_store_access
from mlops_desktop.services.settings import PolicyInForce, VerificationSettings

if TYPE_CHECKING:
    from cryptography import x509

    from mlops_desktop.core.classification import Classification
    from mlops_desktop.core.entities import Catalog, ModelVersion, RegistryRef
    from mlops_desktop.governance.approvals import ApprovalRecord, SubjectPreview, VerifiedApproval
    from mlops_desktop.governance.db import Governance
    from mlops_desktop.governance.digest import SubjectDigest
    from mlops_desktop.governance.policy import Policy, PolicyResult
    from mlops_desktop.governance.trust import TrustList

logger = logging.getLogger(__name__)

APPROVED = "APPROVED"
REJECTED = "REJECTED"
SIGN_TIME_PLACEHOLDER = "<the time you sign>"
KEY_ID_PLACEHOLDER = "<your key id>"


@dataclass(frozen=True)
class DecisionDraft:
    """What the officer chose: the same fields on the command line and in the dialog."""

    name: str
    version: str
    decision: str  # APPROVED | REJECTED
    target: str
    reason: str
    regimes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DecisionContext:
    """Everything known before the passphrase, gathered by :func:`prepare_decision`."""

    url: str
    read_only_reason: str | None
    store_id: str
    subject: str
    digest: SubjectDigest
    evidence: dict[str, Any]
    classification: Classification
    trust: TrustList
    policy: PolicyInForce
    existing: list[VerifiedApproval] = field(default_factory=list)  # this version's decisions
    next_log_index: int = 0
    registry: RegistryRef | None = None  # the registry the decision is made on (named in the predicate)


def prepare_decision(
    url: str | None,
    catalog: Catalog,
    name: str,
    version: str,
    settings: VerificationSettings,
    *,
    policy: PolicyInForce | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> DecisionContext:
    """Policy (``policy``, else the one ``settings`` names), subject digest, evidence, lineage
    classification, trust list (signer certificates checked against the settings' CA) and the
    version's earlier decisions, verified."""
    from mlops_desktop.governance import audit
    from mlops_desktop.governance.approvals import (
        list_approvals,
        preview_subject,
        registry_of_version,
        verify_approvals,
    )
    from mlops_desktop.governance.policy import version_classification
    from mlops_desktop.governance.trust import load_trust

    in_force = policy if policy is not None else settings.policy_in_force()
    ca_roots = settings.ca_roots()
    progress(0, 3, "Computing the subject digest")
    what = preview_subject(catalog, name, version, settings.roots())
    registry = registry_of_version(catalog, what.version)  # refused up front when the store records none
    check_cancelled(is_cancelled)
    classification = version_classification(catalog, what.version)
    progress(1, 3, "Reading the trust list and earlier decisions")
    with gov_session(url) as gov:
        trust = load_trust(gov, ca_roots=ca_roots)
        records = list_approvals(gov, name, version)
        existing = verify_approvals(gov, catalog, records, trust=trust, artifact_roots=settings.roots(),
                                    policy=in_force.policy, is_cancelled=is_cancelled)
        size, _root = audit.head(gov)
        ctx = DecisionContext(gov.url, gov.read_only_reason, gov.store_id, what.subject, what.digest,
                              what.evidence, classification, trust, in_force, existing, size, registry)
    progress(3, 3, "Ready to sign")
    return ctx


# ---------------------------------------------------------------------------- the signer


@dataclass(frozen=True)
class SignerInfo:
    """What the key file's public half says, and what the trust list says about it."""

    key_id: str | None
    identity: str | None
    status: str  # governance_facts STATUS_* or "unknown"
    detail: str
    roles: tuple[str, ...] = ()


UNKNOWN_SIGNER = SignerInfo(None, None, "unknown", "")


def signer_info(key_path: str, trust: TrustList | None, now: datetime) -> SignerInfo:
    """Read ``KEYFILE.pub`` (no passphrase needed) and look the key up on the trust list."""
    from mlops_desktop.governance.keys import key_id, load_public_key, public_key_identity

    if not key_path:
        return SignerInfo(None, None, "unknown", "no key file chosen")
    path = Path(key_path).expanduser()
    pub = path if path.suffix == ".pub" else path.with_name(path.name + ".pub")
    if not path.exists():
        return SignerInfo(None, None, "unknown", f"no such key file: {path}")
    if not pub.exists():
        return SignerInfo(None, None, "unknown", "no .pub file next to the key; the key id is known after unlocking")
    try:
        kid = key_id(load_public_key(pub))
    except MlopsError as exc:
        return SignerInfo(None, None, "unknown", exc.message)
    identity = public_key_identity(pub)
    if trust is None:
        return SignerInfo(kid, identity, "unknown", "trust list not read yet")
    status, detail = trust.status_at(kid, now)
    signer = trust.signers.get(kid)
    roles = signer.current_roles(now) if signer is not None else ()
    return SignerInfo(kid, trust.identity(kid) or identity, status, detail, tuple(roles))


# ---------------------------------------------------------------------------- previews


def preview_statement(ctx: DecisionContext, draft: DecisionDraft, signer: SignerInfo, policy: Policy) -> dict[str, Any]:
    """The in-toto Statement :func:`sign_decision` will sign, with the two values only known at
    signing (time and log index) marked as such."""
    from mlops_desktop.crypto.dsse import PROMOTION_PREDICATE, STATEMENT_TYPE
    from mlops_desktop.governance.approvals import promotion_predicate

    sd = ctx.digest
    predicate = promotion_predicate(
        decision=draft.decision, name=draft.name, version=str(draft.version), target=draft.target,
        regimes=draft.regimes, reason=draft.reason, identity=signer.identity,
        key_id=signer.key_id or KEY_ID_PLACEHOLDER, signed_at=SIGN_TIME_PLACEHOLDER, policy=policy, digest=sd,
        evidence=ctx.evidence, log_index=f"<next audit-log entry, now {ctx.next_log_index}>", store_id=ctx.store_id,
        registry=ctx.registry,
    )
    return {"_type": STATEMENT_TYPE, "subject": [{"name": ctx.subject, "digest": {"sha256": sd.digest}}],
            "predicateType": PROMOTION_PREDICATE, "predicate": predicate}


@dataclass(frozen=True)
class PolicyPreview:
    """The policy for the draft's target as it would stand, and what that assumes (``note``)."""

    result: PolicyResult
    note: str


def preview_policy(ctx: DecisionContext, catalog: Catalog, mv: ModelVersion, draft: DecisionDraft,
                   signer: SignerInfo, now: datetime, policy: Policy) -> PolicyPreview:
    """The policy for ``draft.target`` as it would stand once this decision is recorded (the
    signer's decision counts only when the key is trusted now)."""
    from mlops_desktop.governance.policy import Decision, evaluate_policy

    decisions = [v.to_decision() for v in ctx.existing]
    if signer.key_id and signer.status == "valid":
        decisions.append(Decision(signer.key_id, signer.identity, signer.roles, draft.decision, draft.target,
                                  tuple(sorted(set(draft.regimes))), now, ctx.next_log_index, "valid"))
        note = f"with your {'approval' if draft.decision == APPROVED else 'rejection'}"
    elif signer.key_id:
        note = "as it stands: your key would not count"
    else:
        note = "as it stands (choose your key to include your decision)"
    result = evaluate_policy(policy, catalog, mv, draft.target, decisions, now, ctx.classification)
    return PolicyPreview(result, note)


def default_target(version: ModelVersion, catalog: Catalog | None) -> str:
    """Production for stage-based registries, champion where the model uses aliases."""
    model = catalog.model(version.model_name) if catalog is not None else None
    uses_aliases = bool(version.aliases) or bool(model.aliases if model is not None else None)
    return "champion" if uses_aliases else "Production"


def target_choices(version: ModelVersion, catalog: Catalog | None) -> list[str]:
    """The usual stages and aliases, then the model's and version's own aliases."""
    model = catalog.model(version.model_name) if catalog is not None else None
    out = ["Production", "Staging", "champion", "challenger"]
    for alias in [*((model.aliases if model is not None else None) or {}), *version.aliases]:
        if alias not in out:
            out.append(alias)
    return out


# ---------------------------------------------------------------------------- signing


@dataclass(frozen=True)
class DecisionRequest:
    """Sign ``draft`` into the governance store at ``governance_url``.

    ``policy`` and ``digest`` are those the officer was shown (the dialog); when None the
    policy comes from ``settings`` (a bad file is an error) and the digest is computed here.
    ``log_access`` also records that the catalog's stores were opened (the CLI's habit)."""

    governance_url: str | None
    catalog: Catalog
    draft: DecisionDraft
    settings: VerificationSettings = field(default_factory=VerificationSettings)
    policy: Policy | None = None
    digest: SubjectDigest | None = None
    log_access: bool = False


def sign_decision(
    request: DecisionRequest,
    unlock: UnlockFn,
    *,
    create: bool = True,
    announce: Callable[[SubjectPreview], None] | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> ApprovalRecord:
    """Check the store is writable, compute the digest if none was shown (``announce`` gets the
    preview before the key is unlocked), unlock the key, and record the signed decision.

    With organisation CA roots in the settings, the key must be trusted under them too."""
    from mlops_desktop.governance.approvals import decide, preview_subject

    draft = request.draft
    policy = request.policy if request.policy is not None else request.settings.policy()
    ca_roots = request.settings.ca_roots()
    with gov_session(request.governance_url, create=create) as gov:
        gov.require_writable()  # before touching the key: there is nothing to sign into
        digest = request.digest
        if digest is None:
            what = preview_subject(request.catalog, draft.name, draft.version, request.settings.roots())
            if announce is not None:
                announce(what)
            digest = what.digest
        progress(0, 2, "Unlocking the key")
        key = unlock()
        check_cancelled(is_cancelled)
        if ca_roots:
            _require_trusted_under_ca(gov, key.key_id, ca_roots)
        progress(1, 2, "Signing and recording")
        record = decide(gov, request.catalog, draft.name, draft.version, draft.target, draft.reason,
                        list(draft.regimes), key, decision=draft.decision, policy=policy,
                        artifact_roots=request.settings.roots(), digest=digest)
        if request.log_access:
            log_store_access(gov, request.catalog)  # the decision entry itself names the model
    progress(2, 2, "Recorded")
    return record


def _require_trusted_under_ca(gov: Governance, kid: str, ca_roots: Sequence[x509.Certificate]) -> None:
    """Refuse a key whose trust rests on a certificate the organisation CA did not issue."""
    from mlops_desktop.governance.trust import load_trust

    status, detail = load_trust(gov, ca_roots=ca_roots).status_at(kid, datetime.now().astimezone())
    if status != "valid":
        raise UsageError(f"Key {kid[:16]} cannot sign decisions: {detail or status}.",
                         "Ask an administrator to add it with a certificate issued by the organisation CA.")

