"""What the governance pages and dialogs share that is neither a widget nor a service (the
services are in :mod:`mlops_desktop.services`)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlops_desktop.ui.common.widgets import Banner

#: The shortcut of Governance > Approve / Reject… (shown in page hints).
APPROVE_SHORTCUT = "Ctrl+Shift+A"


def unverified_snapshot_message(banner: Banner, exc: BaseException) -> bool:
    """An open snapshot whose governance records were refused because the snapshot is not
    verified against this client's trust anchors: say so in ``banner`` (True), in the window's
    words rather than the command line's. False for any other error."""
    from mlops_desktop.sources.snapshot import UnverifiedSnapshotError

    if not isinstance(exc, UnverifiedSnapshotError):
        return False
    banner.show_message("error", "<b>The governance records of this snapshot are not shown: the snapshot is not "
                        f"verified.</b><br>{html.escape(exc.message)}<br>Check it with 'mlops-desktop snapshot "
                        "verify'; if its signer's administrator is one you trust, add their key as a trust anchor "
                        "('mlops-desktop trust anchor add') and open the snapshot again.")
    return True
