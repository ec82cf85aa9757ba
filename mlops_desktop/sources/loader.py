"""The one way stores are opened and read: by the CLI, the GUI, reports and snapshots.

:func:`load_stores` opens every ``--store`` in the order given, reads it and merges the
catalogs. The CLI stops at the first store that fails; the GUI passes ``keep_going`` and
gets the failures listed, plus ``partial`` results as each store (and first its
registry, when the source has a fast path) is read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.errors import CancelledError, MlopsError, UsageError
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)
from mlops_desktop.sources.base import DEFAULT_SETTINGS, Source, SourceSettings, open_source

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class StoreLoaded:
    """Partial result: one more store is read.

    ``registry_only`` parts carry just the models and versions (sources with a fast
    :meth:`~mlops_desktop.sources.base.Source.load_registry`); the same store's full
    catalog follows in the final result. A ``preview`` part (a registry of more than
    :data:`PREVIEW_MODELS` models) has the first models by name; the whole registry follows.
    """

    url: str
    catalog: Catalog
    registry_only: bool = False
    #: only the first models by name (:data:`PREVIEW_MODELS`): the same store's whole registry follows
    #: in the next part, to replace these rows
    preview: bool = False


#: Models read first from a large registry, so the inventory's first rows come before the rest.
PREVIEW_MODELS = 200


@dataclass(slots=True)
class StoreFailed:
    url: str
    error: MlopsError


@dataclass(slots=True)
class LoadedStores:
    """The merged catalog and the open sources it came from (close them, or use ``with``)."""

    catalog: Catalog
    sources: list[Source] = field(default_factory=list)
    failures: list[StoreFailed] = field(default_factory=list)

    def close(self) -> None:
        close_sources(self.sources)

    def __enter__(self) -> LoadedStores:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def close_sources(sources: Sequence[Source]) -> None:
    """Close every source; a failure to close one is logged and does not keep the others open."""
    for source in sources:
        try:
            source.close()
        except Exception:  # closing must never hide the real outcome
            logger.exception("Closing %s failed", source.url.display)


def load_stores(
    urls: Sequence[str],
    settings: SourceSettings = DEFAULT_SETTINGS,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
    *,
    all_runs: bool = False,
    keep_going: bool = False,
    partial: Callable[[StoreLoaded], None] | None = None,
    working: bool = False,
) -> LoadedStores:
    """Open and read each store in turn and merge their catalogs (in the order given).

    Without ``keep_going`` the first store that fails raises its error; with it, the
    failure is listed and the other stores are read. ``working``: each store's
    :meth:`~mlops_desktop.sources.base.Source.load_working_catalog` (runs read whole on demand;
    not with ``all_runs``). Cancellation always raises. The
    sources stay open in the result (the GUI asks them for metric histories later); on
    any exception they are closed here.
    """
    result = LoadedStores(Catalog())
    try:
        for i, url in enumerate(urls):
            check_cancelled(is_cancelled)
            progress(i, len(urls), f"Opening {url}")
            try:
                source = open_source(url, settings)
                result.sources.append(source)
                catalog = _read(source, url, progress, is_cancelled, all_runs, partial, working)
            except MlopsError as exc:
                if isinstance(exc, CancelledError) or not keep_going:
                    raise
                result.failures.append(StoreFailed(url, exc))
                continue
            result.catalog = result.catalog.merge(catalog)
        progress(len(urls), len(urls), "Stores loaded")
        check_cancelled(is_cancelled)
    except BaseException:
        result.close()
        raise
    return result


def _read(
    source: Source,
    url: str,
    progress: ProgressFn,
    is_cancelled: CancelledFn,
    all_runs: bool,
    partial: Callable[[StoreLoaded], None] | None,
    working: bool = False,
) -> Catalog:
    if partial is not None and _has_preview(source):
        preview = source.load_registry(progress, is_cancelled, first=PREVIEW_MODELS + 1)  # type: ignore[call-arg]
        if preview is not None and len(preview.models) > PREVIEW_MODELS:  # a small registry is read whole next, as fast
            preview.models = preview.models[:PREVIEW_MODELS]
            partial(StoreLoaded(url, preview, registry_only=True, preview=True))
    registry = source.load_registry(progress, is_cancelled) if partial is not None else None
    if partial is not None and registry is not None:
        partial(StoreLoaded(url, registry, registry_only=True))
    if working and not all_runs:
        catalog = source.load_working_catalog(registry, progress, is_cancelled)
    else:
        catalog = source.load_catalog(progress, is_cancelled, all_runs=all_runs)
    if partial is not None and registry is None:
        partial(StoreLoaded(url, catalog))
    return catalog


def _has_preview(source: Source) -> bool:
    """Whether the source reads the first models of its registry alone (``load_registry(first=)``)."""
    import inspect

    try:
        return "first" in inspect.signature(source.load_registry).parameters
    except (TypeError, ValueError):
        return False


def load_catalog(
    urls: Sequence[str],
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
    *,
    all_runs: bool = False,
    settings: SourceSettings = DEFAULT_SETTINGS,
) -> Catalog:
    """:func:`load_stores` for callers that need only the merged catalog (sources closed)."""
    if not urls:
        raise UsageError("No store given.", "Pass at least one --store URL or path.")
    with load_stores(urls, settings, progress, is_cancelled, all_runs=all_runs) as loaded:
        return loaded.catalog
