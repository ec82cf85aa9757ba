"""Opening an offline snapshot (``.mlsnap``): verified first, then read-only.

The file format is :mod:`mlops_desktop.sources.snapshot_format`. Opening checks the content
against the manifest and the manifest's DSSE signature (with :mod:`mlops_desktop.crypto`,
over the stored statement bytes, with the public key carried in the file). Whom the key
belongs to is not this layer's knowledge: a :data:`SignerResolver` handed in through
:class:`~mlops_desktop.sources.base.SourceSettings` (the governance layer's trust lists)
answers it; without one a valid signature is "untrusted". The file is opened with
``mode=ro`` and ``query_only``: a snapshot is read-only by construction.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops_desktop.core.entities import Catalog, MetricValue, StoreInfo, iso
from mlops_desktop.core.errors import StoreError
from mlops_desktop.core.progress import CancelledFn, ProgressFn, never_cancelled, no_progress
from mlops_desktop.core.timestamps import parse_timestamp
from mlops_desktop.crypto.dsse import EnvelopeError, parse_envelope, verify_envelope
from mlops_desktop.crypto.ecdsa import NotP256KeyError, key_id, public_key_from_pem
from mlops_desktop.sources import sqlite as ro
from mlops_desktop.sources.base import (
    DEFAULT_SETTINGS,
    SignerResolver,
    SignerTrust,
    Source,
    SourceSettings,
    StoreUrl,
)
from mlops_desktop.sources.registry_identity import registry_id
from mlops_desktop.sources.snapshot_format import (
    FORMAT,
    GOVERNANCE_PREFIX,
    MANIFEST_TABLE,
    REGISTRY_TABLES,
    ManifestRow,
    check_content,
    check_sqlite_file,
    parse_manifest_statement,
    read_catalog,
    read_manifest,
)

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------- status

VERIFIED = "verified"
UNTRUSTED = "untrusted"  # signature valid, signer not on a trust list we have
UNSIGNED = "unsigned"
ALTERED = "altered"
UNANCHORED = "unanchored"  # signature valid, but no chain from this client's trust anchors reaches the key


@dataclass(frozen=True, slots=True)
class SnapshotStatus:
    """What opening a snapshot found; ``text`` is what the window title and status bar show."""

    state: str  # verified | untrusted | unsigned | altered
    taken_at: datetime | None = None
    signer: str | None = None  # identity (from the trust list) or None
    key_id: str | None = None
    problems: tuple[str, ...] = ()
    trust_source: str | None = None  # "snapshot trust list", "local trust list"

    @property
    def ok(self) -> bool:
        return self.state == VERIFIED

    @property
    def text(self) -> str:
        when = iso(self.taken_at) or "at an unknown time"
        if self.state == ALTERED:
            return "ALTERED: " + "; ".join(self.problems or ("the snapshot does not match its manifest",))
        if self.state == VERIFIED:
            return f"verified snapshot by {self.signer or _short_key(self.key_id)}, taken {when}"
        if self.state == UNANCHORED and self.problems:
            return self.problems[0]
        if self.state == UNTRUSTED:
            if self.problems and self.problems[0].startswith("NOT the expected signer"):
                return self.problems[0]
            return f"signed snapshot by untrusted key {_short_key(self.key_id)}, taken {when}"
        return f"unsigned snapshot, taken {when}"

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "ok": self.ok,
            "text": self.text,
            "taken_at": iso(self.taken_at),
            "signer": self.signer,
            "key_id": self.key_id,
            "trust_source": self.trust_source,
            "problems": list(self.problems),
        }


def _short_key(key_id: str | None) -> str:
    return (key_id or "?")[:16]


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection (``mode=ro`` and ``query_only``) to a checked snapshot file."""
    check_sqlite_file(path)
    con = ro.connect_readonly(path, "snapshot file")
    try:
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        con.close()
        raise StoreError(f"{path} is not a readable snapshot ({exc}).", "The file may be damaged or truncated.") from exc
    return con


