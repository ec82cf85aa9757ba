"""MLMD source on the real TFX store written by ml-metadata 1.17, plus KFP v2 shapes."""

from __future__ import annotations

import base64
import shutil
import sqlite3
import struct
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.core.errors import SchemaError, StoreError
from mlops_desktop.core.lineage import build_graph, version_node_id
from mlops_desktop.sources.base import open_source
from mlops_desktop.sources.mlmd import MlmdSource, decode_mlmd_struct

from ..conftest import file_sha256


def _graph(path: Path | str) -> tuple[Any, Any]:
    with open_source(str(path)) as src:
        assert isinstance(src, MlmdSource)
        cat = src.load_catalog()
    return cat, build_graph(cat)


def test_tfx_store_entities(mlmd_db: Path) -> None:
    before = file_sha256(mlmd_db)
    cat, graph = _graph(mlmd_db)
    assert file_sha256(mlmd_db) == before
    assert cat.stores[0].kind == "mlmd" and cat.stores[0].schema == "10"
    assert [m.name for m in cat.models] == ["taxi-fare-pipeline"]
    versions = cat.models[0].versions
    assert [v.version for v in versions] == ["4", "10", "16"]
    for v in versions:
        assert v.run_id and cat.runs[v.run_id].name.startswith("Trainer")
        assert sorted(d.name.split(" #")[0] for d in v.datasets) == ["Examples", "Schema"]
        assert v.tags["mlmd.pushed"] == "true" and v.tags["mlmd.pushed_destination"] == "serving/taxi"
        assert v.tags["mlmd.blessed"] == "true"
    assert len(cat.runs) == 18
    assert {r.status for r in cat.runs.values()} == {"FINISHED"}
    assert {r.tags["mlmd.pipeline_run"] for r in cat.runs.values()} == {
        f"taxi-fare-pipeline-run-{i}" for i in range(3)}
    assert graph.warnings == []


def test_each_pushed_model_upstream_has_examples_schema_trainer(mlmd_db: Path) -> None:
    _, graph = _graph(mlmd_db)
    pushed = [n for n in graph.nodes_of_kind("deployment") if graph.node(n).get("subtype") == "pushed"]
    assert len(pushed) == 3
    for p in pushed:
        up = graph.upstream(p)
        labels = [graph.label(n) for n in up]
        assert any(lab.startswith("Examples #") for lab in labels)
        assert any(lab.startswith("Schema #") for lab in labels)
        trainers = [n for n in up if graph.kind(n) == "run" and graph.label(n).startswith("Trainer")]
        assert len(trainers) == 1
        # the version is deployed directly to its pushed model, and through the Pusher run
        versions = [n for n in graph.g.predecessors(p) if graph.kind(n) == "model_version"]
        assert len(versions) == 1
        # each pipeline run is separate: only one Examples artifact upstream
        assert sum(lab.startswith("Examples #") for lab in labels) == 1


def test_version_impact_and_classification(mlmd_db: Path) -> None:
    cat, graph = _graph(mlmd_db)
    v4 = version_node_id("taxi-fare-pipeline", "4")
    examples = next(n for n in graph.upstream(v4) if graph.label(n) == "Examples #1")
    impact = graph.impact(examples)
    assert v4 in impact.versions
    assert "deployment:pushed:gs://bucket/serving/taxi/0" in impact.deployments
    assert version_node_id("taxi-fare-pipeline", "10") not in impact.versions


def test_not_mlmd_and_missing(tmp_path: Path) -> None:
    bogus = tmp_path / "other.db"
    con = sqlite3.connect(bogus)
    con.execute("CREATE TABLE Artifact (id INTEGER)")
    con.execute("CREATE TABLE Execution (id INTEGER)")
    con.execute("CREATE TABLE Event (id INTEGER)")
    con.commit()
    con.close()
    before = file_sha256(bogus)
    with pytest.raises(SchemaError, match="missing tables: Type"):
        open_source(f"mlmd+sqlite:///{bogus}")
    assert file_sha256(bogus) == before
    with pytest.raises(StoreError, match="No such"):
        open_source(f"mlmd+sqlite:///{tmp_path / 'none.sqlite'}")


