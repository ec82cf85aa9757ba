"""Workers that build big object graphs (a store's whole catalog): :func:`full_collections_paused`
(every worker of a :class:`~mlops_desktop.ui.common.workers.TaskSlot` runs inside it).

The Runs and Datasets pages read their rows a window at a time from the stores
(:mod:`mlops_desktop.ui.models.windowed`); nothing here holds table rows.
"""

from __future__ import annotations

from mlops_desktop.ui.common.workers import full_collections_paused

__all__ = ["full_collections_paused"]
