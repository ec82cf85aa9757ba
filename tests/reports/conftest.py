"""Report test fixtures (defined in govfix so the CLI tests can share them)."""

from tests.reports.govfix import catalog, governance  # noqa: F401
