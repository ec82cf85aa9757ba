"""``mlops-desktop snapshot create|verify|info``: signed offline snapshots.

- ``create --store URL... [--governance URL] --out FILE.mlsnap [--key KEYFILE]``
- ``verify FILE``: exit 0 when the snapshot is intact and signed by a trusted key, 1 otherwise
- ``info FILE [--format json|text]``
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.cli.common import (
    add_format_arg,
    add_governance_arg,
    add_store_args,
    add_trust_anchor_arg,
    print_json,
    source_settings,
)
from mlops_desktop.core.errors import CheckFailed

if TYPE_CHECKING:
    from mlops_desktop.governance.keys import SigningKey


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "snapshot", help="create, verify or describe a signed offline snapshot",
        description="Signed offline snapshots (.mlsnap) of the metadata stores and the governance records.",
    )
    ssub = p.add_subparsers(dest="snapshot_command", metavar="ACTION", parser_class=type(p))
    ssub.required = True

    create = ssub.add_parser("create", help="write a snapshot of the stores and the governance records",
                             description="Write one SQLite file with the catalog of the stores, a copy of the "
                             "governance records and a manifest signed with your key.")
    add_store_args(create)
    add_governance_arg(create)
    create.add_argument("--out", required=True, metavar="FILE.mlsnap", help="snapshot file to write")
    create.add_argument("--key", metavar="KEYFILE", help="sign the manifest with this key (passphrase from a "
                        "prompt or MLOPS_DESKTOP_PASSPHRASE); without it the snapshot is unsigned")
    create.set_defaults(func=run_create)

    verify = ssub.add_parser("verify", help="check a snapshot (exit 0 verified, 1 not)",
                             description="Check every table against the manifest and the manifest's signature.")
    verify.add_argument("file", metavar="FILE", help="the .mlsnap file")
    add_trust_anchor_arg(verify)
    add_format_arg(verify, ("text", "json"), "text")
    verify.set_defaults(func=run_verify)

    info = ssub.add_parser("info", help="describe a snapshot", description="Sources, time, signer, tables.")
    info.add_argument("file", metavar="FILE", help="the .mlsnap file")
    add_trust_anchor_arg(info)
    add_format_arg(info, ("json", "text"), "text")
    info.set_defaults(func=run_info)


def _unlock(path: str) -> SigningKey:
    from mlops_desktop.governance.keys import get_passphrase, load_private_key

    return load_private_key(Path(path), get_passphrase(f"Passphrase for {path}: "))


def run_create(args: argparse.Namespace) -> int:
    from mlops_desktop.services.snapshots import SnapshotRequest, create_snapshot

    # the service unlocks first thing, so the prompt still comes before anything is read
    unlock = partial(_unlock, args.key) if args.key else None
    request = SnapshotRequest(tuple(args.store), args.out, args.governance, source_settings(args))
    result = create_snapshot(request, unlock)
    if result.not_recorded:
        print(f"mlops-desktop: warning: the snapshot was not recorded in the audit log: {result.not_recorded}",
              file=sys.stderr)
    signed = f"signed by key {result.key_id[:16]}" if result.key_id else "unsigned"
    print(f"Wrote {result.path} ({result.size} bytes, {signed}); SHA-256 {result.sha256}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from mlops_desktop.services.snapshots import verify_snapshot

    status = verify_snapshot(args.file, args.trust_anchor)
    if args.format == "json":
        print_json(status.as_json())
    elif status.ok:
        print(status.text)
    else:
        for problem in status.problems[1:]:
            print(f"  - {problem}")
    if not status.ok:
        raise CheckFailed(f"{args.file}: {status.text if status.state != 'altered' else 'ALTERED: ' + status.problems[0]}"
                          if status.problems else f"{args.file}: {status.text}")
    return 0


def run_info(args: argparse.Namespace) -> int:
    from mlops_desktop.services.snapshots import describe_snapshot

    info = describe_snapshot(args.file, args.trust_anchor)
    if args.format == "json":
        print_json(info)
        return 0
    status = info["status"]
    print(f"Snapshot   {info['path']}")
    print(f"Status     {status['text']}")
    for problem in status["problems"]:
        print(f"           - {problem}")
    print(f"Taken      {info['created_at']} by {info['created_by']} with {info['app']['name']} {info['app']['version']}"
          if info.get("app") else f"Taken      {info['created_at']}")
    signer = info.get("signer") or {}
    if signer:
        print(f"Signer     {signer.get('identity') or '-'} (key {signer.get('key_id')})")
    for s in info["sources"]:
        print(f"Source     {s['kind']} {s['url']} (schema {s['schema'] or '-'})")
    counts = info.get("counts", {})
    print("Contents   " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
    gov = info.get("governance")
    if gov:
        print(f"Governance {gov.get('url')} (log size {gov.get('log_size')}, root {str(gov.get('root_hash'))[:16]})")
    else:
        print("Governance none")
    print(f"Manifest   SHA-256 {info['manifest_sha256']}")
    width = max((len(t) for t in info["tables"]), default=0)
    for name, t in info["tables"].items():
        print(f"  {name.ljust(width)}  {str(t['rows']).rjust(8)} rows  {t['sha256']}")
    return 0
