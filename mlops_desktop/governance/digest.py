"""Subject digests of model versions.

Where the version's artifacts are reachable (after mapping artifact-root prefixes to local
folders) the digest is the OpenSSF model-signing root digest: SHA-256 over the per-file
SHA-256 digests, files sorted by their relative POSIX path (``model_signing`` "files"
serialisation, default ignore list). Otherwise it is the SHA-256 of the RFC 8785 canonical
JSON of the version's metadata record. Artifacts are hashed as bytes, never loaded.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_desktop.core.entities import Catalog, ModelVersion, iso
from mlops_desktop.core.hashing import IGNORED_NAMES, file_sha256
from mlops_desktop.core.progress import CancelledFn, never_cancelled
from mlops_desktop.crypto.canonical import canonical_digest

METHOD_ARTIFACTS = "model-signing-v1/files-sha256"
METHOD_RECORD = "version-record-jcs-sha256"
#: model_signing's default ignore list (plus our own signature files).


@dataclass(frozen=True, slots=True)
class SubjectDigest:
    method: str
    digest: str
    record_digest: str
    location: str | None = None  # the artifact location recorded by the store
    local_path: str | None = None
    files: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "digest": self.digest, "recordDigest": self.record_digest,
                "location": self.location, "files": self.files}


def model_signing_digest(root: Path, is_cancelled: CancelledFn = never_cancelled) -> tuple[str, int]:
    """``(root digest hex, file count)`` of a model folder (or a single file), compatible with
    ``model_signing``'s files serialisation with SHA-256."""
    root = Path(root)
    if root.is_file():
        return hashlib.sha256(bytes.fromhex(file_sha256(root))).hexdigest(), 1
    items: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d not in IGNORED_NAMES]
        for name in filenames:
            if name in IGNORED_NAMES:
                continue
            full = Path(dirpath) / name
            items.append((full.relative_to(root).as_posix(), full))
    items.sort(key=lambda item: item[0])
    h = hashlib.sha256()
    for _, full in items:
        if is_cancelled():
            break
        h.update(bytes.fromhex(file_sha256(full)))
    return h.hexdigest(), len(items)


def version_record(catalog: Catalog, version: ModelVersion) -> dict[str, Any]:
    """The metadata that identifies a version, independent of where the store file sits."""
    kind = next((s.kind for s in catalog.stores if s.url == version.store), None)
    if kind is None and catalog.stores:
        kind = catalog.stores[0].kind
    return {
        "store_kind": kind or "",
        "name": version.model_name,
        "version": str(version.version),
        "source": version.source,
        "run_id": version.run_id,
        "created_at": iso(version.created_at),
    }


def artifact_location(catalog: Catalog, version: ModelVersion) -> str | None:
    """Where the training environment recorded the version's artifacts."""
    lm_id = version.logged_model_id
    if lm_id and lm_id in catalog.logged_models and catalog.logged_models[lm_id].artifact_location:
        return catalog.logged_models[lm_id].artifact_location
    loc = version.storage_location or ""
    if loc and not loc.startswith(("runs:/", "models:/")):
        return loc
    for candidate in (loc, version.source):
        if candidate.startswith("runs:/"):
            run_id, _, sub = candidate.removeprefix("runs:/").partition("/")
            run = catalog.runs.get(run_id)
            if run and run.artifact_uri:
                return f"{run.artifact_uri.rstrip('/')}/{sub}" if sub else run.artifact_uri
    if version.source and not version.source.startswith(("runs:/", "models:/")) and "REDACTED" not in version.source:
        return version.source
    return None


def map_location(location: str, artifact_roots: Mapping[str, str]) -> Path | None:
    """Apply the longest matching ``PREFIX=DIR`` mapping; plain local paths map to themselves."""
    loc = location.removeprefix("file://")
    for prefix in sorted(artifact_roots, key=len, reverse=True):
        bare = prefix.removeprefix("file://").rstrip("/")
        if loc == bare or loc.startswith(bare + "/"):
            return Path(artifact_roots[prefix]) / loc[len(bare):].lstrip("/")
    if "://" not in loc and loc.startswith("/"):
        return Path(loc)
    return None


def subject_digest(
    catalog: Catalog,
    version: ModelVersion,
    artifact_roots: Mapping[str, str] | None = None,
    *,
    method: str | None = None,
    is_cancelled: CancelledFn = never_cancelled,
) -> SubjectDigest:
    """The digest an approval signs. ``method`` forces one (as recorded in an old predicate);
    a forced artifacts method whose files are unreachable yields digest ``""``."""
    record_digest = canonical_digest(version_record(catalog, version))
    location = artifact_location(catalog, version)
    local = map_location(location, artifact_roots or {}) if location else None
    reachable = local is not None and local.exists() and (local.is_file() or any(local.iterdir()))
    if method != METHOD_RECORD and reachable and local is not None:
        digest, count = model_signing_digest(local, is_cancelled)
        return SubjectDigest(METHOD_ARTIFACTS, digest, record_digest, location, str(local), count)
    if method != METHOD_RECORD and not reachable and version.store.startswith(("mlflow+http://", "mlflow+https://")):
        # a store read over REST: its tracking server may serve the artifacts
        from mlops_desktop.sources.mlflow_rest import remote_artifact_digest

        remote = remote_artifact_digest(catalog, version, is_cancelled)
        if remote is not None:
            return SubjectDigest(METHOD_ARTIFACTS, remote[0], record_digest, location, None, remote[1])
    if method == METHOD_ARTIFACTS:
        return SubjectDigest(METHOD_ARTIFACTS, "", record_digest, location, str(local) if local else None)
    return SubjectDigest(METHOD_RECORD, record_digest, record_digest, location)
