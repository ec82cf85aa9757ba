"""Fixture approvals in a real governance store over the MLflow 3 fixture store (shared by report and CLI tests)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.findings import FindingSettings
from mlops_desktop.reports.model import ReportSettings

TODAY = date(2026, 6, 1)
SETTINGS = ReportSettings(
    findings=FindingSettings(today=TODAY),
    generated_at=datetime(2026, 6, 1, 12, 0, tzinfo=UTC),
    author="Test Officer",
    organisation="Example Health Ltd",
)


@dataclass
class Gov:
    url: str
    keys: dict[str, object]  # identity -> SigningKey

    def key_id(self, identity: str) -> str:
        return str(self.keys[identity].key_id)  # type: ignore[attr-defined]


def _key(identity: str) -> object:
    from mlops_desktop.crypto.ecdsa import generate_private_key, key_id
    from mlops_desktop.governance.keys import SigningKey

    priv = generate_private_key()
    return SigningKey(priv, key_id(priv.public_key()), identity)


@pytest.fixture
def catalog(mlflow3_db: Path) -> Catalog:
    from mlops_desktop.sources.loader import load_catalog

    return load_catalog([str(mlflow3_db)])


@pytest.fixture
def governance(tmp_path: Path, catalog: Catalog) -> Iterator[Gov]:
    """Trusted approvers alice, bob and dan (dan trained demand-forecast v3); no decisions yet."""
    from mlops_desktop.governance.store import open_governance
    from mlops_desktop.governance.trust import add_signer, init_trust

    url = str(tmp_path / "governance.db")
    keys = {i: _key(i) for i in ("admin@example.org", "alice@example.org", "bob@example.org", "dan@example.org")}
    admin = keys["admin@example.org"]
    with open_governance(url) as gov:
        init_trust(gov, [admin])  # type: ignore[attr-defined]
        for ident in ("alice@example.org", "bob@example.org", "dan@example.org"):
            add_signer(gov, admin, keys[ident].public_key, ident, ["approver"])  # type: ignore[attr-defined]
    yield Gov(url, keys)


def approve(gov: Gov, catalog: Catalog, who: str, model: str, version: str, target: str,
            regimes: tuple[str, ...] = ("gdpr",)) -> str:
    from mlops_desktop.governance.approvals import approve as do_approve
    from mlops_desktop.governance.store import open_governance

    with open_governance(gov.url) as g:
        return str(do_approve(g, catalog, model, version, target, "validated", list(regimes), gov.keys[who]).id)


def tamper(gov: Gov, seq: int = 1) -> None:
    """Edit one audit-log entry by hand, as an attacker with database access would."""
    import sqlite3

    con = sqlite3.connect(gov.url)
    try:
        raw = con.execute("SELECT entry FROM log_entries WHERE seq = ?", (seq,)).fetchone()[0]
        text = bytes(raw).replace(b"approver", b"admin").replace(b"example.org", b"example.com")
        con.execute("UPDATE log_entries SET entry = ? WHERE seq = ?", (text, seq))
        con.commit()
    finally:
        con.close()
