"""The Models page at 1280x800 on the demo stores (with signed decisions, so every column is
full): the stages and aliases and the authors are shown whole, the table needs no horizontal
scroll, the columns that give way (Governance) carry their whole text in a tooltip, and no
header is cut."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize, Qt

from mlops_desktop.resources import demo_settings, demo_store_urls
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.catalog.elided_tips import cell_tooltip, is_elided
from tests.ui.conftest import flush_events
from tests.ui.test_screenshots import _governance_with_decisions


def _demo_models_page(make_window, qtbot, ui, tmp_path, size):  # type: ignore[no-untyped-def]
    """The Models page of a window of ``size`` on the demo stores with decisions recorded, every
    column computed and fitted."""
    catalog = load_catalog(demo_store_urls(), settings=demo_settings())
    window = make_window(source_settings=demo_settings(),
                         governance_url=_governance_with_decisions(tmp_path / "governance.db", catalog))
    window.persist_layout = False
    window.resize(size)
    window.open_stores(demo_store_urls())
    ui.wait_idle(qtbot, window.load_slot)
    view = window.models_view
    for slot in (view.search_slot, view.monitoring_slot, view.governance_slot):
        ui.wait_idle(qtbot, slot)
    flush_events()
    view.table_fitter.fit()
    return view


@pytest.mark.parametrize("size", [QSize(1280, 800), QSize(1920, 1080)])
def test_stages_aliases_and_authors_fit_at_1280(make_window, qtbot, ui, tmp_path, size):
    view = _demo_models_page(make_window, qtbot, ui, tmp_path, size)
    table, proxy, model = view.table, view.proxy, view.model
    stage, author = model.column_index("Stage / aliases"), model.column_index("Author")
    texts = [proxy.index(r, stage).data() for r in range(proxy.rowCount())]
    assert "v3 Production @champion · v2 @challenger" in texts  # one group per version, newest first
    for row in range(proxy.rowCount()):
        for column in (stage, author):
            index = proxy.index(row, column)
            assert index.data() is not None
            assert not is_elided(table, index), (index.data(), table.columnWidth(column))
        for column in range(proxy.columnCount()):  # whatever is cut shows its whole text
            index = proxy.index(row, column)
            if is_elided(table, index):
                assert cell_tooltip(table, index), index.data()
    header = table.horizontalHeader()
    assert sum(header.sectionSize(i) for i in range(header.count())) <= table.viewport().width()
    assert table.horizontalScrollBar().maximum() == 0
    for i in range(header.count()):
        assert header.sectionSize(i) >= min(view.table_fitter.header_width(i), 110), proxy.headerData(
            i, Qt.Orientation.Horizontal)
    governance = model.column_index("Governance")
    if size.width() == 1280:  # the verdicts give way first: cut, with their whole text as tooltip
        cut = [proxy.index(r, governance) for r in range(proxy.rowCount())
               if is_elided(table, proxy.index(r, governance))]
        assert cut and all(cell_tooltip(table, i) for i in cut)
    # sorted by another column, its header gets the arrow's room and everything still fits
    table.sortByColumn(model.column_index("Latest version"), Qt.SortOrder.DescendingOrder)
    flush_events()
    view.table_fitter.fit()
    latest = model.column_index("Latest version")
    assert header.sectionSize(latest) >= header.sectionSizeFromContents(latest).width()
    assert sum(header.sectionSize(i) for i in range(header.count())) <= table.viewport().width()


@pytest.mark.parametrize("size", [QSize(1280, 800), QSize(1920, 1080)])
def test_governance_and_monitoring_share_by_need(make_window, qtbot, ui, tmp_path, size):
    """Governance and Monitoring share the room left by what each needs: at 1920x1080 both are
    whole (Monitoring was capped and cut while Governance had room to spare); at 1280x800 neither
    is cut while the other has room beyond its text."""
    view = _demo_models_page(make_window, qtbot, ui, tmp_path, size)
    table, proxy, model = view.table, view.proxy, view.model
    columns = {name: model.column_index(name) for name in ("Governance", "Monitoring")}
    cut = {name: [proxy.index(r, c).data() for r in range(proxy.rowCount()) if is_elided(table, proxy.index(r, c))]
           for name, c in columns.items()}
    texts = [str(proxy.index(r, columns["Monitoring"]).data() or "") for r in range(proxy.rowCount())]
    assert any(t.startswith("Not monitored (v4,") for t in texts)
    if size.width() == 1920:
        assert cut == {"Governance": [], "Monitoring": []}, cut
    else:
        for name, c in columns.items():
            spare = table.columnWidth(c) - view.table_fitter.content_width(c)
            other = "Monitoring" if name == "Governance" else "Governance"
            assert not (cut[other] and spare > 0), (name, spare, cut)
    assert sum(table.horizontalHeader().sectionSize(i) for i in range(model.columnCount())) \
        <= table.viewport().width()


@pytest.mark.parametrize("size", [QSize(1280, 800), QSize(1920, 1080)])
def test_version_list_stage_and_aliases_whole(make_window, qtbot, ui, size):
    """The version list of credit-limit: Stage and Aliases whole ("Production", "@champion" were
    cut at 1280x800); Author whole at 1920x1080, and where it is cut its tooltip is the whole text."""
    window = make_window(source_settings=demo_settings())
    window.persist_layout = False
    window.resize(size)
    window.open_stores(demo_store_urls())
    ui.wait_idle(qtbot, window.load_slot)
    view = window.models_view
    assert view.select_model("credit-limit") and view.select_version("3")
    flush_events()
    view.versions_fitter.fit()
    table, model = view.versions_table, view.versions_table.model()
    titles = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())]
    stage, aliases, author = titles.index("Stage"), titles.index("Aliases"), titles.index("Author")
    texts = {model.index(r, stage).data() for r in range(model.rowCount())}
    assert "Production" in texts
    for row in range(model.rowCount()):
        for column in (stage, aliases):
            index = model.index(row, column)
            assert not is_elided(table, index), (index.data(), table.columnWidth(column))
        index = model.index(row, author)
        if size.width() == 1920:
            assert not is_elided(table, index), (index.data(), table.columnWidth(author))
        elif is_elided(table, index):
            assert cell_tooltip(table, index) == index.data()
    assert table.horizontalScrollBar().maximum() == 0
