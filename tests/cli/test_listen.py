"""``listen``: a real ``mlflow server`` delivers registry webhooks to ``listen`` run as a process.

The server is told to deliver to 127.0.0.1 over HTTP (MLFLOW_WEBHOOK_ALLOWED_SCHEMES,
MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS), to re-read its webhook list every second and to retry a
refused delivery long enough to outlast a receiver restart (MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.cli.main import main
from mlops_desktop.governance.audit import verify_log
from mlops_desktop.governance.store import open_governance
from mlops_desktop.services.webhooks import sign
from tests.mlflow_server import EARLY, MlflowServer, free_port, mlflow_available

pytestmark = pytest.mark.skipif(not mlflow_available(), reason="mlflow is not installed in this environment")

SECRET = "webhook-secret-for-tests-only-9c1e"
EVENTS = ["registered_model.created", "model_version.created", "model_version_tag.set",
          "model_version_alias.created"]


def _start_server(work: Path) -> MlflowServer:
    env = {"MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https", "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
           "MLFLOW_WEBHOOK_CACHE_TTL": "1", "MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES": "7"}
    return MlflowServer(f"sqlite:///{work / 'mlflow.db'}", work, extra_env=env).start()


# begun in the background when the session's tests are known (tests/conftest.py)
EARLY.recipe(__file__, "server", "mlflow-webhooks", _start_server)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    srv = EARLY.take("mlflow-webhooks", lambda: _start_server(tmp_path_factory.mktemp("mlflow-webhooks")))
    try:
        yield srv.wait_ready()
    finally:
        srv.stop()


class Listener:
    def __init__(self, tmp: Path, gov: Path, port: int, store: str | None) -> None:
        self.tmp, self.gov, self.port, self.store = tmp, gov, port, store
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> Listener:
        self.runs += 1
        cmd = [sys.executable, "-m", "mlops_desktop", "listen", "--port", str(self.port), "--secret-env",
               "HOOK_SECRET", "--governance", str(self.gov)]
        if self.store:
            cmd += ["--store", self.store]
        env = {**os.environ, "HOOK_SECRET": SECRET}
        out = (self.tmp / f"listen-{self.runs}.out").open("wb")
        err = (self.tmp / f"listen-{self.runs}.err").open("wb")
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        out.close()
        err.close()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.stderr()
            try:
                with urllib.request.urlopen(self.url, timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("listen did not start: " + self.stderr())

    def stderr(self) -> str:
        return "".join((self.tmp / f"listen-{i}.err").read_text() for i in range(1, self.runs + 1))

    def stdout(self) -> str:
        return "".join((self.tmp / f"listen-{i}.out").read_text() for i in range(1, self.runs + 1))

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(20)

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)


@pytest.fixture
def listener(tmp_path: Path, server: MlflowServer) -> Iterator[Listener]:
    lst = Listener(tmp_path, tmp_path / "gov.db", free_port(), f"mlflow+{server.url}")
    try:
        yield lst.start()
    finally:
        lst.stop()


def events(gov: Path) -> list[dict[str, Any]]:
    con = sqlite3.connect(gov)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("SELECT * FROM webhook_events ORDER BY id")]
    finally:
        con.close()


def wait_for(gov: Path, n: int, timeout: float = 90) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        rows = events(gov)
        if len(rows) >= n:
            return rows
        time.sleep(0.2)
    raise AssertionError(f"{len(rows)} of {n} events recorded: {[r['event'] for r in rows]}")


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def signed(body: bytes, *, secret: str = SECRET, delivery_id: str | None = None,
           timestamp: int | None = None) -> dict[str, str]:
    did = delivery_id or str(uuid.uuid4())
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"X-MLflow-Delivery-Id": did, "X-MLflow-Timestamp": ts, "X-MLflow-Signature": sign(secret, did, ts, body)}


def payload(name: str, version: str = "1", **extra: Any) -> bytes:
    return json.dumps({"entity": "model_version", "action": "created", "timestamp": datetime.now(UTC).isoformat(),
                       "data": {"name": name, "version": version, "source": "s3://b/m", "run_id": None, "tags": {},
                                "description": None, **extra}}).encode()


def registry_id_of(server: MlflowServer) -> str:
    from mlops_desktop.sources.base import open_source

    with open_source(f"mlflow+{server.url}") as src:
        return src.registry_id()


def audit_problems(gov: Path) -> list[str]:
    with open_governance(str(gov)) as g:
        return verify_log(g, update_memory=False).problems


def client(server: MlflowServer) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(server.url, registry_uri=server.url)


@pytest.fixture
def webhook(server: MlflowServer, listener: Listener) -> Iterator[Any]:
    c = client(server)
    wh = c.create_webhook(name=f"listen-{uuid.uuid4().hex[:8]}", url=listener.url, events=EVENTS, secret=SECRET)
    time.sleep(1.5)  # the server's webhook list cache (TTL 1 s) must see it
    try:
        yield wh
    finally:
        c.delete_webhook(wh.webhook_id)


# ---------------------------------------------------------------------------------------- tests


def test_real_server_deliveries_are_recorded_once_with_exact_time(server: MlflowServer, listener: Listener,
                                                                  webhook: Any) -> None:
    c = client(server)
    name = f"fraud-{uuid.uuid4().hex[:6]}"
    before = datetime.now(UTC)
    c.create_registered_model(name)
    mv = c.create_model_version(name, "s3://bucket/fraud/1")
    c.set_model_version_tag(name, mv.version, "validation", "passed")
    c.set_registered_model_alias(name, "champion", mv.version)
    rows = wait_for(listener.gov, 4)
    time.sleep(2)  # nothing more arrives (no doubles)
    rows = events(listener.gov)
    after = datetime.now(UTC)
    assert sorted(r["event"] for r in rows) == sorted(EVENTS)
    assert len({r["delivery_id"] for r in rows}) == 4
    rid = registry_id_of(server)
    assert rid.startswith("sha256:")
    for row in rows:
        body = bytes(row["payload"])
        headers = json.loads(row["headers"])
        # stored byte for byte: the stored signature still checks against the stored body
        assert headers["X-MLflow-Signature"] == sign(SECRET, row["delivery_id"], headers["X-MLflow-Timestamp"], body)
        assert json.loads(body)["data"]["name"] == name
        assert row["registry_kind"] == "mlflow" and row["registry_id"] == rid and row["signature_ok"] == 1
        when = datetime.fromisoformat(row["received_at"].replace("Z", "+00:00"))
        assert before <= when <= after
        assert len(row["received_at"]) == len("2026-01-01T00:00:00.000000Z")  # microseconds
    alias = next(r for r in rows if r["event"] == "model_version_alias.created")
    assert json.loads(bytes(alias["payload"]))["data"] == {"name": name, "alias": "champion", "version": mv.version}
    assert audit_problems(listener.gov) == []
    out = listener.stdout()
    assert out.count(" recorded (audit-log entry ") == 4 and f"{name}/{mv.version}" in out
    assert listener.stop() == 0  # SIGTERM: a clean stop
    assert "stopped listening" in listener.stderr()


def test_wrong_missing_or_stale_signature_is_rejected_and_logged(listener: Listener) -> None:
    body = payload("churn")
    cases = {
        "wrong secret": signed(body, secret="not-the-secret"),
        "missing": {"X-MLflow-Delivery-Id": str(uuid.uuid4()), "X-MLflow-Timestamp": str(int(time.time()))},
        "stale": signed(body, timestamp=int(time.time()) - 3600),
    }
    for what, headers in cases.items():
        status, answer = post(listener.url, body, headers)
        assert status == 401, what
        assert answer["recorded"] is False
    # a correct signature over another body: the body was altered in transit
    good = signed(body)
    status, _ = post(listener.url, body.replace(b"churn", b"churm"), good)
    assert status == 401
    assert events(listener.gov) == []
    err = listener.stderr()
    assert err.count("mlops-desktop: rejected delivery") == 4
    assert "wrong signature" in err and "missing X-MLflow-Signature" in err and "replay window" in err
    con = sqlite3.connect(listener.gov)
    try:
        rejects = [json.loads(r[0]) for r in con.execute("SELECT entry FROM log_entries WHERE action='webhook.reject'")]
    finally:
        con.close()
    assert len(rejects) == 4
    assert {e["details"]["reason"] for e in rejects} >= {"wrong signature", "missing X-MLflow-Signature header"}
    # the genuine delivery is then accepted once, and a re-send of it is answered 200 and not stored again
    status, first = post(listener.url, body, good)
    assert status == 200 and first["duplicate"] is False
    status, again = post(listener.url, body, good)
    assert status == 200 and again["duplicate"] is True and again["id"] == first["id"]
    assert len(events(listener.gov)) == 1
    assert audit_problems(listener.gov) == []


def test_kill_9_loses_no_acknowledged_delivery(tmp_path: Path, server: MlflowServer) -> None:
    lst = Listener(tmp_path, tmp_path / "gov.db", free_port(), None).start()
    sent: list[tuple[bytes, dict[str, str]]] = [(payload(f"m{i}"), {}) for i in range(200)]
    sent = [(b, signed(b)) for b, _ in sent]
    acked: list[str] = []
    stop = threading.Event()

    def sender() -> None:
        for body, headers in sent:
            if stop.is_set():
                return
            try:
                status, _ = post(lst.url, body, headers)
            except OSError:
                return
            if status == 200:
                acked.append(headers["X-MLflow-Delivery-Id"])

    thread = threading.Thread(target=sender)
    thread.start()
    deadline = time.monotonic() + 60
    while len(acked) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    lst.kill9()
    stop.set()
    thread.join(60)
    assert 20 <= len(acked) < len(sent)
    recorded = {r["delivery_id"] for r in events(lst.gov)}
    assert set(acked) <= recorded  # every acknowledged delivery was committed before its answer
    assert audit_problems(lst.gov) == []
    lst.start()
    for body, headers in sent:  # the sender re-sends all: recorded ones are answered as duplicates
        status, answer = post(lst.url, body, headers)
        assert status == 200
        assert answer["duplicate"] is (headers["X-MLflow-Delivery-Id"] in recorded)
    rows = events(lst.gov)
    assert len(rows) == len(sent)
    assert sorted(r["delivery_id"] for r in rows) == sorted(h["X-MLflow-Delivery-Id"] for _, h in sent)
    # and the MLflow server's own retries carry a change made while the receiver is down
    c = client(server)
    wh = c.create_webhook(name=f"restart-{uuid.uuid4().hex[:8]}", url=lst.url, events=EVENTS, secret=SECRET)
    try:
        time.sleep(1.5)
        lst.kill9()
        name = f"while-down-{uuid.uuid4().hex[:6]}"
        c.create_registered_model(name)
        time.sleep(1)
        lst.start()
        rows = wait_for(lst.gov, len(sent) + 1, timeout=150)
        assert [json.loads(bytes(r["payload"]))["data"]["name"] for r in rows[len(sent):]] == [name]
        assert rows[-1]["registry_id"] == ""  # no --store: the registry is not recorded
    finally:
        c.delete_webhook(wh.webhook_id)
        lst.stop()
    assert audit_problems(lst.gov) == []


def test_edited_event_row_is_caught_by_audit_verify(listener: Listener, capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(2):
        body = payload(f"credit-{i}")
        assert post(listener.url, body, signed(body))[0] == 200
    listener.stop()
    assert audit_problems(listener.gov) == []
    con = sqlite3.connect(listener.gov)
    with con:
        row = con.execute("SELECT id, payload FROM webhook_events ORDER BY id LIMIT 1").fetchone()
        con.execute("UPDATE webhook_events SET payload = ? WHERE id = ?",
                    (bytes(row[1]).replace(b"credit-0", b"credit-9"), row[0]))
    con.close()
    problems = audit_problems(listener.gov)
    assert any("webhook event row" in p and "edited" in p for p in problems), problems
    code = main(["audit", "verify", "--governance", str(listener.gov)])
    _out, err = capsys.readouterr()
    assert code == 1
    con = sqlite3.connect(listener.gov)
    with con:
        con.execute("DELETE FROM webhook_events WHERE id = (SELECT MAX(id) FROM webhook_events)")
    con.close()
    assert any("webhook event" in p and "missing" in p for p in audit_problems(listener.gov))


def test_bad_setup_gives_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    gov = str(tmp_path / "gov.db")
    monkeypatch.delenv("HOOK_SECRET", raising=False)
    assert main(["listen", "--port", str(free_port()), "--secret-env", "HOOK_SECRET", "--governance", gov]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "HOOK_SECRET is not set" in err
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert main(["listen", "--port", str(port), "--secret-env", "HOOK_SECRET", "--governance", gov]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"Port {port} on 127.0.0.1 is already in use" in err
    assert main(["listen", "--port", "70000", "--secret-env", "HOOK_SECRET", "--governance", gov]) == 2
    assert "is not a TCP port" in capsys.readouterr().err
    assert main(["listen", "--port", str(free_port()), "--secret-env", "HOOK_SECRET", "--governance", gov,
                 "--store", "openlineage:" + str(tmp_path)]) == 2
    assert "webhooks come from MLflow registries" in capsys.readouterr().err


def test_alias_change_window_ends_at_the_delivery_that_announced_it(server: MlflowServer, listener: Listener,
                                                                   webhook: Any,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The journal sees an alias move only between two observations; the webhook delivery
    recorded by listen in between ends its window (a delivery naming another version does not)."""
    c = client(server)
    name = f"credit-{uuid.uuid4().hex[:6]}"
    c.create_registered_model(name)
    v1 = c.create_model_version(name, "s3://bucket/credit/1")
    v2 = c.create_model_version(name, "s3://bucket/credit/2")
    c.set_registered_model_alias(name, "champion", v1.version)
    before = wait_for(listener.gov, 4)
    store = f"mlflow+{server.url}"
    gov = str(listener.gov)

    def observe() -> dict[str, Any]:
        assert main(["observe", "--store", store, "--governance", gov, "--format", "json"]) == 0
        [result] = json.loads(capsys.readouterr().out)["observations"]
        assert result["changed"]
        return dict(result["observation"])

    first = observe()
    c.set_registered_model_alias(name, "champion", v2.version)
    rows = wait_for(listener.gov, len(before) + 1)
    [delivery] = [r for r in rows[len(before):] if r["event"] == "model_version_alias.created"]
    # a later delivery about the same alias naming another version is not this change
    body = json.dumps({"entity": "model_version_alias", "action": "created", "timestamp": datetime.now(UTC).isoformat(),
                       "data": {"name": name, "alias": "champion", "version": v1.version}}).encode()
    assert post(listener.url, body, signed(body))[0] == 200
    time.sleep(0.05)
    second = observe()
    assert main(["history", "--store", store, "--governance", gov, "--model", name, "--format", "json"]) == 0
    [change] = json.loads(capsys.readouterr().out)["changes"]
    assert (change["kind"], change["alias"], change["from"], change["to"]) == ("alias", "champion", v1.version,
                                                                               v2.version)
    w = change["window"]
    assert w["after"] == first["observed_at"] and w["at_or_before"] == delivery["received_at"]
    assert w["at_or_before"] < second["observed_at"] and not w["exact"]
    assert w["narrowed_by"] == f"the webhook delivery {delivery['delivery_id']} received at {delivery['received_at']}"
    assert w["observation_window"] == [first["observed_at"], second["observed_at"]]
    assert "only the observation window is known" not in change["text"]


