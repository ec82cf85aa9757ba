"""Attacks on the witness quorum (``verify`` / ``audit verify --policy``), as someone who can
write the governance database: a checkpoint key recorded under the certified key's id, a witness
line under a policy name by another key, one line pasted twice, a cosignature copied from another
log, a decision appended after the witnessed checkpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from mlops_desktop.core import paths
from mlops_desktop.crypto import checkpoint as cpmod
from mlops_desktop.crypto.ecdsa import generate_private_key, public_pem
from mlops_desktop.governance import audit, keys
from mlops_desktop.governance.approvals import approve
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.models import SqlCheckpoint, SqlCheckpointKey
from mlops_desktop.governance.policy import Policy, load_policy
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer
from mlops_desktop.governance.verify import verify_all, verify_log_anchored
from mlops_desktop.governance.witness import witness_checkpoint
from tests.governance.helpers import PASSPHRASE, Team, build_team


def _witness(tmp_path: Path, name: str) -> keys.WitnessKey:
    keys.create_witness_key(tmp_path / f"{name}.key", f"witness.example.org/{name}", PASSPHRASE)
    return keys.load_witness_key(tmp_path / f"{name}.key", PASSPHRASE)


@pytest.fixture
def w1(tmp_path: Path) -> keys.WitnessKey:
    return _witness(tmp_path, "w1")


@pytest.fixture
def w2(tmp_path: Path) -> keys.WitnessKey:
    return _witness(tmp_path, "w2")


@pytest.fixture
def policy(tmp_path: Path, w1: keys.WitnessKey, w2: keys.WitnessKey) -> Policy:
    path = tmp_path / "policy.toml"
    path.write_text(f'id = "witnessed"\n[witnesses]\nrequired = 2\nkeys = ["{w1.vkey}", "{w2.vkey}"]\n')
    return load_policy(path)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Governance, Team]]:
    gov = open_governance(str(tmp_path / "gov.db"))
    try:
        team = build_team(gov)
        audit.client_checkpoint_key()
        add_signer(gov, team.admin, keys.load_public_key(audit.client_checkpoint_public_path()), "checkpoints",
                   ["log"])
        yield gov, team
    finally:
        gov.close()


def _witnessed(gov: Governance, *ws: keys.WitnessKey) -> None:
    audit.write_checkpoint(gov)
    for i, w in enumerate(ws):
        witness_checkpoint(gov, w, now=1_700_000_000 + i)


def _newest(gov: Governance) -> SqlCheckpoint:
    with gov.read_session() as s:
        row = s.scalars(sa.select(SqlCheckpoint).order_by(SqlCheckpoint.size.desc(), SqlCheckpoint.id.desc())).first()
        assert row is not None
        return row


def _set_newest_note(gov: Governance, note: str) -> None:
    with gov.write_session() as s:
        row = s.get(SqlCheckpoint, _newest(gov).id)
        assert row is not None
        row.note = note


def _quorum_ok(gov: Governance, policy: Policy) -> bool:
    report = verify_all(gov, None, policy=policy, record=False)
    anchored = verify_log_anchored(gov, policy=policy)
    assert report.ok == anchored.ok
    return anchored.ok and report.witnesses is not None and report.witnesses.ok


def test_genuine_quorum_verifies(store: tuple[Governance, Team], policy: Policy, w1: keys.WitnessKey,
                                 w2: keys.WitnessKey) -> None:
    gov, _ = store
    _witnessed(gov, w1, w2)
    assert _quorum_ok(gov, policy)


def test_checkpoint_key_replaced_under_the_certified_key_id_does_not_count(
        store: tuple[Governance, Team], policy: Policy, w1: keys.WitnessKey, w2: keys.WitnessKey) -> None:
    """The certified checkpoint key's row is given another public key; the attacker signs a
    checkpoint with it and gets it cosigned: it must not count as the certified key's."""
    gov, _ = store
    audit.write_checkpoint(gov)
    cp = _newest(gov)
    kid, name = cp.key_id, None
    mallory = generate_private_key()
    with gov.write_session() as s:
        row = s.get(SqlCheckpointKey, kid)
        assert row is not None
        name = row.name
        row.public_pem = public_pem(mallory.public_key()).decode()
        forged = cpmod.sign_checkpoint(gov.origin, cp.size, bytes.fromhex(cp.root_hash), name, mallory)
        s.get(SqlCheckpoint, cp.id).note = forged  # type: ignore[union-attr]
    for i, w in enumerate((w1, w2)):
        try:
            witness_checkpoint(gov, w, now=1_700_000_000 + i)
        except Exception:  # noqa: BLE001 - a witness that refuses is fine too
            pass
    log = verify_log_anchored(gov, policy=policy)
    assert not log.ok
    assert any("does not match its key id" in p for p in log.problems), log.problems
    assert not _quorum_ok(gov, policy)


