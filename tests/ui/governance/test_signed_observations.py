"""The window signs its registry observations with the key the officer unlocked in it.

Real key files, a real governance store with a pinned admin and a trusted approver, the MLflow
3.17 fixture store changed through ``MlflowClient``, the main window offscreen and the Approve
dialog signing in its worker. Without an unlocked key (or after a wrong passphrase) observations
stay unsigned; an edited signed observation is caught by ``audit verify``.
"""

from __future__ import annotations

import shutil
import sqlite3
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt

from mlops_desktop.cli.main import main
from mlops_desktop.governance.journal import (
    as_of,
    change_events,
    observations,
    observe,
    signature_of,
    state_of,
)
from mlops_desktop.governance.keys import create_key, load_private_key, load_public_key
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer, init_trust
from tests.ui.conftest import wait_idle

PASSPHRASE = "correct horse battery staple 42"
TIMEOUT = 20_000


@pytest.fixture
def keys(tmp_path: Path) -> SimpleNamespace:
    folder = tmp_path / "keys"
    folder.mkdir()
    out = {}
    for name in ("admin", "alice"):
        path = folder / f"{name}.key"
        create_key(path, name.capitalize(), f"{name}@example.org", PASSPHRASE)
        out[name] = path
    return SimpleNamespace(**out)


@pytest.fixture
def gov_url(tmp_path: Path, keys: SimpleNamespace) -> str:
    """A governance store with the admin pinned and Alice a trusted approver."""
    path = tmp_path / "governance.db"
    with open_governance(str(path)) as gov:
        admin = load_private_key(keys.admin, PASSPHRASE)
        init_trust(gov, [admin])
        add_signer(gov, admin, load_public_key(Path(f"{keys.alice}.pub")), "alice@example.org", ["approver"])
    return str(path)


def open_and_wait(qtbot, window, db: Path) -> None:
    window.open_stores([str(db)])
    wait_idle(qtbot, window.load_slot)
    access = window.governance.access_log
    qtbot.waitUntil(lambda: access.idle, timeout=TIMEOUT)


def change_registry(db: Path) -> None:
    mlflow = pytest.importorskip("mlflow")
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{db}", registry_uri=f"sqlite:///{db}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        client.transition_model_version_stage("demand-forecast", "3", "Production")


def approve_in_window(qtbot, window, key: Path, passphrase: str) -> object:
    window.models_view.select_model("sepsis-alert")
    window.models_view.select_version("3")
    dialog = window.governance.show_approval_dialog()
    assert dialog is not None
    qtbot.waitUntil(lambda: not dialog.is_running() and dialog.context is not None, timeout=TIMEOUT)
    dialog.key_field.set_path(str(key))
    dialog.reason_edit.setPlainText("Validated on Q3 data")
    dialog.passphrase_edit.setText(passphrase)
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=TIMEOUT)
    return dialog


def audit_verify(capsys: pytest.CaptureFixture[str], gov: str) -> tuple[int, str]:
    code = main(["audit", "verify", "--governance", gov])
    out, err = capsys.readouterr()
    return code, out + err


