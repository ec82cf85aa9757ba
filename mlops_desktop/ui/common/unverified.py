"""What the window says when an open snapshot's governance records are refused because the
snapshot is not verified (:class:`~mlops_desktop.sources.snapshot.UnverifiedSnapshotError`).

The error's hint is the command line's ("pass --allow-unverified"); the window never uses an
unverified snapshot's records, so it words its own advice from the verification's state: what
can be done here (Settings > Trust anchors, then the page's button to check again) or why
nothing will make the snapshot verified. Every page that reads governance records shows this.
"""

from __future__ import annotations

import html

from mlops_desktop.sources.snapshot import (
    ALTERED,
    UNANCHORED,
    UNSIGNED,
    UNTRUSTED,
    UnverifiedSnapshotError,
)


def unverified_snapshot_advice(exc: BaseException, what: str, again: str) -> str | None:
    """The HTML a page's banner shows for ``exc`` when it is an unverified snapshot's refusal
    (None for any other error). ``what`` says what the page could not do ("Findings not
    computed"), ``again`` names its button that reads the records again ("Check again")."""
    if not isinstance(exc, UnverifiedSnapshotError):
        return None
    status = exc.status
    state = status.state if status is not None else None
    if status is not None and state in (UNANCHORED, UNTRUSTED) and status.key_id:
        # the status text ends in the command line's advice: say what was found in the window's words
        claim = f" claiming {status.signer}" if status.signer else ""
        found = (f"{state}: signed by key <code>{html.escape(status.key_id)}</code>{html.escape(claim)}, and no "
                 "trust anchor of this client reaches that key.")
    else:
        found = html.escape(status.text if status is not None else exc.message)
    if state == ALTERED:
        advice = ("Its content does not match what was signed, so no trust anchor can make it verified. "
                  "Do not rely on it: ask its author for the original snapshot and open that one.")
    elif state == UNSIGNED:
        advice = ("It carries no signature, so it cannot be verified. Ask its author for a signed snapshot "
                  "(File > Create snapshot… with a signing key) and open that one.")
    elif state in (UNANCHORED, UNTRUSTED):
        advice = ("If you trust this signer, compare the fingerprint above with the one they gave you, add their "
                  "public key (or that of the administrator who admitted them) in Settings > Trust anchors, then "
                  f"press {html.escape(again)}.")
    else:
        advice = f"Check the snapshot's trust anchors in Settings > Trust anchors, then press {html.escape(again)}."
    return (f"<b>{html.escape(what)}: the governance records of this snapshot are not used, the snapshot is not "
            f"verified.</b><br>{found}<br>{advice} Its models, runs and lineage are still shown, marked as "
            "not verified.")
