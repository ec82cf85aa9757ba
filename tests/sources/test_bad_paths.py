"""Store paths that are awkward or wrong: odd characters in folder names are read as the file
they name (nothing is created next to it); a FIFO, a socket, a folder and a dangling
symlink are refused at once with one clear line and exit code 2, and nothing is created."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.cli.main import main
from mlops_desktop.core.errors import StoreError
from mlops_desktop.governance.snapshot import create_snapshot
from mlops_desktop.governance.snapshot_view import open_snapshot_governance_file
from mlops_desktop.governance.store import open_governance
from mlops_desktop.sources import snapshot as snapsrc
from mlops_desktop.sources.base import open_source
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.sources.snapshot import SnapshotSource
from tests.conftest import FIXTURES

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "outputs"

#: Folder names that are URI syntax or need quoting in a ``file:`` URI.
ODD_NAMES = ["odd#dir", "what?mode=rw", "100%25 sure", "with space", "donnée-Ünïcode-数据", "a#b?c%d e"]

#: Store URL forms that name a local SQLite file.
URL_FORMS = ["{}", "mlflow+sqlite:///{}"]


def _listing(folder: Path) -> list[str]:
    """Every path under ``folder`` (relative), to prove nothing was created."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _golden_inventory() -> dict[str, object]:
    data: dict[str, object] = json.loads((GOLDEN / "inventory-mlflow3.json").read_text("utf-8"))
    return data


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(params=ODD_NAMES)
def odd_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "x" / str(request.param)
    folder.mkdir(parents=True)
    store = folder / "m.db"
    shutil.copyfile(FIXTURES / "mlflow-3.17-sqlite.db", store)
    yield store


@pytest.mark.parametrize("form", URL_FORMS)
def test_inventory_reads_a_store_in_an_odd_folder(
    capsys: pytest.CaptureFixture[str], odd_store: Path, form: str
) -> None:
    root = odd_store.parents[1]
    before = _listing(root)
    code, out, err = _run(capsys, "inventory", "--store", form.format(odd_store), "--format", "json")
    assert code == 0, err
    assert err == ""
    got = json.loads(out)
    golden = _golden_inventory()
    assert got["models"] == golden["models"]
    assert [(s["kind"], s["schema"]) for s in got["stores"]] == [
        (s["kind"], s["schema"]) for s in golden["stores"]  # type: ignore[attr-defined]
    ]
    assert got["stores"][0]["url"] == form.format(odd_store)
    assert _listing(root) == before
    assert not (root.parent / "odd").exists()


def test_mlmd_store_in_an_odd_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "a#b?c%d e-ü"
    folder.mkdir()
    store = folder / "mlmd.sqlite"
    shutil.copyfile(FIXTURES / "mlmd-1.17-tfx.sqlite", store)
    before = _listing(tmp_path)
    code, out, err = _run(capsys, "inventory", "--store", f"mlmd+sqlite:///{store}", "--format", "json")
    assert code == 0, err
    golden = json.loads((GOLDEN / "inventory-mlmd.json").read_text("utf-8"))

    def untagged(models: object) -> str:  # MLMD ids carry a tag of the store URL
        return re.sub(r"mlmd:[0-9a-f]{8}:", "mlmd:TAG:", json.dumps(models, sort_keys=True))

    assert untagged(json.loads(out)["models"]) == untagged(golden["models"])
    assert _listing(tmp_path) == before


def test_snapshot_and_its_governance_in_an_odd_folder(tmp_path: Path) -> None:
    folder = tmp_path / "snap#1?x=%20 ü"
    folder.mkdir()
    gov_path = folder / "gov#.db"
    with open_governance(str(gov_path)) as gov:
        store_id = gov.store_id
        out = folder / "s.mlsnap"
        create_snapshot([str(FIXTURES / "mlflow-3.17-sqlite.db")], out, governance=gov)
    before = _listing(tmp_path)
    with SnapshotSource.open(out) as source:
        assert source.status.state == snapsrc.UNSIGNED
        assert [m.name for m in source.load_catalog().models] == [
            m["name"] for m in _golden_inventory()["models"]  # type: ignore[attr-defined]
        ]
    # an unsigned snapshot's governance records are refused unless the caller allows them
    with pytest.raises(snapsrc.UnverifiedSnapshotError, match="Refusing governance snapshot .*unsigned snapshot"):
        open_governance(f"snapshot:{out}")
    with open_snapshot_governance_file(f"snapshot:{out}", allow_unverified=True) as view:
        assert view.read_only
        assert view.meta["store_id"] == store_id
        assert view.unverified.startswith("UNVERIFIED governance snapshot")
    assert _listing(tmp_path) == before