def test_one_cosignature_pasted_twice_counts_once(store: tuple[Governance, Team], policy: Policy,
                                                  w1: keys.WitnessKey) -> None:
    gov, _ = store
    _witnessed(gov, w1)
    note = _newest(gov).note
    line = [ln for ln in note.splitlines() if ln.startswith(f"— {w1.name} ")][0]
    _set_newest_note(gov, note + line + "\n")
    assert not _quorum_ok(gov, policy)


def test_policy_name_cosigned_by_another_key_does_not_count(
        tmp_path: Path, store: tuple[Governance, Team], policy: Policy, w1: keys.WitnessKey) -> None:
    gov, _ = store
    keys.create_witness_key(tmp_path / "imp.key", "witness.example.org/w2", PASSPHRASE)  # w2's name, other key
    impostor = keys.load_witness_key(tmp_path / "imp.key", PASSPHRASE)
    _witnessed(gov, w1, impostor)
    assert not _quorum_ok(gov, policy)


def test_cosignature_copied_from_another_log_fails(
        tmp_path: Path, store: tuple[Governance, Team], policy: Policy, w1: keys.WitnessKey,
        w2: keys.WitnessKey) -> None:
    gov, _ = store
    other = open_governance(str(tmp_path / "other.db"))
    try:
        build_team(other)
        _witnessed(other, w2)
        w2_line = [ln for ln in _newest(other).note.splitlines() if ln.startswith(f"— {w2.name} ")][0]
    finally:
        other.close()
    _witnessed(gov, w1)
    _set_newest_note(gov, _newest(gov).note + w2_line + "\n")
    assert not _quorum_ok(gov, policy)


def test_decision_after_the_witnessed_checkpoint_is_not_covered(
        store: tuple[Governance, Team], policy: Policy, w1: keys.WitnessKey, w2: keys.WitnessKey,
        mlflow3_db: Path) -> None:
    from mlops_desktop.sources.loader import load_catalog

    gov, team = store
    _witnessed(gov, w1, w2)
    assert _quorum_ok(gov, policy)
    catalog = load_catalog([str(mlflow3_db)])
    approve(gov, catalog, "fraud-detector", "3", "Production", "ok", ["gdpr"], team.alice)
    assert not _quorum_ok(gov, policy)


def test_older_copy_restored_with_its_cosigned_checkpoint_is_caught_by_client_memory(
        tmp_path: Path, store: tuple[Governance, Team], policy: Policy, w1: keys.WitnessKey,
        w2: keys.WitnessKey, mlflow3_db: Path) -> None:
    """The database is rolled back to a copy whose checkpoint the witnesses cosigned (a later
    rejection disappears). The quorum alone cannot tell; this client's memory of the log head does."""
    import shutil

    from mlops_desktop.governance.approvals import reject
    from mlops_desktop.governance.audit import verify_log
    from mlops_desktop.sources.loader import load_catalog

    gov, team = store
    _witnessed(gov, w1, w2)
    old = tmp_path / "old.db"
    shutil.copyfile(gov.path, old)  # type: ignore[arg-type]
    reject(gov, load_catalog([str(mlflow3_db)]), "fraud-detector", "3", "Production", "drift", ["gdpr"], team.bob)
    audit.write_checkpoint(gov)
    assert verify_log(gov).ok  # this client remembers the newer head
    url = gov.url
    gov.close()
    shutil.copyfile(old, url)
    with open_governance(url) as restored:
        result = verify_log_anchored(restored, policy=policy)
        assert not result.ok
        assert any("older copy" in p for p in result.problems), result.problems


