"""Per version and per target: is the promotion approved, as ``verify --model M --version V
--target T`` would judge it. Used by ``inventory --governance URL`` and by the Models page,
the version's Governance tab, the Approve dialog and the Findings page.

The status comes from the same verification ``verify`` runs: the audit log checked and the
trust list judged against this client's anchors (:func:`~mlops_desktop.governance.verify.
verify_log_anchored`), every decision verified against the open stores and their registries
(:func:`~mlops_desktop.governance.approvals.verify_approvals`: a decision made on another
registry, or whose chain reaches no anchor, never counts), and the promotion policy evaluated
rule by rule (:func:`~mlops_desktop.governance.policy.evaluate_policy`). A target is
``approved`` only when ``verify`` would pass for it: the policy is satisfied *and* nothing else
``verify`` reports as a problem (a broken audit log, a trust list that reaches no anchor, an
invalid decision on the version) is there. Nothing here writes to the governance store.

Statuses: ``approved``; ``rejected`` (a trusted signer's latest decision for the target is a
rejection); ``not-required`` (the policy sets no rule for the target and verify would pass);
``unmet`` otherwise, with every reason in ``reasons``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    checkpoint,
    never_cancelled,
    no_progress,
)
from mlops_desktop.services.session import gov_session
from mlops_desktop.services.settings import VerificationSettings

if TYPE_CHECKING:
    from mlops_desktop.core.classification import Classification
    from mlops_desktop.core.entities import Catalog, ModelVersion, RegisteredModel
    from mlops_desktop.core.findings import Finding, FindingSettings
    from mlops_desktop.governance.approvals import ApprovalRecord, VerifiedApproval
    from mlops_desktop.governance.db import Governance
    from mlops_desktop.governance.policy import Policy, PolicyResult
    from mlops_desktop.governance.verify import AnchoredLog

logger = logging.getLogger(__name__)

APPROVED = "approved"
UNMET = "unmet"
REJECTED = "rejected"
NOT_REQUIRED = "not-required"
STATUSES = (APPROVED, UNMET, REJECTED, NOT_REQUIRED)

#: The rule :func:`~mlops_desktop.governance.policy.evaluate_policy` names a standing rejection with.
REJECTION_RULE = "No trusted signer's latest decision is a rejection"
#: Stages a version holds without being promoted there (not a target).
INACTIVE_STAGES = ("None", "Archived")

_SYMBOL = {APPROVED: "✓", UNMET: "⚠", REJECTED: "✗", NOT_REQUIRED: "—"}


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """One target a version holds, judged as ``verify --target`` would judge it."""

    target: str
    status: str  # approved | unmet | rejected | not-required
    counted: int  # approvals the policy counted for the target
    required: int  # approvals the policy requires (0: no rule)
    reasons: tuple[str, ...]  # why not approved (verify's problem lines); for approved, what counted
    result: PolicyResult | None = None  # the policy rule by rule, as verify prints it

    @property
    def symbol(self) -> str:
        return _SYMBOL[self.status]

    @property
    def label(self) -> str:
        """``✓ Production``, ``⚠ champion 1 of 2``, ``✗ Staging rejected``, ``— Staging``."""
        if self.status == UNMET:  # no approval rule: verify fails for another reason (see the reasons)
            return f"{self.symbol} {self.target} {self.counted} of {self.required}" if self.required else \
                f"{self.symbol} {self.target}"
        if self.status == REJECTED:
            return f"{self.symbol} {self.target} rejected"
        return f"{self.symbol} {self.target}"

    @property
    def words(self) -> str:
        if self.result is not None and self.result.satisfied:  # e.g. the witness quorum or the audit log
            unmet = "policy met, but verify fails (see the reasons)"
        elif self.required:
            unmet = f"policy unmet ({self.counted} of {self.required} approvals count)"
        else:
            unmet = "not verified (no approval required, but verify fails)"
        return {APPROVED: "approved", UNMET: unmet,
                REJECTED: "rejected", NOT_REQUIRED: "no approval required"}[self.status]

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "counted": self.counted, "required": self.required,
                "reasons": list(self.reasons)}


@dataclass(slots=True)
class VersionGovernance:
    """A version's targets and its decisions (verified, in audit-log order). A version that holds
    no target and has no decision shares one empty object (whose model and version are "")."""

    model: str
    version: str
    targets: dict[str, TargetStatus] = field(default_factory=dict)  # the targets it holds, in order
    decisions: list[VerifiedApproval] = field(default_factory=list)  # made on the version's registry
    other_registries: list[VerifiedApproval] = field(default_factory=list)  # never counted here

    @property
    def unapproved(self) -> list[TargetStatus]:
        return [t for t in self.targets.values() if t.status in (UNMET, REJECTED)]

    def to_json(self) -> dict[str, Any]:
        return {name: t.to_json() for name, t in self.targets.items()}


#: the governance of every version that holds no target and has no decision: one shared object
#: (tens of thousands of versions at five times the reference store); never changed
_NOTHING_HELD = VersionGovernance("", "")


@dataclass(slots=True)
class GovernanceStatus:
    """Every version's governance, from one reading of the governance store."""

    url: str
    policy_id: str
    #: problems that make every ``verify`` fail (audit log, trust list, anchors), in verify's words
    store_problems: list[str] = field(default_factory=list)
    versions: dict[tuple[str, str], VersionGovernance] = field(default_factory=dict)
    policy: Policy | None = None

    def of(self, model: str, version: str) -> VersionGovernance | None:
        return self.versions.get((model, str(version)))

    def target(self, model: str, version: str, target: str) -> TargetStatus | None:
        vg = self.of(model, version)
        return vg.targets.get(target) if vg is not None else None


