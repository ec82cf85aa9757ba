"""Attacks on the registry journal's signed observations, as someone who can write the
governance database: a key nobody anchored, a trusted key id with another public key, an
envelope taken from another registry's observation. None may read as a verified signature."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.cli.main import main
from mlops_desktop.core.errors import StoreError
from mlops_desktop.crypto.ecdsa import public_pem
from mlops_desktop.governance.journal import observations, observe, signature_of
from mlops_desktop.governance.keys import SigningKey
from mlops_desktop.governance.models import SqlWebhookEvent
from mlops_desktop.governance.store import open_governance
from mlops_desktop.services.history import inventory_as_of, load_history
from mlops_desktop.services.timeline import as_of_job
from mlops_desktop.services.webhooks import (
    DELIVERY_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Delivery,
    WebhookRecorder,
    sign,
)
from mlops_desktop.sources.loader import load_catalog
from tests.governance.helpers import build_team, make_key


def _banner_words(url: str, store: Path) -> str:
    state = as_of_job(url, load_catalog([str(store)]), datetime.now(UTC))
    [basis] = state.basis
    return basis.signature_words


def test_observation_signed_by_a_key_nobody_anchored_is_not_called_verified(
        tmp_path: Path, mlflow3_db: Path) -> None:
    url = str(tmp_path / "gov.db")
    mallory = make_key("alice@example.org")  # claims a trusted person's name; held by no one here
    with open_governance(url) as gov:
        build_team(gov)
        observe(gov, load_catalog([str(mlflow3_db)]), key=mallory)
        [obs] = observations(gov)
        verdict = signature_of(gov, obs)
    assert verdict is not None and verdict.startswith("unanchored:")
    assert mallory.key_id in verdict and "alice@example.org" in verdict
    answer = inventory_as_of(url, load_catalog([str(mlflow3_db)]), datetime.now(UTC), record=False)
    assert answer["stores"][0]["signature"] == verdict
    words = _banner_words(url, mlflow3_db)
    assert "verifies" not in words and "NOT anchored" in words and mallory.key_id in words


def test_observation_signed_by_an_anchored_key_says_so_and_by_whom(tmp_path: Path, mlflow3_db: Path) -> None:
    url = str(tmp_path / "gov.db")
    with open_governance(url) as gov:
        team = build_team(gov)
        observe(gov, load_catalog([str(mlflow3_db)]), key=team.alice)
        [obs] = observations(gov)
        assert signature_of(gov, obs) == "valid"
    words = _banner_words(url, mlflow3_db)
    assert f"signed by key {team.alice.key_id[:16]}…, the signature verifies" in words
    assert "anchored" in words and "alice@example.org" in words


def test_trusted_key_id_recorded_with_another_public_key_is_invalid(tmp_path: Path, mlflow3_db: Path) -> None:
    """Mallory signs under Alice's key id and replaces Alice's stored public key with her own."""
    url = str(tmp_path / "gov.db")
    mallory = make_key("mallory")
    with open_governance(url) as gov:
        team = build_team(gov)
        forged = SigningKey(mallory.private_key, team.alice.key_id, "alice@example.org")
        observe(gov, load_catalog([str(mlflow3_db)]), key=forged)
        [obs] = observations(gov)
    con = sqlite3.connect(url)
    with con:
        con.execute("UPDATE public_keys SET public_pem = ? WHERE key_id = ?",
                    (public_pem(mallory.public_key).decode(), team.alice.key_id))
    con.close()
    with open_governance(url) as gov:
        verdict = signature_of(gov, obs)
    assert verdict is not None and verdict.startswith("invalid:"), verdict
    words = _banner_words(url, mlflow3_db)
    assert "INVALID" in words and "verifies" not in words


def test_envelope_of_another_registrys_observation_is_invalid(
        tmp_path: Path, mlflow3_db: Path, mlflow2_db: Path) -> None:
    url = str(tmp_path / "gov.db")
    with open_governance(url) as gov:
        team = build_team(gov)
        observe(gov, load_catalog([str(mlflow3_db)]), key=team.alice)
        observe(gov, load_catalog([str(mlflow2_db)]), key=team.alice)
        first, second = observations(gov)
        assert first.registry != second.registry
    con = sqlite3.connect(url)
    with con:
        con.execute("UPDATE observations SET envelope = (SELECT envelope FROM observations WHERE id = ?) WHERE id = ?",
                    (second.id, first.id))
    con.close()
    with open_governance(url) as gov:
        assert signature_of(gov, first) == "invalid: the envelope signs another observation"


def test_signing_key_row_deleted_is_invalid(tmp_path: Path, mlflow3_db: Path) -> None:
    url = str(tmp_path / "gov.db")
    mallory = make_key("mallory")
    with open_governance(url) as gov:
        build_team(gov)
        observe(gov, load_catalog([str(mlflow3_db)]), key=mallory)
        [obs] = observations(gov)
    con = sqlite3.connect(url)
    with con:
        con.execute("DELETE FROM public_keys WHERE key_id = ?", (mallory.key_id,))
    con.close()
    with open_governance(url) as gov:
        verdict = signature_of(gov, obs)
    assert verdict is not None and verdict.startswith("invalid:")


@pytest.mark.parametrize("anchor_env", [True, False])
def test_unanchored_without_any_anchor(tmp_path: Path, mlflow3_db: Path, monkeypatch: pytest.MonkeyPatch,
                                       anchor_env: bool) -> None:
    """A store with no trust list at all: the signer is only ever unanchored, unless this client
    holds the key as an anchor."""
    url = str(tmp_path / "gov.db")
    key = make_key("ops@example.org")
    if anchor_env:
        monkeypatch.setenv("MLOPS_DESKTOP_TRUST_ANCHORS", key.key_id)
    with open_governance(url) as gov:
        observe(gov, load_catalog([str(mlflow3_db)]), key=key)
        [obs] = observations(gov)
        verdict = signature_of(gov, obs)
    if anchor_env:
        assert verdict == "valid"
    else:
        assert verdict is not None and verdict.startswith("unanchored:") and key.key_id in verdict


def test_observations_reordered_by_swapping_their_ids_are_caught(
        tmp_path: Path, mlflow3_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two full observations of one registry swap ids (every other column, log_seq included, kept):
    the older state would be read as the newer one."""
    import mlops_desktop.governance.journal as journal
    from mlops_desktop.governance.audit import verify_log
    from mlops_desktop.governance.journal import as_of

    monkeypatch.setattr(journal, "FULL_EVERY", 1)  # every observation a full state
    url = str(tmp_path / "gov.db")
    copy = tmp_path / "mlflow.db"
    shutil.copyfile(mlflow3_db, copy)
    with open_governance(url) as gov:
        team = build_team(gov)
        observe(gov, load_catalog([str(copy)]), key=team.alice)
    con = sqlite3.connect(copy)
    with con:  # the registry changes: a version's stage
        con.execute("UPDATE model_versions SET current_stage = 'Archived' WHERE rowid = (SELECT min(rowid) FROM "
                    "model_versions)")
    con.close()
    with open_governance(url) as gov:
        observe(gov, load_catalog([str(copy)]), key=team.alice)
        first, second = observations(gov)
        assert first.encoding == second.encoding == "full" and first.state_digest != second.state_digest
    con = sqlite3.connect(url)
    with con:
        con.execute("UPDATE observations SET id = -1 WHERE id = ?", (first.id,))
        con.execute("UPDATE observations SET id = ? WHERE id = ?", (first.id, second.id))
        con.execute("UPDATE observations SET id = ? WHERE id = -1", (second.id,))
    con.close()
    with open_governance(url) as gov:
        problems = verify_log(gov, update_memory=False).problems
        with pytest.raises(StoreError, match="out of log order"):  # the journal is not read until it reconciles
            as_of(gov, first.registry, datetime.now(UTC))
    assert any("order" in p for p in problems), problems


