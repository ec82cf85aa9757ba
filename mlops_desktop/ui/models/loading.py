"""Worker functions the GUI runs in :mod:`~mlops_desktop.ui.common.workers` threads.

Plain functions with ``progress`` / ``is_cancelled`` (and ``partial``) callbacks and no Qt,
so tests call them directly with fake callbacks.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mlops_desktop.core.entities import Catalog, MetricValue, Run
from mlops_desktop.core.progress import CancelledFn, ProgressFn, check_cancelled
from mlops_desktop.governance.snapshot_view import snapshot_settings
from mlops_desktop.sources import loader
from mlops_desktop.sources.base import Source, SourceSettings
from mlops_desktop.sources.loader import StoreFailed, StoreLoaded
from mlops_desktop.ui.models.paged import full_collections_paused

logger = logging.getLogger(__name__)

R = TypeVar("R")

#: Taken by each long pure-Python job of the Models page while it computes (see :func:`one_at_a_time`).
_COMPUTE_TURN = threading.Lock()

#: Seconds a thread holding the GIL runs before one waiting for it gets it (Python's default is 5 ms).
#: The UI thread takes the GIL back for every call Qt makes into Python (a cell's text, a filter
#: test, a timer): with the default, each such call behind a computing worker can wait 5 ms.
UI_SWITCH_INTERVAL = 0.001


def share_the_gil_with_the_ui() -> None:
    """Let the UI thread take the GIL back from computing workers after 1 ms instead of 5 ms.

    Measured on the inventory filter typed while workers compute (2,008 models, 4 busy threads):
    2.4 s -> 0.75 s; with one busy thread 217 -> 140 ms. The workers' own throughput is unchanged
    (a switch costs microseconds and only happens when another thread waits).
    """
    if sys.getswitchinterval() > UI_SWITCH_INTERVAL:
        sys.setswitchinterval(UI_SWITCH_INTERVAL)


def one_at_a_time(fn: Callable[..., R]) -> Callable[..., R]:
    """``fn`` (a worker function) computes only while no other such function does.

    Python runs one thread at a time anyway, so running the Models page's governance, findings,
    monitoring and filter-text jobs one after another costs no time in all; but each thread that
    computes at once is one more the UI thread waits behind for the GIL (measured: the inventory
    filter typed behind 1, 2, 4 busy threads took 2x, 3x, 6x its time alone). The job waits for its
    turn in its own thread, still cancellable; its slot reports it running meanwhile.
    """

    @functools.wraps(fn)
    def run(*args: Any, progress: ProgressFn, is_cancelled: CancelledFn, **kwargs: Any) -> R:
        while not _COMPUTE_TURN.acquire(timeout=0.05):
            check_cancelled(is_cancelled)
        try:
            check_cancelled(is_cancelled)
            return fn(*args, progress=progress, is_cancelled=is_cancelled, **kwargs)
        finally:
            _COMPUTE_TURN.release()

    return run


@dataclass(slots=True)
class LoadResult:
    catalog: Catalog
    sources: list[Source] = field(default_factory=list)
    failures: list[StoreFailed] = field(default_factory=list)


def load_stores(
    urls: Sequence[str],
    settings: Mapping[str, object] | None,
    *,
    progress: ProgressFn,
    is_cancelled: CancelledFn,
    partial: Callable[[StoreLoaded], None] | None = None,
) -> LoadResult:
    """Open and read each store in turn; a store that fails does not stop the others.

    The sources stay open in the result (the GUI asks them for metric histories, pages of
    runs and datasets later) and must be closed by the receiver. On cancellation they are closed here.
    Full garbage collections are paused meanwhile: they would hold the GIL for the UI.
    The catalog's lineage graph is built here too (:func:`~mlops_desktop.core.lineage.shared_graph`),
    once, for the findings, governance, monitoring and Lineage page that read it next, and
    frozen with the catalog (a full collection over both holds the GIL for a second at 5x).
    """
    from mlops_desktop.core.lineage import shared_graph

    with full_collections_paused():
        loaded = loader.load_stores(urls, source_settings(settings), progress, is_cancelled,
                                    keep_going=True, partial=partial, working=True)
        try:
            if loaded.sources:
                progress(0, 1, "Building the lineage graph")
                shared_graph(loaded.catalog, is_cancelled=is_cancelled)
                progress(1, 1, "Stores loaded")
        except BaseException:
            loaded.close()
            raise
        return LoadResult(loaded.catalog, loaded.sources, loaded.failures)


def source_settings(settings: Mapping[str, object] | None) -> SourceSettings:
    """The window's source settings as the sources take them, with this client's trust lists."""
    roots = (settings or {}).get("artifact_roots")
    # the window opens any snapshot and shows an unverified one behind a blocking banner
    return snapshot_settings(SourceSettings(artifact_roots=dict(roots) if isinstance(roots, Mapping) else {}),
                             allow_unverified=True)




def read_run(read: Callable[[str], Run | None], run_id: str, *, progress: ProgressFn,
             is_cancelled: CancelledFn) -> Run | None:
    """Worker function: one run with its params, latest metrics, tags and dataset inputs, read by
    ``read`` (a source's ``run_detail``, or a catalog's ``full_run`` for a run it holds lean)."""
    check_cancelled(is_cancelled)
    progress(0, 1, f"Reading run {run_id}")
    run = read(run_id)
    progress(1, 1, f"Run {run_id} read")
    return run


def fetch_metric_history(
    source: Source, run_id: str, key: str, *, progress: ProgressFn, is_cancelled: CancelledFn
) -> list[MetricValue]:
    """Every value of one metric of one run, from a source that keeps histories."""
    check_cancelled(is_cancelled)
    progress(0, 1, f"Reading the history of {key}")
    values = source.metric_history(run_id, key)
    progress(1, 1, f"{len(values)} values of {key}")
    return values