# --- mlmd-struct:: and Kubeflow Pipelines v2 names --------------------------------------------
def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _ld(num: int, payload: bytes) -> bytes:
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def _enc_value(v: Any) -> bytes:
    if v is None:
        return _varint(1 << 3) + _varint(0)
    if isinstance(v, bool):
        return _varint(4 << 3) + _varint(int(v))
    if isinstance(v, int | float):
        return _varint(2 << 3 | 1) + struct.pack("<d", float(v))
    if isinstance(v, str):
        return _ld(3, v.encode())
    if isinstance(v, dict):
        return _ld(5, _enc_struct(v))
    if isinstance(v, list):
        return _ld(6, b"".join(_ld(1, _enc_value(x)) for x in v))
    raise TypeError(v)


def _enc_struct(d: dict[str, Any]) -> bytes:
    return b"".join(_ld(1, _ld(1, k.encode()) + _ld(2, _enc_value(v))) for k, v in d.items())


def mlmd_struct(d: dict[str, Any]) -> str:
    """What ml-metadata writes for a Struct custom property (protobuf wire format)."""
    return "mlmd-struct::" + base64.b64encode(_enc_struct(d)).decode()


def test_decode_mlmd_struct_round_trip() -> None:
    value = {"a": 1.5, "b": "x", "c": True, "d": None, "e": [1.0, "y", {"f": False}], "g": {"h": "i"}}
    assert decode_mlmd_struct(mlmd_struct(value)) == value
    with pytest.raises(ValueError):
        decode_mlmd_struct("mlmd-struct::not base64!!")
    with pytest.raises(ValueError):
        decode_mlmd_struct("mlmd-struct::" + base64.b64encode(b"\x0a\xff\xff").decode())


def _kfp_store(src: Path, dst: Path) -> Path:
    """The fixture's schema with Kubeflow Pipelines v2 rows (what the KFP launcher records)."""
    shutil.copyfile(src, dst)
    con = sqlite3.connect(dst)
    for t in ("Event", "Attribution", "Association", "ArtifactProperty", "ExecutionProperty", "Artifact",
              "Execution", "Context", "ContextProperty"):
        con.execute(f"DELETE FROM {t}")
    types = {"system.Dataset": 1, "system.Model": 1, "system.Metrics": 1, "system.ContainerExecution": 0,
             "system.Pipeline": 2, "system.PipelineRun": 2}
    ids = {}
    for name, kind in types.items():
        ids[name] = con.execute("INSERT INTO Type (name, type_kind) VALUES (?, ?)", (name, kind)).lastrowid
    con.execute("INSERT INTO Context (id, type_id, name) VALUES (1, ?, 'fraud-pipeline')", (ids["system.Pipeline"],))
    con.execute("INSERT INTO Context (id, type_id, name) VALUES (2, ?, 'run-abc')", (ids["system.PipelineRun"],))
    arts = [(1, "system.Dataset", "minio://mlpipeline/raw.csv"), (2, "system.Dataset", "minio://mlpipeline/train"),
            (3, "system.Model", "minio://mlpipeline/model"), (4, "system.Metrics", "minio://mlpipeline/metrics")]
    for aid, t, uri in arts:
        con.execute("INSERT INTO Artifact (id, type_id, uri, state, name) VALUES (?, ?, ?, 2, ?)",
                    (aid, ids[t], uri, f"art{aid}"))
        con.execute("INSERT INTO Attribution (context_id, artifact_id) VALUES (2, ?)", (aid,))
    con.execute("INSERT INTO ArtifactProperty (artifact_id, name, is_custom_property, string_value) "
                "VALUES (1, 'display_name', 1, 'raw-data')")
    con.execute("INSERT INTO ArtifactProperty (artifact_id, name, is_custom_property, string_value) "
                "VALUES (1, 'pii', 1, 'true')")
    con.execute("INSERT INTO ArtifactProperty (artifact_id, name, is_custom_property, string_value) "
                "VALUES (4, 'metrics', 1, ?)", (mlmd_struct({"auc": 0.91}),))
    con.execute("INSERT INTO ArtifactProperty (artifact_id, name, is_custom_property, string_value) "
                "VALUES (2, 'broken', 1, 'mlmd-struct::%%%')")
    for eid, comp, state in [(1, "preprocess", 3), (2, "train", 3), (3, "evaluate", 4)]:
        con.execute("INSERT INTO Execution (id, type_id, last_known_state, name) VALUES (?, ?, ?, ?)",
                    (eid, ids["system.ContainerExecution"], state, comp))
        con.execute("INSERT INTO ExecutionProperty (execution_id, name, is_custom_property, string_value) "
                    "VALUES (?, 'display_name', 1, ?)", (eid, comp))
        con.execute("INSERT INTO ExecutionProperty (execution_id, name, is_custom_property, string_value) "
                    "VALUES (?, 'inputs', 1, ?)", (eid, mlmd_struct({"epochs": 3, "lr": 0.1})))
        con.execute("INSERT INTO Association (context_id, execution_id) VALUES (1, ?)", (eid,))
        con.execute("INSERT INTO Association (context_id, execution_id) VALUES (2, ?)", (eid,))
    events = [(1, 1, 3), (2, 1, 4), (2, 2, 3), (3, 2, 4), (3, 3, 3), (2, 3, 2), (4, 3, 7)]
    for i, (a, e, t) in enumerate(events, start=1):
        con.execute("INSERT INTO Event (id, artifact_id, execution_id, type) VALUES (?, ?, ?, ?)", (i, a, e, t))
    # a dangling event (artifact 99 does not exist) and a self-feeding execution (cycle)
    con.execute("INSERT INTO Event (id, artifact_id, execution_id, type) VALUES (50, 99, 1, 3)")
    con.execute("INSERT INTO Event (id, artifact_id, execution_id, type) VALUES (51, 2, 2, 4)")
    con.commit()
    con.close()
    return dst


