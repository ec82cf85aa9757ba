"""Shared fixtures: isolated user dirs, fixture stores, database servers."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import hashlib
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.mlflow_server import Served

FIXTURES = Path(__file__).parent / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES_URL = os.environ.get("MLOPS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("MLOPS_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session", autouse=True)
def _cheap_scrypt_for_shared_key_files() -> Iterator[int]:
    """The cheap scrypt cost below, also for key files made by module- and session-scoped
    fixtures (set up before any test's own fixtures); yields the shipped cost."""
    from mlops_desktop.governance import keys

    shipped = keys.SCRYPT_N
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(keys, "SCRYPT_N", 2**12)
        yield shipped


@pytest.fixture(autouse=True)
def _cheap_scrypt_for_key_files(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                                _cheap_scrypt_for_shared_key_files: int) -> None:
    """Key files made in tests use scrypt N=2**12 instead of 2**17 (4 MiB instead of 128 MiB).

    The cost parameters are stored in each file and read back from it, so unlocking follows
    whatever the file says; only the time a test spends creating and unlocking keys shrinks.
    Tests marked ``real_kdf_cost`` keep the shipped parameters (one of them pins them).
    """
    from mlops_desktop.governance import keys

    real = request.node.get_closest_marker("real_kdf_cost") is not None
    monkeypatch.setattr(keys, "SCRYPT_N", _cheap_scrypt_for_shared_key_files if real else 2**12)


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test is a fresh client: own HOME, XDG dirs and no inherited governance URL."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.delenv("MLOPS_DESKTOP_GOVERNANCE_URL", raising=False)
    monkeypatch.delenv("MLOPS_DESKTOP_PASSPHRASE", raising=False)
    monkeypatch.delenv("MLOPS_DESKTOP_ARTIFACT_ROOTS", raising=False)
    return home


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def mlflow3_db(tmp_path: Path) -> Path:
    """A private copy of the MLflow 3.17 SQLite store."""
    dst = tmp_path / "mlflow3.db"
    shutil.copyfile(FIXTURES / "mlflow-3.17-sqlite.db", dst)
    return dst


@pytest.fixture
def mlflow2_db(tmp_path: Path) -> Path:
    dst = tmp_path / "mlflow2.db"
    shutil.copyfile(FIXTURES / "mlflow-2.17-sqlite.db", dst)
    return dst


@pytest.fixture
def mlmd_db(tmp_path: Path) -> Path:
    dst = tmp_path / "mlmd.sqlite"
    shutil.copyfile(FIXTURES / "mlmd-1.17-tfx.sqlite", dst)
    return dst


@pytest.fixture
def openlineage_file(tmp_path: Path) -> Path:
    dst = tmp_path / "events.ndjson"
    shutil.copyfile(FIXTURES / "openlineage-1.54-airflow.ndjson", dst)
    return dst


def pytest_collection_finish(session: pytest.Session) -> None:
    """Begin booting the mlflow servers the collected tests will use (in a background thread: the
    tests run on one core, a server boots in seconds on another); their fixtures take them."""
    from tests.mlflow_server import EARLY, mlflow_available, start_mlflow3, start_rest_servers

    if session.config.option.collectonly or not mlflow_available():
        return
    needed = {name for item in session.items for name in getattr(item, "fixturenames", ())}
    factory: pytest.TempPathFactory = session.config._tmp_path_factory  # type: ignore[attr-defined]
    if "mlflow3_served" in needed:
        root3 = factory.mktemp("mlflow3-server")
        EARLY.begin("mlflow3", lambda: start_mlflow3(root3))
    if "served" in needed:
        root = factory.mktemp("mlflow-servers")
        EARLY.begin("rest", lambda: start_rest_servers(root))
    for name, (module_file, fixture, make) in EARLY.recipes.items():
        if any(fixture in getattr(item, "fixturenames", ()) and Path(str(item.fspath)).resolve() == module_file
               for item in session.items):
            folder = factory.mktemp(name)
            EARLY.begin(name, lambda make=make, folder=folder: make(folder))  # type: ignore[misc]


def pytest_sessionfinish(session: pytest.Session) -> None:
    from tests.mlflow_server import EARLY

    EARLY.stop_untaken()


@pytest.fixture(scope="session")
def mlflow3_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A real ``mlflow server`` on a copy of the MLflow 3.17 SQLite store, shared by the session's
    tests that only read through it (a server takes seconds to boot and to stop).

    Yielded started, maybe not yet answering, so others can boot beside it: call
    ``.server.wait_ready()`` before the first request (immediate once it is up).
    """
    from tests.mlflow_server import EARLY, mlflow_available, start_mlflow3

    if not mlflow_available():
        pytest.skip("mlflow is not installed (test extra)")
    served: Served = EARLY.take("mlflow3", lambda: start_mlflow3(tmp_path_factory.mktemp("mlflow3-server")))
    try:
        yield served
    finally:
        served.server.stop()


def _server_unavailable(what: str, exc: Exception) -> None:
    message = f"{what} not reachable ({type(exc).__name__}: {exc})"
    if IN_CI:
        pytest.fail(f"{message}; CI must have it running")
    pytest.skip(message)


def _pg_admin_url() -> str:
    return POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database; yields its plain postgresql:// URL."""
    import sqlalchemy as sa

    name = f"mlops_t_{uuid.uuid4().hex[:10]}"
    try:
        admin = sa.create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        with admin.connect() as con:
            con.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        _server_unavailable("PostgreSQL", exc)
    base = POSTGRES_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as con:
            con.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def mysql_database() -> Iterator[str]:
    """A fresh, empty MariaDB/MySQL database; yields its plain mysql:// URL."""
    import sqlalchemy as sa

    name = f"mlops_t_{uuid.uuid4().hex[:10]}"
    admin_url = MYSQL_URL.replace("mysql://", "mysql+pymysql://", 1)
    try:
        admin = sa.create_engine(admin_url, connect_args={"connect_timeout": 5})
        with admin.connect() as con:
            con.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    except Exception as exc:
        _server_unavailable("MariaDB/MySQL", exc)
    base = MYSQL_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as con:
            con.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        admin.dispose()
