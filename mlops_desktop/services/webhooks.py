"""Registry webhook deliveries (``listen``): HMAC check, payload parsing, durable recording.

MLflow (3.3+) signs each delivery the Standard Webhooks way (``mlflow/webhooks/delivery.py``):
headers ``X-MLflow-Delivery-Id``, ``X-MLflow-Timestamp`` (Unix seconds) and
``X-MLflow-Signature: v1,<base64 HMAC-SHA256 of "<delivery id>.<timestamp>.<body>">`` keyed
with the webhook's secret. The body is JSON ``{"entity", "action", "timestamp", "data"}``
(and ``"workspace"`` when workspaces are on); the event name is ``<entity>.<action>``.

A delivery is answered 2xx only after its row in ``webhook_events`` and its audit-log entry
(``webhook.receive``, carrying the row's ``record_sha256``) are committed in one transaction:
an acknowledged delivery survives a crash. A delivery id already recorded is answered 200 and
not recorded again (MLflow's retries and re-sends repeat the id). A delivery with a missing or
wrong signature, or a timestamp outside the replay window, is refused (401), is not stored as
an event, and is recorded as a ``webhook.reject`` audit entry (at most
:data:`REJECT_LOG_PER_MINUTE` a minute, so an unauthenticated sender cannot flood the log;
the listener reports every one on stderr). docs/WEBHOOKS.md describes it all.

Qt-free; safe to call from the HTTP server's worker threads (one session per call).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from mlops_desktop.core.errors import MlopsError, StoreError
from mlops_desktop.crypto.merkle import leaf_hash
from mlops_desktop.governance.actions import ACTION_WEBHOOK
from mlops_desktop.governance.audit import append, lock_head, next_time, try_log_action
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.models import SqlWebhookEvent

SIGNATURE_HEADER = "X-MLflow-Signature"
TIMESTAMP_HEADER = "X-MLflow-Timestamp"
DELIVERY_ID_HEADER = "X-MLflow-Delivery-Id"
SIGNATURE_VERSION = "v1"
#: Headers kept with each event (as received), besides the body.
KEPT_HEADERS = (DELIVERY_ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER, "Content-Type", "User-Agent")

ACTION_WEBHOOK_REJECT = "webhook.reject"
#: How far a delivery's timestamp may be from this clock (seconds), either way; MLflow's
#: retries keep the first attempt's timestamp, so this must cover its retry back-off.
DEFAULT_TOLERANCE_S = 300
#: Largest body accepted (MLflow registry payloads are a few hundred bytes).
MAX_BODY_BYTES = 1024 * 1024
REJECT_LOG_PER_MINUTE = 30


class DeliveryRejected(MlopsError):
    """A delivery that is not recorded: ``status`` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Delivery:
    """One POST as received."""

    body: bytes
    headers: Mapping[str, str]  # the kept headers, names as in KEPT_HEADERS
    remote: str = ""

    @property
    def delivery_id(self) -> str | None:
        return self.headers.get(DELIVERY_ID_HEADER) or None

    @property
    def timestamp(self) -> str | None:
        return self.headers.get(TIMESTAMP_HEADER) or None

    @property
    def signature(self) -> str | None:
        return self.headers.get(SIGNATURE_HEADER) or None


def kept_headers(get: Any) -> dict[str, str]:
    """The kept headers from a case-insensitive ``get(name)`` (e.g. ``http.server`` headers)."""
    out: dict[str, str] = {}
    for name in KEPT_HEADERS:
        value = get(name)
        if value is not None:
            out[name] = str(value)
    return out


def sign(secret: str, delivery_id: str, timestamp: str, body: bytes) -> str:
    """The ``X-MLflow-Signature`` value MLflow sends for this delivery."""
    content = delivery_id.encode("utf-8") + b"." + timestamp.encode("utf-8") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), content, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def check_signature(secret: str, delivery: Delivery, *, now: float | None = None,
                    tolerance_s: int = DEFAULT_TOLERANCE_S) -> None:
    """Raise :class:`DeliveryRejected` (401) unless the delivery is signed with ``secret``
    and its timestamp is within ``tolerance_s`` of ``now``."""
    if not secret:
        raise DeliveryRejected(401, "no secret configured")
    if delivery.signature is None:
        raise DeliveryRejected(401, f"missing {SIGNATURE_HEADER} header")
    if delivery.delivery_id is None or delivery.timestamp is None:
        raise DeliveryRejected(401, f"missing {DELIVERY_ID_HEADER} or {TIMESTAMP_HEADER} header")
    expected = sign(secret, delivery.delivery_id, delivery.timestamp, delivery.body)
    # Standard Webhooks allows several space-separated signatures; any one may match.
    offered = [s for s in delivery.signature.split() if s]
    if not any(hmac.compare_digest(s.encode("utf-8", "replace"), expected.encode("ascii")) for s in offered):
        raise DeliveryRejected(401, "wrong signature")
    check_fresh(delivery, now=now, tolerance_s=tolerance_s)


