"""``mlops-desktop observe`` and ``history``: the registry journal.

``observe`` records each registry's state when it differs from its last observation (signed
with ``--key``); ``history`` lists the changes between successive observations with the
tightest window the data allows.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from mlops_desktop.cli.common import (
    add_format_arg,
    add_governance_arg,
    add_store_args,
    catalog_from_args,
    print_json,
    print_table,
)
from mlops_desktop.core.errors import UsageError


def parse_when(text: str, *, end_of_day: bool = True) -> datetime:
    """``YYYY-MM-DD`` (the end of that day, UTC) or an ISO 8601 time (UTC when no offset)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"Bad date {text!r}.", "Use YYYY-MM-DD or an ISO 8601 time such as "
                         "2026-12-02T10:00:00Z.") from exc
    if len(text.strip()) == 10 and end_of_day:
        value = value.replace(hour=23, minute=59, second=59, microsecond=999999)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def register(sub: Any) -> None:
    o: argparse.ArgumentParser = sub.add_parser(
        "observe", help="record the registries' state in the journal",
        description="Record each registry's state (per version: stage, aliases, status, tag digest, run id, dataset "
        "digests) in the governance store when it differs from the last observation; read-only toward the stores.")
    add_store_args(o)
    add_governance_arg(o)
    o.add_argument("--key", metavar="KEYFILE", help="sign the observation with this key (passphrase prompted, or "
                   "MLOPS_DESKTOP_PASSPHRASE)")
    o.add_argument("--format", choices=["json", "table"], default="table", help="output format (default: table)")
    o.set_defaults(func=run_observe, observe_on_open=False)
    h: argparse.ArgumentParser = sub.add_parser(
        "history", help="changes the registry journal observed",
        description="List the changes between successive observations of the registries (alias moves, stage "
        "changes, versions registered or gone...) with the tightest window the data allows.")
    add_store_args(h)
    add_governance_arg(h)
    h.add_argument("--model", metavar="NAME", help="only this registered model")
    h.add_argument("--since", metavar="DATE", help="only changes that may have happened after DATE")
    add_format_arg(h, ("json", "table"), "table")
    h.set_defaults(func=run_history, observe_on_open=False)


def run_observe(args: argparse.Namespace) -> int:
    from mlops_desktop.services.history import observe_stores

    catalog = catalog_from_args(args)
    unlock = None
    if args.key:
        from mlops_desktop.cli.governance import _unlock

        key_path = args.key

        def unlock() -> Any:
            return _unlock(key_path)

    results = observe_stores(args.governance, catalog, unlock, store_urls=args.store)
    if args.format == "json":
        print_json({"observations": [r.to_dict() for r in results]})
        return 0
    rows = [{"store": r.store_label, "recorded": "yes" if r.changed else "no (unchanged)",
             "observation": r.observation.id if r.observation else "", "versions": r.versions,
             "changes": r.changes if r.changed else 0, "log_entry": r.observation.log_seq if r.observation else ""}
            for r in results]
    print_table(rows, ("store", "recorded", "observation", "versions", "changes", "log_entry"))
    return 0


def run_history(args: argparse.Namespace) -> int:
    from mlops_desktop.services.history import load_history

    since = parse_when(args.since, end_of_day=False) if args.since else None
    catalog = catalog_from_args(args)
    if args.model and catalog.model(args.model) is None:
        raise UsageError(f"No model {args.model!r} in the given stores.")
    history = load_history(args.governance, catalog, model=args.model, since=since, store_urls=args.store)
    if args.format == "json":
        print_json(history.to_dict())
        return 0
    for label, obs in history.observations.items():
        if not obs:
            print(f"{label}: never observed", file=sys.stderr)
        else:
            print(f"{label}: {len(obs)} observation(s), {obs[0].observed_at} .. {obs[-1].observed_at}",
                  file=sys.stderr)
    rows = [{"model": e.model, "version": e.version or "", "change": e.kind, "from": e.before or "",
             "to": e.after or "", "after": e.after_time, "at_or_before": e.before_time,
             "window": e.narrowed_by or "observations only"} for e in history.events]
    print_table(rows, ("model", "version", "change", "from", "to", "after", "at_or_before", "window"))
    return 0
