"""What the governance pages and dialogs share that is neither a widget nor a service (the
services are in :mod:`mlops_desktop.services`)."""

from __future__ import annotations

#: The shortcut of Governance > Approve / Reject… (shown in page hints).
APPROVE_SHORTCUT = "Ctrl+Shift+A"
