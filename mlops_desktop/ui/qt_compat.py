"""Work-arounds for bugs in the Qt binding, applied once when ``mlops_desktop.ui`` is imported.

PySide6 6.12.0: ``SignalInstance.emit()`` returns ``True`` without taking a reference, so
every emit from Python code drops one reference to ``True``. On Python 3.11 (where
``True`` is not immortal) a long session — or a test suite — ends with
"Fatal Python error: bool_dealloc". We detect the bug at runtime with a probe emit and,
only then, wrap ``emit`` to give the reference back. On a fixed binding nothing changes.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

logger = logging.getLogger(__name__)

_PATCHED = False


class _Probe(QObject):
    sig_probe = Signal()


def emit_leaks_bool_references() -> bool:
    """True when this binding's ``emit`` loses a reference to its bool result."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):  # bools are immortal from 3.12
        return False
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(10):
        probe.sig_probe.emit()
    after = sys.getrefcount(True)
    if after < before:
        for _ in range(before - after):  # give back what the probe took
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
        return True
    return False


def apply() -> None:
    global _PATCHED
    if _PATCHED or not emit_leaks_bool_references():
        return
    original = SignalInstance.emit

    def emit(self: SignalInstance, *args: Any) -> Any:
        result: Any = original(self, *args)
        if result is True or result is False:
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))
        return result

    SignalInstance.emit = emit  # type: ignore[method-assign]
    _PATCHED = True
    logger.debug("Applied the SignalInstance.emit reference-count work-around")
