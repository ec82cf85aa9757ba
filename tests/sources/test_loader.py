"""The one store loader: merged catalog in order, failures listed or raised, partial results,
sources closed on errors; and the snapshot source's injected trust verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_desktop.core.errors import CancelledError, StoreError
from mlops_desktop.core.inventory import inventory_json
from mlops_desktop.crypto.ecdsa import generate_private_key, key_id
from mlops_desktop.governance.keys import SigningKey
from mlops_desktop.governance.snapshot import create_snapshot
from mlops_desktop.sources import snapshot as snapsrc
from mlops_desktop.sources.base import SignerTrust, SourceSettings
from mlops_desktop.sources.loader import StoreLoaded, load_catalog, load_stores
from mlops_desktop.sources.snapshot import SnapshotSource
from tests.conftest import FIXTURES

MLFLOW3 = str(FIXTURES / "mlflow-3.17-sqlite.db")
OPENLINEAGE = f"openlineage:{FIXTURES / 'openlineage-1.54-airflow.ndjson'}"


def test_partial_results_and_failures_when_keeping_going(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.db")
    parts: list[StoreLoaded] = []
    with load_stores([MLFLOW3, missing, OPENLINEAGE], keep_going=True, partial=parts.append) as loaded:
        assert [(p.url, p.registry_only) for p in parts] == [(MLFLOW3, True), (OPENLINEAGE, False)]
        assert [m.name for m in parts[0].catalog.models] == [m.name for m in loaded.catalog.models][:len(parts[0].catalog.models)]
        assert parts[0].catalog.runs == {}
        assert [(f.url, str(f.error)) for f in loaded.failures] == [
            (missing, f"No such file or folder: {missing}. Check the path and try again.")
        ]
        assert [s.info.kind for s in loaded.sources] == ["mlflow", "openlineage"]
        assert [s.kind for s in loaded.catalog.stores] == ["mlflow", "openlineage"]
    merged = load_catalog([MLFLOW3, OPENLINEAGE])
    assert inventory_json(loaded.catalog) == inventory_json(merged)


def test_first_failure_raises_without_keep_going(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.db")
    opened: list[str] = []

    def progress(done: int, total: int, message: str) -> None:
        if message.startswith("Opening "):
            opened.append(message.removeprefix("Opening "))

    with pytest.raises(StoreError, match="No such file or folder"):
        load_stores([MLFLOW3, missing, OPENLINEAGE], progress=progress)
    assert opened == [MLFLOW3, missing]


def test_cancel_raises_even_when_keeping_going() -> None:
    calls = iter([False, True])
    with pytest.raises(CancelledError):
        load_stores([MLFLOW3, OPENLINEAGE], is_cancelled=lambda: next(calls, True), keep_going=True)


def test_no_store_is_a_usage_error() -> None:
    from mlops_desktop.core.errors import UsageError

    with pytest.raises(UsageError, match="No store given"):
        load_catalog([])


def test_snapshot_trust_is_handed_in(tmp_path: Path) -> None:
    priv = generate_private_key()
    alice = SigningKey(priv, key_id(priv.public_key()), "alice@example.org")
    out = tmp_path / "signed.mlsnap"
    create_snapshot([MLFLOW3], out, key=alice)
    with SnapshotSource.open(out) as alone:
        assert alone.status.state == snapsrc.UNTRUSTED
        assert alone.status.signer == "alice@example.org"
        assert alone.status.problems == ()
    asked: list[tuple[str, str | None]] = []

    def trust(kid: str, at: object, path: Path, predicate: object, statement: bytes) -> SignerTrust:
        asked.append((kid, str(path)))
        return SignerTrust("Alice <alice@example.org>", "test trust list")

    with SnapshotSource.open(out, SourceSettings(snapshot_trust=trust)) as source:
        assert source.status.state == snapsrc.VERIFIED
        assert source.status.signer == "Alice <alice@example.org>"
        assert source.status.trust_source == "test trust list"
    assert asked == [(alice.key_id, str(out.resolve()))]
