"""Global search, shortcuts, drag and drop, crash path, layout/session restore, accessibility."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QAccessible, QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QTextEdit,
    QWidget,
)

from mlops_desktop.app import ExceptHook
from mlops_desktop.core.errors import UsageError
from mlops_desktop.ui.catalog.search_dialog import build_index, search
from mlops_desktop.ui.common import theme
from mlops_desktop.ui.common.crash_dialog import CrashDialog
from mlops_desktop.ui.common.dialogs import ErrorDialog
from mlops_desktop.ui.common.settings import GuiSettings

# -- global search ----------------------------------------------------------------------


def test_search_index_and_ranking(loaded_window):
    index = build_index(loaded_window.catalog)
    kinds = {h.kind for h in index}
    assert kinds == {"model", "version", "dataset", "run"}
    hits = search(index, "credit")
    assert hits[0].title.startswith("credit")  # title prefix first
    assert {h.kind for h in hits} >= {"model", "version", "dataset"}
    assert search(index, "credit-limit v3")[0].key == ("credit-limit", "3")
    assert search(index, "   ") == []
    assert search(index, "zzz-nothing-matches") == []
    assert all("champion" in h.text for h in search(index, "@champion"))


def test_ctrl_k_searches_and_jumps_to_a_version(loaded_window, qtbot, ui):
    window = loaded_window
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    dialog = getattr(window, "search_dialog", None) or window.show_search_dialog()
    assert dialog.isVisible()
    assert "items to search" in dialog.count.text()
    qtbot.keyClicks(dialog.edit, "sepsis version")
    assert dialog.model.rowCount() >= 1
    assert all(h.kind == "version" for h in dialog.model.hits)
    ui.render(dialog, "dialog_search")
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Down)
    chosen = dialog.model.hits[dialog.results.currentIndex().row()]
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    assert window.current_page_key() == "models"
    version = window.models_view.selected_version()
    assert (version.model_name, version.version) == chosen.key


def test_search_jumps_to_datasets_and_runs_even_through_a_filter(loaded_window, qtbot, ui):
    window = loaded_window
    window.datasets_view.filter_bar.edit.setText("nothing-matches-this")
    dialog = window.show_search_dialog()
    dialog.edit.setText("credit-limit-train")
    hit = next(h for h in dialog.model.hits if h.kind == "dataset")
    assert window.navigate_to(hit)
    assert window.current_page_key() == "datasets"
    ui.wait_idle(qtbot, window.datasets_view.prepare_slot)  # looked for in the store
    assert window.datasets_view.selected_row().dataset.id == hit.key[0]
    run_id = next(iter(window.catalog.runs))
    dialog.edit.setText(run_id)
    hit = next(h for h in dialog.model.hits if h.kind == "run")
    dialog.results.setCurrentIndex(dialog.model.index(dialog.model.hits.index(hit)))
    dialog.activate_current()
    assert window.current_page_key() == "runs"
    ui.wait_idle(qtbot, window.runs_view.task_slot)  # looked for in the store
    assert window.runs_view.selected_run().run_id == run_id
    window.models_view.filter_bar.edit.setText("nothing-matches-this")
    assert window.navigate_to(search(window.search_index(), "sepsis-alert")[0])
    assert window.models_view.selected_model().name == "sepsis-alert"
    dialog.edit.setText("zzz-nothing")
    assert "Nothing matches" in dialog.count.text()
    dialog.close()


# -- shortcuts --------------------------------------------------------------------------


MAIN_ACTIONS = ("open_action", "reload_action", "close_stores_action", "snapshot_action", "report_action",
                "quit_action", "search_action", "settings_action", "filter_action", "lineage_action",
                "compare_action", "shortcuts_action")


def test_every_main_action_has_a_unique_shortcut_and_is_on_the_sheet(make_window, ui):
    window = make_window()
    keys = {}
    for name in MAIN_ACTIONS:
        action = getattr(window, name)
        assert not action.shortcut().isEmpty(), name
        keys[name] = action.shortcut().toString()
    all_keys = [s.toString() for a in window.all_actions() for s in a.shortcuts()]
    assert len(all_keys) == len(set(all_keys)), "two actions share a shortcut"
    assert window.search_action.shortcut().toString() == "Ctrl+K"
    assert [s.toString() for s in window.shortcuts_action.shortcuts()] == ["F1", "Ctrl+/"]
    assert [a.shortcut().toString() for a in window.page_actions[:3]] == ["Ctrl+1", "Ctrl+2", "Ctrl+3"]
    window.shortcuts_action.trigger()
    sheet = window.shortcuts_dialog
    listed = {k for k, _what in sheet.rows}
    assert {"Ctrl+K", "Ctrl+E", "Ctrl+L", "Ctrl+,", "F1, Ctrl+/"} <= listed
    assert set(keys.values()) <= {k.split(", ")[0] for k in listed}
    ui.render(sheet, "dialog_shortcuts")
    sheet.close()


def test_page_shortcuts_switch_pages(make_window, qtbot):
    window = make_window()
    window.activateWindow()
    window.page_actions[1].trigger()
    assert window.current_page_key() == "datasets"
    window.page_actions[0].trigger()
    assert window.current_page_key() == "models"


def test_about_dialog_lists_versions(make_window, ui):
    window = make_window()
    window.about_action.trigger()
    dialog = window.about_dialog
    names = [n for n, _v in dialog.rows]
    for required in ("MLOps Desktop", "Python", "Qt", "PySide6", "SQLAlchemy", "cryptography", "reportlab"):
        assert required in names
    assert all(v and v != "not installed" for n, v in dialog.rows if n in ("SQLAlchemy", "cryptography", "reportlab"))
    dialog.copy_button.click()
    assert "SQLAlchemy: " in QGuiApplication.clipboard().text()
    ui.render(dialog, "dialog_about")
    dialog.close()


# -- drag and drop ----------------------------------------------------------------------


def _mime(*paths: Path | str) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def _drop(window, mime: QMimeData, modifiers=Qt.KeyboardModifier.NoModifier) -> QDropEvent:
    event = QDropEvent(QPointF(QPoint(400, 300)), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       modifiers)
    window.dropEvent(event)
    return event


def _drag_accepted(window, mime: QMimeData) -> bool:
    event = QDragEnterEvent(QPoint(400, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    event.setAccepted(False)
    window.dragEnterEvent(event)
    return event.isAccepted()


def test_drag_accepts_store_files_only(make_window, tmp_path: Path, mlflow3_db: Path):
    window = make_window()
    notes = tmp_path / "notes.txt"
    notes.write_text("hello", encoding="utf-8")
    assert _drag_accepted(window, _mime(mlflow3_db))
    for name in ("a.sqlite", "b.mlsnap", "c.ndjson", "d.SQLITE3"):
        assert _drag_accepted(window, _mime(tmp_path / name))
    assert _drag_accepted(window, _mime(tmp_path))  # a folder of OpenLineage events
    assert not _drag_accepted(window, _mime(notes))
    web = QMimeData()
    web.setUrls([QUrl("https://example.org/x.db")])
    assert not _drag_accepted(window, web)


def test_drop_opens_snapshot_ndjson_and_adds_with_ctrl(make_window, qtbot, ui, mlflow3_db, openlineage_file, tmp_path):
    from mlops_desktop.governance.snapshot import create_snapshot

    snap = tmp_path / "drop.mlsnap"
    create_snapshot([str(mlflow3_db)], snap)
    window = make_window()
    _drop(window, _mime(snap))
    ui.wait_idle(qtbot, window.load_slot)
    assert window.store_urls == [str(snap)] and len(window.snapshot_statuses()) == 1
    assert "unsigned snapshot" in window.windowTitle()
    _drop(window, _mime(openlineage_file), Qt.KeyboardModifier.ControlModifier)
    ui.wait_idle(qtbot, window.load_slot)
    assert window.store_urls == [str(snap), str(openlineage_file)]
    assert "openlineage" in {s.kind for s in window.catalog.stores}
    assert not window.notifier.dialogs


def test_drop_of_a_missing_or_foreign_file_explains(make_window, tmp_path: Path, mlflow3_db: Path):
    window = make_window()
    _drop(window, _mime(tmp_path / "gone.db"))
    assert isinstance(window.notifier.last_dialog, ErrorDialog)
    assert "gone.db does not exist" in window.notifier.last_dialog.full_text()
    assert not window.load_slot.is_running()
    notes = tmp_path / "notes.txt"
    notes.write_text("hello", encoding="utf-8")
    _drop(window, _mime(notes))
    assert "Only store files can be dropped here" in window.notifier.last_dialog.full_text()
    assert window.store_urls == []


def test_drop_of_a_text_file_named_db_shows_the_store_error(make_window, qtbot, ui, tmp_path: Path):
    fake = tmp_path / "fake.db"
    fake.write_text("not a database", encoding="utf-8")
    window = make_window()
    _drop(window, _mime(fake))
    ui.wait_idle(qtbot, window.load_slot)
    assert isinstance(window.notifier.last_dialog, ErrorDialog)
    assert window.store_urls == [] and fake.read_text(encoding="utf-8") == "not a database"


# -- the crash path ---------------------------------------------------------------------


@pytest.mark.qt_no_exception_capture
def test_a_bug_in_a_slot_reaches_the_crash_dialog_not_a_silent_exit(make_window, qtbot, ui):
    window = make_window()
    hook = ExceptHook(window.notifier).install()
    try:
        def broken_slot() -> None:
            raise ZeroDivisionError("a bug in a slot")

        window.reload_action.triggered.connect(broken_slot)
        window.reload_action.trigger()  # Qt calls the slot; PySide hands the exception to sys.excepthook
        qtbot.waitUntil(lambda: isinstance(window.notifier.last_dialog, CrashDialog), timeout=2000)
        dialog = window.notifier.last_dialog
        assert "ZeroDivisionError: a bug in a slot" in dialog.summary_label.text()
        assert "broken_slot" in dialog.report and "Traceback" in dialog.report
        assert window.isVisible()  # the app keeps running
        dialog.copy_button.click()
        assert QGuiApplication.clipboard().text() == dialog.report
        ui.render(dialog, "dialog_crash_from_slot")
        # an expected error raised the same way is a clear dialog, not the crash dialog
        QTimer.singleShot(0, lambda: (_ for _ in ()).throw(UsageError("Nothing to reload.", "Open a store.")))
        qtbot.waitUntil(lambda: isinstance(window.notifier.last_dialog, ErrorDialog), timeout=2000)
        assert window.notifier.last_dialog.text() == "Nothing to reload."
    finally:
        hook.uninstall()
    assert sys.excepthook is not hook


def test_worker_bug_reaches_the_crash_dialog(make_window, qtbot, ui):
    window = make_window()

    def buggy(*, progress, is_cancelled):
        raise KeyError("missing key in a worker")

    window.compare_slot.start(buggy)
    ui.wait_idle(qtbot, window.compare_slot)
    assert isinstance(window.notifier.last_dialog, CrashDialog)
    assert "missing key in a worker" in window.notifier.last_dialog.report


# -- layout and session -----------------------------------------------------------------


def test_last_layout_and_page_are_restored(make_window, qtbot):
    first = make_window()
    first.resize(760, 620)  # fits the offscreen screen (800x800): restoreGeometry keeps it
    first.show_page("datasets")
    splitter = first._splitters()[0]
    total = sum(splitter.sizes())
    splitter.setSizes([total // 4, total - total // 4])
    wanted = splitter.sizes()
    first.close()
    saved = GuiSettings().prefs
    assert saved.current_page == "datasets" and saved.window_geometry
    second = make_window()
    assert second.current_page_key() == "datasets"
    assert second._splitters()[0].sizes() == wanted
    assert second.height() == 620  # (the width is at least the minimum the pages need)


def test_open_stores_are_reopened_on_start(make_window, qtbot, ui, mlflow3_db, tmp_path):
    first = make_window()
    first.open_stores([str(mlflow3_db)])
    ui.wait_idle(qtbot, first.load_slot)
    first.close()
    gone = tmp_path / "gone.db"
    settings = GuiSettings()
    settings.set_open_stores([str(mlflow3_db), str(gone)])
    second = make_window()
    assert second.restore_session() == [str(mlflow3_db)]
    assert "gone.db" in second.statusBar().currentMessage()
    ui.wait_idle(qtbot, second.load_slot)
    assert second.store_urls == [str(mlflow3_db)] and not second.notifier.dialogs
    second.close_stores()
    assert GuiSettings().prefs.open_stores == []


# -- accessibility ----------------------------------------------------------------------


def _our_widgets(root: QWidget) -> list[QWidget]:
    return [w for w in [root, *root.findChildren(QWidget)] if type(w).__module__.startswith("mlops_desktop.ui")]


CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractItemView, QPlainTextEdit, QTextEdit)


def _governance_dialogs(window, qtbot, ui) -> list[QWidget]:
    """Approve / Reject, Trust list, Add signer, Revoke signer and Pin administrator, opened from
    the window on its (fresh) governance store."""
    from mlops_desktop.services.trust import SignerRow
    from mlops_desktop.ui.governance.trust_view import RevokeSignerDialog

    gov = window.governance
    window.models_view.select_model("sepsis-alert")
    window.models_view.select_version("3")
    approval = gov.show_approval_dialog()
    ui.wait_idle(qtbot, approval.slot)
    trust = gov.show_trust_dialog()
    ui.wait_idle(qtbot, trust.view.slot)
    bob = SignerRow("0" * 64, "bob@example.org", ("approver",), None, None, False, None, "valid")
    revoke = RevokeSignerDialog(bob, parent=trust)
    qtbot.addWidget(revoke)
    revoke.show()
    return [approval, trust, trust.view.show_add_dialog(), revoke, trust.view.show_pin_dialog()]


def test_custom_widgets_have_accessible_names(loaded_window, qtbot, ui):
    window = loaded_window
    window.show_page("lineage")
    missing = [f"{type(w).__name__}({w.objectName()})" for w in _our_widgets(window)
               if not w.accessibleName() and type(w).__name__ != "MainWindow"]
    assert missing == [], ", ".join(missing)
    for table in window.findChildren(QAbstractItemView):
        if table.isVisibleTo(window) and table.objectName():
            assert table.accessibleName(), table.objectName()
    # the governance pages and dialogs: every custom widget, and every control a person can reach,
    # has a name (its own, or the words Qt gives a screen reader: a button's text)
    dialogs = _governance_dialogs(window, qtbot, ui)
    unnamed = []
    for page in ("approvals", "audit"):
        window.show_page(page)
        root = window.page(page)
        unnamed += [f"{page}: {type(w).__name__}({w.objectName()})" for w in _our_widgets(root)
                    if not w.accessibleName()]
        unnamed += _unnamed_controls(root)
    for dialog in dialogs:
        unnamed += [f"{type(w).__name__}({w.objectName()})" for w in _our_widgets(dialog) if not w.accessibleName()]
        unnamed += _unnamed_controls(dialog)
    assert unnamed == [], ", ".join(unnamed)
    for dialog in reversed(dialogs):
        dialog.close()


def _unnamed_controls(root: QWidget) -> list[str]:
    out = []
    for w in root.findChildren(QWidget):
        if not isinstance(w, CONTROLS) or not w.isVisibleTo(root) or isinstance(w, QHeaderView):
            continue
        if isinstance(w.parent(), QAbstractSpinBox):  # a spin box's own text field: the box is named
            continue
        iface = QAccessible.queryAccessibleInterface(w)
        spoken = iface.text(QAccessible.Text.Name) if iface is not None else ""
        if not (w.accessibleName() or spoken.strip()):
            out.append(f"{type(root).__name__}: {type(w).__name__}({w.objectName()})")
    return out


def _unreachable(root: QWidget) -> list[str]:
    """Visible, enabled controls of ``root``'s window that Tab cannot reach."""
    unreachable = []
    for w in root.findChildren(QWidget):
        if isinstance(w, QHeaderView):  # sorted from the keyboard through the table, not the header
            continue
        if isinstance(w, CONTROLS) and w.isVisibleTo(root) and w.isEnabled() and w.window() is root.window():
            if type(w).__module__.startswith("pyqtgraph") or w.parent().__class__.__module__.startswith("pyqtgraph"):
                continue
            if isinstance(w, QRadioButton) and w.autoExclusive() and not w.isChecked():
                continue  # Qt keeps the checked radio of a group in the Tab chain; arrows move within it
            if not w.focusPolicy() & Qt.FocusPolicy.TabFocus:
                unreachable.append(f"{type(w).__name__} {w.objectName() or getattr(w, 'text', lambda: '')()}")
    return unreachable


