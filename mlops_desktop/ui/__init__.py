"""Everything Qt, in rooms: ``shell`` (the window, menus, about and shortcut sheets) imports
the feature rooms (``catalog``, ``lineage``, ``governance``, ``export``, ``settings``), which
import only ``models`` (item models) and ``common`` (workers, theme, widgets, roles).
The rooms only gather input, run ``mlops_desktop.services`` in a worker and show results."""
