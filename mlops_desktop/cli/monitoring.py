"""``mlops-desktop monitoring``: each model version's monitoring status, the results linked to it
and the results linked to nothing (docs/MONITORING.md).

Read from every ``--store``: ``monitoring:PATH`` folders (Evidently, Great Expectations, SageMaker
Model Monitor, OpenLineage files), OpenLineage data-quality facets and MLflow runs tagged
``mlops_desktop.monitoring``. Files a monitoring folder could not use are listed with the reason.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from typing import Any

from mlops_desktop.cli.common import (
    add_format_arg,
    add_store_args,
    print_json,
    print_table,
    source_settings,
)
from mlops_desktop.core.entities import iso
from mlops_desktop.core.errors import UsageError
from mlops_desktop.core.monitoring import DEFAULT_MAX_AGE_DAYS, monitoring_overview


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from None


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "monitoring",
        help="monitoring status of each model version (drift, data quality, not monitored)",
        description="Monitoring status of each model version: 'checked' (a result within --max-age-days), "
        "'drift' (its latest drift result is above threshold), 'data-quality' (failed checks on it or its "
        "training data) or 'not-monitored'; drift per feature and data-quality pass rate over time; results "
        "that name nothing in the stores are listed as unlinked, unusable files with the reason. "
        "Pass the registry stores and the monitoring:PATH folders together.",
    )
    add_store_args(p)
    p.add_argument("--model", metavar="NAME", help="only this registered model")
    p.add_argument("--as-of", type=_date, metavar="DATE", help="judge the window as of this day (default: today, UTC)")
    p.add_argument("--max-age-days", type=int, default=DEFAULT_MAX_AGE_DAYS, metavar="N",
                   help=f"a result older than N days does not count as monitoring (default: {DEFAULT_MAX_AGE_DAYS})")
    add_format_arg(p, ("json", "table"), "table")
    p.set_defaults(func=run_monitoring)


def run_monitoring(args: argparse.Namespace) -> int:
    from mlops_desktop.sources.loader import load_stores
    from mlops_desktop.sources.monitoring import MonitoringSource

    if args.max_age_days < 1:
        raise UsageError(f"--max-age-days {args.max_age_days} is not a positive number of days.",
                         "Pass a number of days such as 30.")
    as_of = args.as_of or datetime.now(UTC).date()
    with load_stores(args.store, source_settings(args), all_runs=False) as loaded:
        catalog = loaded.catalog
        rejected = [f.as_json() for s in loaded.sources if isinstance(s, MonitoringSource) for f in s.rejected]
    if args.model and catalog.model(args.model) is None:
        raise UsageError(f"No model named {args.model!r} in the stores.", "Check the name with 'inventory'.")
    overview = monitoring_overview(catalog, as_of=as_of, max_age_days=args.max_age_days,
                                   models=[args.model] if args.model else None)
    unlinked = overview.unlinked
    if args.model:
        unlinked = []
    if args.format == "json":
        body = overview.as_json()
        if args.model:
            keep = {rid for vm in overview.versions for rid in (r.id for r in vm.results)}
            body["results"] = [r for r in body["results"] if r["id"] in keep]
            body["unlinked"] = []
        body["rejected"] = rejected
        print_json(body)
        return 0
    rows = [{"model": vm.model_name, "version": vm.version, "deployed": "yes" if vm.deployed else "no",
             "status": vm.status, "last_checked": iso(vm.last_checked) or "-", "reason": "; ".join(vm.reasons)}
            for vm in overview.versions]
    print_table(rows, ("model", "version", "deployed", "status", "last_checked", "reason"))
    if unlinked:
        print(f"\nUnlinked results ({len(unlinked)}):")
        print_table([{"result": r.id, "tool": r.tool, "at": iso(r.at) or "-", "why": r.link} for r in unlinked],
                    ("result", "tool", "at", "why"))
    if rejected:
        print(f"\nFiles not read ({len(rejected)}):")
        print_table([{"file": f["file"], "reason": f["reason"]} for f in rejected], ("file", "reason"))
    return 0
