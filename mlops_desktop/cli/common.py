"""Arguments and output helpers shared by the command modules.

Unverified inputs: a snapshot (``--store`` or ``--governance snapshot:FILE``) used with
``--allow-unverified`` although it is not verified is recorded by :func:`note_unverified`, and
every output of the command says so: a warning on stderr, a top-level ``"unverified_inputs"``
list in JSON output (a JSON list becomes ``{"unverified_inputs": [...], "items": [...]}``), a
first line ``UNVERIFIED INPUT: ...`` in table and CSV output (``# `` before it in CSV) and in
text output (printed when the input is opened), and a banner on a report's cover.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.progress import CancelledFn, ProgressFn, never_cancelled, no_progress
from mlops_desktop.governance.snapshot_view import (
    GovernanceSnapshotRules,
    configure_governance_snapshots,
    snapshot_settings,
)
from mlops_desktop.sources.base import SourceSettings
from mlops_desktop.sources.loader import load_catalog


def add_store_args(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument(
        "--store",
        action="append",
        default=[],
        required=required,
        metavar="URL",
        help="metadata store: a file path, mlflow+sqlite:///..., mlflow+postgresql://..., "
        "mlmd+sqlite:///..., openlineage:PATH or snapshot:PATH (repeat to merge stores)",
    )
    _add_allow_unverified(parser)
    parser.add_argument(
        "--artifact-root",
        action="append",
        default=[],
        metavar="PREFIX=DIR",
        help="map an artifact-root prefix recorded by the training environment to a local folder",
    )


def _add_allow_unverified(parser: argparse.ArgumentParser) -> None:
    if "--allow-unverified" in parser._option_string_actions:  # both store and governance args given
        return
    parser.add_argument(
        "--allow-unverified",
        action="store_true",
        help="use an ALTERED or unanchored snapshot anyway; every output says so",
    )


def add_governance_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--governance",
        metavar="URL",
        default=os.environ.get("MLOPS_DESKTOP_GOVERNANCE_URL"),
        help="governance store (SQLite path, postgresql://... or snapshot:FILE); default: the user data "
        "directory or MLOPS_DESKTOP_GOVERNANCE_URL",
    )
    _add_allow_unverified(parser)


# ---------------------------------------------------------------------------- unverified inputs

class _UnverifiedUse:
    """What the running command has used although it is not verified, and how it says so."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.announced = False  # the table/CSV banner was written
        self.text_prefix: str | None = None  # None: JSON, table or CSV output (marked where written)


_use = _UnverifiedUse()


def begin_command(args: argparse.Namespace) -> None:
    """Reset what this command has used unverified, and open governance snapshots the way its
    ``--allow-unverified`` and ``--trust-anchor`` say."""
    global _use
    _use = _UnverifiedUse()
    fmt = str(getattr(args, "format", None) or "text")
    _use.text_prefix = {"json": None, "table": None, "csv": None, "dot": "// "}.get(fmt, "")
    configure_governance_snapshots(GovernanceSnapshotRules(
        anchors=tuple(getattr(args, "trust_anchor", None) or ()),
        allow_unverified=bool(getattr(args, "allow_unverified", False)),
        on_unverified=note_unverified))


def end_command() -> None:
    """The command is over: governance snapshots are refused again unless allowed (the process
    may run other commands, or the governance code directly, next)."""
    configure_governance_snapshots(None)


def note_unverified(line: str) -> None:
    """An input that is not verified is used (--allow-unverified): warn now and mark every output."""
    if line in _use.lines:
        return
    _use.lines.append(line)
    _warn_unverified(line)
    if _use.text_prefix is not None:  # text output: its first line says so (printed as the input is opened)
        print(f"{_use.text_prefix}UNVERIFIED INPUT: {line}", flush=True)


def unverified_inputs() -> list[str]:
    """What this command has used although it is not verified (see :func:`note_unverified`)."""
    return list(_use.lines)


def unverified_verdict() -> str | None:
    """The verdict of a verifying command that used an input which is not verified (None: it used
    none): such a command never says "verified" and exits 1, whatever else checks."""
    lines = _use.lines
    if not lines:
        return None
    return ("not verified: it rests on input that is not verified, used with --allow-unverified (" + "; ".join(lines)
            + "); verify with verified inputs only")


def _table_banner(out: TextIO, prefix: str = "") -> None:
    if _use.lines and not _use.announced and _use.text_prefix is None:
        _use.announced = True
        for line in _use.lines:
            out.write(f"{prefix}UNVERIFIED INPUT: {line}\n")


