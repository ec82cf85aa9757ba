"""The governance API the CLI, the GUI helpers and the report layer use.

Everything here is Qt-free and safe to call from a worker thread (one Governance per
thread is not required: the engine is shared, sessions are per call).
"""

from __future__ import annotations

from mlops_desktop.crypto.dsse import PROMOTION_PREDICATE, TRUST_PREDICATE
from mlops_desktop.crypto.ecdsa import key_id
from mlops_desktop.governance.approvals import (
    APPROVED,
    REJECTED,
    ApprovalRecord,
    VerifiedApproval,
    approve,
    decide,
    list_approvals,
    preview,
    reject,
    verify_approval,
    verify_approvals,
)
from mlops_desktop.governance.audit import (
    LogEntry,
    LogVerification,
    access_report,
    export_log,
    inclusion_evidence,
    latest_checkpoint,
    log_action,
    read_entries,
    record_export,
    try_log_action,
    verify_export,
    verify_log,
    write_checkpoint,
)
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.digest import SubjectDigest, subject_digest
from mlops_desktop.governance.keys import (
    KeyInfo,
    SigningKey,
    create_key,
    export_public,
    import_pkcs12,
    list_keys,
    load_private_key,
    load_public_key,
)
from mlops_desktop.governance.policy import (
    DEFAULT_POLICY,
    Policy,
    PolicyResult,
    RuleResult,
    evaluate_policy,
    load_policy,
    version_classification,
)
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import (
    TrustList,
    add_signer,
    init_trust,
    list_signers,
    load_trust,
    revoke_signer,
)
from mlops_desktop.governance.verify import VerifyReport, governance_facts, verify_all

__all__ = [
    "APPROVED", "DEFAULT_POLICY", "PROMOTION_PREDICATE", "REJECTED", "TRUST_PREDICATE",
    "ApprovalRecord", "Governance", "KeyInfo", "LogEntry", "LogVerification", "Policy", "PolicyResult",
    "RuleResult", "SigningKey", "SubjectDigest", "TrustList", "VerifiedApproval", "VerifyReport",
    "access_report", "add_signer", "approve", "create_key", "decide", "evaluate_policy", "export_log",
    "export_public", "governance_facts", "import_pkcs12", "inclusion_evidence", "init_trust", "key_id",
    "latest_checkpoint", "list_approvals", "list_keys", "list_signers", "load_policy", "load_private_key",
    "load_public_key", "load_trust", "log_action", "open_governance", "preview", "read_entries",
    "record_export", "reject", "revoke_signer", "subject_digest", "try_log_action", "verify_all",
    "verify_approval", "verify_approvals", "verify_export", "verify_log", "version_classification",
    "write_checkpoint",
]
