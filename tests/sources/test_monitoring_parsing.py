"""The fast reading of monitoring results (msgspec, only the members the readers read) gives
exactly what the full JSON parse gives, and every file it does not take is read the full way."""

from __future__ import annotations

import copy
import gzip
import json
import os
import random
from pathlib import Path
from typing import Any

import msgspec
import pytest

from mlops_desktop.sources.base import parse_store_url
from mlops_desktop.sources.documents import DocumentError, parse_json
from mlops_desktop.sources.monitoring import MonitoringSource, parse_lean, read_fast
from tests.conftest import FIXTURES

RESULTS = FIXTURES / "monitoring" / "results"
WEEK6 = RESULTS / "evidently" / "iris" / "week-06.json"
GX = RESULTS / "gx" / "wine-train-2026-10-13.json"
JSON_FILES = sorted(p for p in RESULTS.rglob("*.json") if "broken" not in p.parts)


def _read(name: str, body: object, digest: str = "sha256:x") -> tuple[str, list[object]]:
    return MonitoringSource._read_doc(name, body, digest, "monitoring:x")


@pytest.mark.parametrize("path", JSON_FILES, ids=lambda p: p.relative_to(RESULTS).as_posix())
def test_lean_parse_reads_what_the_full_parse_reads(path: Path) -> None:
    raw = path.read_bytes()
    name = path.relative_to(RESULTS).as_posix()
    lean = parse_lean(raw)
    assert lean is not None, "the fixtures are plain UTF-8 JSON objects the fast decoder takes"
    assert _read(name, lean) == _read(name, parse_json(raw))
    assert _read(name, lean)[1], "each fixture gives results"


def test_a_snapshot_keeps_its_widgets_unparsed() -> None:
    lean = parse_lean(WEEK6.read_bytes())
    full = json.loads(WEEK6.read_text(encoding="utf-8"))
    assert isinstance(lean["widgets"], msgspec.Raw)
    assert json.loads(bytes(lean["widgets"])) == full["widgets"]  # the bytes, unparsed
    assert set(lean) == set(full)
    for mid, result in lean["metric_results"].items():
        assert set(result) == {"type", "metric_value_location", "value"} & set(full["metric_results"][mid])
        assert all(result[k] == full["metric_results"][mid][k] for k in result)


def _week6_results() -> list[object]:
    return _read("evidently/iris/week-06.json", parse_json(WEEK6.read_bytes()))[1]


@pytest.mark.parametrize(("label", "raw"), [
    ("byte-order mark", b"\xef\xbb\xbf" + WEEK6.read_bytes()),
    ("gzip", gzip.compress(WEEK6.read_bytes())),
    ("NaN in the widgets", WEEK6.read_bytes().replace(b'"tests_widgets": []', b'"tests_widgets": [NaN]', 1)),
    ("number out of range", WEEK6.read_bytes().replace(b'"metadata": {', b'"metadata": {"rows": 1e400, ', 1)),
])
def test_files_the_fast_decoder_refuses_are_read_in_full(tmp_path: Path, label: str, raw: bytes) -> None:
    assert parse_lean(raw) is None, label
    folder = tmp_path / "mon"
    folder.mkdir()
    (folder / "evidently" / "iris").mkdir(parents=True)
    (folder / "evidently" / "iris" / "week-06.json").write_bytes(raw)
    source = MonitoringSource(parse_store_url(f"monitoring:{folder}"))
    results = source.read_results()
    assert source.rejected == []
    assert [r.drift for r in results] == [r.drift for r in _week6_results()]  # type: ignore[attr-defined]


def test_a_shape_error_is_reported_as_the_full_document_shows_it(tmp_path: Path) -> None:
    doc = json.loads(WEEK6.read_text(encoding="utf-8"))
    first = next(iter(doc["metric_results"]))
    doc["metric_results"][first] = "not an object"  # the fast decoder refuses it, the reader says why
    folder = tmp_path / "mon"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(doc), encoding="utf-8")
    doc2 = json.loads(WEEK6.read_text(encoding="utf-8"))
    doc2["timestamp"] = "soon"  # the fast decoder takes it; the reader refuses it
    (folder / "b.json").write_text(json.dumps(doc2), encoding="utf-8")
    source = MonitoringSource(parse_store_url(f"monitoring:{folder}"))
    assert source.read_results() == []
    assert [(f.name, f.reason) for f in source.rejected] == [
        ("a.json", f"Evidently snapshot: metric_results[{first!r}] is not an evidently metric result"),
        ("b.json", "Evidently snapshot: timestamp 'soon' is not an ISO 8601 time"),
    ]
    with pytest.raises(DocumentError):
        _read("b.json", parse_json((folder / "b.json").read_bytes()))


@pytest.mark.parametrize("raw", [b'{"a": 1} x', b'{"a": "\xff"}', b"[1, 2", b""])
def test_malformed_bytes_are_left_to_the_full_parse(raw: bytes) -> None:
    assert parse_lean(raw) is None
    with pytest.raises(DocumentError):
        parse_json(raw)


def test_links_to_files_are_read_and_links_to_folders_not_followed(tmp_path: Path) -> None:
    folder = tmp_path / "mon"
    (folder / "gx").mkdir(parents=True)
    os.symlink(GX, folder / "gx" / "linked.json")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "week-06.json").write_bytes(WEEK6.read_bytes())
    os.symlink(elsewhere, folder / "other")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "week-06.json").write_bytes(WEEK6.read_bytes())
    source = MonitoringSource(parse_store_url(f"monitoring:{folder}"))
    results = source.read_results()
    assert [r.id for r in results] == ["gx/linked.json"]
    assert source.rejected == []