def held_targets(model: RegisteredModel | None, version: ModelVersion) -> list[str]:
    """The stage (unless None or Archived) and every alias the version holds, in that order."""
    out: list[str] = []
    if version.stage and version.stage not in INACTIVE_STAGES:
        out.append(version.stage)
    aliases = [*version.aliases, *((a for a, v in model.aliases.items() if v == version.version) if model else ())]
    for alias in aliases:
        if alias not in out:
            out.append(alias)
    return out


def approval_problems(decisions: Iterable[VerifiedApproval]) -> tuple[list[str], list[str]]:
    """``(problems, unanchored)`` of a version's in-scope decisions, in ``verify``'s words: a
    decision that is neither valid, expired nor unanchored fails verify; an unanchored one gives
    its unanchored verdict."""
    from mlops_desktop.core.governance_facts import STATUS_EXPIRED, STATUS_UNANCHORED, STATUS_VALID

    problems: list[str] = []
    unanchored: list[str] = []
    for v in decisions:
        if v.status == STATUS_UNANCHORED:
            if v.detail not in unanchored:
                unanchored.append(v.detail)
        elif v.status not in (STATUS_VALID, STATUS_EXPIRED):
            problems.append(f"Approval {describe(v)}")
    return problems, unanchored


def describe(v: VerifiedApproval) -> str:
    """One decision as ``verify`` names it in its problems."""
    from mlops_desktop.core.governance_facts import STATUS_UNANCHORED

    r = v.record
    who = v.identity or r.key_id[:16]
    verdict = v.detail if v.status == STATUS_UNANCHORED else f"{v.status}: {v.detail}"
    return f"{r.decision.lower()} of {r.model_name} v{r.version} for {r.target} by {who} (log entry {r.log_seq}): {verdict}"


def target_status(
    policy: Policy,
    catalog: Catalog,
    version: ModelVersion,
    target: str,
    decisions: Sequence[VerifiedApproval],
    now: datetime,
    store_problems: Sequence[str] = (),
    classification: Classification | None = None,
) -> TargetStatus:
    """``target`` of ``version`` as ``verify --target`` judges it, given the version's verified
    in-scope ``decisions`` and the store-wide problems (audit log, trust list, anchors)."""
    from mlops_desktop.governance.policy import evaluate_policy

    rule = policy.rule_for(target)
    result = evaluate_policy(policy, catalog, version, target, [v.to_decision() for v in decisions], now,
                             classification)
    problems, unanchored = approval_problems(decisions)
    reasons = [*store_problems, *problems, *unanchored]
    reasons += [f"Policy {policy.policy_id} for {target}: {r.rule}: not met. {r.explanation}" for r in result.unmet()]
    counted = len(result.counted_key_ids) + len(result.counted_claims)
    required = rule.approvers if rule is not None else 0
    rejected = any(r.rule == REJECTION_RULE and not r.satisfied for r in result.rules)
    if rejected:
        status = REJECTED
    elif reasons:
        status = UNMET
    elif rule is None:
        status = NOT_REQUIRED
        reasons = [result.rules[0].explanation] if result.rules else []
    else:
        status = APPROVED
        reasons = [result.rules[0].explanation] if result.rules else []
    # the same few sentences for most versions: one string each (sys.intern), not one per version
    return TargetStatus(target, status, counted, required, tuple(map(sys.intern, reasons)), result)


