"""``mlops-desktop inventory``: every model and version, as JSON, CSV or a table."""

from __future__ import annotations

import argparse
from typing import Any

from mlops_desktop.cli.common import (
    add_format_arg,
    add_store_args,
    catalog_from_args,
    print_csv,
    print_json,
    print_table,
)
from mlops_desktop.core.inventory import ROW_COLUMNS, inventory_json, inventory_rows


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "inventory", help="list registered models and versions", description="List registered models, versions, "
        "stages, aliases, authors and the datasets that trained them."
    )
    add_store_args(p)
    add_format_arg(p, ("json", "csv", "table"), "table")
    p.add_argument("--include-deleted", action="store_true", help="include versions MLflow deleted internally")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    catalog = catalog_from_args(args)
    if args.format == "json":
        print_json(inventory_json(catalog, args.include_deleted))
        return 0
    rows = inventory_rows(catalog, args.include_deleted)
    if args.format == "csv":
        print_csv(rows, ROW_COLUMNS)
    else:
        print_table(rows, ("model", "version", "stage", "aliases", "author", "pii", "phi", "risk_tier", "created_at"))
    return 0
