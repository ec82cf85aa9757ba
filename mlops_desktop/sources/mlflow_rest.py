"""An MLflow tracking server over its public REST API (MLflow 2.x and 3.x), read-only.

``mlflow+http://host:port[/prefix]`` and ``mlflow+https://...``. The catalog it builds is
the one :class:`~mlops_desktop.sources.mlflow_sql.MlflowSqlSource` builds from the
server's database: registered models with tags and aliases, versions, the runs they were
made from (params, latest metrics, tags, dataset inputs, outputs), experiments, MLflow 3
logged models and workspaces. The server hides versions it deleted internally, so
``--include-deleted`` has nothing more to show here.

Only read endpoints are ever called: every request goes through :class:`RestClient`, which
refuses any (method, path) not in :data:`READ_ENDPOINTS`. The search endpoints that MLflow
serves as POST (``runs/search``, ``logged-models/search``) only read.

Credentials come from MLflow's own environment variables (``MLFLOW_TRACKING_USERNAME`` /
``MLFLOW_TRACKING_PASSWORD``, ``MLFLOW_TRACKING_TOKEN``), or from a prompt passed in as
:class:`RestCredentials`; TLS uses ``MLFLOW_TRACKING_SERVER_CERT_PATH`` as the CA file and
skips verification only when ``MLFLOW_TRACKING_INSECURE_TLS`` is true. A password is never
accepted inside the URL (URLs are kept in the recent-stores list) and never logged.

Requests run with bounded concurrency (a thread pool, one HTTP session per thread), short
connect timeouts, and retries with exponential backoff on 429 and 5xx (``Retry-After`` is
honoured). Artifacts are hashed through the server's artifact endpoints, streamed into
SHA-256 in chunks, never held whole.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from mlops_desktop.core.entities import (
    Catalog,
    Dataset,
    DatasetInput,
    Experiment,
    LoggedModel,
    MetricValue,
    ModelVersion,
    RegisteredModel,
    Run,
    StoreInfo,
    from_millis,
)
from mlops_desktop.core.errors import StoreError
from mlops_desktop.core.hashing import IGNORED_NAMES
from mlops_desktop.core.monitoring import MONITORING_TAG
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)
from mlops_desktop.sources.base import Source, StoreUrl, split_rest_url
from mlops_desktop.sources.mlflow_sql import CONTEXT_TAG, PARENT_RUN_TAG, _json_or_text, _source_uri
from mlops_desktop.sources.registry_identity import mlflow_material, registry_id

if TYPE_CHECKING:
    from mlops_desktop.sources.base import SourceSettings

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

#: The only (method, path template) pairs this source ever requests. ``{x}`` is one path
#: segment, ``{path...}`` the rest of the path.
READ_ENDPOINTS: frozenset[tuple[str, str]] = frozenset({
    ("GET", "/version"),
    ("GET", "/api/3.0/mlflow/server-info"),
    ("GET", "/api/3.0/mlflow/workspaces"),
    ("GET", "/api/2.0/mlflow/registered-models/search"),
    ("GET", "/api/2.0/mlflow/model-versions/search"),
    ("GET", "/api/2.0/mlflow/experiments/search"),
    ("POST", "/api/2.0/mlflow/runs/search"),
    ("GET", "/api/2.0/mlflow/runs/get"),
    ("GET", "/api/2.0/mlflow/metrics/get-history"),
    ("POST", "/api/2.0/mlflow/logged-models/search"),
    ("GET", "/api/2.0/mlflow/logged-models/{model_id}"),
    ("GET", "/api/2.0/mlflow/logged-models/{model_id}/artifacts/directories"),
    ("GET", "/ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files"),
    ("GET", "/api/2.0/mlflow/artifacts/list"),
    ("GET", "/get-artifact"),
    ("GET", "/api/2.0/mlflow-artifacts/artifacts"),
    ("GET", "/api/2.0/mlflow-artifacts/artifacts/{path...}"),
})
#: Search endpoints served as POST that only read (MLflow's own client POSTs them too).
READ_ONLY_POSTS = frozenset(path for method, path in READ_ENDPOINTS if method == "POST")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 60.0
MAX_RETRIES = 4
BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0
DEFAULT_CONCURRENCY = 8
RUN_BATCH = 100  # run ids per runs/search request
#: The runs search filter of monitoring runs: those with the monitoring tag, whatever its value
#: (:func:`~mlops_desktop.core.monitoring.is_monitoring_run` judges the value, as for SQL stores).
MONITORING_FILTER = f"tags.`{MONITORING_TAG}` LIKE '%'"
EXPERIMENT_BATCH = 1000  # experiment ids per search request
WORKSPACE_HEADER = "X-MLFLOW-WORKSPACE"
_CHUNK = 1 << 20


def _template_regex(template: str) -> re.Pattern[str]:
    out = ""
    for part in re.split(r"(\{[^}]+\})", template):
        if part.startswith("{") and part.endswith("...}"):
            out += r".+"
        elif part.startswith("{"):
            out += r"[^/]+"
        else:
            out += re.escape(part)
    return re.compile(out)


_ALLOWED = [(m, _template_regex(t)) for m, t in sorted(READ_ENDPOINTS)]


def is_read_endpoint(method: str, path: str, prefix: str = "") -> bool:
    """True when ``method path`` (without the query string) is on the allow-list."""
    if prefix and path.startswith(prefix):
        path = path[len(prefix):]
    return any(m == method.upper() and rx.fullmatch(path) for m, rx in _ALLOWED)


@dataclass(frozen=True, slots=True)
class RestCredentials:
    """How to authenticate to the server; never printed (``repr`` hides the secrets)."""

    username: str | None = None
    password: str | None = None
    token: str | None = None
    ca_file: str | None = None
    insecure_tls: bool = False
    client_cert: str | None = None

    def __repr__(self) -> str:
        return (f"RestCredentials(username={self.username!r}, password={'***' if self.password else None}, "
                f"token={'***' if self.token else None}, ca_file={self.ca_file!r}, insecure_tls={self.insecure_tls})")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RestCredentials:
        e = os.environ if env is None else env
        insecure = e.get("MLFLOW_TRACKING_INSECURE_TLS", "").strip().lower() in {"1", "true", "yes", "on"}
        return cls(
            username=e.get("MLFLOW_TRACKING_USERNAME") or None,
            password=e.get("MLFLOW_TRACKING_PASSWORD") or None,
            token=e.get("MLFLOW_TRACKING_TOKEN") or None,
            ca_file=e.get("MLFLOW_TRACKING_SERVER_CERT_PATH") or None,
            insecure_tls=insecure,
            client_cert=e.get("MLFLOW_TRACKING_CLIENT_CERT_PATH") or None,
        )

    def merged(self, other: RestCredentials | None) -> RestCredentials:
        """``other``'s fields (a prompt's answers) over these (the environment's)."""
        if other is None:
            return self
        return RestCredentials(
            username=other.username or self.username,
            password=other.password or self.password,
            token=other.token or self.token,
            ca_file=other.ca_file or self.ca_file,
            insecure_tls=other.insecure_tls or self.insecure_tls,
            client_cert=other.client_cert or self.client_cert,
        )


class CredentialsRequired(StoreError):
    """The server refused the request for want of (right) credentials (HTTP 401).

    ``url`` is the store's display URL, so a GUI can ask for a login and try again.
    """

    def __init__(self, message: str, hint: str, url: str) -> None:
        super().__init__(message, hint)
        self.url = url


#: Logins given at a prompt in this process, by store display URL: memory only, never saved.
_PROMPTED: dict[str, RestCredentials] = {}
_PROMPTED_LOCK = threading.Lock()


def remember_credentials(url: str, credentials: RestCredentials) -> None:
    """Use ``credentials`` (from a prompt) for the store ``url`` until the process ends."""
    with _PROMPTED_LOCK:
        _PROMPTED[url] = credentials


def forget_credentials(url: str | None = None) -> None:
    with _PROMPTED_LOCK:
        if url is None:
            _PROMPTED.clear()
        else:
            _PROMPTED.pop(url, None)


def prompted_credentials(url: str) -> RestCredentials | None:
    with _PROMPTED_LOCK:
        return _PROMPTED.get(url)




class RestClient:
    """The one place HTTP requests are made. Thread-safe (one session per thread)."""

    def __init__(self, base_url: str, credentials: RestCredentials, display: str, *,
                 concurrency: int = DEFAULT_CONCURRENCY, connect_timeout: float = CONNECT_TIMEOUT_S,
                 read_timeout: float = READ_TIMEOUT_S, max_retries: int = MAX_RETRIES,
                 backoff: float = BACKOFF_S) -> None:
        self.base_url = base_url.rstrip("/")
        self.prefix = urlsplit(self.base_url).path
        self.display = display
        self._credentials = credentials
        self.concurrency = max(1, concurrency)
        self.timeout = (connect_timeout, read_timeout)
        self.max_retries = max_retries
        self.backoff = backoff
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self.is_cancelled: CancelledFn = never_cancelled
        self.requests_made = 0
        self._warned_insecure = False

    # -- sessions --------------------------------------------------------------------
    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=2, pool_maxsize=self.concurrency, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            creds = self._credentials
            if creds.token:
                session.headers["Authorization"] = f"Bearer {creds.token}"
            elif creds.username:
                session.auth = (creds.username, creds.password or "")
            if creds.insecure_tls:  # asked for explicitly: say so once, not on every request
                session.verify = False
                if not self._warned_insecure:
                    self._warned_insecure = True
                    logger.warning("TLS certificates of %s are not checked (MLFLOW_TRACKING_INSECURE_TLS)",
                                   self.display)
                    warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
            elif creds.ca_file:
                session.verify = creds.ca_file
            if creds.client_cert:
                session.cert = creds.client_cert
            session.headers["User-Agent"] = "mlops-desktop (read-only)"
            # no .netrc logins behind the user's back; proxies from the environment as MLflow's client
            session.trust_env = False
            session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for s in sessions:
            s.close()

    # -- requests --------------------------------------------------------------------
    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
                stream: bool = False, missing_ok: bool = False,
                retries: int | None = None, tolerate_errors: bool = False) -> requests.Response | None:
        """One allow-listed request with retries. ``missing_ok``: None on 404/501 (an older server)."""
        max_retries = self.max_retries if retries is None else retries
        method = method.upper()
        if not is_read_endpoint(method, path):
            raise AssertionError(f"{method} {path} is not an allow-listed read endpoint")
        url = self.base_url + path
        attempt = 0
        while True:
            check_cancelled(self.is_cancelled)
            try:
                with self._lock:
                    self.requests_made += 1
                resp = self._session().request(method, url, params=params, json=json, headers=headers,
                                               timeout=self.timeout, stream=stream, allow_redirects=False)
            except requests.exceptions.SSLError as exc:
                raise self._tls_error(exc) from exc
            except requests.exceptions.ConnectTimeout as exc:
                raise StoreError(f"Cannot reach the MLflow server {self.display} (no answer within "
                                 f"{self.timeout[0]:g} s).",
                                 "Check that the server is running and the host and port are right.") from exc
            except (requests.exceptions.ConnectionError, requests.exceptions.ReadTimeout) as exc:
                if attempt >= min(2, max_retries) or isinstance(exc, requests.exceptions.ReadTimeout) \
                        and attempt >= max_retries:
                    raise StoreError(f"Cannot reach the MLflow server {self.display} ({_reason(exc)}).",
                                     "Check that the server is running and the host and port are right.") from exc
                self._sleep(self.backoff * (2 ** attempt) / 2)
                attempt += 1
                continue
            if resp.status_code in RETRY_STATUSES and attempt < max_retries:
                delay = _retry_after(resp) or min(MAX_BACKOFF_S, self.backoff * (2 ** attempt))
                logger.info("%s answered %d to %s %s; retrying in %.1f s", self.display, resp.status_code,
                            method, path, delay)
                resp.close()
                self._sleep(delay)
                attempt += 1
                continue
            if resp.ok:
                return resp
            if (missing_ok and resp.status_code in (404, 501)) or (tolerate_errors and resp.status_code != 401):
                resp.close()
                return None
            raise self._http_error(resp, method, path)

    def get_json(self, path: str, params: Mapping[str, Any] | None = None, *,
                 headers: Mapping[str, str] | None = None, missing_ok: bool = False) -> dict[str, Any] | None:
        resp = self.request("GET", path, params=params, headers=headers, missing_ok=missing_ok)
        return None if resp is None else _json(resp, self.display)

    def post_json(self, path: str, body: Mapping[str, Any], *, headers: Mapping[str, str] | None = None,
                  missing_ok: bool = False) -> dict[str, Any] | None:
        if path not in READ_ONLY_POSTS:
            raise AssertionError(f"POST {path} is not a read-only search")
        resp = self.request("POST", path, json=body, headers=headers, missing_ok=missing_ok)
        return None if resp is None else _json(resp, self.display)

    def pages(self, method: str, path: str, body: Mapping[str, Any], key: str, *,
              headers: Mapping[str, str] | None = None, missing_ok: bool = False) -> Iterator[dict[str, Any]]:
        """Every item under ``key`` across ``next_page_token`` pages."""
        token: str | None = None
        while True:
            req = dict(body)
            if token:
                req["page_token"] = token
            if method == "GET":
                data = self.get_json(path, req, headers=headers, missing_ok=missing_ok)
            else:
                data = self.post_json(path, req, headers=headers, missing_ok=missing_ok)
            if data is None:
                return
            yield from data.get(key, [])
            token = data.get("next_page_token") or None
            if not token:
                return

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``fn`` over ``items`` with at most ``concurrency`` requests in flight, in order.

        Stops (and raises :class:`CancelledError`) as soon as the user cancels.
        """
        if len(items) <= 1 or self.concurrency == 1:
            out = []
            for item in items:
                check_cancelled(self.is_cancelled)
                out.append(fn(item))
            return out
        results: dict[int, R] = {}
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="mlflow-rest") as pool:
            pending: dict[Future[R], int] = {}
            it = iter(enumerate(items))
            try:
                for i, item in it:
                    pending[pool.submit(fn, item)] = i
                    if len(pending) >= self.concurrency * 2:
                        break
                while pending:
                    done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    check_cancelled(self.is_cancelled)
                    for fut in done:
                        results[pending.pop(fut)] = fut.result()
                        nxt = next(it, None)
                        if nxt is not None:
                            pending[pool.submit(fn, nxt[1])] = nxt[0]
            except BaseException:
                for fut in pending:
                    fut.cancel()
                raise
        return [results[i] for i in range(len(items))]

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            check_cancelled(self.is_cancelled)
            time.sleep(min(left, 0.1))

    # -- errors ----------------------------------------------------------------------
    def _tls_error(self, exc: Exception) -> StoreError:
        text = str(exc)
        if "certificate verify failed" in text.lower() or "certificate" in text.lower():
            return StoreError(
                f"The TLS certificate of {self.display} is not trusted ({_short_tls(text)}).",
                "Set MLFLOW_TRACKING_SERVER_CERT_PATH to the CA file that signed the server's certificate.",
            )
        return StoreError(f"TLS with {self.display} failed ({_short_tls(text)}).",
                          "Check that the URL's scheme (http or https) matches the server.")

    def _http_error(self, resp: requests.Response, method: str, path: str) -> StoreError:
        status = resp.status_code
        detail = _error_detail(resp)
        resp.close()
        if status == 401:
            hint = ("Check MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN)."
                    if self._credentials.username or self._credentials.token else
                    "The server needs a login: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD "
                    "(or MLFLOW_TRACKING_TOKEN).")
            return CredentialsRequired(f"The MLflow server {self.display} refused the credentials (HTTP 401).", hint,
                                       self.display)
        if status == 403:
            return StoreError(f"The MLflow server {self.display} denied read access (HTTP 403{detail}).",
                              "Ask the server's administrator for READ permission on its experiments and models.")
        if status in (301, 302, 303, 307, 308):
            return StoreError(f"The MLflow server {self.display} redirects {path} (HTTP {status}).",
                              "Use the URL the server redirects to (check http versus https and the path prefix).")
        if status == 404:
            return StoreError(f"{self.display} has no MLflow API at {path} (HTTP 404).",
                              "Check the URL, including any path prefix the server is mounted under.")
        return StoreError(f"The MLflow server {self.display} answered HTTP {status} to {method} {path}{detail}.",
                          "Check the server's log, then reload.")


def _reason(exc: Exception) -> str:
    text = str(exc)
    m = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if m:
        return m.group(1).strip()
    m = re.search(r"(Connection refused|Read timed out|Name or service not known|No route to host)", text)
    return m.group(1) if m else type(exc).__name__


def _short_tls(text: str) -> str:
    m = re.search(r"certificate verify failed: ([^(')\"]+)", text)
    return ("certificate verify failed: " + m.group(1).strip()) if m else "TLS handshake failed"


def _retry_after(resp: requests.Response) -> float | None:
    value = resp.headers.get("Retry-After", "")
    try:
        return min(30.0, max(0.0, float(value)))
    except ValueError:
        return None


def _error_detail(resp: requests.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return ""
    if isinstance(data, dict) and data.get("error_code"):
        return f": {data['error_code']}"
    return ""


def _json(resp: requests.Response, display: str) -> dict[str, Any]:
    try:
        data = resp.json()
    except ValueError as exc:
        raise StoreError(f"{display} did not answer with JSON ({resp.headers.get('Content-Type', '?')}).",
                         "Check that the URL points at an MLflow tracking server.") from exc
    if not isinstance(data, dict):
        raise StoreError(f"{display} answered with unexpected JSON.", "Check that the URL is an MLflow server.")
    return data


def _kv(items: Iterable[Mapping[str, Any]] | None, key: str = "key") -> dict[str, str]:
    return {str(i.get(key)): ("" if i.get("value") is None else str(i.get("value"))) for i in items or []}


def _setting(settings: object, name: str, default: Any) -> Any:
    if isinstance(settings, Mapping):
        return settings.get(name, default)
    return getattr(settings, name, default)


class MlflowRestSource(Source):
    """An MLflow tracking server. Nothing is read until asked; one check request at open."""

    KEEPS_METRIC_HISTORY = True

    def __init__(self, url: StoreUrl, settings: SourceSettings | None = None) -> None:
        if settings is None:
            super().__init__(url)
        else:
            super().__init__(url, settings)  # type: ignore[call-arg,unused-ignore]
        base, display = split_rest_url(url.raw)
        self.base_url = url.options.get("base_url") or base if url.options else base
        self.display = display
        prompted = _setting(settings, "mlflow_credentials", None) or prompted_credentials(display)
        creds = RestCredentials.from_env().merged(prompted if isinstance(prompted, RestCredentials) else None)
        concurrency = int(_setting(settings, "rest_concurrency", DEFAULT_CONCURRENCY) or DEFAULT_CONCURRENCY)
        self.client = RestClient(self.base_url, creds, display, concurrency=concurrency)
        self._server_version = ""
        self._registry_id: str | None = None
        self._workspaces: list[str] | None = None
        self._run_ws: dict[str, str] = {}  # run id -> workspace (when the server has several)
        self._check_server()

    # -- connection --------------------------------------------------------------------
    def _check_server(self) -> None:
        resp = self.client.request("GET", "/version", missing_ok=True)
        version = resp.text.strip() if resp is not None else ""
        if resp is not None:
            resp.close()
        if version and not re.fullmatch(r"[0-9][0-9A-Za-z.+\-]*", version):
            raise StoreError(f"{self.display} does not look like an MLflow tracking server.",
                             "Check the URL, including any path prefix the server is mounted under.")
        # an authenticated read proves the credentials before any long work starts
        self.client.get_json("/api/2.0/mlflow/registered-models/search", {"max_results": 1})
        self._server_version = version

    @property
    def info(self) -> StoreInfo:
        schema = f"mlflow-server {self._server_version}" if self._server_version else "mlflow-server"
        return StoreInfo("mlflow", self.display, schema, urlsplit(self.base_url).scheme, self.display,
                         self.registry_id())

    def registry_id(self) -> str:
        """The MLflow rule of ``registry_identity`` read over REST (the lowest-id experiment,
        deleted ones included): the same id as the SQL source gives for the server's database."""
        if self._registry_id is None:
            data = self.client.get_json("/api/2.0/mlflow/experiments/search", {
                "max_results": 1, "view_type": "ALL", "order_by": "experiment_id ASC"}) or {}
            found = data.get("experiments") or []
            material = None
            if found and isinstance(found[0], dict):
                e = found[0]
                material = mlflow_material(e.get("experiment_id"), e.get("creation_time"), e.get("artifact_location"))
            self._registry_id = registry_id("mlflow", material)
        return self._registry_id

    def close(self) -> None:
        self.client.close()

    def _bind(self, is_cancelled: CancelledFn) -> None:
        self.client.is_cancelled = is_cancelled

    # -- workspaces ----------------------------------------------------------------------
    def workspaces(self) -> list[str]:
        """Names of the server's workspaces (MLflow 3 with workspaces enabled), else ``[]``."""
        if self._workspaces is None:
            names: list[str] = []
            # servers without workspaces answer 404 (MLflow 2) or 503 (not enabled): no retries
            resp = self.client.request("GET", "/api/3.0/mlflow/workspaces", retries=0, tolerate_errors=True)
            data = _json(resp, self.display) if resp is not None else {}
            for ws in data.get("workspaces", []):
                if ws.get("name"):
                    names.append(str(ws["name"]))
            self._workspaces = names
        return self._workspaces

    def _workspace_headers(self) -> list[tuple[str, dict[str, str] | None]]:
        spaces = self.workspaces()
        if len(spaces) <= 1:
            return [("default", None)]
        return [(w, {WORKSPACE_HEADER: w}) for w in spaces]

    def _headers_for_run(self, run_id: str) -> dict[str, str] | None:
        ws = self._run_ws.get(run_id)
        return {WORKSPACE_HEADER: ws} if ws else None

    # -- registry ------------------------------------------------------------------------
    def _read_models(self) -> tuple[dict[tuple[str, str], RegisteredModel], list[ModelVersion]]:
        models: dict[tuple[str, str], RegisteredModel] = {}
        versions: list[ModelVersion] = []
        store = self.display
        spaces = self._workspace_headers()
        for ws, headers in spaces:
            for rm in self.client.pages("GET", "/api/2.0/mlflow/registered-models/search",
                                        {"max_results": 1000, "order_by": "name ASC"}, "registered_models",
                                        headers=headers):
                m = RegisteredModel(
                    name=str(rm["name"]), description=rm.get("description") or "",
                    created_at=from_millis(rm.get("creation_timestamp")),
                    updated_at=from_millis(rm.get("last_updated_timestamp")), store=store,
                    tags=_kv(rm.get("tags")),
                    aliases={str(a["alias"]): str(a["version"]) for a in rm.get("aliases") or []},
                )
                models[(ws, m.name)] = m
            for mv in self.client.pages("GET", "/api/2.0/mlflow/model-versions/search",
                                        {"max_results": 10000}, "model_versions", headers=headers):
                model = models.get((ws, str(mv.get("name"))))
                if model is None:
                    continue
                stage = mv.get("current_stage")
                v = ModelVersion(
                    model_name=model.name, version=str(mv["version"]),
                    stage=None if stage in (None, "", "None") else str(stage),
                    status=mv.get("status") or "READY", user_id=mv.get("user_id") or None,
                    run_id=mv.get("run_id") or None, source=mv.get("source") or "",
                    storage_location=mv.get("storage_location") or None,
                    created_at=from_millis(mv.get("creation_timestamp")),
                    updated_at=from_millis(mv.get("last_updated_timestamp")),
                    description=mv.get("description") or "", tags=_kv(mv.get("tags")), store=store,
                    deleted=stage == "Deleted_Internal",
                )
                model.versions.append(v)
                versions.append(v)
        for m in models.values():
            m.versions.sort(key=lambda x: int(x.version) if x.version.isdigit() else 0)
            for alias, ver in m.aliases.items():
                mv_ = m.version(ver)
                if mv_ is not None:
                    mv_.aliases.append(alias)
            for mv_ in m.versions:
                mv_.aliases.sort()
        if len(spaces) > 1:
            # one list ordered by name across workspaces, as the server's database orders them
            models = dict(sorted(models.items(), key=lambda item: item[0][1]))
            for (ws, _), m in models.items():
                if ws != "default":
                    m.name = f"{ws}/{m.name}"
                    for v in m.versions:
                        v.model_name = m.name
        return models, versions

    def load_registry(self, progress: ProgressFn = no_progress, is_cancelled: CancelledFn = never_cancelled) -> Catalog:
        """Registered models and their versions only (no runs, datasets or metrics)."""
        self._bind(is_cancelled)
        progress(0, 1, "Reading registered models and versions")
        models, _ = self._read_models()
        progress(1, 1, "Done")
        return Catalog(stores=[self.info], models=list(models.values()))

    # -- full catalog --------------------------------------------------------------------
    def load_catalog(
        self,
        progress: ProgressFn = no_progress,
        is_cancelled: CancelledFn = never_cancelled,
        *,
        all_runs: bool = False,
    ) -> Catalog:
        self._bind(is_cancelled)
        steps = 6
        progress(0, steps, "Reading registered models and versions")
        models, versions = self._read_models()
        check_cancelled(is_cancelled)
        progress(1, steps, "Reading experiments")
        experiments, exp_ws = self._read_experiments()
        check_cancelled(is_cancelled)
        progress(2, steps, "Reading runs")
        wanted = None if all_runs else sorted({v.run_id for v in versions if v.run_id})
        found = {}
        for ws, headers in self._workspace_headers():
            in_ws = [eid for eid, w in exp_ws.items() if w == ws]
            for rid, item in self._search_runs(in_ws, wanted, progress, headers).items():
                found[rid] = item
                if headers:
                    self._run_ws[rid] = ws
        if wanted is not None:
            # monitoring runs are read too (docs/MONITORING.md), as the SQL source reads them
            for ws, headers in self._workspace_headers():
                in_ws = [eid for eid, w in exp_ws.items() if w == ws]
                for rid, item in self._search_runs(in_ws, None, progress, headers, MONITORING_FILTER).items():
                    if rid not in found:
                        found[rid] = item
                        if headers:
                            self._run_ws[rid] = ws
            missing = [r for r in wanted if r not in found]
            if missing:  # runs in experiments the search did not cover
                for data in self.client.map(self._get_run, missing):
                    if data is not None:
                        item = self._run(data)
                        found[item[0].run_id] = item
        runs = {rid: item[0] for rid, item in found.items()}
        for run in runs.values():
            exp = experiments.get(run.experiment_id)
            run.experiment_name = exp.name if exp else ""
        check_cancelled(is_cancelled)
        progress(4, steps, "Collecting dataset inputs")
        datasets = self._collect_datasets(found)
        progress(5, steps, "Reading logged models")
        logged: dict[str, LoggedModel] = {}
        for ws, headers in self._workspace_headers():
            logged.update(self._read_logged_models([eid for eid, w in exp_ws.items() if w == ws],
                                                   runs if not all_runs else None, versions, headers))
        for v in versions:
            made_by = runs.get(v.run_id) if v.run_id else None
            if made_by is not None:
                v.run_user = made_by.user
                v.datasets = sorted(made_by.inputs, key=lambda d: (d.name, d.digest, d.context or ""))
        progress(steps, steps, "Done")
        return Catalog(stores=[self.info], models=list(models.values()), runs=runs, experiments=experiments,
                       datasets=datasets, logged_models=logged)

    def _read_experiments(self) -> tuple[dict[str, Experiment], dict[str, str]]:
        """Experiments, and the workspace of each ("default" on a server without workspaces)."""
        out: dict[str, Experiment] = {}
        where: dict[str, str] = {}
        for ws, headers in self._workspace_headers():
            for e in self.client.pages("GET", "/api/2.0/mlflow/experiments/search",
                                       {"max_results": 1000, "view_type": "ALL"}, "experiments", headers=headers):
                eid = str(e["experiment_id"])
                out[eid] = Experiment(eid, str(e.get("name") or ""), e.get("artifact_location") or "",
                                      e.get("lifecycle_stage") or "active", self.display)
                where[eid] = ws
        return out, where

    def _search_runs(self, experiment_ids: list[str], run_ids: list[str] | None, progress: ProgressFn,
                     headers: dict[str, str] | None = None,
                     run_filter: str | None = None) -> dict[str, tuple[Run, list[Mapping[str, Any]]]]:
        """Runs by id (batched ``run_id IN (...)`` searches, in parallel), or every run (that
        ``run_filter``, a search filter, selects)."""
        exp_batches = [experiment_ids[i:i + EXPERIMENT_BATCH] for i in range(0, len(experiment_ids), EXPERIMENT_BATCH)]
        if not exp_batches:
            return {}
        jobs: list[tuple[list[str], str | None]] = []
        if run_ids is None:
            jobs = [(b, run_filter) for b in exp_batches]
        else:
            for i in range(0, len(run_ids), RUN_BATCH):
                ids = run_ids[i:i + RUN_BATCH]
                quoted = ", ".join("'" + r.replace("'", "") + "'" for r in ids)
                jobs.extend((b, f"attributes.run_id IN ({quoted})") for b in exp_batches)
        done_count = [0]
        lock = threading.Lock()

        def one(job: tuple[list[str], str | None]) -> list[tuple[Run, list[Mapping[str, Any]]]]:
            exps, flt = job
            body: dict[str, Any] = {"experiment_ids": exps, "max_results": 1000, "run_view_type": "ALL"}
            if flt:
                body["filter"] = flt
            items = [self._run(r) for r in self.client.pages("POST", "/api/2.0/mlflow/runs/search", body, "runs",
                                                             headers=headers)]
            with lock:
                done_count[0] += 1
                progress(2, 6, f"Reading runs ({done_count[0]}/{len(jobs)} requests)")
            return items

        runs: dict[str, tuple[Run, list[Mapping[str, Any]]]] = {}
        for batch in self.client.map(one, jobs):
            for item in batch:
                runs[item[0].run_id] = item
        return runs

    def _get_run(self, run_id: str) -> dict[str, Any] | None:
        data = self.client.get_json("/api/2.0/mlflow/runs/get", {"run_id": run_id}, missing_ok=True,
                                    headers=self._headers_for_run(run_id))
        return None if data is None else data.get("run")

    def _run(self, data: Mapping[str, Any]) -> tuple[Run, list[Mapping[str, Any]]]:
        """The run, and the raw dataset records of its inputs (in input order)."""
        info = data.get("info") or {}
        body = data.get("data") or {}
        run_id = str(info.get("run_id") or info.get("run_uuid"))
        run = Run(
            run_id=run_id, name=info.get("run_name") or "", experiment_id=str(info.get("experiment_id", "")),
            user=info.get("user_id") or None, status=info.get("status") or "",
            start_time=from_millis(info.get("start_time")), end_time=from_millis(info.get("end_time")),
            lifecycle_stage=info.get("lifecycle_stage") or "active", artifact_uri=info.get("artifact_uri") or "",
            params=_kv(body.get("params")), tags=_kv(body.get("tags")), store=self.display,
        )
        run.parent_run_id = run.tags.get(PARENT_RUN_TAG)
        raw: list[Mapping[str, Any]] = []
        for m in body.get("metrics") or []:
            run.metrics[str(m["key"])] = _metric(m)
        for di in (data.get("inputs") or {}).get("dataset_inputs") or []:
            ds = di.get("dataset") or {}
            tags = _kv(di.get("tags"))
            context = tags.pop(CONTEXT_TAG, None)
            name, digest = str(ds.get("name") or ""), str(ds.get("digest") or "")
            source = _source_uri(ds.get("source"))
            run.inputs.append(DatasetInput(_dataset_id(name, digest, ds.get("source_type") or "", source),
                                           name, digest, source, context, tags))
            raw.append(ds)
        for mo in (data.get("outputs") or {}).get("model_outputs") or []:
            mid = mo.get("model_id")
            if mid and mid not in run.output_model_ids:
                run.output_model_ids.append(str(mid))
        return run, raw

    def _collect_datasets(self, found: Mapping[str, tuple[Run, list[Mapping[str, Any]]]]) -> dict[str, Dataset]:
        datasets: dict[str, Dataset] = {}
        for run, raw in found.values():
            for inp, ds in zip(run.inputs, raw, strict=True):
                d = datasets.get(inp.dataset_id)
                if d is None:
                    d = datasets[inp.dataset_id] = Dataset(
                        id=inp.dataset_id, name=inp.name, digest=inp.digest, source=inp.source,
                        source_type=ds.get("source_type") or "", schema=_json_or_text(ds.get("schema")),
                        profile=_json_or_text(ds.get("profile")), store=self.display,
                    )
                for k, v in inp.tags.items():
                    d.tags.setdefault(k, v)
        return datasets

    def _read_logged_models(self, experiment_ids: list[str], runs: Mapping[str, Run] | None,
                            versions: list[ModelVersion],
                            headers: dict[str, str] | None = None) -> dict[str, LoggedModel]:
        wanted: set[str] | None = None
        if runs is not None:
            wanted = {mid for r in runs.values() for mid in r.output_model_ids}
            wanted |= {v.logged_model_id for v in versions if v.logged_model_id}
            if not wanted:
                return {}
        out: dict[str, LoggedModel] = {}
        batches = [experiment_ids[i:i + EXPERIMENT_BATCH] for i in range(0, len(experiment_ids), EXPERIMENT_BATCH)]
        for exps in batches:
            body = {"experiment_ids": exps, "max_results": 100}
            for item in self.client.pages("POST", "/api/2.0/mlflow/logged-models/search", body, "models",
                                          headers=headers, missing_ok=True):
                info = item.get("info") or {}
                mid = str(info.get("model_id") or "")
                if not mid or (wanted is not None and mid not in wanted):
                    continue
                out[mid] = LoggedModel(mid, str(info.get("name") or ""), info.get("artifact_uri") or "",
                                       info.get("source_run_id") or None, str(info.get("experiment_id") or ""),
                                       from_millis(info.get("creation_timestamp_ms")), "active", self.display)
        return out

    # -- per-run detail ----------------------------------------------------------------------
    def metric_history(self, run_id: str, key: str) -> list[MetricValue]:
        """Every logged value of one metric of one run, by step then time."""
        values = [_metric(m) for m in self.client.pages(
            "GET", "/api/2.0/mlflow/metrics/get-history",
            {"run_id": run_id, "metric_key": key, "max_results": 25000}, "metrics",
            headers=self._headers_for_run(run_id))]
        return sorted(values, key=lambda m: (m.step, m.timestamp.timestamp() if m.timestamp else 0.0))

    def metric_keys(self, run_id: str) -> list[str]:
        data = self._get_run(run_id)
        if data is None:
            return []
        return sorted({str(m["key"]) for m in (data.get("data") or {}).get("metrics") or []})

    # -- artifacts -----------------------------------------------------------------------------
    def artifact_files(self, version: ModelVersion, catalog: Catalog | None = None) -> list[tuple[str, ArtifactRef]]:
        """``(relative path, ref)`` of every file of a version's artifacts, as the server lists them."""
        lm = version.logged_model_id
        if lm:
            return self._walk(lambda p: self._list_logged(lm, p), lambda p: ArtifactRef("logged", lm, p))
        run_id, sub = _runs_uri(version.source) or _runs_uri(version.storage_location or "") or (None, "")
        if run_id is None and version.run_id and catalog is not None:
            run = catalog.runs.get(version.run_id)
            if run and run.artifact_uri and version.source.startswith(run.artifact_uri.rstrip("/") + "/"):
                run_id, sub = version.run_id, version.source[len(run.artifact_uri.rstrip("/")) + 1:]
        if run_id is not None:
            rid = run_id
            return self._walk(lambda p: self._list_run(rid, p), lambda p: ArtifactRef("run", rid, p), sub)
        if version.source.startswith("mlflow-artifacts:"):
            root = urlsplit(version.source).path.lstrip("/")
            return self._walk(self._list_proxy, lambda p: ArtifactRef("proxy", "", p), root)
        raise StoreError(f"{self.display} cannot serve the artifacts of {version.model_name} v{version.version} "
                         f"({version.source or 'no source'}).",
                         "Map the artifact location to a local folder in Settings instead.")

    def _walk(self, lister: Callable[[str], list[tuple[str, bool]]], ref: Callable[[str], ArtifactRef],
              root: str = "") -> list[tuple[str, ArtifactRef]]:
        root = root.strip("/")
        out: list[tuple[str, ArtifactRef]] = []
        stack = [root]
        seen: set[str] = set()
        while stack:
            check_cancelled(self.client.is_cancelled)
            folder = stack.pop()
            if folder in seen:
                continue
            seen.add(folder)
            entries = lister(folder)
            if not entries and folder == root and root:  # root may itself be a file
                continue
            for path, is_dir in entries:
                if is_dir:
                    stack.append(path)
                else:
                    rel = path[len(root):].lstrip("/") if root else path
                    out.append((rel, ref(path)))
        out.sort(key=lambda item: item[0])
        return out

    def _list_run(self, run_id: str, path: str) -> list[tuple[str, bool]]:
        params = {"run_id": run_id, **({"path": path} if path else {})}
        data = self.client.get_json("/api/2.0/mlflow/artifacts/list", params) or {}
        return [(str(f["path"]), bool(f.get("is_dir"))) for f in data.get("files") or []]

    def _list_logged(self, model_id: str, path: str) -> list[tuple[str, bool]]:
        data = self.client.get_json(f"/api/2.0/mlflow/logged-models/{quote(model_id, safe='')}/artifacts/directories",
                                    {"artifact_directory_path": path} if path else {}) or {}
        return [(str(f["path"]), bool(f.get("is_dir"))) for f in data.get("files") or []]

    def _list_proxy(self, path: str) -> list[tuple[str, bool]]:
        data = self.client.get_json("/api/2.0/mlflow-artifacts/artifacts", {"path": path} if path else {}) or {}
        base = path.strip("/")
        return [((base + "/" if base else "") + str(f["path"]), bool(f.get("is_dir"))) for f in data.get("files") or []]

    def stream_sha256(self, ref: ArtifactRef) -> bytes:
        """SHA-256 of one artifact file, streamed in 1 MiB chunks (never held whole)."""
        if ref.kind == "logged":
            resp = self.client.request("GET", f"/ajax-api/2.0/mlflow/logged-models/{quote(ref.owner, safe='')}"
                                       "/artifacts/files", params={"artifact_file_path": ref.path}, stream=True)
        elif ref.kind == "run":
            resp = self.client.request("GET", "/get-artifact", params={"path": ref.path, "run_uuid": ref.owner},
                                       stream=True)
        else:
            resp = self.client.request("GET", "/api/2.0/mlflow-artifacts/artifacts/" + quote(ref.path), stream=True)
        assert resp is not None
        h = hashlib.sha256()
        try:
            for chunk in resp.iter_content(_CHUNK):
                check_cancelled(self.client.is_cancelled)
                h.update(chunk)
        except requests.exceptions.RequestException as exc:
            raise StoreError(f"Downloading {ref.path} from {self.display} failed ({_reason(exc)}).",
                             "Retry once the server is reachable.") from exc
        finally:
            resp.close()
        return h.digest()

    def artifact_digest(self, version: ModelVersion, catalog: Catalog | None = None,
                        is_cancelled: CancelledFn = never_cancelled) -> tuple[str, int]:
        """``(root digest hex, file count)`` of a version's artifacts through the server, the same
        model-signing "files" digest :func:`mlops_desktop.governance.digest.model_signing_digest`
        computes on a local folder (files by relative POSIX path, SHA-256 of the file digests)."""
        self._bind(is_cancelled)
        files = [(rel, ref) for rel, ref in self.artifact_files(version, catalog)
                 if not set(rel.split("/")) & IGNORED_NAMES]
        digests = self.client.map(lambda item: self.stream_sha256(item[1]), files)
        h = hashlib.sha256()
        for d in digests:
            h.update(d)
        return h.hexdigest(), len(files)


