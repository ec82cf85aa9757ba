"""``mlops-desktop findings`` and ``mlops-desktop report``.

``findings`` lists the compliance findings (COMPLIANCE.md catalogue) and exits 1 when any
finding at or above ``--fail-on`` exists, so a pipeline can gate on it. ``report`` writes a
GDPR, HIPAA or EU AI Act PDF with its evidence bundle and records the report's SHA-256 in
the governance audit log.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from mlops_desktop.cli.common import (
    add_format_arg,
    add_governance_arg,
    add_store_args,
    parse_artifact_roots,
    print_json,
    print_table,
    source_settings,
)
from mlops_desktop.core.errors import CheckFailed, UsageError
from mlops_desktop.core.findings import SEVERITIES, FindingSettings, at_or_above, count_by_severity

FAIL_ON_CHOICES = (*SEVERITIES, "none")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from None


def _add_settings_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", type=_date, metavar="DATE",
                   help="evaluate dates (retention, approval age) as of this day (default: today, UTC)")
    p.add_argument("--production-alias", action="append", default=None, metavar="ALIAS",
                   help="an alias that means deployed (repeatable; default: champion, production)")
    p.add_argument("--production-stage", action="append", default=None, metavar="STAGE",
                   help="a stage that means deployed (repeatable; default: Production)")


def _settings(args: argparse.Namespace) -> FindingSettings:
    kwargs: dict[str, Any] = {"today": args.as_of}
    if args.production_alias:
        kwargs["production_aliases"] = tuple(args.production_alias)
    if args.production_stage:
        kwargs["production_stages"] = tuple(args.production_stage)
    return FindingSettings(**kwargs)


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "findings",
        help="list compliance findings (exit 1 at or above --fail-on)",
        description="Evaluate the findings catalogue (F1-F18: approvals, separation of duties, lawful basis, "
        "retention, PHI, lineage, audit-log integrity) over the stores and the governance store. "
        "Exit codes: 0 when no finding is at or above --fail-on, 1 when at least one is (the findings are "
        "printed either way), 2 on a usage or store error.",
    )
    add_store_args(p, required=False)
    add_governance_arg(p)
    add_format_arg(p, ("json", "table"), "table")
    p.add_argument("--fail-on", choices=FAIL_ON_CHOICES, default="high", metavar="SEVERITY",
                   help="exit 1 when a finding of this severity or worse exists: "
                   f"{', '.join(FAIL_ON_CHOICES)} (default: high; none never fails)")
    _add_status_arg(p)
    _add_settings_args(p)
    p.set_defaults(func=run_findings)
    actions = p.add_subparsers(dest="findings_action", metavar="close")
    c: argparse.ArgumentParser = actions.add_parser(
        "close", help="close a finding in the findings status file, signed with your key",
        description="Mark the finding KEY (as the findings register prints it) closed in the findings status "
        "file, with a closing note signed (DSSE) by KEYFILE. A closed entry that is unsigned or does not verify "
        "is shown as not closed.")
    c.add_argument("finding_key", metavar="KEY", help="the finding's stable key, e.g. F11-9a64e961fc")
    c.add_argument("--findings-status", required=True, metavar="FILE.toml", help="the findings status file")
    c.add_argument("--key", required=True, metavar="KEYFILE", help="your signing key (passphrase from the prompt "
                   "or MLOPS_DESKTOP_PASSPHRASE)")
    c.add_argument("--note", required=True, help="closing note (part of the signed closure)")
    c.add_argument("--owner", default=None, help="set the remediation owner as well")
    c.set_defaults(func=run_close)

    r: argparse.ArgumentParser = sub.add_parser(
        "report",
        help="write a GDPR, HIPAA, EU AI Act or model-risk PDF report with its evidence bundle; "
        "'report verify FILE.pdf' checks one",
        description="Write an audit report as PDF (cover, contents, executive summary, edition sections, findings "
        "register, inventory, lineage figures, approval certificates, audit-log transcript, sign-off) and its "
        "evidence bundle (FILE.evidence.json, also embedded in the PDF). The report's SHA-256 is recorded in the "
        "governance audit log. The file is written only when everything succeeded.",
        epilog="Action: 'mlops-desktop report verify FILE.pdf [--bundle FILE.evidence.json] [--trust-anchor "
        "PUBFILE|KEYID] [--format json]' checks a report with its evidence bundle from this client's trust anchors "
        "(exit 0 verified, 1 failed or unanchored, 2 bad input); see 'mlops-desktop report verify --help'.",
    )
    add_store_args(r)
    add_governance_arg(r)
    r.add_argument("--edition", required=True, choices=("gdpr", "hipaa", "eu-ai-act", "model-risk"),
                   help="report edition (model-risk: SR 11-7 / PRA SS1/23)")
    r.add_argument("--out", required=True, metavar="FILE.pdf", help="where to write the PDF")
    r.add_argument("--models", nargs="+", default=[], metavar="NAME", help="limit the report to these models")
    r.add_argument("--organisation", default="", help="controller / covered entity named in the report "
                   "(default: the report profile's organisation)")
    r.add_argument("--profile", metavar="FILE.toml", default=None,
                   help="report profile: controller, DPO contact, officer's name, purposes, recipients, processors "
                   "and business associates, measures, Expert Determination, retention schedule (default: "
                   "report-profile.toml in the user config folder, as edited in Settings > Report profile)")
    r.add_argument("--format", choices=("text", "json"), default="text", help="what to print when done")
    r.add_argument("--sign-key", metavar="KEYFILE",
                   help="sign the PDF (PAdES B-B) with this officer key; passphrase from the prompt or "
                   "MLOPS_DESKTOP_PASSPHRASE (needs: pip install 'mlops-desktop[sign]')")
    r.add_argument("--sign-cert", metavar="CERT.pem",
                   help="the X.509 certificate to embed with --sign-key (default: the key's own certificate, "
                   "else a self-signed one)")
    _add_status_arg(r)
    _add_settings_args(r)
    r.set_defaults(func=run_report)


def _add_status_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--findings-status", default=None, metavar="FILE.toml",
                   help="findings status file (owner, due date, status, signed closures per finding key; "
                   "docs/COMPLIANCE.md)")


def _statuses(args: argparse.Namespace) -> dict[str, Any]:
    """The status file's entries as shown (closures judged against the governance trust list when given)."""
    if not args.findings_status:
        return {}
    from mlops_desktop.reports.finding_status import load_status

    trusted = None
    if args.governance:
        from mlops_desktop.governance.api import load_trust
        from mlops_desktop.reports.governance_bridge import open_for_report

        gov = open_for_report(args.governance)
        if gov is not None:
            try:
                trusted = dict(load_trust(gov).public_keys)
            finally:
                gov.close()
    return load_status(args.findings_status, trusted)


