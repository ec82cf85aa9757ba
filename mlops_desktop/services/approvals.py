"""Listing and verifying signed decisions: ``approvals list``, ``verify`` and the Approvals page.

Every decision is checked the same way on both faces (signature over the stored bytes,
statement against the row, audit-log entry, signer trusted at the log time, with its
certificate checked against the organisation CA of the :class:`VerificationSettings`, and
the subject digest against the open stores). With a policy that sets a ``[witnesses]``
quorum, the Approvals page judges it as ``verify --policy`` does (the same
:func:`~mlops_desktop.governance.verify.judge_witnesses` over the whole store).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlops_desktop.core.progress import CancelledFn, ProgressFn, never_cancelled, no_progress
from mlops_desktop.services.session import gov_session, log_store_access
from mlops_desktop.services.settings import PolicyInForce, VerificationSettings

if TYPE_CHECKING:
    from mlops_desktop.core.entities import Catalog
    from mlops_desktop.governance.approvals import ApprovalRecord, VerifiedApproval
    from mlops_desktop.governance.policy import Policy
    from mlops_desktop.governance.verify import VerifyReport
    from mlops_desktop.governance.witness import WitnessVerdict

logger = logging.getLogger(__name__)


def list_decisions(url: str | None, model: str | None = None, version: str | None = None) -> list[ApprovalRecord]:
    """The stored decisions (envelopes verbatim), in log order; not verified."""
    from mlops_desktop.governance.approvals import list_approvals

    with gov_session(url) as gov:
        return list_approvals(gov, model, version)


@dataclass
class ApprovalsState:
    """Every stored decision, verified, for the Approvals page."""

    url: str
    read_only_reason: str | None
    approvals: list[VerifiedApproval]  # in log order
    policy: PolicyInForce
    unchecked: set[str] = field(default_factory=set)  # envelope ids not rechecked against a store
    trust_problems: list[str] = field(default_factory=list)
    trust_initialised: bool = False
    ca_checked: bool = False  # signer certificates were checked against an organisation CA
    unanchored: list[str] = field(default_factory=list)  # the trust list's pins reach no anchor of this client
    trust_anchors: tuple[str, ...] = ()
    #: the policy's witness quorum over the whole store, as ``verify --policy`` judges it
    #: (None: not judged, because no policy is in force or it requires no witness)
    witnesses: WitnessVerdict | None = None

    @property
    def witness_problems(self) -> list[str]:
        return [f"Witnesses: {p}" for p in self.witnesses.problems] if self.witnesses is not None else []

    @property
    def verdict(self) -> str:
        """The page's verdict, in the words ``verify`` uses: ``verified`` when every decision's
        chain reaches an anchor and nothing is wrong; ``failed`` when a decision or the trust
        list fails; ``not verified: the policy file … cannot be used`` when the settings name a
        policy file that cannot be read; ``not verified: witness quorum not met (missing: …)`` when the policy's
        witnesses have not cosigned a checkpoint covering the store; else the first unanchored
        verdict."""
        from mlops_desktop.core.governance_facts import (
            OUT_OF_SCOPE,
            STATUS_EXPIRED,
            STATUS_UNANCHORED,
            STATUS_VALID,
        )

        bad = [a for a in self.approvals
               if a.status not in (STATUS_VALID, STATUS_EXPIRED, STATUS_UNANCHORED, *OUT_OF_SCOPE)]
        if bad or self.trust_problems:
            return "failed"
        if not self.policy.ok:  # ``verify --policy FILE`` fails on a file it cannot use: so does the page
            return f"not verified: the policy file {self.policy.path} cannot be used ({self.policy.error})"
        if self.witnesses is not None and not self.witnesses.ok:
            return f"not verified: witness quorum not met (missing: {', '.join(missing_witnesses(self.witnesses))})"
        messages = [*self.unanchored, *(a.detail for a in self.approvals if a.status == STATUS_UNANCHORED)]
        return messages[0] if messages else "verified"


_MISSING = re.compile(r"; missing: (.+?) \(\d+ more needed\)")


def missing_witnesses(verdict: WitnessVerdict) -> list[str]:
    """The policy witnesses whose cosignature the quorum lacks: those missing from the newest
    certified checkpoint covering the entries relied on (as the verdict's problem names them);
    when no checkpoint covers them, every policy witness not counted on the best one."""
    for problem in verdict.problems:
        found = _MISSING.search(problem)
        if found:
            return found.group(1).split(", ")
    return [n for n in verdict.witnesses if n not in verdict.cosigned_by] or list(verdict.witnesses)


def load_approvals(
    url: str | None,
    catalog: Catalog | None,
    settings: VerificationSettings,
    *,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> ApprovalsState:
    """Verify every stored decision. Versions of models in the open stores get their subject
    digest rechecked; the others are checked for signature, log entry and trust only.

    Expiry follows the settings' policy file. When that file cannot be used, expiry is not
    checked (no policy is in force) and the state says why. Signer certificates are checked
    against the settings' CA roots, as ``verify --ca`` does. The policy's witness quorum must
    cover every decision and trust statement in the store, as ``verify --policy`` (no model)
    judges it."""
    from mlops_desktop.governance.approvals import list_approvals, verify_approvals
    from mlops_desktop.governance.audit import verify_log
    from mlops_desktop.governance.trust import load_trust
    from mlops_desktop.governance.verify import anchor_findings, judge_witnesses, trust_entries_size

    in_force = settings.policy_in_force()
    ca_roots = settings.ca_roots()
    roots = settings.roots()
    anchors = settings.anchors()
    with gov_session(url) as gov:
        records = list_approvals(gov)
        trust = load_trust(gov, ca_roots=ca_roots, anchors=anchors)
        names = {m.name for m in catalog.models} if catalog is not None and catalog.stores else set()
        in_store = [r for r in records if r.model_name in names]
        other = [r for r in records if r.model_name not in names]
        verified = verify_approvals(gov, catalog, in_store, trust=trust, artifact_roots=roots,
                                    policy=in_force.policy, progress=progress, is_cancelled=is_cancelled)
        verified += verify_approvals(gov, None, other, trust=trust, policy=in_force.policy,
                                     progress=progress, is_cancelled=is_cancelled,
                                     registries=catalog.registries() if catalog is not None and catalog.stores
                                     else None)  # decisions count only for their registry
        differ, unanchored = anchor_findings(trust)
        problems = list(trust.problems) + differ
        witnesses = None
        if in_force.policy is not None and in_force.policy.required_witnesses > 0:
            # the store-wide size verify_all relies on: every decision and the trust statements
            log = verify_log(gov, update_memory=False, is_cancelled=is_cancelled)
            needed = max([trust_entries_size(trust), *(r.log_seq + 1 for r in records)])
            witnesses = judge_witnesses(gov, log, trust, in_force.policy, needed)
        state = ApprovalsState(gov.url, gov.read_only_reason, [], in_force, {r.id for r in other}, problems,
                               trust.initialised, bool(ca_roots), unanchored, anchors.key_ids, witnesses)
    verified.sort(key=lambda v: (v.record.log_seq, v.record.id))
    for v in verified:  # a record that failed early still names its key's holder
        if v.identity is None:
            v.identity = trust.identity(v.record.key_id)
    state.approvals = verified
    return state


@dataclass(frozen=True)
class VerifyRequest:
    """The deployment gate: every envelope, the trust list, the audit log and, with a model,
    version and target, the policy for that target. ``catalog`` None checks no digests."""

    governance_url: str | None
    catalog: Catalog | None = None
    model: str | None = None
    version: str | None = None
    target: str | None = None
    settings: VerificationSettings = field(default_factory=VerificationSettings)
    log_access: bool = True  # record that the catalog's stores (and the model) were looked at


def verify_decisions(
    request: VerifyRequest,
    *,
    policy: Policy | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> VerifyReport:
    """What ``mlops-desktop verify`` reports (and records in the audit log). ``policy``, when
    given, is the settings' policy already read."""
    from mlops_desktop.governance.verify import verify_all

    settings = request.settings
    policy = policy if policy is not None else settings.policy()
    ca_roots = settings.ca_roots()
    with gov_session(request.governance_url) as gov:
        if request.catalog is not None and request.log_access:
            log_store_access(gov, request.catalog, request.model, request.version)
        return verify_all(gov, request.catalog, model=request.model, version=request.version,
                          target=request.target, policy=policy, artifact_roots=settings.roots(), ca_roots=ca_roots,
                          anchors=settings.anchors(), progress=progress, is_cancelled=is_cancelled)
