"""Governance commands: keys, trust, approve, reject, approvals, verify, audit.

- ``keys create --out KEYFILE --name NAME --email EMAIL`` (writes KEYFILE and KEYFILE.pub),
  ``keys list``, ``keys export-public KEYFILE``, ``keys import-pkcs12 P12FILE --out KEYFILE``
- ``trust init --admin PUBFILE...``, ``trust add --key ADMIN_KEYFILE --signer PUBFILE --identity EMAIL
  --role ROLE [--valid-until DATE]``, ``trust revoke --key ADMIN_KEYFILE --signer KEYID``, ``trust list``
- ``approve|reject --store URL... --model NAME --version V --target T --reason TEXT [--regime ...] --key KEYFILE``
- ``approvals list [--model NAME] [--version V] [--format json]``
- ``verify --store URL... [--model NAME --version V --target T] [--policy FILE] [--format json]``
- ``audit verify | show [--limit N] | export --out FILE``

Exit codes: 0 passed, 1 check failed, 2 usage/input/environment error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.cli.common import (
    add_format_arg,
    add_governance_arg,
    add_store_args,
    add_trust_anchor_arg,
    catalog_from_args,
    parse_artifact_roots,
    print_json,
    print_table,
    trust_anchors_from_args,
    unverified_verdict,
)
from mlops_desktop.cli.evidence import register_audit_evidence
from mlops_desktop.core.errors import CheckFailed, UsageError
from mlops_desktop.services.settings import ORG_CA_ENV, VerificationSettings

if TYPE_CHECKING:
    from mlops_desktop.governance.approvals import SubjectPreview
    from mlops_desktop.governance.keys import SigningKey


def register(sub: Any) -> None:
    _register_keys(sub)
    _register_trust(sub)
    for name in ("approve", "reject"):
        p = sub.add_parser(name, help=f"{name} a model version for a stage or alias (signed)",
                           description=f"Sign a decision to {name} a model version for a target stage or alias "
                           "and record it in the audit log.")
        add_store_args(p)
        add_governance_arg(p)
        p.add_argument("--model", required=True, metavar="NAME")
        p.add_argument("--version", required=True, metavar="V")
        p.add_argument("--target", required=True, metavar="STAGE_OR_ALIAS")
        p.add_argument("--reason", required=True, metavar="TEXT")
        p.add_argument("--regime", action="append", default=[], metavar="gdpr,hipaa,eu-ai-act",
                       help="regimes this decision is made under (comma list, repeatable)")
        p.add_argument("--key", required=True, metavar="KEYFILE", help="your private key (encrypted PEM or .p12)")
        p.add_argument("--policy", metavar="FILE", help="promotion policy TOML (default: the built-in policy)")
        add_format_arg(p, ("text", "json"), "text")
        p.set_defaults(func=run_decide, decision="APPROVED" if name == "approve" else "REJECTED",
                       observe_after=True)  # the registry journal: only once the decision is recorded

    p = sub.add_parser("approvals", help="list signed decisions", description="List stored approval envelopes.")
    asub = p.add_subparsers(dest="approvals_command", metavar="ACTION", parser_class=type(p))
    asub.required = True
    lst = asub.add_parser("list", help="list decisions", description="List decisions; json items carry the "
                          "stored envelope verbatim under \"envelope\".")
    add_governance_arg(lst)
    lst.add_argument("--model", metavar="NAME")
    lst.add_argument("--version", metavar="V")
    lst.add_argument("--store", action="append", default=[], metavar="URL",
                     help="list only decisions made on these stores' registries (repeatable)")
    add_format_arg(lst, ("table", "json"), "table")
    lst.set_defaults(func=run_approvals_list)

    p = sub.add_parser("verify", help="verify approvals, policy and the audit log (exit 0 ok, 1 failed)",
                       description="Check every envelope (signature, trusted signer at the time, subject digest), "
                       "the policy for the target, and the audit log against this client's last checkpoint.")
    add_store_args(p, required=False)
    add_governance_arg(p)
    p.add_argument("--model", metavar="NAME")
    p.add_argument("--version", metavar="V")
    p.add_argument("--target", metavar="STAGE_OR_ALIAS")
    p.add_argument("--policy", metavar="FILE", help="promotion policy TOML (default: the built-in policy)")
    p.add_argument("--ca", metavar="FILE", default=os.environ.get(ORG_CA_ENV),
                   help=f"organisation CA certificates (PEM) for signer certificates (or {ORG_CA_ENV})")
    add_trust_anchor_arg(p)
    add_format_arg(p, ("text", "json"), "text")
    p.set_defaults(func=run_verify)

    p = sub.add_parser("audit", help="verify, show or export the audit log", description="The tamper-evident log.")
    ausub = p.add_subparsers(dest="audit_command", metavar="ACTION", parser_class=type(p))
    ausub.required = True
    v = ausub.add_parser("verify", help="check the log (exit 0 ok, 1 inconsistent or unanchored)")
    add_governance_arg(v)
    v.add_argument("--policy", metavar="FILE", help="policy TOML whose [witnesses] quorum must cover every decision "
                   "and trust statement (default: the built-in policy, which requires none)")
    add_trust_anchor_arg(v)
    add_format_arg(v, ("text", "json"), "text")
    v.set_defaults(func=run_audit_verify)
    s = ausub.add_parser("show", help="show the newest entries")
    add_governance_arg(s)
    s.add_argument("--limit", type=int, default=20, metavar="N")
    add_format_arg(s, ("table", "json"), "table")
    s.set_defaults(func=run_audit_show)
    e = ausub.add_parser("export", help="write the log with a signed checkpoint as JSON")
    add_governance_arg(e)
    e.add_argument("--out", required=True, metavar="FILE")
    e.set_defaults(func=run_audit_export)
    register_audit_evidence(ausub)


def _register_keys(sub: Any) -> None:
    p = sub.add_parser("keys", help="create, list and export signing keys", description="ECDSA P-256 signing keys.")
    ksub = p.add_subparsers(dest="keys_command", metavar="ACTION", parser_class=type(p))
    ksub.required = True
    c = ksub.add_parser("create", help="create an encrypted key pair",
                        description="Write KEYFILE (scrypt-wrapped, AES-256-GCM) and KEYFILE.pub. The passphrase "
                        "comes from a prompt or MLOPS_DESKTOP_PASSPHRASE; zxcvbn must judge it hard to guess.")
    c.add_argument("--out", required=True, metavar="KEYFILE")
    c.add_argument("--name", metavar="NAME", help="your name (required for a signing key)")
    c.add_argument("--email", metavar="EMAIL", help="your e-mail (required for a signing key)")
    c.add_argument("--witness", metavar="NAME", help="create an Ed25519 witness key (cosigns checkpoints with "
                   "'audit witness') named NAME, a schema-less URL such as witness.example.org/ci")
    add_format_arg(c, ("text", "json"), "text")
    c.set_defaults(func=run_keys_create)
    ls = ksub.add_parser("list", help="keys this client created or imported")
    add_format_arg(ls, ("table", "json"), "table")
    ls.set_defaults(func=run_keys_list)
    ex = ksub.add_parser("export-public", help="print the public key (PEM) of a key file")
    ex.add_argument("keyfile", metavar="KEYFILE")
    ex.set_defaults(func=run_keys_export)
    im = ksub.add_parser("import-pkcs12", help="import a PKCS#12 (.p12/.pfx) key and certificate",
                         description="Import a PKCS#12 bundle; asks for its passphrase, then the new key file's "
                         "(MLOPS_DESKTOP_P12_PASSPHRASE and MLOPS_DESKTOP_PASSPHRASE for automation).")
    im.add_argument("p12", metavar="P12FILE")
    im.add_argument("--out", required=True, metavar="KEYFILE")
    im.set_defaults(func=run_keys_import)
    up = ksub.add_parser("upgrade", help="rewrite an older key file with scrypt (same key, same passphrase)",
                         description="Rewrite a PKCS#8 key file (PBKDF2, 2,048 rounds) as the scrypt-wrapped "
                         "format, in place and atomically; the old file is kept if anything fails.")
    up.add_argument("keyfile", metavar="KEYFILE")
    add_format_arg(up, ("text", "json"), "text")
    up.set_defaults(func=run_keys_upgrade)


def _register_trust(sub: Any) -> None:
    p = sub.add_parser("trust", help="the trust list: pin admins, add and revoke signers",
                       description="Who may sign decisions, with which roles, and when.")
    tsub = p.add_subparsers(dest="trust_command", metavar="ACTION", parser_class=type(p))
    tsub.required = True
    i = tsub.add_parser("init", help="pin the administrator keys (each pin signed by the pinned key)",
                        description="Pin the administrators: each pin is a statement signed by the pinned key "
                        "itself, so the key file (KEYFILE, next to KEYFILE.pub) is needed and its passphrase asked "
                        "for (or MLOPS_DESKTOP_PASSPHRASE). The pinned keys become trust anchors of this client.")
    add_governance_arg(i)
    i.add_argument("--admin", action="append", required=True, metavar="PUBFILE",
                   help="KEYFILE.pub (its KEYFILE next to it) or KEYFILE; repeat for several administrators")
    i.set_defaults(func=run_trust_init)
    a = tsub.add_parser("add", help="add a signer (signed by an administrator)")
    add_governance_arg(a)
    a.add_argument("--key", required=True, metavar="ADMIN_KEYFILE")
    a.add_argument("--signer", required=True, metavar="PUBFILE")
    a.add_argument("--identity", required=True, metavar="EMAIL")
    a.add_argument("--role", action="append", required=True, metavar="approver|reviewer|admin",
                   help="role (repeat or comma-separate for several)")
    a.add_argument("--valid-from", metavar="DATE")
    a.add_argument("--valid-until", metavar="DATE")
    a.add_argument("--certificate", metavar="CERT", help="the signer's X.509 certificate (checked against --ca)")
    a.add_argument("--ca", metavar="FILE", default=os.environ.get(ORG_CA_ENV),
                   help=f"organisation CA certificates (PEM) (or {ORG_CA_ENV})")
    a.set_defaults(func=run_trust_add)
    r = tsub.add_parser("revoke", help="revoke a signer (signed by an administrator)")
    add_governance_arg(r)
    r.add_argument("--key", required=True, metavar="ADMIN_KEYFILE")
    r.add_argument("--signer", required=True, metavar="KEYID")
    r.add_argument("--reason", metavar="TEXT")
    r.set_defaults(func=run_trust_revoke)
    ls = tsub.add_parser("list", help="show the trust list")
    add_governance_arg(ls)
    add_format_arg(ls, ("table", "json"), "table")
    ls.set_defaults(func=run_trust_list)
    an = tsub.add_parser("anchor", help="the keys this client trusts as roots (held here, not in the store)",
                         description="Trust anchors are held by the verifier: a verdict is 'verified' only when "
                         "the chain of signatures starts at one of them. Compare a key's full fingerprint with "
                         "its holder (in person, by phone) before adding it.")
    ansub = an.add_subparsers(dest="anchor_command", metavar="ACTION", parser_class=type(an))
    ansub.required = True
    aa = ansub.add_parser("add", help="trust a key as a root (PUBFILE or full KEYID)")
    aa.add_argument("ref", metavar="PUBFILE|KEYID")
    aa.add_argument("--note", metavar="TEXT", help="why this key is trusted (e.g. who confirmed the fingerprint)")
    add_format_arg(aa, ("text", "json"), "text")
    aa.set_defaults(func=run_anchor_add)
    al = ansub.add_parser("list", help="every anchor this client holds, with its source")
    add_trust_anchor_arg(al)
    add_format_arg(al, ("table", "json"), "table")
    al.set_defaults(func=run_anchor_list)
    ar = ansub.add_parser("remove", help="stop trusting a key from the anchors file")
    ar.add_argument("key_id", metavar="KEYID")
    ar.set_defaults(func=run_anchor_remove)


# ---------------------------------------------------------------------------- helpers


def _unlock(path: str, what: str = "key") -> SigningKey:
    """Prompt for the passphrase (or MLOPS_DESKTOP_PASSPHRASE) and unlock the key file."""
    from mlops_desktop.governance.keys import get_passphrase, load_private_key

    if not Path(path).exists():
        from mlops_desktop.governance.keys import KeyFileError

        raise KeyFileError(f"No such key file: {path}.", "Create one with 'mlops-desktop keys create'.")
    return load_private_key(path, get_passphrase(f"Passphrase for {what} {path}: "))


def _parse_date(text: str | None, end_of_day: bool) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"Bad date {text!r}.", "Use YYYY-MM-DD or an ISO 8601 time.") from exc
    if len(text) == 10 and end_of_day:
        value = value.replace(hour=23, minute=59, second=59)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def verification_settings(args: argparse.Namespace) -> VerificationSettings:
    """``--ca`` (default MLOPS_DESKTOP_ORG_CA), ``--policy`` and ``--artifact-root`` (and
    MLOPS_DESKTOP_ARTIFACT_ROOTS) as the one settings object the services verify with."""
    return VerificationSettings(ca_file=getattr(args, "ca", None) or "", policy_file=getattr(args, "policy", None) or "",
                                artifact_roots=parse_artifact_roots(getattr(args, "artifact_root", None) or []),
                                trust_anchors=trust_anchors_from_args(args))


def _split_list(values: Sequence[str]) -> list[str]:
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


# ---------------------------------------------------------------------------- keys


def run_keys_create(args: argparse.Namespace) -> int:
    from mlops_desktop.governance.keys import get_passphrase
    from mlops_desktop.services.keys import CreateKeyRequest, create_signing_key

    out = Path(args.out)
    if out.exists():
        raise UsageError(f"{out} already exists.", "Pick another --out path; keys are never overwritten.")
    if args.witness:
        return _create_witness_key(out, args.witness, args.format)
    if not args.name or not args.email:
        raise UsageError("keys create needs --name and --email.", "Or --witness NAME for a witness key.")
    passphrase = get_passphrase(f"New passphrase for {out}: ", confirm=True, check_strength=True)
    info = create_signing_key(CreateKeyRequest(str(out), args.name, args.email, passphrase))
    if args.format == "json":
        print_json({"key_id": info.key_id, "identity": info.identity, "path": info.path,
                    "public_path": info.public_path})
    else:
        print(f"Created {info.path} and {info.public_path}")
        print(f"Key id (fingerprint): {info.key_id}")
    return 0


def _create_witness_key(out: Path, name: str, fmt: str) -> int:
    from mlops_desktop.governance.keys import create_witness_key, get_passphrase

    passphrase = get_passphrase(f"New passphrase for {out}: ", confirm=True)
    vkey = create_witness_key(out, name, passphrase)
    if fmt == "json":
        print_json({"witness": name, "vkey": vkey, "path": str(out.resolve()), "public_path": f"{out.resolve()}.pub"})
    else:
        print(f"Created witness key {out} and {out}.pub")
        print(f"Verifier key (put it in a policy's [witnesses] keys): {vkey}")
    return 0


def run_keys_list(args: argparse.Namespace) -> int:
    from mlops_desktop.governance.keys import list_keys

    keys = list_keys()
    rows = [{"key_id": k.key_id, "identity": k.identity, "path": k.path, "created_at": k.created_at,
             "exists": Path(k.path).exists()} for k in keys]
    if args.format == "json":
        print_json(rows)
    else:
        print_table(rows, ["key_id", "identity", "path", "created_at"])
    return 0


def run_keys_export(args: argparse.Namespace) -> int:
    from mlops_desktop.governance.keys import export_public

    sys.stdout.write(export_public(Path(args.keyfile)).decode("ascii"))
    return 0


def run_keys_import(args: argparse.Namespace) -> int:
    from mlops_desktop.governance.keys import get_passphrase
    from mlops_desktop.services.keys import ImportPkcs12Request, import_signing_key

    p12_pass = os.environ.get("MLOPS_DESKTOP_P12_PASSPHRASE")
    if p12_pass is None:
        import getpass

        p12_pass = getpass.getpass(f"Passphrase of {args.p12}: ")
    new_pass = get_passphrase(f"New passphrase for {args.out}: ", confirm=True, check_strength=True)
    info = import_signing_key(ImportPkcs12Request(args.p12, p12_pass, args.out, new_pass))
    print(f"Imported {args.p12} as {info.path}")
    print(f"Key id (fingerprint): {info.key_id}")
    return 0


def run_keys_upgrade(args: argparse.Namespace) -> int:
    from mlops_desktop.governance.keys import KeyFileError, get_passphrase, upgrade_key_file

    path = Path(args.keyfile)
    if not path.is_file():
        raise KeyFileError(f"No such key file: {path}.", "Pass the KEYFILE written by 'keys create'.")
    result = upgrade_key_file(path, get_passphrase(f"Passphrase for key {path}: "))
    if args.format == "json":
        print_json({"path": result.path, "key_id": result.key_id, "old_format": result.old_format,
                    "new_format": result.new_format, "upgraded": result.upgraded,
                    "passphrase_warning": result.passphrase_warning})
    else:
        print(f"Upgraded {result.path} ({result.old_format} -> scrypt)" if result.upgraded
              else f"{result.path} already uses scrypt; nothing to do")
        print(f"Key id (fingerprint): {result.key_id}")
    if result.passphrase_warning:
        print(f"warning: the passphrase is {result.passphrase_warning}; create a new key with a stronger one "
              "and have it added to the trust list.", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------- trust


def run_trust_init(args: argparse.Namespace) -> int:
    from mlops_desktop.services.trust import pin_admins

    for kid in pin_admins(args.governance, args.admin, lambda f: _unlock(str(f), "administrator key")):
        print(f"Pinned administrator {kid} (self-signed; a trust anchor of this client)")
    return 0


def run_trust_add(args: argparse.Namespace) -> int:
    from mlops_desktop.services.trust import AddSignerRequest, add_signer

    roles = _split_list(args.role)
    request = AddSignerRequest(args.governance, args.signer, args.identity, tuple(roles),
                               valid_from=_parse_date(args.valid_from, False),
                               valid_until=_parse_date(args.valid_until, True),
                               certificate=args.certificate or "", settings=verification_settings(args))
    change = add_signer(request, lambda: _unlock(args.key, "administrator key"))
    print(f"Added {args.identity} ({', '.join(roles)}) key {change.key_id} at log entry {change.log_seq}")
    return 0


def run_trust_revoke(args: argparse.Namespace) -> int:
    from mlops_desktop.services.trust import revoke_signer

    change = revoke_signer(args.governance, args.signer, args.reason, lambda: _unlock(args.key, "administrator key"))
    print(f"Revoked key {change.key_id} at log entry {change.log_seq}")
    return 0


def run_trust_list(args: argparse.Namespace) -> int:
    from mlops_desktop.services.trust import list_signer_rows

    rows = [r.to_dict() for r in list_signer_rows(args.governance)]
    if args.format == "json":
        print_json(rows)
    else:
        for r in rows:
            r["roles"] = ",".join(r["roles"])
        print_table(rows, ["key_id", "identity", "roles", "valid_until", "status", "revoked_at"])
    return 0


def run_anchor_add(args: argparse.Namespace) -> int:
    from mlops_desktop.governance.anchors import add_anchor, anchors_path

    anchor = add_anchor(args.ref, args.note)
    if args.format == "json":
        print_json(anchor.to_dict())
    else:
        print(f"Trust anchor added: {anchor.label()}")
        print(f"Fingerprint: {anchor.key_id}")
        print(f"Kept in {anchors_path()}")
    return 0


def run_anchor_list(args: argparse.Namespace) -> int:
    from mlops_desktop.governance.anchors import load_anchors

    anchors = load_anchors(list(args.trust_anchor or []))
    rows = [a.to_dict() for a in anchors.anchors]
    if args.format == "json":
        print_json(rows)
    else:
        print_table(rows, ["key_id", "identity", "source", "note"])
    return 0


def run_anchor_remove(args: argparse.Namespace) -> int:
    from mlops_desktop.governance.anchors import remove_anchor

    anchor = remove_anchor(args.key_id)
    print(f"Trust anchor removed: {anchor.label()}")
    return 0


# ---------------------------------------------------------------------------- decisions


def run_decide(args: argparse.Namespace) -> int:
    from mlops_desktop.services.decisions import DecisionDraft, DecisionRequest, sign_decision

    settings = verification_settings(args)
    policy = settings.policy()  # a bad policy file fails before anything is read
    draft = DecisionDraft(args.model, args.version, args.decision, args.target, args.reason,
                          tuple(_split_list(args.regime)))
    catalog = catalog_from_args(args)

    def announce(what: SubjectPreview) -> None:
        if args.format == "text":
            print(f"Signing: {args.decision} {what.subject} for {args.target}")
            print(f"  subject digest ({what.digest.method}): {what.digest.digest}")

    request = DecisionRequest(args.governance, catalog, draft, settings, policy, log_access=True)
    record = sign_decision(request, lambda: _unlock(args.key), announce=announce)
    if args.format == "json":
        print_json(record.to_dict())
    else:
        print(f"{record.decision} by key {record.key_id} recorded at audit-log entry {record.log_seq}")
        print(f"Envelope id: {record.id}")
    return 0


def run_approvals_list(args: argparse.Namespace) -> int:
    from mlops_desktop.services.approvals import list_decisions

    records = list_decisions(args.governance, args.model, args.version)
    if args.store:  # decisions count only for their registry: the others are named, not listed
        registries = catalog_from_args(args).registries()
        elsewhere = [r for r in records if r.registry not in registries]
        records = [r for r in records if r.registry in registries]
        for r in elsewhere:
            where = f"made on another registry {r.registry.label}" if r.registry else "registry not recorded"
            print(f"Not listed: {r.decision.lower()} of {r.model_name} v{r.version} (log entry {r.log_seq}): {where}",
                  file=sys.stderr)
    if args.format == "json":
        print_json([r.to_dict() for r in records])
    else:
        rows = [{"model": r.model_name, "version": r.version, "target": r.target, "decision": r.decision,
                 "key_id": r.key_id[:16], "log": r.log_seq, "time": r.created_at,
                 "registry": r.registry.label[:28] if r.registry else "not recorded"} for r in records]
        print_table(rows, ["model", "version", "target", "decision", "key_id", "log", "time", "registry"])
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from mlops_desktop.services.approvals import VerifyRequest, verify_decisions

    settings = verification_settings(args)
    policy = settings.policy()  # bad policy or CA files fail before the stores are read
    settings = settings.with_ca_loaded()
    catalog = catalog_from_args(args) if args.store else None
    report = verify_decisions(VerifyRequest(args.governance, catalog, args.model, args.version, args.target,
                                            settings), policy=policy)
    refused = unverified_verdict()  # a snapshot used with --allow-unverified never yields "verified"
    if args.format == "json":
        print_json({**report.to_dict(), **({"ok": False, "verdict": refused} if refused else {})})
    else:
        log = report.log
        print(f"Audit log: {'consistent' if log.ok else 'INCONSISTENT'}, {log.size} entries, root {log.root_hash}")
        for a in report.approvals:
            r = a.record
            print(f"Approval {r.id[:12]} {r.decision} {r.model_name} v{r.version} -> {r.target} "
                  f"by {a.identity or r.key_id[:16]}: {a.status}{': ' + a.detail if a.detail else ''}")
        for a in report.other_registries:  # decisions count only for their registry
            r = a.record
            print(f"Not counted: {r.decision.lower()} of {r.model_name} v{r.version} (log entry {r.log_seq}): "
                  f"{a.detail}")
        if report.policy is not None:
            p = report.policy
            print(f"Policy {p.policy_id} for {p.target}: {'satisfied' if p.satisfied else 'NOT satisfied'}")
            for rule in p.rules:
                print(f"  [{'ok' if rule.satisfied else 'FAIL'}] {rule.rule}: {rule.explanation}")
        for problem in report.trust_problems:
            print(f"Trust list: {problem}")
        if report.witnesses is not None and report.witnesses.required:
            print(f"Witnesses: {report.witnesses.describe()}")
        print(f"Trust anchors: {report.anchors.describe()}")
        print(f"Verdict: {refused or report.verdict}")
    if not report.ok:
        raise CheckFailed(f"{len(report.problems)} problem(s): " + " | ".join(report.problems))
    if refused:
        raise CheckFailed(refused)
    if args.format == "text":
        print("Verification passed.")
    return 0


# ---------------------------------------------------------------------------- audit


def run_audit_verify(args: argparse.Namespace) -> int:
    from mlops_desktop.services.audit import verify_audit

    anchored = verify_audit(args.governance, verification_settings(args))
    result = anchored.log
    refused = unverified_verdict()  # a snapshot used with --allow-unverified never yields "verified"
    if args.format == "json":
        print_json({**anchored.to_dict(), **({"ok": False, "verdict": refused} if refused else {})})
    else:
        cert = result.certified_checkpoint_size
        print(f"Audit log: {result.size} entries, root {result.root_hash}, "
              f"last signed checkpoint at size {result.checkpoint_size if result.checkpoint_size is not None else '(none yet)'}"
              f" (by a certified key: {cert if cert is not None else 'none'}), "
              "this client last verified "
              f"{result.remembered_size if result.remembered_size is not None else 'never'}")
        for note in result.notes:
            print(f"Note: {note}")
        for problem in anchored.trust_problems:
            print(f"Trust list: {problem}")
        if anchored.witnesses is not None and anchored.witnesses.required:
            print(f"Witnesses: {anchored.witnesses.describe()}")
        print(f"Trust anchors: {anchored.anchors.describe()}")
        print(f"Verdict: {refused or anchored.verdict}")
    if not result.ok:
        raise CheckFailed("Audit log inconsistent: " + " | ".join(result.problems + anchored.trust_problems
                                                                  + anchored.witness_problems))
    if not anchored.ok:
        raise CheckFailed(" | ".join(anchored.problems))
    if refused:
        raise CheckFailed(refused)
    if args.format == "text":
        print("Audit log consistent.")
    return 0


def run_audit_show(args: argparse.Namespace) -> int:
    from mlops_desktop.services.audit import show_entries

    entries = show_entries(args.governance, args.limit)
    if args.format == "json":
        print_json([e.to_dict() for e in entries])
    else:
        rows = [{"seq": e.seq, "time": e.time, "user": e.actor.get("os_user"),
                 "key": (e.actor.get("key_id") or "")[:12], "action": e.action, "object": e.object} for e in entries]
        print_table(rows, ["seq", "time", "user", "key", "action", "object"])
    return 0


def run_audit_export(args: argparse.Namespace) -> int:
    from mlops_desktop.services.audit import export_audit

    result = export_audit(args.governance, args.out)
    print(f"Exported {result.size} entries to {result.path} (sha256 {result.sha256})")
    return 0
