"""Trust anchors: the keys this client (the verifier) holds as its roots of trust.

What is trusted is decided by the verifier, never by the thing verified: a governance store or
a snapshot may carry any trust list, but a verdict is "verified" only when a chain of
signatures starts at one of these keys (anchor -> admin pin or trust statements -> signer).

The anchors of a client are the union of:

- the anchors file in the user config directory (``trust anchor add|remove|list``);
- :data:`ANCHORS_ENV` (``MLOPS_DESKTOP_TRUST_ANCHORS``), ``;``-separated KEYID or PUBFILE entries;
- ``extra`` entries (``--trust-anchor PUBFILE|KEYID``, repeatable, on every verifying command);
- the keys of this client's own key index (``keys create``, ``keys import-pkcs12``);
- the administrator keys this client pinned with ``trust init`` (recorded in the anchors file).

A KEYID is the full fingerprint: 64 lowercase hex digits, the SHA-256 of the key's DER
SubjectPublicKeyInfo (never a prefix: a prefix is not an anchor).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlops_desktop.core import paths
from mlops_desktop.core.errors import MlopsError, UsageError
from mlops_desktop.crypto.ecdsa import key_id, public_pem

logger = logging.getLogger(__name__)

ANCHORS_ENV = "MLOPS_DESKTOP_TRUST_ANCHORS"
ANCHORS_FORMAT = "mlops-desktop-trust-anchors/v1"
KEY_ID_RE = re.compile(r"^[0-9a-f]{64}$")

SOURCE_FILE = "anchors file"
SOURCE_PINNED = "pinned with trust init"
SOURCE_ENV = ANCHORS_ENV
SOURCE_OPTION = "--trust-anchor"
SOURCE_OWN_KEY = "own key"


class AnchorError(UsageError):
    """A trust anchor that cannot be read (bad KEYID, unreadable PUBFILE, damaged anchors file)."""


@dataclass(frozen=True, slots=True)
class Anchor:
    """One trust anchor: a key id, where it comes from, and what is known about its holder."""

    key_id: str
    source: str
    identity: str | None = None
    note: str | None = None
    public_pem: str | None = None
    added_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "source": self.source, "identity": self.identity, "note": self.note,
                "added_at": self.added_at}

    def label(self) -> str:
        """``identity key <fingerprint>`` (or the fingerprint alone)."""
        return f"{self.identity} key {self.key_id}" if self.identity else f"key {self.key_id}"


@dataclass(frozen=True, slots=True)
class TrustAnchors:
    """The anchors one verification runs with (the union of every source, first source wins)."""

    anchors: tuple[Anchor, ...] = ()

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(sorted({a.key_id for a in self.anchors}))

    def contains(self, kid: str | None) -> bool:
        return kid is not None and any(a.key_id == kid for a in self.anchors)

    def get(self, kid: str) -> Anchor | None:
        return next((a for a in self.anchors if a.key_id == kid), None)

    def identity(self, kid: str) -> str | None:
        for a in self.anchors:
            if a.key_id == kid and a.identity:
                return a.identity
        return None

    def __bool__(self) -> bool:
        return bool(self.anchors)

    def __len__(self) -> int:
        return len(self.key_ids)

    def describe(self) -> str:
        """One line naming every anchor with its full fingerprint and source."""
        if not self.anchors:
            return ("This client holds no trust anchors (add one with 'trust anchor add PUBFILE|KEYID', "
                    f"--trust-anchor or {ANCHORS_ENV}).")
        parts = []
        for kid in self.key_ids:
            sources = sorted({a.source for a in self.anchors if a.key_id == kid})
            who = self.identity(kid)
            parts.append(f"{who + ' ' if who else ''}key {kid} ({', '.join(sources)})")
        n = len(parts)
        return f"{n} trust anchor{'s' if n != 1 else ''}: " + "; ".join(parts) + "."


def unanchored_message(kid: str, claimed_identity: str | None) -> str:
    """The verdict for a signature whose chain reaches no anchor of this client."""
    return (f"unanchored: signed by key {kid} claiming {claimed_identity or '(no identity)'}; "
            "compare the fingerprint with the signer's, then run 'trust anchor add'")


# ---------------------------------------------------------------------------- parsing references


def anchors_path() -> Path:
    """The anchors file (``~/.config/mlops-desktop/trust-anchors.json`` on Linux)."""
    return paths.user_config_dir() / "trust-anchors.json"


def parse_anchor_ref(text: str, source: str, note: str | None = None) -> Anchor:
    """A KEYID (64 hex digits) or a PUBFILE (PEM public key, ``keys create``'s KEYFILE.pub)."""
    from mlops_desktop.governance.keys import load_public_key, public_key_identity

    ref = text.strip()
    where = f" (from {source})" if source in (SOURCE_ENV, SOURCE_OPTION) else ""
    if not ref:
        raise AnchorError(f"An empty trust anchor was given{where}.", "Give a full key id or a public key file.")
    if KEY_ID_RE.match(ref.lower()) and not Path(ref).expanduser().exists():
        return Anchor(ref.lower(), source, None, note)
    path = Path(ref).expanduser()
    if not path.exists():
        if re.fullmatch(r"[0-9a-fA-F]{8,63}", ref):
            raise AnchorError(f"Trust anchor {ref!r}{where} is a shortened key id.",
                              "Give the full 64-digit fingerprint: a prefix is not an anchor.")
        raise AnchorError(f"Trust anchor {ref!r}{where} is neither a key id (64 hex digits) nor an existing "
                          "public key file.", "Give the full fingerprint or the path of KEYFILE.pub.")
    try:
        pub = load_public_key(path)
    except MlopsError as exc:
        raise AnchorError(f"Trust anchor {ref!r}{where}: {exc.message}", exc.hint) from exc
    return Anchor(key_id(pub), source, public_key_identity(path), note, public_pem(pub).decode("ascii"))


# ---------------------------------------------------------------------------- the anchors file


def _read_file() -> list[Anchor]:
    path = anchors_path()
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise AnchorError(f"The trust anchors file {path} is unreadable ({exc}).",
                          "Fix it or move it away and add the anchors again with 'trust anchor add'.") from exc
    items = data.get("anchors") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise AnchorError(f"The trust anchors file {path} is not a trust anchors file.",
                          "Move it away and add the anchors again with 'trust anchor add'.")
    out = []
    for item in items:
        kid = str(item.get("key_id", "")).lower() if isinstance(item, dict) else ""
        if not KEY_ID_RE.match(kid):
            raise AnchorError(f"The trust anchors file {path} holds a bad key id {kid!r}.",
                              "Remove that entry (or the file) and add the anchor again.")
        out.append(Anchor(kid, str(item.get("source") or SOURCE_FILE), item.get("identity"), item.get("note"),
                          item.get("public_pem"), item.get("added_at")))
    return out


def _write_file(anchors: Sequence[Anchor]) -> None:
    path = anchors_path()
    data = {"format": ANCHORS_FORMAT, "anchors": [
        {"key_id": a.key_id, "source": a.source, "identity": a.identity, "note": a.note,
         "public_pem": a.public_pem, "added_at": a.added_at} for a in anchors]}
    try:
        paths.ensure_dir(path.parent)
        fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix=".trust-anchors.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise AnchorError(f"Cannot write the trust anchors file {path}: {exc.strerror or exc}.") from exc


def file_anchors() -> list[Anchor]:
    """The anchors in the anchors file (added with ``trust anchor add`` or ``trust init``)."""
    return _read_file()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_anchor(ref: str, note: str | None = None, *, identity: str | None = None) -> Anchor:
    """``trust anchor add PUBFILE|KEYID [--note TEXT]``; returns the anchor (kept once per key)."""
    anchor = parse_anchor_ref(ref, SOURCE_FILE, note)
    anchor = Anchor(anchor.key_id, SOURCE_FILE, anchor.identity or identity, note, anchor.public_pem, _now())
    items = [a for a in _read_file() if a.key_id != anchor.key_id]
    items.append(anchor)
    _write_file(items)
    return anchor


def remove_anchor(kid: str) -> Anchor:
    """``trust anchor remove KEYID``: the full key id (or a prefix naming exactly one anchor)."""
    wanted = kid.strip().lower()
    items = _read_file()
    matches = [a for a in items if a.key_id == wanted] or (
        [a for a in items if a.key_id.startswith(wanted)] if len(wanted) >= 8 else [])
    if len(matches) != 1:
        others = [a for a in load_anchors(include_file=False).anchors if a.key_id.startswith(wanted)] if wanted else []
        if others:
            raise AnchorError(f"Key {kid} is an anchor from {others[0].source}, not from the anchors file.",
                              "Remove it there (unset the variable, drop the option or the key from the key index).")
        raise AnchorError(f"Key {kid} is not in the trust anchors file." if not matches else
                          f"{kid} names several anchors.", "See 'trust anchor list' for the full key ids.")
    _write_file([a for a in items if a is not matches[0]])
    return matches[0]


def record_pinned(pins: Iterable[tuple[str, str | None, str | None]], url: str) -> None:
    """Remember administrators this client pinned with ``trust init`` (key id, identity, PEM)."""
    try:
        items = _read_file()
    except AnchorError as exc:
        logger.warning("Pinned administrators not recorded as trust anchors: %s", exc.message)
        return
    known = {a.key_id for a in items}
    added = False
    for kid, identity, pem in pins:
        if kid in known:
            continue
        items.append(Anchor(kid, SOURCE_PINNED, identity, f"pinned with 'trust init' on {url}", pem, _now()))
        known.add(kid)
        added = True
    if added:
        try:
            _write_file(items)
        except AnchorError as exc:
            logger.warning("Pinned administrators not recorded as trust anchors: %s", exc.message)


# ---------------------------------------------------------------------------- the union


def _own_keys() -> list[Anchor]:
    from mlops_desktop.governance.keys import list_keys

    out = []
    for k in list_keys():
        if KEY_ID_RE.match(k.key_id):
            out.append(Anchor(k.key_id, SOURCE_OWN_KEY, k.identity, f"key file {k.path}"))
    return out


def env_refs() -> list[str]:
    return [p for p in os.environ.get(ANCHORS_ENV, "").split(";") if p.strip()]


def load_anchors(extra: Sequence[str] = (), *, include_file: bool = True) -> TrustAnchors:
    """The union of the anchors file, :data:`ANCHORS_ENV`, ``extra`` (``--trust-anchor``; key ids
    or public key files), this client's own key index and the admins it pinned with ``trust init``.

    Raises :class:`AnchorError` for an entry that cannot be read: an anchor is never dropped
    silently."""
    found: list[Anchor] = []
    if include_file:
        found.extend(_read_file())
    found.extend(parse_anchor_ref(ref, SOURCE_ENV) for ref in env_refs())
    found.extend(parse_anchor_ref(ref, SOURCE_OPTION) for ref in extra if ref.strip())
    found.extend(_own_keys())
    return TrustAnchors(tuple(found))
