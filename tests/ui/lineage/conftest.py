"""Setup the lineage tests share: the fixture stores by name, their catalogs and graphs, a
lineage view shown at a size, and waiting until its labels are drawn."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.lineage import LineageGraph, build_graph
from mlops_desktop.resources import demo_settings, demo_store_urls
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.lineage.view import LineageView
from tests.ui.conftest import flush_events

#: Every fixture store by name (the ``name`` of :func:`store_urls`), the merged demo last.
STORES = ["mlflow3_db", "mlflow2_db", "mlmd_db", "openlineage", "merged", "demo"]


def store_urls(request: pytest.FixtureRequest, name: str) -> list[str]:
    """The store URLs of the fixture store ``name`` (one of :data:`STORES`)."""
    if name == "demo":
        return demo_store_urls()
    if name == "merged":
        return [str(request.getfixturevalue("mlflow3_db")), f"openlineage:{request.getfixturevalue('openlineage_file')}"]
    if name == "openlineage":
        return [f"openlineage:{request.getfixturevalue('openlineage_file')}"]
    return [str(request.getfixturevalue(name))]


def wait_labels_drawn(view: LineageView, qtbot) -> None:
    """Until a repaint draws labels (once the plot has taken its size and range)."""
    flush_events()

    def drawn() -> bool:
        view.plot.viewport().repaint()
        return view.text_item.labels_drawn > 0

    qtbot.waitUntil(drawn)


def fitted_and_painted(view: LineageView, qtbot) -> None:
    """Fitted to the plot, then painted with its labels."""
    view.fit()
    wait_labels_drawn(view, qtbot)


@pytest.fixture
def merged_stores(mlflow3_db: Path, openlineage_file: Path) -> list[str]:
    """The MLflow 3 fixture and the OpenLineage events about the same datasets."""
    return [str(mlflow3_db), f"openlineage:{openlineage_file}"]


@pytest.fixture
def merged_catalog(merged_stores: list[str]) -> Catalog:
    return load_catalog(merged_stores)


@pytest.fixture
def merged_graph(merged_catalog: Catalog) -> LineageGraph:
    return build_graph(merged_catalog)


@pytest.fixture
def store_graph(request: pytest.FixtureRequest) -> Callable[[str], LineageGraph]:
    """The lineage graph of a fixture store by name (the demo with its own settings)."""

    def graph(name: str) -> LineageGraph:
        return build_graph(load_catalog(store_urls(request, name), settings=demo_settings() if name == "demo" else None))

    return graph


@pytest.fixture
def shown_view(qtbot) -> Callable[..., LineageView]:
    """A lineage view of ``size``, shown and exposed, then showing ``graph`` (focused on ``focus``)."""

    def show(size: tuple[int, int] = (1280, 800), graph: LineageGraph | None = None,
             focus: str | None = None) -> LineageView:
        view = LineageView()
        qtbot.addWidget(view)
        view.resize(*size)
        view.show()
        qtbot.waitExposed(view)
        if graph is not None:
            view.show_graph(graph, focus)
        return view

    return show