def test_read_only_governance_store_in_an_odd_folder(tmp_path: Path) -> None:
    folder = tmp_path / "gov#dir?mode=rwc %41"
    folder.mkdir()
    path = folder / "governance.db"
    with open_governance(str(path)) as gov:
        store_id = gov.store_id
    path.chmod(0o444)
    before = _listing(tmp_path)
    try:
        with open_governance(str(path), create=False) as gov:
            assert gov.read_only
            assert gov.store_id == store_id
            assert gov.schema_revision is not None
    finally:
        path.chmod(0o644)
    assert _listing(tmp_path) == before
    assert not (tmp_path / "gov").exists()


# ---------------------------------------------------------------------------- not regular files


def _fifo(folder: Path) -> Path:
    path = folder / "store.db"
    os.mkfifo(path)
    return path


def _socket(folder: Path) -> Path:
    path = folder / "store.db"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.close()  # the socket file stays
    return path


def _directory(folder: Path) -> Path:
    path = folder / "store.db"
    path.mkdir()
    return path


def _dangling(folder: Path) -> Path:
    path = folder / "store.db"
    path.symlink_to(folder / "gone.db")
    return path


BAD = {
    "fifo": (_fifo, "is a named pipe (FIFO), not a"),
    "socket": (_socket, "is a socket, not a"),
    "directory": (_directory, "is a folder"),
    "dangling symlink": (_dangling, "is a symbolic link to a missing file"),
}
FORMS = ["{}", "mlflow+sqlite:///{}", "mlmd+sqlite:///{}", "snapshot:{}"]


class _Unblock:
    """Opens a FIFO for writing after ``after`` seconds, so a reader stuck on it returns
    (the test then fails on ``fired`` instead of hanging)."""

    def __init__(self, path: Path, after: float = 5.0) -> None:
        self.fired = False
        self._path = path
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(after,), daemon=True)

    def _run(self, after: float) -> None:
        if self._done.wait(after) or not stat.S_ISFIFO(os.lstat(self._path).st_mode):
            return
        self.fired = True
        fd = os.open(self._path, os.O_WRONLY)
        os.close(fd)

    def __enter__(self) -> _Unblock:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(10)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("kind", list(BAD))
def test_not_a_regular_file_is_refused_at_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str, form: str
) -> None:
    make, expected = BAD[kind]
    path = make(tmp_path)
    before = _listing(tmp_path)
    start = time.monotonic()
    with _Unblock(path) as guard:
        code, out, err = _run(capsys, "inventory", "--store", form.format(path))
    elapsed = time.monotonic() - start
    assert not guard.fired, "the store open blocked on the FIFO"
    assert elapsed < 5
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"mlops-desktop: error: {path} ")
    assert expected in lines[0]
    assert _listing(tmp_path) == before


def test_bare_folder_path_says_what_to_pick(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = _directory(tmp_path)
    code, _out, err = _run(capsys, "inventory", "--store", str(folder))
    assert code == 2
    assert err == (f"mlops-desktop: error: {folder} is a folder without OpenLineage event files (*.json, *.ndjson). "
                   "Pick a store file, or a folder of OpenLineage events.\n")


@pytest.mark.parametrize("kind", list(BAD))
def test_governance_store_that_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    make, expected = BAD[kind]
    path = make(tmp_path)
    before = _listing(tmp_path)
    with _Unblock(path) as guard, pytest.raises(StoreError) as err:
        open_governance(str(path), create=False)
    assert not guard.fired
    assert expected in str(err.value) or (kind == "dangling symlink" and "No governance database" in str(err.value))
    assert _listing(tmp_path) == before


@pytest.mark.parametrize("kind", list(BAD))
def test_sources_api_refuses_them_too(tmp_path: Path, kind: str) -> None:
    make, expected = BAD[kind]
    path = make(tmp_path)
    with _Unblock(path) as guard:
        for url in (f"mlflow+sqlite:///{path}", f"snapshot:{path}"):
            with pytest.raises(StoreError, match="store.db"):
                open_source(url)
        with pytest.raises(StoreError):
            load_catalog([str(path)])
    assert not guard.fired


@pytest.mark.parametrize(("url", "shown"), [
    ("mlflow+postgresql://alice:s3cr%40t@db.example:5432/mlflow", "mlflow+postgresql://alice:***@db.example:5432/mlflow"),
    ("mlflow+mysql://root:pw@127.0.0.1:3306/test", "mlflow+mysql://root:***@127.0.0.1:3306/test"),
    ("mlflow+postgresql://alice@db.example/mlflow", "mlflow+postgresql://alice@db.example/mlflow"),
    ("/tmp/odd@dir/m.db", "/tmp/odd@dir/m.db"),
])
def test_store_urls_are_shown_without_their_password(url: str, shown: str) -> None:
    from mlops_desktop.sources.base import redact

    assert redact(url) == shown
