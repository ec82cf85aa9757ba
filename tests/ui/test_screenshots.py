"""Every window, page, tab and dialog rendered in both themes at 1280x800 and 1920x1080.

One window per theme, on the bundled demo stores and a governance store with a few signed
decisions; it is resized between the two screen sizes. A page is the window's own render at
that size; a dialog is drawn centred over the window, as a window manager places it, so each
PNG is exactly one screen. The renders go to ``test-artifacts/screens/<size>/<name>_<theme>.png``
for people to look at.

``MLOPS_UPDATE_SCREENSHOTS=1`` (``packaging/update_screenshots.sh``) also writes the committed
set: every render into ``docs/screenshots/gallery/<size>/`` with an index
(``docs/screenshots/gallery/README.md``), and the README's screenshots (1280x800, light theme)
into ``docs/screenshots/``.

Layout checks on every render: the window takes the size asked (its minimum size fits the
screen), a dialog fits on the smaller screen, and no render is blank.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from PySide6.QtCore import QDateTime, QPoint, QSize, QTimeZone
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QApplication, QTabWidget, QWidget

from mlops_desktop.core.errors import StoreError
from mlops_desktop.core.lineage import dataset_node_id, version_node_id
from mlops_desktop.governance import keys as governance_keys
from mlops_desktop.governance.approvals import approve, reject
from mlops_desktop.governance.keys import SigningKey, key_id
from mlops_desktop.governance.snapshot import create_snapshot
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer, init_trust
from mlops_desktop.resources import demo_settings, demo_store_urls
from mlops_desktop.services.keys import CreateKeyRequest, create_signing_key
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.catalog.as_of_view import AsOfControl
from mlops_desktop.ui.common import theme
from mlops_desktop.ui.common.crash_dialog import CrashDialog
from mlops_desktop.ui.common.dialogs import ErrorDialog
from mlops_desktop.ui.shell.open_store_dialog import OpenStoreDialog
from tests.ui.conftest import ARTIFACTS, flush_events

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "screenshots"
GALLERY = DOCS / "gallery"
SIZES = {"1280x800": QSize(1280, 800), "1920x1080": QSize(1920, 1080)}
#: gallery name (1280x800, light) -> docs/screenshots name the README shows
README_SHOTS = {"main_window_models": "models.png", "main_window_lineage": "lineage.png",
                "main_window_approvals": "approvals.png", "main_window_findings": "findings.png",
                "main_window_impact": "impact.png", "dialog_report": "report-dialog.png"}


def _updating() -> bool:
    return os.environ.get("MLOPS_UPDATE_SCREENSHOTS") == "1"


#: the shots do not change from one run to the next: keys derived from fixed bytes, a fixed
#: "As of" time, and the client's key folder under a fixed home (shown in the Keys and Approve dialogs)
AS_OF = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
HOME = Path(tempfile.gettempdir()) / "mlops-desktop-screens" / "home" / "carol"
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _fixed_private_key(label: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 key derived from ``label`` (the same key every run; for screenshots only)."""
    scalar = int.from_bytes(hashlib.sha256(f"mlops-desktop screenshots: {label}".encode()).digest(), "big")
    return ec.derive_private_key(scalar % (_P256_ORDER - 1) + 1, ec.SECP256R1())


def _key(identity: str) -> SigningKey:
    private = _fixed_private_key(identity)
    return SigningKey(private, key_id(private.public_key()), identity)


def _fix_as_of(window: QWidget) -> None:
    """Every "As of" field shows :data:`AS_OF` instead of the time the window opened."""
    for control in window.findChildren(AsOfControl):
        control.edit.blockSignals(True)
        control.edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(AS_OF.timestamp()), QTimeZone.utc()))
        control.edit.blockSignals(False)


