"""Item-data roles of every model and view, defined once (``Qt.UserRole + n``)."""

from __future__ import annotations

from PySide6.QtCore import Qt

ENTITY_ROLE = Qt.ItemDataRole.UserRole + 1  #: the row's entity object
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  #: a key that sorts naturally (numbers, datetimes)
BADGES_ROLE = Qt.ItemDataRole.UserRole + 3  #: list[str] of badges ("PII", "PHI") for BadgeDelegate
STATUS_ROLE = Qt.ItemDataRole.UserRole + 4  #: a verification status string (governance_facts STATUS_*)
KEY_ROLE = Qt.ItemDataRole.UserRole + 5  #: the page key of a navigation item
ICON_ROLE = Qt.ItemDataRole.UserRole + 6  #: the icon name of a navigation item
HIT_ROLE = Qt.ItemDataRole.UserRole + 7  #: the search hit behind a result row
CHECKED_ROLE = Qt.ItemDataRole.UserRole + 8  #: whether a policy rule shown in a list is satisfied
