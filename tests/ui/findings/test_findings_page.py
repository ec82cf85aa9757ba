"""The Findings page on the MLflow 3 fixture: the same findings as ``mlops-desktop findings``,
every column, severity / rule / text filters, CSV export and copy, the empty states, and
double-click to the object in the main window (a version on the Models page, a dataset on the
Datasets page)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from PySide6.QtCore import QEvent, QModelIndex, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from mlops_desktop.cli.main import main
from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.progress import CancelledError
from mlops_desktop.governance.approvals import approve
from mlops_desktop.governance.store import open_governance
from mlops_desktop.services.settings import VerificationSettings
from mlops_desktop.ui.findings.page import (
    CSV_COLUMNS,
    NO_FINDINGS_TEXT,
    NO_MATCH_TEXT,
    NO_STORE_TEXT,
    FindingsView,
)
from tests.ui.catalog.test_models_governance import catalog, gov_url, team  # noqa: F401 - fixtures
from tests.ui.conftest import render, wait_idle


def _cli_findings(capsys, store: str, gov: str) -> list[dict]:
    capsys.readouterr()
    main(["findings", "--store", store, "--governance", gov, "--format", "json", "--fail-on", "none"])
    return json.loads(capsys.readouterr().out)["findings"]


def _row_of(view: FindingsView, obj: str, rule_id: str) -> QModelIndex:
    for r, f in enumerate(view.visible_findings()):
        if f.object == obj and f.id == rule_id:
            return view.proxy.index(r, 2)
    raise AssertionError(f"no {rule_id} on {obj} shown")


def shown_view(qtbot, catalog: Catalog, gov: str) -> FindingsView:  # noqa: F811
    view = FindingsView()
    qtbot.addWidget(view)
    view.governance_url_source = lambda: gov
    view.resize(1120, 760)
    view.show()
    view.set_catalog(catalog)
    assert view.is_running()
    wait_idle(qtbot, view.slot)
    return view


def test_rows_are_the_cli_findings_with_every_column(qtbot, catalog, gov_url, team, mlflow3_db, capsys):  # noqa: F811
    with open_governance(gov_url) as gov:  # one approved target: its F1 is gone, the other F1s stay
        for who in (team.alice, team.bob):
            approve(gov, catalog, "fraud-detector", "3", "Production", "validated", ["gdpr"], who)
    expected = _cli_findings(capsys, str(mlflow3_db), gov_url)
    view = shown_view(qtbot, catalog, gov_url)
    try:
        assert view.stack.currentWidget() is view.split
        got = view.visible_findings()
        assert sorted(f.key for f in got) == sorted(f["key"] for f in expected)
        assert len(got) == len(expected) > 10
        by_key = {f["key"]: f for f in expected}
        m = view.model
        for row, f in enumerate(m.rows):
            cli = by_key[f.key]
            cells = [m.data(m.index(row, c)) for c in range(m.columnCount())]
            assert cells == [cli["severity"], f"{cli['id']} {cli['rule']}", cli["object"], cli["evidence"],
                             cli["remediation"]]
        # sorted by severity (critical first)
        ranks = [("critical", "high", "medium", "low", "info").index(f.severity) for f in got]
        assert ranks == sorted(ranks)
        assert [h for h in (m.headerData(c, Qt.Orientation.Horizontal) for c in range(m.columnCount()))] == \
            ["Severity", "Rule", "Object", "Explanation", "Remediation"]
        [f1] = [f for f in got if f.id == "F1" and f.object == "models:/fraud-detector/3"]
        assert "'champion' has 0 of 2" in f1.evidence and "'Production' has" not in f1.evidence
    finally:
        view.shutdown()


def test_filters_csv_and_copy(qtbot, catalog, gov_url, team, tmp_path, qtmodeltester):  # noqa: F811
    view = shown_view(qtbot, catalog, gov_url)
    try:
        qtmodeltester.check(view.model)
        total = view.proxy.rowCount()
        all_findings = list(view.model.rows)
        # severity
        view.set_severity("critical")
        assert {f.severity for f in view.visible_findings()} == {"critical"}
        assert len(view.visible_findings()) == sum(1 for f in all_findings if f.severity == "critical") > 0
        assert view.filter_bar.count.text() == f"{view.proxy.rowCount()} of {total} findings"
        view.set_severity(None)
        # rule: every rule that has findings is offered, with its count
        offered = [view.rule_combo.itemData(i) for i in range(1, view.rule_combo.count())]
        assert set(offered) == {f.id for f in all_findings}
        view.set_rule("F24")
        assert {f.id for f in view.visible_findings()} == {"F24"}
        assert len(view.visible_findings()) == sum(1 for f in all_findings if f.id == "F24")
        # rule and severity together: F24 findings are medium, none is critical
        view.set_severity("critical")
        assert view.visible_findings() == []
        assert view.stack.currentWidget() is view.empty_label and view.empty_label.text() == NO_MATCH_TEXT
        assert not view.export_button.isEnabled()
        view.set_severity(None)
        view.set_rule(None)
        # text: matches any column, case-insensitively
        view.filter_bar.edit.setText("VALIDATION TAG")
        # the filter's texts are made in a worker when a filter is first typed
        assert view.is_filtering() and view.filter_bar.count.text() == "Preparing the filter…"
        wait_idle(qtbot, view.texts_slot)
        assert [(f.id, f.object) for f in view.visible_findings()] == [("F19", "models:/fraud-detector/3")]
        view.filter_bar.edit.setText("sepsis-alert-train")
        shown = view.visible_findings()
        assert shown and all("sepsis-alert-train" in f.object or "sepsis-alert-train" in f.evidence
                             for f in shown)
        # CSV export of what is shown, read back
        out = tmp_path / "findings.csv"
        assert view.export_csv(str(out)) == len(shown)
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
        assert tuple(rows[0].keys()) == CSV_COLUMNS
        assert [(r["key"], r["id"], r["severity"], r["rule"], r["object"], r["object_kind"], r["evidence"],
                 r["remediation"]) for r in rows] == \
            [(f.key, f.id, f.severity, f.rule, f.object, f.object_kind, f.evidence, f.remediation) for f in shown]
        # copy: nothing selected copies what is shown; a selected row copies that row only
        view.table.clearSelection()
        assert view.copy_selected() == out.read_text(encoding="utf-8")
        view.table.selectRow(1)
        second = view.visible_findings()[1]
        # Ctrl+C as the table's event filter sees it (a simulated key click would leave the application
        # believing Ctrl is held, and a later selectRow would toggle instead of select)
        press = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier, "c")
        assert view.eventFilter(view.table, press)
        copied = list(csv.reader(io.StringIO(QApplication.clipboard().text())))
        assert copied == [list(CSV_COLUMNS), [second.key, second.id, second.severity, second.rule, second.object,
                                             second.object_kind, second.evidence, second.remediation]]
        assert second.remediation in view.details.toPlainText()
        view.filter_bar.edit.clear()
        assert view.proxy.rowCount() == total
    finally:
        view.shutdown()


def test_empty_states(qtbot, tmp_path, mlflow3_db):
    view = FindingsView()
    qtbot.addWidget(view)
    view.show()
    try:
        view.set_catalog(Catalog())
        assert not view.is_running()
        assert view.stack.currentWidget() is view.empty_label and view.empty_label.text() == NO_STORE_TEXT
        assert not view.copy_button.isEnabled() and not view.export_button.isEnabled()
        # a store without models or datasets: every rule passes
        from mlops_desktop.sources.loader import load_catalog

        empty = tmp_path / "empty.db"
        import sqlite3

        con = sqlite3.connect(mlflow3_db)
        con.execute(f"VACUUM INTO '{empty}'")
        con.close()
        con = sqlite3.connect(empty)
        for table in ("model_version_tags", "registered_model_aliases", "model_versions", "registered_model_tags",
                      "registered_models", "inputs", "input_tags", "datasets"):
            con.execute(f"DELETE FROM {table}")
        con.commit()
        con.close()
        view.governance_url_source = lambda: str(tmp_path / "gov.db")
        with open_governance(str(tmp_path / "gov.db")):
            pass
        view.set_catalog(load_catalog([str(empty)]))
        wait_idle(qtbot, view.slot)
        assert view.model.rowCount() == 0
        assert view.empty_label.text() == NO_FINDINGS_TEXT
    finally:
        view.shutdown()


def test_double_click_goes_to_the_object(make_window, qtbot, mlflow3_db, gov_url, team):  # noqa: F811
    window = make_window(governance_url=gov_url)
    window.open_stores([str(mlflow3_db)])
    wait_idle(qtbot, window.load_slot)
    view = window.findings_view
    for slot in (view.slot, window.models_view.governance_slot, window.models_view.monitoring_slot):
        wait_idle(qtbot, slot)
    window.show_page("findings")
    assert view.model.rowCount() > 0
    # a version: the Models page with that version selected
    index = _row_of(view, "models:/fraud-detector/3", "F19")
    view.table.doubleClicked.emit(index)
    assert window.current_page_key() == "models"
    version = window.models_view.selected_version()
    assert (version.model_name, version.version) == ("fraud-detector", "3")
    # a dataset: the Datasets page with that dataset selected
    window.show_page("findings")
    index = _row_of(view, "dataset:sepsis-alert-train@6db34039", "F4")
    view.table.doubleClicked.emit(index)
    assert window.current_page_key() == "datasets"
    qtbot.waitUntil(lambda: window.datasets_view.selected_row() is not None, timeout=10000)  # read on demand
    row = window.datasets_view.selected_row()
    assert row is not None and row.dataset.name == "sepsis-alert-train"
    assert row.dataset.digest.startswith("6db34039")


def test_findings_page_screenshots(make_window, qtbot, mlflow3_db, gov_url, team):  # noqa: F811
    from mlops_desktop.governance.approvals import approve as sign
    from mlops_desktop.sources.loader import load_catalog

    with open_governance(gov_url) as gov:
        sign(gov, load_catalog([str(mlflow3_db)]), "fraud-detector", "3", "Production", "validated", ["gdpr"],
             team.alice)
    window = make_window(governance_url=gov_url)
    window.persist_layout = False
    window.resize(1280, 800)
    window.open_stores([str(mlflow3_db)])
    wait_idle(qtbot, window.load_slot)
    view = window.findings_view
    wait_idle(qtbot, view.slot)
    window.show_page("findings")
    view.table.selectRow(0)
    for mode in ("light", "dark"):
        window.set_theme(mode)
        qtbot.wait(30)
        render(window, f"findings_page_{mode}")
    window.set_theme("light")


def test_a_decision_signed_in_the_window_recomputes_the_findings(  # noqa: F811
        make_window, qtbot, mlflow3_db, gov_url, team):  # noqa: F811
    window = make_window(governance_url=gov_url)
    window.open_stores([str(mlflow3_db)])
    wait_idle(qtbot, window.load_slot)
    view = window.findings_view
    wait_idle(qtbot, view.slot)

    def f1_evidence() -> str:
        return next(f.evidence for f in view.model.rows if f.id == "F1" and f.object == "models:/fraud-detector/3")

    assert "'Production' has 0 of 2" in f1_evidence()
    with open_governance(gov_url) as gov:
        records = [approve(gov, window.catalog, "fraud-detector", "3", "Production", "validated", ["gdpr"], who)
                   for who in (team.alice, team.bob)]
    window.governance.sig_decided.emit(records[-1])  # as the Approve dialog reports a signed decision
    assert not view.is_running()  # not shown: evaluated when shown
    window.show_page("findings")
    assert view.is_running()
    wait_idle(qtbot, view.slot)
    assert "'Production' has" not in f1_evidence() and "'champion' has 0 of 2" in f1_evidence()


def test_findings_job_prepares_the_table_in_the_worker(catalog, gov_url, team):  # noqa: F811
    """The worker functions, called directly: the findings in the table's order with their counts,
    and (when a filter is first typed) their filter texts, exactly what the model would compute on
    the UI thread."""
    from mlops_desktop.services.governance_status import load_findings
    from mlops_desktop.ui.findings.page import FindingsModel, finding_texts, findings_job

    steps: list[str] = []
    prepared = findings_job(gov_url, catalog, VerificationSettings(), progress=lambda d, t, m: steps.append(m),
                            is_cancelled=lambda: False)
    expected = load_findings(gov_url, catalog).findings
    assert sorted(f.key for f in prepared.rows) == sorted(f.key for f in expected) and steps
    model = FindingsModel()
    model.set_rows(expected)
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert [f.key for f in prepared.rows] == [f.key for f in model.rows]
    texts = finding_texts(prepared.rows, progress=lambda *a: None, is_cancelled=lambda: False)
    assert texts == [model.search_text(i) for i in range(model.rowCount())]
    with pytest.raises(CancelledError):
        finding_texts(prepared.rows, progress=lambda *a: None, is_cancelled=lambda: True)
    assert sum(prepared.severities.values()) == sum(prepared.rules.values()) == len(expected)
    assert prepared.rules["F1"] == sum(1 for f in expected if f.id == "F1")
    with pytest.raises(CancelledError):
        findings_job(gov_url, catalog, VerificationSettings(), progress=lambda *a: None, is_cancelled=lambda: True)
