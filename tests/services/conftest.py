"""Service tests: a real SQLite governance store in tmp, a trusted team (keys made with the
project's key code), the MLflow 3.17 fixture catalog, organisation and rogue CAs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mlops_desktop.core.entities import Catalog
from mlops_desktop.governance.store import open_governance
from mlops_desktop.sources.loader import load_catalog
from tests.governance.helpers import Team, build_team


@pytest.fixture
def gov_url(tmp_path: Path) -> str:
    return str(tmp_path / "gov.db")


@pytest.fixture
def team(gov_url: str) -> Team:
    with open_governance(gov_url) as gov:
        return build_team(gov)


@pytest.fixture
def catalog(mlflow3_db: Path) -> Catalog:
    return load_catalog([str(mlflow3_db)])


@dataclass
class Cas:
    org_key: ec.EllipticCurvePrivateKey
    org: x509.Certificate
    rogue_key: ec.EllipticCurvePrivateKey
    rogue: x509.Certificate
    org_file: Path


@pytest.fixture
def cas(tmp_path: Path) -> Cas:
    from tests.governance.test_keys import make_ca

    org_key, org = make_ca("Example Org CA")
    rogue_key, rogue = make_ca("Rogue CA")
    org_file = tmp_path / "org-ca.pem"
    org_file.write_bytes(org.public_bytes(serialization.Encoding.PEM))
    return Cas(org_key, org, rogue_key, rogue, org_file)


class Calls:
    """A fake progress sink that keeps what it was told."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int, str]] = []

    def __call__(self, done: int, total: int, message: str) -> None:
        self.seen.append((done, total, message))


@pytest.fixture
def calls() -> Calls:
    return Calls()
