"""What the governance layer tells the findings engine, as plain facts.

The findings engine (core) must not depend on the governance store; governance turns its
verified envelopes and audit-log state into these records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

#: Verification outcomes of one approval envelope.
STATUS_VALID = "valid"
STATUS_INVALID = "invalid"  # bad signature, malformed envelope or statement
STATUS_UNTRUSTED = "untrusted"  # signer not on the trust list (or wrong role)
STATUS_UNANCHORED = "unanchored"  # trusted by the store's trust list, but no chain reaches this client's anchors
STATUS_REVOKED = "revoked"
STATUS_EXPIRED = "expired"  # approval older than the policy allows, or signer outside validity
STATUS_EVIDENCE_CHANGED = "evidence_changed"  # subject digest no longer matches the store
#: made on another registry than the stores given (docs/CRYPTO.md, "Registry identity"): not counted here
STATUS_OTHER_REGISTRY = "other_registry"
#: an old decision whose predicate names no registry: never counted (the safe choice)
STATUS_REGISTRY_NOT_RECORDED = "registry_not_recorded"
#: statuses of decisions that do not belong to the registries in view (absent from findings and reports)
OUT_OF_SCOPE = frozenset({STATUS_OTHER_REGISTRY, STATUS_REGISTRY_NOT_RECORDED})


@dataclass(frozen=True, slots=True)
class ApprovalFact:
    envelope_id: str
    model_name: str
    version: str
    target: str  # stage or alias
    decision: str  # APPROVED | REJECTED
    regimes: tuple[str, ...]
    signer_identity: str | None
    key_id: str
    role: str | None
    signed_at: datetime | None
    log_index: int | None
    status: str
    status_detail: str = ""
    registry: str = ""  # "<kind>:<id>" of the registry the decision was made on; "" not recorded

    @property
    def valid(self) -> bool:
        return self.status == STATUS_VALID


@dataclass(frozen=True, slots=True)
class AuditLogStatus:
    ok: bool
    size: int
    root_hash: str  # lowercase hex
    checkpoint_size: int | None = None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PromotionFact:
    """A change the registry journal observed that put a version into a stage or alias, with
    the policy judged on the decisions recorded by then (``governance.journal``)."""

    registry: str  # "<kind>:<id>"
    model_name: str
    version: str
    target: str
    change: str  # the change in words, with its window
    after_time: str  # the change happened after this time (RFC 3339) ...
    before_time: str  # ... and at or before this one
    #: "explicit" (the policy names the target), "defaults" (its defaults apply), "" (no rule)
    policy_scope: str
    satisfied: bool  # the policy held on the decisions recorded by ``before_time``
    #: the policy held on the decisions recorded by ``after_time`` too (else a decision falls in the window)
    satisfied_before_window: bool
    counted: tuple[str, ...] = ()  # envelope ids of the decisions that counted
    explanation: str = ""  # the policy's unmet rules, in words


@dataclass(slots=True)
class GovernanceFacts:
    approvals: list[ApprovalFact] = field(default_factory=list)
    audit: AuditLogStatus | None = None
    policy_id: str | None = None
    #: promotions the registry journal observed (empty: no journal, or nothing promoted)
    promotions: list[PromotionFact] = field(default_factory=list)

    def approvals_for(self, model_name: str, version: str, registry: str | None = None) -> list[ApprovalFact]:
        """Decisions on one version; with ``registry`` (``<kind>:<id>``, "" for a version whose
        store records none) only those made on that registry, and facts that name no registry
        (made by a caller that did not scope them; the governance layer drops decisions of other
        registries, and those naming none, before they become facts)."""
        return [a for a in self.approvals if a.model_name == model_name and a.version == str(version)
                and (registry is None or not a.registry or (bool(registry) and a.registry == registry))]
