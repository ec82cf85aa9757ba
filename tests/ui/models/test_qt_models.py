"""Every Qt model passes pytest-qt's qtmodeltester, empty and filled from a real store (the Runs and
Datasets pages' windowed models: tests/ui/catalog/test_store_paged_pages.py)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from mlops_desktop.sources import load_catalog
from mlops_desktop.ui.common.roles import BADGES_ROLE, ENTITY_ROLE, SORT_ROLE
from mlops_desktop.ui.models.base import FilterProxyModel
from mlops_desktop.ui.models.catalog import (
    DatasetInputsModel,
    KeyValueModel,
    ModelInventoryModel,
    VersionsModel,
    version_inputs,
)


@pytest.fixture
def catalog(mlflow3_db):
    return load_catalog([str(mlflow3_db)], all_runs=True)


def _models(catalog):
    credit = catalog.model("credit-limit")
    version = credit.version("3")
    kv = KeyValueModel("Tag", "Value")
    kv.set_mapping(credit.tags)
    versions = VersionsModel()
    versions.set_model(credit)
    return {
        "inventory": ModelInventoryModel(catalog.models),
        "versions": versions,
        "inputs": DatasetInputsModel(version_inputs(version, catalog)),
        "key-value": kv,
    }


@pytest.mark.parametrize("name", ["inventory", "versions", "inputs", "key-value"])
def test_models_pass_qtmodeltester(qtmodeltester, catalog, name):
    model = _models(catalog)[name]
    assert model.rowCount() > 0
    qtmodeltester.check(model)
    empty = type(model)() if name != "key-value" else KeyValueModel()
    qtmodeltester.check(empty)


def test_proxy_passes_qtmodeltester_while_filtering_and_sorting(qtmodeltester, catalog):
    model = ModelInventoryModel(catalog.models)
    proxy = FilterProxyModel()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy)
    proxy.sort(1, Qt.SortOrder.DescendingOrder)
    proxy.set_filter_text("clinical")  # matches nothing shown: team tags are not columns
    qtmodeltester.check(proxy)
    proxy.set_filter_text("high")
    assert sorted(proxy.index(r, 0).data() for r in range(proxy.rowCount())) == [
        "credit-limit", "readmission-risk", "sepsis-alert"]


def test_inventory_row_content_and_roles(catalog):
    model = ModelInventoryModel(catalog.models)
    rows = {model.index(r, 0).data(): r for r in range(model.rowCount())}
    r = rows["readmission-risk"]
    cols = {col.title: model.index(r, c) for c, col in enumerate(model.columns)}
    assert cols["Latest version"].data() == "3"
    assert cols["Risk tier"].data() == "high"
    assert cols["Data"].data(BADGES_ROLE) == ["PII", "PHI"]
    assert cols["Stage / aliases"].data() == "v3 @champion · v2 @challenger"  # per version, newest first
    assert cols["Name"].data(ENTITY_ROLE).name == "readmission-risk"
    assert cols["Last updated"].data(SORT_ROLE) > 0
    assert len(cols["Last updated"].data()) == 10  # the day; the time in the tooltip
    assert cols["Last updated"].data(Qt.ItemDataRole.ToolTipRole).endswith(" UTC")
    latest = model.column_index("Latest version")
    assert model.headerData(latest, Qt.Orientation.Horizontal) == "Latest"
    assert model.headerData(latest, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == "Latest version"


def test_streamed_rows_are_inserted_not_reset(qtbot, catalog):
    model = ModelInventoryModel()
    with qtbot.waitSignal(model.rowsInserted, timeout=1000):
        model.append_rows(catalog.models[:3])
    model.append_rows(catalog.models[3:])
    assert model.rowCount() == len(catalog.models)
