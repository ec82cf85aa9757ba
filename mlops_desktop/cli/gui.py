"""``mlops-desktop [gui] [--store URL ...] [--governance URL]`` and ``mlops-desktop demo``.

The GUI is imported only when one of these commands runs, so the rest of the CLI (and
this module) never loads Qt.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from typing import Any

from mlops_desktop.cli.common import add_governance_arg, add_store_args, parse_artifact_roots
from mlops_desktop.resources import demo_settings, demo_store_urls

#: The GUI bootstrap, imported lazily (cli never imports Qt at import time).
APP_MODULE = "mlops_desktop.app"


def register(subparsers: Any) -> None:
    gui = subparsers.add_parser(
        "gui",
        help="the desktop app (the default command)",
        description="Start the desktop app, optionally opening stores.",
    )
    add_store_args(gui, required=False)
    add_governance_arg(gui)
    gui.add_argument("--smoke-test", action="store_true",
                     help="open the main window, process events, close it cleanly and exit 0 "
                     "(checks an installation or a packaged build; needs a display or QT_QPA_PLATFORM=offscreen)")
    gui.set_defaults(func=run_gui)

    demo = subparsers.add_parser(
        "demo",
        help="the desktop app on the bundled demo stores",
        description="Start the desktop app on the bundled demo: an MLflow registry, a TFX pipeline "
        "(ML Metadata) and Airflow lineage (OpenLineage).",
    )
    add_governance_arg(demo)
    demo.set_defaults(func=run_demo)


def _start(stores: list[str], governance: str | None, settings: dict[str, object], *, smoke_test: bool = False,
           restore: bool = True) -> int:
    started = time.perf_counter()
    app = importlib.import_module(APP_MODULE)
    code: int = app.run_gui(stores, governance_url=governance, source_settings=settings, smoke_test=smoke_test,
                            restore=restore)
    if smoke_test:
        outcome = "passed" if code == 0 else f"FAILED (exit {code})"
        print(f"smoke test {outcome}: main window shown and closed in {time.perf_counter() - started:.2f} s",
              file=sys.stderr)
    return code


def run_gui(args: argparse.Namespace) -> int:
    roots = parse_artifact_roots(args.artifact_root)
    settings: dict[str, object] = {"artifact_roots": roots} if roots else {}
    return _start(list(args.store), args.governance, settings, smoke_test=bool(getattr(args, "smoke_test", False)))


def run_demo(args: argparse.Namespace) -> int:
    return _start(demo_store_urls(), args.governance, demo_settings(), restore=False)
