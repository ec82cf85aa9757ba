"""What the governance pages and dialogs share that is neither a widget nor a service (the
services are in :mod:`mlops_desktop.services`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlops_desktop.ui.common.widgets import Banner

#: The shortcut of Governance > Approve / Reject… (shown in page hints).
APPROVE_SHORTCUT = "Ctrl+Shift+A"


def unverified_snapshot_message(banner: Banner, exc: BaseException) -> bool:
    """An open snapshot whose governance records were refused because the snapshot is not
    verified against this client's trust anchors: say so in ``banner`` (True), in the window's
    words rather than the command line's (:func:`~mlops_desktop.ui.common.unverified.
    unverified_snapshot_advice`). False for any other error."""
    from mlops_desktop.ui.common.unverified import unverified_snapshot_advice

    text = unverified_snapshot_advice(exc, "Not shown", "Verify again")
    if text is None:
        return False
    banner.show_message("error", text)
    return True
