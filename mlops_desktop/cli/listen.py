"""``mlops-desktop listen --port P --secret-env VAR``: receive MLflow registry webhooks.

A standard-library HTTP server (one thread per request) on 127.0.0.1 by default. Every POST
is checked and recorded by :mod:`mlops_desktop.services.webhooks` before it is answered:

- 200 ``{"recorded": true, ...}``: the event is committed (or was already, ``"duplicate": true``);
- 401: missing or wrong signature, or a timestamp outside the replay window (not recorded as
  an event; one stderr line and a ``webhook.reject`` audit entry);
- 400 / 413: a signed body that is no MLflow webhook payload / too large;
- 503: the governance store could not be written (nothing recorded; MLflow retries 503).

``GET /`` answers 200 with what the listener records (a health check). Ctrl-C or SIGTERM stops
it after the requests in progress are answered. docs/WEBHOOKS.md has the details.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any

from mlops_desktop.cli.common import add_governance_arg
from mlops_desktop.core.errors import StoreError, UsageError


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "listen",
        help="receive MLflow registry webhooks (HMAC-checked) and record each event",
        description="Receive MLflow (3.3+) registry webhook deliveries on this machine, check their HMAC "
        "signatures with the secret in environment variable VAR, and record each event with its exact time "
        "in the governance store (committed, with its audit-log entry, before the delivery is acknowledged). "
        "Register http://HOST:P/ as the webhook URL with MlflowClient().create_webhook(..., secret=...). "
        "See docs/WEBHOOKS.md.",
    )
    p.add_argument("--port", type=int, required=True, metavar="P", help="TCP port to listen on")
    p.add_argument("--secret-env", required=True, metavar="VAR",
                   help="environment variable holding the webhook's secret (never pass it on the command line)")
    p.add_argument("--host", default="127.0.0.1", metavar="HOST", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--store", metavar="URL",
                   help="the MLflow registry the webhook is registered on (mlflow+http://host:port or its "
                   "database): events are recorded with its registry id; without it the registry is not recorded")
    p.add_argument("--max-age", type=int, default=None, metavar="SECONDS",
                   help="replay window: refuse deliveries whose timestamp is further than this from now "
                   "(default: 300)")
    add_governance_arg(p)
    p.set_defaults(func=run_listen)


def _print(line: str, *, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    try:
        stream.write(line + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


def run_listen(args: argparse.Namespace) -> int:
    from mlops_desktop.governance.store import open_governance
    from mlops_desktop.services.webhooks import (
        DEFAULT_TOLERANCE_S,
        WebhookRecorder,
        registries_sharing_secret,
        registry_of_store,
    )

    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a TCP port.", "Pass a number from 1 to 65535.")
    secret = os.environ.get(args.secret_env, "")
    if not secret:
        raise UsageError(f"Environment variable {args.secret_env} is not set (or empty).",
                         f"Set it to the secret given to create_webhook, e.g. export {args.secret_env}=..., and retry.")
    tolerance = DEFAULT_TOLERANCE_S if args.max_age is None else args.max_age
    if tolerance < 1:
        raise UsageError(f"--max-age {tolerance} is not a positive number of seconds.", "Pass e.g. 300.")
    registry_kind, registry_id = ("mlflow", "")
    if args.store:
        registry_kind, registry_id = registry_of_store(args.store)
    gov = open_governance(args.governance)
    try:
        if gov.read_only:
            raise StoreError(gov.read_only_reason or f"The governance store {gov.url} is read-only.")
        recorder = WebhookRecorder(gov, secret, registry_kind=registry_kind, registry_id=registry_id,
                                   tolerance_s=tolerance)
        shared = registries_sharing_secret(gov, secret, registry_kind, registry_id)
        if shared:
            _print(f"warning: the secret in {args.secret_env} also signed the deliveries recorded for "
                   f"{', '.join(shared)}: a delivery captured from one registry's server would be accepted here. "
                   "Give each registry its own secret (docs/WEBHOOKS.md).", err=True)
        try:
            server = _Server((args.host, args.port), recorder)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(f"Port {args.port} on {args.host} is already in use.",
                                 "Stop the program using it or pass another --port.") from exc
            raise UsageError(f"Cannot listen on {args.host}:{args.port}: {exc.strerror or exc}.",
                             "Check --host and --port.") from exc
        return _serve(server, args, gov.url, registry_id)
    finally:
        gov.close()


def _serve(server: _Server, args: argparse.Namespace, gov_url: str, registry_id: str) -> int:
    host, port = str(server.server_address[0]), int(server.server_address[1])
    where = f"http://{host}:{port}/"
    _print(f"listening on {where} for MLflow webhooks; recording into {gov_url}; registry "
           f"{registry_id or 'not recorded (no --store)'}")
    stop = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = signal.signal(signal.SIGTERM, _on_signal)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()  # waits for the requests in progress (non-daemon threads)
    _print(f"stopped listening on {where}", err=True)
    return 0


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    # SO_REUSEADDR: a restart binds at once after a crash (TIME_WAIT); a second live listener on the
    # same port still fails (that would need SO_REUSEPORT, left off)
    allow_reuse_address = True
    allow_reuse_port = False

    def __init__(self, address: tuple[str, int], recorder: Any) -> None:
        self.recorder = recorder
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "mlops-desktop-listen"
    protocol_version = "HTTP/1.1"
    timeout = 30  # a client that stops sending mid-request does not hold a thread (and a stop) forever

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        return  # one line per delivery is printed by do_POST instead

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        # one request per connection: an idle keep-alive connection would hold its thread, and a stop
        # waits for every thread
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        rec = self.server.recorder
        self._answer(200, {"listening": True, "registry_kind": rec.registry_kind, "registry_id": rec.registry_id,
                           "governance": rec.gov.url})

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        from mlops_desktop.services.webhooks import (
            MAX_BODY_BYTES,
            Delivery,
            DeliveryRejected,
            kept_headers,
        )

        recorder = self.server.recorder
        remote = f"{self.client_address[0]}:{self.client_address[1]}"
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            delivery = Delivery(b"", kept_headers(self.headers.get), remote)
            self._reject(delivery, 413 if length > 0 else 400, "bad or too large Content-Length")
            return
        body = self.rfile.read(length)
        delivery = Delivery(body, kept_headers(self.headers.get), remote)
        try:
            recorded = recorder.handle(delivery)
        except DeliveryRejected as exc:
            self._reject(delivery, exc.status, exc.reason)
            return
        except StoreError as exc:
            _print(f"mlops-desktop: error: delivery {delivery.delivery_id} from {remote} NOT recorded "
                   f"(answered 503, the sender retries): {exc}", err=True)
            self._answer(503, {"recorded": False, "error": str(exc)})
            return
        self._answer(200, recorded.to_dict())
        if recorded.duplicate:
            _print(f"{recorded.received_at} {recorded.event} delivery {recorded.delivery_id} already recorded "
                   f"(audit-log entry {recorded.log_seq})")
        else:
            _print(f"{recorded.received_at} {recorded.event} {recorded.subject} delivery {recorded.delivery_id} "
                   f"recorded (audit-log entry {recorded.log_seq})")

    def _reject(self, delivery: Any, status: int, reason: str) -> None:
        seq = self.server.recorder.log_rejection(delivery, reason, status)
        logged = f"audit-log entry {seq}" if seq is not None else "not in the audit log (rate limit)"
        _print(f"mlops-desktop: rejected delivery {delivery.delivery_id or '(no id)'} from {delivery.remote}: "
               f"{reason} (HTTP {status}; {logged})", err=True)
        self._answer(status, {"recorded": False, "error": reason})