def check_signature(manifest: ManifestRow, path: Path, trust: SignerResolver | None = None) -> SnapshotStatus:
    """Signature and signer of a snapshot manifest (content is checked by the caller)."""
    predicate = manifest.predicate
    claimed = predicate.get("signer") if isinstance(predicate.get("signer"), dict) else None
    if manifest.envelope is None:
        if claimed or manifest.public_key:
            return SnapshotStatus(ALTERED, problems=("the manifest signature was removed",))
        return SnapshotStatus(UNSIGNED)
    if not manifest.public_key:
        return SnapshotStatus(ALTERED, problems=("the signer's public key was removed",))
    try:
        public_key = public_key_from_pem(manifest.public_key.encode("ascii", "replace"))
    except NotP256KeyError:
        return SnapshotStatus(ALTERED, problems=("the signer's public key is not readable",))
    kid = key_id(public_key)
    try:
        env = parse_envelope(manifest.envelope)
    except EnvelopeError as exc:
        return SnapshotStatus(ALTERED, key_id=kid, problems=(f"the manifest signature is malformed ({exc})",))
    if [s.keyid for s in env.signatures] != [kid]:
        return SnapshotStatus(
            ALTERED, key_id=kid,
            problems=("the manifest signature names another key than the one in the snapshot",),
        )
    try:
        verify_envelope(manifest.envelope, {kid: public_key})
    except EnvelopeError:
        return SnapshotStatus(
            ALTERED, key_id=kid, problems=("the manifest signature does not verify (manifest or signature swapped)",)
        )
    if env.payload != manifest.statement:
        return SnapshotStatus(ALTERED, key_id=kid, problems=("the manifest differs from the one that was signed",))
    if claimed is None or claimed.get("key_id") != kid:
        return SnapshotStatus(ALTERED, key_id=kid,
                              problems=("the manifest was re-signed by another key than the one it names",))
    answer = SignerTrust()
    if trust is not None:
        answer = trust(kid, parse_timestamp(predicate.get("created_at")), path, predicate, manifest.statement)
    if answer.trust_source is None:
        claimed_id = claimed.get("identity")
        state = UNANCHORED if (answer.note or "").startswith("unanchored:") else UNTRUSTED
        return SnapshotStatus(state, key_id=kid, signer=claimed_id if isinstance(claimed_id, str) else None,
                              problems=(answer.note,) if answer.note else ())
    return SnapshotStatus(VERIFIED, key_id=kid, signer=answer.identity or kid[:16], trust_source=answer.trust_source)


def verify_file(
    con: sqlite3.Connection,
    path: Path,
    is_cancelled: CancelledFn = never_cancelled,
    trust: SignerResolver | None = None,
) -> tuple[ManifestRow, SnapshotStatus]:
    """Read the manifest, check content and signature; never raises for an altered file."""
    manifest = read_manifest(con, path)
    manifest.predicate = parse_manifest_statement(manifest.statement)
    taken_at = parse_timestamp(manifest.predicate.get("created_at"))
    problems = check_content(con, manifest.statement, manifest.predicate, is_cancelled)
    sig_status = check_signature(manifest, path, trust)
    if problems or sig_status.state == ALTERED:
        sig_problems = sig_status.problems if sig_status.state == ALTERED else ()
        return manifest, SnapshotStatus(
            ALTERED, taken_at, sig_status.signer, sig_status.key_id, (*sig_problems, *problems),
            sig_status.trust_source,
        )
    return manifest, dataclasses.replace(sig_status, taken_at=taken_at)


class UnverifiedSnapshotError(StoreError):
    """A snapshot that is not verified was opened without ``--allow-unverified``. ``status`` is
    what its verification found (the window words its own advice from its state; the hint is
    the command line's)."""

    def __init__(self, message: str, hint: str | None = None, status: SnapshotStatus | None = None) -> None:
        super().__init__(message, hint)
        self.status = status


