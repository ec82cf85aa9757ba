"""The MLflow REST source against real ``mlflow server`` processes on copies of the fixture stores.

Servers start once per test session (they take a while): on the MLflow 3.17 SQLite store, on
the 2.17 store upgraded by ``mlflow db upgrade`` (the installed server refuses an old schema),
on the PostgreSQL-loaded 3.17 dump, and with ``--app-name basic-auth`` (behind a TLS front for
the certificate tests). Every test compares with what the SQL source reads from the same
database, and the servers' access logs prove only allow-listed read endpoints were called.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.cli.main import main
from mlops_desktop.core.errors import CancelledError, StoreError, UsageError
from mlops_desktop.sources.base import StoreUrl
from mlops_desktop.sources.mlflow_rest import (
    READ_ENDPOINTS,
    MlflowRestSource,
    RestClient,
    RestCredentials,
    is_read_endpoint,
    split_rest_url,
)
from tests.conftest import FIXTURES, IN_CI, POSTGRES_URL, file_sha256
from tests.mlflow_server import (
    EARLY,
    MlflowServer,
    Served,
    TlsFront,
    free_port,
    make_ca_and_cert,
    mlflow_available,
    start_rest_servers,
)

pytestmark = pytest.mark.skipif(not mlflow_available() and not IN_CI, reason="mlflow is not installed (test extra)")

OFFICER, OFFICER_PW = "officer", "read-only-pw-3c1d"
#: requests the test harness itself makes (readiness polls, creating the read-only user)
HARNESS = {("GET", "/health"), ("POST", "/api/2.0/mlflow/users/create")}
ENV_VARS = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN",
            "MLFLOW_TRACKING_SERVER_CERT_PATH", "MLFLOW_TRACKING_INSECURE_TLS", "MLFLOW_TRACKING_CLIENT_CERT_PATH")


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory, mlflow3_served: Served) -> Iterator[dict[str, Served]]:
    """The SQLite-backed servers (tests/mlflow_server.py start_rest_servers), started together
    (each takes seconds to boot), in the background when the session began; the one on the 3.17
    store is the session's shared server (tests/conftest.py)."""
    servers = EARLY.take("rest", lambda: start_rest_servers(tmp_path_factory.mktemp("mlflow-servers")))
    try:
        for s in [mlflow3_served, *servers.values()]:
            s.server.wait_ready()
        servers["auth"].server.create_user(OFFICER, OFFICER_PW)
        yield {"3.17": mlflow3_served, **servers}
    finally:
        # at the session's end: the shared server too, so that all of them exit at once
        MlflowServer.stop_all([s.server for s in [*servers.values(), mlflow3_served]])


def _pg_admin() -> Any:
    import sqlalchemy as sa

    return sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                            isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


def _pg_url(name: str) -> str:
    return f"{POSTGRES_URL.rsplit('/', 1)[0]}/{name}"


def _drop_pg_database(name: str) -> None:
    admin = _pg_admin()
    try:
        with admin.connect() as con:
            con.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def _start_postgres_server(root: Path) -> tuple[str, MlflowServer | None, Exception | None]:
    """A database loaded from the 3.17 dump and a server on it (started, maybe not yet answering):
    (database name, server, why PostgreSQL was not reachable)."""
    name = f"mlops_rest_{uuid.uuid4().hex[:10]}"
    try:
        admin = _pg_admin()
        try:
            with admin.connect() as con:
                con.exec_driver_sql(f'CREATE DATABASE "{name}"')
        finally:
            admin.dispose()
    except Exception as exc:  # noqa: BLE001 - the fixture skips (fails in CI) with it
        return name, None, exc
    try:
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", _pg_url(name), "-f",
                        str(FIXTURES / "mlflow-3.17-postgres.sql")], check=True, capture_output=True, timeout=300)
        server = MlflowServer(_pg_url(name).replace("postgresql://", "postgresql+psycopg://", 1), root).start()
    except BaseException:
        _drop_pg_database(name)
        raise
    return name, server, None


# begun in the background when the session's tests are known (tests/conftest.py)
EARLY.recipe(__file__, "served_postgres", "mlflow-pg", _start_postgres_server)


