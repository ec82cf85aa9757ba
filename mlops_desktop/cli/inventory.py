"""``mlops-desktop inventory``: every model and version, as JSON, CSV or a table."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mlops_desktop.cli.common import (
    add_format_arg,
    add_store_args,
    add_trust_anchor_arg,
    catalog_from_args,
    print_csv,
    print_json,
    print_table,
)
from mlops_desktop.core.inventory import ROW_COLUMNS, inventory_json, inventory_rows

if TYPE_CHECKING:
    from mlops_desktop.core.entities import Catalog
    from mlops_desktop.services.governance_status import GovernanceStatus


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "inventory", help="list registered models and versions", description="List registered models, versions, "
        "stages, aliases, authors and the datasets that trained them."
    )
    add_store_args(p)
    add_format_arg(p, ("json", "csv", "table"), "table")
    p.add_argument("--include-deleted", action="store_true", help="include versions MLflow deleted internally")
    p.add_argument("--as-of", metavar="DATE", help="the state the registry journal recorded at DATE (JSON; names the "
                   "observation it rests on)")
    p.add_argument("--governance", metavar="URL", default=None,
                   help="governance store: each version gains its governance status per target it holds, as "
                   "verify --target judges it (approved, unmet, rejected, not-required, with the reasons)")
    p.add_argument("--policy", metavar="FILE", help="promotion policy TOML for --governance (default: built-in)")
    add_trust_anchor_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    catalog = catalog_from_args(args)
    if args.as_of:
        from mlops_desktop.cli.history import parse_when
        from mlops_desktop.services.history import inventory_as_of

        # the catalog's registries were recorded in the journal as they were opened (cli.common)
        print_json(inventory_as_of(args.governance, catalog, parse_when(args.as_of), record=False))
        return 0
    status = _governance_status(args, catalog) if args.governance else None
    if args.format == "json":
        doc = inventory_json(catalog, args.include_deleted)
        if status is not None:
            for model in doc["models"]:
                for version in model["versions"]:
                    vg = status.of(model["name"], version["version"])
                    version["governance"] = vg.to_json() if vg is not None else {}
        print_json(doc)
        return 0
    rows = inventory_rows(catalog, args.include_deleted)
    if status is not None:
        for row in rows:
            vg = status.of(row["model"], row["version"]) if row.get("version") else None
            row["governance"] = " ".join(t.label for t in vg.targets.values()) if vg is not None else ""
    if args.format == "csv":
        print_csv(rows, (*ROW_COLUMNS, *(("governance",) if status is not None else ())))
    else:
        print_table(rows, ("model", "version", "stage", "aliases", "author", "pii", "phi", "risk_tier", "created_at",
                           *(("governance",) if status is not None else ())))
    return 0


def _governance_status(args: argparse.Namespace, catalog: Catalog) -> GovernanceStatus:
    """Every version's governance per target (services.governance_status), as verify judges it."""
    from mlops_desktop.cli.governance import verification_settings
    from mlops_desktop.services.governance_status import load_status

    settings = verification_settings(args)
    settings.policy()  # a bad policy file fails with its message before the store is read
    return load_status(args.governance, catalog, settings.with_ca_loaded())