def remote_artifact_digest(catalog: Catalog, version: ModelVersion,
                           is_cancelled: CancelledFn = never_cancelled) -> tuple[str, int] | None:
    """``(root digest, file count)`` of a REST-read version's artifacts through its server, or
    None when the server has no files for it (the subject digest then falls back)."""
    if not version.store.startswith(("mlflow+http://", "mlflow+https://")):
        return None
    source = MlflowRestSource(StoreUrl("mlflow-rest", version.store))
    try:
        digest, count = source.artifact_digest(version, catalog, is_cancelled)
    except StoreError as exc:
        logger.warning("Artifacts of %s v%s not reachable through %s: %s", version.model_name, version.version,
                       version.store, exc.message)
        return None
    finally:
        source.close()
    return (digest, count) if count else None


@dataclass(frozen=True, slots=True)
class ArtifactRef:
    kind: str  # logged | run | proxy
    owner: str  # logged model id or run id
    path: str


def _metric(m: Mapping[str, Any]) -> MetricValue:
    raw = m.get("value")
    try:
        value = float(raw) if raw is not None else float("nan")
    except (TypeError, ValueError):
        value = float("nan")
    return MetricValue(str(m.get("key")), value, int(m.get("step") or 0), from_millis(m.get("timestamp")))


def _dataset_id(name: str, digest: str, source_type: str, source: str) -> str:
    """A stable id for a dataset the REST API names only by its fields."""
    return "mlflow-rest:" + hashlib.sha256("\x1f".join((name, digest, source_type, source)).encode()).hexdigest()[:32]


def _runs_uri(uri: str) -> tuple[str, str] | None:
    if not uri.startswith("runs:/"):
        return None
    run_id, _, sub = uri.removeprefix("runs:/").partition("/")
    return run_id, sub


__all__ = ["READ_ENDPOINTS", "CredentialsRequired", "MlflowRestSource", "RestClient", "RestCredentials", "is_read_endpoint",
           "forget_credentials", "prompted_credentials", "remember_credentials", "remote_artifact_digest",
           "split_rest_url"]
