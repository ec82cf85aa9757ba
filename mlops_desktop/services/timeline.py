"""A model's history as the History tab draws it: who held each stage and alias, and when.

Built from the registry journal (:mod:`mlops_desktop.governance.journal`): the state of the
first observation that holds the model, then each change event between successive
observations. Every boundary keeps the window the journal allows (a version entered a stage
after one time and at or before another), so the chart can show what is known exactly and
what only lies somewhere in a window. Decisions come from the governance status the Models
page already verified.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)
from mlops_desktop.services.session import gov_session

if TYPE_CHECKING:
    from mlops_desktop.core.entities import Catalog, RegistryRef
    from mlops_desktop.governance.journal import ChangeEvent, Observation, State
    from mlops_desktop.services.governance_status import GovernanceStatus

#: Stage values that mean "in no stage".
_NO_STAGE = (None, "", "None")
STAGE = "stage"
ALIAS = "alias"


@dataclass(frozen=True, slots=True)
class Segment:
    """One version holding one stage or alias for a while.

    It entered after ``start_after`` (None: unknown, before the journal began) and at or
    before ``start_by``; it left after ``end_after`` and at or before ``end_by`` (None: it
    still held it at the last observation, ``end_after``)."""

    registry: str  # registry label
    kind: str  # stage | alias
    target: str
    version: str
    start_after: datetime | None
    start_by: datetime
    end_after: datetime
    end_by: datetime | None

    @property
    def still_held(self) -> bool:
        return self.end_by is None

    def describe(self) -> str:
        start = (f"entered between {_text(self.start_after)} and {_text(self.start_by)}" if self.start_after
                 else f"held when first observed ({_text(self.start_by)})")
        end = (f"still held at the last observation ({_text(self.end_after)})" if self.end_by is None
               else f"left between {_text(self.end_after)} and {_text(self.end_by)}")
        return f"v{self.version} {self.kind} {self.target}: {start}; {end}"


@dataclass(frozen=True, slots=True)
class DecisionMark:
    """A signed decision on one of the model's versions, at its audit-log time."""

    time: datetime
    version: str
    target: str
    decision: str  # APPROVED | REJECTED
    signer: str
    status: str  # valid, expired, unanchored, ...

    def describe(self) -> str:
        return (f"{self.decision.lower()} v{self.version} for {self.target} by {self.signer} at {_text(self.time)} "
                f"({self.status})")


@dataclass(slots=True)
class ModelHistory:
    """What the journal holds about one model, for the chart and the list of changes."""

    model: str
    events: list[ChangeEvent] = field(default_factory=list)  # oldest first
    segments: list[Segment] = field(default_factory=list)
    observations: dict[str, list[Observation]] = field(default_factory=dict)  # registry label -> oldest first
    #: why there is nothing to show ("" when the journal holds the model)
    empty_reason: str = ""

    @property
    def first_observed(self) -> datetime | None:
        times = [obs[0].time for obs in self.observations.values() if obs]
        return min(times) if times else None

    @property
    def last_observed(self) -> datetime | None:
        times = [obs[-1].time for obs in self.observations.values() if obs]
        return max(times) if times else None

    def lanes(self) -> list[tuple[str, str, str]]:
        """``(registry, kind, target)`` of every band: stages first, then aliases, by name."""
        seen = {(s.registry, s.kind, s.target) for s in self.segments}
        return sorted(seen, key=lambda lane: (lane[1] != STAGE, lane[2].casefold(), lane[0]))

    def for_version(self, version: str) -> ModelHistory:
        """Only what concerns ``version``: its segments and the changes to it (an alias moved
        onto it or away from it)."""
        return ModelHistory(
            self.model,
            [e for e in self.events if e.version == version or (e.kind == ALIAS and e.before == version)],
            [s for s in self.segments if s.version == version],
            self.observations, self.empty_reason)


