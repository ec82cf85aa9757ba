"""The ``mlops-desktop`` command: argument parsing, dispatch and error reporting.

Each command lives in its own module exposing ``register(subparsers)``; the parser it
adds sets ``func`` to a callable ``(args) -> int`` (the exit code).
Exit codes: 0 success, 1 check failed, 2 usage/input/environment error.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback
from collections.abc import Sequence

from mlops_desktop import __version__
from mlops_desktop.core.errors import MlopsError

logger = logging.getLogger(__name__)

#: Command modules, in the order their commands appear in ``--help``.
COMMAND_MODULES = [
    "mlops_desktop.cli.gui",
    "mlops_desktop.cli.inventory",
    "mlops_desktop.cli.history",
    "mlops_desktop.cli.lineage",
    "mlops_desktop.cli.governance",
    "mlops_desktop.cli.findings",
    "mlops_desktop.cli.monitoring",
    "mlops_desktop.cli.snapshot",
    "mlops_desktop.cli.export_sagemaker",
    "mlops_desktop.cli.listen",
    "mlops_desktop.cli.evidence",
]

GLOBAL_FLAGS = {"-h", "--help", "--version"}


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlops-desktop", description="Governance for ML metadata stores.")
    parser.add_argument("--version", action="version", version=f"mlops-desktop {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    # `mlops-desktop [--store URL ...]` with no command means the desktop app.
    first = next((a for a in args_list if a != "--debug"), None)
    if first is None or (first.startswith("-") and first not in GLOBAL_FLAGS):
        args_list.insert(args_list.index(first) if first else len(args_list), "gui")
    words = [a for a in args_list if a != "--debug"]
    if words[:2] == ["report", "verify"]:  # its own parser: the report command's options do not apply
        at = args_list.index("report")
        args_list[at:at + 2] = ["report-verify"] if args_list[at + 1] == "verify" else args_list[at:at + 2]
    parser = build_parser()
    args = parser.parse_args(args_list)
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    from mlops_desktop.cli.common import begin_command, end_command, observe_opened

    try:
        begin_command(args)
        code = int(func(args))
        observe_opened(args)  # the registries the command opened, into the registry journal
        return code
    except MlopsError as exc:
        if debug:
            traceback.print_exc()
        prefix = "check failed" if exc.exit_code == 1 else "error"
        print(f"mlops-desktop: {prefix}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mlops-desktop: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - a bug: one line unless --debug
        if debug:
            traceback.print_exc()
        else:
            print(
                f"mlops-desktop: internal error: {type(exc).__name__}: {exc} (run with --debug for details)",
                file=sys.stderr,
            )
        return 2
    finally:
        end_command()
