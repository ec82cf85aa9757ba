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
from mlops_desktop.core.governance_facts import STATUS_EXPIRED, STATUS_VALID, GovernanceFacts
from mlops_desktop.core.progress import CancelledFn, ProgressFn, never_cancelled, no_progress
from mlops_desktop.governance import audit
from mlops_desktop.governance.approvals import VerifiedApproval, list_approvals, verify_approvals
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.policy import DEFAULT_POLICY, Policy, PolicyResult, evaluate_policy
from mlops_desktop.governance.trust import load_trust, pinned_admins_changed

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class VerifyReport:
    ok: bool
    log: audit.LogVerification
    approvals: list[VerifiedApproval]
    policy: PolicyResult | None = None
    trust_problems: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # every reason for failure, in words

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problems": list(self.problems),
            "audit": self.log.to_dict(),
            "trust_problems": list(self.trust_problems),
            "approvals": [a.to_dict() for a in self.approvals],
            "policy": self.policy.to_dict() if self.policy else None,
        }


def _describe(v: VerifiedApproval) -> str:
    r = v.record
    who = v.identity or r.key_id[:16]
    return (f"{r.decision.lower()} of {r.model_name} v{r.version} for {r.target} by {who} "
            f"(log entry {r.log_seq}): {v.status}: {v.detail}")


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
    log = audit.verify_log(gov, progress=progress, is_cancelled=is_cancelled)
    trust = load_trust(gov, ca_roots=ca_roots)
    trust_problems = list(trust.problems)
    changed = pinned_admins_changed(gov, trust)
    if changed:
        trust_problems.append(changed)
    mv = None
    if model is not None and version is not None:
        if catalog is None:
            raise UsageError("Verifying a model version needs its store.", "Pass --store URL.")
        mv = catalog.find_version(model, str(version))
        if mv is None:
            raise UsageError(f"No version {version} of model {model!r} in the given stores.")
    records = list_approvals(gov, model, str(version) if version is not None else None)
    verified = verify_approvals(gov, catalog, records, trust=trust, artifact_roots=artifact_roots, now=now,
                                policy=policy, progress=progress, is_cancelled=is_cancelled)
    problems = [f"Audit log: {p}" for p in log.problems]
    problems += [f"Trust list: {p}" for p in trust_problems]
    problems += [f"Approval {_describe(v)}" for v in verified if v.status not in (STATUS_VALID, STATUS_EXPIRED)]
    result = None
    if target is not None and mv is not None and catalog is not None:
        result = evaluate_policy(policy, catalog, mv, target, [v.to_decision() for v in verified], now)
        problems += [f"Policy {policy.policy_id} for {target}: {r.rule}: not met. {r.explanation}"
                     for r in result.unmet()]
    report = VerifyReport(not problems, log, verified, result, trust_problems, problems)
    if record:
        audit.try_log_action(gov, audit.ACTION_VERIFY, f"models:/{model}/{version}" if model else "governance",
                             {"ok": report.ok, "target": target, "policy": policy.policy_id,
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
    return GovernanceFacts(approvals=[v.to_fact() for v in verified], audit=log.status(), policy_id=policy.policy_id)
