"""Report figures: the lineage figure is laid out by the GUI's layout code (core.layout), prints
every label whole (wrapped, never cut inside a word), has a legend of shapes and colours, draws one
node per entity and dashes inferred links."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.graphics.shapes import Drawing, PolyLine, Rect, String

from mlops_desktop.core.layout import layered_layout
from mlops_desktop.reports import charts
from mlops_desktop.reports.charts import FigureNode
from mlops_desktop.reports.fonts import SANS, register_fonts

NODES = [
    FigureNode("dataset:a", "dataset", "train-a", phi=True),
    FigureNode("dataset:b", "dataset", "train-b", pii=True),
    FigureNode("run:r", "run", "run r"),
    FigureNode("version:m/1", "model_version", "m v1", focus=True),
    FigureNode("deployment:m@champion", "deployment", "champion"),
]
EDGES = [
    ("dataset:a", "run:r"),
    ("dataset:b", "run:r"),
    ("run:r", "version:m/1"),
    ("dataset:a", "version:m/1"),  # spans two layers: bends around the run
    ("version:m/1", "deployment:m@champion"),
]
LABELS = {n.label: n.id for n in NODES}
LEGEND = ["dataset", "job", "run", "model", "model version", "deployment (alias, stage, pushed)",
          "PHI reaches it (red outline)", "PII reaches it (orange outline)", "this version (bold)", "recorded link",
          "inferred link (dashed)"]


@pytest.fixture(autouse=True)
def _fonts() -> None:
    register_fonts()  # the figures measure text in the embedded fonts


def boxes(d: Drawing) -> dict[str, Rect]:
    """Each node's box: the rounded rectangles, matched to the first label line drawn inside them."""
    rects = [s for s in d.contents if isinstance(s, Rect) and s.rx == 2.5]
    out: dict[str, Rect] = {}
    for s in d.contents:
        if isinstance(s, String) and s.text in LABELS:
            for r in rects:
                if r.x <= s.x <= r.x + r.width and r.y <= s.y <= r.y + r.height:
                    out[LABELS[s.text]] = r
    return out


def test_columns_and_order_are_the_core_layout() -> None:
    d = charts.lineage_figure(NODES, EDGES, width=480)
    layout = layered_layout([n.id for n in NODES], EDGES)
    assert layout.layers == [["dataset:a", "dataset:b"], ["run:r"], ["version:m/1"], ["deployment:m@champion"]]
    found = boxes(d)
    assert set(found) == {n.id for n in NODES}
    col_w = 480 / 4
    assert {nid: round(r.x / col_w) for nid, r in found.items()} == {
        "dataset:a": 0, "dataset:b": 0, "run:r": 1, "version:m/1": 2, "deployment:m@champion": 3,
    }
    assert found["dataset:a"].y > found["dataset:b"].y  # top to bottom as the layout orders the layer
    assert charts.figure_layout(NODES, EDGES).layers == layout.layers
    texts = [s.text for s in d.contents if isinstance(s, String)]
    assert [t for t in texts if t in LEGEND] == LEGEND


def test_long_edges_follow_the_layout_bends() -> None:
    d = charts.lineage_figure(NODES, EDGES, width=480)
    lines = [s for s in d.contents if isinstance(s, PolyLine)]
    assert len(lines) == len(EDGES)
    assert list(charts.figure_layout(NODES, EDGES).bends) == [("dataset:a", "version:m/1")]
    assert sorted(len(s.points) for s in lines) == [4, 4, 4, 4, 6]
    bent = next(s for s in lines if len(s.points) == 6)
    # columns 120 points wide, boxes 104: from the dataset's right side, through the middle of
    # the run's column, to the version's left side
    assert bent.points[0::2] == [104.0, 172.0, 240.0]


def test_labels_are_whole_and_broken_between_words() -> None:
    label = "claims_etl.train_readmission_model"
    nodes = [FigureNode("job:j", "job", label), FigureNode("run:r", "run", "run r"),
             FigureNode("version:v", "model_version", "readmission-risk v3", focus=True)]
    d = charts.lineage_figure(nodes, [("job:j", "run:r"), ("run:r", "version:v")], width=200)
    box = min((s for s in d.contents if isinstance(s, Rect) and s.rx == 2.5), key=lambda r: r.x)
    inside = [s for s in d.contents if isinstance(s, String) and box.x <= s.x <= box.x + box.width
              and box.y <= s.y <= box.y + box.height]
    lines = [s.text for s in inside]
    assert "".join(lines) == label and len(lines) > 1  # the whole label, wrapped
    assert all(line[-1] in charts.BREAK_AFTER for line in lines[:-1])  # each break after a separator
    for s in inside:
        assert s.x + charts.stringWidth(s.text, SANS, s.fontSize) <= box.x + box.width


