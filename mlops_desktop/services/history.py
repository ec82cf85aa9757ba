"""The registry journal as ``observe``, ``history``, ``inventory --as-of`` and the History tab use it.

Observing reads the registries already loaded (read-only toward the metadata stores) and
writes to the governance store only when a registry's state changed. Opening a registry
records an observation only when a governance store is configured: none is created for it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.errors import UsageError
from mlops_desktop.services.session import UnlockFn, gov_session, opens_snapshot

if TYPE_CHECKING:
    from mlops_desktop.core.entities import Catalog
    from mlops_desktop.governance.db import Governance
    from mlops_desktop.governance.journal import ChangeEvent, Observation, ObserveResult

logger = logging.getLogger(__name__)


def observe_stores(url: str | None, catalog: Catalog, unlock: UnlockFn | None = None, *,
                   store_urls: Sequence[str] = ()) -> list[ObserveResult]:
    """``observe``: record each registry of ``catalog`` whose state changed (signed with the key
    ``unlock`` returns, when given). ``store_urls``: the URLs it was loaded from (a snapshot is refused)."""
    from mlops_desktop.governance.journal import observable_stores, observe

    if opens_snapshot(store_urls):
        raise UsageError("A snapshot is a copy taken earlier: observing it would record an old state as the "
                         "registry's state now.", "Observe the metadata store itself.")
    if not observable_stores(catalog):
        raise UsageError("None of the stores given is a live registry with a registry identity to observe.",
                         "Pass the metadata store itself (a snapshot is a copy taken earlier).")
    with gov_session(url) as gov:
        gov.require_writable()
        key = unlock() if unlock is not None else None
        return observe(gov, catalog, key=key)


def observe_quietly(gov: Governance, catalog: Catalog, store_urls: Sequence[str] = ()) -> list[ObserveResult]:
    """Record an observation as a registry is opened; a read-only store, or a catalog loaded from
    a snapshot (one of ``store_urls``), records nothing; a problem is a warning."""
    from mlops_desktop.governance.journal import observe_opened

    return observe_opened(gov, catalog, store_urls)


@dataclass
class History:
    """``history``: each registry's observations and the changes between them."""

    observations: dict[str, list[Observation]] = field(default_factory=dict)  # registry label -> oldest first
    events: list[ChangeEvent] = field(default_factory=list)
    recorded: list[ObserveResult] = field(default_factory=list)  # what opening the stores recorded

    def to_dict(self) -> dict[str, Any]:
        return {
            "registries": [{"registry": obs[0].registry.to_dict(), "observations": len(obs),
                            "first": obs[0].observed_at, "last": obs[-1].observed_at}
                           for obs in self.observations.values() if obs],
            "changes": [e.to_dict() for e in self.events],
        }


def load_history(url: str | None, catalog: Catalog, *, model: str | None = None,
                 since: datetime | None = None, record: bool = True, store_urls: Sequence[str] = ()) -> History:
    """The changes the journal holds for the registries of ``catalog`` (after recording an
    observation of them when ``record`` and the store is writable)."""
    from mlops_desktop.governance.journal import change_events, observable_stores, observations

    out = History()
    with gov_session(url) as gov:
        if record:
            out.recorded = observe_quietly(gov, catalog, store_urls)
        for store in observable_stores(catalog):
            reg = store.registry
            assert reg is not None
            out.observations[reg.label] = observations(gov, reg)
            out.events.extend(change_events(gov, reg, model=model, since=since))
    out.events.sort(key=lambda e: (e.before_time, e.model, e.version or ""))
    return out


def inventory_as_of(url: str | None, catalog: Catalog, when: datetime, *, record: bool = True,
                    store_urls: Sequence[str] = ()) -> dict[str, Any]:
    """The inventory as the journal recorded it at ``when``: per registry, the observation it
    rests on, and each model's aliases and versions as observed then."""
    from mlops_desktop.governance.journal import (
        as_of,
        observable_stores,
        observations,
        signature_and_signer,
    )

    stores = observable_stores(catalog)
    if not stores:
        raise UsageError("None of the stores given is a live registry the journal observes.",
                         "Pass the metadata store itself.")
    result: dict[str, Any] = {"as_of": when.isoformat().replace("+00:00", "Z"), "stores": [], "models": []}
    with gov_session(url) as gov:
        if record:
            observe_quietly(gov, catalog, store_urls)
        for store in stores:
            reg = store.registry
            assert reg is not None
            found = as_of(gov, reg, when)
            if found is None:
                obs = observations(gov, reg)
                first = f"its first observation is at {obs[0].observed_at}" if obs else "it was never observed"
                raise UsageError(f"The journal holds no observation of {store.url} at or before {result['as_of']} "
                                 f"({first}).", "Run 'mlops-desktop observe --store URL' to start its journal.")
            ob, state = found
            # "valid": the envelope verifies with the recorded key, signs this observation, and the key's
            # chain starts at one of this client's anchors; "unanchored: ...": it verifies but no anchor
            # reaches the key; None: unsigned; "invalid: ...": why not
            verdict, identity = signature_and_signer(gov, ob)
            result["stores"].append({"kind": store.kind, "url": store.url, "registry": reg.to_dict(),
                                     "observation": ob.to_dict(), "signature": verdict,
                                     "signer_identity": identity})
            for name, model in sorted(state.get("models", {}).items()):
                aliases = model.get("aliases", {})
                result["models"].append({
                    "name": name, "registry": reg.to_dict(), "aliases": dict(sorted(aliases.items())),
                    "versions": [_version_as_of(ver, rec, aliases)
                                 for ver, rec in sorted(model.get("versions", {}).items(), key=lambda kv: _vkey(kv[0]))
                                 if not rec.get("deleted")],
                })
    return result


def _vkey(v: str) -> tuple[int, str]:
    return (int(v), "") if v.isdigit() else (10**12, v)


def _version_as_of(version: str, rec: dict[str, Any], aliases: dict[str, str]) -> dict[str, Any]:
    from mlops_desktop.core.entities import iso
    from mlops_desktop.governance.journal import _from_millis

    return {"version": version, "stage": rec.get("stage"),
            "aliases": sorted(a for a, v in aliases.items() if v == version), "status": rec.get("status"),
            "run_id": rec.get("run_id"), "tags_sha256": rec.get("tags"), "dataset_digests": list(rec.get("datasets", [])),
            "created_at": iso(_from_millis(rec.get("created_at"))),
            "last_updated_at": iso(_from_millis(rec.get("updated_at")))}