def add_trust_anchor_arg(parser: argparse.ArgumentParser) -> None:
    """``--trust-anchor PUBFILE|KEYID`` (repeatable) on every command that verifies."""
    parser.add_argument(
        "--trust-anchor",
        action="append",
        default=[],
        metavar="PUBFILE|KEYID",
        help="a key this verification trusts as a root (full fingerprint or public key file; repeatable), "
        "besides the anchors file, MLOPS_DESKTOP_TRUST_ANCHORS, this client's own keys and the admins it pinned",
    )


def trust_anchors_from_args(args: argparse.Namespace) -> tuple[str, ...]:
    """Every anchor this client holds plus ``--trust-anchor`` values, as full key ids (for
    VerificationSettings.trust_anchors). Raises a one-line error for an unreadable anchor."""
    from mlops_desktop.governance.anchors import load_anchors

    return load_anchors(list(getattr(args, "trust_anchor", None) or [])).key_ids


def add_format_arg(parser: argparse.ArgumentParser, choices: Sequence[str], default: str) -> None:
    parser.add_argument("--format", choices=list(choices), default=default, help=f"output format (default: {default})")


def parse_artifact_roots(items: Iterable[str]) -> dict[str, str]:
    """``PREFIX=DIR`` pairs from the command line and MLOPS_DESKTOP_ARTIFACT_ROOTS (``;``-separated)."""
    from mlops_desktop.core.errors import UsageError

    pairs = [p for p in os.environ.get("MLOPS_DESKTOP_ARTIFACT_ROOTS", "").split(";") if p.strip()]
    pairs.extend(items)
    out: dict[str, str] = {}
    for pair in pairs:
        prefix, sep, folder = pair.partition("=")
        if not sep or not prefix or not folder:
            raise UsageError(f"Bad artifact-root mapping {pair!r}.", "Write it as PREFIX=DIR, e.g. /srv/mlflow=/mnt/copy.")
        out[prefix] = folder
    return out


def _warn_unverified(line: str) -> None:
    print(f"mlops-desktop: warning: {line}", file=sys.stderr)


def source_settings(args: argparse.Namespace) -> SourceSettings:
    """The artifact-root mappings given, and this client's trust lists for snapshots."""
    roots = parse_artifact_roots(getattr(args, "artifact_root", []) or [])
    return snapshot_settings(SourceSettings(artifact_roots=roots, on_unverified=note_unverified),
                             anchors=list(getattr(args, "trust_anchor", None) or []),
                             allow_unverified=bool(getattr(args, "allow_unverified", False)))


def catalog_from_args(
    args: argparse.Namespace,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
    *,
    all_runs: bool = False,
) -> Catalog:
    catalog = load_catalog(args.store, progress, is_cancelled, all_runs=all_runs, settings=source_settings(args))
    if getattr(args, "observe_on_open", True):  # observe and history record the journal themselves
        if getattr(args, "observe_after", False):
            args.opened_catalog = catalog  # a decision: recorded once the command has run without an error
        else:  # before the command reads the journal (findings, reports, as-of see the state now)
            from mlops_desktop.services.session import observe_on_open

            observe_on_open(getattr(args, "governance", None), catalog, args.store)
    return catalog


def observe_opened(args: argparse.Namespace) -> None:
    """Record the registries a decision command opened in the journal once it ran without an error
    (a refused decision leaves the governance store as it was; never fails: a warning instead)."""
    catalog = getattr(args, "opened_catalog", None)
    if catalog is None:
        return
    from mlops_desktop.services.session import observe_on_open

    args.opened_catalog = None
    observe_on_open(getattr(args, "governance", None), catalog, args.store)


def print_json(obj: Any, out: TextIO | None = None) -> None:
    """``obj`` as JSON; with unverified inputs used, a top-level ``unverified_inputs`` list first
    (a list is wrapped as ``{"unverified_inputs": [...], "items": [...]}``)."""
    out = out or sys.stdout
    if _use.lines:
        lines = list(_use.lines)
        if isinstance(obj, Mapping):
            obj = {"unverified_inputs": lines, **{k: v for k, v in obj.items() if k != "unverified_inputs"}}
        else:
            obj = {"unverified_inputs": lines, "items": obj}
    json.dump(obj, out, indent=2, ensure_ascii=False, sort_keys=False)
    out.write("\n")


def print_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    _table_banner(out, "# ")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    out.write(buf.getvalue())


def print_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], out: TextIO | None = None) -> None:
    """A plain aligned text table (no colour, safe to pipe); its first line names any unverified input."""
    out = out or sys.stdout
    _table_banner(out)
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    out.write("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n")
    for row in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")
    if not rows:
        out.write("(nothing to show)\n")
