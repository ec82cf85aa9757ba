"""Evidence commands a third party runs: ``audit witness``, ``audit verify-export``, ``report verify``.

- ``audit witness --key KEYFILE``: check the log's consistency from the last checkpoint this
  witness cosigned and add a C2SP cosignature/v1 line to the newest checkpoint.

Exit codes: 0 passed, 1 check failed, 2 usage/input/environment error.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mlops_desktop.cli.common import add_format_arg, add_governance_arg, print_json


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