def test_observation_signed_after_the_key_was_revoked_is_not_valid(tmp_path: Path, mlflow3_db: Path) -> None:
    from mlops_desktop.governance.trust import revoke_signer

    url = str(tmp_path / "gov.db")
    with open_governance(url) as gov:
        team = build_team(gov)
        revoke_signer(gov, team.admin, team.alice.key_id, "key lost")
        observe(gov, load_catalog([str(mlflow3_db)]), key=team.alice)
        [obs] = observations(gov)
        verdict = signature_of(gov, obs)
    assert verdict is not None and verdict.startswith("untrusted:") and "revoked" in verdict, verdict
    words = _banner_words(url, mlflow3_db)
    assert "NOT trusted" in words and "verifies" not in words


def test_observation_time_moved_is_invalid_and_caught_by_audit_verify(tmp_path: Path, mlflow3_db: Path) -> None:
    from mlops_desktop.governance.audit import verify_log

    url = str(tmp_path / "gov.db")
    with open_governance(url) as gov:
        team = build_team(gov)
        observe(gov, load_catalog([str(mlflow3_db)]), key=team.alice)
        [obs] = observations(gov)
    con = sqlite3.connect(url)
    with con:  # moved an hour earlier, so that an as-of before the real observation rests on it
        con.execute("UPDATE observations SET observed_at = ? WHERE id = ?",
                    (obs.observed_at.replace(obs.observed_at[11:13], f"{(int(obs.observed_at[11:13]) + 23) % 24:02d}", 1),
                     obs.id))
    con.close()
    with open_governance(url) as gov:
        [moved] = observations(gov)
        assert moved.observed_at != obs.observed_at
        assert signature_of(gov, moved) == "invalid: the envelope signs another observation"
        problems = verify_log(gov, update_memory=False).problems
    assert any(f"registry observation row for audit-log entry {obs.log_seq} no longer matches" in p for p in problems)


def _alias_moved_between_two_observations(url: str, store: Path) -> None:
    with open_governance(url) as gov:
        observe(gov, load_catalog([str(store)]))
    con = sqlite3.connect(store)
    with con:
        con.execute("UPDATE registered_model_aliases SET version = 2 WHERE name = 'fraud-detector' "
                    "AND alias = 'champion'")
    con.close()