@pytest.fixture(scope="session")
def served_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server on a PostgreSQL database loaded from the 3.17 dump."""
    name, server, unreachable = EARLY.take("mlflow-pg",
                                           lambda: _start_postgres_server(tmp_path_factory.mktemp("mlflow-pg")))
    if unreachable is not None or server is None:
        if IN_CI:
            pytest.fail(f"PostgreSQL not reachable ({unreachable}); CI must have it running")
        pytest.skip(f"PostgreSQL not reachable ({type(unreachable).__name__})")
    try:
        server.wait_ready()
        yield Served(server, _pg_url(name).replace("postgresql://", "mlflow+postgresql://", 1), None)
    finally:
        # the session's end (torn down before the other session servers): all of them exit at once
        MlflowServer.terminate_all()
        server.stop()
        _drop_pg_database(name)


@pytest.fixture(autouse=True)
def _no_mlflow_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def inventory(capsys: pytest.CaptureFixture[str], store: str) -> dict[str, Any]:
    code, out, err = run_cli(capsys, "inventory", "--store", store, "--format", "json")
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


def without_store_line(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "stores"}


def open_rest(served_: Served) -> MlflowRestSource:
    return MlflowRestSource(StoreUrl("mlflow", served_.store))


# -- the catalog equals the SQL source's ----------------------------------------------------


@pytest.mark.parametrize("which", ["3.17", "2.17"])
def test_rest_inventory_equals_sql_inventory(capsys: pytest.CaptureFixture[str], served: dict[str, Served],
                                             which: str) -> None:
    s = served[which]
    rest = inventory(capsys, s.store)
    sql = inventory(capsys, s.sql_store)
    assert rest["stores"] == [{"kind": "mlflow", "url": s.store, "schema": "mlflow-server 3.17.2"}] or \
        rest["stores"][0]["url"] == s.store
    assert without_store_line(rest) == without_store_line(sql)
    assert len(rest["models"]) == len(sql["models"]) >= 5
    assert sum(len(m["versions"]) for m in rest["models"]) >= 10


def test_workspaces_read_like_the_sql_source(capsys: pytest.CaptureFixture[str], served: dict[str, Served]) -> None:
    s = served["workspaces"]
    rest = inventory(capsys, s.store)
    assert without_store_line(rest) == without_store_line(inventory(capsys, s.sql_store))
    names = [m["name"] for m in rest["models"]]
    assert "team-b/credit-limit" in names and "credit-limit" not in names
    team_b = next(m for m in rest["models"] if m["name"] == "team-b/credit-limit")
    assert team_b["versions"] and all(v["datasets"] for v in team_b["versions"] if v["run_id"])
    assert all(is_read_endpoint(m, p) for m, p, _ in s.server.requests_logged() if (m, p) not in HARNESS)
    assert file_sha256(s.db) == s.sha_before  # type: ignore[arg-type]


@pytest.mark.postgres
def test_rest_inventory_equals_sql_on_postgres(capsys: pytest.CaptureFixture[str], served_postgres: Served) -> None:
    rest = inventory(capsys, served_postgres.store)
    sql = inventory(capsys, served_postgres.sql_store)
    assert without_store_line(rest) == without_store_line(sql)
    assert {m["name"] for m in rest["models"]} >= {"fraud-detector", "ñandú-scorer ✓"}


def test_catalog_details_match_sql(served: dict[str, Served]) -> None:
    from mlops_desktop.sources.base import open_source

    s = served["3.17"]
    rest_src = open_rest(s)
    sql_src = open_source(s.sql_store)
    try:
        rest = rest_src.load_catalog(all_runs=True)
        sql = sql_src.load_catalog(all_runs=True)
        assert set(rest.runs) == set(sql.runs)
        for rid, run in sql.runs.items():
            other = rest.runs[rid]
            assert (other.params, other.tags, other.user, other.status, other.experiment_name,
                    other.parent_run_id, other.lifecycle_stage, other.start_time, other.end_time) == \
                (run.params, run.tags, run.user, run.status, run.experiment_name, run.parent_run_id,
                 run.lifecycle_stage, run.start_time, run.end_time)
            assert {k: (m.value, m.step) for k, m in other.metrics.items()} == \
                {k: (m.value, m.step) for k, m in run.metrics.items()}
            assert sorted(other.output_model_ids) == sorted(run.output_model_ids)
        assert {(e.experiment_id, e.name, e.lifecycle_stage) for e in rest.experiments.values()} == \
            {(e.experiment_id, e.name, e.lifecycle_stage) for e in sql.experiments.values()}
        assert {(m.model_id, m.name, m.source_run_id, m.artifact_location) for m in rest.logged_models.values()} == \
            {(m.model_id, m.name, m.source_run_id, m.artifact_location) for m in sql.logged_models.values()}
        assert {(d.name, d.digest, d.source, d.source_type) for d in rest.datasets.values()} == \
            {(d.name, d.digest, d.source, d.source_type) for d in sql.datasets.values()}
        assert rest_src.registry_id() == sql_src.registry_id() != ""  # decisions count for the same registry
        registry = rest_src.load_registry()
        assert [(m.name, [v.version for v in m.versions]) for m in registry.models] == \
            [(m.name, [v.version for v in m.visible_versions()]) for m in sql.models]
        run_id = sql.find_version("fraud-detector", "3").run_id  # type: ignore[union-attr]
        assert run_id is not None
        assert rest_src.metric_keys(run_id) == sql_src.metric_keys(run_id)
        for key in sql_src.metric_keys(run_id):
            assert [(h.value, h.step, h.timestamp) for h in rest_src.metric_history(run_id, key)] == \
                [(h.value, h.step, h.timestamp) for h in sql_src.metric_history(run_id, key)]
    finally:
        rest_src.close()
        sql_src.close()


def test_lineage_and_impact_equal_sql(capsys: pytest.CaptureFixture[str], served: dict[str, Served]) -> None:
    s = served["3.17"]
    code, rest_out, err = run_cli(capsys, "lineage", "--store", s.store)
    assert code == 0, err
    code, sql_out, err = run_cli(capsys, "lineage", "--store", s.sql_store)
    assert code == 0, err
    rest_g, sql_g = json.loads(rest_out), json.loads(sql_out)
    assert sorted(n["id"] for n in rest_g["nodes"]) == sorted(n["id"] for n in sql_g["nodes"])
    assert sorted((e["source"], e["target"], e["kind"]) for e in rest_g["edges"]) == \
        sorted((e["source"], e["target"], e["kind"]) for e in sql_g["edges"])
    dataset = next(n["id"] for n in sql_g["nodes"] if n["kind"] == "dataset")
    outs = []
    for store in (s.store, s.sql_store):
        code, out, err = run_cli(capsys, "impact", "--store", store, "--dataset", dataset, "--format", "json")
        assert code == 0, err
        outs.append(json.loads(out))
    assert outs[0] == outs[1]


# -- read-only: only allow-listed endpoints, database unchanged -------------------------------


def test_every_request_is_an_allow_listed_read(capsys: pytest.CaptureFixture[str], served: dict[str, Served]) -> None:
    s = served["3.17"]
    out = s.db.parent / "out"  # type: ignore[union-attr]
    out.mkdir(exist_ok=True)
    for argv in (["inventory", "--format", "json"], ["inventory", "--format", "table"], ["lineage"],
                 ["findings", "--format", "json"], ["diff", "--model", "fraud-detector", "--from", "2", "--to", "3"],
                 ["report", "--edition", "gdpr", "--out", str(out / "r.pdf")],
                 ["snapshot", "create", "--out", str(out / "s.mlsnap")]):
        if argv[0] == "snapshot":
            code, _, err = run_cli(capsys, "snapshot", "create", "--store", s.store, *argv[2:])
        else:
            code, _, err = run_cli(capsys, argv[0], "--store", s.store, *argv[1:])
        assert code in (0, 1), (argv, err)
    assert (out / "r.pdf").stat().st_size > 1000 and (out / "s.mlsnap").stat().st_size > 1000
    src = open_rest(s)
    try:
        catalog = src.load_catalog(all_runs=True)
        for run in catalog.runs.values():
            for key in src.metric_keys(run.run_id):
                src.metric_history(run.run_id, key)
    finally:
        src.close()
    logged = [r for r in s.server.requests_logged() if r[:2] not in HARNESS]
    assert len(logged) > 20
    offending = [(m, p) for m, p, _ in logged if not is_read_endpoint(m, p)]
    assert offending == []
    assert {m for m, _, _ in logged} <= {"GET", "POST"}
    assert {p for m, p, _ in logged if m == "POST"} <= {"/api/2.0/mlflow/runs/search",
                                                         "/api/2.0/mlflow/logged-models/search"}
    assert {"/api/2.0/mlflow/registered-models/search", "/api/2.0/mlflow/model-versions/search",
            "/api/2.0/mlflow/runs/search", "/api/2.0/mlflow/metrics/get-history"} <= {p for _, p, _ in logged}
    assert file_sha256(s.db) == s.sha_before  # type: ignore[arg-type]


def test_client_refuses_endpoints_outside_the_allow_list() -> None:
    client = RestClient("http://127.0.0.1:9", RestCredentials(), "mlflow+http://127.0.0.1:9")
    for method, path in [("POST", "/api/2.0/mlflow/runs/create"), ("POST", "/api/2.0/mlflow/registered-models/create"),
                         ("DELETE", "/api/2.0/mlflow/model-versions/delete"), ("GET", "/api/2.0/mlflow/users/get"),
                         ("PATCH", "/api/2.0/mlflow/logged-models/m-1")]:
        with pytest.raises(AssertionError, match="not an allow-listed read endpoint"):
            client.request(method, path)
    assert client.requests_made == 0
    assert all(m in {"GET", "POST"} for m, _ in READ_ENDPOINTS)
    assert is_read_endpoint("GET", "/api/2.0/mlflow-artifacts/artifacts/a/b/c.pkl")
    assert not is_read_endpoint("PUT", "/api/2.0/mlflow-artifacts/artifacts/a/b/c.pkl")


# -- basic auth, TLS, unreachable servers --------------------------------------------------------


def test_read_only_user_reads_everything(capsys: pytest.CaptureFixture[str], served: dict[str, Served],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    s = served["auth"]
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", OFFICER)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", OFFICER_PW)
    rest = inventory(capsys, s.store)
    assert without_store_line(rest) == without_store_line(inventory(capsys, s.sql_store))
    assert OFFICER_PW not in json.dumps(rest)
    assert file_sha256(s.db) == s.sha_before  # type: ignore[arg-type]


def test_no_login_and_wrong_password_are_one_line(capsys: pytest.CaptureFixture[str], served: dict[str, Served],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    s = served["auth"]
    code, out, err = run_cli(capsys, "inventory", "--store", s.store)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "needs a login" in err and "MLFLOW_TRACKING_USERNAME" in err
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", OFFICER)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "wrong-password-91")
    code, out, err = run_cli(capsys, "inventory", "--store", s.store, "--format", "json")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "refused the credentials (HTTP 401)" in err
    assert "Traceback" not in err and "wrong-password-91" not in err


def test_password_in_url_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UsageError, match="password inside the store URL"):
        split_rest_url("mlflow+https://officer:hunter2@mlflow.example.org")
    code, _, err = run_cli(capsys, "inventory", "--store", "mlflow+http://officer:hunter2@127.0.0.1:9")
    assert code == 2 and "hunter2" not in err and "MLFLOW_TRACKING_PASSWORD" in err
    assert split_rest_url("mlflow+https://mlflow.example.org:8443/tracking/") == \
        ("https://mlflow.example.org:8443/tracking", "mlflow+https://mlflow.example.org:8443/tracking")


def test_unreachable_server_fails_within_5_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()  # nothing listens there
    t0 = time.monotonic()
    code, out, err = run_cli(capsys, "inventory", "--store", f"mlflow+http://127.0.0.1:{port}")
    assert time.monotonic() - t0 < 5
    assert code == 2 and out == "" and err.count("\n") == 1 and "Cannot reach the MLflow server" in err
    # a server that accepts connections but never answers the TLS handshake or the request
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        client = RestClient(f"http://127.0.0.1:{silent.getsockname()[1]}", RestCredentials(), "silent",
                            read_timeout=1.0, max_retries=1, backoff=0.1)
        t0 = time.monotonic()
        with pytest.raises(StoreError, match="Cannot reach the MLflow server"):
            client.request("GET", "/version")
        assert time.monotonic() - t0 < 5
    finally:
        silent.close()


@pytest.fixture(scope="session")
def tls_front(served: dict[str, Served], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TlsFront, Path]]:
    ca, cert, key = make_ca_and_cert(tmp_path_factory.mktemp("tls"))
    front = TlsFront(served["auth"].server.port, cert, key)
    try:
        yield front, ca
    finally:
        front.close()


def test_tls_unknown_ca_refused_unless_its_file_is_given(capsys: pytest.CaptureFixture[str],
                                                         served: dict[str, Served],
                                                         tls_front: tuple[TlsFront, Path],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    front, ca = tls_front
    store = "mlflow+" + front.url
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", OFFICER)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", OFFICER_PW)
    code, out, err = run_cli(capsys, "inventory", "--store", store)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "TLS certificate" in err and "not trusted" in err and "MLFLOW_TRACKING_SERVER_CERT_PATH" in err
    monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", str(ca))
    rest = inventory(capsys, store)
    assert without_store_line(rest) == without_store_line(inventory(capsys, served["auth"].sql_store))
    monkeypatch.delenv("MLFLOW_TRACKING_SERVER_CERT_PATH")
    monkeypatch.setenv("MLFLOW_TRACKING_INSECURE_TLS", "true")  # explicitly asked for: accepted
    assert inventory(capsys, store)["models"] == rest["models"]


# -- artifacts through the server: the same digest as the local folder --------------------------------


def test_artifact_digest_through_the_server_equals_local(served: dict[str, Served],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from mlops_desktop.governance.digest import (
        METHOD_ARTIFACTS,
        model_signing_digest,
        subject_digest,
    )

    s = served["auth"]
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", OFFICER)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", OFFICER_PW)
    src = open_rest(s)
    try:
        catalog = src.load_catalog()
        v = catalog.find_version("fraud-detector", "3")
        assert v is not None and v.logged_model_id
        digest, count = src.artifact_digest(v, catalog)
        local = FIXTURES / "artifacts/mlflow-3.17/fraud-detector/models" / v.logged_model_id / "artifacts"
        assert (digest, count) == model_signing_digest(local)
        assert count >= 3
        # the digest an approval signs: the artifacts method, through the server
        sd = subject_digest(catalog, v)
        assert (sd.method, sd.digest, sd.files) == (METHOD_ARTIFACTS, digest, count)
        assert sd.local_path is None
    finally:
        src.close()
    paths = [p for _, p, _ in s.server.requests_logged()]
    assert any(p.endswith("/artifacts/files") for p in paths)
    assert all(is_read_endpoint(m, p) for m, p, _ in s.server.requests_logged() if (m, p) not in HARNESS)


# -- retries, concurrency, cancel ------------------------------------------------------------------------


class FlakyFront:
    """A plain TCP relay that answers the first request of each connection-less burst with 503/429."""

    def __init__(self, backend_port: int, failures: int, status: str) -> None:
        self.backend_port = backend_port
        self.failures = failures
        self.status = status
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.failed = 0
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        import select

        if self.failed < self.failures:
            self.failed += 1
            conn.recv(65536)
            body = b'{"error_code": "TEMPORARILY_UNAVAILABLE"}'
            conn.sendall(f"HTTP/1.1 {self.status}\r\nContent-Type: application/json\r\nRetry-After: 0\r\n"
                         f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
            conn.close()
            return
        back = socket.create_connection(("127.0.0.1", self.backend_port))
        try:
            while True:
                ready = select.select([conn, back], [], [], 5)[0]
                if not ready:
                    break
                for src_sock, dst in ((conn, back), (back, conn)):
                    if src_sock in ready:
                        data = src_sock.recv(65536)
                        if not data:
                            return
                        dst.sendall(data)
        except OSError:
            pass
        finally:
            back.close()
            conn.close()

    def close(self) -> None:
        self._stop = True
        self.sock.close()


@pytest.mark.parametrize("status", ["503 Service Unavailable", "429 Too Many Requests"])
def test_retries_with_backoff_on_429_and_5xx(served: dict[str, Served], status: str) -> None:
    front = FlakyFront(served["3.17"].server.port, failures=3, status=status)
    try:
        src = MlflowRestSource(StoreUrl("mlflow", f"mlflow+http://127.0.0.1:{front.port}"))
        catalog = src.load_registry()
        src.close()
        assert front.failed == 3
        assert catalog is not None and len(catalog.models) == 8
    finally:
        front.close()


def test_retries_give_up_with_a_clear_message(served: dict[str, Served]) -> None:
    front = FlakyFront(served["3.17"].server.port, failures=100, status="503 Service Unavailable")
    try:
        t0 = time.monotonic()
        with pytest.raises(StoreError, match="answered HTTP 503"):
            client = RestClient(f"http://127.0.0.1:{front.port}", RestCredentials(), "flaky", backoff=0.05)
            client.request("GET", "/version")
        assert time.monotonic() - t0 < 5
        assert front.failed == 5  # the first try and four retries
    finally:
        front.close()


def test_concurrency_is_bounded_and_results_keep_their_order() -> None:
    client = RestClient("http://127.0.0.1:9", RestCredentials(), "x", concurrency=3)
    in_flight = peak = 0
    lock = threading.Lock()

    def work(i: int) -> int:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.02)
        with lock:
            in_flight -= 1
        return i * i

    assert client.map(work, list(range(30))) == [i * i for i in range(30)]
    assert peak == 3


def test_cancel_stops_loading(served: dict[str, Served]) -> None:
    src = open_rest(served["3.17"])
    calls: list[str] = []
    try:
        with pytest.raises(CancelledError):
            src.load_catalog(lambda d, t, m: calls.append(m), lambda: len(calls) >= 2)
    finally:
        src.close()
    assert len(calls) == 2


def test_credentials_never_in_repr_or_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "officer")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "s3cret-pw")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tok-123")
    creds = RestCredentials.from_env()
    assert "s3cret-pw" not in repr(creds) and "tok-123" not in repr(creds)
    assert creds.insecure_tls is False  # off unless asked for
    assert RestCredentials.from_env({"MLFLOW_TRACKING_INSECURE_TLS": "true"}).insecure_tls is True


# -- approvals over REST: signed on the server's catalog, verified there, and bound to its registry ----


def test_approve_and_verify_over_rest(served: dict[str, Served], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    s = served["auth"]
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", OFFICER)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", OFFICER_PW)
    monkeypatch.setenv("MLOPS_DESKTOP_PASSPHRASE", "correct staple horse battery 42")
    monkeypatch.setenv("MLOPS_DESKTOP_GOVERNANCE_URL", str(tmp_path / "gov.db"))

    def key(name: str) -> str:
        return str(tmp_path / f"{name}.key")

    for name in ("admin", "alice", "bob"):
        assert run_cli(capsys, "keys", "create", "--out", key(name), "--name", name,
                       "--email", f"{name}@example.org")[0] == 0
    assert run_cli(capsys, "trust", "init", "--admin", key("admin") + ".pub")[0] == 0
    for name in ("alice", "bob"):
        code, _, err = run_cli(capsys, "trust", "add", "--key", key("admin"), "--signer", key(name) + ".pub",
                               "--identity", f"{name}@example.org", "--role", "approver")
        assert code == 0, err
    target = ("--model", "fraud-detector", "--version", "3", "--target", "Production")
    before = len(s.server.requests_logged())
    for name in ("alice", "bob"):
        code, out, err = run_cli(capsys, "approve", "--store", s.store, *target, "--reason", "validated",
                                 "--regime", "gdpr", "--key", key(name))
        assert code == 0, err
        # the subject is the model's files, hashed through the server's artifact proxy
        assert "subject digest (model-signing-v1/files-sha256)" in out
    code, out, err = run_cli(capsys, "verify", "--store", s.store, *target, "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["ok"] and len(report["approvals"]) == 2
    # the decisions name the registry the server serves: the same identity the SQL source derives
    # from the same database, so they count there too, and nowhere else
    from mlops_desktop.sources.base import open_source

    with open_source(s.sql_store) as src:
        sql_registry = src.registry_id()
    rest = open_rest(s)
    try:
        assert rest.registry_id() == sql_registry
    finally:
        rest.close()
    code, out, err = run_cli(capsys, "approvals", "list", "--store", s.store, "--format", "json")
    assert code == 0, err
    assert {(r["registry"]["kind"], r["registry"]["id"]) for r in json.loads(out)} == {("mlflow", sql_registry)}
    # another version is not covered by these decisions
    code, out, err = run_cli(capsys, "verify", "--store", s.store, "--model", "fraud-detector", "--version", "2",
                             "--target", "Production")
    assert code == 1
    # approving and verifying only ever read from the server
    assert all(is_read_endpoint(m, p) for m, p, _ in s.server.requests_logged()[before:] if (m, p) not in HARNESS)
    assert s.db is not None and file_sha256(s.db) == s.sha_before