def _text(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else "unknown"


def _held(state: State, model: str) -> tuple[dict[str, str], dict[str, str], dict[str, int | None]]:
    """``(stages, aliases, created)``: version -> stage, alias -> version, version -> creation ms."""
    entry = state.get("models", {}).get(model) or {}
    versions = {v: rec for v, rec in (entry.get("versions") or {}).items() if not rec.get("deleted")}
    stages = {v: str(rec["stage"]) for v, rec in versions.items() if rec.get("stage") not in _NO_STAGE}
    aliases = {str(a): str(v) for a, v in (entry.get("aliases") or {}).items() if v in versions}
    created = {v: rec.get("created_at") for v, rec in versions.items()}
    return stages, aliases, created


def segments_from(registry: str, model: str, first: Observation, first_state: State, last: Observation,
                  events: Iterable[ChangeEvent]) -> list[Segment]:
    """Who held each stage and alias of ``model``, from the first observation's state and the
    change events after it (oldest first)."""
    from mlops_desktop.governance.journal import _from_millis, parse_time

    stages, aliases, created = _held(first_state, model)
    # open segments: (kind, target, version) -> (start_after, start_by)
    open_: dict[tuple[str, str, str], tuple[datetime | None, datetime]] = {}
    for version, stage in stages.items():
        open_[(STAGE, stage, version)] = (_from_millis(created.get(version)), first.time)
    for alias, version in aliases.items():
        open_[(ALIAS, alias, version)] = (_from_millis(created.get(version)), first.time)
    out: list[Segment] = []

    def close(key: tuple[str, str, str], after: datetime, by: datetime) -> None:
        start = open_.pop(key, None)
        if start is not None:
            out.append(Segment(registry, key[0], key[1], key[2], start[0], start[1], after, by))

    for e in events:
        if e.model != model:
            continue
        after, by = parse_time(e.after_time), parse_time(e.before_time)
        if e.kind == STAGE and e.version is not None:
            if e.before not in _NO_STAGE:
                close((STAGE, str(e.before), e.version), after, by)
            if e.after not in _NO_STAGE:
                open_[(STAGE, str(e.after), e.version)] = (after, by)
        elif e.kind == ALIAS and e.alias is not None:
            if e.before is not None:
                close((ALIAS, e.alias, e.before), after, by)
            if e.after is not None:
                open_[(ALIAS, e.alias, e.after)] = (after, by)
        elif e.kind == "removed" and e.version is not None:
            for key in [k for k in open_ if k[2] == e.version]:
                close(key, after, by)
    for (kind, target, version), (start_after, start_by) in open_.items():
        out.append(Segment(registry, kind, target, version, start_after, start_by, last.time, None))
    out.sort(key=lambda s: (s.kind != STAGE, s.target.casefold(), s.start_by, s.version))
    return out


def history_from(gov_observations: dict[RegistryRef, list[Observation]],
                 firsts: dict[RegistryRef, tuple[Observation, State]],
                 events: dict[RegistryRef, list[ChangeEvent]], model: str) -> ModelHistory:
    """Assemble a :class:`ModelHistory` from what the journal returned per registry:
    its observations, the first one holding ``model`` with its state, its change events."""
    out = ModelHistory(model)
    for reg, obs in gov_observations.items():
        out.observations[reg.label] = obs
        if not obs or reg not in firsts:
            continue
        first, state = firsts[reg]
        out.segments.extend(segments_from(reg.label, model, first, state, obs[-1], events.get(reg, [])))
        out.events.extend(events.get(reg, []))
    out.events.sort(key=lambda e: (e.before_time, e.version or "", e.kind))
    if not any(out.observations.values()):
        out.empty_reason = ("The journal holds no observation of this registry yet. It starts when the registry "
                            "is observed: 'mlops-desktop observe --store URL'.")
    elif not out.segments and not out.events:
        out.empty_reason = "The journal records no stage, alias or other change of this model."
    return out


def model_history_job(url: str | None, catalog: Catalog, model: str, *, progress: ProgressFn = no_progress,
                      is_cancelled: CancelledFn = never_cancelled) -> ModelHistory:
    """The History tab's worker: read the journal of the registries holding ``model`` (only
    reads; no governance store is created for it)."""
    from mlops_desktop.governance.journal import (
        _reconstruct,
        change_events,
        observable_stores,
        observations,
    )

    stores = [s for s in observable_stores(catalog) if s.registry is not None]
    m = catalog.model(model)
    if m is not None:
        urls = {m.store, *(v.store for v in m.versions)}
        stores = [s for s in stores if s.url in urls] or stores
    if not stores:
        return ModelHistory(model, empty_reason="None of the open stores is a live registry the journal observes "
                                                "(a snapshot is a copy taken earlier).")
    with ExitStack() as stack:
        try:
            gov = stack.enter_context(gov_session(url, create=False))
        except MlopsError as exc:
            return ModelHistory(model, empty_reason=f"No journal to read: {exc.message}")
        obs_by: dict[RegistryRef, list[Observation]] = {}
        firsts: dict[RegistryRef, tuple[Observation, State]] = {}
        events: dict[RegistryRef, list[ChangeEvent]] = {}
        for i, store in enumerate(stores):
            reg = store.registry
            assert reg is not None
            check_cancelled(is_cancelled)
            progress(i, len(stores), f"Reading the journal of {reg.label}")
            obs = observations(gov, reg)
            obs_by[reg] = obs
            if not obs:
                continue
            with gov.read_session() as s:
                # the first observation that holds the model (it may be registered later)
                cache: dict[int, State] = {}
                for ob in obs:
                    check_cancelled(is_cancelled)
                    state = _reconstruct(s, ob, cache, check=False)
                    cache = {ob.id: state}
                    if model in state.get("models", {}):
                        firsts[reg] = (ob, state)
                        break
            try:
                events[reg] = change_events(gov, reg, model=model)
            except MlopsError as exc:  # a journal row that does not reconcile with the audit log: say so
                return ModelHistory(model, empty_reason=exc.message + (f" {exc.hint}" if exc.hint else ""))
        progress(len(stores), len(stores), "History ready")
        return history_from(obs_by, firsts, events, model)


def decision_marks(status: GovernanceStatus | None, model: str, versions: Iterable[str]) -> list[DecisionMark]:
    """Every decision on the ``versions`` of ``model`` in ``status`` (made on their registry), oldest first."""
    from mlops_desktop.governance.journal import parse_time

    if status is None:
        return []
    out: list[DecisionMark] = []
    for version in versions:
        vg = status.of(model, version)
        if vg is None:
            continue
        for v in vg.decisions:
            when = v.decided_at or parse_time(v.record.created_at)
            out.append(DecisionMark(when, version, v.target or v.record.target, v.decision or v.record.decision,
                                    v.identity or v.record.key_id[:16], v.status))
    out.sort(key=lambda d: (d.time, d.version, d.target))
    return out


# ---------------------------------------------------------------------------- as of


@dataclass(frozen=True, slots=True)
class AsOfVersion:
    """One version as the journal recorded it at the chosen time."""

    model: str
    version: str
    stage: str | None
    aliases: tuple[str, ...]
    status: str | None
    run_id: str | None
    created_at: str | None
    last_updated_at: str | None


@dataclass(frozen=True, slots=True)
class AsOfBasis:
    """The observation the state of one store rests on."""

    store_url: str
    registry: str  # registry label
    observation_id: int
    observed_at: str
    signed_by: str | None
    #: "valid" (the envelope verifies with the recorded key and the key is anchored), "unanchored:
    #: ..." (it verifies, no anchor of this client reaches the key), "invalid: why", or None when
    #: unsigned (as ``inventory --as-of`` says it)
    signature: str | None = None
    signer_identity: str | None = None

    @property
    def signature_words(self) -> str:
        if self.signature is None:
            return "unsigned"
        if self.signature == "valid":
            who = f" of {self.signer_identity}" if self.signer_identity else ""
            return (f"signed by key {(self.signed_by or '')[:16]}…, the signature verifies; the key{who} "
                    "is anchored by this client's trust anchors")
        if self.signature.startswith("unanchored"):
            return (f"signed by key {self.signed_by} claiming {self.signer_identity or '(no identity)'}: "
                    "NOT anchored by any trust anchor of this client, so not verified")
        if self.signature.startswith("untrusted"):
            return (f"signed by key {self.signed_by}, which was NOT trusted then "
                    f"({self.signature.removeprefix('untrusted').lstrip(': ')})")
        return f"signature INVALID: {self.signature.removeprefix('invalid').lstrip(': ')}"


@dataclass(slots=True)
class AsOfState:
    """``inventory --as-of``'s answer for the Models page (or why there is none)."""

    when: datetime
    versions: list[AsOfVersion] = field(default_factory=list)
    basis: list[AsOfBasis] = field(default_factory=list)
    models: int = 0
    empty_reason: str = ""


def as_of_job(url: str | None, catalog: Catalog, when: datetime, *, progress: ProgressFn = no_progress,
              is_cancelled: CancelledFn = never_cancelled) -> AsOfState:
    """The registry state at ``when`` rebuilt from the journal, exactly as ``inventory --as-of``
    gives it (:func:`mlops_desktop.services.history.inventory_as_of`), without recording an
    observation and without creating a governance store."""
    from mlops_desktop.services.history import inventory_as_of

    out = AsOfState(when)
    progress(0, 1, "Rebuilding the registry state from the journal")
    try:
        with gov_session(url, create=False):
            pass
    except MlopsError as exc:
        out.empty_reason = (f"There is no registry journal to read: {exc.message.rstrip('.')}. The journal starts "
                            "when a registry is observed: 'mlops-desktop observe --store URL'.")
        return out
    check_cancelled(is_cancelled)
    try:
        result = inventory_as_of(url, catalog, when, record=False)
    except MlopsError as exc:
        out.empty_reason = exc.message + (f" {exc.hint}" if exc.hint else "")
        return out
    for store in result["stores"]:
        ob = store["observation"]
        out.basis.append(AsOfBasis(store["url"], f"{store['registry']['kind']}:{store['registry']['id']}",
                                   int(ob["id"]), ob["observed_at"], ob.get("signed_by"), store.get("signature"),
                                   store.get("signer_identity")))
    for model in result["models"]:
        out.models += 1
        for v in model["versions"]:
            out.versions.append(AsOfVersion(model["name"], v["version"], v["stage"], tuple(v["aliases"]), v["status"],
                                            v["run_id"], v["created_at"], v["last_updated_at"]))
    progress(1, 1, "State rebuilt")
    return out
