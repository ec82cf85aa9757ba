"""The GUI records which stores and model versions the officer opened (HIPAA access report)."""

from __future__ import annotations

from pathlib import Path

from mlops_desktop.governance.audit import ACTION_MODEL_VIEWED, ACTION_STORE_OPENED, read_entries
from mlops_desktop.governance.store import open_governance
from tests.conftest import file_sha256
from tests.ui.conftest import wait_idle


def test_opening_a_store_and_viewing_versions_is_logged(make_window, qtbot, mlflow3_db: Path, tmp_path: Path) -> None:
    gov_url = str(tmp_path / "governance.db")
    window = make_window(governance_url=gov_url)
    window.open_stores([str(mlflow3_db)])
    wait_idle(qtbot, window.load_slot)
    window.models_view.select_model("sepsis-alert")
    window.models_view.select_version("3")
    window.models_view.select_version("3")  # the same version again is one view, not two
    window.models_view.select_version("2")
    access = window.governance.access_log
    qtbot.waitUntil(lambda: access.written >= 3 and access.idle, timeout=10_000)
    with open_governance(gov_url) as gov:
        entries = read_entries(gov, limit=50)
    seen = [(e.action, e.object) for e in entries]
    assert (ACTION_STORE_OPENED, str(mlflow3_db)) in seen
    views = [obj for action, obj in seen if action == ACTION_MODEL_VIEWED]
    assert views[-2:] == ["models:/sepsis-alert/3", "models:/sepsis-alert/2"]
    assert all(a != b for a, b in zip(views, views[1:], strict=False)), "a repeated selection is logged once"


def test_read_only_governance_store_never_blocks_browsing(make_window, qtbot, mlflow3_db: Path, tmp_path: Path) -> None:
    gov_path = tmp_path / "governance.db"
    open_governance(str(gov_path)).close()
    gov_path.chmod(0o444)
    before = file_sha256(gov_path)
    window = make_window(governance_url=str(gov_path))
    window.open_stores([str(mlflow3_db)])
    wait_idle(qtbot, window.load_slot)
    window.models_view.select_model("fraud-detector")
    window.models_view.select_version("3")
    access = window.governance.access_log
    qtbot.waitUntil(lambda: access.idle, timeout=10_000)
    assert access.written == 0
    assert not window.notifier.dialogs
    assert file_sha256(gov_path) == before


def test_entries_go_to_the_store_in_force_when_they_happened(qtbot, tmp_path: Path) -> None:
    from mlops_desktop.ui.governance.access_log import AccessLog

    first, second = str(tmp_path / "first.db"), str(tmp_path / "second.db")
    current = [first]
    log = AccessLog(lambda: current[0])
    try:
        log.stores_opened(["a.db", "b.db"])  # the first batch starts writing at once
        log.stores_opened(["c.db"])  # queued while it runs, still for the first store
        current[0] = second
        log.stores_opened(["d.db"])
        qtbot.waitUntil(lambda: log.idle, timeout=10_000)
    finally:
        log.shutdown()
    for url, objects in ((first, ["a.db", "b.db", "c.db"]), (second, ["d.db"])):
        with open_governance(url) as gov:
            assert [e.object for e in read_entries(gov) if e.action == ACTION_STORE_OPENED] == objects


def test_opening_a_registry_records_it_in_the_journal_once_per_state(make_window, qtbot, mlflow3_db: Path,
                                                                     tmp_path: Path) -> None:
    import warnings

    import pytest

    from mlops_desktop.governance.journal import change_events, observations

    mlflow = pytest.importorskip("mlflow")
    gov_url = str(tmp_path / "governance.db")
    window = make_window(governance_url=gov_url)
    access = window.governance.access_log

    def open_and_wait() -> None:
        window.open_stores([str(mlflow3_db)])
        wait_idle(qtbot, window.load_slot)
        qtbot.waitUntil(lambda: access.idle, timeout=20_000)

    open_and_wait()
    open_and_wait()  # reopened, nothing changed: no second observation
    with open_governance(gov_url) as gov:
        assert len(observations(gov)) == 1
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{mlflow3_db}", registry_uri=f"sqlite:///{mlflow3_db}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        client.transition_model_version_stage("demand-forecast", "3", "Production")
    open_and_wait()
    with open_governance(gov_url) as gov:
        obs = observations(gov)
        assert len(obs) == 2
        [event] = change_events(gov, obs[0].registry)
    assert (event.model, event.kind, event.version, event.after) == ("demand-forecast", "stage", "3", "Production")
    assert not window.notifier.dialogs
