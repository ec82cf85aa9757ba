"""OpenLineage source on the real Airflow file written by openlineage-python."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from mlops_desktop.core.errors import StoreError
from mlops_desktop.core.lineage import build_graph, model_node_id, ol_dataset_node_id
from mlops_desktop.sources.base import open_source
from mlops_desktop.sources.openlineage import OpenLineageSource

from ..conftest import file_sha256

CLAIMS = ol_dataset_node_id("postgres://claims-db:5432", "public.claims")
RAW = ol_dataset_node_id("s3://lake", "raw/claims")
FEATURES = ol_dataset_node_id("s3://lake", "features/readmission")


def load(path: Path | str) -> tuple[OpenLineageSource, object]:
    src = open_source(f"openlineage:{path}")
    assert isinstance(src, OpenLineageSource)
    return src, src.load_catalog()


def test_fixture_entities(openlineage_file: Path) -> None:
    before = file_sha256(openlineage_file)
    src, cat = load(openlineage_file)
    assert src.warnings == []
    assert file_sha256(openlineage_file) == before
    assert {d.name for d in cat.datasets.values()} == {"public.claims", "raw/claims", "features/readmission"}
    assert len(cat.runs) == 6
    assert {r.status for r in cat.runs.values()} == {"FINISHED"}
    assert all(r.start_time and r.end_time and r.start_time < r.end_time for r in cat.runs.values())
    assert len({r.parent_run_id for r in cat.runs.values()}) == 2
    claims = cat.datasets["ol:postgres://claims-db:5432/public.claims"]
    assert claims.tags["phi"] == "true" and claims.tags["lawful_basis"] == "vital_interest"
    assert claims.columns == ["patient_id", "dob", "zip", "diagnosis", "amount"]
    cols = {c["name"]: c for c in claims.schema["fields"]}
    assert cols["patient_id"]["tags"] == {"pii": "true"}  # column-level tag (field)
    assert claims.tags["pii"] == "true"  # a PII column makes a PII dataset
    assert claims.profile["owners"] == ["team:data-eng"]
    assert claims.profile["dataSource"]["uri"] == "postgres://claims-db:5432"
    info = src.info
    assert info.kind == "openlineage" and info.identity.startswith("sha256:") and "2-0-2" in info.schema


def test_masked_columns_carry_masking_flag(openlineage_file: Path) -> None:
    _, cat = load(openlineage_file)
    feats = cat.datasets["ol:s3://lake/features/readmission"]
    cols = {c["name"]: c for c in feats.schema["fields"]}
    assert cols["zip3"]["masked"] is True and cols["patient_key"]["masked"] is True
    assert "masked" not in cols["age_band"]
    assert cols["zip3"]["inputs"][0]["dataset"] == "s3://lake/raw/claims"
    assert cols["zip3"]["inputs"][0]["field"] == "zip"
    assert cols["patient_key"]["inputs"][0]["transformations"][0]["description"] == "salted hash"
    graph = build_graph(cat)
    gcols = {c["name"]: c for c in graph.node(FEATURES)["columns"]}
    assert gcols["zip3"]["masked"] is True and gcols["patient_key"]["masked"] is True


def test_impact_of_claims_reaches_readmission_model(openlineage_file: Path) -> None:
    _, cat = load(openlineage_file)
    graph = build_graph(cat)
    assert graph.warnings == []
    impact = graph.impact(CLAIMS)
    assert model_node_id("readmission-risk") in impact.models
    assert RAW in impact.datasets and FEATURES in impact.datasets
    path = graph.explain_path(CLAIMS, model_node_id("readmission-risk"))
    assert path[0] == CLAIMS and path[-1] == model_node_id("readmission-risk")
    assert FEATURES in path
    # PHI stops at the safe-harbor de-identified features; PII (pseudonymised) goes on.
    assert graph.effective_classification(RAW).phi
    assert not graph.effective_classification(FEATURES).phi
    model = graph.effective_classification(model_node_id("readmission-risk"))
    assert not model.phi and model.pii
    assert graph.node(model_node_id("readmission-risk"))["tags"]["risk_tier"] == "high"
    # jobs and the Airflow DAG run are in the graph, the DAG run as parent of each task run
    assert len(graph.nodes_of_kind("job")) == 4
    assert graph.resolve("claims_etl.train_readmission_model").startswith("job:")


def test_duplicate_events_are_idempotent(openlineage_file: Path, tmp_path: Path) -> None:
    _, once = load(openlineage_file)
    doubled = tmp_path / "doubled.ndjson"
    text = openlineage_file.read_text()
    doubled.write_text(text + text)
    src, twice = load(doubled)
    assert src.warnings == []
    g1, g2 = build_graph(once), build_graph(twice)
    assert g1.to_json() == g2.to_json()
    assert [len(r.inputs) for r in twice.runs.values()] == [1] * 6


def test_malformed_lines_skipped_with_line_numbers(openlineage_file: Path, tmp_path: Path) -> None:
    lines = openlineage_file.read_text().splitlines()
    bad = tmp_path / "bad.ndjson"
    garbage = "x" * (1024 * 1024)
    junk = [
        "{not json",
        garbage,
        "[1, 2, 3]",
        "[" * 200_000,  # deep nesting must not crash the reader
        json.dumps({"eventType": "START", "run": {"runId": "r"}}),  # no job
        '{"eventType": "COMPLETE", "job": {"name": "j"}, "run": {"runId": "r2"}, "inputs": [{"nope": 1}]}',
    ]
    bad.write_text("\n".join(lines[:2] + junk + lines[2:]) + "\n")
    t0 = time.perf_counter()
    src, cat = load(bad)
    assert time.perf_counter() - t0 < 10
    text = "\n".join(src.warnings)
    assert "line 3: not valid JSON" in text
    assert "line 4: not valid JSON" in text
    assert "line 5: not an event object" in text
    assert "line 6: not valid JSON" in text
    assert "line 7: no job name" in text
    assert "dataset without a name" in text
    assert len(cat.runs) == 7  # the six real runs and the nameless-input one
    assert build_graph(cat).impact(CLAIMS).models == [model_node_id("readmission-risk")]


def test_folder_of_event_files(openlineage_file: Path, tmp_path: Path) -> None:
    folder = tmp_path / "events"
    folder.mkdir()
    events = [json.loads(x) for x in openlineage_file.read_text().splitlines()]
    for i, ev in enumerate(events[:6]):
        (folder / f"{i:03}.json").write_text(json.dumps(ev, indent=2))
    (folder / "rest.json").write_text(json.dumps(events[6:]))
    (folder / "notes.txt").write_text("ignored")
    src, cat = load(folder)
    assert src.warnings == []
    _, ref = load(openlineage_file)
    assert build_graph(cat).to_json() == build_graph(ref).to_json()


@pytest.mark.parametrize("content", ["", "   \n\n"])
def test_empty_files_give_empty_catalog(tmp_path: Path, content: str) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "e.ndjson").write_text(content)
    src, cat = load(folder)
    assert not cat.runs and not cat.datasets and src.warnings == []


def test_missing_and_empty_folder_are_store_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="No such"):
        open_source(f"openlineage:{tmp_path / 'nope.ndjson'}")
    empty = tmp_path / "empty"
    empty.mkdir()
    src = open_source(f"openlineage:{empty}")
    with pytest.raises(StoreError, match="no OpenLineage event files"):
        src.load_catalog()


def test_cycle_in_events_does_not_hang(tmp_path: Path) -> None:
    def ev(job: str, run: str, ins: list[str], outs: list[str]) -> str:
        return json.dumps({
            "eventType": "COMPLETE", "eventTime": "2026-01-01T00:00:00Z",
            "job": {"namespace": "ns", "name": job}, "run": {"runId": run},
            "inputs": [{"namespace": "s3://b", "name": n} for n in ins],
            "outputs": [{"namespace": "s3://b", "name": n} for n in outs],
        })
    f = tmp_path / "cycle.ndjson"
    f.write_text("\n".join([ev("a", "1", ["x"], ["y"]), ev("b", "2", ["y"], ["x"])]) + "\n")
    _, cat = load(f)
    graph = build_graph(cat)
    x = ol_dataset_node_id("s3://b", "x")
    assert ol_dataset_node_id("s3://b", "y") in graph.downstream(x)
    assert {"run:1", "run:2"} <= set(graph.upstream(x)) and x not in graph.upstream(x)
    assert len(graph.upstream(x)) == len(set(graph.upstream(x)))
    assert not graph.effective_classification(x).phi
