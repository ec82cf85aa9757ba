"""Snapshots: round trip against the live fixture stores, read-only opening, no partial files."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.core.entities import (
    Catalog,
    Dataset,
    DatasetInput,
    LineageEdgeRecord,
    LineageNodeRecord,
    MetricValue,
    ModelVersion,
    RegisteredModel,
    Run,
    StoreInfo,
)
from mlops_desktop.core.errors import CancelledError, StoreError, UsageError
from mlops_desktop.core.findings import evaluate
from mlops_desktop.core.inventory import inventory_json
from mlops_desktop.core.lineage import build_graph
from mlops_desktop.governance.snapshot import create_snapshot
from mlops_desktop.sources import snapshot as snapsrc, snapshot_format as fmt
from mlops_desktop.sources.base import (
    SourceSettings,
    detect_file_kind,
    open_source,
    parse_store_url,
)
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.sources.snapshot import SnapshotSource, UnverifiedSnapshotError


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _views(catalog: Catalog) -> dict[str, Any]:
    return {
        "inventory": inventory_json(catalog, include_deleted=True),
        "lineage": build_graph(catalog).to_json(),
        "findings": [f.as_json() for f in evaluate(catalog)],
    }


def _roundtrip(stores: list[str], out: Path) -> tuple[Catalog, Catalog]:
    live = load_catalog(stores)
    create_snapshot(stores, out)
    source = open_source(str(out))
    try:
        assert isinstance(source, SnapshotSource)
        assert source.status.state == snapsrc.UNSIGNED
        snap = source.load_catalog()
    finally:
        source.close()
    return live, snap


@pytest.mark.parametrize("which", ["mlflow3", "mlflow2", "mlmd", "openlineage", "merged"])
def test_round_trip_equals_live_stores(
    which: str, mlflow3_db: Path, mlflow2_db: Path, mlmd_db: Path, openlineage_file: Path, tmp_path: Path
) -> None:
    stores = {
        "mlflow3": [str(mlflow3_db)],
        "mlflow2": [str(mlflow2_db)],
        "mlmd": [str(mlmd_db)],
        "openlineage": [f"openlineage:{openlineage_file}"],
        "merged": [f"openlineage:{openlineage_file}", str(mlflow3_db), str(mlmd_db)],
    }[which]
    files = [Path(s.split(":", 1)[1] if s.startswith("openlineage:") else s) for s in stores]
    before = [_digest(f) for f in files]
    live, snap = _roundtrip(stores, tmp_path / "s.mlsnap")
    assert [_digest(f) for f in files] == before, "taking a snapshot must not change the stores"
    live_views, snap_views = _views(live), _views(snap)
    assert snap_views["inventory"] == live_views["inventory"]
    assert snap_views["lineage"] == live_views["lineage"]
    assert snap_views["findings"] == live_views["findings"]
    # Same JSON text, not only equal after parsing (key order included).
    assert json.dumps(snap_views, sort_keys=False) == json.dumps(live_views, sort_keys=False)
    assert live.models or live.runs, "the fixture store must not be empty"
    assert snap == live


def test_round_trip_of_every_field_including_awkward_values(tmp_path: Path) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    inp = DatasetInput("d1", "patients", "abc", "s3://b/p.parquet", "training", {"pii": "true", "ünï": "cödé"})
    version = ModelVersion("m", "1", "Production", ["champion"], "READY", None, "bob", "r1", "models:/m-1",
                           None, when, None, "line1\nline2", {"k": ""}, [inp], False, "store")
    model = RegisteredModel("m", "d", {"risk_tier": "high"}, {"champion": "1"}, when, when, [version], "store")
    run = Run("r1", "run", "0", "exp", "bob", "FINISHED", when, None, "active", "train.py", None, "/a",
              {"lr": "0.1"}, {"auc": MetricValue("auc", 0.91, 3, when), "loss": MetricValue("loss", 1e-300, 0, None)},
              {"mlflow.user": "bob"}, None, [inp], ["m-1"], "store")
    ds = Dataset("d1", "patients", "abc", "s3://b/p.parquet", "s3", {"mlflow_colspec": [{"name": "ssn"}]},
                 "text profile", {"pii": "true"}, "store")
    node = LineageNodeRecord("job:x", "job", "X", {"a": "b"}, {"when": when, "n": [1, 2.5, None], "nested": {"x": True}})
    edge = LineageEdgeRecord("job:x", "run:r1", "instance_of")
    catalog = Catalog([StoreInfo("mlflow", "u", "rev", "sqlite", "id")], [model], {"r1": run}, {}, {"d1": ds}, {},
                      [node], [edge])
    out = tmp_path / "f.mlsnap"
    create_snapshot([], out, catalog=catalog)
    with SnapshotSource.open(out) as source:
        back = source.load_catalog()
    assert back == catalog
    assert back.lineage_nodes[0].attrs["when"] == when


def test_nan_metric_survives(tmp_path: Path) -> None:
    run = Run("r", metrics={"x": MetricValue("x", float("nan"), 1, None)})
    out = tmp_path / "n.mlsnap"
    create_snapshot([], out, catalog=Catalog(runs={"r": run}))
    source = SnapshotSource.open(out)
    assert source.status.state == snapsrc.UNSIGNED
    assert math.isnan(source.load_catalog().runs["r"].metrics["x"].value)
    source.close()


def test_format_covers_every_catalog_field() -> None:
    fields = {f.name for f in dataclasses.fields(Catalog)}
    assert fields == set(fmt.CATALOG_FIELDS | fmt.NOT_CARRIED), "a new Catalog field must get a snapshot table"


def test_detection_by_table_and_url_forms(tmp_path: Path, mlflow3_db: Path) -> None:
    out = tmp_path / "named-like-a.db"  # the name does not matter, the manifest table does
    create_snapshot([str(mlflow3_db)], out)
    assert detect_file_kind(out) == "snapshot"
    assert parse_store_url(str(out)).kind == "snapshot"
    assert parse_store_url(f"snapshot:{out}").kind == "snapshot"
    with open_source(f"snapshot:{out}") as source:
        assert source.info.kind == "snapshot"
        assert source.info.schema == fmt.FORMAT


def test_opening_never_writes(tmp_path: Path, mlflow3_db: Path) -> None:
    out = tmp_path / "ro.mlsnap"
    create_snapshot([str(mlflow3_db)], out)
    before = _digest(out)
    mtime = out.stat().st_mtime_ns
    source = SnapshotSource.open(out)
    source.load_catalog()
    with pytest.raises(sqlite3.OperationalError):
        source.connection().execute("DELETE FROM mlsnap_models")
    source.close()
    assert _digest(out) == before
    assert out.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlflow3.db", "ro.mlsnap"]


def test_snapshot_of_a_snapshot_keeps_the_catalog(tmp_path: Path, mlflow3_db: Path) -> None:
    first, second = tmp_path / "a.mlsnap", tmp_path / "b.mlsnap"
    create_snapshot([str(mlflow3_db)], first)
    with pytest.raises(UnverifiedSnapshotError):  # an unsigned snapshot is refused as input...
        create_snapshot([str(first)], second)
    assert not second.exists()
    # ...unless the user says to use it anyway (--allow-unverified)
    create_snapshot([str(first)], second, settings=SourceSettings(allow_unverified=True))
    with SnapshotSource.open(second) as s2:
        assert s2.load_catalog() == load_catalog([str(mlflow3_db)])


def test_first_models_fast_path(tmp_path: Path, mlflow3_db: Path) -> None:
    out = tmp_path / "f.mlsnap"
    create_snapshot([str(mlflow3_db)], out)
    live = load_catalog([str(mlflow3_db)])
    with SnapshotSource.open(out) as source:
        first = source.first_models(3)
    assert first == [(m.name, len(m.versions)) for m in live.models[:3]]


# ---------------------------------------------------------------------------- no partial files


@pytest.mark.parametrize("cancel_after", [1, 5, 12, 20])
def test_cancel_leaves_no_file(tmp_path: Path, mlflow3_db: Path, cancel_after: int) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    calls = {"n": 0}

    def is_cancelled() -> bool:
        calls["n"] += 1
        return calls["n"] > cancel_after

    with pytest.raises(CancelledError):
        create_snapshot([str(mlflow3_db)], out_dir / "c.mlsnap", is_cancelled=is_cancelled)
    assert list(out_dir.iterdir()) == []


def test_cancel_keeps_an_existing_snapshot_intact(tmp_path: Path, mlflow3_db: Path) -> None:
    out = tmp_path / "keep.mlsnap"
    create_snapshot([str(mlflow3_db)], out)
    before = _digest(out)
    with pytest.raises(CancelledError):
        create_snapshot([str(mlflow3_db)], out, is_cancelled=lambda: True)
    assert _digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mlsnap", "mlflow3.db"]


def test_error_while_writing_leaves_no_file(tmp_path: Path, mlflow3_db: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    progress_seen: list[str] = []

    def progress(done: int, total: int, msg: str) -> None:
        progress_seen.append(msg)
        if msg.startswith("Hashing"):
            raise OSError(28, "No space left on device")

    with pytest.raises(StoreError, match="No space left"):
        create_snapshot([str(mlflow3_db)], out_dir / "e.mlsnap", progress=progress)
    assert list(out_dir.iterdir()) == []


def test_bad_inputs_write_nothing(tmp_path: Path, mlflow3_db: Path) -> None:
    with pytest.raises(StoreError):
        create_snapshot([str(tmp_path / "missing.db")], tmp_path / "x.mlsnap")
    with pytest.raises(UsageError, match="does not exist"):
        create_snapshot([str(mlflow3_db)], tmp_path / "no" / "such" / "x.mlsnap")
    with pytest.raises(UsageError, match="folder"):
        create_snapshot([str(mlflow3_db)], tmp_path)
    before = _digest(mlflow3_db)
    with pytest.raises(UsageError, match="stores being read"):
        create_snapshot([str(mlflow3_db)], mlflow3_db)
    assert _digest(mlflow3_db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlflow3.db"]


def test_progress_is_monotonic_and_complete(tmp_path: Path, mlflow3_db: Path) -> None:
    seen: list[tuple[int, int]] = []
    create_snapshot([str(mlflow3_db)], tmp_path / "p.mlsnap", progress=lambda d, t, m: seen.append((d, t)))
    assert seen[-1] == (100, 100)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_load_registry_gives_the_inventory_fast_path(tmp_path: Path, mlflow3_db: Path) -> None:
    out = tmp_path / "r.mlsnap"
    create_snapshot([str(mlflow3_db)], out)
    live = load_catalog([str(mlflow3_db)])
    with SnapshotSource.open(out) as source:
        registry = source.load_registry()
    assert inventory_json(registry, include_deleted=True) == inventory_json(live, include_deleted=True)
    assert registry.runs == {} and registry.datasets == {}
