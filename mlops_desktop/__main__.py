"""Entry point for ``python -m mlops_desktop`` and the ``mlops-desktop`` script."""

from __future__ import annotations

import sys


def main() -> int:
    from mlops_desktop.cli.main import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