@pytest.fixture
def fixed_home(monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME (and the XDG folders under it) at :data:`HOME`, emptied first, and keys made by the
    app derived from fixed bytes, so the key path and key ids shown are the same every run."""
    shutil.rmtree(HOME, ignore_errors=True)
    HOME.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(HOME))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(HOME / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(HOME / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(HOME / ".cache"))
    made = iter(range(1000))
    monkeypatch.setattr(governance_keys, "generate_private_key", lambda: _fixed_private_key(f"app key {next(made)}"))
    return HOME


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


def _colours(image: QImage, step: int = 16) -> int:
    """Distinct colours on a coarse grid (a blank or single-colour render has one or two)."""
    seen = set()
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            seen.add(image.pixel(x, y))
            if len(seen) > 8:
                return len(seen)
    return len(seen)


def _scrolling(root: QWidget) -> list[str]:
    """Tables and lists shown in ``root`` that need a horizontal scroll bar (columns cut at the right)."""
    out = []
    for area in root.findChildren(QAbstractItemView):
        if area.isVisible() and area.window() is root and area.horizontalScrollBar().isVisible():
            label = area.accessibleName() or area.objectName() or type(area).__name__
            out.append(f"{label} scrolls horizontally")
    return out


def _write_small(path: Path, out: Path) -> None:
    """``path`` as a 256-colour PNG at ``out`` (a third of the size; the committed set stays small).
    Pillow comes with reportlab; without it the render is copied as it is."""
    try:
        from PIL import Image
    except ImportError:
        shutil.copyfile(path, out)
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE,
                                              dither=Image.Dither.NONE)
        small.save(out, "PNG", optimize=True)


@dataclass
class Shots:
    """Writes each render for both sizes and collects the layout problems found."""

    mode: str
    window: QWidget
    problems: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth a look, not a failure (see _scrolling)

    def _save(self, pixmap: QPixmap, size_name: str, name: str) -> None:
        image = pixmap.toImage()
        if _colours(image) < 3:
            self.problems.append(f"{name} at {size_name}: the render is blank")
        folder = ARTIFACTS / "screens" / size_name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}_{self.mode}.png"
        assert image.save(str(path), "PNG"), f"could not write {path}"
        self.written.append(path)
        if _updating():
            out = GALLERY / size_name / path.name
            out.parent.mkdir(parents=True, exist_ok=True)
            _write_small(path, out)
            if size_name == "1280x800" and self.mode == "light" and name in README_SHOTS:
                _write_small(path, DOCS / README_SHOTS[name])

    def _resize(self, size_name: str) -> None:
        size = SIZES[size_name]
        self.window.resize(size)
        flush_events()
        if self.window.size() != size:  # the window's minimum size is larger than the screen
            self.problems.append(f"window asked for {size_name} is {self.window.width()}x{self.window.height()} "
                                 f"({self.window.minimumSizeHint().width()}x"
                                 f"{self.window.minimumSizeHint().height()} minimum)")

    def page(self, name: str, prepare: Callable[[], None] | None = None) -> None:
        """The window as it is, at each size (``prepare`` runs after each resize)."""
        for size_name in SIZES:
            self._resize(size_name)
            if prepare is not None:
                prepare()
                flush_events()
            self._save(self.window.grab(), size_name, name)
            self.notes += [f"{name} at {size_name}: {what}" for what in _scrolling(self.window)]

    def dialog(self, name: str, dialog: QWidget) -> None:
        """``dialog`` drawn centred over the window, at each screen size."""
        assert dialog.isVisible(), name
        flush_events()
        small = SIZES["1280x800"]
        if dialog.width() > small.width() or dialog.height() > small.height():
            self.problems.append(f"{name} is {dialog.width()}x{dialog.height()}: larger than a 1280x800 screen")
        for size_name, size in SIZES.items():
            self._resize(size_name)
            screen = QPixmap(size)
            screen.fill(QColor("black"))
            painter = QPainter(screen)
            painter.drawPixmap(0, 0, self.window.grab())
            painter.fillRect(screen.rect(), QColor(0, 0, 0, 60))  # the window behind the dialog
            grab = dialog.grab()
            top_left = QPoint(max(0, (size.width() - grab.width()) // 2), max(0, (size.height() - grab.height()) // 2))
            painter.drawPixmap(top_left, grab)
            painter.setPen(QColor(theme.colors().muted))  # the frame a window manager draws
            painter.drawRect(top_left.x(), top_left.y(), grab.width() - 1, grab.height() - 1)
            painter.end()
            self._save(screen, size_name, name)

    def tabs(self, prefix: str, tabs: QTabWidget, dialog: QWidget | None = None,
             wait: Callable[[], None] | None = None) -> Iterator[str]:
        """Each tab of ``tabs`` made current and rendered (as a page, or over ``dialog``)."""
        current = tabs.currentIndex()
        for i in range(tabs.count()):
            tabs.setCurrentIndex(i)
            if wait is not None:
                wait()
            slug = tabs.tabText(i).replace("&", "").strip().lower().replace(" ", "_")
            name = f"{prefix}_{slug}"
            if dialog is None:
                self.page(name)
            else:
                self.dialog(name, dialog)
            yield name
        tabs.setCurrentIndex(current)


def _write_notes(mode: str, notes: list[str]) -> None:
    folder = ARTIFACTS / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"layout-notes_{mode}.txt").write_text("".join(f"{n}\n" for n in sorted(set(notes))), "utf-8")


def _write_index() -> None:
    """docs/screenshots/gallery/README.md: every committed render, by size and theme."""
    lines = ["# Screenshots", "",
             "Every window, page, tab and dialog of the desktop app, on the bundled demo stores, in the light and",
             "dark themes at 1280x800 and 1920x1080. Regenerate the whole set with",
             "`bash packaging/update_screenshots.sh` (runs `tests/ui/test_screenshots.py` with",
             "`MLOPS_UPDATE_SCREENSHOTS=1`).", ""]
    for size_name in SIZES:
        names = sorted({p.name.rsplit("_", 1)[0] for p in (GALLERY / size_name).glob("*.png")})
        lines += [f"## {size_name}", "", "| view | light | dark |", "| --- | --- | --- |"]
        for name in names:
            cells = [f"[{mode}]({size_name}/{name}_{mode}.png)" if (GALLERY / size_name / f"{name}_{mode}.png").exists()
                     else "—" for mode in ("light", "dark")]
            lines.append(f"| {name} | {cells[0]} | {cells[1]} |")
        lines.append("")
    notes = sorted({line for mode in ("light", "dark")
                    if (path := ARTIFACTS / "screens" / f"layout-notes_{mode}.txt").exists()
                    for line in path.read_text("utf-8").splitlines() if line})
    if notes:
        lines += ["## Layout notes", "", "Found by the test (not failures): tables that need a horizontal scroll bar.", ""]
        lines += [f"- {n}" for n in notes] + [""]
    (GALLERY / "README.md").write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_every_window_and_dialog_renders(fixed_home, make_window, qtbot, ui, mode):
    empty = make_window()
    empty.persist_layout = False
    empty.set_theme(mode)
    _fix_as_of(empty)
    start = Shots(mode, empty)
    start.page("main_window_empty")
    empty.close()

    # a signing key of this client, so the Keys dialog lists one
    key_path = fixed_home / ".config" / "mlops-desktop" / "keys" / "carol.key"  # the default key folder
    key_path.parent.mkdir(parents=True, exist_ok=True)
    create_signing_key(CreateKeyRequest(str(key_path), "Carol Officer", "carol@example.org",
                                        "violet anchor lantern 58 drizzle"))
    catalog = load_catalog(demo_store_urls(), settings=demo_settings())
    gov_path = fixed_home / ".local" / "share" / "mlops-desktop" / "governance.db"  # the default place
    gov_path.parent.mkdir(parents=True, exist_ok=True)
    gov_url = _governance_with_decisions(gov_path, catalog)
    window = make_window(source_settings=demo_settings(), governance_url=gov_url)
    window.persist_layout = False
    window.resize(SIZES["1280x800"])
    window.set_theme(mode)
    _fix_as_of(window)
    window.open_stores(demo_store_urls())
    ui.wait_idle(qtbot, window.load_slot)
    assert not window.notifier.dialogs
    shots = Shots(mode, window, start.problems)

    # the Models page: the model's tabs, then each tab of the selected version
    view = window.models_view
    ui.wait_idle(qtbot, view.governance_slot)
    assert view.select_model("credit-limit") and view.select_version("3")
    ui.wait_idle(qtbot, view.detail.run_slot)  # the run's params and metrics, read from its store
    shots.page("main_window_models")
    for _name in shots.tabs("models_model", view.model_tabs):
        pass
    detail = view.detail
    for _name in shots.tabs("models_version", detail.tabs, wait=lambda: ui.wait_idle(qtbot, detail.history_slot)):
        pass

    window.show_page("datasets")
    window.datasets_view.filter_bar.edit.setText("readmission")
    qtbot.waitUntil(lambda: window.datasets_view.table.model().rowCount() > 0, timeout=20_000)
    window.datasets_view.table.selectRow(0)
    flush_events()
    shots.page("main_window_datasets")
    selected = window.datasets_view.selected_row()
    assert selected is not None
    window.show_page("runs")
    ui.wait_idle(qtbot, window.runs_view.task_slot)
    qtbot.waitUntil(lambda: window.runs_view.table.model().rowCount() > 0, timeout=20_000)
    runs = window.runs_view.table.model()
    names = [runs.index(r, 0).data() for r in range(runs.rowCount())]
    # a run with parameters, metrics and datasets, so its tabs show something
    window.runs_view.table.selectRow(names.index("credit-limit-train-2") if "credit-limit-train-2" in names else 0)
    flush_events()
    shots.page("main_window_runs")
    window.open_lineage(version_node_id("readmission-risk", "3"))
    ui.wait_idle(qtbot, window.lineage_page.slot)
    ui.wait_idle(qtbot, window.lineage_page.layout_slot)
    assert window.lineage_page.view.selected == version_node_id("readmission-risk", "3")
    shots.page("main_window_lineage")
    window.open_impact(dataset_node_id(selected.dataset))
    ui.wait_idle(qtbot, window.lineage_page.slot)
    ui.wait_idle(qtbot, window.lineage_page.layout_slot)
    assert window.lineage_page.impact.isVisible()
    shots.page("main_window_impact")
    for key in ("approvals", "audit", "findings"):
        window.show_page(key)
        page = window.page(key)
        qtbot.waitUntil(lambda p=page: not p.is_running() if hasattr(p, "is_running") else not p.slot.is_running(),
                        timeout=20_000)
        flush_events()
        shots.page(f"main_window_{key}")
    window.show_page("models")

    # dialogs
    dialog = OpenStoreDialog(window.gui_settings.recent_stores, window)
    dialog.open()
    shots.dialog("dialog_open_store", dialog)
    dialog.close()
    settings = window.show_settings_dialog()
    for _name in shots.tabs("dialog_settings", settings.tabs, dialog=settings):
        pass
    keys = window.show_keys_dialog(settings)
    shots.dialog("dialog_keys", keys)
    for name, show in (("dialog_keys_create", keys.show_create_dialog), ("dialog_keys_import", keys.show_import_dialog)):
        sub = show()
        shots.dialog(name, sub)
        sub.close()
    keys.close()
    settings.close()
    search = window.show_search_dialog()
    search.edit.setText("sepsis")
    shots.dialog("dialog_search", search)
    search.close()
    for name, show in (("dialog_shortcuts", window.show_shortcuts_dialog), ("dialog_about", window.show_about_dialog),
                       ("dialog_snapshot", window.show_snapshot_dialog)):
        d = show()
        shots.dialog(name, d)
        d.close()
    report = window.show_report_dialog()
    qtbot.waitUntil(lambda: not report.preview_slot.is_running(), timeout=20_000)
    shots.dialog("dialog_report", report)
    report.close()
    assert view.select_model("sepsis-alert") and view.select_version("3")
    approval = window.governance.show_approval_dialog()
    assert approval is not None
    qtbot.waitUntil(lambda: not approval.slot.is_running(), timeout=20_000)
    shots.dialog("dialog_approve", approval)
    approval.close()
    trust = window.governance.show_trust_dialog()
    qtbot.waitUntil(lambda: not trust.view.slot.is_running(), timeout=20_000)
    shots.dialog("dialog_trust", trust)
    trust.close()
    try:
        raise RuntimeError("example bug")
    except RuntimeError as exc:
        crash = CrashDialog.from_exception(exc, window)
    crash.open()
    shots.dialog("dialog_crash", crash)
    crash.close()
    error = ErrorDialog(StoreError("Cannot open /data/mlflow.db: no such file or folder.",
                                   "Check the path, or pick the file with File > Open store…"), parent=window)
    error.open()
    shots.dialog("dialog_error", error)
    error.close()
    assert view.select_model("credit-limit")
    view.select_versions(["2", "3"])
    view.compare_selected()
    ui.wait_idle(qtbot, window.compare_slot)
    shots.dialog("dialog_compare", window.compare_dialogs[-1])
    window.compare_dialogs[-1].close()

    # an ALTERED snapshot opened: the blocking banner above every page
    snap = fixed_home / "altered.mlsnap"  # its path is shown: the same every run
    create_snapshot([demo_store_urls()[0]], snap)
    con = sqlite3.connect(snap)
    con.execute("UPDATE mlsnap_versions SET stage = 'Production' WHERE _pos = 0")
    con.commit()
    con.close()
    altered = make_window()
    altered.persist_layout = False
    altered.set_theme(mode)
    _fix_as_of(altered)
    altered.open_stores([str(snap)])
    ui.wait_idle(qtbot, altered.load_slot)
    assert altered.altered_banner.isVisible()
    Shots(mode, altered, shots.problems, shots.written, shots.notes).page("main_window_altered_snapshot")
    altered.close()

    window.set_theme("system")
    assert theme.colors() in (theme.LIGHT, theme.DARK)
    QApplication.processEvents()
    _write_notes(mode, shots.notes)
    if _updating():
        _write_index()
    assert len(shots.written) >= 2 * 35, len(shots.written)  # every page, tab and dialog, at both sizes
    assert not shots.problems, "\n".join(shots.problems)
