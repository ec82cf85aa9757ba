"""Store-wide rules: the governance store's audit log (one function per rule)."""

from __future__ import annotations

from collections.abc import Iterator

from mlops_desktop.core.findings.context import Draft, StoreContext

#: The object of store-wide findings.
AUDIT_LOG = "audit-log"


def f15_audit_log_inconsistent(ctx: StoreContext) -> Iterator[Draft]:
    audit = ctx.governance.audit
    if audit is None or (audit.ok and not audit.problems):
        return
    problems = "; ".join(audit.problems) or "verification failed"
    yield Draft(
        AUDIT_LOG,
        f"Audit log of {audit.size} entries (root {audit.root_hash[:16]}…) did not verify: {problems}.",
        "Stop relying on this governance store until it is explained: compare it with a backup and the last "
        "signed checkpoint, find who changed it, and record the incident.",
    )