def test_kubeflow_v2_names_and_struct_properties(mlmd_db: Path, tmp_path: Path) -> None:
    store = _kfp_store(mlmd_db, tmp_path / "kfp.sqlite")
    cat, graph = _graph(store)
    assert [m.name for m in cat.models] == ["fraud-pipeline"]
    [version] = cat.models[0].versions
    assert version.source == "minio://mlpipeline/model"
    assert [d.source for d in version.datasets] == ["minio://mlpipeline/train"]
    train = cat.runs[version.run_id or ""]
    assert train.name == "train #2" and train.params["inputs"] == '{"epochs": 3, "lr": 0.1}'
    assert {r.status for r in cat.runs.values()} == {"FINISHED", "FAILED"}
    raw = next(d for d in cat.datasets.values() if d.source == "minio://mlpipeline/raw.csv")
    assert raw.name == "raw-data" and raw.tags["pii"] == "true"
    broken = next(d for d in cat.datasets.values() if d.source == "minio://mlpipeline/train")
    assert broken.tags["broken"] == "mlmd-struct::%%%"  # undecodable kept as text, not a crash
    metrics = next(n for n in graph.nodes_of_kind("dataset") if graph.node(n).get("subtype") == "metrics")
    assert '"auc": 0.91' in graph.node(metrics)["tags"]["metrics"]
    vnode = version_node_id("fraud-pipeline", version.version)
    up = graph.upstream(vnode)
    assert "dataset:minio://mlpipeline/raw.csv" in up
    assert graph.effective_classification(vnode).pii  # PII flows from the raw data
    assert metrics in graph.downstream(vnode)  # pending output of the failed evaluation


@pytest.mark.mysql
def test_mysql_store(mlmd_db: Path, mysql_database: str) -> None:
    """The same MLMD tables served by MariaDB, read through a read-only session."""
    import sqlalchemy as sa

    engine = sa.create_engine(mysql_database.replace("mysql://", "mysql+pymysql://", 1))
    src = sqlite3.connect(mlmd_db)
    with engine.begin() as con:
        for (table,) in src.execute("SELECT name FROM sqlite_master WHERE type='table' AND name != 'sqlite_sequence'"):
            cols = src.execute(f"PRAGMA table_info({table})").fetchall()
            decl = []
            for _, name, ctype, *_ in cols:
                t = ctype.upper()
                sql_t = "BIGINT" if "INT" in t else "DOUBLE" if "DOUBLE" in t or "REAL" in t else \
                    "LONGBLOB" if "BLOB" in t else "TEXT"
                decl.append(f"`{name}` {sql_t}")
            con.exec_driver_sql(f"CREATE TABLE `{table}` ({', '.join(decl)})")
            rows = src.execute(f"SELECT * FROM {table}").fetchall()
            if rows:
                marks = ", ".join(["%s"] * len(cols))
                con.exec_driver_sql(f"INSERT INTO `{table}` VALUES ({marks})", [tuple(r) for r in rows])
    src.close()
    engine.dispose()
    url = mysql_database.replace("mysql://", "mlmd+mysql://", 1)
    cat, graph = _graph(url)
    ref_cat, ref_graph = _graph(mlmd_db)
    assert cat.stores[0].dialect == "mysql"
    assert [v.version for v in cat.models[0].versions] == ["4", "10", "16"]
    assert len(graph) == len(ref_graph) and graph.edge_count == ref_graph.edge_count
