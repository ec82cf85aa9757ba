"""Evidence commands a third party runs: ``audit witness``, ``audit verify-export``, ``report verify``.

- ``report verify FILE.pdf [--bundle FILE.evidence.json] [--trust-anchor ...] [--format json]``
- ``audit verify-export FILE [--trust-anchor ...] [--format json]``
- ``audit witness --key KEYFILE``: check the log's consistency from the last checkpoint this
  witness cosigned and add a C2SP cosignature/v1 line to the newest checkpoint.

Exit codes: 0 passed, 1 check failed, 2 usage/input/environment error.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mlops_desktop.cli.common import (
    add_format_arg,
    add_governance_arg,
    add_trust_anchor_arg,
    print_json,
)


def register_audit_evidence(ausub: Any) -> None:
    """The ``audit`` actions of this module (the ``audit`` parser lives in cli.governance)."""
    w = ausub.add_parser("witness", help="cosign the newest checkpoint after checking consistency (witness key)",
                         description="Check that the log extends the last checkpoint this witness cosigned "
                         "(RFC 9162 consistency proof) and add a C2SP cosignature/v1 line to the newest checkpoint. "
                         "Exit 1 when the log was rewritten or rolled back (nothing is cosigned).")
    add_governance_arg(w)
    w.add_argument("--key", required=True, metavar="KEYFILE", help="the witness key ('keys create --witness NAME')")
    add_format_arg(w, ("text", "json"), "text")
    w.set_defaults(func=run_audit_witness)
    register_verify_export(ausub)


def run_audit_witness(args: argparse.Namespace) -> int:
    from mlops_desktop.governance.keys import KeyFileError, get_passphrase, load_witness_key
    from mlops_desktop.governance.witness import witness_checkpoint
    from mlops_desktop.services.session import gov_session

    path = Path(args.key)
    if not path.is_file():
        raise KeyFileError(f"No such key file: {path}.", "Create one with 'mlops-desktop keys create --witness NAME'.")
    witness = load_witness_key(path, get_passphrase(f"Passphrase for witness key {path}: "))
    with gov_session(args.governance, create=False) as gov:
        result = witness_checkpoint(gov, witness)
    if args.format == "json":
        print_json(result.to_dict())
    else:
        since = (f"consistent with size {result.previous_size} ({result.previous_from})"
                 if result.previous_size is not None else "first cosignature by this witness")
        print(f"Cosigned {result.origin} at size {result.size} as {result.witness} ({since}); "
              f"log key {result.log_key_id}.")
    return 0


def register_verify_export(ausub: Any) -> None:
    v = ausub.add_parser("verify-export", help="check an audit-log export offline against this client's trust anchors",
                         description="Check every entry's exact bytes, the signed checkpoint, that its key was "
                         "certified with role log, and that the trust list starts at a trust anchor of this client. "
                         "Exit 0 verified, 1 a check failed or unanchored, 2 bad input.")
    v.add_argument("file", metavar="FILE", help="the file written by 'audit export --out FILE'")
    add_trust_anchor_arg(v)
    add_format_arg(v, ("text", "json"), "text")
    v.set_defaults(func=run_audit_verify_export)


def run_audit_verify_export(args: argparse.Namespace) -> int:
    from mlops_desktop.governance.anchors import load_anchors
    from mlops_desktop.governance.offline import verify_audit_export

    result = verify_audit_export(Path(args.file), load_anchors(list(args.trust_anchor or [])))
    return _print_checks(args, result.to_dict(), result.checks.lines, result.anchors.describe())


def _print_checks(args: argparse.Namespace, doc: dict[str, Any], lines: list[str], anchors: str) -> int:
    from mlops_desktop.core.errors import CheckFailed

    if args.format == "json":
        print_json(doc)
    else:
        for line in lines:
            print(line)
        print(f"Trust anchors: {anchors}")
        print(f"Verdict: {doc['verdict']}")
    if not doc["ok"]:
        raise CheckFailed(" | ".join([*doc["problems"], *doc["unanchored"]]))
    return 0


def register(sub: Any) -> None:
    """``report verify FILE.pdf`` (cli.main routes ``report verify`` here: the report command's own
    options do not apply to it)."""
    v = sub.add_parser("report-verify", prog="mlops-desktop report verify",
                       description="Verify a report with its evidence bundle: the PAdES signature if present, the "
                       "embedded and sidecar bundle, every envelope, proof, checkpoint and signer, judged from this "
                       "client's trust anchors. Exit 0 verified, 1 a check failed or unanchored, 2 bad input.")
    v.add_argument("file", metavar="FILE.pdf", help="the report")
    v.add_argument("--bundle", metavar="FILE.evidence.json",
                   help="the sidecar bundle (default: FILE.evidence.json next to the PDF when it exists)")
    add_trust_anchor_arg(v)
    add_format_arg(v, ("text", "json"), "text")
    v.set_defaults(func=run_report_verify)


def run_report_verify(args: argparse.Namespace) -> int:
    from mlops_desktop.governance.anchors import load_anchors
    from mlops_desktop.reports.report_verify import verify_report

    result = verify_report(Path(args.file), Path(args.bundle) if args.bundle else None,
                           load_anchors(list(args.trust_anchor or [])))
    return _print_checks(args, result.to_dict(), result.checks.lines, result.anchors.describe())
