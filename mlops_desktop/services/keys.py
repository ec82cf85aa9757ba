"""Signing keys for both faces: create, import PKCS#12, export the public key, list.

``keys create``, ``keys import-pkcs12``, ``keys export-public`` and ``keys list`` on the
command line and the GUI's Keys dialog run these; the key files themselves (the scrypt
container, PKCS#12 reading, the key index) are :mod:`mlops_desktop.governance.keys`.
Creating and importing derive a scrypt key (about a second): run them in a worker.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mlops_desktop.core import paths
from mlops_desktop.core.errors import MlopsError, UsageError
from mlops_desktop.governance.keys import (
    KeyInfo,
    PassphraseEstimate,
    create_key,
    estimate_passphrase,
    export_public,
    format_identity,
    import_pkcs12,
    list_keys,
)

__all__ = [
    "CreateKeyRequest", "ImportPkcs12Request", "KeyInfo", "OwnKey", "PassphraseEstimate", "create_signing_key",
    "default_key_path", "estimate_passphrase", "fingerprint_of", "identity_of", "import_signing_key", "own_keys", "write_public_key",
]


@dataclass(frozen=True)
class CreateKeyRequest:
    """``keys create --out PATH --name NAME --email EMAIL`` (the passphrase is never shown)."""

    out: str
    name: str
    email: str
    passphrase: str


@dataclass(frozen=True)
class ImportPkcs12Request:
    """``keys import-pkcs12 P12FILE --out PATH``: the bundle's passphrase and the new file's."""

    p12: str
    p12_passphrase: str
    out: str
    passphrase: str


@dataclass(frozen=True, slots=True)
class OwnKey:
    """A key this client created or imported, as a list shows it."""

    info: KeyInfo
    exists: bool

    @property
    def fingerprint(self) -> str:
        return self.info.key_id


def _path(text: str, what: str) -> Path:
    if not text.strip():
        raise UsageError(f"Choose {what}.")
    return Path(text.strip()).expanduser()


def default_key_path(name: str, email: str = "") -> str:
    """A free file name for a new key in the keys folder (``~/.config/mlops-desktop/keys/``)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", (email.split("@", 1)[0] if email else name).strip().lower()).strip("-.")
    folder = paths.keys_dir()
    candidate = folder / f"{stem or 'signing'}.key"
    n = 2
    while candidate.exists() or candidate.with_name(candidate.name + ".pub").exists():
        candidate = folder / f"{stem or 'signing'}-{n}.key"
        n += 1
    return str(candidate)


def _prepare_out(out: Path) -> None:
    """The keys folder is created on demand (it is ours); any other folder must exist."""
    if out.parent == paths.keys_dir():
        try:
            paths.ensure_dir(out.parent)
        except OSError as exc:
            raise MlopsError(f"Cannot create the keys folder {out.parent}: {exc.strerror or exc}.",
                             "Pick another place for the key file.") from exc


def create_signing_key(request: CreateKeyRequest) -> KeyInfo:
    """A new P-256 key (the scrypt container, 0600) and its ``.pub``, recorded in the key index.

    Refuses a guessable passphrase, an existing file and a missing folder with a message."""
    if not request.name.strip() or not request.email.strip():
        raise UsageError("A key needs its holder's name and e-mail.", "They are written into the public key file.")
    out = _path(request.out, "where to save the key file")
    _prepare_out(out)
    return create_key(out, request.name.strip(), request.email.strip(), request.passphrase)


def import_signing_key(request: ImportPkcs12Request) -> KeyInfo:
    """A PKCS#12 bundle (key and certificate) rewritten as this client's key file."""
    p12 = _path(request.p12, "the PKCS#12 file to import")
    out = _path(request.out, "where to save the key file")
    _prepare_out(out)
    return import_pkcs12(p12, request.p12_passphrase, out, request.passphrase)


def write_public_key(key_path: str, out: str) -> Path:
    """Write the bare SubjectPublicKeyInfo PEM of ``key_path`` (``keys export-public``) to ``out``.

    Never overwrites a file; an unwritable place is a message naming it."""
    source = _path(key_path, "the key to export")
    target = _path(out, "where to save the public key")
    pem = export_public(source)
    if target.exists():
        raise UsageError(f"{target} already exists.", "Pick another file name; files are never overwritten.")
    if not target.parent.is_dir():
        raise UsageError(f"Folder {target.parent} does not exist.", "Pick an existing folder.")
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=str(target.parent))
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise MlopsError(f"Cannot write the public key to {target}: {exc.strerror or exc}.",
                         "Pick a folder you can write to.") from exc
    return target


def fingerprint_of(key_path: str) -> str:
    """The full fingerprint (key id) of a key file, read from its public key (no passphrase needed).

    Raises :class:`~mlops_desktop.governance.keys.KeyFileError` when there is no readable public key."""
    from mlops_desktop.crypto.ecdsa import key_id
    from mlops_desktop.governance.keys import load_public_key_pem

    path = _path(key_path, "a key file")
    return key_id(load_public_key_pem(export_public(path), str(path)))


def own_keys() -> list[OwnKey]:
    """The keys of this client's key index (newest last), and whether each file still exists."""
    return [OwnKey(k, Path(k.path).exists()) for k in list_keys()]


def identity_of(name: str, email: str) -> str | None:
    """``Name <email>`` as the public key file records it."""
    return format_identity(name.strip() or None, email.strip() or None)
