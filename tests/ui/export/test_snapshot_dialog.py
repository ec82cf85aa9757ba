"""The Export snapshot dialog: real worker threads, real files, progress, cancel, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_desktop.governance import audit
from mlops_desktop.governance.keys import create_key, load_private_key, load_public_key
from mlops_desktop.governance.snapshot_view import open_snapshot
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer, init_trust
from mlops_desktop.sources import snapshot as fmt
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.export.snapshot_dialog import SnapshotDialog

PASSPHRASE = "correct horse battery staple 42"


@pytest.fixture
def make_dialog(qtbot):
    dialogs = []

    def factory(*args, **kwargs):
        dialog = SnapshotDialog(*args, **kwargs)
        qtbot.addWidget(dialog)
        dialog.show()
        dialogs.append(dialog)
        return dialog

    yield factory
    for d in dialogs:
        d.shutdown()


def _wait(qtbot, dialog) -> None:
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=20_000)
    qtbot.wait(20)
    assert dialog.shutdown()


def test_smoke_and_render(make_dialog, ui, mlflow3_db: Path) -> None:
    dialog = make_dialog([str(mlflow3_db)])
    assert dialog.windowTitle() == "Export snapshot"
    assert not dialog.create_button.isEnabled()  # no file chosen yet
    dialog.out_edit.setText("/tmp/somewhere.mlsnap")
    assert dialog.create_button.isEnabled()
    ui.render(dialog, "snapshot_dialog")
    dialog.close()


def test_unsigned_snapshot_written_with_progress(make_dialog, qtbot, tmp_path: Path, mlflow3_db: Path) -> None:
    out = tmp_path / "gui"
    dialog = make_dialog([str(mlflow3_db)])
    dialog.out_edit.setText(str(out))
    dialog.sign_check.setChecked(False)
    progress: list[int] = []
    dialog.slot.sig_progress.connect(lambda d, t, m: progress.append(d))
    with qtbot.waitSignal(dialog.sig_created, timeout=20_000) as created:
        assert dialog.start()
    _wait(qtbot, dialog)
    result = created.args[0]
    target = tmp_path / "gui.mlsnap"  # the extension is added
    assert result.path == target and target.exists()
    assert "Wrote" in dialog.status_label.text() and result.sha256 in dialog.status_label.text()
    assert progress and progress[-1] <= 100
    assert dialog.cancel_button.text() == "Close"
    with open_snapshot(target) as source:
        assert source.status.state == fmt.UNSIGNED
        assert source.load_catalog() == load_catalog([str(mlflow3_db)])


def test_signed_snapshot_with_governance_is_recorded(
    make_dialog, qtbot, tmp_path: Path, mlflow3_db: Path
) -> None:
    admin_file, alice_file = tmp_path / "admin.key", tmp_path / "alice.key"
    create_key(admin_file, "Admin", "admin@example.org", PASSPHRASE)
    create_key(alice_file, "Alice", "alice@example.org", PASSPHRASE)
    gov_path = tmp_path / "governance.db"
    with open_governance(str(gov_path)) as gov:
        init_trust(gov, [load_private_key(admin_file, PASSPHRASE)])
        add_signer(gov, load_private_key(admin_file, PASSPHRASE), load_public_key(Path(f"{alice_file}.pub")),
                   "alice@example.org", ["approver"])
    catalog = load_catalog([str(mlflow3_db)])
    dialog = make_dialog([str(mlflow3_db)], governance_url=str(gov_path), catalog=catalog)
    dialog.out_edit.setText(str(tmp_path / "signed.mlsnap"))
    dialog.key_edit.setText(str(alice_file))
    dialog.passphrase_edit.setText(PASSPHRASE)
    with qtbot.waitSignal(dialog.sig_created, timeout=20_000):
        dialog.create_button.click()
    _wait(qtbot, dialog)
    assert dialog.passphrase_edit.text() == ""  # not kept around
    with open_snapshot(tmp_path / "signed.mlsnap") as source:
        assert source.status.state == fmt.VERIFIED
        # alice's own key is in this client's key index, so it is an anchor: named as that index names it
        assert source.status.signer == "Alice <alice@example.org>"
    with open_governance(str(gov_path)) as gov:
        assert len(audit.read_entries(gov, actions=[audit.ACTION_SNAPSHOT_EXPORTED])) == 1


def test_wrong_passphrase_is_shown_in_the_dialog(make_dialog, qtbot, tmp_path: Path, mlflow3_db: Path) -> None:
    key_file = tmp_path / "k.key"
    create_key(key_file, "K", "k@example.org", PASSPHRASE)
    dialog = make_dialog([str(mlflow3_db)])
    dialog.out_edit.setText(str(tmp_path / "x.mlsnap"))
    dialog.key_edit.setText(str(key_file))
    dialog.passphrase_edit.setText("wrong wrong wrong wrong")
    dialog.start()
    _wait(qtbot, dialog)
    assert "Wrong passphrase" in dialog.status_label.text()
    assert not (tmp_path / "x.mlsnap").exists()
    assert dialog.create_button.isEnabled()


def test_missing_inputs_are_explained(make_dialog, tmp_path: Path, mlflow3_db: Path) -> None:
    dialog = make_dialog([str(mlflow3_db)])
    assert not dialog.start()
    assert "Choose where" in dialog.status_label.text()
    dialog.out_edit.setText(str(tmp_path / "y.mlsnap"))
    assert not dialog.start()  # signing is ticked but no key chosen
    assert "key file" in dialog.status_label.text()
    empty = make_dialog([])
    empty.out_edit.setText(str(tmp_path / "z.mlsnap"))
    assert not empty.start()
    assert "Open a store first" in empty.status_label.text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlflow3.db"]


def test_store_error_leaves_no_file(make_dialog, qtbot, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    dialog = make_dialog([str(tmp_path / "vanished.db")])
    dialog.out_edit.setText(str(out_dir / "v.mlsnap"))
    dialog.sign_check.setChecked(False)
    dialog.start()
    _wait(qtbot, dialog)
    assert dialog.status_label.text().startswith("Not written: No such file")
    assert list(out_dir.iterdir()) == []


def test_cancel_leaves_no_file(make_dialog, qtbot, tmp_path: Path, mlflow3_db: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    # A larger catalog (the fixture repeated) so the cancel lands while writing.
    base = load_catalog([str(mlflow3_db)])
    big = base
    for _ in range(200):
        big = big.merge(base)
    dialog = make_dialog([str(mlflow3_db)], catalog=big)
    dialog.out_edit.setText(str(out_dir / "c.mlsnap"))
    dialog.sign_check.setChecked(False)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.progress_bar.value() >= 40, timeout=20_000)
    dialog.cancel_button.click()
    _wait(qtbot, dialog)
    text = dialog.status_label.text()
    if text.startswith("The snapshot was complete"):  # the cancel came too late: the file is whole
        assert open_snapshot(out_dir / "c.mlsnap").status.state == fmt.UNSIGNED
    else:
        assert text == "Cancelled; no snapshot was written."
        assert list(out_dir.iterdir()) == []
    assert dialog.cancel_button.isEnabled() and dialog.create_button.isEnabled()


def test_closing_while_writing_stops_the_worker(make_dialog, qtbot, tmp_path: Path, mlflow3_db: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    base = load_catalog([str(mlflow3_db)])
    big = base
    for _ in range(200):
        big = big.merge(base)
    dialog = make_dialog([str(mlflow3_db)], catalog=big)
    dialog.out_edit.setText(str(out_dir / "d.mlsnap"))
    dialog.sign_check.setChecked(False)
    dialog.start()
    dialog.reject()
    assert not dialog.is_running()
    leftovers = list(out_dir.iterdir())
    assert leftovers == [] or [p.name for p in leftovers] == ["d.mlsnap"]
    assert not [p for p in leftovers if p.name.endswith(".tmp")]
