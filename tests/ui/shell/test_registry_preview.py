"""A large registry shows its first models (by name) before the rest is read: the loader sends a
preview part, then the whole registry, which replaces the preview's rows (no model twice)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.scale_mlflow_store import scale_store
from mlops_desktop.sources import loader
from mlops_desktop.sources.loader import PREVIEW_MODELS, StoreLoaded
from mlops_desktop.ui.models.loading import source_settings


@pytest.fixture(scope="module")
def big_store(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("preview") / "mlflow.db"
    scale_store(out, models=PREVIEW_MODELS + 60, versions=2, runs=600, metrics_per_run=2, datasets=20)
    return out


def test_the_loader_sends_the_first_models_then_the_whole_registry(big_store):
    parts: list[StoreLoaded] = []
    with loader.load_stores([str(big_store)], source_settings(None), partial=parts.append) as loaded:
        names = sorted(m.name for m in loaded.catalog.models)
    assert [p.preview for p in parts] == [True, False]
    preview, whole = parts[0].catalog.models, parts[1].catalog.models
    assert len(preview) == PREVIEW_MODELS
    assert [m.name for m in preview] == sorted(m.name for m in whole)[:PREVIEW_MODELS]
    by_name = {m.name: m for m in whole}
    for m in preview:  # the same versions, tags and aliases as in the whole registry
        full = by_name[m.name]
        assert [v.version for v in m.versions] == [v.version for v in full.versions]
        assert m.tags == full.tags and m.aliases == full.aliases
        assert [v.tags for v in m.versions] == [v.tags for v in full.versions]
    assert len(names) == len(whole) > PREVIEW_MODELS + 60  # the template's models too


def test_a_small_registry_sends_no_preview(mlflow3_db):
    parts: list[StoreLoaded] = []
    with loader.load_stores([str(mlflow3_db)], source_settings(None), partial=parts.append):
        pass
    assert [p.preview for p in parts] == [False]


def test_the_window_replaces_the_preview_rows(make_window, qtbot, ui, big_store):
    window = make_window()
    counts: list[int] = []
    window.models_view.model.rowsInserted.connect(lambda *_: counts.append(window.models_view.model.rowCount()))
    window.open_stores([str(big_store)])
    ui.wait_idle(qtbot, window.load_slot)
    names = [m.name for m in window.models_view.model.rows]
    assert len(names) == len(set(names)) == len(window.catalog.models)
    assert sorted(names) == sorted(m.name for m in loader.load_catalog([str(big_store)]).models)
    assert counts and counts[0] < len(names)  # rows were shown before the whole registry
