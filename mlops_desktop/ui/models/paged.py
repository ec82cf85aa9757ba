"""Workers that build big object graphs (a store's whole catalog): :func:`full_collections_paused`.

The Runs and Datasets pages read their rows a window at a time from the stores
(:mod:`mlops_desktop.ui.models.windowed`); nothing here holds table rows.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_threshold: tuple[int, int, int] = gc.get_threshold()


@contextlib.contextmanager
def full_collections_paused() -> Iterator[None]:
    """Keep the cyclic GC's full collections out of a worker that builds a big object graph.

    A full (generation 2) collection walks every tracked object while holding the GIL: with
    all runs of the reference store loaded that is 1.8 million objects, 0.3-1 s in which the
    UI thread cannot run, and a load that doubles the heap triggers several. While any
    worker is inside this block, generation 2 is not collected (the young generations still
    are: cheap, and short-lived cycles are still freed). When the last one leaves,
    ``gc.freeze()`` moves the surviving objects out of the collector's sight, so the full
    collections after it stay short; frozen objects are still freed by reference counting
    when dropped (only garbage cycles among them are kept).
    """
    global _gc_pauses, _gc_threshold
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_threshold = gc.get_threshold()
            gc.set_threshold(_gc_threshold[0], _gc_threshold[1], 1 << 30)
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0:
                gc.freeze()
                gc.set_threshold(*_gc_threshold)
