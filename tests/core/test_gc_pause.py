"""Full collections paused, never the collector: work that builds big graphs on one thread must
not leave every thread's new objects to one long collection afterwards."""

from __future__ import annotations

import gc
from pathlib import Path

from mlops_desktop.core.gc_pause import full_collections_paused
from mlops_desktop.governance.journal import observe
from mlops_desktop.governance.store import open_governance
from mlops_desktop.sources.loader import load_catalog


def test_pauses_nest_and_restore_the_thresholds() -> None:
    before = gc.get_threshold()
    with full_collections_paused():
        assert gc.isenabled() and gc.get_threshold()[:2] == before[:2] and gc.get_threshold()[2] >= 1 << 30
        with full_collections_paused():
            assert gc.get_threshold()[2] >= 1 << 30
        assert gc.get_threshold()[2] >= 1 << 30  # still inside the outer pause
    assert gc.get_threshold() == before and gc.isenabled()


def test_observing_a_registry_keeps_young_collections_running(tmp_path: Path, mlflow3_db: Path) -> None:
    catalog = load_catalog([str(mlflow3_db)])
    gov = open_governance(str(tmp_path / "gov.db"))
    young: list[int] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            young.append(info["generation"])

    threshold = gc.get_threshold()
    gc.set_threshold(20, threshold[1], threshold[2])
    gc.callbacks.append(on_gc)
    try:
        results = observe(gov, catalog)
    finally:
        gc.callbacks.remove(on_gc)
        gc.set_threshold(*threshold)
        gov.close()
    assert results and results[0].changed
    assert young and 2 not in young, "young collections run while the state is built; full ones wait"