def test_stage_change_over_rest_is_narrowed_by_last_updated_time(server: MlflowServer, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Observed through the server's REST API, a stage transition's window ends at the version's
    last_updated_time as MLflow's own client reports it."""
    import warnings

    c = client(server)
    name = f"churn-{uuid.uuid4().hex[:6]}"
    c.create_registered_model(name)
    mv = c.create_model_version(name, "s3://bucket/churn/1")
    store, gov = f"mlflow+{server.url}", str(tmp_path / "gov.db")
    assert main(["observe", "--store", store, "--governance", gov, "--format", "json"]) == 0
    [first] = json.loads(capsys.readouterr().out)["observations"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        moved = c.transition_model_version_stage(name, mv.version, "Production")
    assert main(["observe", "--store", store, "--governance", gov, "--format", "json"]) == 0
    [second] = json.loads(capsys.readouterr().out)["observations"]
    assert main(["history", "--store", store, "--governance", gov, "--model", name, "--format", "json"]) == 0
    [change] = json.loads(capsys.readouterr().out)["changes"]
    ended = datetime.fromtimestamp(int(moved.last_updated_timestamp) / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert (change["kind"], change["version"], change["to"]) == ("stage", mv.version, "Production")
    assert change["window"]["after"] == first["observation"]["observed_at"]
    assert change["window"]["at_or_before"] == ended < second["observation"]["observed_at"]
    assert change["window"]["narrowed_by"] == "the version's last_updated_time"
