"""Everything Qt: windows, views, item models, pyqtgraph items and the worker threads."""

from mlops_desktop.ui import qt_compat as _qt_compat

_qt_compat.apply()
