"""The registry journal: observations of each registry's state and the changes between them.

An *observation* records, per model version, what the registry says about it (stage,
status, run id, a digest of its tags, its dataset digests, creation and last-update times)
and, per model, where each alias points. It is written only when the state differs from
the registry's previous observation (compared by the SHA-256 of the state's sorted-key JSON,
so observing an unchanged registry reads one row and writes nothing), or, asked for with
``sign_unchanged``, once more signed when the previous observation of that same state is unsigned. Rows are stored in
``observations`` (:class:`~mlops_desktop.governance.models.SqlObservation`): a ``full``
state every :data:`FULL_EVERY` observations of a registry, otherwise the ``delta`` from
the previous one, zlib-compressed. Each row is hashed into its own audit-log entry
(``registry.observe``, details ``record_sha256``), which ``audit verify`` reconciles, and is
signed as a DSSE envelope when a key is unlocked.

*Change events* are derived from successive observations: a stage change, an alias set,
moved or removed, a version registered or gone, a status, tag, run or dataset change. Each
carries the tightest window the data allows: the two observations' times, narrowed by the
version's own ``last_updated_time`` (a stage change cannot be later than the version's last
update) or ``creation_time`` (registration); otherwise it says that only the observation
window is known. The registry is keyed by its kind and registry identity (the same for a
byte copy of the store); the metadata stores are only read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mlops_desktop.core.entities import Catalog, RegistryRef, StoreInfo
from mlops_desktop.core.errors import StoreError
from mlops_desktop.core.gc_pause import full_collections_paused
from mlops_desktop.core.progress import checkpoint
from mlops_desktop.crypto.canonical import canonical_json
from mlops_desktop.crypto.dsse import (
    EnvelopeError,
    make_statement,
    parse_statement,
    sign_envelope,
    verify_envelope,
)
from mlops_desktop.crypto.ecdsa import public_pem
from mlops_desktop.governance import audit
from mlops_desktop.governance.actions import ACTION_OBSERVE
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.keys import SigningKey
from mlops_desktop.governance.models import SqlObservation, SqlPublicKey

logger = logging.getLogger(__name__)

#: The in-toto predicate type of a signed observation.
OBSERVATION_PREDICATE = "https://mlops-desktop.dev/registry-observation/v1"
#: A full state is stored every this many observations of a registry (the others are deltas).
FULL_EVERY = 50
#: Store kinds that are not live registries (a snapshot is a copy taken earlier).
_NOT_OBSERVED = frozenset({"snapshot", "monitoring"})

State = dict[str, Any]  # {"models": {name: {"aliases": {alias: version}, "versions": {version: record}}}}


# ---------------------------------------------------------------------------- state


def _millis(value: datetime | None) -> int | None:
    return int(value.timestamp() * 1000) if value is not None else None


def _from_millis(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC) if isinstance(value, int) else None


#: A JSON string literal as ``json.dumps(..., ensure_ascii=False)`` writes it (the C encoder).
_quote = json.encoder.encode_basestring


def tags_digest(tags: Mapping[str, str]) -> str:
    """SHA-256 of the RFC 8785 JSON of a version's tags.

    For string values below U+D800 under ASCII keys, JSON's own string encoder with sorted keys
    and no spaces writes the same bytes as RFC 8785 (the same escapes; ASCII keys sort alike by
    code point and by UTF-16 unit), ten times faster; other tags go through RFC 8785."""
    if all(isinstance(v, str) and k.isascii() and "\ud800" > max(v, default="") for k, v in tags.items()):
        text = "{" + ",".join(f"{_quote(k)}:{_quote(v)}" for k, v in sorted(tags.items())) + "}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    return hashlib.sha256(canonical_json(dict(tags))).hexdigest()


def observable_stores(catalog: Catalog) -> list[StoreInfo]:
    """The stores of ``catalog`` the journal observes: live registries with a registry identity."""
    out: list[StoreInfo] = []
    for s in catalog.stores:
        if s.kind in _NOT_OBSERVED or not s.registry_id or s.url.startswith("snapshot:"):
            continue
        if all(o.registry != s.registry for o in out):
            out.append(s)
    return out


def registry_state(catalog: Catalog, registry: RegistryRef) -> State:
    """The state of every model and version read from the stores of ``registry``."""
    urls = {s.url for s in catalog.stores if s.registry == registry}
    models: dict[str, Any] = {}
    for m in catalog.models:
        checkpoint()
        versions = [v for v in m.versions if v.store in urls]
        if m.store not in urls and not versions:
            continue
        entry = models.setdefault(m.name, {"aliases": {}, "versions": {}})
        aliases: dict[str, str] = entry["aliases"]
        aliases.update({str(a): str(v) for a, v in m.aliases.items()})
        for v in versions:
            for a in v.aliases:
                aliases.setdefault(str(a), v.version)
            record: dict[str, Any] = {
                "stage": v.stage,
                "status": v.status,
                "run_id": v.run_id,
                "tags": tags_digest(v.tags),
                "datasets": sorted({d.digest or d.name for d in v.datasets}),
                "created_at": _millis(v.created_at),
                "updated_at": _millis(v.updated_at),
            }
            if v.deleted:
                record["deleted"] = True
            entry["versions"][v.version] = record
    return {"models": models}


def state_json(obj: Any) -> bytes:
    """Compact UTF-8 JSON with sorted keys: the journal's encoding of a state or delta. States
    hold only strings, integers, null, lists and objects, so this is RFC 8785 except for the
    order of keys outside the Basic Multilingual Plane (code points, not UTF-16 units); it is
    five times faster, which keeps observing an unchanged registry cheap."""
    return b"".join(state_json_chunks(obj))


def _dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _text_chunks(obj: Any, depth: int) -> Iterator[str]:
    """The pieces of :func:`_dumps` of ``obj``: objects down to ``depth`` levels are written key
    by key (in the same sorted order), so no single encoder call covers a whole registry."""
    if depth <= 0 or not isinstance(obj, dict) or not obj or not all(isinstance(k, str) for k in obj):
        yield _dumps(obj)
        return
    sep = "{"
    for key in sorted(obj):
        yield sep + _dumps(key) + ":"
        yield from _text_chunks(obj[key], depth - 1)
        sep = ","
    yield "}"


def state_json_chunks(obj: Any, chunk_bytes: int = 65536) -> Iterator[bytes]:
    """:func:`state_json` of ``obj`` in pieces of about ``chunk_bytes`` (joined: the same bytes).

    A state or delta is encoded one version record at a time; between records other threads
    (the GUI's event loop) get the interpreter, where one ``json.dumps`` of a whole registry
    held it for the length of the call."""
    parts: list[str] = []
    size = 0
    for piece in _text_chunks(obj, 4):  # {"models": {name: {"versions": {version: record}}}}
        parts.append(piece)
        size += len(piece)
        if size >= chunk_bytes:
            yield "".join(parts).encode("utf-8")
            parts, size = [], 0
            checkpoint()
    if parts:
        yield "".join(parts).encode("utf-8")


def state_digest(state: State) -> str:
    """SHA-256 of :func:`state_json` of the whole state (what a signed observation's subject names)."""
    digest = hashlib.sha256()
    for chunk in state_json_chunks(state):
        digest.update(chunk)
    return digest.hexdigest()


def state_delta(old: State, new: State) -> dict[str, Any]:
    """What turns ``old`` into ``new`` (:func:`apply_delta`): changed models only; within a
    model its alias map when it changed and its changed, added (record) or removed (None) versions."""
    out: dict[str, Any] = {}
    old_models, new_models = old.get("models", {}), new.get("models", {})
    for name in old_models.keys() - new_models.keys():
        out[name] = None
    for name, model in new_models.items():
        before = old_models.get(name)
        if before == model:
            continue
        if before is None:
            out[name] = model
            continue
        change: dict[str, Any] = {}
        if before.get("aliases") != model.get("aliases"):
            change["aliases"] = model.get("aliases", {})
        bv, nv = before.get("versions", {}), model.get("versions", {})
        versions: dict[str, Any] = {k: None for k in bv.keys() - nv.keys()}
        versions.update({k: r for k, r in nv.items() if bv.get(k) != r})
        if versions:
            change["versions"] = versions
        out[name] = change
    return {"models": out}


def apply_delta(state: State, delta: Mapping[str, Any]) -> State:
    """``state`` with ``delta`` applied (a new dict; ``state`` is not changed)."""
    models = dict(state.get("models", {}))
    for name, change in delta.get("models", {}).items():
        if change is None:
            models.pop(name, None)
            continue
        before = models.get(name) or {"aliases": {}, "versions": {}}
        model = {"aliases": dict(before.get("aliases", {})), "versions": dict(before.get("versions", {}))}
        if "aliases" in change:
            model["aliases"] = dict(change["aliases"])
        for version, record in change.get("versions", {}).items():
            if record is None:
                model["versions"].pop(version, None)
            else:
                model["versions"][version] = record
        models[name] = model
    return {"models": models}


def _pack(obj: Any, level: int = 6) -> bytes:
    """zlib (``level``) of :func:`state_json` of ``obj``, fed in pieces (the same bytes as
    ``zlib.compress(state_json(obj), level)``; the interpreter is free between pieces)."""
    packer = zlib.compressobj(level)
    out = [packer.compress(chunk) for chunk in state_json_chunks(obj)]
    out.append(packer.flush())
    return b"".join(out)


def _unpack(body: bytes) -> Any:
    try:
        return json.loads(zlib.decompress(bytes(body)))
    except (zlib.error, ValueError) as exc:
        raise StoreError("A stored registry observation cannot be read (its body is damaged).",
                         "Run 'mlops-desktop audit verify' to find the record.") from exc


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Observation:
    """One journal row, without its body."""

    id: int
    registry: RegistryRef
    observed_at: str
    encoding: str
    base_id: int | None
    state_digest: str
    versions: int
    source: str
    log_seq: int
    key_id: str | None = None

    @property
    def time(self) -> datetime:
        return parse_time(self.observed_at)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "registry": self.registry.to_dict(), "observed_at": self.observed_at,
                "state_digest": self.state_digest, "versions": self.versions, "source": self.source,
                "log_seq": self.log_seq, "signed_by": self.key_id}


def _meta(row: Any) -> Observation:
    return Observation(int(row.id), RegistryRef(row.registry_kind, row.registry_id), row.observed_at, row.encoding,
                       row.base_id, row.state_digest, int(row.versions), row.source, int(row.log_seq), row.key_id)


_META_COLUMNS = (SqlObservation.id, SqlObservation.registry_kind, SqlObservation.registry_id,
                 SqlObservation.observed_at, SqlObservation.encoding, SqlObservation.base_id,
                 SqlObservation.state_digest, SqlObservation.versions, SqlObservation.source,
                 SqlObservation.log_seq, SqlObservation.key_id)


def parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _has_journal(session: Session) -> bool:
    """A snapshot taken before the journal existed has no observations table."""
    return sa.inspect(session.connection()).has_table(SqlObservation.__tablename__)


def observations(gov: Governance, registry: RegistryRef | None = None) -> list[Observation]:
    """The journal's observations (of one registry), oldest first."""
    with gov.read_session() as session:
        if not _has_journal(session):
            return []
        # in log order: the log position is reconciled with the audit log, the row id is not
        stmt = sa.select(*_META_COLUMNS).order_by(SqlObservation.log_seq, SqlObservation.id)
        if registry is not None:
            stmt = stmt.where(SqlObservation.registry_kind == registry.kind,
                              SqlObservation.registry_id == registry.id)
        return [_meta(r) for r in session.execute(stmt)]


def registries(gov: Governance) -> list[RegistryRef]:
    """Every registry the journal has observed."""
    with gov.read_session() as session:
        if not _has_journal(session):
            return []
        rows = session.execute(sa.select(SqlObservation.registry_kind, SqlObservation.registry_id).distinct())
        return [RegistryRef(k, i) for k, i in sorted(rows)]


def _last(session: Session, registry: RegistryRef) -> Observation | None:
    row = session.execute(
        sa.select(*_META_COLUMNS).where(SqlObservation.registry_kind == registry.kind,
                                        SqlObservation.registry_id == registry.id)
        .order_by(SqlObservation.log_seq.desc(), SqlObservation.id.desc()).limit(1)
    ).first()
    return _meta(row) if row is not None else None


def _require_reconciled(session: Session) -> None:
    """Refuse to read the journal while one of its rows (an observation, a webhook event) does
    not reconcile with its audit-log entry: a row added or edited by hand would move a change's
    window or the state as of a date."""
    problems = audit.journal_problems(session)
    if problems:
        more = f" ({len(problems) - 1} more)" if len(problems) > 1 else ""
        raise StoreError(f"The registry journal does not match the audit log: {problems[0]}{more}",
                         "Run 'mlops-desktop audit verify' to see every such row; the journal is not read "
                         "until it matches.")


def _reconstruct(session: Session, target: Observation, cache: dict[int, State] | None = None,
                 *, check: bool = True) -> State:
    """The whole state at observation ``target``: its nearest full base, then each delta (with
    ``check``, the result's digest must be the one recorded)."""
    chain: list[int] = []
    cursor: int | None = target.id
    bodies: dict[int, tuple[str, int | None, bytes, str]] = {}
    while cursor is not None and (cache is None or cursor not in cache):
        row = session.execute(
            sa.select(SqlObservation.encoding, SqlObservation.base_id, SqlObservation.body,
                      SqlObservation.state_digest).where(SqlObservation.id == cursor)
        ).first()
        if row is None:
            raise StoreError(f"Registry observation {cursor} is missing from the journal (deleted).",
                             "Run 'mlops-desktop audit verify' to see what else was removed.")
        bodies[cursor] = (row.encoding, row.base_id, bytes(row.body), row.state_digest)
        chain.append(cursor)
        if row.encoding == "full":
            break
        if row.base_id is None or row.base_id >= cursor:
            raise StoreError(f"Registry observation {cursor} names no earlier base (edited by hand).")
        cursor = row.base_id
    state: State = dict(cache[cursor]) if cache is not None and cursor is not None and cursor in cache else {}
    for oid in reversed(chain):
        encoding, _base, body, _digest = bodies[oid]
        data = _unpack(body)
        state = data if encoding == "full" else apply_delta(state, data)
        if cache is not None:
            cache[oid] = state
    if check and state_digest(state) != target.state_digest:
        raise StoreError(f"Registry observation {target.id} does not rebuild the state it records (digest "
                         "mismatch).", "The journal was edited by hand; run 'mlops-desktop audit verify'.")
    return state


def state_of(gov: Governance, obs: Observation) -> State:
    """The whole registry state an observation records."""
    with gov.read_session() as session:
        return _reconstruct(session, obs)


def as_of(gov: Governance, registry: RegistryRef, when: datetime) -> tuple[Observation, State] | None:
    """The last observation of ``registry`` at or before ``when`` and its state (None: none so early)."""
    text = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with gov.read_session() as session:
        if not _has_journal(session):
            return None
        _require_reconciled(session)
        row = session.execute(
            sa.select(*_META_COLUMNS).where(SqlObservation.registry_kind == registry.kind,
                                            SqlObservation.registry_id == registry.id,
                                            SqlObservation.observed_at <= text)
            .order_by(SqlObservation.log_seq.desc(), SqlObservation.id.desc()).limit(1)
        ).first()
        if row is None:
            return None
        obs = _meta(row)
        with _gc_paused():
            return obs, _reconstruct(session, obs)


# ---------------------------------------------------------------------------- observing


@dataclass(frozen=True, slots=True)
class ObserveResult:
    """What observing one registry did."""

    registry: RegistryRef
    source: str
    changed: bool
    observation: Observation | None  # the new one, or the last one when nothing changed
    versions: int
    changes: int = 0  # change events between the previous observation and this one

    @property
    def store_label(self) -> str:
        return self.source

    def to_dict(self) -> dict[str, Any]:
        return {"registry": self.registry.to_dict(), "store": self.source, "changed": self.changed,
                "versions": self.versions, "changes": self.changes,
                "observation": self.observation.to_dict() if self.observation else None}


def _count_versions(state: State) -> int:
    return sum(len(m.get("versions", {})) for m in state.get("models", {}).values())


def observe(gov: Governance, catalog: Catalog, *, key: SigningKey | None = None,
            sign_unchanged: bool = False) -> list[ObserveResult]:
    """Record each live registry of ``catalog`` whose state differs from its last observation.
    With ``key`` and ``sign_unchanged``, an unchanged registry whose last observation is unsigned
    is recorded again, signed (a delta with no change: the same state, attested by the key)."""
    results: list[ObserveResult] = []
    for store in observable_stores(catalog):
        registry = store.registry
        assert registry is not None
        with _gc_paused():
            state = registry_state(catalog, registry)
        results.append(_observe_one(gov, registry, store.url, state, key, sign_unchanged))
    return results


#: (governance store URL, registry) -> (observation id, state digest, :func:`_pack` of the state) of the
#: observation this process recorded last: the next observation's delta needs no rebuilding from the
#: journal when it is still the last. Held packed: a state is a dict per version (35 MB at 50,000
#: versions), its packed JSON a few MB.
_LAST_STATE: dict[tuple[str, RegistryRef], tuple[int, str, bytes]] = {}


#: building or rebuilding a state allocates a dict per version and frees nothing: a full
#: collection pass over a large catalog in the middle of it costs more than the work itself
_gc_paused = full_collections_paused


def opens_snapshot(store_urls: Sequence[str]) -> bool:
    """Whether any of the store URLs given is a snapshot (``snapshot:FILE``, or a file that is one
    by content). A snapshot's catalog names the stores it was taken of: observing it would record
    an earlier state as the registry's state now."""
    from mlops_desktop.governance.store import is_snapshot_file

    return any(u.strip().startswith("snapshot:") or is_snapshot_file(u.strip()) for u in store_urls)


def observe_opened(gov: Governance, catalog: Catalog, store_urls: Sequence[str]) -> list[ObserveResult]:
    """Record the registries of ``catalog`` as they are opened (loaded from ``store_urls``): nothing
    for a read-only store or a catalog read from a snapshot, and never an error: a problem is
    one warning, the caller's work goes on."""
    import sqlalchemy.exc

    from mlops_desktop.core.errors import MlopsError

    if gov.read_only or not observable_stores(catalog) or opens_snapshot(store_urls):
        return []
    try:
        return observe(gov, catalog)
    except (MlopsError, sqlalchemy.exc.SQLAlchemyError, OSError) as exc:
        logger.warning("Registry observation not recorded: %s", exc)
        return []


def _observe_one(gov: Governance, registry: RegistryRef, source: str, state: State,
                 key: SigningKey | None, sign_unchanged: bool = False) -> ObserveResult:
    with _gc_paused():
        digest = state_digest(state)
    count = _count_versions(state)

    def unchanged(last: Observation | None) -> bool:
        """Nothing to record: the same state, and signed already (or not to be signed now)."""
        return last is not None and last.state_digest == digest and (
            key is None or not sign_unchanged or last.key_id is not None)

    with gov.read_session() as session:
        last = _last(session, registry) if _has_journal(session) else None
    if unchanged(last):
        assert last is not None
        return ObserveResult(registry, source, False, last, count)
    gov.require_writable()
    with gov.write_session() as session:
        head = audit.lock_head(session, gov)
        last = _last(session, registry)  # again, under the lock: another client may have just observed
        if unchanged(last):
            assert last is not None
            return ObserveResult(registry, source, False, last, count)
        previous = None
        if last is not None:
            cached = _LAST_STATE.get((gov.url, registry))
            # the state this process recorded last, if it is still the registry's last observation
            previous = _unpack(cached[2]) if cached is not None and cached[:2] == (last.id, last.state_digest) \
                else _reconstruct(session, last)
        since_full = 0
        if last is not None:
            since_full = session.execute(
                sa.select(sa.func.count()).select_from(SqlObservation).where(
                    SqlObservation.registry_kind == registry.kind, SqlObservation.registry_id == registry.id,
                    SqlObservation.id > sa.select(sa.func.max(SqlObservation.id)).where(
                        SqlObservation.registry_kind == registry.kind, SqlObservation.registry_id == registry.id,
                        SqlObservation.encoding == "full").scalar_subquery())
            ).scalar_one()
        full = previous is None or since_full + 1 >= FULL_EVERY
        delta = state_delta(previous, state) if previous is not None else None
        body = _pack(state if full or delta is None else delta)
        when = audit.next_time(session, head)
        row = SqlObservation(registry_kind=registry.kind, registry_id=registry.id, observed_at=when,
                             encoding="full" if full else "delta", base_id=None if full or last is None else last.id,
                             body=body, state_digest=digest, versions=count, source=source, log_seq=head.size)
        if key is not None:
            statement = make_statement(f"registry:{registry.label}", digest, OBSERVATION_PREDICATE, {
                "registry": registry.to_dict(), "observed_at": when, "source": source, "versions": count,
                "previous": last.state_digest if last is not None else None})
            row.envelope = sign_envelope(statement, [key])
            row.key_id = key.key_id
            if session.get(SqlPublicKey, key.key_id) is None:
                session.add(SqlPublicKey(key_id=key.key_id, public_pem=public_pem(key.public_key).decode(),
                                         identity=key.identity, certificate_pem=None, created_at=when))
        entry = audit.append(session, gov, ACTION_OBSERVE, f"registry:{registry.label}", {
            "record_sha256": row.record_sha256(), "state_digest": digest, "versions": count, "source": source,
            "previous": last.log_seq if last is not None else None}, key_id=row.key_id, head=head, time=when)
        row.log_seq = entry.seq
        session.add(row)
        session.flush()
        obs = _meta(row)
        changes = 0
        if previous is not None and last is not None and delta is not None:  # only the models that changed
            names = delta["models"].keys()
            changes = len(diff_states(_only(previous, names), _only(state, names), last, obs, registry))
    _LAST_STATE[(gov.url, registry)] = (obs.id, digest, body if full or delta is None else _pack(state, 1))
    return ObserveResult(registry, source, True, obs, count, changes)


def _only(state: State, names: Iterable[str]) -> State:
    models = state.get("models", {})
    return {"models": {n: models[n] for n in names if n in models}}


def signature_of(gov: Governance, obs: Observation, anchors: Any = None) -> str | None:
    """:func:`signature_and_signer`'s verdict alone."""
    return signature_and_signer(gov, obs, anchors)[0]


def signature_and_signer(gov: Governance, obs: Observation, anchors: Any = None) -> tuple[str | None, str | None]:
    """(verdict, identity the signing key claims). The verdict is ``None`` (unsigned), ``"valid"`` (the envelope verifies with the recorded key, signs this
    record, and the key's chain starts at one of this client's trust anchors), ``"unanchored: ..."``
    (it verifies, but no anchor reaches the key: the full fingerprint and the identity it claims),
    ``"untrusted: <why>"`` (the key was revoked, expired or not yet valid at the observation's log
    position) or ``"invalid: <why>"``. ``anchors``: this client's anchors (default: ``load_anchors()``)."""
    from mlops_desktop.core.governance_facts import STATUS_UNTRUSTED, STATUS_VALID
    from mlops_desktop.governance.anchors import unanchored_message
    from mlops_desktop.governance.trust import load_trust

    with gov.read_session() as session:
        row = session.get(SqlObservation, obs.id)
        if row is None or row.envelope is None:
            return None, None
        envelope, kid = bytes(row.envelope), row.key_id
        recorded = (row.state_digest, row.observed_at, {"kind": row.registry_kind, "id": row.registry_id})
    # the trust list keeps only stored public keys that match their key id (a swapped key is dropped)
    trust = load_trust(gov, anchors=anchors)
    pub = trust.public_keys.get(kid) if kid else None
    if pub is None or kid is None:
        return "invalid: the signing key is not recorded (or its stored public key does not match its key id)", None
    identity = trust.claimed_identity(kid)
    try:
        verified = verify_envelope(envelope, {kid: pub})
        statement = parse_statement(verified.envelope.payload, (OBSERVATION_PREDICATE,))
    except (EnvelopeError, StoreError, ValueError) as exc:
        return f"invalid: {exc}", identity
    pred = statement.predicate
    if verified.key_ids != (kid,) or (statement.digest, pred.get("observed_at"), pred.get("registry")) != recorded:
        return "invalid: the envelope signs another observation", identity
    at = parse_time(obs.observed_at)
    status, detail = trust.status_at(kid, at, None, obs.log_seq)
    if status != STATUS_VALID and (status != STATUS_UNTRUSTED or kid in trust.signers):
        # revoked, expired or not yet valid at the observation's log position (an anchor off the trust list
        # is judged by the anchor alone)
        return f"untrusted: {detail}", identity
    if not trust.anchored(kid, at, obs.log_seq):
        return unanchored_message(kid, identity), identity
    return "valid", identity


# ---------------------------------------------------------------------------- change events


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """One change between two successive observations of a registry."""

    registry: RegistryRef
    model: str
    kind: str  # stage | alias | registered | removed | status | tags | run | datasets
    version: str | None  # the version concerned (for an alias: the version it now points to)
    before: str | None
    after: str | None
    after_time: str  # the change happened after this time ...
    before_time: str  # ... and at or before this one
    observed_after: Observation
    observed_before: Observation
    narrowed_by: str | None = None  # what narrowed the window beyond the two observations
    exact: bool = False

    @property
    def target(self) -> str | None:
        """The stage or alias a version entered with this change (None: not a promotion)."""
        if self.kind == "stage" and self.after:
            return self.after
        if self.kind == "alias" and self.after is not None:
            return self.alias
        return None

    alias: str | None = None

    @property
    def window_text(self) -> str:
        if self.exact:
            return f"at {self.before_time} ({self.narrowed_by})"
        text = f"between {self.after_time} and {self.before_time}"
        if self.narrowed_by:
            return f"{text} (narrowed by {self.narrowed_by})"
        return f"{text} (only the observation window is known)"

    @property
    def text(self) -> str:
        v = f"v{self.version}" if self.version else ""
        if self.kind == "stage":
            frm = self.before or "None"
            return f"{self.model} {v} moved from stage {frm} to {self.after or 'None'} {self.window_text}"
        if self.kind == "alias":
            if self.before is None:
                return f"{self.model}: alias {self.alias} set to v{self.after} {self.window_text}"
            if self.after is None:
                return f"{self.model}: alias {self.alias} removed from v{self.before} {self.window_text}"
            return f"{self.model}: alias {self.alias} moved from v{self.before} to v{self.after} {self.window_text}"
        if self.kind == "registered":
            return f"{self.model} {v} registered {self.window_text}"
        if self.kind == "removed":
            return f"{self.model} {v} no longer in the registry {self.window_text}"
        what = {"status": "status", "tags": "tags", "run": "run id", "datasets": "dataset digests"}[self.kind]
        return f"{self.model} {v} {what} changed from {self.before} to {self.after} {self.window_text}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "registry": self.registry.to_dict(), "model": self.model, "version": self.version, "kind": self.kind,
            "alias": self.alias, "target": self.target, "from": self.before, "to": self.after,
            "window": {"after": self.after_time, "at_or_before": self.before_time, "exact": self.exact,
                       "narrowed_by": self.narrowed_by,
                       "observation_window": [self.observed_after.observed_at, self.observed_before.observed_at]},
            "observations": [self.observed_after.id, self.observed_before.id], "text": self.text,
        }


