"""A real ``mlflow server`` on 127.0.0.1 (a free port) for the REST source tests and benchmark.

The server's access log (uvicorn's, on stdout) is kept in a file so tests can read back every
request it answered. Optional: ``--app-name basic-auth`` with a read-only user, and a TLS
front (a small TLS-terminating TCP relay with a self-signed CA made with ``cryptography``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import select
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<target>\S+) HTTP/[0-9.]+" (?P<status>\d{3})')
ADMIN_PASSWORD = "admin-pw-for-tests-only-7f3a"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mlflow_available() -> bool:
    return shutil.which("mlflow", path=str(Path(sys.executable).parent)) is not None


_STARTED: list[MlflowServer] = []
_STARTED_LOCK = threading.Lock()


@dataclass(eq=False)
class MlflowServer:
    backend_uri: str
    workdir: Path
    app_name: str | None = None
    extra_args: tuple[str, ...] = ()
    #: environment variables for the server process (on top of this process's)
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"mlflow-server-{self.port}.log"

    def start(self) -> MlflowServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        exe = Path(sys.executable).parent / "mlflow"
        cmd = [str(exe), "server", "--backend-store-uri", self.backend_uri, "--host", "127.0.0.1",
               "--port", str(self.port), "--workers", "1",
               "--default-artifact-root", (self.workdir / "default-artifacts").as_uri(), *self.extra_args]
        # no job-runner processes (huey consumers): the tests only read, and each runner costs ~280 MB
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true",
               "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", **self.extra_env}
        for var in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"):
            env.pop(var, None)
        if self.app_name == "basic-auth":
            ini = self.workdir / "basic_auth.ini"
            ini.write_text(
                "[mlflow]\ndefault_permission = READ\n"
                f"database_uri = sqlite:///{self.workdir / 'basic_auth.db'}\n"
                f"admin_username = admin\nadmin_password = {ADMIN_PASSWORD}\n"
                "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
                # MLflow's own cache of successful credential checks (off by default): without it
                # every request pays several scrypt password checks (the login and each permission
                # lookup re-authenticate), ~0.3 s of CPU; a wrong password is never cached
                "auth_cache_ttl_seconds = 3600\n"
            )
            env["MLFLOW_AUTH_CONFIG_PATH"] = str(ini)
            env["MLFLOW_FLASK_SERVER_SECRET_KEY"] = "tests-only-secret"
            cmd += ["--app-name", "basic-auth"]
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir, env=env,
                                     start_new_session=True)
        log.close()
        with _STARTED_LOCK:
            _STARTED.append(self)
        return self

    @staticmethod
    def terminate_all() -> None:
        """Ask every server this process started and has not stopped to exit, without waiting:
        for the session's end, where session fixtures stop theirs one after another."""
        with _STARTED_LOCK:
            live = list(_STARTED)
        for server in live:
            server.terminate()

    def wait_ready(self, timeout: float = 420.0) -> MlflowServer:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited ({self.proc.returncode}):\n{self.log_path.read_text()[-3000:]}")
            try:
                if requests.get(self.url + "/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"mlflow server did not start in {timeout:.0f} s:\n{self.log_path.read_text()[-3000:]}")

    def terminate(self) -> None:
        """Ask the server to exit, without waiting (``stop`` waits)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(10)
        self.proc = None
        with _STARTED_LOCK:
            if self in _STARTED:
                _STARTED.remove(self)

    @staticmethod
    def stop_all(servers: list[MlflowServer]) -> None:
        """Stop several servers at once: each takes seconds to exit, so all are asked first."""
        for server in servers:
            server.terminate()
        for server in servers:
            server.stop()

    def requests_logged(self) -> list[tuple[str, str, int]]:
        """``(method, path without query, status)`` of every request in the access log."""
        out = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            m = ACCESS_LINE.search(line)
            if m:
                out.append((m["method"], m["target"].split("?", 1)[0], int(m["status"])))
        return out

    def create_user(self, username: str, password: str) -> None:
        resp = requests.post(self.url + "/api/2.0/mlflow/users/create", json={"username": username, "password": password},
                             auth=("admin", ADMIN_PASSWORD), timeout=180)
        resp.raise_for_status()


class Served:
    """One server with the database it serves and that database's bytes before it started."""

    def __init__(self, server: MlflowServer, sql_store: str, db: Path | None) -> None:
        self.server = server
        self.sql_store = sql_store
        self.db = db
        self.sha_before = hashlib.sha256(db.read_bytes()).hexdigest() if db else ""

    @property
    def store(self) -> str:
        return "mlflow+" + self.server.url


FIXTURES = Path(__file__).parent / "fixtures"


def start_mlflow3(root: Path) -> Served:
    """A server (started, maybe not yet answering) on a copy of the MLflow 3.17 SQLite store."""
    db = root / "mlflow-3.17.db"
    shutil.copyfile(FIXTURES / "mlflow-3.17-sqlite.db", db)
    served = Served(MlflowServer(f"sqlite:///{db}", root / "server"), f"mlflow+sqlite:///{db}", db)
    served.server.start()
    return served


def upgrade_store(db: Path) -> None:
    exe = Path(sys.executable).parent / "mlflow"
    subprocess.run([str(exe), "db", "upgrade", f"sqlite:///{db}"], check=True, capture_output=True, timeout=600)


def start_rest_servers(root: Path) -> dict[str, Served]:
    """The REST source tests' servers (started, maybe not yet answering): on the 2.17 store
    upgraded by ``mlflow db upgrade`` (the installed server refuses an old schema), on a copy of
    the 3.17 store with a second workspace (``--enable-workspaces``), and with
    ``--app-name basic-auth`` on a copy whose logged models' artifacts are behind the server."""
    db2 = root / "mlflow-2.17-upgraded.db"
    shutil.copyfile(FIXTURES / "mlflow-2.17-sqlite.db", db2)
    upgrade_store(db2)
    # the auth server's copy keeps its logged models' artifacts behind the server's artifact proxy
    # (mlflow-artifacts:/...), served from a copy of the fixture artifacts: reachable only through it
    dba = root / "mlflow-3.17-auth.db"
    shutil.copyfile(FIXTURES / "mlflow-3.17-sqlite.db", dba)
    arts = root / "artifacts"
    shutil.copytree(FIXTURES / "artifacts" / "mlflow-3.17", arts)
    con = sqlite3.connect(dba)
    with con:
        con.execute("UPDATE logged_models SET artifact_location = replace(artifact_location, "
                    "'/srv/mlflow/artifacts/', 'mlflow-artifacts:/')")
    con.close()
    # a second workspace holding one model and its experiment, for a server with workspaces enabled
    dbw = root / "mlflow-3.17-workspaces.db"
    shutil.copyfile(FIXTURES / "mlflow-3.17-sqlite.db", dbw)
    con = sqlite3.connect(dbw)
    with con:
        con.execute("INSERT INTO workspaces (name, description) VALUES ('team-b', 'second team')")
        for table in ("registered_models", "model_versions", "registered_model_tags", "registered_model_aliases",
                      "model_version_tags"):
            con.execute(f"UPDATE {table} SET workspace = 'team-b' WHERE name = 'credit-limit'")
        con.execute("UPDATE experiments SET workspace = 'team-b' WHERE name = '/lending/credit-limit'")
    con.close()
    servers = {
        "workspaces": Served(MlflowServer(f"sqlite:///{dbw}", root / "sw", extra_args=("--enable-workspaces",)),
                             f"mlflow+sqlite:///{dbw}", dbw),
        "2.17": Served(MlflowServer(f"sqlite:///{db2}", root / "s2"), f"mlflow+sqlite:///{db2}", db2),
        "auth": Served(MlflowServer(f"sqlite:///{dba}", root / "sa", app_name="basic-auth",
                                    extra_args=("--artifacts-destination", str(arts))),
                       f"mlflow+sqlite:///{dba}", dba),
    }
    try:
        for s in servers.values():
            s.server.start()
    except BaseException:
        MlflowServer.stop_all([s.server for s in servers.values()])
        raise
    return servers


def _servers_of(value: Any) -> list[MlflowServer]:
    found = list(value.values()) if isinstance(value, dict) else list(value) if isinstance(value, tuple) else [value]
    return [v.server if isinstance(v, Served) else v for v in found if isinstance(v, Served | MlflowServer)]


class Early:
    """Servers started in a background thread as soon as the session's tests are known
    (tests/conftest.py), so they boot on the other core while earlier tests run; the fixture
    that needs them takes them (or starts them itself when nothing was begun)."""

    def __init__(self) -> None:
        self._jobs: dict[str, tuple[threading.Thread, list[tuple[Any, BaseException | None]]]] = {}
        self.recipes: dict[str, tuple[Path, str, Callable[[Path], Any]]] = {}

    def recipe(self, module_file: str, fixture: str, name: str, make: Callable[[Path], Any]) -> None:
        """Have ``make(a fresh folder)`` begun when a collected test of ``module_file`` uses
        ``fixture``; that fixture then takes ``name``."""
        self.recipes[name] = (Path(module_file).resolve(), fixture, make)

    def begin(self, name: str, make: Callable[[], Any]) -> None:
        box: list[tuple[Any, BaseException | None]] = []

        def run() -> None:
            try:
                box.append((make(), None))
            except BaseException as exc:  # noqa: BLE001 - raised again in the fixture that takes it
                box.append((None, exc))

        thread = threading.Thread(target=run, name=f"early-{name}", daemon=True)
        thread.start()
        self._jobs[name] = (thread, box)

    def take(self, name: str, make: Callable[[], Any]) -> Any:
        job = self._jobs.pop(name, None)
        if job is None:
            return make()
        thread, box = job
        thread.join()
        value, exc = box[0]
        if exc is not None:
            raise exc
        return value

    def stop_untaken(self) -> None:
        """Stop what was begun but never taken (its tests were not run)."""
        servers: list[MlflowServer] = []
        for name in list(self._jobs):
            thread, box = self._jobs.pop(name)
            thread.join()
            if box and box[0][1] is None:
                servers += _servers_of(box[0][0])
        MlflowServer.stop_all(servers)


EARLY = Early()


# -- TLS front -----------------------------------------------------------------------------


def make_ca_and_cert(folder: Path) -> tuple[Path, Path, Path]:
    """A self-signed CA and a server certificate for 127.0.0.1 signed by it: (ca, cert, key)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mlops-desktop test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca_path, cert_path, key_path


class TlsFront:
    """Terminates TLS on 127.0.0.1:<port> and relays the bytes to a plain backend port."""

    def __init__(self, backend_port: int, cert: Path, key: Path) -> None:
        self.backend_port = backend_port
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="tls-front", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, raw: socket.socket) -> None:
        try:
            raw.settimeout(10)
            tls = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()  # the client refused our certificate: that is the point of one test
            return
        try:
            back = socket.create_connection(("127.0.0.1", self.backend_port), timeout=10)
        except OSError:
            tls.close()
            return
        tls.setblocking(True)
        try:
            while not self._stop.is_set():
                pending = tls.pending() > 0
                ready = [tls] if pending else select.select([tls, back], [], [], 0.5)[0]
                if tls in ready:
                    data = tls.recv(65536)
                    if not data:
                        break
                    back.sendall(data)
                if back in ready:
                    data = back.recv(65536)
                    if not data:
                        break
                    tls.sendall(data)
        except (OSError, ssl.SSLError):
            pass
        finally:
            back.close()
            tls.close()

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
        self._thread.join(5)