def check_fresh(delivery: Delivery, *, now: float | None = None, tolerance_s: int = DEFAULT_TOLERANCE_S) -> None:
    try:
        sent = int(delivery.timestamp or "")
    except ValueError:
        raise DeliveryRejected(401, f"{TIMESTAMP_HEADER} {delivery.timestamp!r} is not a Unix time") from None
    skew = (time.time() if now is None else now) - sent
    if abs(skew) > tolerance_s:
        raise DeliveryRejected(401, f"timestamp {sent} is {int(abs(skew))} s {'old' if skew > 0 else 'ahead'}, "
                                    f"outside the {tolerance_s} s replay window")


def parse_event(body: bytes) -> tuple[str, dict[str, Any]]:
    """``(event name, payload object)`` of an MLflow webhook body; 400 when it is not one."""
    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise DeliveryRejected(400, "the body is not JSON") from None
    if not isinstance(obj, dict):
        raise DeliveryRejected(400, "the body is not a JSON object")
    entity, action = obj.get("entity"), obj.get("action")
    if not isinstance(entity, str) or not isinstance(action, str) or not entity or not action:
        raise DeliveryRejected(400, "the body names no entity and action (not an MLflow webhook payload)")
    return f"{entity}.{action}", obj


@dataclass(frozen=True, slots=True)
class Recorded:
    id: int
    log_seq: int
    received_at: str
    event: str
    delivery_id: str | None
    duplicate: bool
    subject: str

    def to_dict(self) -> dict[str, Any]:
        return {"recorded": True, "duplicate": self.duplicate, "id": self.id, "log_seq": self.log_seq,
                "received_at": self.received_at, "event": self.event, "delivery_id": self.delivery_id}


def _subject(event: str, obj: Mapping[str, Any]) -> str:
    data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
    name = data.get("name") if isinstance(data, dict) else None
    version = data.get("version") if isinstance(data, dict) else None
    if name and version:
        return f"{name}/{version}"
    return str(name) if name else event


class WebhookRecorder:
    """Checks and records deliveries for one registry into one governance store."""

    def __init__(self, gov: Governance, secret: str, *, registry_kind: str = "mlflow", registry_id: str = "",
                 tolerance_s: int = DEFAULT_TOLERANCE_S) -> None:
        gov.require_writable()
        self.gov = gov
        self._secret = secret
        self.registry_kind = registry_kind
        self.registry_id = registry_id
        self.tolerance_s = tolerance_s
        self._reject_lock = threading.Lock()
        self._reject_window: list[float] = []
        self.rejects_not_logged = 0

    def handle(self, delivery: Delivery) -> Recorded:
        """Check and record one delivery; raises :class:`DeliveryRejected` (not recorded as an
        event) or :class:`StoreError` (nothing written: answer 503 so the sender retries)."""
        if len(delivery.body) > MAX_BODY_BYTES:
            raise DeliveryRejected(413, f"body of {len(delivery.body)} bytes is over {MAX_BODY_BYTES}")
        check_signature(self._secret, delivery, tolerance_s=10**12)  # authenticity first; age below
        return self._record(delivery)

    def _record(self, delivery: Delivery) -> Recorded:
        with self.gov.write_session() as session:
            head = lock_head(session, self.gov)  # serialises recorders: the duplicate check holds
            if delivery.delivery_id is not None:
                found = session.execute(
                    sa.select(SqlWebhookEvent).where(SqlWebhookEvent.delivery_id == delivery.delivery_id)
                    .order_by(SqlWebhookEvent.id).limit(1)
                ).scalar_one_or_none()
                if found is not None:  # a retry or re-send of a recorded delivery: already durable
                    return Recorded(found.id, int(found.log_seq), found.received_at, found.event,
                                    found.delivery_id, True, found.event)
            check_fresh(delivery, tolerance_s=self.tolerance_s)
            event, obj = parse_event(delivery.body)
            when = next_time(session, head)
            row = SqlWebhookEvent(
                registry_kind=self.registry_kind, registry_id=self.registry_id, event=event,
                payload=delivery.body, delivery_id=delivery.delivery_id,
                headers=json.dumps(dict(delivery.headers), sort_keys=True), received_at=when, signature_ok=True,
            )
            subject = _subject(event, obj)
            entry = append(session, self.gov, ACTION_WEBHOOK, subject, {
                "record_sha256": row.record_sha256(), "event": event, "delivery_id": delivery.delivery_id,
                "registry_kind": self.registry_kind, "registry_id": self.registry_id,
                "payload_sha256": hashlib.sha256(delivery.body).hexdigest(),
                "sent_timestamp": delivery.timestamp,
            }, head=head, time=when)
            row.log_seq = entry.seq
            row.entry_hash = leaf_hash(entry.raw).hex()
            session.add(row)
            session.flush()
            return Recorded(int(row.id), entry.seq, when, event, delivery.delivery_id, False, subject)

    def log_rejection(self, delivery: Delivery, reason: str, status: int) -> int | None:
        """A ``webhook.reject`` audit entry (rate-limited); returns its seq or None."""
        now = time.monotonic()
        with self._reject_lock:
            self._reject_window = [t for t in self._reject_window if now - t < 60.0]
            if len(self._reject_window) >= REJECT_LOG_PER_MINUTE:
                self.rejects_not_logged += 1
                return None
            self._reject_window.append(now)
            skipped, self.rejects_not_logged = self.rejects_not_logged, 0
        details: dict[str, Any] = {
            "reason": reason, "status": status, "remote": delivery.remote, "delivery_id": delivery.delivery_id,
            "sent_timestamp": delivery.timestamp, "signature_present": delivery.signature is not None,
            "payload_sha256": hashlib.sha256(delivery.body).hexdigest(), "payload_bytes": len(delivery.body),
            "registry_kind": self.registry_kind, "registry_id": self.registry_id,
        }
        if skipped:
            details["earlier_rejections_not_logged"] = skipped
        return try_log_action(self.gov, ACTION_WEBHOOK_REJECT, delivery.remote or "unknown sender", details)


