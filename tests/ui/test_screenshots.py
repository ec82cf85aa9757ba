"""Every window, page and dialog rendered in both themes to test-artifacts/<name>_<theme>.png.

A person looks at these. ``MLOPS_UPDATE_SCREENSHOTS=1`` (or ``packaging/update_screenshots.sh``)
also copies the README screenshots (light theme) into docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from mlops_desktop.core.errors import StoreError
from mlops_desktop.core.lineage import version_node_id
from mlops_desktop.governance.approvals import approve, reject
from mlops_desktop.governance.keys import SigningKey, generate_private_key, key_id
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer, init_trust
from mlops_desktop.resources import demo_settings, demo_store_urls
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.common import theme
from mlops_desktop.ui.common.crash_dialog import CrashDialog
from mlops_desktop.ui.common.dialogs import ErrorDialog
from mlops_desktop.ui.shell.open_store_dialog import OpenStoreDialog

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "screenshots"
#: test-artifacts name -> docs/screenshots name (README)
README_SHOTS = {"main_window_models": "models.png", "main_window_lineage": "lineage.png",
                "main_window_approvals": "approvals.png"}


def _key(identity: str) -> SigningKey:
    private = generate_private_key()
    return SigningKey(private, key_id(private.public_key()), identity)


def _governance_with_decisions(path: Path, catalog) -> str:
    """A governance store where Alice and Bob decided on a few demo versions."""
    admin, alice, bob = _key("admin@example.org"), _key("alice@example.org"), _key("bob@example.org")
    url = str(path)
    with open_governance(url) as gov:
        init_trust(gov, [admin])
        for who in (alice, bob):
            add_signer(gov, admin, who.public_key, who.identity, ["approver"])
        approve(gov, catalog, "sepsis-alert", "3", "champion", "Validated on the Q3 hold-out; HIPAA review done",
                ["hipaa", "gdpr"], alice)
        approve(gov, catalog, "sepsis-alert", "3", "champion", "Second approver: monitoring in place",
                ["hipaa", "gdpr"], bob)
        approve(gov, catalog, "credit-limit", "3", "Production", "Fairness report accepted", ["gdpr"], alice)
        reject(gov, catalog, "churn-predictor", "2", "champion", "Training data lacks a lawful basis", ["gdpr"], bob)
    return url


def _shot(ui, widget, name: str, mode: str) -> Path:
    QApplication.processEvents()
    path = ui.render(widget, f"{name}_{mode}")
    if mode == "light" and name in README_SHOTS and os.environ.get("MLOPS_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / README_SHOTS[name])
    return path


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_every_window_and_dialog_renders(make_window, qtbot, ui, tmp_path, mode):
    empty = make_window()
    empty.resize(1280, 800)
    empty.set_theme(mode)
    _shot(ui, empty, "main_window_empty", mode)
    empty.close()

    gov_url = _governance_with_decisions(tmp_path / "governance.db",
                                         load_catalog(demo_store_urls(), settings=demo_settings()))
    window = make_window(source_settings=demo_settings(), governance_url=gov_url)
    window.resize(1280, 800)
    window.set_theme(mode)
    window.open_stores(demo_store_urls())
    ui.wait_idle(qtbot, window.load_slot)
    assert not window.notifier.dialogs

    # pages
    view = window.models_view
    assert view.select_model("credit-limit") and view.select_version("3")
    _shot(ui, window, "main_window_models", mode)
    window.show_page("datasets")
    window.datasets_view.filter_bar.edit.setText("readmission")
    window.datasets_view.table.selectRow(0)
    _shot(ui, window, "main_window_datasets", mode)
    window.show_page("runs")
    ui.wait_idle(qtbot, window.runs_view.task_slot)
    window.runs_view.table.selectRow(0)
    _shot(ui, window, "main_window_runs", mode)
    window.open_lineage(version_node_id("readmission-risk", "3"))
    ui.wait_idle(qtbot, window.lineage_page.slot)
    assert window.lineage_page.view.selected == version_node_id("readmission-risk", "3")
    _shot(ui, window, "main_window_lineage", mode)
    for key in ("approvals", "audit"):
        window.show_page(key)
        page = window.page(key)
        qtbot.waitUntil(lambda p=page: not p.is_running(), timeout=20_000)
        _shot(ui, window, f"main_window_{key}", mode)
    window.show_page("models")

    # dialogs
    dialogs = []
    dialog = OpenStoreDialog(window.gui_settings.recent_stores, window)
    dialog.open()
    dialogs.append(("dialog_open_store", dialog))
    dialogs.append(("dialog_settings", window.show_settings_dialog()))
    search = window.show_search_dialog()
    search.edit.setText("sepsis")
    dialogs.append(("dialog_search", search))
    dialogs.append(("dialog_shortcuts", window.show_shortcuts_dialog()))
    dialogs.append(("dialog_about", window.show_about_dialog()))
    dialogs.append(("dialog_snapshot", window.show_snapshot_dialog()))
    report = window.show_report_dialog()
    qtbot.waitUntil(lambda: not report.preview_slot.is_running(), timeout=20_000)
    dialogs.append(("dialog_report", report))
    try:
        raise RuntimeError("example bug")
    except RuntimeError as exc:
        crash = CrashDialog.from_exception(exc, window)
    crash.open()
    dialogs.append(("dialog_crash", crash))
    error = ErrorDialog(StoreError("Cannot open /data/mlflow.db: no such file or folder.",
                                   "Check the path, or pick the file with File > Open store…."), parent=window)
    error.open()
    dialogs.append(("dialog_error", error))
    view.select_versions(["2", "3"])
    view.compare_selected()
    ui.wait_idle(qtbot, window.compare_slot)
    dialogs.append(("dialog_compare", window.compare_dialogs[-1]))
    for name, d in dialogs:
        assert d.isVisible(), name
        _shot(ui, d, name, mode)
        d.close()
    window.set_theme("system")
    assert theme.colors() in (theme.LIGHT, theme.DARK)
