"""The lineage room: the pyqtgraph lineage view (layered layout from ``core.layout``) and its page."""
