"""The PySide6 6.12.0 ``emit`` reference leak is neutralised once ``mlops_desktop.ui`` is imported."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Signal

import mlops_desktop.ui  # noqa: F401 - applies the work-around
from mlops_desktop.ui import qt_compat


class Emitter(QObject):
    sig_value = Signal(object)
    sig_flag = Signal(bool)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="bools are immortal from Python 3.12")
def test_emitting_does_not_lose_references_to_true():
    emitter = Emitter()
    emitter.sig_value.connect(lambda v: None)
    before_true, before_false = sys.getrefcount(True), sys.getrefcount(False)
    for i in range(2000):
        emitter.sig_value.emit(i)
        emitter.sig_flag.emit(i % 2 == 0)
    assert sys.getrefcount(True) >= before_true
    assert sys.getrefcount(False) >= before_false


def test_probe_is_stable_after_the_work_around():
    assert qt_compat.emit_leaks_bool_references() is False
