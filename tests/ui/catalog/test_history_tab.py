"""The History tabs and the Models page's "as of" control on a real journal.

A copy of the MLflow 3.17 fixture is observed, changed through ``MlflowClient`` (fraud-detector's
champion moves from v3 to v2 after Alice and Bob approved v2 for champion; demand-forecast v3
enters Production; sepsis-alert loses its challenger) and observed again
(``tests.governance.test_journal_mlflow``'s scenario).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from mlops_desktop.governance.journal import parse_time
from mlops_desktop.services.history import inventory_as_of, load_history
from mlops_desktop.services.timeline import STAGE
from mlops_desktop.ui.catalog.inventory_view import ModelsView
from mlops_desktop.ui.common import theme
from tests.cli.test_snapshot_cli import trusted_key  # noqa: F401 - alice, trusted in tmp/governance.db
from tests.governance.test_journal_mlflow import Scenario, _scenario
from tests.ui.conftest import render, wait_idle

pytest.importorskip("mlflow", reason="the test extra (mlflow) is not installed")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Scenario]:
    s = _scenario(tmp_path, ("alice", "bob"))
    try:
        yield s
    finally:
        s.gov.close()


def models_page(qtbot, catalog, gov_url: str | None) -> ModelsView:
    view = ModelsView()
    qtbot.addWidget(view)
    view.governance_url_source = lambda: gov_url
    view.resize(1110, 760)  # the Models page of a 1280 px window (the navigator takes the rest)
    view.show()
    view.set_catalog(catalog)
    wait_idle(qtbot, view.governance_slot)
    wait_idle(qtbot, view.monitoring_slot)
    return view


def table_texts(model, column: str) -> list[str]:
    col = model.column_index(column)
    return [model.index(r, col).data() for r in range(model.rowCount())]


def test_model_history_tab_shows_the_journal_changes(qtbot, world: Scenario) -> None:
    view = models_page(qtbot, world.catalog, str(world.gov_path))
    try:
        assert view.select_model("fraud-detector")
        tab = view.model_history
        view.model_tabs.setCurrentWidget(tab)
        wait_idle(qtbot, tab.slot)
        # exactly the events the service behind the CLI's `history --model` lists
        expected = load_history(str(world.gov_path), world.catalog, model="fraud-detector", record=False).events
        assert [e.text for e in tab.events_model.rows] == [e.text for e in expected]
        [event] = tab.events_model.rows
        assert (event.kind, event.alias, event.before, event.after) == ("alias", "champion", "3", "2")
        assert event.after_time == world.first.observed_at and event.before_time == world.second.observed_at
        row = {c: table_texts(tab.events_model, c)[0] for c in ("When (UTC)", "Change", "Window")}
        assert row["Change"] == "@champion moved v3 → v2"
        assert row["Window"] == "observations only"
        window_col = tab.events_model.column_index("Window")
        assert tab.events_model.index(0, window_col).data(Qt.ItemDataRole.ToolTipRole) == event.window_text
        assert "only the observation window is known" in event.window_text
        t1, t2 = (t.replace("T", " ").split(".")[0] for t in (world.first.observed_at, world.second.observed_at))
        assert row["When (UTC)"] in (f"{t1} → {t2[11:]}", t2)  # one time when both fall in one second
        # the timeline: one band per stage and alias; champion held by v3 until the change, then v2
        chart = tab.chart
        assert [(k, t) for _r, k, t in chart.lanes] == [(STAGE, "Production"), ("alias", "challenger"),
                                                         ("alias", "champion")]
        champion = {s.version: s for s in tab.history.segments if s.target == "champion"}
        assert champion["3"].end_after == world.first.time and champion["3"].end_by == world.second.time
        assert champion["2"].start_after == world.first.time and champion["2"].start_by == world.second.time
        assert champion["2"].still_held and not champion["3"].still_held
        assert len(chart.rows) == len(tab.history.segments)
        # hovering a bar says what the journal knows of it
        x = (world.first.time.timestamp() + world.second.time.timestamp()) / 2
        v3 = chart.segment_at(world.first.time.timestamp(), chart.rows[tab.history.segments.index(champion["3"])])
        assert v3 is champion["3"]
        t1, t2 = (t.strftime("%Y-%m-%d %H:%M:%S UTC") for t in (world.first.time, world.second.time))
        assert v3.describe().startswith("v3 alias champion: entered between ")  # after its creation, by t1
        assert v3.describe().endswith(f" and {t1}; left between {t1} and {t2}")
        assert chart.segment_at(x, -5) is None
        # the two approvals of v2 for champion are marked on the champion band
        assert len(chart.decision_item.data) == 2
        ys = {round(float(y), 3) for y in chart.decision_item.data["y"]}
        lane = chart.lane_of("alias", "champion")
        assert ys == {round(len(chart.lanes) - lane + 0.35 + 0.08, 3)}
        assert "2 decisions" in tab.summary.text() and "2 observations" in tab.summary.text()
        manager = theme.theme_manager()
        for mode in ("light", "dark"):
            manager.apply(mode)
            qtbot.wait(20)
            render(view, f"models_history_tab_{mode}")
        manager.apply("light")
    finally:
        view.shutdown()


def test_version_history_tab_and_narrowed_window(qtbot, world: Scenario) -> None:
    view = models_page(qtbot, world.catalog, str(world.gov_path))
    try:
        assert view.select_model("demand-forecast") and view.select_version("3")
        tab = view.detail.history_tab
        view.detail.tabs.setCurrentWidget(tab)
        wait_idle(qtbot, tab.slot)
        [event] = tab.events_model.rows
        assert (event.kind, event.version, event.before, event.after) == ("stage", "3", None, "Production")
        # MLflow's last_updated_time bounds the stage change: the window says so
        assert table_texts(tab.events_model, "Window") == ["the version's last_updated_time"]
        assert parse_time(event.before_time) < world.second.time
        [production] = [s for s in tab.shown_history().segments if s.target == "Production"]
        assert production.start_by == parse_time(event.before_time) and production.still_held
        # v2 of fraud-detector: the champion moved onto it
        assert view.select_model("fraud-detector") and view.select_version("2")
        wait_idle(qtbot, tab.slot)
        assert [e.alias for e in tab.events_model.rows] == ["champion"]
        assert {s.target for s in tab.shown_history().segments} == {"challenger", "champion"}
        render(view.detail, "version_history_tab")
    finally:
        view.shutdown()


def test_history_tab_without_a_journal(qtbot, world: Scenario, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "gov.db"
    view = models_page(qtbot, world.catalog, str(missing))
    try:
        view.select_model("fraud-detector")
        tab = view.model_history
        view.model_tabs.setCurrentWidget(tab)
        wait_idle(qtbot, tab.slot)
        assert tab.stack.currentWidget() is tab.empty
        assert tab.empty.text().startswith("No journal to read: No governance database at")
        assert not missing.exists()  # reading history creates no governance store
    finally:
        view.shutdown()
    # a governance store whose journal never observed this registry
    from mlops_desktop.governance.store import open_governance

    empty = tmp_path / "empty-gov.db"
    open_governance(str(empty)).close()
    view = models_page(qtbot, world.catalog, str(empty))
    try:
        view.select_model("fraud-detector")
        view.model_tabs.setCurrentWidget(view.model_history)
        wait_idle(qtbot, view.model_history.slot)
        assert "holds no observation of this registry" in view.model_history.empty.text()
    finally:
        view.shutdown()


def test_as_of_between_the_observations_shows_the_first_state(qtbot, world: Scenario) -> None:
    view = models_page(qtbot, world.catalog, str(world.gov_path))
    try:
        view.show_as_of(world.between)
        assert view.content.currentWidget() is view.as_of_view
        wait_idle(qtbot, view.as_of_view.slot)
        state = view.as_of_view.state
        assert state is not None and not state.empty_reason
        [basis] = state.basis
        assert basis.observation_id == world.first.id and basis.observed_at == world.first.observed_at
        banner = view.as_of_view.banner.text()
        assert f"observation #{world.first.id}" in banner and "read-only" in banner
        assert "(unsigned)" in banner and basis.signature is None
        # exactly what `inventory --as-of` rebuilds, and it is the first state
        doc = inventory_as_of(str(world.gov_path), world.catalog, world.between, record=False)
        expected = [(m["name"], v["version"], v["stage"], tuple(v["aliases"])) for m in doc["models"]
                    for v in m["versions"]]
        m = view.as_of_view.model
        shown = [(m.entity(r).model, m.entity(r).version, m.entity(r).stage, m.entity(r).aliases)
                 for r in range(m.rowCount())]
        assert sorted(shown) == sorted(expected)
        got = {(v.model, v.version): v for v in state.versions}
        assert got[("fraud-detector", "3")].aliases == ("champion",)
        assert got[("demand-forecast", "3")].stage in (None, "None")
        assert got[("sepsis-alert", "2")].aliases == ("challenger",)
        assert view.filter_bar.count.text() == f"{len(state.versions)} versions then"
        # the filter narrows the rows; the attention filter does not apply to a past state
        view.filter_bar.edit.setText("fraud")
        assert view.filter_bar.count.text() == f"2 of {len(state.versions)} versions then"
        assert {view.as_of_view.proxy.index(r, 0).data() for r in range(view.as_of_view.proxy.rowCount())} == {
            "fraud-detector"}
        assert not view.attention_check.isEnabled()
        view.filter_bar.edit.clear()
        manager = theme.theme_manager()
        for mode in ("light", "dark"):
            manager.apply(mode)
            qtbot.wait(20)
            render(view, f"models_as_of_{mode}")
        manager.apply("light")
        # after the second observation: the changed state
        view.show_as_of(world.second.time + timedelta(seconds=1))
        wait_idle(qtbot, view.as_of_view.slot)
        later = {(v.model, v.version): v for v in view.as_of_view.state.versions}
        assert later[("fraud-detector", "2")].aliases == ("challenger", "champion")
        assert view.as_of_view.state.basis[0].observation_id == world.second.id
        # back to now: the live tables again
        qtbot.mouseClick(view.as_of_view.now_button, Qt.MouseButton.LeftButton)
        assert view.content.currentWidget() is view.live and not view.as_of_control.check.isChecked()
        assert view.filter_bar.count.text() == f"{view.model.rowCount()} models"
        assert view.attention_check.isEnabled()
    finally:
        view.shutdown()


def test_as_of_before_the_journal_and_without_one(qtbot, world: Scenario, tmp_path: Path) -> None:
    view = models_page(qtbot, world.catalog, str(world.gov_path))
    try:
        view.show_as_of(world.first.time - timedelta(days=1))
        wait_idle(qtbot, view.as_of_view.slot)
        assert view.as_of_view.stack.currentWidget() is view.as_of_view.empty
        text = view.as_of_view.empty.text()
        assert "holds no observation" in text and world.first.observed_at in text
        assert "no recorded state" in view.as_of_view.banner.text()
        assert view.as_of_view.model.rowCount() == 0
    finally:
        view.shutdown()
    missing = tmp_path / "none" / "gov.db"
    view = models_page(qtbot, world.catalog, str(missing))
    try:
        view.show_as_of(world.between)
        wait_idle(qtbot, view.as_of_view.slot)
        assert view.as_of_view.empty.text().startswith("There is no registry journal to read")
        assert not missing.exists()
        render(view, "models_as_of_no_journal")
    finally:
        view.shutdown()


def test_window_at_1280_renders_history_and_as_of(make_window, qtbot, world: Scenario) -> None:
    """The main window at 1280x800: the versions fit, and the History tabs and the as-of state
    are rendered in both themes for people to look at."""
    window = make_window(governance_url=str(world.gov_path))
    window.resize(1280, 800)
    window.open_stores([str(world.db)])
    wait_idle(qtbot, window.load_slot)
    view = window.models_view
    wait_idle(qtbot, view.governance_slot)
    assert window.width() == 1280
    assert view.select_model("fraud-detector") and view.select_version("3")
    qtbot.wait(10)
    view.versions_fitter.fit()
    header = view.versions_table.horizontalHeader()
    assert sum(header.sectionSize(i) for i in range(header.count())) <= view.versions_table.viewport().width()
    view.model_tabs.setCurrentWidget(view.model_history)
    view.detail.tabs.setCurrentWidget(view.detail.history_tab)
    wait_idle(qtbot, view.model_history.slot)
    wait_idle(qtbot, view.detail.history_tab.slot)
    assert view.model_history.events_model.rowCount() == 1
    manager = theme.theme_manager()
    try:
        for mode in ("light", "dark"):
            window.set_theme(mode)
            qtbot.wait(20)
            render(window, f"main_window_history_{mode}")
        view.show_as_of(world.between)
        wait_idle(qtbot, view.as_of_view.slot)
        for mode in ("light", "dark"):
            window.set_theme(mode)
            qtbot.wait(20)
            render(window, f"main_window_as_of_{mode}")
        # and at 1920x1080
        window.resize(1920, 1080)
        for mode in ("light", "dark"):
            window.set_theme(mode)
            qtbot.wait(20)
            render(window, f"main_window_as_of_1920_{mode}")
        view.show_as_of(None)
        for mode in ("light", "dark"):
            window.set_theme(mode)
            qtbot.wait(20)
            view.versions_fitter.fit()
            assert sum(header.sectionSize(i) for i in range(header.count())) <= \
                view.versions_table.viewport().width()
            render(window, f"main_window_history_1920_{mode}")
    finally:
        manager.apply("light")


def test_history_and_as_of_from_an_opened_snapshot(qtbot, capsys, tmp_path: Path, mlflow3_db: Path,
                                                   trusted_key: tuple[Path, Path]) -> None:  # noqa: F811
    """An auditor opens a snapshot: the History tab and the as-of state read the journal it carries."""
    import json
    import time
    from datetime import UTC, datetime

    from mlops_desktop.cli.main import main
    from mlops_desktop.sources.loader import load_catalog
    from tests.governance.test_journal_mlflow import _client

    key_file, gov = trusted_key

    def cli(*argv: str) -> str:
        code = main(list(argv))
        out, err = capsys.readouterr()
        assert code == 0, err
        return out

    first = json.loads(cli("observe", "--store", str(mlflow3_db), "--governance", str(gov), "--format",
                           "json"))["observations"][0]["observation"]
    time.sleep(0.01)
    between = datetime.now(UTC)
    time.sleep(0.01)
    _client(mlflow3_db).set_registered_model_alias("fraud-detector", "champion", "2")
    cli("observe", "--store", str(mlflow3_db), "--governance", str(gov))
    snap = tmp_path / "journal.mlsnap"
    cli("snapshot", "create", "--store", str(mlflow3_db), "--governance", str(gov), "--out", str(snap),
        "--key", str(key_file))
    live = json.loads(cli("history", "--store", str(mlflow3_db), "--governance", str(gov), "--model",
                          "fraud-detector", "--format", "json"))["changes"]
    sealed = snap.read_bytes()
    view = models_page(qtbot, load_catalog([f"snapshot:{snap}"]), f"snapshot:{snap}")
    try:
        assert view.select_model("fraud-detector")
        tab = view.model_history
        view.model_tabs.setCurrentWidget(tab)
        wait_idle(qtbot, tab.slot)
        assert [e.to_dict() for e in tab.events_model.rows] == live
        assert [(e.alias, e.before, e.after) for e in tab.events_model.rows] == [("champion", "3", "2")]
        view.show_as_of(between)
        wait_idle(qtbot, view.as_of_view.slot)
        assert not view.as_of_view.state.empty_reason, view.as_of_view.state.empty_reason
        assert view.as_of_view.state.basis[0].observation_id == first["id"]
        got = {(v.model, v.version): v for v in view.as_of_view.state.versions}
        assert got[("fraud-detector", "3")].aliases == ("champion",)
    finally:
        view.shutdown()
    assert snap.read_bytes() == sealed  # read, never written


def test_as_of_control_by_hand(qtbot, world: Scenario) -> None:
    """Ticking "As of" and editing the date shows the state at the time in the control (UTC)."""
    from PySide6.QtCore import QDateTime, QTimeZone

    view = models_page(qtbot, world.catalog, str(world.gov_path))
    try:
        control = view.as_of_control
        assert not control.edit.isEnabled() and control.when() is None
        later = int(world.second.time.timestamp()) + 2
        control.edit.setDateTime(QDateTime.fromSecsSinceEpoch(later, QTimeZone.utc()))
        assert view.content.currentWidget() is view.live  # nothing happens until ticked
        qtbot.mouseClick(control.check, Qt.MouseButton.LeftButton)
        assert control.edit.isEnabled() and control.when() is not None
        assert int(control.when().timestamp()) == later
        wait_idle(qtbot, view.as_of_view.slot)
        assert view.content.currentWidget() is view.as_of_view
        assert view.as_of_view.state.basis[0].observation_id == world.second.id
        # a time before the journal, typed into the control: the empty state names the first observation
        control.edit.setDateTime(QDateTime.fromSecsSinceEpoch(later - 86_400, QTimeZone.utc()))
        wait_idle(qtbot, view.as_of_view.slot)
        assert world.first.observed_at in view.as_of_view.empty.text()
        qtbot.mouseClick(control.check, Qt.MouseButton.LeftButton)
        assert view.content.currentWidget() is view.live
    finally:
        view.shutdown()


def test_reload_reads_observations_recorded_since(qtbot, world: Scenario) -> None:
    from mlops_desktop.governance.journal import observe
    from mlops_desktop.sources.loader import load_catalog
    from tests.governance.test_journal_mlflow import _client

    view = models_page(qtbot, world.catalog, str(world.gov_path))
    try:
        view.select_model("fraud-detector")
        tab = view.model_history
        view.model_tabs.setCurrentWidget(tab)
        wait_idle(qtbot, tab.slot)
        assert len(tab.events_model.rows) == 1
        _client(world.db).set_registered_model_alias("fraud-detector", "champion", "3")
        [third] = observe(world.gov, load_catalog([str(world.db)]))
        assert third.changed
        view.model_tabs.setCurrentIndex(0)  # hidden and shown again: nothing is read again by itself
        view.model_tabs.setCurrentWidget(tab)
        assert not tab.slot.is_running() and len(tab.events_model.rows) == 1
        qtbot.mouseClick(tab.refresh_button, Qt.MouseButton.LeftButton)
        wait_idle(qtbot, tab.slot)
        assert [(e.before, e.after) for e in tab.events_model.rows] == [("3", "2"), ("2", "3")]
        assert "3 observations" in tab.summary.text()
    finally:
        view.shutdown()


def test_as_of_says_the_observation_is_signed_and_verifies(qtbot, tmp_path: Path, mlflow3_db: Path) -> None:
    from datetime import UTC, datetime

    from mlops_desktop.governance.journal import observe
    from mlops_desktop.governance.store import open_governance
    from mlops_desktop.sources.loader import load_catalog
    from tests.governance.helpers import build_team

    url = str(tmp_path / "gov.db")
    catalog = load_catalog([str(mlflow3_db)])
    with open_governance(url) as gov:
        team = build_team(gov)
        [result] = observe(gov, catalog, key=team.alice)
    view = models_page(qtbot, catalog, url)
    try:
        view.show_as_of(datetime.now(UTC))
        wait_idle(qtbot, view.as_of_view.slot)
        [basis] = view.as_of_view.state.basis
        assert basis.observation_id == result.observation.id and basis.signature == "valid"
        assert f"signed by key {team.alice.key_id[:16]}…, the signature verifies" in view.as_of_view.banner.text()
    finally:
        view.shutdown()