def _iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def diff_states(old: State, new: State, old_obs: Observation, new_obs: Observation,
                registry: RegistryRef) -> list[ChangeEvent]:
    """The change events between two successive observations' states."""
    events: list[ChangeEvent] = []
    t1, t2 = old_obs.observed_at, new_obs.observed_at
    t1_ms, t2_ms = _millis(old_obs.time) or 0, _millis(new_obs.time) or 0

    def event(model: str, kind: str, version: str | None, before: Any, after: Any, *, alias: str | None = None,
              lower_ms: int | None = None, upper_ms: int | None = None, by: str | None = None,
              exact: bool = False) -> ChangeEvent:
        lo = _iso_ms(lower_ms) if lower_ms is not None and lower_ms > t1_ms else t1
        hi = _iso_ms(upper_ms) if upper_ms is not None and t1_ms <= upper_ms < t2_ms else t2
        narrowed = by if (lo != t1 or hi != t2 or exact) else None
        return ChangeEvent(registry, model, kind, version, None if before is None else str(before),
                           None if after is None else str(after), lo, hi, old_obs, new_obs, narrowed,
                           exact and narrowed is not None, alias)

    om, nm = old.get("models", {}), new.get("models", {})
    for name in sorted(om.keys() | nm.keys()):
        a, b = om.get(name) or {"aliases": {}, "versions": {}}, nm.get(name) or {"aliases": {}, "versions": {}}
        av, bv = a.get("versions", {}), b.get("versions", {})
        for ver in sorted(av.keys() | bv.keys(), key=_version_key):
            r1, r2 = av.get(ver), bv.get(ver)
            if r1 == r2:
                continue
            if r1 is None:
                created = r2.get("created_at")
                events.append(event(name, "registered", ver, None, ver, lower_ms=created, upper_ms=created,
                                    by="the version's creation_time", exact=isinstance(created, int)))
                if r2.get("stage") not in (None, "", "None"):
                    updated = r2.get("updated_at")
                    events.append(event(name, "stage", ver, None, r2.get("stage"), lower_ms=created,
                                        upper_ms=updated, by="the version's creation_time and last_updated_time"))
                continue
            if r2 is None:
                events.append(event(name, "removed", ver, ver, None))
                continue
            updated = r2.get("updated_at")
            prev_updated = r1.get("updated_at")
            narrow = {"lower_ms": prev_updated, "upper_ms": updated, "by": "the version's last_updated_time"} \
                if updated != prev_updated else {}
            if r1.get("stage") != r2.get("stage"):
                events.append(event(name, "stage", ver, r1.get("stage"), r2.get("stage"), **narrow))
            if r1.get("status") != r2.get("status"):
                events.append(event(name, "status", ver, r1.get("status"), r2.get("status"), **narrow))
            if r1.get("tags") != r2.get("tags"):
                events.append(event(name, "tags", ver, str(r1.get("tags"))[:12], str(r2.get("tags"))[:12], **narrow))
            if r1.get("run_id") != r2.get("run_id"):
                events.append(event(name, "run", ver, r1.get("run_id"), r2.get("run_id")))
            if r1.get("datasets") != r2.get("datasets"):
                events.append(event(name, "datasets", ver, ", ".join(r1.get("datasets") or []) or "none",
                                    ", ".join(r2.get("datasets") or []) or "none"))
        aa, ba = a.get("aliases", {}), b.get("aliases", {})
        for alias in sorted(aa.keys() | ba.keys()):
            if aa.get(alias) != ba.get(alias):
                to = ba.get(alias)
                events.append(event(name, "alias", to, aa.get(alias), to, alias=alias))
    return events


