"""Everything Qt: windows, views, item models, pyqtgraph items and the worker threads."""
