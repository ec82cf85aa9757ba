"""The audit log: ``audit verify|show|export`` and the Audit log page.

Verifying checks every entry, the head, the signed checkpoints and the tree head this
client verified last time (remembered per client), so a deleted tail or a restored older
copy of the governance store is named, not hidden.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_desktop.core.errors import CheckFailed, UsageError
from mlops_desktop.core.progress import CancelledFn, ProgressFn, never_cancelled, no_progress
from mlops_desktop.services.session import gov_session
from mlops_desktop.services.settings import VerificationSettings

if TYPE_CHECKING:
    from mlops_desktop.governance.audit import LogEntry, LogVerification
    from mlops_desktop.governance.verify import AnchoredLog

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuditState:
    """The whole log, verified, for the Audit log page."""

    url: str
    read_only_reason: str | None
    entries: list[LogEntry]  # seq order
    verification: LogVerification
    anchored: AnchoredLog | None = None  # the trust list judged against this client's anchors

    @property
    def verdict(self) -> str:
        """The words ``audit verify`` uses: verified, the unanchored verdict, or failed."""
        if self.anchored is not None:
            return self.anchored.verdict
        return "verified" if self.verification.ok else "failed"


def load_audit(url: str | None, settings: VerificationSettings | None = None, *, progress: ProgressFn = no_progress,
               is_cancelled: CancelledFn = never_cancelled) -> AuditState:
    """Verify the log (remembering the verified head for this client), judge its trust list
    against this client's anchors, enforce the settings' policy's witness quorum as
    ``audit verify --policy`` does, and read its entries."""
    from mlops_desktop.governance.audit import read_entries
    from mlops_desktop.governance.verify import verify_log_anchored

    settings = settings or VerificationSettings()
    policy = settings.policy()  # a bad policy file fails before the store is read, as in audit verify
    with gov_session(url) as gov:
        result = verify_log_anchored(gov, anchors=settings.anchors(), policy=policy, progress=progress,
                                     is_cancelled=is_cancelled)
        return AuditState(gov.url, gov.read_only_reason, read_entries(gov), result.log, result)


def verify_audit(url: str | None, settings: VerificationSettings | None = None, *,
                 progress: ProgressFn = no_progress, is_cancelled: CancelledFn = never_cancelled) -> AnchoredLog:
    """``audit verify``: check the log, reconcile it with every governance row, judge its trust
    list against this client's anchors, enforce the policy's witness quorum, and record that it
    was checked (when the store allows)."""
    from mlops_desktop.governance import audit
    from mlops_desktop.governance.verify import verify_log_anchored

    settings = settings or VerificationSettings()
    policy = settings.policy()  # a bad policy file fails before the store is read
    with gov_session(url) as gov:
        result = verify_log_anchored(gov, anchors=settings.anchors(), policy=policy, progress=progress,
                                     is_cancelled=is_cancelled)
        audit.try_log_action(gov, audit.ACTION_VERIFY, "audit-log", {"ok": result.ok, "size": result.log.size,
                                                                     "verdict": result.verdict.split(":")[0]})
    return result


def show_entries(url: str | None, limit: int | None = None) -> list[LogEntry]:
    """The newest ``limit`` entries (all without a limit), in seq order."""
    from mlops_desktop.governance.audit import read_entries

    if limit is not None and limit < 0:
        raise UsageError("--limit must be zero or more.")
    with gov_session(url) as gov:
        return read_entries(gov, limit=limit)


@dataclass(frozen=True)
class AuditExport:
    """An exported log: the file, its SHA-256 (recorded in the log), and the tree it covers."""

    path: str
    sha256: str
    size: int
    root: str


def export_audit(url: str | None, out: Path | str, *, create: bool = True, progress: ProgressFn = no_progress,
                 is_cancelled: CancelledFn = never_cancelled) -> AuditExport:
    """Export the log with a freshly signed checkpoint; refused when the log does not verify
    (the export signs a checkpoint and is itself recorded, so the store must be writable)."""
    from mlops_desktop.governance.audit import export_log, verify_log

    path = Path(out).expanduser()
    if not path.parent.is_dir():
        raise UsageError(f"Folder {path.parent} does not exist.")
    with gov_session(url, create=create) as gov:
        gov.require_writable()
        check = verify_log(gov, progress=progress, is_cancelled=is_cancelled)
        if not check.ok:
            raise CheckFailed("Audit log inconsistent; not exporting: " + " | ".join(check.problems))
        result = export_log(gov, path)
    return AuditExport(str(result["path"]), str(result["sha256"]), int(result["size"]), str(result["root"]))