def _version_key(v: str) -> tuple[int, str]:
    return (int(v), "") if v.isdigit() else (10**12, v)


def change_events(gov: Governance, registry: RegistryRef, *, model: str | None = None,
                  since: datetime | None = None) -> list[ChangeEvent]:
    """Every change between successive observations of ``registry``, oldest first (of one model;
    those that may have happened after ``since``)."""
    obs = observations(gov, registry)
    events: list[ChangeEvent] = []
    if not obs:
        return events
    cache: dict[int, State] = {}
    with gov.read_session() as session:
        _require_reconciled(session)
        if len(obs) < 2:
            return events
        prev = _reconstruct(session, obs[0], cache, check=False)
        for a, b in zip(obs, obs[1:], strict=False):
            last = b is obs[-1]
            if since is not None and b.time < since:
                prev = _reconstruct(session, b, cache, check=last)
                cache = {b.id: prev}
                continue
            cur = _reconstruct(session, b, cache, check=last)
            cache = {b.id: cur}  # only the newest state is needed to rebuild the next delta
            if model is not None:
                events.extend(diff_states({"models": {model: prev["models"].get(model)}} if model in prev["models"]
                                          else {"models": {}},
                                          {"models": {model: cur["models"].get(model)}} if model in cur["models"]
                                          else {"models": {}}, a, b, registry))
            else:
                events.extend(diff_states(prev, cur, a, b, registry))
            prev = cur
        events = _narrowed_by_webhooks(session, registry, events)
    if since is not None:
        events = [e for e in events if parse_time(e.before_time) >= since]
    return events