def run_close(args: argparse.Namespace) -> int:
    from mlops_desktop.cli.governance import _unlock
    from mlops_desktop.reports.finding_status import close_finding

    entry = close_finding(args.findings_status, args.finding_key, args.note, _unlock(args.key), owner=args.owner)
    print(f"Closed {args.finding_key} in {args.findings_status} ({entry.status}, signed).")
    return 0


def run_findings(args: argparse.Namespace) -> int:
    from mlops_desktop.reports.jobs import run_findings as job

    if not args.store:
        raise UsageError("findings needs at least one --store URL.", "Pass --store URL (repeat to merge stores).")
    settings = _settings(args)
    statuses = _statuses(args)
    findings = job(args.store, governance_url=args.governance, artifact_roots=parse_artifact_roots(args.artifact_root),
                   settings=settings, source_settings=source_settings(args))
    failing = [] if args.fail_on == "none" else at_or_above(findings, args.fail_on)
    if args.format == "json":
        items = [f.as_json() for f in findings]
        if args.findings_status:
            from mlops_desktop.reports.finding_status import status_json

            shown = status_json(statuses)
            for item in items:
                item["status"] = shown.get(item["key"], {"owner": "", "due": "", "status": "open", "note": ""})
        print_json({
            "findings": items,
            "summary": count_by_severity(findings),
            "fail_on": args.fail_on,
            "failed": bool(failing),
        })
    else:
        rows = [{"key": f.key, "severity": f.severity, "object": f.object, "evidence": f.evidence,
                 **({"status": statuses[f.key].status if f.key in statuses else "open"} if statuses else {})}
                for f in findings]
        print_table(rows, ("key", "severity", "object", "evidence", *(("status",) if statuses else ())))
    if failing:
        raise CheckFailed(f"{len(failing)} finding(s) at or above severity {args.fail_on!r}.")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from mlops_desktop.reports.jobs import run_report as job
    from mlops_desktop.reports.model import ReportSettings

    if not args.out.strip():
        raise UsageError("--out is empty.", "Give a file name such as report.pdf.")
    from mlops_desktop.core.profile import load_profile

    settings = ReportSettings(findings=_settings(args), organisation=args.organisation,
                              profile=load_profile(args.profile), finding_status=_statuses(args))
    sign_key, sign_cert = _signing_args(args)
    result = job(args.store, args.edition, args.out, models=args.models, governance_url=args.governance,
                 artifact_roots=parse_artifact_roots(args.artifact_root), settings=settings,
                 sign_key=sign_key, sign_cert=sign_cert, source_settings=source_settings(args))
    if args.format == "json":
        print_json(result.as_json())
        return 0
    recorded = f"recorded in the audit log as entry {result.log_index}" if result.log_index is not None else \
        "not recorded (no writable governance store)"
    signed = f"; signed (PAdES) with key {result.signed_by}" if result.signed_by else ""
    print(f"Wrote {result.path} ({result.pages} pages, {len(result.findings)} findings, sha256 {result.sha256}{signed}); "
          f"evidence bundle {result.bundle_path}; {recorded}.")
    return 0


def _signing_args(args: argparse.Namespace) -> tuple[Any, Any]:
    """(unlocked key, certificate) for --sign-key / --sign-cert, checked before any work is done."""
    if args.sign_cert and not args.sign_key:
        raise UsageError("--sign-cert needs --sign-key.", "Pass the officer key file with --sign-key.")
    if not args.sign_key:
        return None, None
    from pathlib import Path

    from mlops_desktop.governance.keys import get_passphrase, load_certificate, load_private_key
    from mlops_desktop.reports.pades import check_certificate, require_pyhanko

    require_pyhanko()
    key = load_private_key(Path(args.sign_key), get_passphrase(f"Passphrase for {args.sign_key}: "))
    cert = load_certificate(Path(args.sign_cert)) if args.sign_cert else None
    if cert is not None:
        check_certificate(cert, key)
    return key, cert
