"""The Overview's Run fact (run name, id, status, user) is shown whole at the pane's 1280x800 width."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from mlops_desktop.resources import demo_settings, demo_store_urls
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.catalog.version_detail import VersionDetailWidget
from tests.ui.conftest import flush_events, render


def _shown_whole(label: QLabel) -> bool:
    """Whether every line of ``label`` fits its width: one line fits as a whole, a wrapped one
    word by word, with the label tall enough for the lines it wraps into."""
    room = label.contentsRect().width()
    metrics = label.fontMetrics()
    if not label.wordWrap():
        return metrics.horizontalAdvance(label.text()) <= room
    words_fit = all(metrics.horizontalAdvance(word) <= room for word in label.text().split())
    return words_fit and label.height() >= label.heightForWidth(label.width())


def test_run_fact_whole_at_1280_pane_width(qtbot) -> None:
    catalog = load_catalog(demo_store_urls(), settings=demo_settings())
    model = catalog.model("credit-limit")
    assert model is not None
    version = model.version("3")
    assert version is not None and version.run_id
    widget = VersionDetailWidget()
    qtbot.addWidget(widget)
    widget.resize(596, 420)  # the version pane's width in the 1280x800 window
    widget.show()
    widget.set_version(version, model, catalog)
    flush_events()
    run = widget.fact_labels["Run"]
    assert version.run_id in run.text() and run.text().endswith(")")
    assert run.fontMetrics().horizontalAdvance(run.text()) > run.contentsRect().width()  # wider than one line
    assert _shown_whole(run), (run.text(), run.width(), run.height())
    assert run.toolTip() == run.text()
    # the run link above the tabs still opens the run
    opened: list[str] = []
    widget.sig_open_run.connect(opened.append)
    widget.links.linkActivated.emit(f"run:{version.run_id}")
    assert opened == [version.run_id]
    render(widget, "version-detail-run-fact")