# -- the direct reading into structs gives what the general reading gives, whatever the shape ----------
REPLACEMENTS: list[object] = [None, "", "text", 0, 1, -3, 1.5, float("nan"), True, False, [], [1, "a"], {}, {"a": 1},
                              "2026-10-13T09:00:00", "K-S p_value", "evidently:metric_v2:ValueDrift",
                              "evidently:metric_result_v2:SingleValue"]


def _paths(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [path] if path else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


def _mutate(doc: object, rng: random.Random) -> object:
    doc = copy.deepcopy(doc)
    for _ in range(rng.choice((1, 1, 2, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = rng.choice(paths)
        parent = doc
        for key in path[:-1]:
            parent = parent[key]  # type: ignore[index]
        if isinstance(parent, dict) and rng.random() < 0.3:
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(REPLACEMENTS))  # type: ignore[index]
    return doc


def _general(name: str, raw: bytes) -> object:
    try:
        return _read(name, parse_json(raw))
    except DocumentError as exc:
        return ("rejected", str(exc))


def _as_read(source: MonitoringSource, name: str, raw: bytes) -> object:
    try:
        results = list(source._read_one(name, raw, "sha256:x", "monitoring:x"))
    except DocumentError as exc:
        return ("rejected", str(exc))
    kind = next(iter(source.counts)) if source.counts else ""
    source.counts.clear()
    return (kind, results)


@pytest.mark.parametrize("path", [WEEK6, GX, RESULTS / "gx" / "wine-train-2026-09-15.json",
                                  RESULTS / "evidently" / "other-team.json"], ids=lambda p: p.name)
def test_every_shape_reads_as_the_general_reader_reads_it(tmp_path: Path, path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    if "widgets" in doc:  # the widgets are never read: mutate what is
        doc["widgets"] = []
        for result in doc["metric_results"].values():
            result["widget"] = []
    source = MonitoringSource(parse_store_url(f"monitoring:{tmp_path}"))
    rng = random.Random(path.name)
    fast = 0
    for _ in range(400):
        raw = json.dumps(_mutate(doc, rng)).encode("utf-8")
        name = "evidently/x.json" if "metric_results" in doc else "gx/x.json"
        expected = _general(name, raw)
        assert _as_read(source, name, raw) == expected, raw[:300]
        fast += read_fast(name, raw, "sha256:x", "monitoring:x") is not None
    assert 40 < fast < 400  # both ways were taken


def test_the_fixtures_are_read_straight_into_structs() -> None:
    for path in JSON_FILES:
        name = path.relative_to(RESULTS).as_posix()
        fast = read_fast(name, path.read_bytes(), "sha256:x", "monitoring:x")
        if name.startswith(("evidently/", "gx/")):
            assert fast is not None, name
            assert fast == _read(name, parse_json(path.read_bytes()), "sha256:x"), name
        else:
            assert fast is None, name


def _failed_item(doc: dict[str, Any]) -> dict[str, Any]:
    return next(item for item in doc["results"] if not item["success"])


@pytest.mark.parametrize("edit", [
    lambda item: item["result"].pop("element_count"),
    lambda item: item["result"].update(element_count=None),
    lambda item: item.update(result=None),
    lambda item: item.update(result={}),
    lambda item: item["result"].update(unexpected_count=True),
    lambda item: item.update(exception_info={"raised_exception": True, "exception_message": "division by zero"}),
    lambda item: item.update(exception_info={"raised_exception": True}),
    lambda item: item["expectation_config"].update(kwargs={"column": ""}),
    lambda item: item["expectation_config"].pop("kwargs"),
], ids=["no element_count", "element_count null", "result null", "result empty", "unexpected true",
        "raised", "raised without message", "empty column", "no kwargs"])
def test_failed_check_details_read_alike(edit: Any) -> None:
    doc = json.loads(GX.read_text(encoding="utf-8"))
    edit(_failed_item(doc))
    raw = json.dumps(doc).encode("utf-8")
    fast = read_fast("gx/x.json", raw, "sha256:x", "monitoring:x")
    assert fast is not None
    assert fast == _read("gx/x.json", parse_json(raw), "sha256:x")


@pytest.mark.parametrize("extra", [{"metric_results": None, "top_level_metrics": None},
                                   {"metric\\u005fresults": {}, "top_level_metrics": []}], ids=["null", "escaped"])
def test_a_validation_result_with_snapshot_members_is_classified_as_the_general_reader_does(
        tmp_path: Path, extra: dict[str, Any]) -> None:
    doc = json.loads(GX.read_text(encoding="utf-8"))
    raw = json.dumps(doc).encode("utf-8")[:-1] + b", " + json.dumps(extra).encode("utf-8")[1:].replace(b"\\\\", b"\\")
    assert read_fast("gx/x.json", raw, "sha256:x", "monitoring:x") is None
    source = MonitoringSource(parse_store_url(f"monitoring:{tmp_path}"))
    assert _as_read(source, "gx/x.json", raw) == _general("gx/x.json", raw)


def test_with_links_is_replace() -> None:
    from dataclasses import fields, replace
    from datetime import UTC, datetime

    from mlops_desktop.core.monitoring import FeatureDrift, MonitoringResult, QualityCheck

    values = {f.name: f"value of {f.name}" for f in fields(MonitoringResult)}
    values.update(at=datetime(2026, 10, 13, tzinfo=UTC), drift=(FeatureDrift("age", 0.3, 0.1, True),),
                  checks=(QualityCheck("not_null(age)", False),), linked_versions=(("m", "1"),))
    r = MonitoringResult(**values)  # type: ignore[arg-type]
    assert r.with_links("linked to x", (("m", "2"),), "dataset:d") == replace(
        r, link="linked to x", linked_versions=(("m", "2"),), linked_dataset="dataset:d")
