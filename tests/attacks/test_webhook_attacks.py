"""Attacks on ``listen``'s HMAC check, as someone on the network who captured deliveries but does
not know the secret: replay later, move the time field, graft a body or a signature onto another
delivery, send to a listener keyed with another secret. Each is refused and nothing is recorded."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from mlops_desktop.governance.audit import verify_log
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.models import SqlWebhookEvent
from mlops_desktop.governance.store import open_governance
from mlops_desktop.services.webhooks import (
    DELIVERY_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Delivery,
    DeliveryRejected,
    WebhookRecorder,
    sign,
)

SECRET = "secret-of-registry-a-4f1c"
REGISTRY = "sha256:" + "a" * 64


@pytest.fixture
def gov(tmp_path: Path) -> Iterator[Governance]:
    g = open_governance(str(tmp_path / "gov.db"))
    try:
        yield g
    finally:
        g.close()


def _body(version: str = "3") -> bytes:
    return json.dumps({"entity": "model_version_alias", "action": "created", "timestamp": 1,
                       "data": {"name": "fraud-detector", "alias": "champion", "version": version}}).encode()


def _delivery(body: bytes, delivery_id: str = "d-1", ts: int | None = None, secret: str = SECRET) -> Delivery:
    stamp = str(int(time.time()) if ts is None else ts)
    return Delivery(body, {DELIVERY_ID_HEADER: delivery_id, TIMESTAMP_HEADER: stamp,
                           SIGNATURE_HEADER: sign(secret, delivery_id, stamp, body)})


def _events(gov: Governance) -> int:
    with gov.read_session() as s:
        return int(s.execute(sa.select(sa.func.count()).select_from(SqlWebhookEvent)).scalar_one())


def _refused(rec: WebhookRecorder, d: Delivery) -> DeliveryRejected:
    with pytest.raises(DeliveryRejected) as info:
        rec.handle(d)
    assert info.value.status == 401
    return info.value


def test_validly_signed_delivery_replayed_after_the_window_is_refused(gov: Governance) -> None:
    rec = WebhookRecorder(gov, SECRET, registry_id=REGISTRY)
    captured = _delivery(_body(), ts=int(time.time()) - 3600)  # genuine, captured an hour ago, never delivered
    assert "replay window" in _refused(rec, captured).reason
    ahead = _delivery(_body(), "d-2", ts=int(time.time()) + 3600)  # or signed for a time to come
    assert "replay window" in _refused(rec, ahead).reason
    assert _events(gov) == 0


def test_time_field_moved_breaks_the_signature(gov: Governance) -> None:
    rec = WebhookRecorder(gov, SECRET, registry_id=REGISTRY)
    old = _delivery(_body(), ts=int(time.time()) - 3600)
    moved = Delivery(old.body, {**old.headers, TIMESTAMP_HEADER: str(int(time.time()))})
    assert _refused(rec, moved).reason == "wrong signature"
    assert _events(gov) == 0


def test_replayed_recorded_delivery_is_recorded_once(gov: Governance) -> None:
    rec = WebhookRecorder(gov, SECRET, registry_id=REGISTRY)
    d = _delivery(_body())
    first = rec.handle(d)
    again = rec.handle(d)
    assert not first.duplicate and again.duplicate and again.id == first.id
    assert _events(gov) == 1


def test_body_or_delivery_id_grafted_onto_another_signature_is_refused(gov: Governance) -> None:
    rec = WebhookRecorder(gov, SECRET, registry_id=REGISTRY)
    genuine = _delivery(_body("3"), "d-1")
    other_body = Delivery(_body("4"), genuine.headers)  # alias now "points to" v4
    assert _refused(rec, other_body).reason == "wrong signature"
    other_id = Delivery(genuine.body, {**genuine.headers, DELIVERY_ID_HEADER: "d-9"})
    assert _refused(rec, other_id).reason == "wrong signature"
    byte = bytearray(genuine.body)
    byte[-3] ^= 1
    assert _refused(rec, Delivery(bytes(byte), genuine.headers)).reason == "wrong signature"
    assert _events(gov) == 0


def test_delivery_for_another_server_with_its_own_secret_is_refused(gov: Governance) -> None:
    rec = WebhookRecorder(gov, SECRET, registry_id=REGISTRY)
    for_b = _delivery(_body(), "d-b", secret="secret-of-registry-b-77aa")
    assert _refused(rec, for_b).reason == "wrong signature"
    assert _events(gov) == 0


@pytest.mark.parametrize("signature", ["", "v1,", "v0," + sign(SECRET, "d-1", "1", b"x")[3:], "v1,AAAA v1,BBBB"])
def test_malformed_or_downgraded_signature_is_refused(gov: Governance, signature: str) -> None:
    rec = WebhookRecorder(gov, SECRET, registry_id=REGISTRY)
    d = _delivery(_body())
    _refused(rec, Delivery(d.body, {**d.headers, SIGNATURE_HEADER: signature}))
    assert _events(gov) == 0


def test_no_secret_accepts_nothing(gov: Governance) -> None:
    rec = WebhookRecorder(gov, "", registry_id=REGISTRY)
    d = Delivery(_body(), {DELIVERY_ID_HEADER: "d-1", TIMESTAMP_HEADER: str(int(time.time())),
                           SIGNATURE_HEADER: sign("", "d-1", str(int(time.time())), _body())})
    _refused(rec, d)


def test_event_row_added_by_hand_is_caught(gov: Governance) -> None:
    """Someone who writes the governance database inserts an event no listener received."""
    rec = WebhookRecorder(gov, SECRET, registry_id=REGISTRY)
    rec.handle(_delivery(_body()))
    with gov.write_session() as s:
        s.add(SqlWebhookEvent(registry_kind="mlflow", registry_id=REGISTRY, event="model_version_alias.created",
                              payload=_body("4"), delivery_id="forged", headers="{}",
                              received_at="2026-01-01T00:00:00.000000Z", signature_ok=True, log_seq=0,
                              entry_hash="0" * 64))
    result = verify_log(gov, update_memory=False)
    assert any("webhook event row for audit-log entry 0" in p for p in result.problems), result.problems


def test_received_time_moved_in_the_row_is_caught(gov: Governance) -> None:
    rec = WebhookRecorder(gov, SECRET, registry_id=REGISTRY)
    first = rec.handle(_delivery(_body()))
    with gov.write_session() as s:
        row = s.get(SqlWebhookEvent, first.id)
        assert row is not None
        row.received_at = "2020-01-01T00:00:00.000000Z"  # an earlier arrival would narrow a change's window
    problems = verify_log(gov, update_memory=False).problems
    assert any(f"webhook event row for audit-log entry {first.log_seq} no longer matches" in p for p in problems)


def test_one_secret_configured_for_two_registries_is_detected(gov: Governance) -> None:
    """The same secret on two MLflow servers: a delivery captured from server A would be accepted
    by server B's listener. ``listen`` for B finds A's recorded deliveries signed with it."""
    from mlops_desktop.services.webhooks import registries_sharing_secret

    other = "sha256:" + "b" * 64
    WebhookRecorder(gov, SECRET, registry_id=REGISTRY).handle(_delivery(_body()))
    assert registries_sharing_secret(gov, SECRET, "mlflow", other) == [f"mlflow:{REGISTRY}"]
    assert registries_sharing_secret(gov, SECRET, "mlflow", REGISTRY) == []  # its own registry
    assert registries_sharing_secret(gov, "secret-of-registry-b-77aa", "mlflow", other) == []
    # a recorded row whose signature was edited does not make another secret look shared
    with gov.write_session() as s:
        row = s.scalars(sa.select(SqlWebhookEvent)).one()
        row.headers = json.dumps({**json.loads(row.headers or "{}"), SIGNATURE_HEADER: "v1,AAAA"})
    assert registries_sharing_secret(gov, SECRET, "mlflow", other) == []


def test_listen_warns_when_its_secret_signed_another_registrys_deliveries(tmp_path: Path, mlflow3_db: Path) -> None:
    import os
    import socket
    import subprocess
    import sys

    url = str(tmp_path / "gov.db")
    with open_governance(url) as g:
        WebhookRecorder(g, SECRET, registry_id=REGISTRY).handle(_delivery(_body()))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "HOOK_SECRET": SECRET}
    proc = subprocess.Popen([sys.executable, "-m", "mlops_desktop", "listen", "--port", str(port),
                             "--secret-env", "HOOK_SECRET", "--store", str(mlflow3_db), "--governance", url],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and "listening on" in proc.stdout.readline()
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
    assert f"also signed the deliveries recorded for mlflow:{REGISTRY}" in err, err
    assert "its own secret" in err and SECRET not in err
