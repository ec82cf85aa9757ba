"""Frozen-app entry point (PyInstaller): the same dispatcher as the console script."""

import sys

from mlops_desktop.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
