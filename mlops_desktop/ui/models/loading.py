"""Worker functions the GUI runs in :mod:`~mlops_desktop.ui.common.workers` threads.

Plain functions with ``progress`` / ``is_cancelled`` (and ``partial``) callbacks and no Qt,
so tests call them directly with fake callbacks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlops_desktop.core.entities import Catalog, MetricValue
from mlops_desktop.core.errors import CancelledError, MlopsError
from mlops_desktop.core.progress import CancelledFn, ProgressFn, check_cancelled
from mlops_desktop.sources.base import Source, open_source
from mlops_desktop.ui.models.catalog import dataset_rows
from mlops_desktop.ui.models.paged import full_collections_paused

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class StoreLoaded:
    """Partial result: one more store is read.

    ``registry_only`` parts carry just the models and versions (sources with a fast
    ``load_registry``); the same store's full catalog follows in the final result.
    """

    url: str
    catalog: Catalog
    registry_only: bool = False


@dataclass(slots=True)
class StoreFailed:
    url: str
    error: MlopsError


@dataclass(slots=True)
class LoadResult:
    catalog: Catalog
    sources: list[Source] = field(default_factory=list)
    failures: list[StoreFailed] = field(default_factory=list)
    dataset_rows: list[Any] = field(default_factory=list)  # ui.models.DatasetRow, built off the UI thread


def load_stores(
    urls: Sequence[str],
    settings: Mapping[str, object] | None,
    *,
    progress: ProgressFn,
    is_cancelled: CancelledFn,
    partial: Callable[[StoreLoaded], None] | None = None,
) -> LoadResult:
    """Open and read each store in turn; a store that fails does not stop the others.

    The sources stay open in the result (the GUI asks them for metric histories and all
    runs later) and must be closed by the receiver. On cancellation they are closed here.
    Full garbage collections are paused meanwhile: they would hold the GIL for the UI.
    """
    with full_collections_paused():
        return _load_stores(urls, settings, progress=progress, is_cancelled=is_cancelled, partial=partial)


def _load_stores(
    urls: Sequence[str],
    settings: Mapping[str, object] | None,
    *,
    progress: ProgressFn,
    is_cancelled: CancelledFn,
    partial: Callable[[StoreLoaded], None] | None = None,
) -> LoadResult:
    result = LoadResult(Catalog())
    try:
        for i, url in enumerate(urls):
            check_cancelled(is_cancelled)
            progress(i, len(urls), f"Opening {url}")
            try:
                source = open_source(url, settings)
            except MlopsError as exc:
                if isinstance(exc, CancelledError):
                    raise
                result.failures.append(StoreFailed(url, exc))
                continue
            result.sources.append(source)
            try:
                load_registry = getattr(source, "load_registry", None)
                if partial is not None and callable(load_registry):
                    partial(StoreLoaded(url, load_registry(progress, is_cancelled), registry_only=True))
                catalog = source.load_catalog(progress, is_cancelled)
            except MlopsError as exc:
                if isinstance(exc, CancelledError):
                    raise
                result.failures.append(StoreFailed(url, exc))
                continue
            result.catalog = result.catalog.merge(catalog)
            if partial is not None and not callable(getattr(source, "load_registry", None)):
                partial(StoreLoaded(url, catalog))
        progress(len(urls), len(urls), "Stores loaded")
        check_cancelled(is_cancelled)
        result.dataset_rows = dataset_rows(result.catalog)
    except BaseException:
        close_sources(result.sources)
        raise
    return result


def close_sources(sources: Sequence[Source]) -> None:
    for source in sources:
        try:
            source.close()
        except Exception:  # closing must never hide the real outcome
            logger.exception("Closing %s failed", source.url.display)


def fetch_metric_history(
    source: Source, run_id: str, key: str, *, progress: ProgressFn, is_cancelled: CancelledFn
) -> list[MetricValue]:
    """Every value of one metric of one run, from a source that keeps histories."""
    check_cancelled(is_cancelled)
    progress(0, 1, f"Reading the history of {key}")
    history = getattr(source, "metric_history", None)
    if history is None:
        return []
    values: list[MetricValue] = history(run_id, key)
    progress(1, 1, f"{len(values)} values of {key}")
    return values