def test_after_an_approval_the_next_observation_is_signed_by_that_key(
        make_window, qtbot, mlflow3_db: Path, gov_url: str, keys: SimpleNamespace, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("MLOPS_DESKTOP_PASSPHRASE", raising=False)
    window = make_window(governance_url=gov_url)
    open_and_wait(qtbot, window, mlflow3_db)
    with open_governance(gov_url) as gov:
        [first] = observations(gov)
        assert first.key_id is None and signature_of(gov, first) is None  # no key unlocked yet
    dialog = approve_in_window(qtbot, window, keys.alice, PASSPHRASE)
    assert dialog.record is not None, dialog.banner.text()  # type: ignore[attr-defined]
    alice = load_private_key(keys.alice, PASSPHRASE)
    access = window.governance.access_log
    assert access.signing_key is not None and access.signing_key.key_id == alice.key_id
    assert f"signed with key {alice.key_id[:16]}" in window.statusBar().currentMessage()
    # reopened with nothing changed: the same state recorded once more, now signed; no change event
    open_and_wait(qtbot, window, mlflow3_db)
    with open_governance(gov_url) as gov:
        again_unsigned, resigned = observations(gov)
        assert again_unsigned.id == first.id
        assert resigned.state_digest == first.state_digest and resigned.key_id == alice.key_id
        assert signature_of(gov, resigned) == "valid"
        assert change_events(gov, first.registry) == []
        found = as_of(gov, first.registry, resigned.time)
        assert found is not None and found[0].id == resigned.id and found[1] == state_of(gov, first)
    open_and_wait(qtbot, window, mlflow3_db)  # signed already: nothing more
    with open_governance(gov_url) as gov:
        assert len(observations(gov)) == 2
    change_registry(mlflow3_db)
    open_and_wait(qtbot, window, mlflow3_db)
    with open_governance(gov_url) as gov:
        _, old, new = observations(gov)
        assert new.key_id == alice.key_id and new.state_digest != old.state_digest
        assert signature_of(gov, new) == "valid"
        [event] = change_events(gov, first.registry)
        assert (event.model, event.version, event.after) == ("demand-forecast", "3", "Production")
    code, out = audit_verify(capsys, gov_url)
    assert code == 0, out
    assert not window.notifier.dialogs
    assert window.governance.forget_key_action.isEnabled()

    # forgotten: the next changed state is unsigned again
    window.governance.forget_key_action.trigger()
    assert access.signing_key is None and not window.governance.forget_key_action.isEnabled()
    assert "unsigned" in window.statusBar().currentMessage()
    mlflow = pytest.importorskip("mlflow")
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{mlflow3_db}", registry_uri=f"sqlite:///{mlflow3_db}")
    client.set_registered_model_alias("demand-forecast", "shadow", "3")
    open_and_wait(qtbot, window, mlflow3_db)
    with open_governance(gov_url) as gov:
        *_, last = observations(gov)
        assert last.key_id is None and last.id > new.id

    # trying for a false "verified": the signed row made to claim the earlier state
    edited = str(tmp_path / "edited.db")
    shutil.copy(gov_url, edited)
    con = sqlite3.connect(edited)
    with con:
        con.execute("UPDATE observations SET state_digest = ? WHERE id = ?", (old.state_digest, new.id))
    con.close()
    with open_governance(edited) as gov:
        assert signature_of(gov, observations(gov)[-1]) != "valid"
    code, out = audit_verify(capsys, edited)
    assert code == 1, out


def test_without_an_unlocked_key_observations_stay_unsigned(
        make_window, qtbot, mlflow3_db: Path, gov_url: str, keys: SimpleNamespace,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # a passphrase in the environment and a configured key do not sign observations by themselves
    monkeypatch.setenv("MLOPS_DESKTOP_PASSPHRASE", PASSPHRASE)
    window = make_window(governance_url=gov_url)
    window.gui_settings.remember_signing_key(str(keys.alice))
    open_and_wait(qtbot, window, mlflow3_db)
    assert window.governance.access_log.signing_key is None
    change_registry(mlflow3_db)
    open_and_wait(qtbot, window, mlflow3_db)
    with open_governance(gov_url) as gov:
        obs = observations(gov)
        assert len(obs) == 2
        assert [o.key_id for o in obs] == [None, None]
        assert [signature_of(gov, o) for o in obs] == [None, None]
    open_and_wait(qtbot, window, mlflow3_db)  # unchanged and no key: nothing recorded
    with open_governance(gov_url) as gov:
        assert len(observations(gov)) == 2
    code, out = audit_verify(capsys, gov_url)
    assert code == 0, out


def test_a_wrong_passphrase_unlocks_nothing_and_signs_nothing(
        make_window, qtbot, mlflow3_db: Path, gov_url: str, keys: SimpleNamespace,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLOPS_DESKTOP_PASSPHRASE", raising=False)
    window = make_window(governance_url=gov_url)
    open_and_wait(qtbot, window, mlflow3_db)
    dialog = approve_in_window(qtbot, window, keys.alice, "wrong wrong wrong wrong")
    assert dialog.record is None  # type: ignore[attr-defined]
    text = dialog.banner.text()  # type: ignore[attr-defined]
    assert "Wrong passphrase" in text and "Nothing was written" in text
    assert window.governance.access_log.signing_key is None
    change_registry(mlflow3_db)
    open_and_wait(qtbot, window, mlflow3_db)
    with open_governance(gov_url) as gov:
        obs = observations(gov)
        assert len(obs) == 2 and [o.key_id for o in obs] == [None, None]


def test_an_unchanged_state_is_signed_again_only_when_asked_with_a_key(
        tmp_path: Path, mlflow3_db: Path, keys: SimpleNamespace, gov_url: str) -> None:
    from mlops_desktop.sources.loader import load_catalog

    catalog = load_catalog([str(mlflow3_db)])
    alice, admin = load_private_key(keys.alice, PASSPHRASE), load_private_key(keys.admin, PASSPHRASE)
    with open_governance(gov_url) as gov:
        [first] = observe(gov, catalog)
        assert first.changed and first.observation is not None and first.observation.key_id is None
        # no key, or a key but not asked: an unchanged registry records nothing
        assert not observe(gov, catalog, sign_unchanged=True)[0].changed
        assert not observe(gov, catalog, key=alice)[0].changed
        assert len(observations(gov)) == 1
        [signed] = observe(gov, catalog, key=alice, sign_unchanged=True)
        assert signed.changed and signed.changes == 0
        assert signed.observation is not None and signed.observation.key_id == alice.key_id
        # the last one is signed: another key does not add a row
        assert not observe(gov, catalog, key=admin, sign_unchanged=True)[0].changed
        assert [o.key_id for o in observations(gov)] == [None, alice.key_id]


def test_a_kept_key_signs_nothing_into_a_read_only_store_or_from_a_snapshot(
        tmp_path: Path, mlflow3_db: Path, keys: SimpleNamespace, gov_url: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    from mlops_desktop.services.session import observe_opened_signed
    from mlops_desktop.sources.loader import load_catalog

    alice = load_private_key(keys.alice, PASSPHRASE)
    catalog = load_catalog([str(mlflow3_db)])
    snap = tmp_path / "snap.mlsnap"
    assert main(["snapshot", "create", "--store", str(mlflow3_db), "--out", str(snap)]) == 0, capsys.readouterr()
    with open_governance(gov_url) as gov:
        # a live catalog said to come from a snapshot, and a snapshot's own catalog
        assert observe_opened_signed(gov, catalog, [f"snapshot:{snap}"], alice) == []
        assert observe_opened_signed(gov, load_catalog([f"snapshot:{snap}"]), [str(snap)], alice) == []
        assert observations(gov) == []
    Path(gov_url).chmod(0o444)
    try:
        with open_governance(gov_url) as gov:
            assert gov.read_only
            assert observe_opened_signed(gov, catalog, [str(mlflow3_db)], alice) == []
    finally:
        Path(gov_url).chmod(0o644)
    with open_governance(gov_url) as gov:
        assert observations(gov) == []
        [signed] = observe_opened_signed(gov, catalog, [str(mlflow3_db)], alice)
        assert signed.observation is not None and signed.observation.key_id == alice.key_id