def _aged_policy(tmp_path: Path, w1: keys.WitnessKey, w2: keys.WitnessKey, max_age: str | None) -> Policy:
    path = tmp_path / f"policy-{max_age or 'any'}.toml"
    age = f'max_age = "{max_age}"\n' if max_age else ""
    path.write_text(f'id = "witnessed"\n[witnesses]\nrequired = 2\nkeys = ["{w1.vkey}", "{w2.vkey}"]\n{age}')
    return load_policy(path)


def test_older_copy_restored_on_a_client_with_no_memory_is_refused_with_max_age(
        tmp_path: Path, store: tuple[Governance, Team], w1: keys.WitnessKey, w2: keys.WitnessKey,
        mlflow3_db: Path) -> None:
    """A CI runner starts with no memory of the log head: a copy of the store from ten days ago,
    restored with the checkpoint the witnesses cosigned then, meets the quorum unless the policy
    bounds the cosignatures' age (the residual risk without ``max_age``)."""
    import shutil
    import time

    from mlops_desktop.governance.approvals import reject
    from mlops_desktop.sources.loader import load_catalog

    gov, team = store
    ten_days_ago = int(time.time()) - 10 * 86400
    audit.write_checkpoint(gov)
    witness_checkpoint(gov, w1, now=ten_days_ago)
    witness_checkpoint(gov, w2, now=ten_days_ago + 1)
    old = tmp_path / "old.db"
    shutil.copyfile(gov.path, old)  # type: ignore[arg-type]
    reject(gov, load_catalog([str(mlflow3_db)]), "fraud-detector", "3", "Production", "drift", ["gdpr"], team.bob)
    audit.write_checkpoint(gov)
    witness_checkpoint(gov, w1)
    witness_checkpoint(gov, w2)
    strict, lax = _aged_policy(tmp_path, w1, w2, "7d"), _aged_policy(tmp_path, w1, w2, None)
    assert strict.witness_max_age == 7 * 86400 and lax.witness_max_age is None
    assert _quorum_ok(gov, strict)  # the current store, freshly cosigned, meets the bounded quorum
    url = gov.url
    gov.close()
    shutil.copyfile(old, url)
    paths.client_state_path().unlink(missing_ok=True)  # a client with no memory of the log head (fresh CI runner)
    with open_governance(url) as restored:
        assert audit.remembered_head(restored) is None
        anchored = verify_log_anchored(restored, policy=lax)
        assert anchored.ok, anchored.problems  # the residual risk without max_age: the old copy meets the quorum
        paths.client_state_path().unlink(missing_ok=True)
        anchored = verify_log_anchored(restored, policy=strict)
        assert not anchored.ok
        assert any("max_age = 7d" in p and "witness.example.org/w1" in p for p in anchored.problems), anchored.problems
        report = verify_all(restored, None, policy=strict, record=False)
        assert not report.ok and report.witnesses is not None and not report.witnesses.ok


@pytest.mark.parametrize("value", ['"7"', '"0d"', '"-1d"', '"7 days"', '"d"', "true", "0"])
def test_bad_max_age_is_a_clear_usage_error(tmp_path: Path, w1: keys.WitnessKey, value: str) -> None:
    from mlops_desktop.core.errors import UsageError

    path = tmp_path / "policy.toml"
    path.write_text(f'id = "witnessed"\n[witnesses]\nrequired = 1\nkeys = ["{w1.vkey}"]\nmax_age = {value}\n')
    with pytest.raises(UsageError, match=r"max_age in .*\[witnesses\]") as info:
        load_policy(path)
    assert 'max_age = "7d"' in (info.value.hint or "")
