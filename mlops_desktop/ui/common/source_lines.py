"""The interpreter's cache of source lines, emptied once the window's modules are imported.

PySide6 decides, for each module imported once Qt is loaded, whether it uses PySide6's
``__feature__`` switches by reading the module's source (``shibokensupport.feature``, through
``inspect.getsource``), and :mod:`linecache` keeps every line read: a thousand files, half a
million lines, about 40 MB, for the whole session. Nothing needs them afterwards; a traceback
reads the lines it shows again.
"""

from __future__ import annotations

import linecache


def drop_source_lines() -> int:
    """Empty :mod:`linecache` (after the window is built, and after a load imported the sources'
    modules); returns how many files' lines were dropped."""
    count = len(linecache.cache)
    linecache.clearcache()
    return count