class SnapshotSource(Source):
    """A ``.mlsnap`` file: verified when opened, read-only, returns the catalog it was taken of."""

    CLAIMS_TABLES = (frozenset({MANIFEST_TABLE}),)

    def __init__(self, url: StoreUrl, settings: SourceSettings = DEFAULT_SETTINGS) -> None:
        super().__init__(url, settings)
        if url.path is None:
            raise StoreError(f"{url.display} is not a snapshot file path.")
        self.path = url.path
        self._registry_id: str | None = None
        self._con = connect_readonly(self.path)
        try:
            self.manifest, self.status = verify_file(self._con, self.path, trust=settings.snapshot_trust)
        except sqlite3.DatabaseError as exc:
            self._con.close()
            raise StoreError(f"{self.path} is not a readable snapshot ({exc}).",
                             "The file may be damaged or truncated.") from exc
        except BaseException:
            self._con.close()
            raise
        if self.status.state != VERIFIED and settings.snapshot_trust is not None:
            if not settings.allow_unverified:
                self._con.close()
                raise UnverifiedSnapshotError(
                    f"Refusing snapshot {self.path}: {self.status.text}.",
                    "Check it with 'mlops-desktop snapshot verify'; to use it anyway pass --allow-unverified "
                    "(every output then says the snapshot is unverified).",
                    self.status,
                )
            line = f"UNVERIFIED snapshot {self.path} used (--allow-unverified): {self.status.text}"
            logger.warning("%s", line)
            if settings.on_unverified is not None:
                settings.on_unverified(line)
        elif self.status.state in (ALTERED, UNTRUSTED, UNANCHORED):
            logger.warning("Snapshot %s: %s", self.path, self.status.text)
        else:
            logger.info("Snapshot %s: %s", self.path, self.status.text)

    @classmethod
    def open(cls, path: Path | str, settings: SourceSettings = DEFAULT_SETTINGS) -> SnapshotSource:
        p = Path(path).expanduser().resolve()
        return cls(StoreUrl("snapshot", f"snapshot:{p}", None, p), settings)

    def __enter__(self) -> SnapshotSource:
        return self

    @property
    def info(self) -> StoreInfo:
        return StoreInfo("snapshot", self.url.display, FORMAT, "sqlite", self.manifest_digest, self.registry_id())

    def registry_id(self) -> str:
        """The snapshot carries the registry id of each store it was taken of (in its stores
        table, covered by the manifest's digests): the one store's id, or for several the
        snapshot rule's id over them; "" when none was recorded (a snapshot made before
        registry ids existed). Decisions bind to each version's own store's registry."""
        if self._registry_id is None:
            stores = self._read(no_progress, never_cancelled, ("mlsnap_stores",)).stores
            refs = sorted({s.registry.label for s in stores if s.registry is not None})
            if len(refs) == 1 and len(stores) == 1:
                self._registry_id = stores[0].registry_id
            else:
                self._registry_id = registry_id("snapshot", {"registries": refs} if refs else None)
        return self._registry_id

    @property
    def manifest_digest(self) -> str:
        return hashlib.sha256(self.manifest.statement).hexdigest()

    @property
    def predicate(self) -> dict[str, Any]:
        return self.manifest.predicate

    @property
    def sources(self) -> list[dict[str, Any]]:
        return list(self.predicate.get("sources", []))

    @property
    def taken_at(self) -> datetime | None:
        return self.status.taken_at

    @property
    def governance_tables(self) -> list[str]:
        return [t for t in self.predicate.get("tables", {}) if t.startswith(GOVERNANCE_PREFIX)]

    def connection(self) -> sqlite3.Connection:
        """The read-only connection (for the governance view of the snapshot)."""
        return self._con

    def load_catalog(
        self,
        progress: ProgressFn = no_progress,
        is_cancelled: CancelledFn = never_cancelled,
        *,
        all_runs: bool = False,
    ) -> Catalog:
        """The catalog as it was taken (``all_runs`` cannot add runs the snapshot does not hold)."""
        return self._read(progress, is_cancelled, None)

    def _read(self, progress: ProgressFn, is_cancelled: CancelledFn, tables: tuple[str, ...] | None) -> Catalog:
        try:
            return read_catalog(self._con, progress, is_cancelled, tables=tables)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: the snapshot cannot be read ({exc}).",
                             "The file may be damaged or truncated.") from exc
        except (ValueError, TypeError, KeyError) as exc:
            raise StoreError(f"{self.path}: a snapshot row cannot be decoded ({exc}).",
                             "The snapshot is damaged or altered.") from exc

    def load_registry(
        self, progress: ProgressFn = no_progress, is_cancelled: CancelledFn = never_cancelled
    ) -> Catalog:
        """Stores, models and versions only: everything the inventory shows, in a fraction of
        the time of :meth:`load_catalog` (runs, datasets and lineage follow with that call)."""
        return self._read(progress, is_cancelled, REGISTRY_TABLES)

    def metric_history(self, run_id: str, key: str) -> list[MetricValue]:
        """A snapshot keeps each run's latest metric values, not their histories."""
        return []

    def metric_keys(self, run_id: str) -> list[str]:
        return []

    def first_models(self, limit: int = 100) -> list[tuple[str, int]]:
        """Names and version counts of the first models."""
        names = self._con.execute(
            'SELECT "_pos", name FROM mlsnap_models ORDER BY "_pos" LIMIT ?', (limit,)
        ).fetchall()
        counts = dict(self._con.execute(
            'SELECT "_model_pos", count(*) FROM mlsnap_versions WHERE "_model_pos" < ? GROUP BY "_model_pos"',
            (limit,),
        ).fetchall())
        return [(name, int(counts.get(pos, 0))) for pos, name in names]

    def close(self) -> None:
        self._con.close()
