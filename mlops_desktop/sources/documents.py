"""Folders and ``.zip`` archives of JSON documents (API responses, exports), read file by file.

Used by the sources that read what a cloud service's API returned (SageMaker, DataRobot):
each file is one document; which document it is comes from its content, never its name.
A file that cannot be used is kept as a :class:`RejectedFile` with its reason, so a source
can list it and go on with the rest.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from mlops_desktop.core.errors import StoreError

ZIP_MAGIC = b"PK\x03\x04"
GZIP_MAGIC = b"\x1f\x8b"
#: A single document larger than this is refused (an API page is far smaller).
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Document:
    """One file of a folder or archive: its path relative to the root (POSIX) and bytes."""

    name: str
    raw: bytes

    @property
    def folder(self) -> str:
        parent = str(PurePosixPath(self.name).parent)
        return "" if parent == "." else parent


@dataclass(frozen=True, slots=True)
class RejectedFile:
    """A file a source did not read, and why."""

    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"

    def as_json(self) -> dict[str, str]:
        return {"file": self.name, "reason": self.reason}


class DocumentError(Exception):
    """A document that is not usable; the message is the reason shown to the user."""


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


def iter_documents(root: Path) -> Iterator[Document]:
    """Every file under a folder (recursively, sorted), in a ``.zip`` archive, or the file itself.

    Hidden files and folders (``.name``) are skipped. Raises StoreError when ``root`` is
    missing or unreadable."""
    if root.is_dir():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(root)
            if _hidden(rel.parts):
                continue
            try:
                raw = path.read_bytes()
            except OSError as exc:
                raise StoreError(f"Cannot read {path}: {exc.strerror}.") from exc
            yield Document(rel.as_posix(), raw)
        return
    if not root.is_file():
        raise StoreError(f"No such file or folder: {root}.", "Check the path and try again.")
    try:
        with root.open("rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise StoreError(f"Cannot read {root}: {exc.strerror}.") from exc
    if head != ZIP_MAGIC:
        yield Document(root.name, root.read_bytes())
        return
    try:
        with zipfile.ZipFile(root) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                if info.is_dir() or _hidden(PurePosixPath(info.filename).parts):
                    continue
                if info.file_size > MAX_DOCUMENT_BYTES:
                    yield Document(info.filename, b"")  # rejected as empty, with the size below
                    continue
                yield Document(info.filename, archive.read(info))
    except (zipfile.BadZipFile, OSError) as exc:
        raise StoreError(f"{root} is not a readable .zip archive ({exc}).",
                         "Unpack it and pass the folder, or make the archive again.") from exc


def parse_json(raw: bytes) -> Any:
    """The JSON value of a document (gzip-compressed files are unpacked first).

    Raises :class:`DocumentError` with a reason that says what is wrong."""
    if raw.startswith(GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DocumentError(f"damaged gzip file ({exc})") from exc
    if not raw.strip():
        raise DocumentError("empty file")
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise DocumentError(f"larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not UTF-8 text (byte {exc.start}); not a JSON API response") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        body = text.rstrip()
        if exc.pos >= len(body) or exc.msg.startswith("Unterminated string"):  # the text stops mid-value
            line = body.count("\n") + 1
            column = len(body) - body.rfind("\n")
            raise DocumentError(f"truncated JSON (it stops mid-value at line {line} column {column})") from exc
        raise DocumentError(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from exc
    except RecursionError as exc:
        raise DocumentError("JSON nested too deeply") from exc


def documents_digest(documents: list[Document]) -> str:
    """``sha256:`` over the sorted (name, content SHA-256) pairs: the identity of a document set."""
    h = hashlib.sha256()
    for doc in sorted(documents, key=lambda d: d.name):
        h.update(doc.name.encode("utf-8") + b"\x00" + hashlib.sha256(doc.raw).digest())
    return "sha256:" + h.hexdigest()


__all__ = ["Document", "DocumentError", "RejectedFile", "documents_digest", "iter_documents", "parse_json"]
