"""The findings status file: remediation owner, due date, status and closing note per finding key,
carried from report to report; a closure counts only when signed by whoever closed it.

The file is TOML, one table per stable finding key (``Finding.key``)::

    [findings."F11-9a64e961fc"]
    owner = "privacy-office@example.org"
    due = "2026-09-30"
    status = "in_progress"
    note = "HIPAA review booked"

``close_finding`` (``mlops-desktop findings close KEY --findings-status FILE --key KEYFILE --note
TEXT``) sets ``status = "closed"`` and adds ``closure``, a DSSE envelope (base64) signed with the
closer's key over the key, status, note, closer and time, and ``public_key`` (PEM). On reading, a
``closed`` entry whose envelope is missing, does not verify, is signed by another key than the one
given, says something else than the entry, or (when trusted keys are given, e.g. the governance
trust list) is signed by a key not trusted, is shown as **not closed**, with the reason.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.errors import UsageError
from mlops_desktop.crypto.canonical import canonical_json
from mlops_desktop.crypto.dsse import (
    EnvelopeError,
    b64decode_strict,
    b64encode,
    sign_envelope,
    verify_envelope,
)
from mlops_desktop.crypto.ecdsa import key_id, public_pem
from mlops_desktop.reports.model import FindingStatus

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

    from mlops_desktop.governance.keys import SigningKey

CLOSURE_TYPE = "application/vnd.mlops-desktop.finding-closure+json"
CLOSURE_PREDICATE = "https://mlops-desktop.dev/finding-closure/v1"
STATUSES = ("open", "in_progress", "accepted", "closed")


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """One entry as written in the file (before its closure is judged)."""

    owner: str = ""
    due: str = ""
    status: str = "open"
    note: str = ""
    closure: str = ""  # base64 DSSE envelope
    public_key: str = ""  # PEM of the closing key


def _read(path: Path) -> dict[str, StatusEntry]:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise UsageError(f"No findings status file at {path}.",
                         "Create it (one [findings.\"KEY\"] table per finding) or drop --findings-status.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"The findings status file {path} is not valid TOML: {exc}.",
                         "Fix the file: one [findings.\"KEY\"] table per finding.") from None
    table = data.get("findings", {})
    if not isinstance(table, dict):
        raise UsageError(f"The findings status file {path} has no [findings] tables.",
                         "Write one [findings.\"KEY\"] table per finding key.")
    out: dict[str, StatusEntry] = {}
    for key, raw in table.items():
        if not isinstance(raw, dict):
            raise UsageError(f"Entry {key!r} of {path} is not a table.", "Write [findings.\"KEY\"] with owner, due, ...")
        values = {k: str(raw.get(k, "") or "") for k in ("owner", "due", "status", "note", "closure", "public_key")}
        values["status"] = values["status"].strip().lower() or "open"
        if values["status"] not in STATUSES:
            raise UsageError(f"Entry {key!r} of {path} has status {values['status']!r}.",
                             f"Use one of: {', '.join(STATUSES)}.")
        out[str(key)] = StatusEntry(**values)
    return out


def _closure_payload(key: str, note: str, closed_by: str, kid: str, at: str) -> bytes:
    return canonical_json({"_type": CLOSURE_PREDICATE, "finding": key, "status": "closed", "note": note,
                           "closedBy": closed_by, "keyId": kid, "closedAt": at})


def judge_closure(key: str, entry: StatusEntry,
                  trusted: Mapping[str, ec.EllipticCurvePublicKey] | None = None) -> tuple[bool, str]:
    """(closed, what the report says): whether a ``closed`` entry's signature holds, and by whom."""
    from mlops_desktop.governance.keys import load_public_key_pem

    if not entry.closure or not entry.public_key:
        return False, "marked closed but not signed"
    try:
        pub = load_public_key_pem(entry.public_key.encode("ascii"))
        kid = key_id(pub)
        envelope = b64decode_strict(entry.closure, "closure")
        verified = verify_envelope(envelope, {kid: pub}, CLOSURE_TYPE)
        payload = json.loads(verified.envelope.payload)
    except (EnvelopeError, UsageError, ValueError, UnicodeEncodeError) as exc:
        detail = getattr(exc, "message", None) or str(exc)
        return False, f"marked closed but its signature does not verify ({detail.rstrip('.')})"
    if payload.get("_type") != CLOSURE_PREDICATE or payload.get("finding") != key or payload.get("status") != "closed":
        return False, "marked closed but the signed closure is for another finding or status"
    if payload.get("note", "") != entry.note:
        return False, "marked closed but the closing note differs from the signed one"
    if trusted is not None and kid not in trusted:
        return False, f"marked closed by key {kid[:16]}…, which is not on the trust list"
    return True, f"closed, signed by {payload.get('closedBy') or 'an unnamed signer'} (key {kid[:16]}…) at " \
                 f"{payload.get('closedAt')}"


def load_status(path: Path | str,
                trusted: Mapping[str, ec.EllipticCurvePublicKey] | None = None) -> dict[str, FindingStatus]:
    """The file's entries as the report shows them: a closure that does not hold reads "open — ..."."""
    out: dict[str, FindingStatus] = {}
    for key, entry in _read(Path(path)).items():
        status = entry.status.replace("_", " ")
        if entry.status == "closed":
            closed, said = judge_closure(key, entry, trusted)
            status = said if closed else f"open — {said}"
        out[key] = FindingStatus(entry.owner, entry.due, status, entry.note)
    return out


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def _write(path: Path, entries: Mapping[str, StatusEntry]) -> None:
    lines = ["# Findings status: owner, due date, status and closing note per finding key (docs/COMPLIANCE.md).", ""]
    for key in sorted(entries):
        e = entries[key]
        lines.append(f"[findings.{_toml_string(key)}]")
        for name in ("owner", "due", "status", "note", "closure", "public_key"):
            value = getattr(e, name)
            if value:
                lines.append(f"{name} = {_toml_string(value)}")
        lines.append("")
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text("\n".join(lines), "utf-8")
    tmp.replace(path)


def close_finding(path: Path | str, key: str, note: str, signing_key: SigningKey, *,
                  owner: str | None = None, now: datetime | None = None) -> StatusEntry:
    """Mark ``key`` closed in the status file (created when absent) with a closure signed by ``signing_key``."""
    path = Path(path)
    if not note.strip():
        raise UsageError("A closing note is required.", "Pass --note TEXT: it is part of the signed closure.")
    if not key.strip():
        raise UsageError("A finding key is required.", "Give the key the findings register prints, e.g. F11-9a64e961fc.")
    entries = _read(path) if path.exists() else {}
    old = entries.get(key, StatusEntry())
    at = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    closed_by = signing_key.identity or signing_key.key_id
    payload = _closure_payload(key, note, closed_by, signing_key.key_id, at)
    envelope = sign_envelope(payload, [signing_key], CLOSURE_TYPE)
    entry = StatusEntry(owner if owner is not None else old.owner, old.due, "closed", note, b64encode(envelope),
                        public_pem(signing_key.public_key).decode("ascii"))
    entries[key] = entry
    _write(path, entries)
    return entry


def status_json(statuses: Mapping[str, FindingStatus]) -> dict[str, Any]:
    return {k: {"owner": s.owner, "due": s.due, "status": s.status, "note": s.note} for k, s in sorted(statuses.items())}