#: The webhook events that announce an alias change (``listen``; MLflow 3.3+ has none for stages).
_ALIAS_EVENTS = ("model_version_alias.created", "model_version_alias.deleted")


def _narrowed_by_webhooks(session: Session, registry: RegistryRef, events: list[ChangeEvent]) -> list[ChangeEvent]:
    """Alias changes whose window holds a webhook delivery announcing them (``listen``, recorded
    with this registry's id and the time it arrived): the change happened at or before the last
    such delivery, so the window ends there. A delivery names the alias and, when set, the version
    it now points to; one that names another version is not this change."""
    import dataclasses

    from mlops_desktop.governance.models import SqlWebhookEvent

    if not any(e.kind == "alias" for e in events) or not sa.inspect(session.connection()).has_table(
            SqlWebhookEvent.__tablename__):
        return events
    rows = session.execute(
        sa.select(SqlWebhookEvent.event, SqlWebhookEvent.payload, SqlWebhookEvent.received_at,
                  SqlWebhookEvent.delivery_id)
        .where(SqlWebhookEvent.registry_kind == registry.kind, SqlWebhookEvent.registry_id == registry.id,
               SqlWebhookEvent.event.in_(_ALIAS_EVENTS))
        .order_by(SqlWebhookEvent.received_at)
    ).all()
    announced: dict[tuple[str, str], list[tuple[str, str | None, str, str | None]]] = {}
    for event, payload, received_at, delivery_id in rows:
        try:
            data = json.loads(bytes(payload)).get("data")
        except (ValueError, AttributeError):
            continue
        if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not isinstance(data.get("alias"), str):
            continue
        version = str(data["version"]) if event.endswith(".created") and data.get("version") is not None else None
        announced.setdefault((data["name"], data["alias"]), []).append(
            (event, version, str(received_at), delivery_id))
    out: list[ChangeEvent] = []
    for e in events:
        if e.kind == "alias" and e.alias is not None:
            wanted = "model_version_alias.created" if e.after is not None else "model_version_alias.deleted"
            lo, hi = parse_time(e.after_time), parse_time(e.before_time)
            inside = [(t, d) for ev, v, t, d in announced.get((e.model, e.alias), ())
                      if ev == wanted and (e.after is None or v == e.after) and lo < parse_time(t) <= hi]
            if inside:
                at, delivery = inside[-1]
                e = dataclasses.replace(e, before_time=at, narrowed_by=f"the webhook delivery {delivery or ''} "
                                        f"received at {at}".replace("delivery  ", "delivery "))
        out.append(e)
    return out


