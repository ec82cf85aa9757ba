"""Records what the officer opened in the GUI (stores, model versions) in the audit log.

HIPAA 164.308(a)(1)(ii)(D) asks for an activity review: the audit log must show who looked
at which store and which model. Each loaded catalog is also recorded in the registry journal
(an observation only when a registry's state changed). The window's signals feed a queue; a worker writes the
queued entries in one go (never on the UI thread), and a read-only or unreachable
governance store only logs a warning: browsing never fails because of the log.

Observations are signed with the key the officer unlocked in this window to sign a decision
(:meth:`AccessLog.keep_signing_key`), kept in memory until the window closes (an unchanged
registry whose last observation is unsigned is then recorded again, signed, when it is next
loaded); without one they are recorded unsigned. No passphrase is ever asked for, or kept, to sign an observation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from mlops_desktop.governance.actions import (
    ACTION_MODEL_VIEWED,
    ACTION_OBSERVE,
    ACTION_STORE_OPENED,
    ACTION_VERIFY,
)
from mlops_desktop.sources.base import redact
from mlops_desktop.ui.common.workers import TaskSlot

if TYPE_CHECKING:
    from mlops_desktop.governance.keys import SigningKey

logger = logging.getLogger(__name__)

Entry = tuple[str, str, dict[str, Any]]  # action, object, details


class GovernanceCache:
    """Governance stores opened by the access-log worker, kept open between writes.

    Opening a store checks (and on first use creates) its schema: ~0.1 s holding the GIL.
    Only the one access-log worker at a time uses the cache.
    """

    def __init__(self) -> None:
        self._open: dict[str | None, Any] = {}

    def get(self, url: str | None) -> Any:
        from mlops_desktop.governance.store import open_governance

        if url not in self._open:
            self._open[url] = open_governance(url)
        return self._open[url]

    def close(self) -> None:
        for gov in self._open.values():
            gov.close()
        self._open.clear()


def open_ahead(cache: GovernanceCache, governance_url: str | None, *, progress: Callable[..., None],
               is_cancelled: Callable[[], bool]) -> int:
    """Open the governance store before anything is recorded (at start, not while browsing)."""
    from mlops_desktop.core.errors import MlopsError

    try:
        cache.get(governance_url)
    except MlopsError as exc:
        logger.warning("Could not open the governance store to record access: %s", exc)
    return 0


def write_entries(
    cache: GovernanceCache, governance_url: str | None, entries: Sequence[Entry], *,
    progress: Callable[..., None], is_cancelled: Callable[[], bool],
) -> int:
    """Append ``entries`` to the audit log (worker function); returns how many were recorded."""
    from mlops_desktop.core.errors import MlopsError
    from mlops_desktop.governance.audit import try_log_action

    try:
        gov = cache.get(governance_url)
    except MlopsError as exc:
        logger.warning("Could not open the governance store to record access: %s", exc)
        return 0
    if gov.read_only:
        logger.warning("Governance store is read-only; %d access entries not recorded", len(entries))
        return 0
    written = 0
    for done, (action, obj, details) in enumerate(entries):
        progress(done, len(entries), "Recording access")
        if action == ACTION_OBSERVE:  # the registry journal (an unchanged registry records nothing)
            from mlops_desktop.services.session import observe_opened_signed

            # signed with the key unlocked in the window when the entry was queued, if any
            observe_opened_signed(gov, details["catalog"], details["store_urls"], details.get("key"))  # not counted
            continue
        if try_log_action(gov, action, obj, details) is not None:
            written += 1
    return written


class AccessLog(QObject):
    """Queue of access entries for one window, written by one worker at a time."""

    def __init__(self, governance_url: Callable[[], str | None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._url = governance_url
        self._pending: list[tuple[str | None, Entry]] = []  # (governance url when queued, entry)
        self._last_viewed: str | None = None
        self._busy = False
        self._closed = False
        self.written = 0
        #: the key the officer unlocked in this window (memory only), which signs its observations
        self.signing_key: SigningKey | None = None
        self._cache = GovernanceCache()
        self.slot = TaskSlot("access-log", None, self)
        self._busy = True
        self.slot.start(open_ahead, self._cache, self._url(), label="Opening the governance store",
                        on_done=self._on_written, on_error=self._on_failed)

    def stores_opened(self, urls: Sequence[str]) -> None:
        for url in urls:
            self._queue((ACTION_STORE_OPENED, redact(str(url)), {"via": "gui"}))
        self._last_viewed = None

    def catalog_loaded(self, catalog: object, store_urls: Sequence[str]) -> None:
        """Record the registries of a loaded catalog in the journal (when their state changed)."""
        self._queue((ACTION_OBSERVE, "", {"catalog": catalog, "store_urls": list(store_urls),
                                          "key": self.signing_key}))

    def keep_signing_key(self, key: SigningKey | None) -> None:
        """Sign the observations queued from now on with ``key`` (already unlocked by the officer
        to sign a decision; None: unsigned again). The next load of an unchanged registry whose
        last observation is unsigned records that state again, signed."""
        self.signing_key = key

    def version_viewed(self, version: object) -> None:
        uri = getattr(version, "uri", None)
        if not uri or uri == self._last_viewed:
            return
        self._last_viewed = uri
        self._queue((ACTION_MODEL_VIEWED, uri, {"via": "gui"}))

    def verification_run(self, what: str) -> None:
        self._queue((ACTION_VERIFY, what, {"via": "gui"}))

    def _queue(self, entry: Entry) -> None:
        """Queue ``entry`` for the governance store in force now (a later switch does not move it)."""
        self._pending.append((self._url(), entry))
        self._flush()

    @property
    def idle(self) -> bool:
        return not self._busy and not self._pending

    def _flush(self) -> None:
        """Start one writer for everything queued; the next batch waits until it has ended."""
        if self._closed or self._busy or not self._pending:
            return
        url = self._pending[0][0]
        count = next((i for i, (u, _) in enumerate(self._pending) if u != url), len(self._pending))
        batch = [entry for _, entry in self._pending[:count]]
        del self._pending[:count]
        self._busy = True
        self.slot.start(write_entries, self._cache, url, batch, label="Recording access", on_done=self._on_written,
                        on_error=self._on_failed)

    def _on_written(self, count: int) -> None:
        self.written += count
        self._busy = False
        self._flush()

    def _on_failed(self, exc: BaseException) -> bool:
        logger.warning("Recording access in the audit log failed: %s", exc)
        self._busy = False
        self._flush()
        return True

    def shutdown(self) -> None:
        """Wait for the batch being written; what is still queued is dropped with a warning."""
        self._closed = True
        self.signing_key = None  # the unlocked key lives no longer than the window
        self.slot.shutdown()  # the running writer ignores cancellation and is joined
        self._cache.close()
        if self._pending:
            logger.warning("%d access entries not recorded: the window closed first", len(self._pending))
            self._pending.clear()
