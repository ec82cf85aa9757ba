"""Whole-store verification (the deployment gate) and the facts the findings engine reads."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.errors import UsageError
from mlops_desktop.core.governance_facts import (
    STATUS_EXPIRED,
    STATUS_UNANCHORED,
    STATUS_VALID,
    GovernanceFacts,
)
from mlops_desktop.core.progress import CancelledFn, ProgressFn, never_cancelled, no_progress
from mlops_desktop.governance import audit
from mlops_desktop.governance.anchors import TrustAnchors, load_anchors, unanchored_message
from mlops_desktop.governance.approvals import VerifiedApproval, list_approvals, verify_approvals
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.policy import DEFAULT_POLICY, Policy, PolicyResult, evaluate_policy
from mlops_desktop.governance.trust import TrustList, load_trust
from mlops_desktop.governance.witness import WitnessVerdict, certified_notes, judge_quorum

logger = logging.getLogger(__name__)


VERDICT_VERIFIED = "verified"


def anchor_findings(trust: TrustList) -> tuple[list[str], list[str]]:
    """``(problems, unanchored)``: a trust list whose pins differ from this client's anchors is a
    loud finding; with no anchor at all, each pin is named with the unanchored verdict."""
    anchors = trust.anchors
    problems: list[str] = []
    unanchored: list[str] = []
    for pin in trust.pins:
        if anchors.contains(pin.key_id):
            continue
        if not anchors:
            unanchored.append(unanchored_message(pin.key_id, pin.identity))
            continue
        expected = "; ".join(a.label() for a in _distinct(anchors))
        problems.append(f"The trust list pins administrator key {pin.key_id} claiming {pin.identity or '(no identity)'} "
                        f"(audit-log entry {pin.log_seq}), which is not a trust anchor of this client: its pins differ "
                        f"from the anchors. Expected: {expected}.")
    return problems, unanchored


def _distinct(anchors: TrustAnchors) -> list[Any]:
    seen: dict[str, Any] = {}
    for a in anchors.anchors:
        if a.key_id not in seen or (a.identity and not seen[a.key_id].identity):
            seen[a.key_id] = a
    return [seen[k] for k in sorted(seen)]


def judge_checkpoints(log: audit.LogVerification, trust: TrustList) -> None:
    """A checkpoint counts only if an administrator certified its key with role ``log`` (through a
    chain from this client's anchors); the others are named in the notes and do not count."""
    uncertified: dict[str, list[int]] = {}
    certified = [size for size, kid in log.signed_checkpoints if trust.log_key_counts(kid, size)]
    for size, kid in log.signed_checkpoints:
        if not trust.log_key_counts(kid, size):
            uncertified.setdefault(kid, []).append(size)
    log.certified_checkpoint_size = max(certified, default=None)
    for kid, sizes in sorted(uncertified.items()):
        log.notes.append(f"{len(sizes)} checkpoint(s) (sizes {', '.join(map(str, sizes[:5]))}"
                         f"{', ...' if len(sizes) > 5 else ''}) are signed by key {kid}, which no administrator "
                         "certified with role log through this client's anchors: they do not count. An administrator "
                         "certifies it with 'trust add --signer CHECKPOINT_KEY.pub --identity NAME --role log'.")


def trust_entries_size(trust: TrustList) -> int:
    """1 + the highest log entry of a trust statement the trust list was replayed from (0: none)."""
    seqs = [p.log_seq for p in trust.pins]
    for signer in trust.signers.values():
        seqs += [g.log_seq for g in signer.grants] + [r.log_seq for r in signer.revocations]
    return max(seqs, default=-1) + 1


def judge_witnesses(gov: Governance, log: audit.LogVerification, trust: TrustList, policy: Policy,
                    needed_size: int) -> WitnessVerdict:
    """The policy's ``[witnesses]`` quorum: the largest checkpoint of a certified checkpoint key
    with enough valid cosignatures of the policy's witnesses must cover the first
    ``needed_size`` entries (those the verdict relies on)."""
    notes = certified_notes(gov, trust.log_key_counts, log.signed_checkpoints) if policy.required_witnesses else []
    return judge_quorum(notes, policy.witness_keys, policy.required_witnesses, needed_size,
                        max_age=policy.witness_max_age)


@dataclass(slots=True)
class AnchoredLog:
    """``audit verify``: the log checked, and whether its trust list reaches this client's anchors."""

    log: audit.LogVerification
    trust_problems: list[str]
    unanchored: list[str]
    anchors: TrustAnchors
    trust: TrustList = field(repr=False, default_factory=TrustList)
    witnesses: WitnessVerdict | None = None  # the policy's witness quorum (None: not judged)

    @property
    def witness_problems(self) -> list[str]:
        return [f"Witnesses: {p}" for p in self.witnesses.problems] if self.witnesses else []

    @property
    def ok(self) -> bool:
        return self.log.ok and not self.trust_problems and not self.unanchored and not self.witness_problems

    @property
    def size(self) -> int:
        return self.log.size

    @property
    def root_hash(self) -> str:
        return self.log.root_hash

    @property
    def checkpoint_size(self) -> int | None:
        return self.log.checkpoint_size

    @property
    def remembered_size(self) -> int | None:
        return self.log.remembered_size

    @property
    def verdict(self) -> str:
        if not self.log.ok or self.trust_problems or self.witness_problems:
            return "failed"
        return self.unanchored[0] if self.unanchored else VERDICT_VERIFIED

    @property
    def problems(self) -> list[str]:
        return ([*self.log.problems] + [f"Trust list: {p}" for p in self.trust_problems] + self.witness_problems
                + list(self.unanchored))

    def to_dict(self) -> dict[str, Any]:
        return {**self.log.to_dict(), "ok": self.ok, "verdict": self.verdict, "problems": self.problems,
                "log_ok": self.log.ok, "trust_problems": list(self.trust_problems),
                "unanchored": list(self.unanchored), "trust_anchors": list(self.anchors.key_ids),
                "witnesses": self.witnesses.to_dict() if self.witnesses else None}


def verify_log_anchored(
    gov: Governance,
    *,
    anchors: TrustAnchors | None = None,
    ca_roots: Sequence[x509.Certificate] = (),
    policy: Policy | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> AnchoredLog:
    """The audit log, reconciled with every governance row, its checkpoints judged by certified
    keys, and its trust list judged against this client's anchors. With ``policy``, its witness
    quorum must cover every decision and trust statement in the store (``audit verify``)."""
    anchors = anchors if anchors is not None else load_anchors()
    log = audit.verify_log(gov, progress=progress, is_cancelled=is_cancelled)
    trust = load_trust(gov, ca_roots=ca_roots, anchors=anchors)
    judge_checkpoints(log, trust)
    problems, unanchored = anchor_findings(trust)
    witnesses = None
    if policy is not None:
        needed = max([trust_entries_size(trust), *(r.log_seq + 1 for r in list_approvals(gov))])
        witnesses = judge_witnesses(gov, log, trust, policy, needed)
    return AnchoredLog(log, list(trust.problems) + problems, unanchored, anchors, trust, witnesses)


@dataclass(slots=True)
class VerifyReport:
    ok: bool
    log: audit.LogVerification
    approvals: list[VerifiedApproval]
    policy: PolicyResult | None = None
    trust_problems: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # every reason for failure, in words
    unanchored: list[str] = field(default_factory=list)  # the unanchored verdicts, one per key
    anchors: TrustAnchors = field(default_factory=TrustAnchors)
    #: decisions made on another registry than the stores given (or naming none): not counted
    other_registries: list[VerifiedApproval] = field(default_factory=list)
    witnesses: WitnessVerdict | None = None  # the policy's witness quorum

    @property
    def verdict(self) -> str:
        """``verified`` only when every signature's chain reaches an anchor and nothing failed;
        the unanchored verdict when that is all that is wrong; else ``failed``."""
        if self.ok:
            return VERDICT_VERIFIED
        others = [p for p in self.problems if p not in self.unanchored]
        if self.unanchored and not others:
            return self.unanchored[0]
        return "failed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "verdict": self.verdict,
            "unanchored": list(self.unanchored),
            "trust_anchors": list(self.anchors.key_ids),
            "problems": list(self.problems),
            "audit": self.log.to_dict(),
            "trust_problems": list(self.trust_problems),
            "approvals": [a.to_dict() for a in self.approvals],
            "other_registries": [a.to_dict() for a in self.other_registries],
            "policy": self.policy.to_dict() if self.policy else None,
            "witnesses": self.witnesses.to_dict() if self.witnesses else None,
        }


def _describe(v: VerifiedApproval) -> str:
    r = v.record
    who = v.identity or r.key_id[:16]
    verdict = v.detail if v.status == STATUS_UNANCHORED else f"{v.status}: {v.detail}"
    return f"{r.decision.lower()} of {r.model_name} v{r.version} for {r.target} by {who} (log entry {r.log_seq}): {verdict}"


def verify_all(
    gov: Governance,
    catalog: Catalog | None,
    *,
    model: str | None = None,
    version: str | None = None,
    target: str | None = None,
    policy: Policy | None = None,
    artifact_roots: Mapping[str, str] | None = None,
    ca_roots: Sequence[x509.Certificate] = (),
    anchors: TrustAnchors | None = None,
    now: datetime | None = None,
    record: bool = True,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> VerifyReport:
    """Envelopes, trust, subject digests, the policy for ``target`` and the audit log."""
    if (model is None) != (version is None) or (target is not None and model is None):
        raise UsageError("--model, --version and --target go together (--target needs the other two).")
    policy = policy or DEFAULT_POLICY
    now = now or datetime.now().astimezone()
    anchored_log = verify_log_anchored(gov, anchors=anchors, ca_roots=ca_roots, progress=progress,
                                       is_cancelled=is_cancelled)
    log = anchored_log.log
    trust = anchored_log.trust
    trust_problems = list(anchored_log.trust_problems)
    mv = None
    if model is not None and version is not None:
        if catalog is None:
            raise UsageError("Verifying a model version needs its store.", "Pass --store URL.")
        mv = catalog.find_version(model, str(version))
        if mv is None:
            raise UsageError(f"No version {version} of model {model!r} in the given stores.")
        holders = [v.store for m in catalog.models if m.name == model
                   for v in m.versions if v.version == str(version)]
        if len(set(holders)) > 1:
            # two merged registries each hold this version: decisions count only for their own
            # registry, and a gate must say which version it judged
            raise UsageError(f"Model {model!r} version {version} is in {len(set(holders))} of the given stores "
                             f"({', '.join(sorted(set(holders)))}).",
                             "Verify it against one store: pass only that store's --store.")
    records = list_approvals(gov, model, str(version) if version is not None else None)
    verified = verify_approvals(gov, catalog, records, trust=trust, artifact_roots=artifact_roots, now=now,
                                policy=policy, progress=progress, is_cancelled=is_cancelled)
    other_registries = [v for v in verified if not v.in_scope]  # decisions count only for their registry
    verified = [v for v in verified if v.in_scope]
    problems = [f"Audit log: {p}" for p in log.problems]
    problems += [f"Trust list: {p}" for p in trust_problems]
    problems += [f"Approval {_describe(v)}" for v in verified
                 if v.status not in (STATUS_VALID, STATUS_EXPIRED, STATUS_UNANCHORED)]
    unanchored: list[str] = []
    for message in [*anchored_log.unanchored, *(v.detail for v in verified if v.status == STATUS_UNANCHORED)]:
        if message not in unanchored:
            unanchored.append(message)
    # the witness quorum covers the decisions judged and the trust statements they rest on
    needed = max([trust_entries_size(trust), *(r.log_seq + 1 for r in records)])
    witnesses = judge_witnesses(gov, log, trust, policy, needed)
    problems += [f"Witnesses: {p}" for p in witnesses.problems]
    problems += unanchored
    result = None
    if target is not None and mv is not None and catalog is not None:
        result = evaluate_policy(policy, catalog, mv, target, [v.to_decision() for v in verified], now)
        problems += [f"Policy {policy.policy_id} for {target}: {r.rule}: not met. {r.explanation}"
                     for r in result.unmet()]
    report = VerifyReport(not problems, log, verified, result, trust_problems, problems, unanchored,
                          anchored_log.anchors, other_registries, witnesses)
    if record:
        audit.try_log_action(gov, audit.ACTION_VERIFY, f"models:/{model}/{version}" if model else "governance",
                             {"ok": report.ok, "verdict": report.verdict.split(":")[0], "target": target,
                              "policy": policy.policy_id,
                              "approvals": len(verified), "problems": len(problems)})
    return report


def governance_facts(
    gov: Governance,
    catalog: Catalog | None,
    policy: Policy | None = None,
    *,
    artifact_roots: Mapping[str, str] | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> GovernanceFacts:
    """Verified approvals and the audit-log status, as plain facts for the findings engine."""
    policy = policy or DEFAULT_POLICY
    log = audit.verify_log(gov, progress=progress, is_cancelled=is_cancelled)
    verified = verify_approvals(gov, catalog, policy=policy, artifact_roots=artifact_roots,
                                progress=progress, is_cancelled=is_cancelled)
    # decisions made on other registries are absent from findings and reports
    promotions = []
    if catalog is not None:
        from mlops_desktop.core.errors import StoreError
        from mlops_desktop.governance.journal import promotion_facts

        try:
            promotions = promotion_facts(gov, catalog, [v for v in verified if v.in_scope], policy)
        except StoreError as exc:  # a damaged journal is the audit log's finding (F15), not a crash
            logger.warning("Registry journal not read: %s", exc)
    return GovernanceFacts(approvals=[v.to_fact() for v in verified if v.in_scope], audit=log.status(),
                           policy_id=policy.policy_id, promotions=promotions)