def _champion_change(url: str, store: Path) -> dict[str, Any]:
    history = load_history(url, load_catalog([str(store)]), model="fraud-detector", record=False)
    [change] = [e.to_dict() for e in history.events if e.alias == "champion"]
    return change


def _alias_body(version: str) -> bytes:
    return json.dumps({"entity": "model_version_alias", "action": "created", "timestamp": 1,
                       "data": {"name": "fraud-detector", "alias": "champion", "version": version}}).encode()


def test_webhook_row_added_by_hand_does_not_narrow_an_alias_window(tmp_path: Path, mlflow3_db: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Someone who writes the governance database adds a delivery no listener received, dated
    early in an alias move's window, so the move seems to have happened before a decision."""
    url = str(tmp_path / "gov.db")
    _alias_moved_between_two_observations(url, mlflow3_db)
    with open_governance(url) as gov:
        observe(gov, load_catalog([str(mlflow3_db)]))
        first, second = observations(gov)
        reg = first.registry
    assert _champion_change(url, mlflow3_db)["window"]["narrowed_by"] is None
    early = (first.time + timedelta(microseconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with open_governance(url) as gov, gov.write_session() as s:
        s.add(SqlWebhookEvent(registry_kind=reg.kind, registry_id=reg.id, event="model_version_alias.created",
                              payload=_alias_body("2"), delivery_id="forged", headers="{}", received_at=early,
                              signature_ok=True, log_seq=second.log_seq + 1000, entry_hash="0" * 64))
    with pytest.raises(StoreError) as info:
        _champion_change(url, mlflow3_db)
    assert f"webhook event row for audit-log entry {second.log_seq + 1000} has no such log entry" in str(info.value)
    assert "audit verify" in (info.value.hint or "")
    code = main(["history", "--governance", url, "--store", str(mlflow3_db), "--format", "json"])
    err = capsys.readouterr().err
    assert code != 0 and "webhook event row" in err and "audit verify" in err and "Traceback" not in err


def test_recorded_webhook_delivery_still_narrows_the_window(tmp_path: Path, mlflow3_db: Path) -> None:
    url = str(tmp_path / "gov.db")
    _alias_moved_between_two_observations(url, mlflow3_db)
    with open_governance(url) as gov:
        [first] = observations(gov)
        secret = "secret-for-this-registry-only"
        stamp = str(int(time.time()))
        rec = WebhookRecorder(gov, secret, registry_id=first.registry.id)
        body = _alias_body("2")
        got = rec.handle(Delivery(body, {DELIVERY_ID_HEADER: "d-1", TIMESTAMP_HEADER: stamp,
                                         SIGNATURE_HEADER: sign(secret, "d-1", stamp, body)}))
        observe(gov, load_catalog([str(mlflow3_db)]))
    assert _champion_change(url, mlflow3_db)["window"]["narrowed_by"] == (
        f"the webhook delivery d-1 received at {got.received_at}")


def test_observation_row_added_by_hand_is_not_used_as_of(tmp_path: Path, mlflow3_db: Path) -> None:
    """A copied observation row with a later time and no log entry would make as-of answer with it."""
    url = str(tmp_path / "gov.db")
    with open_governance(url) as gov:
        observe(gov, load_catalog([str(mlflow3_db)]))
    con = sqlite3.connect(tmp_path / "gov.db")
    with con:
        cols = [r[1] for r in con.execute("PRAGMA table_info(observations)") if r[1] != "id"]
        sel = ", ".join("log_seq + 1000" if c == "log_seq" else c for c in cols)
        con.execute(f"INSERT INTO observations ({', '.join(cols)}) SELECT {sel} FROM observations")
    con.close()
    with pytest.raises(StoreError, match="registry observation row for audit-log entry .* has no such log entry"):
        inventory_as_of(url, load_catalog([str(mlflow3_db)]), datetime.now(UTC), record=False)


def test_history_tab_and_as_of_view_name_the_forged_webhook_row(tmp_path: Path, mlflow3_db: Path) -> None:
    from mlops_desktop.services.timeline import model_history_job

    url = str(tmp_path / "gov.db")
    _alias_moved_between_two_observations(url, mlflow3_db)
    with open_governance(url) as gov:
        observe(gov, load_catalog([str(mlflow3_db)]))
        first, second = observations(gov)
        reg = first.registry
    with open_governance(url) as gov, gov.write_session() as s:
        s.add(SqlWebhookEvent(registry_kind=reg.kind, registry_id=reg.id, event="model_version_alias.created",
                              payload=_alias_body("2"), delivery_id="forged", headers="{}",
                              received_at=second.observed_at, signature_ok=True, log_seq=second.log_seq + 1000,
                              entry_hash="0" * 64))
    history = model_history_job(url, load_catalog([str(mlflow3_db)]), "fraud-detector")
    assert history.events == [] and "webhook event row" in history.empty_reason
    assert "audit verify" in history.empty_reason
    state = as_of_job(url, load_catalog([str(mlflow3_db)]), datetime.now(UTC))
    assert not state.basis and state.empty_reason is not None and "webhook event row" in state.empty_reason