def compute_status(
    gov: Governance,
    catalog: Catalog,
    *,
    policy: Policy | None = None,
    settings: VerificationSettings | None = None,
    now: datetime | None = None,
    versions: Iterable[tuple[str, str]] | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> GovernanceStatus:
    """Every visible version's held targets (or only ``versions``), from an open store."""
    from mlops_desktop.governance.approvals import list_approvals, verify_approvals
    from mlops_desktop.governance.policy import DEFAULT_POLICY, version_classification
    from mlops_desktop.governance.verify import verify_log_anchored

    settings = settings or VerificationSettings()
    policy = policy or settings.policy()
    now = now or datetime.now().astimezone()
    progress(0, 3, "Checking the audit log and the trust list")
    anchored = verify_log_anchored(gov, anchors=settings.anchors(), ca_roots=settings.ca_roots(),
                                   is_cancelled=is_cancelled)
    store_problems = [f"Audit log: {p}" for p in anchored.log.problems]
    store_problems += [f"Trust list: {p}" for p in anchored.trust_problems]
    store_problems += list(anchored.unanchored)
    check_cancelled(is_cancelled)
    progress(1, 3, "Verifying decisions")
    wanted = set(versions) if versions is not None else None
    every_record = list_approvals(gov)
    witness_problems = _witness_judge(gov, anchored, policy, every_record)
    records = [r for r in every_record if wanted is None or (r.model_name, r.version) in wanted]
    verified = verify_approvals(gov, catalog, records, trust=anchored.trust, artifact_roots=settings.roots(),
                                now=now, policy=policy or DEFAULT_POLICY, is_cancelled=is_cancelled)
    by_version: dict[tuple[str, str], list[VerifiedApproval]] = {}
    for v in sorted(verified, key=lambda v: (v.record.log_seq, v.record.id)):
        by_version.setdefault((v.record.model_name, v.record.version), []).append(v)
    progress(2, 3, "Evaluating the promotion policy")
    out = GovernanceStatus(gov.url, policy.policy_id, store_problems, policy=policy)
    for i, model in enumerate(catalog.models):
        if i % 200 == 0:
            check_cancelled(is_cancelled)
        checkpoint()
        for mv in model.visible_versions():
            key = (model.name, mv.version)
            if wanted is not None and key not in wanted:
                continue
            mine = by_version.get(key, [])
            targets = held_targets(model, mv)
            if not mine and not targets:  # most versions: nothing held, nothing decided
                out.versions[key] = _NOTHING_HELD
                continue
            vg = VersionGovernance(model.name, mv.version, decisions=[v for v in mine if v.in_scope],
                                   other_registries=[v for v in mine if not v.in_scope])
            cls = version_classification(catalog, mv) if targets else None
            problems = [*store_problems, *witness_problems(key)] if targets else store_problems
            for target in targets:
                vg.targets[target] = target_status(policy, catalog, mv, target, vg.decisions, now, problems, cls)
            out.versions[key] = vg
    progress(3, 3, "Governance status ready")
    return out


def _witness_judge(gov: Governance, anchored: AnchoredLog, policy: Policy,
                   records: Sequence[ApprovalRecord]) -> Callable[[tuple[str, str]], list[str]]:
    """The policy's ``[witnesses]`` quorum for one version, as ``verify --model M --version V``
    judges it (:func:`~mlops_desktop.governance.verify.judge_witnesses`): a certified checkpoint
    with the quorum must cover the trust statements and every decision stored for the version.
    Returns the version's problems in verify's words ("Witnesses: …"; [] when met or not required)."""
    from mlops_desktop.governance.verify import judge_witnesses, trust_entries_size

    if policy.required_witnesses <= 0:
        return lambda _key: []
    base = trust_entries_size(anchored.trust)
    needed: dict[tuple[str, str], int] = {}
    for r in records:
        key = (r.model_name, r.version)
        needed[key] = max(needed.get(key, base), r.log_seq + 1)
    judged: dict[int, list[str]] = {}

    def problems_at(size: int) -> list[str]:
        if size not in judged:
            verdict = judge_witnesses(gov, anchored.log, anchored.trust, policy, size)
            judged[size] = [f"Witnesses: {p}" for p in verdict.problems]
        return judged[size]

    # a quorum covering the most entries any version relies on covers every version (one judgement)
    if not problems_at(max(needed.values(), default=base)):
        return lambda _key: []
    return lambda key: problems_at(needed.get(key, base))


def load_status(
    url: str | None,
    catalog: Catalog,
    settings: VerificationSettings | None = None,
    *,
    versions: Iterable[tuple[str, str]] | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> GovernanceStatus:
    """:func:`compute_status` on the governance store at ``url`` (never created here)."""
    with gov_session(url, create=False) as gov:
        return compute_status(gov, catalog, settings=settings, versions=versions, progress=progress,
                              is_cancelled=is_cancelled)


def target_statuses_from(
    policy: Policy,
    catalog: Catalog,
    version: ModelVersion,
    decisions: Sequence[VerifiedApproval],
    now: datetime,
    classification: Classification | None = None,
) -> dict[str, TargetStatus]:
    """The held targets of ``version`` judged from decisions already verified (the Approve
    dialog's context: store-wide problems are not known there, so nothing is called approved
    that the policy alone would not approve, and no more)."""
    model = catalog.model(version.model_name)
    in_scope = [d for d in decisions if d.in_scope]
    return {t: target_status(policy, catalog, version, t, in_scope, now, (), classification)
            for t in held_targets(model, version)}


# ---------------------------------------------------------------------------- findings


@dataclass(slots=True)
class FindingsResult:
    """The findings over a loaded catalog and what they were computed with."""

    findings: list[Finding]
    governance_url: str | None  # None: no governance store (the governance rules see no decisions)
    note: str = ""


def load_findings(
    url: str | None,
    catalog: Catalog,
    settings: VerificationSettings | None = None,
    finding_settings: FindingSettings | None = None,
    *,
    today: date | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> FindingsResult:
    """The findings catalogue over ``catalog`` and the governance store at ``url``, as
    ``mlops-desktop findings`` evaluates it (a missing default store: no decisions)."""
    from dataclasses import replace

    from mlops_desktop.core.findings import FindingSettings, evaluate
    from mlops_desktop.governance.db import resolve_url
    from mlops_desktop.governance.verify import governance_facts

    settings = settings or VerificationSettings()
    fs = finding_settings or FindingSettings()
    if today is not None:
        fs = replace(fs, today=today)
    facts = None
    shown_url: str | None = None
    note = ""
    if not url and (path := resolve_url(None)[1]) is not None and not path.exists():
        note = "No governance store: the governance rules see no decisions."
    else:
        progress(0, 2, "Verifying decisions and the audit log")
        with gov_session(url, create=False) as gov:
            facts = governance_facts(gov, catalog, settings.policy(), artifact_roots=settings.roots(),
                                     is_cancelled=is_cancelled)
            shown_url = gov.url
    check_cancelled(is_cancelled)
    progress(1, 2, "Evaluating the findings")
    findings = evaluate(catalog, facts, fs, is_cancelled=is_cancelled)
    progress(2, 2, f"{len(findings)} findings")
    return FindingsResult(findings, shown_url, note)


def worst_severity(findings: Iterable[Finding]) -> str | None:
    from mlops_desktop.core.findings import SEVERITIES

    ranks = [SEVERITIES.index(f.severity) for f in findings if f.severity in SEVERITIES]
    return SEVERITIES[min(ranks)] if ranks else None


def findings_by_object(findings: Iterable[Finding]) -> Mapping[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.object, []).append(f)
    return out


@dataclass(slots=True)
class Overview:
    """What the Models page shows beside each model: governance per version and the findings."""

    status: GovernanceStatus | None  # None: no governance store to read
    findings: FindingsResult
    note: str = ""


def overview_job(
    url: str | None,
    catalog: Catalog,
    settings: VerificationSettings | None = None,
    finding_settings: FindingSettings | None = None,
    *,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> Overview:
    """Worker function: :func:`load_status` (when a governance store exists) and :func:`load_findings`."""
    from mlops_desktop.governance.db import resolve_url

    status = None
    note = ""
    if not url and (path := resolve_url(None)[1]) is not None and not path.exists():
        note = "No governance store: no decision is known, so no target is approved."
    else:
        status = load_status(url, catalog, settings, is_cancelled=is_cancelled)
    check_cancelled(is_cancelled)
    findings = load_findings(url, catalog, settings, finding_settings, progress=progress, is_cancelled=is_cancelled)
    return Overview(status, findings, note)
