"""Full garbage collections kept out of work that builds big object graphs.

A full (generation 2) collection walks every tracked object while holding the interpreter: with
a large catalog loaded that is millions of objects, 0.3-1 s in which no other thread runs (the
window's UI thread included), and a load that doubles the heap triggers several. Inside
:func:`full_collections_paused`, generation 2 is not collected; the young generations still are
(cheap, and short-lived cycles are still freed). Turning the collector off altogether instead
lets every thread's new objects pile up in the youngest generation, and the first collection
after it walks them all at once (250 ms at five times the reference store).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_pauses = 0
_threshold: tuple[int, int, int] = gc.get_threshold()


@contextlib.contextmanager
def full_collections_paused() -> Iterator[None]:
    """While any thread is inside this block, generation 2 is not collected. When the last one
    leaves, ``gc.freeze()`` moves the surviving objects out of the collector's sight, so the full
    collections after it stay short; frozen objects are still freed by reference counting when
    dropped (only garbage cycles among them are kept)."""
    global _pauses, _threshold
    with _lock:
        if _pauses == 0:
            _threshold = gc.get_threshold()
            gc.set_threshold(_threshold[0], _threshold[1], 1 << 30)
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0:
                gc.freeze()
                gc.set_threshold(*_threshold)
