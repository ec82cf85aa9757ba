"""Helpers shared by the governance tests (keys made in memory, a trusted team)."""

from __future__ import annotations

from dataclasses import dataclass

from mlops_desktop.crypto.ecdsa import generate_private_key, key_id
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.keys import SigningKey
from mlops_desktop.governance.trust import add_signer, init_trust

PASSPHRASE = "correct staple horse battery 42"
FIXTURE_ARTIFACT_PREFIX = "/srv/mlflow/artifacts"


def make_key(identity: str) -> SigningKey:
    k = generate_private_key()
    return SigningKey(k, key_id(k.public_key()), identity)


@dataclass
class Team:
    admin: SigningKey
    alice: SigningKey
    bob: SigningKey
    carol: SigningKey  # reviewer only
    dan: SigningKey  # author / run user of fraud-detector v3 in the MLflow 3 fixture
    erin: SigningKey  # never trusted


def build_team(gov: Governance) -> Team:
    team = Team(*(make_key(f"{n}@example.org") for n in ("admin", "alice", "bob", "carol", "dan", "erin")))
    init_trust(gov, [team.admin])
    for k, roles in ((team.alice, ["approver"]), (team.bob, ["approver"]), (team.carol, ["reviewer"]),
                     (team.dan, ["approver"])):
        add_signer(gov, team.admin, k.public_key, str(k.identity), roles)
    return team