def test_every_control_is_reachable_by_keyboard(loaded_window, qtbot, ui):
    window = loaded_window
    assert _unreachable(window) == []
    # Tab really moves focus through the page: from the filter to the models table
    view = window.models_view
    view.filter_bar.edit.setFocus()
    assert view.filter_bar.edit.nextInFocusChain() is not None
    for page in ("approvals", "audit"):
        window.show_page(page)
        assert _unreachable(window.page(page)) == [], page
    dialogs = _governance_dialogs(window, qtbot, ui)
    for dialog in dialogs:
        assert _unreachable(dialog) == [], type(dialog).__name__
    for dialog in reversed(dialogs):
        dialog.close()


def _contrast(a: str, b: str) -> float:
    def lum(h: str) -> float:
        r, g, bl = (int(h[i:i + 2], 16) / 255 for i in (1, 3, 5))
        f = lambda c: c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4  # noqa: E731
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(bl)

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("colors", [theme.LIGHT, theme.DARK], ids=["light", "dark"])
def test_theme_contrast_meets_wcag_aa(colors):
    """Normal text needs 4.5:1 (WCAG 2.1 AA) against every background it is drawn on."""
    highlighted = "#ffffff" if colors is theme.LIGHT else "#0b0d10"
    pairs = {
        "text/base": (colors.text, colors.base), "text/window": (colors.text, colors.window),
        "text/alternate": (colors.text, colors.alternate), "muted/base": (colors.muted, colors.base),
        "muted/window": (colors.muted, colors.window), "selection": (highlighted, colors.accent),
        "link": (colors.accent, colors.base), "PII badge": (colors.badge_text, colors.pii),
        "PHI badge": (colors.badge_text, colors.phi), "alarm text": (colors.phi, colors.window),
        "verified text": (colors.ok, colors.window), "plot": (colors.plot_foreground, colors.plot_background),
    }
    # governance: status badges (badge text on the status colour), status words drawn in their colour
    # (checklist, signer, explanation) on the page and list backgrounds, and the banners
    from mlops_desktop.ui.common.status import (
        _BANNER_DARK,
        _BANNER_LIGHT,
        _STATUS_DARK,
        _STATUS_LIGHT,
    )

    dark = colors is theme.DARK
    for status, color in (_STATUS_DARK if dark else _STATUS_LIGHT).items():
        pairs[f"{status} badge"] = (colors.badge_text, color)
        pairs[f"{status} text/base"] = (color, colors.base)
        pairs[f"{status} text/window"] = (color, colors.window)
    for kind, (bg, fg) in (_BANNER_DARK if dark else _BANNER_LIGHT).items():
        pairs[f"{kind} banner"] = (fg, bg)
    low = {k: round(_contrast(*v), 2) for k, v in pairs.items() if _contrast(*v) < 4.5}
    assert low == {}
