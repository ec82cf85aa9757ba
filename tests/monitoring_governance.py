"""A governance store with approvals of the monitoring fixtures' iris-classifier v2, signed on
chosen days (the audit log's clock set to them), for the tests of approvals on the monitoring
charts: Alice and Bob approved champion on 2026-09-20 and 2026-09-21, before the drift the
fixtures hold from 2026-10-06 (so F25 holds for it)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mlops_desktop.governance import audit
from mlops_desktop.governance.approvals import approve
from mlops_desktop.governance.store import open_governance
from mlops_desktop.sources.loader import load_catalog
from tests.conftest import FIXTURES
from tests.governance.helpers import build_team

MON = FIXTURES / "monitoring"
STORES = [str(MON / "mlflow.db"), f"monitoring:{MON / 'results'}"]
#: (signed at, signer) of each approval of iris-classifier v2 for champion
APPROVALS = [(datetime(2026, 9, 20, 10, 0, tzinfo=UTC), "alice@example.org"),
             (datetime(2026, 9, 21, 15, 30, tzinfo=UTC), "bob@example.org")]


def governance_with_approvals(path: Path, monkeypatch: pytest.MonkeyPatch, stores: list[str] | None = None) -> str:
    """The store's URL (the approvals signed on ``stores``, default the fixtures); the audit clock
    stays on the last approval's day for the test."""
    ticks = itertools.count()
    day = {"now": datetime(2026, 9, 1, 9, 0, tzinfo=UTC)}

    def clock() -> str:  # the set day, a microsecond later at each call (times never repeat)
        return (day["now"] + timedelta(microseconds=next(ticks))).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    monkeypatch.setattr(audit, "now_iso", clock)
    catalog = load_catalog(stores or STORES)
    url = str(path)
    with open_governance(url) as gov:
        team = build_team(gov)
        for (when, signer), key in zip(APPROVALS, (team.alice, team.bob), strict=True):
            assert key.identity == signer
            day["now"], ticks = when, itertools.count()
            approve(gov, catalog, "iris-classifier", "2", "champion", "drift checks reviewed", ["gdpr"], key)
    return url
