"""Witnesses: cosign the log's checkpoints after checking consistency (c2sp.org/tlog-witness).

A witness is a party other than the log's writers holding an Ed25519 key (``keys create
--witness NAME``). ``audit witness --key KEYFILE``:

1. reads the newest checkpoint and verifies the log's signature on it;
2. finds the last checkpoint this witness cosigned: its own memory (``witness-state.json`` in
   the user config directory, per witness key and log origin) and the cosigned checkpoints
   stored with the log; the larger of the two is where consistency is checked from;
3. proves with an RFC 9162 consistency proof, computed from the stored entries and checked
   against the two roots only, that the new tree extends the old one (a smaller tree, the same
   size with another root, or a failed proof is refused: nothing is cosigned);
4. appends a cosignature/v1 line to the stored note and remembers the new tree head.

A policy may require N cosignatures (``[witnesses] required = N`` with their verifier keys).
The quorum rule ``verify`` and ``audit verify`` enforce (:func:`judge_quorum`): the largest
checkpoint signed by a certified checkpoint key (role ``log``, through this client's anchors)
that carries valid cosignatures of at least N distinct policy witnesses must cover every log
entry the verdict relies on (the decisions judged and every trust statement). A cosignature
of a key the policy does not list is ignored; a policy witness's line that does not verify
(edited, or copied from another checkpoint) is a failure. :func:`witness_problems` names what
one note lacks.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from mlops_desktop.core import paths
from mlops_desktop.core.errors import CheckFailed, StoreError
from mlops_desktop.crypto import checkpoint as cpmod
from mlops_desktop.crypto.merkle import (
    consistency_proof,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
)
from mlops_desktop.governance.audit import checkpoint_public_key
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.keys import WitnessKey
from mlops_desktop.governance.models import SqlCheckpoint, SqlCheckpointKey, SqlLogEntry

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WitnessResult:
    """What one ``audit witness`` run checked and signed."""

    witness: str
    vkey: str
    origin: str
    size: int
    root: str
    previous_size: int | None
    previous_from: str  # "witness memory", "stored cosignature" or "none"
    log_key_id: str
    timestamp: int
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"witness": self.witness, "vkey": self.vkey, "origin": self.origin, "size": self.size,
                "root": self.root, "previous_size": self.previous_size, "previous_from": self.previous_from,
                "log_key_id": self.log_key_id, "timestamp": self.timestamp, "checkpoint": self.note}


def _state_path() -> Any:
    return paths.user_config_dir() / "witness-state.json"


def _read_state() -> dict[str, Any]:
    try:
        data = json.loads(_state_path().read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise StoreError(f"The witness memory {_state_path()} is unreadable ({exc}).",
                         "Restore it from a backup: without it this witness cannot tell a rewritten log.") from exc
    return data if isinstance(data, dict) else {}


def _write_state(state: dict[str, Any]) -> None:
    path = _state_path()
    paths.ensure_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix=".witness-state.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(state, fh, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def remembered(witness: WitnessKey, origin: str) -> dict[str, Any] | None:
    """The tree head (``size``, ``root``, ``log_key_id``) this witness last cosigned for ``origin``."""
    item = _read_state().get(witness.vkey, {}).get(origin)
    return item if isinstance(item, dict) else None


def witness_checkpoint(gov: Governance, witness: WitnessKey, *, now: int | None = None) -> WitnessResult:
    """Check consistency from the last checkpoint ``witness`` cosigned and cosign the newest one.

    Raises :class:`CheckFailed` when the log is not consistent with what the witness saw, and
    :class:`StoreError` when there is nothing to cosign or the store is read-only."""
    if gov.read_only:
        raise StoreError(f"The governance store {gov.url} is read-only; the cosignature cannot be stored.",
                         "Run 'audit witness' against a writable copy of the store.")
    with gov.read_session() as session:
        rows = session.execute(sa.select(SqlCheckpoint).order_by(SqlCheckpoint.size, SqlCheckpoint.id)).scalars().all()
        if not rows:
            raise StoreError("The audit log has no checkpoint yet.", "Export a report or the audit log first.")
        newest = rows[-1]
        cp_id, note, kid = newest.id, newest.note, newest.key_id
        stored = [(r.size, r.root_hash, r.note) for r in rows]
        key_row = session.get(SqlCheckpointKey, kid)
        key_name, key_pem = (key_row.name, key_row.public_pem) if key_row is not None else (None, None)
        raws = session.execute(
            sa.select(SqlLogEntry.entry).where(SqlLogEntry.seq < newest.size).order_by(SqlLogEntry.seq)
        ).scalars().all()
    if key_name is None or key_pem is None:
        raise CheckFailed(f"The newest checkpoint is signed by key {kid}, which the store does not hold.")
    try:
        cp = cpmod.verify_checkpoint(note, key_name, checkpoint_public_key(kid, key_pem))
    except cpmod.CheckpointError as exc:
        raise CheckFailed(f"The newest checkpoint (size {newest.size}) does not verify: {exc}.") from exc
    if cp.origin != gov.origin:
        raise CheckFailed(f"The newest checkpoint is for log {cp.origin}, not this store's log {gov.origin}.")
    leaves = [leaf_hash(bytes(r)) for r in raws]
    if len(leaves) != cp.size:
        raise CheckFailed(f"The checkpoint covers {cp.size} entries but the store holds {len(leaves)} of them.")
    if root_from_leaf_hashes(leaves) != cp.root:
        raise CheckFailed(f"The stored entries do not hash to the checkpoint's root at size {cp.size}.")

    memory = remembered(witness, cp.origin)
    if memory is not None and memory.get("log_key_id") not in (None, kid):
        raise CheckFailed(f"The log {cp.origin} signed with key {memory.get('log_key_id')} when this witness last "
                          f"cosigned it; its newest checkpoint is signed by key {kid}. Not cosigned: confirm the key "
                          "change with the log's administrators first.")
    previous: tuple[int, bytes, str] | None = None
    if memory is not None:
        previous = (int(memory["size"]), bytes.fromhex(str(memory["root"])), "witness memory")
    for size, root_hex, other in stored:
        try:
            cosig = cpmod.verify_cosignature(other, witness.name, witness.public_key)
        except cpmod.CheckpointError:
            cosig = None
        if cosig is not None and (previous is None or size > previous[0]):
            previous = (size, bytes.fromhex(root_hex), "stored cosignature")
    if previous is not None:
        old_size, old_root, _ = previous
        if old_size > cp.size:
            raise CheckFailed(f"This witness cosigned {cp.origin} at size {old_size}; the newest checkpoint has "
                              f"{cp.size} entries: the log was rolled back or an older copy restored. Not cosigned.")
        proof = consistency_proof(leaves, old_size, cp.size)
        if not verify_consistency(old_size, cp.size, old_root, cp.root, proof):
            raise CheckFailed(f"The log {cp.origin} at size {cp.size} is not consistent with the tree this witness "
                              f"cosigned at size {old_size}: it was rewritten. Not cosigned.")
    stamp = int(time.time()) if now is None else now
    new_note = cpmod.add_cosignature(note, witness.name, witness.private_key, stamp)
    with gov.write_session() as session:
        row = session.get(SqlCheckpoint, cp_id)
        if row is None or row.note != note:
            raise StoreError("The checkpoint changed while it was being witnessed.", "Run 'audit witness' again.")
        row.note = new_note
    state = _read_state()
    state.setdefault(witness.vkey, {})[cp.origin] = {
        "size": cp.size, "root": cp.root.hex(), "log_key_id": kid, "time": stamp}
    _write_state(state)
    return WitnessResult(witness.name, witness.vkey, cp.origin, cp.size, cp.root.hex(),
                         previous[0] if previous else None, previous[2] if previous else "none", kid, stamp, new_note)


def witness_problems(note: str | None, vkeys: Sequence[str], required: int) -> list[str]:
    """What ``note`` (the newest checkpoint) lacks against a policy requiring ``required``
    cosignatures from the witnesses ``vkeys``; [] when it is enough or nothing is required."""
    if required <= 0:
        return []
    if note is None:
        return [f"The policy requires {required} witness cosignature(s), but the log has no checkpoint."]
    witnesses = [cpmod.parse_witness_vkey(v) for v in vkeys]
    try:
        cosigs = cpmod.count_cosignatures(note, witnesses)
    except cpmod.CheckpointError as exc:
        return [f"The newest checkpoint carries a witness cosignature that does not verify ({exc})."]
    if len(cosigs) >= required:
        return []
    try:
        size = cpmod.parse_checkpoint(note).size
    except cpmod.CheckpointError:
        size = -1
    have = ", ".join(c.name for c in cosigs) or "none"
    return [f"The newest checkpoint (size {size}) carries {len(cosigs)} of the {required} witness cosignature(s) "
            f"the policy requires (from: {have}). Each witness runs 'mlops-desktop audit witness --key KEYFILE'."]


# ---------------------------------------------------------------------------- the policy's quorum


@dataclass(slots=True)
class WitnessVerdict:
    """The policy's witness quorum judged against the certified checkpoints.

    ``needed_size``: the log entries relied on are those with seq < needed_size;
    ``witnessed_size``: the largest certified checkpoint carrying the quorum (None: none does);
    ``cosigned_by``: the policy witnesses whose cosignature on it verified."""

    required: int
    witnesses: tuple[str, ...]
    needed_size: int
    witnessed_size: int | None
    cosigned_by: tuple[str, ...]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        if self.required <= 0:
            return "not required by the policy"
        if not self.ok:
            return "NOT met: " + " ".join(self.problems)
        if self.witnessed_size is None:
            return (f"{self.required} of {', '.join(self.witnesses)} required; no entry is relied on yet")
        return (f"checkpoint at size {self.witnessed_size} cosigned by {', '.join(self.cosigned_by)} "
                f"({len(self.cosigned_by)} of {self.required} required) covers the {self.needed_size} "
                "entries relied on")

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "required": self.required, "witnesses": list(self.witnesses),
                "relied_on_size": self.needed_size, "witnessed_size": self.witnessed_size,
                "cosigned_by": list(self.cosigned_by), "problems": list(self.problems)}


def certified_notes(gov: Governance, counts: Callable[[str, int], bool], signed: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    """``(size, note)`` of every stored checkpoint whose log signature verifies now, whose
    ``(size, key id)`` the log check found signed (``signed``), and whose key ``counts(kid, size)``
    (certified with role ``log`` through this client's anchors). The note is re-read and
    re-verified here: witnesses add lines to stored notes."""
    wanted = {(size, kid) for size, kid in signed if counts(kid, size)}
    if not wanted:
        return []
    with gov.read_session() as session:
        rows = [(r.size, r.root_hash, r.note, r.key_id) for r in
                session.execute(sa.select(SqlCheckpoint).order_by(SqlCheckpoint.size, SqlCheckpoint.id)).scalars()]
        keys = {k.key_id: (k.name, k.public_pem) for k in session.scalars(sa.select(SqlCheckpointKey))}
    out: list[tuple[int, str]] = []
    for size, root_hex, note, kid in rows:
        if (size, kid) not in wanted or kid not in keys:
            continue
        name, pem = keys[kid]
        try:
            cp = cpmod.verify_checkpoint(note, name, checkpoint_public_key(kid, pem))
        except (cpmod.CheckpointError, StoreError):
            continue  # the log check names a bad signature
        if cp.size == size and cp.root.hex() == root_hex and cp.origin == gov.origin:
            out.append((size, note))
    return out


def _age_text(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def judge_quorum(notes: Sequence[tuple[int, str]], vkeys: Sequence[str], required: int,
                 needed_size: int, *, max_age: int | None = None, now: int | None = None) -> WitnessVerdict:
    """The largest of ``notes`` (certified checkpoints, ``(size, note)``) carrying ``required``
    valid cosignatures of distinct witnesses among ``vkeys`` must have ``size >= needed_size``.
    With ``max_age`` (seconds), a cosignature whose timestamp is older than that before ``now``
    does not count: an older copy of the store restored with its cosigned checkpoint (on a client
    with no memory of the log head) then falls short of the quorum."""
    witnesses: list[tuple[str, Any]] = []
    seen: set[bytes] = set()
    for v in vkeys:
        name, key = cpmod.parse_witness_vkey(v)
        ident = cpmod.ed25519_raw(key)  # one key is one witness, under whatever names it is listed
        if ident not in seen:
            seen.add(ident)
            witnesses.append((name, key))
    names = tuple(n for n, _ in witnesses)
    if required <= 0:
        return WitnessVerdict(0, names, needed_size, None, ())
    problems: list[str] = []
    cosigned: list[tuple[int, tuple[str, ...]]] = []
    current = int(time.time()) if now is None else now
    stale: list[str] = []  # cosignatures too old to count
    for size, note in notes:
        good: list[str] = []
        for name, key in witnesses:
            try:
                cosig = cpmod.verify_cosignature(note, name, key)
            except cpmod.CheckpointError as exc:
                problems.append(f"The checkpoint at size {size} carries a cosignature line of policy witness "
                                f"{name} that does not verify ({exc}): it was edited or copied from another "
                                f"checkpoint. Have {name} run 'mlops-desktop audit witness --key KEYFILE' again.")
                continue
            if cosig is not None and max_age is not None and current - cosig.timestamp > max_age:
                when = datetime.fromtimestamp(cosig.timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                stale.append(f"{name} on size {size} at {when}")
                continue
            if cosig is not None:
                good.append(name)
        cosigned.append((size, tuple(good)))
    quorum = [(size, good) for size, good in cosigned if len(good) >= required]
    best = max(quorum, default=None, key=lambda item: item[0])
    verdict = WitnessVerdict(required, names, needed_size, best[0] if best else None, best[1] if best else ())
    if needed_size <= 0 or (best is not None and best[0] >= needed_size):
        verdict.problems = problems
        return verdict
    if stale and max_age is not None:
        problems.append(f"The policy counts only cosignatures made within max_age = {_age_text(max_age)}; older "
                        f"ones do not count ({'; '.join(stale[-len(names):])}): a store whose cosignatures are "
                        "all old may be an older copy restored. If it is current, each witness runs "
                        "'mlops-desktop audit witness --key KEYFILE' again.")
    covering = [(size, good) for size, good in cosigned if size >= needed_size]
    where = (f"the largest checkpoint with that quorum has size {best[0]}" if best is not None
             else "no checkpoint of the certified checkpoint key carries that quorum")
    head = (f"The policy requires {required} cosignature(s) from its witnesses ({', '.join(names)}) on a checkpoint "
            f"of the certified checkpoint key covering the {needed_size} log entries this verdict relies on "
            f"(entries 0..{needed_size - 1}); {where}.")
    if covering:
        size, on_it = max(covering, key=lambda item: item[0])
        missing = [n for n in names if n not in on_it]
        problems.append(f"{head} The newest certified checkpoint covering them (size {size}) is cosigned by "
                        f"{', '.join(on_it) or 'no policy witness'}; missing: {', '.join(missing)} "
                        f"({required - len(on_it)} more needed). Each missing witness runs "
                        "'mlops-desktop audit witness --key KEYFILE' against this governance store.")
    else:
        problems.append(f"{head} No checkpoint of the certified checkpoint key covers them yet: write one "
                        "('mlops-desktop audit export --out FILE' writes one), then each witness "
                        f"({', '.join(names)}) runs 'mlops-desktop audit witness --key KEYFILE'.")
    verdict.problems = problems
    return verdict
