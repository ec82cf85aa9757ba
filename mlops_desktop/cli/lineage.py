"""``mlops-desktop lineage``, ``impact`` and ``diff``.

- ``lineage --store URL... [--focus NODE] [--upstream|--downstream] [--depth N] [--format json|dot]``
- ``impact --store URL... --dataset REF [--format json|table]``
- ``diff --store URL... --model NAME --from V1 --to V2 [--format json|table]``
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mlops_desktop.cli.common import (
    add_format_arg,
    add_store_args,
    catalog_from_args,
    print_json,
    print_table,
)
from mlops_desktop.core.diff import diff_versions
from mlops_desktop.core.errors import UsageError
from mlops_desktop.core.lineage import DATASET, LineageGraph, build_graph
from mlops_desktop.services.impact import impact_json


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "lineage", help="print the lineage graph (JSON or Graphviz DOT)",
        description="Print the lineage graph of the stores, or the part around one node.",
    )
    add_store_args(p)
    p.add_argument("--focus", metavar="NODE", help="node id, model version (NAME/VERSION or models:/NAME/VERSION), "
                   "dataset name, location or run id to centre on")
    direction = p.add_mutually_exclusive_group()
    direction.add_argument("--upstream", action="store_true", help="only what the focus derives from")
    direction.add_argument("--downstream", action="store_true", help="only what derives from the focus")
    p.add_argument("--depth", type=int, metavar="N", help="at most N edges from the focus")
    add_format_arg(p, ("json", "dot"), "json")
    p.set_defaults(func=run_lineage)

    p = sub.add_parser(
        "impact", help="models and deployments a dataset reaches",
        description="Every model version and deployment downstream of a dataset, with the path that links them.",
    )
    add_store_args(p)
    p.add_argument("--dataset", required=True, metavar="REF",
                   help="dataset node id, location (s3://..., namespace/name), name or name@digest")
    add_format_arg(p, ("json", "table"), "table")
    p.set_defaults(func=run_impact)

    p = sub.add_parser(
        "diff", help="compare two versions of a model",
        description="Params, latest metrics, dataset inputs (digest changes flagged), classification and "
        "upstream lineage of two versions side by side.",
    )
    add_store_args(p)
    p.add_argument("--model", required=True, metavar="NAME")
    p.add_argument("--from", dest="from_version", required=True, metavar="V1")
    p.add_argument("--to", dest="to_version", required=True, metavar="V2")
    add_format_arg(p, ("json", "table"), "table")
    p.set_defaults(func=run_diff)


def select_nodes(graph: LineageGraph, focus: str | None, upstream: bool, downstream: bool,
                 depth: int | None) -> tuple[set[str] | None, str | None]:
    """The node ids to print (None = all) and the resolved focus."""
    if depth is not None and depth < 0:
        raise UsageError(f"--depth must be 0 or more, not {depth}.")
    if focus is None:
        if upstream or downstream or depth is not None:
            raise UsageError("--upstream, --downstream and --depth need --focus NODE.")
        return None, None
    node = graph.resolve(focus)
    if upstream:
        keep = {node, *graph.upstream(node, depth)}
    elif downstream:
        keep = {node, *graph.downstream(node, depth)}
    else:
        keep = graph.lineage_of(node, depth)
    return keep, node


def run_lineage(args: argparse.Namespace) -> int:
    if args.depth is not None and args.depth < 0:
        raise UsageError(f"--depth must be 0 or more, not {args.depth}.")
    if args.focus is None and (args.upstream or args.downstream or args.depth is not None):
        raise UsageError("--upstream, --downstream and --depth need --focus NODE.")
    graph = build_graph(catalog_from_args(args))
    keep, node = select_nodes(graph, args.focus, args.upstream, args.downstream, args.depth)
    if args.format == "dot":
        sys.stdout.write(graph.to_dot(keep, highlight=node))
    else:
        print_json(graph.to_json(keep))
    return 0


def run_impact(args: argparse.Namespace) -> int:
    graph = build_graph(catalog_from_args(args))
    dataset = graph.resolve(args.dataset, kinds={DATASET})
    doc = impact_json(graph, dataset)
    if args.format == "json":
        print_json(doc)
        return 0
    print(f"Dataset {doc['dataset']['label']} ({dataset})")
    rows: list[dict[str, Any]] = []
    for v in doc["versions"]:
        rows.append({"kind": "version", "name": f"{v['model']} v{v['version']}", "stage": v["stage"] or "",
                     "aliases": ",".join(v["aliases"]), "pii": v["classification"]["pii"],
                     "phi": v["classification"]["phi"], "hops": len(v["path"]) - 1})
    for d in doc["deployments"]:
        rows.append({"kind": "deployment", "name": d["label"], "stage": "", "aliases": "", "pii": "", "phi": "",
                     "hops": len(d["path"]) - 1})
    for m in doc["models"]:
        rows.append({"kind": "model", "name": m["label"], "stage": "", "aliases": "", "pii": "", "phi": "",
                     "hops": ""})
    print_table(rows, ("kind", "name", "stage", "aliases", "pii", "phi", "hops"))
    return 0


def run_diff(args: argparse.Namespace) -> int:
    catalog = catalog_from_args(args)
    diff = diff_versions(catalog, args.model, args.from_version, args.to_version)
    if args.format == "json":
        print_json(diff.to_json())
        return 0
    rows = [{"section": r.section, "key": r.key, "from": r.old or "", "to": r.new or "", "status": r.status,
             "note": r.note} for r in diff.rows
            if r.status != "same" or r.section in ("dataset", "classification", "metric")]
    print(f"{args.model}: version {args.from_version} -> {args.to_version}")
    print_table(rows, ("section", "key", "from", "to", "status", "note"))
    return 0
