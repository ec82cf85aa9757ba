"""Plumbing every service shares: one governance store per task, unlocking a key, the key
preselected for signing, and recording which stores and models were looked at."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_desktop.core.errors import UsageError

if TYPE_CHECKING:
    from mlops_desktop.core.entities import Catalog
    from mlops_desktop.governance.db import Governance
    from mlops_desktop.governance.journal import ObserveResult
    from mlops_desktop.governance.keys import SigningKey

logger = logging.getLogger(__name__)

#: Returns the unlocked signing key. Services call it only once nothing else can fail first
#: (store writable, inputs read), so a passphrase is never asked for in vain.
UnlockFn = Callable[[], "SigningKey"]


@contextmanager
def gov_session(url: str | None, *, create: bool = True) -> Iterator[Governance]:
    """Open the governance store for one task and close it afterwards (a file replaced on disk
    is read afresh by the next task)."""
    from mlops_desktop.governance.store import open_governance

    gov = open_governance(url, create=create)
    try:
        yield gov
    finally:
        gov.close()


@dataclass(frozen=True)
class KeyFile:
    """A key file and its passphrase, unlocked when a service calls :meth:`unlock` (in the
    worker, after the checks that need no key)."""

    path: str
    passphrase: str = field(repr=False)
    what: str = "key"

    def unlock(self) -> SigningKey:
        from mlops_desktop.governance.keys import load_private_key

        if not self.path.strip():
            raise UsageError(f"Choose the {self.what} file.", "The key file written by 'mlops-desktop keys create'.")
        return load_private_key(Path(self.path.strip()).expanduser(), self.passphrase)


class KeepUnlocked:
    """An unlock function that keeps the key it returned (in memory only: the passphrase is not
    kept), so a window can sign its registry observations with the key its officer unlocked to
    sign something else. ``key`` is None until ``unlock_fn`` has returned."""

    def __init__(self, unlock_fn: UnlockFn) -> None:
        self._unlock_fn = unlock_fn
        self.key: SigningKey | None = None

    def __call__(self) -> SigningKey:
        key = self._unlock_fn()
        self.key = key
        return key


def preselected_key(configured: str = "") -> str:
    """The signing key a dialog starts with: the one configured (Settings' signing key, which
    is also where the key last signed with is remembered), else the newest key this client
    created or imported that still exists, else ""."""
    if configured.strip():
        return configured.strip()
    from mlops_desktop.core.errors import MlopsError
    from mlops_desktop.governance.keys import list_keys

    try:
        keys = [k for k in list_keys() if Path(k.path).exists()]
    except (OSError, MlopsError) as exc:
        logger.warning("Cannot read the list of keys: %s", exc)
        return ""
    return keys[-1].path if keys else ""


def log_store_access(gov: Governance, catalog: Catalog, model: str | None = None, version: str | None = None) -> None:
    """Record that the stores (and a model) were opened, as the CLI does for each command
    that reads them (the GUI's access log records them as they are opened)."""
    from mlops_desktop.governance import audit

    for store in catalog.stores:
        audit.try_log_action(gov, audit.ACTION_STORE_OPENED, store.url, {"kind": store.kind, "schema": store.schema})
    if model:
        audit.try_log_action(gov, audit.ACTION_MODEL_VIEWED, f"models:/{model}/{version}" if version else model, {})


def opens_snapshot(store_urls: Sequence[str]) -> bool:
    """Whether any of the store URLs given is a snapshot (:func:`governance.journal.opens_snapshot`)."""
    from mlops_desktop.governance.journal import opens_snapshot as is_snapshot

    return is_snapshot(store_urls)


def observe_on_open(url: str | None, catalog: Catalog, store_urls: Sequence[str] = ()) -> list[ObserveResult]:
    """Record the registries of ``catalog`` in the journal as they are opened (the CLI's store
    loading and the GUI's catalog load call it).

    ``store_urls``: the URLs the catalog was loaded from (nothing is recorded when one is a
    snapshot). Only into a governance store that already exists (``url``, else MLOPS_DESKTOP_GOVERNANCE_URL,
    else the default file): none is created for it, a read-only store or a snapshot records
    nothing, and a registry whose state did not change since its last observation costs one
    digest and one read. Opening never fails because of it: a problem is one warning.
    """
    from mlops_desktop.core.errors import MlopsError
    from mlops_desktop.governance.db import GOVERNANCE_ENV, resolve_url
    from mlops_desktop.governance.journal import observable_stores, observe_opened
    from mlops_desktop.governance.store import is_snapshot_file, open_governance

    if not observable_stores(catalog) or opens_snapshot(store_urls):
        return []
    try:
        raw = (url or os.environ.get(GOVERNANCE_ENV) or "").strip()
        if raw.startswith("snapshot:") or is_snapshot_file(raw):  # read-only records: not opened again
            return []
        _, path = resolve_url(raw or None)
        if path is not None and not path.exists():
            logger.debug("Registry not observed: no governance store at %s yet", path)
            return []
        gov = open_governance(raw or None, create=False)
    except MlopsError as exc:
        logger.warning("Registry observation not recorded: %s", exc)
        return []
    try:
        return observe_opened(gov, catalog, store_urls)
    finally:
        gov.close()


def observe_opened_signed(gov: Governance, catalog: Catalog, store_urls: Sequence[str],
                          key: SigningKey | None) -> list[ObserveResult]:
    """As :func:`governance.journal.observe_opened` (nothing for a read-only store or a snapshot's
    catalog, a problem is one warning), each new observation signed with ``key`` when one is given
    (a key the officer already unlocked: nothing is asked for here). A registry whose state has not
    changed but whose last observation is unsigned is observed again, signed."""
    import sqlalchemy.exc

    from mlops_desktop.core.errors import MlopsError
    from mlops_desktop.governance.journal import observable_stores, observe, observe_opened

    if key is None:
        return observe_opened(gov, catalog, store_urls)
    if gov.read_only or not observable_stores(catalog) or opens_snapshot(store_urls):
        return []
    try:
        return observe(gov, catalog, key=key, sign_unchanged=True)
    except (MlopsError, sqlalchemy.exc.SQLAlchemyError, OSError) as exc:
        logger.warning("Registry observation not recorded: %s", exc)
        return []