def registry_of_store(url: str) -> tuple[str, str]:
    """``("mlflow", registry id)`` of an MLflow ``--store`` (SQL or ``mlflow+http(s)://``)."""
    from mlops_desktop.core.errors import UsageError
    from mlops_desktop.sources.base import open_source, parse_store_url

    parsed = parse_store_url(url)
    if parsed.kind not in ("mlflow", "mlflow-rest"):
        raise UsageError(f"--store {url!r} is a {parsed.kind} store; webhooks come from MLflow registries.",
                         "Pass the MLflow server's store, e.g. mlflow+http://host:5000 or mlflow+postgresql://...")
    with open_source(parsed) as source:
        rid = source.registry_id()
    if not rid:
        raise StoreError(f"The store {parsed.display} holds no experiment to identify its registry by.",
                         "Start the MLflow server once (it creates the Default experiment) and retry.")
    return "mlflow", rid


def registries_sharing_secret(gov: Governance, secret: str, registry_kind: str, registry_id: str) -> list[str]:
    """The other registries whose recorded deliveries are signed with ``secret`` too: the newest
    recorded delivery of each other registry (``listen --store``) is checked against it. One
    secret on two servers lets a delivery captured from one be replayed to the other's listener."""
    if not sa.inspect(gov.engine).has_table(SqlWebhookEvent.__tablename__):
        return []
    with gov.read_session() as session:
        newest = (sa.select(sa.func.max(SqlWebhookEvent.id)).where(SqlWebhookEvent.registry_id != "")
                  .group_by(SqlWebhookEvent.registry_kind, SqlWebhookEvent.registry_id))
        rows = session.execute(
            sa.select(SqlWebhookEvent.registry_kind, SqlWebhookEvent.registry_id, SqlWebhookEvent.payload,
                      SqlWebhookEvent.headers).where(SqlWebhookEvent.id.in_(newest))
        ).all()
    shared: list[str] = []
    for kind, rid, payload, headers in rows:
        if (kind, rid) == (registry_kind, registry_id):
            continue
        try:
            kept = json.loads(headers or "{}")
            delivery = Delivery(bytes(payload), {str(k): str(v) for k, v in kept.items()})
            check_signature(secret, delivery, tolerance_s=10**12)
        except (ValueError, AttributeError, DeliveryRejected):
            continue
        shared.append(f"{kind}:{rid}")
    return sorted(shared)


__all__ = [
    "ACTION_WEBHOOK_REJECT", "DEFAULT_TOLERANCE_S", "DELIVERY_ID_HEADER", "SIGNATURE_HEADER", "TIMESTAMP_HEADER",
    "Delivery", "DeliveryRejected", "Recorded", "WebhookRecorder", "check_signature", "kept_headers",
    "parse_event", "registries_sharing_secret", "registry_of_store", "sign",
]