def promotions(events: Iterable[ChangeEvent]) -> list[ChangeEvent]:
    """The changes that put a version into a stage or alias."""
    return [e for e in events if e.target is not None and e.version is not None]


@dataclass(slots=True)
class Journal:
    """Everything the journal holds about some registries (for reports and the GUI)."""

    observations: dict[RegistryRef, list[Observation]] = field(default_factory=dict)
    events: list[ChangeEvent] = field(default_factory=list)


def load_journal(gov: Governance, regs: Sequence[RegistryRef] | None = None) -> Journal:
    journal = Journal()
    for reg in regs if regs is not None else registries(gov):
        journal.observations[reg] = observations(gov, reg)
        journal.events.extend(change_events(gov, reg))
    return journal


# ---------------------------------------------------------------------------- promotions judged


def promotion_facts(gov: Governance, catalog: Catalog, verified: Sequence[Any], policy: Any,
                    events: Sequence[ChangeEvent] | None = None) -> list[Any]:
    """Each observed promotion of the catalog's registries with the policy judged on the decisions
    (``VerifiedApproval``) made on that registry and recorded by the end of the change's window."""
    import dataclasses

    from mlops_desktop.core.entities import ModelVersion
    from mlops_desktop.core.governance_facts import STATUS_EXPIRED, STATUS_VALID, PromotionFact
    from mlops_desktop.governance.policy import evaluate_policy

    if events is None:
        events = [e for s in observable_stores(catalog) if s.registry is not None
                  for e in change_events(gov, s.registry)]
    out: list[PromotionFact] = []
    for e in promotions(events):
        assert e.target is not None and e.version is not None
        mv = catalog.find_version_in(e.model, e.version, e.registry) or ModelVersion(e.model, e.version)
        rule = policy.rule_for(e.target)
        scope = "" if rule is None else ("explicit" if any(t.lower() == e.target.lower() for t in policy.targets)
                                         else "defaults")
        mine = [v for v in verified if v.registry == e.registry and v.record.model_name == e.model
                and v.record.version == e.version]

        def judged(at: datetime, mv: Any = mv, mine: list[Any] = mine, target: str = e.target) -> Any:
            decisions = []
            for v in mine:
                d = v.to_decision()
                if d.decided_at <= at:
                    # expired now may have been valid then: the policy's expiry is judged at ``at``
                    decisions.append(dataclasses.replace(d, status=STATUS_VALID) if d.status == STATUS_EXPIRED else d)
            return evaluate_policy(policy, catalog, mv, target, decisions, at)

        end = judged(parse_time(e.before_time))
        start = judged(parse_time(e.after_time))
        by_key = {v.record.key_id: v.record.id for v in mine}
        unmet = "; ".join(f"{r.rule}: {r.explanation}" for r in end.unmet())
        out.append(PromotionFact(e.registry.label, e.model, e.version, e.target, e.text, e.after_time, e.before_time,
                                 scope, end.satisfied, start.satisfied,
                                 tuple(by_key[k] for k in end.counted_key_ids if k in by_key), unmet))
    return out
