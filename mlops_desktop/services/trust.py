"""The trust list: ``trust init|add|revoke|list`` and the Trust list window.

Every change but the first pin is a statement signed with an administrator's key; the key
is unlocked (``unlock``) only once the store is known to be writable and every input file
has been read, so a refused change asks for no passphrase and writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.errors import MlopsError, UsageError
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)
from mlops_desktop.services.session import UnlockFn, gov_session
from mlops_desktop.services.settings import VerificationSettings

if TYPE_CHECKING:
    from mlops_desktop.governance.anchors import TrustAnchors
    from mlops_desktop.governance.keys import SigningKey
    from mlops_desktop.governance.trust import Signer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignerRow:
    """One signer on the trust list as it stands now (its newest grant)."""

    key_id: str
    identity: str | None
    roles: tuple[str, ...]
    valid_from: datetime | None
    valid_until: datetime | None
    pinned: bool
    revoked_at: datetime | None
    status: str  # governance_facts STATUS_*
    anchored: bool = False  # a chain from this client's trust anchors reaches this signer

    @classmethod
    def of(cls, signer: Signer, now: datetime, anchored: bool = False) -> SignerRow:
        latest = signer.grants[-1] if signer.grants else None
        return cls(signer.key_id, signer.identity, latest.roles if latest else (),
                   latest.valid_from if latest else None, latest.valid_until if latest else None,
                   signer.pinned, signer.revoked_at, signer.status_at(now, None)[0], anchored)

    def to_dict(self) -> dict[str, Any]:
        """The ``trust list --format json`` item."""
        return {
            "key_id": self.key_id,
            "identity": self.identity,
            "roles": list(self.roles),
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "pinned": self.pinned,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "status": self.status,
            "anchored": self.anchored,
        }


@dataclass(frozen=True)
class TrustState:
    url: str
    read_only_reason: str | None
    signers: list[SignerRow]
    problems: list[str] = field(default_factory=list)
    initialised: bool = False
    anchors: TrustAnchors | None = None


def load_trust_state(
    url: str | None,
    settings: VerificationSettings | None = None,
    *,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> TrustState:
    """The signers (certificates checked against the settings' CA roots, when there are any),
    the trust list's problems and whether the pinned administrators changed behind this client."""
    from mlops_desktop.governance.trust import load_trust
    from mlops_desktop.governance.verify import anchor_findings

    settings = settings or VerificationSettings()
    ca_roots = settings.ca_roots()
    anchors = settings.anchors()
    with gov_session(url) as gov:
        trust = load_trust(gov, ca_roots=ca_roots, anchors=anchors)
        differ, unanchored = anchor_findings(trust)
        problems = list(trust.problems) + differ + unanchored
        now = datetime.now().astimezone()
        signers = [SignerRow.of(s, now, trust.anchored(s.key_id, now)) for s in trust.signers.values()]
        return TrustState(gov.url, gov.read_only_reason, signers, problems, trust.initialised, anchors)


def list_signer_rows(url: str | None, settings: VerificationSettings | None = None) -> list[SignerRow]:
    """``trust list``: the signers without the problems (those are for ``verify``)."""
    return load_trust_state(url, settings).signers


@dataclass(frozen=True)
class TrustChange:
    """A recorded add or revoke: the signer's key id, the audit-log entry and the envelope."""

    key_id: str
    log_seq: int
    envelope: str


def _change(result: dict[str, Any]) -> TrustChange:
    return TrustChange(str(result["key_id"]), int(result["log_seq"]), str(result["envelope"]))


def admin_key_file(path: str) -> Path:
    """The private key file that signs an administrator's pin: KEYFILE itself, or the KEYFILE
    next to a KEYFILE.pub (``keys create`` writes both)."""
    p = Path(path.strip()).expanduser()
    if p.name.endswith(".pub"):
        key = p.with_name(p.name[:-len(".pub")])
        if key.is_file():
            return key
        raise UsageError(f"A pin is signed by the pinned administrator's own key, and there is no key file "
                         f"{key} next to {p}.",
                         "Run 'trust init' where the administrator's key file is, with --admin KEYFILE.")
    return p


def pin_admins(
    url: str | None,
    admin_keys: Sequence[str],
    unlock: Callable[[Path], SigningKey],
    *,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> list[str]:
    """``trust init``: pin the administrators, each pin self-signed by the pinned key (KEYFILE, or
    KEYFILE.pub with its KEYFILE next to it; ``unlock`` asks for each passphrase). Their key ids.
    The pinned keys become trust anchors of this client."""
    from mlops_desktop.crypto.ecdsa import key_id
    from mlops_desktop.governance.keys import load_public_key, public_key_identity
    from mlops_desktop.governance.trust import init_trust

    given = [p for p in admin_keys if p.strip()]
    if not given:
        raise UsageError("Choose the administrator's key file (KEYFILE, with KEYFILE.pub next to it).")
    files = [admin_key_file(p) for p in given]
    for f in files:
        if not f.is_file():
            raise UsageError(f"No such key file: {f}.", "Create one with 'mlops-desktop keys create'.")
    with gov_session(url) as gov:
        gov.require_writable()
        admins = []
        for f in files:
            check_cancelled(is_cancelled)
            key = unlock(f)
            pub = f.with_name(f.name + ".pub")
            if pub.is_file():
                if key_id(load_public_key(pub)) != key.key_id:
                    raise UsageError(f"{pub} is not the public key of {f}.")
                if key.identity is None:
                    key = replace(key, identity=public_key_identity(pub))
            admins.append(key)
        return init_trust(gov, admins)


@dataclass(frozen=True)
class AddSignerRequest:
    """Add (or re-grant) a signer. ``certificate`` (a file) is the signer's X.509 certificate,
    checked against the settings' CA roots."""

    governance_url: str | None
    public_key: str  # KEYFILE.pub of the signer
    identity: str
    roles: tuple[str, ...]
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    certificate: str = ""
    settings: VerificationSettings = field(default_factory=VerificationSettings)


def add_signer(
    request: AddSignerRequest,
    unlock: UnlockFn,
    *,
    create: bool = True,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> TrustChange:
    """Read the signer's key (and certificate), then unlock the administrator key and sign."""
    from mlops_desktop.governance import trust as trustmod
    from mlops_desktop.governance.keys import load_certificate, load_public_key

    if not request.public_key.strip():
        raise UsageError("Choose the signer's public key file (KEYFILE.pub).")
    signer = load_public_key(Path(request.public_key.strip()).expanduser())
    cert = load_certificate(Path(request.certificate).expanduser()) if request.certificate.strip() else None
    ca_roots = request.settings.ca_roots()
    with gov_session(request.governance_url, create=create) as gov:
        gov.require_writable()
        admin = unlock()
        check_cancelled(is_cancelled)
        return _change(trustmod.add_signer(gov, admin, signer, request.identity, list(request.roles),
                                           valid_from=request.valid_from, valid_until=request.valid_until,
                                           certificate=cert, ca_roots=ca_roots))


def revoke_signer(
    url: str | None,
    signer_key_id: str,
    reason: str | None,
    unlock: UnlockFn,
    *,
    create: bool = True,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> TrustChange:
    """Revoke a signer from now on (earlier decisions keep their validity)."""
    from mlops_desktop.governance import trust as trustmod

    with gov_session(url, create=create) as gov:
        gov.require_writable()
        admin = unlock()
        check_cancelled(is_cancelled)
        return _change(trustmod.revoke_signer(gov, admin, signer_key_id, reason or None))


@dataclass(frozen=True)
class PublicKeySummary:
    """A public key file as a form shows it before anything is signed."""

    key_id: str | None
    identity: str | None
    message: str  # why there is no key id ("" when there is one, or no path)

    @property
    def email(self) -> str | None:
        """The e-mail inside ``Name <email>`` (or the identity as it is)."""
        identity = self.identity
        if identity and "<" in identity and identity.endswith(">"):
            return identity[identity.index("<") + 1:-1]
        return identity


def public_key_summary(path: str) -> PublicKeySummary:
    """Key id and identity of a public key file; never raises for a bad file."""
    from mlops_desktop.governance.keys import key_id, load_public_key, public_key_identity

    if not path:
        return PublicKeySummary(None, None, "")
    try:
        kid = key_id(load_public_key(Path(path).expanduser()))
    except MlopsError as exc:
        return PublicKeySummary(None, None, exc.message)
    return PublicKeySummary(kid, public_key_identity(Path(path).expanduser()), "")