def test_wrap_words_never_splits_a_word() -> None:
    assert charts.wrap_words("s3://lake/clinical/readmission", SANS, 7, 45) == ["s3://lake/", "clinical/", "readmission"]
    assert charts.wrap_words("supercalifragilistic", SANS, 7, 20) is None
    lines, size = charts.fit_label("supercalifragilistic", SANS, 7, 40)
    assert "".join(lines) == "supercalifragilistic" and size == 4.0  # the whole word, smaller (or split at the edge)


def test_inferred_links_are_dashed() -> None:
    d = charts.lineage_figure(NODES, EDGES, width=480, inferred={("run:r", "version:m/1")})
    dashed = [s for s in d.contents if isinstance(s, PolyLine) and s.strokeDashArray]
    assert len(dashed) == 1


def test_repeated_runs_are_one_node_and_cross_store_links_inferred(tmp_path: Path) -> None:
    from mlops_desktop.core.lineage import build_graph, version_node_id
    from mlops_desktop.sources.loader import load_catalog

    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    catalog = load_catalog([str(fixtures / "mlflow-3.17-sqlite.db"), str(fixtures / "mlmd-1.17-tfx.sqlite"),
                            f"openlineage:{fixtures / 'openlineage-1.54-airflow.ndjson'}"])
    graph = build_graph(catalog)
    nodes, edges, inferred = charts.lineage_nodes_for(graph, version_node_id("readmission-risk", "3"), 36)
    labels = sorted(n.label for n in nodes if n.kind == "run")
    assert labels == ["claims_etl.build_features (2 runs)", "claims_etl.extract_claims (2 runs)",
                      "claims_etl.train_readmission_model (2 runs)", "readmission-risk-train-2"]
    assert len({(n.kind, n.label) for n in nodes}) == len(nodes) == 16
    # the Airflow training job writes the MLflow registered model: a join across stores
    assert inferred == {("run:9961b3b4-5e59-455c-8809-0082856daa76", "model:readmission-risk")}


def test_cycles_are_drawn() -> None:
    nodes = [FigureNode("a", "dataset", "a"), FigureNode("b", "run", "b"), FigureNode("c", "model_version", "c")]
    d = charts.lineage_figure(nodes, [("a", "b"), ("b", "c"), ("c", "a")], width=300)
    assert sorted(s.text for s in d.contents if isinstance(s, String) and s.text in {"a", "b", "c"}) == ["a", "b", "c"]
    assert len([s for s in d.contents if isinstance(s, PolyLine)]) == 3


def test_a_large_neighbourhood_fits_the_height() -> None:
    nodes = [FigureNode("version:m/1", "model_version", "m v1", focus=True)]
    nodes += [FigureNode(f"dataset:{i}", "dataset", f"ds {i}") for i in range(35)]
    edges = [(f"dataset:{i}", "version:m/1") for i in range(35)]
    d = charts.lineage_figure(nodes, edges, width=480, max_height=600)
    assert d.height <= 600
    assert len([s for s in d.contents if isinstance(s, Rect) and s.rx == 2.5]) == 36
    assert sorted(s.text for s in d.contents if isinstance(s, String) and s.text.startswith("ds ")) == sorted(
        f"ds {i}" for i in range(35))


def test_no_nodes_says_so() -> None:
    d = charts.lineage_figure([], [])
    assert [s.text for s in d.contents if isinstance(s, String)] == ["No lineage recorded for this model."]


def test_kind_shapes_and_colours_are_the_guis() -> None:
    import ast

    view = Path(__file__).resolve().parents[2] / "mlops_desktop" / "ui" / "lineage" / "view.py"
    tree = ast.parse(view.read_text(encoding="utf-8"))  # read, not imported: reports tests import no Qt
    gui = next(ast.literal_eval(n.value) for n in ast.walk(tree)
               if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "KIND_STYLE" for t in n.targets))
    assert gui == charts.KIND_STYLE
