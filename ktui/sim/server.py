"""A Kubernetes-API-compatible HTTP server over a `Store`, for the `kubernetes` client and kubectl.

    with SimServer() as sim:                    # 127.0.0.1, a free port, bearer token auth
        sim.write_kubeconfig("/tmp/kc")         # for kubectl / ktui
        api = sim.api_client()                  # a kubernetes.client.ApiClient
        sim.faults.forbid("apps", "deployments", namespace="prod")   # 403 on get/list/watch
        sim.faults.drop_watches()               # cut every open watch stream
        sim.restart()                           # new listening socket, same port, same store
        sim.pause(); sim.resume()               # the apiserver is down for a while

`SimServer(port=0, token="ktui-sim-token", store=None, *, bookmark_interval=5.0,
log_source=None, tls=True, tls_port=0, tls_files=None)`: `url` (plain HTTP, what `api_client()`
uses), `https_url`
and `ca_data` (a TLS listener with a self-signed certificate made by the `openssl` command, which
`write_kubeconfig` points at because kubectl never sends a token over plain HTTP; None when
openssl is missing), `port`, `tls_port`, `token`, `store`, `faults`, `bookmark_interval`
(settable at any time), `open_watch_count`, `running`, `start()`, `stop()`, `restart()`,
`pause()`, `resume()`, `write_kubeconfig(path, context="ktui-sim", namespace=None) -> str`,
`api_client() -> kubernetes.client.ApiClient`. `tls_files` is a (certificate, key) pair to serve
instead of the process-wide one (`new_tls_files()` makes one: a cluster with new certificates).

A cluster rebuilt on the same address (new data, new uids, a lower resourceVersion): stop one
server and start another with `port=old.port, tls_port=old.tls_port` and a fresh store. A watch
from a resourceVersion the store has not reached answers 504 "Too large resource version"
(cause ResourceVersionTooLarge) in an ERROR event, like the watch cache.

`faults.forbid(group, resource, namespace=None, message=None)` makes get/list/watch of that
resource answer 403 Forbidden (in `namespace` and in all-namespaces requests, or everywhere when
namespace is None); `faults.clear()`; `faults.drop_watches()` cuts every open watch / log-follow
connection without the chunked stream's clean end.

Served: discovery (`/version`, `/api`, `/api/v1`, `/apis`, `/apis/{group}[/{version}]`; the
aggregated-discovery Accept is answered with the legacy documents, which kubectl falls back to;
`/openapi/v3` is a stub that only tells kubectl the server validates fields itself, so that
`kubectl create -f` needs no schemas; `/openapi/v2` is 404); get; list (label and field
selectors, limit + continue); watch (`?watch=true` or the `/watch/` paths, bookmarks,
timeoutSeconds, resume from a resourceVersion, 410 as an in-stream ERROR event like the watch
cache); create; update; patch (merge, JSON, strategic merge); delete (DeleteOptions in the body or
the query); deletecollection; the status and scale subresources; `dryRun=All` on every one of
these writes (in the query, or a DELETE's DeleteOptions body): checked and answered as the real
write, nothing kept (`Store.dry_run`), another value 422 Invalid; pods/log (from the store's
`log_source`, else `DefaultLogSource`) and pods/binding. kubectl's `as=Table` Accept gets a
meta.k8s.io/v1 Table with the real columns. Errors are `Status` objects with the real codes,
reasons and messages.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import json
import logging
import os
import select
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from ktui.cluster.gofmt import go_quote
from ktui.sim import resources as res
from ktui.sim.lifecycle import parse_time
from ktui.sim.resources import ResourceInfo
from ktui.sim.store import (
    LogSource,
    Obj,
    Store,
    StoreError,
    Watch,
    _Entry,
    bad_request,
    encode_event,
    go_json_encode,
    invalid,
)

log = logging.getLogger(__name__)

GIT_VERSION = "v1.30.0-ktui-sim"
DEFAULT_USER = "system:serviceaccount:default:ktui"


def _json(obj: Any) -> bytes:
    return go_json_encode(obj)


# --- logs ---------------------------------------------------------------------------------------


class DefaultLogSource:
    """Logs when no node agent provides any: real-looking errors for containers that never ran,
    an empty log for running / finished ones."""

    def read_log(
        self,
        pod: Obj,
        container: str,
        *,
        follow: bool,
        previous: bool,
        timestamps: bool,
        tail_lines: int | None,
        since: float | None = None,
    ) -> Iterator[bytes]:
        name = pod["metadata"]["name"]
        status = pod.get("status") or {}
        statuses = [
            *(status.get("initContainerStatuses") or ()),
            *(status.get("containerStatuses") or ()),
        ]
        found = next((s for s in statuses if s.get("name") == container), None)
        if previous:
            if found is None or not (found.get("lastState") or {}).get("terminated"):
                raise bad_request(
                    f'previous terminated container "{container}" in pod "{name}" not found'
                )
            return iter(())
        state = (found or {}).get("state") or {}
        if found is None or "waiting" in state or not state:
            reason = (state.get("waiting") or {}).get("reason") or "ContainerCreating"
            raise bad_request(
                f'container "{container}" in pod "{name}" is waiting to start: {reason}'
            )
        return iter(())


# --- TLS ----------------------------------------------------------------------------------------

_tls_lock = threading.Lock()
_tls_files: tuple[str, str] | None = None


def tls_files() -> tuple[str, str] | None:
    """(certificate, key) paths of a self-signed 127.0.0.1 certificate made once per process
    with the openssl command; None when openssl is not available."""
    global _tls_files
    with _tls_lock:
        if _tls_files is None:
            _tls_files = new_tls_files()
        return _tls_files


def new_tls_files() -> tuple[str, str] | None:
    """A new self-signed 127.0.0.1 certificate and key (paths; removed at exit), e.g. for a
    `SimServer(tls_files=...)` that plays a cluster rebuilt with new certificates; None when
    openssl is not available."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    directory = tempfile.mkdtemp(prefix="ktui-sim-tls-")
    atexit.register(shutil.rmtree, directory, True)
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    result = subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "3650",
            "-subj",
            "/CN=ktui-sim",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            key,
            "-out",
            cert,
        ],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        log.warning("openssl could not make a certificate; the sim serves plain HTTP only")
        return None
    return (cert, key)


# --- faults -------------------------------------------------------------------------------------


class Faults:
    """Failure injection for tests of clients (watch caches, reconnect logic, RBAC errors)."""

    def __init__(self, server: SimServer) -> None:
        self._server = server
        self._lock = threading.Lock()
        self._forbidden: dict[tuple[str, str, str | None], str | None] = {}

    def forbid(
        self, group: str, resource: str, namespace: str | None = None, message: str | None = None
    ) -> None:
        """get/list/watch of the resource answer 403 Forbidden: in `namespace` (and across all
        namespaces, which would include it), or everywhere when namespace is None."""
        with self._lock:
            self._forbidden[(group, resource, namespace)] = message

    def clear(self) -> None:
        with self._lock:
            self._forbidden.clear()

    def drop_watches(self) -> None:
        """Abruptly close every open watch connection (no clean end of the chunked stream)."""
        self._server._drop_watch_connections()

    def drop_log_streams(self) -> None:
        """Abruptly close every open log stream (`follow`), the watches staying open: the link
        to a kubelet broke, the API server's own connections are fine."""
        self._server._drop_watch_connections(logs_only=True)

    def forbidden(self, info: ResourceInfo, namespace: str | None, verb: str) -> StoreError | None:
        with self._lock:
            if not self._forbidden:
                return None
            matches = [
                (ns, message)
                for (group, resource, ns), message in self._forbidden.items()
                if group == info.group
                and resource == info.resource
                and (ns is None or not namespace or ns == namespace)
            ]
        if not matches:
            return None
        custom = next((m for _, m in matches if m), None)
        where = (
            f'in the namespace "{namespace}"'
            if namespace and info.namespaced
            else "at the cluster scope"
        )
        message = custom or (
            f'{info.qualified} is forbidden: User "{DEFAULT_USER}" cannot {verb} resource'
            f' "{info.resource}" in API group "{info.group}" {where}'
        )
        return StoreError(
            403,
            "Forbidden",
            message,
            {"group": info.group, "kind": info.resource} if info.group else {"kind": info.resource},
        )


# --- discovery documents ------------------------------------------------------------------------


def _api_resource_list(group: str, version: str) -> Obj:
    resources: list[Obj] = []
    for info in res.RESOURCE_LIST:
        if info.group != group or info.version != version:
            continue
        entry: Obj = {
            "name": info.resource,
            "singularName": info.singular,
            "namespaced": info.namespaced,
            "kind": info.kind,
            "verbs": res.verbs_for(info),
        }
        if info.short_names:
            entry["shortNames"] = list(info.short_names)
        if info.categories:
            entry["categories"] = list(info.categories)
        entry["storageVersionHash"] = ""
        resources.append(entry)
        for sub in info.subresources:
            sub_entry: Obj = {
                "name": f"{info.resource}/{sub}",
                "singularName": "",
                "namespaced": info.namespaced,
                "kind": info.kind,
                "verbs": res.subresource_verbs(sub),
            }
            if sub == "scale":
                sub_entry.update({"group": "autoscaling", "version": "v1", "kind": "Scale"})
            elif sub == "log":
                sub_entry["kind"] = "Pod"
            resources.append(sub_entry)
        if info.key == ("", "pods"):
            resources.append(
                {
                    "name": "pods/binding",
                    "singularName": "",
                    "namespaced": True,
                    "kind": "Binding",
                    "verbs": ["create"],
                }
            )
    gv = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": gv,
        "resources": resources,
    }


def _api_group(group: str) -> Obj:
    version = res.GROUP_VERSIONS[group]
    gv = {"groupVersion": f"{group}/{version}", "version": version}
    return {"name": group, "versions": [gv], "preferredVersion": gv}


def _api_group_list() -> Obj:
    groups = [_api_group(g) for g in res.GROUP_VERSIONS if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _openapi_v3_index() -> Obj:
    paths = {}
    for group, version in res.GROUP_VERSIONS.items():
        key = f"apis/{group}/{version}" if group else f"api/{version}"
        paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash=ktui-sim-{version}"}
    return {"paths": paths}


def _openapi_v3_document(group: str, version: str) -> Obj:
    """Just enough OpenAPI v3 for kubectl to see that the server does field validation itself
    (a PATCH operation per kind with the fieldValidation query parameter); without it kubectl's
    create/apply insist on downloading schemas for client-side validation."""
    paths: Obj = {}
    for info in res.RESOURCE_LIST:
        if info.group != group or info.version != version:
            continue
        prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
        scope = "/namespaces/{namespace}" if info.namespaced else ""
        paths[f"{prefix}{scope}/{info.resource}/{{name}}"] = {
            "patch": {
                "operationId": f"patch{info.kind}",
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": {
                    "group": group,
                    "version": version,
                    "kind": info.kind,
                },
                "parameters": [
                    {
                        "name": "fieldValidation",
                        "in": "query",
                        "description": "fieldValidation instructs the server on how to handle"
                        " objects in the request containing unknown or duplicate fields.",
                        "schema": {"type": "string", "uniqueItems": True},
                    }
                ],
                "responses": {"200": {"description": "OK"}},
            }
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": GIT_VERSION},
        "paths": paths,
        "components": {"schemas": {}},
    }


_VERSION_INFO = {
    "major": "1",
    "minor": "30",
    "gitVersion": GIT_VERSION,
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-04-17T00:00:00Z",
    "goVersion": "go1.22.2",
    "compiler": "gc",
    "platform": "linux/amd64",
}


# --- request handling ---------------------------------------------------------------------------


def _check_not_too_large(requested: str | None, store: Store) -> None:
    """A watch from a resourceVersion the store has not reached yet (the client saw another
    store: the server was restarted with fresh data) fails like the watch cache's: 504 Timeout,
    cause ResourceVersionTooLarge (kube-apiserver waits ~3 s for its cache first; the store is
    the source of truth, so there is nothing to wait for)."""
    if not requested or not requested.isdigit() or int(requested) == 0:
        return
    current = int(store.resource_version)
    if int(requested) > current:
        raise StoreError(
            504,
            "Timeout",
            f"Too large resource version: {requested}, current: {current}",
            {
                "causes": [
                    {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
                ],
                "retryAfterSeconds": 1,
            },
        )


def _wants_table(accept: str) -> bool:
    for media in accept.split(","):
        params = {}
        for part in media.split(";")[1:]:
            if "=" in part:
                key, value = part.split("=", 1)
                params[key.strip()] = value.strip()
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io":
            return True
    return False


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return (_first(query, name) or "").lower() in ("true", "1")


def _int_param(query: dict[str, list[str]], name: str) -> int | None:
    value = _first(query, name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise bad_request(f'invalid value for {name}: "{value}"') from None


_WRITE_OPTIONS = {
    "POST": "CreateOptions",
    "PUT": "UpdateOptions",
    "PATCH": "PatchOptions",
    "DELETE": "DeleteOptions",
}
"""The mutating methods, with the meta.k8s.io options kind whose errors name each."""
DRY_RUN_ALL = "All"


def _dry_run(values: list[str], options_kind: str) -> bool:
    """Whether a write's `dryRun` values ask for a dry run, checked as kube-apiserver's
    ValidateDryRun does: "All" is the only value there is; anything else (an empty value
    too) is 422 Invalid, naming the request's options kind (CreateOptions, UpdateOptions,
    PatchOptions or DeleteOptions)."""
    if all(value == DRY_RUN_ALL for value in values):
        return bool(values)
    # field.NotSupported of a []string, printed by Go's %#v
    shown = "[]string{" + ", ".join(go_quote(value) for value in values) + "}"
    cause = f'Unsupported value: {shown}: supported values: "{DRY_RUN_ALL}"'
    raise StoreError(
        422,
        "Invalid",
        f'{options_kind}.meta.k8s.io "" is invalid: dryRun: {cause}',
        {
            "group": "meta.k8s.io",
            "kind": options_kind,
            "causes": [{"reason": "FieldValueNotSupported", "message": cause, "field": "dryRun"}],
        },
    )


def _dry_run_body_values(value: Any) -> list[str]:
    """DeleteOptions.dryRun from a request body: a list of strings, or absent."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise bad_request(
            "json: cannot unmarshal into Go struct field DeleteOptions.dryRun of type []string"
        )
    return value


POD_LOG_OPTIONS = ResourceInfo(
    group="",
    version="v1",
    resource="podlogoptions",
    kind="PodLogOptions",
    singular="",
    namespaced=True,
)
"""How Invalid errors about pods/log's query name it (details.kind "PodLogOptions")."""


def source_clock(source: object) -> Callable[[], float]:
    """The clock a log source stamps its lines with (the node agent's), else the wall clock."""
    clock = getattr(source, "clock", None)
    return clock if callable(clock) else time.time


def _log_options(
    name: str, query: dict[str, list[str]]
) -> tuple[int | None, int | None, int | None, float | None]:
    """(tailLines, limitBytes, sinceSeconds, sinceTime as epoch seconds), checked as
    kube-apiserver's ValidatePodLogOptions does: 422 Invalid with every cause at once."""
    tail = _int_param(query, "tailLines")
    limit = _int_param(query, "limitBytes")
    since_seconds = _int_param(query, "sinceSeconds")
    since_text = _first(query, "sinceTime") or None
    since_time: float | None = None
    if since_text is not None:
        since_time = parse_time(since_text)
        if since_time is None:
            raise bad_request(f'invalid value for sinceTime: "{since_text}"')
    causes: list[tuple[str, str, str]] = []
    if tail is not None and tail < 0:
        causes.append(
            (
                "tailLines",
                "FieldValueInvalid",
                f"Invalid value: {tail}: must be greater than or equal to 0",
            )
        )
    if limit is not None and limit < 1:
        causes.append(
            ("limitBytes", "FieldValueInvalid", f"Invalid value: {limit}: must be greater than 0")
        )
    if since_seconds is not None and since_time is not None:
        causes.append(
            (
                "",
                "FieldValueForbidden",
                "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified",
            )
        )
    elif since_seconds is not None and since_seconds < 1:
        causes.append(
            (
                "sinceSeconds",
                "FieldValueInvalid",
                f"Invalid value: {since_seconds}: must be greater than 0",
            )
        )
    if causes:
        raise invalid(POD_LOG_OPTIONS, name, causes)
    return tail, limit, since_seconds, since_time


def _limit_bytes(chunks: Iterable[bytes], limit: int) -> Iterator[bytes]:
    """limitBytes: the first `limit` bytes of the log, even mid-line; then the stream ends."""
    left = limit
    iterator = iter(chunks)
    try:
        for chunk in iterator:
            if len(chunk) >= left:
                yield chunk[:left]
                return
            left -= len(chunk)
            yield chunk
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


class _Route:
    __slots__ = ("info", "name", "namespace", "subresource", "watch_path")

    def __init__(
        self,
        info: ResourceInfo,
        namespace: str | None,
        name: str | None,
        subresource: str | None,
        watch_path: bool,
    ) -> None:
        self.info = info
        self.namespace = namespace
        self.name = name
        self.subresource = subresource
        self.watch_path = watch_path


class _DroppedError(Exception):
    """The connection was cut on purpose (drop_watches / pause): end without a clean close."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    _body: bytes | None = None
    server_version = "ktui-sim"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    # --- plumbing ---------------------------------------------------------------------------

    @property
    def sim(self) -> SimServer:
        return self.server.sim

    def _send_bytes(self, code: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, code: int, obj: Any) -> None:
        self._send_bytes(code, _json(obj))

    def _send_error_status(self, error: StoreError) -> None:
        self._send_json(error.code, error.status())

    def _read_body(self) -> bytes:
        """The request body, read from the connection once (later calls answer the same)."""
        if self._body is None:
            self._body = self._receive_body()
        return self._body

    def _receive_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length:
            return self.rfile.read(int(length))
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return b""

    def _read_json(self, required: bool = True) -> Any:
        raw = self._read_body()
        if not raw.strip():
            if required:
                raise bad_request("the request body is empty")
            return None
        content_type = (self.headers.get("Content-Type") or "application/json").split(";")[0]
        try:
            if content_type in ("application/yaml", "application/apply-patch+yaml"):
                return yaml.safe_load(raw)
            return json.loads(raw)
        except (ValueError, yaml.YAMLError) as exc:
            raise bad_request(f"error decoding the request body: {exc}") from None

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _start_stream(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _client_gone(self) -> bool:
        """True when the peer closed its end (a streaming client never sends anything)."""
        conn = self.connection
        try:
            readable, _, _ = select.select([conn], [], [], 0)
            if not readable:
                return False
            if isinstance(conn, ssl.SSLSocket):
                conn.settimeout(0)
                try:
                    return conn.recv(1) == b""
                except (ssl.SSLWantReadError, BlockingIOError):
                    return False
                finally:
                    conn.settimeout(None)
            return bool(conn.recv(1, socket.MSG_PEEK) == b"")
        except (OSError, ValueError):
            return True

    # --- entry points -----------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        self._body = None
        try:
            self._handle(method)
        except _DroppedError:
            self.close_connection = True
        except StoreError as error:
            # An unread body would be parsed as the next request on this kept-alive connection.
            self._read_body()
            self._send_error_status(error)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True
        except OSError as exc:
            if self.sim._is_dropping(self.connection):
                self.close_connection = True
            else:
                log.debug("connection error: %s", exc)
                self.close_connection = True
        except Exception:
            log.exception("internal error serving %s %s", method, self.path)
            with contextlib.suppress(OSError):
                self._send_error_status(
                    StoreError(500, "InternalError", "Internal error occurred: see server log")
                )

    def _authorized(self) -> bool:
        token = self.sim.token
        if token is None:
            return True
        header = self.headers.get("Authorization") or ""
        return header == f"Bearer {token}"

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        path = url.path.rstrip("/") or "/"
        if path in ("/healthz", "/livez", "/readyz"):
            self._send_bytes(200, b"ok", "text/plain; charset=utf-8")
            return
        if not self._authorized():
            self._read_body()
            self._send_error_status(StoreError(401, "Unauthorized", "Unauthorized"))
            return
        if method == "GET":
            document = self._discovery(path)
            if document is not None:
                self._send_json(200, document)
                return
            if path.startswith("/openapi/"):
                self._send_error_status(
                    StoreError(404, "NotFound", "the server could not find the requested resource")
                )
                return
        route = self._route(path)
        if route is None:
            self._read_body()
            self._send_error_status(
                StoreError(404, "NotFound", "the server could not find the requested resource")
            )
            return
        self._serve(method, route, query)

    def _discovery(self, path: str) -> Obj | None:
        if path == "/version":
            return _VERSION_INFO
        if path == "/api":
            return {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": self.sim.url.split("//", 1)[1]}
                ],
            }
        if path == "/api/v1":
            return _api_resource_list("", "v1")
        if path == "/apis":
            return _api_group_list()
        if path == "/openapi/v3":
            return _openapi_v3_index()
        if path == "/openapi/v3/api/v1":
            return _openapi_v3_document("", "v1")
        parts = path.strip("/").split("/")
        if path.startswith("/openapi/v3/apis/") and len(parts) == 5:
            group, version = parts[3], parts[4]
            if group and res.GROUP_VERSIONS.get(group) == version:
                return _openapi_v3_document(group, version)
            return None
        if parts[0] == "apis" and len(parts) in (2, 3) and parts[1] in res.GROUP_VERSIONS:
            group = parts[1]
            if not group:
                return None
            if len(parts) == 2:
                return {"kind": "APIGroup", "apiVersion": "v1", **_api_group(group)}
            if parts[2] == res.GROUP_VERSIONS[group]:
                return _api_resource_list(group, parts[2])
        return None

    def _route(self, path: str) -> _Route | None:
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) >= 3:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 4:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return None
        watch_path = False
        if rest and rest[0] == "watch":
            watch_path = True
            rest = rest[1:]
        if not rest:
            return None
        namespace: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3 and (group, rest[2]) in res.RESOURCES:
            namespace = rest[1]
            rest = rest[2:]
        info = res.by_path(group, version, rest[0])
        if info is None or len(rest) > 3:
            return None
        if namespace is not None and not info.namespaced:
            return None
        name = rest[1] if len(rest) >= 2 else None
        subresource = rest[2] if len(rest) == 3 else None
        if (
            subresource is not None
            and subresource not in info.subresources
            and not (info.key == ("", "pods") and subresource == "binding")
        ):
            return None
        return _Route(info, namespace, name, subresource, watch_path)

    # --- resource verbs ---------------------------------------------------------------------

    def _serve(self, method: str, route: _Route, query: dict[str, list[str]]) -> None:
        info = route.info
        store = self.sim.store
        if method == "GET":
            is_watch = route.watch_path or _flag(query, "watch")
            verb = "watch" if is_watch else ("get" if route.name else "list")
            denied = self.sim.faults.forbidden(info, route.namespace, verb)
            if denied is not None:
                raise denied
            if is_watch:
                self._serve_watch(route, query)
            elif route.name is None:
                self._serve_list(route, query)
            elif route.subresource == "log":
                self._serve_log(route, query)
            elif route.subresource == "scale":
                self._send_json(
                    200, store.get_scale(info.group, info.resource, route.namespace, route.name)
                )
            elif route.subresource == "binding":
                raise StoreError(
                    405,
                    "MethodNotAllowed",
                    "the server does not allow this method on the requested resource",
                )
            else:
                raw = store.get_raw(info.group, info.resource, route.namespace, route.name)
                if _wants_table(self.headers.get("Accept") or ""):
                    entry = _Entry(json.loads(raw))
                    self._send_table(info, [entry], store.resource_version, None, None, query)
                else:
                    self._send_bytes(200, raw)
            return
        if method not in _WRITE_OPTIONS:
            raise StoreError(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            )
        self._serve_write(method, route, query)

    def _serve_write(self, method: str, route: _Route, query: dict[str, list[str]]) -> None:
        """Every mutating verb (create, update, patch, delete, deletecollection, and their
        subresources) goes through here, so `dryRun=All` means the same for all of them: the
        write is checked and answered as a real one, inside the store's dry run, which keeps
        nothing (no change, no watch event, no resourceVersion used up)."""
        # Read before the store may be locked for a dry run: a slow client must not hold it.
        body = self._read_body()
        delete_options = self._delete_options() if method == "DELETE" else None
        # kube-apiserver's delete handler takes its DeleteOptions from the body when there is
        # one (the query is then ignored), else from the query; the other verbs' options are in
        # the query.
        if delete_options is not None and body.strip():
            requested = _dry_run_body_values(delete_options.get("dryRun"))
        else:
            requested = query.get("dryRun", [])
        dry_run = _dry_run(requested, _WRITE_OPTIONS[method])
        scope = self.sim.store.dry_run() if dry_run else contextlib.nullcontext()
        with scope:
            if method == "POST":
                code, answer = self._serve_create(route)
            elif method == "PUT":
                code, answer = self._serve_update(route)
            elif method == "PATCH":
                code, answer = self._serve_patch(route)
            else:
                assert delete_options is not None
                code, answer = self._serve_delete(route, query, delete_options)
        self._send_json(code, answer)

    def _serve_list(self, route: _Route, query: dict[str, list[str]]) -> None:
        info = route.info
        entries, rv, token, remaining = self.sim.store.list_entries(
            info.group,
            info.resource,
            route.namespace,
            _first(query, "labelSelector"),
            _first(query, "fieldSelector"),
            _int_param(query, "limit"),
            _first(query, "continue"),
        )
        if _wants_table(self.headers.get("Accept") or ""):
            self._send_table(info, entries, rv, token, remaining, query)
            return
        meta: Obj = {"resourceVersion": rv}
        if token:
            meta["continue"] = token
        if remaining is not None:
            meta["remainingItemCount"] = remaining
        head = (
            b'{"kind":"'
            + info.list_kind.encode()
            + b'","apiVersion":"'
            + info.api_version.encode()
            + b'","metadata":'
            + _json(meta)
            + b',"items":['
        )
        body = head + b",".join(e.raw() for e in entries) + b"]}"
        self._send_bytes(200, body)

    def _table_rows(self, info: ResourceInfo, entries: list[_Entry], include: str) -> list[Obj]:
        now = time.time()
        rows = []
        for entry in entries:
            row: Obj = {"cells": res.table_cells(info, entry.obj, now)}
            if include == "Object":
                row["object"] = entry.obj
            elif include != "None":
                row["object"] = {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": entry.obj.get("metadata", {}),
                }
            rows.append(row)
        return rows

    def _table(
        self,
        info: ResourceInfo,
        entries: list[_Entry],
        rv: str,
        token: str | None,
        remaining: int | None,
        query: dict[str, list[str]],
        with_columns: bool = True,
    ) -> Obj:
        meta: Obj = {"resourceVersion": rv}
        if token:
            meta["continue"] = token
        if remaining is not None:
            meta["remainingItemCount"] = remaining
        table: Obj = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta}
        if with_columns:
            table["columnDefinitions"] = res.table_columns(info)
        table["rows"] = self._table_rows(
            info, entries, _first(query, "includeObject") or "Metadata"
        )
        return table

    def _send_table(
        self,
        info: ResourceInfo,
        entries: list[_Entry],
        rv: str,
        token: str | None,
        remaining: int | None,
        query: dict[str, list[str]],
    ) -> None:
        table = self._table(info, entries, rv, token, remaining, query)
        self._send_bytes(200, _json(table), "application/json;as=Table;v=v1;g=meta.k8s.io")

    def _serve_watch(self, route: _Route, query: dict[str, list[str]]) -> None:
        info = route.info
        field_selector = _first(query, "fieldSelector")
        if route.name:
            name_selector = f"metadata.name={route.name}"
            field_selector = (
                f"{field_selector},{name_selector}" if field_selector else name_selector
            )
        timeout = _int_param(query, "timeoutSeconds")
        bookmarks = _flag(query, "allowWatchBookmarks")
        as_table = _wants_table(self.headers.get("Accept") or "")
        content_type = (
            "application/json;as=Table;v=v1;g=meta.k8s.io" if as_table else "application/json"
        )
        try:
            _check_not_too_large(_first(query, "resourceVersion"), self.sim.store)
            watch = self.sim.store.watch(
                info.group,
                info.resource,
                route.namespace,
                _first(query, "resourceVersion"),
                _first(query, "labelSelector"),
                field_selector,
            )
        except StoreError as error:
            if error.code not in (410, 504):
                raise
            # Like the watch cache: the stream opens, says 410 (or 504) in an ERROR event, and
            # ends.
            self._start_stream(content_type)
            self._chunk(b'{"type":"ERROR","object":' + _json(error.status()) + b"}\n")
            self._end_stream()
            return
        connection = self.connection
        self.sim._register_watch(connection, watch)
        try:
            self._start_stream(content_type)
            self._stream_watch(info, watch, timeout, bookmarks, as_table, query)
        finally:
            self.sim._unregister_watch(connection)
            watch.close()

    def _stream_watch(
        self,
        info: ResourceInfo,
        watch: Watch,
        timeout: int | None,
        bookmarks: bool,
        as_table: bool,
        query: dict[str, list[str]],
    ) -> None:
        start = time.monotonic()
        deadline = None if not timeout or timeout <= 0 else start + timeout
        last_sent = start
        connection = self.connection
        sent_columns = False
        while True:
            now = time.monotonic()
            wait = 1.0
            if bookmarks:
                wait = min(wait, max(0.0, last_sent + self.sim.bookmark_interval - now))
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - now))
            item = watch.next_raw(timeout=wait)
            if self.sim._is_dropping(connection):
                raise _DroppedError()
            if item is not None:
                batch = [item]
                while len(batch) < 256:
                    more = watch.next_raw(timeout=0)
                    if more is None:
                        break
                    batch.append(more)
                parts = []
                for type_, event in batch:
                    if as_table:
                        table = self._table(
                            info,
                            [event.entry],
                            event.entry.obj["metadata"]["resourceVersion"],
                            None,
                            None,
                            query,
                            with_columns=not sent_columns,
                        )
                        sent_columns = True
                        parts.append(_json({"type": type_, "object": table}) + b"\n")
                    elif type_ == event.type:
                        parts.append(event.raw())
                    else:
                        parts.append(encode_event(type_, event.entry))
                self._chunk(b"".join(parts))
                last_sent = time.monotonic()
                continue
            if watch.closed:
                # Closed by the store (the watcher fell too far behind): end cleanly.
                self._end_stream()
                return
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                self._end_stream()
                return
            if bookmarks and now - last_sent >= self.sim.bookmark_interval:
                rv = watch.bookmark_resource_version()
                if rv is not None:
                    bookmark = {
                        "type": "BOOKMARK",
                        "object": {
                            "kind": info.kind,
                            "apiVersion": info.api_version,
                            "metadata": {"resourceVersion": rv},
                        },
                    }
                    self._chunk(_json(bookmark) + b"\n")
                    last_sent = time.monotonic()
                    continue
            if self._client_gone():
                self.close_connection = True
                return

    def _serve_log(self, route: _Route, query: dict[str, list[str]]) -> None:
        store = self.sim.store
        assert route.name is not None
        # kube-apiserver checks the PodLogOptions before it looks the pod up.
        tail, limit, since_seconds, since_time = _log_options(route.name, query)
        pod = store.get("", "pods", route.namespace, route.name)
        name = route.name
        spec = pod.get("spec") or {}
        names = [c.get("name") for c in spec.get("containers") or ()]
        init_names = [c.get("name") for c in spec.get("initContainers") or ()]
        container = _first(query, "container")
        if not container:
            if len(names) == 1:
                container = str(names[0])
            else:
                raise bad_request(
                    f"a container name must be specified for pod {name}, choose one of:"
                    f" [{' '.join(str(n) for n in names)}]"
                    + (
                        f" or one of the init containers: [{' '.join(map(str, init_names))}]"
                        if init_names
                        else ""
                    )
                )
        elif container not in names and container not in init_names:
            raise bad_request(f"container {container} is not valid for pod {name}")
        source: LogSource = store.log_source or DefaultLogSource()
        follow = _flag(query, "follow")
        since = since_time
        if since_seconds is not None:
            # The kubelet's clock, which is the one the log lines are stamped with.
            since = source_clock(source)() - since_seconds
        chunks = source.read_log(
            pod,
            container,
            follow=follow,
            previous=_flag(query, "previous"),
            timestamps=_flag(query, "timestamps"),
            tail_lines=tail,
            since=since,
        )
        if limit is not None:
            chunks = _limit_bytes(chunks, limit)
        if not follow:
            self._send_bytes(200, b"".join(chunks), "text/plain")
            return
        iterator = iter(chunks)
        try:
            first = next(iterator, None)
        except StoreError:
            raise
        connection = self.connection
        self.sim._register_watch(connection, None)
        try:
            self._start_stream("text/plain")
            if first:
                self._chunk(first)
            for chunk in iterator:
                if self.sim._is_dropping(connection):
                    raise _DroppedError()
                if chunk:
                    self._chunk(chunk)
                elif self._client_gone():
                    return
            self._end_stream()
        finally:
            self.sim._unregister_watch(connection)
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    def _object_body(self, route: _Route) -> Obj:
        body = self._read_json()
        if not isinstance(body, dict):
            raise bad_request("the body of the request must be a JSON object")
        meta = body.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        info = route.info
        if info.namespaced:
            if meta.get("namespace") and meta["namespace"] != route.namespace:
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent on"
                    " the request"
                )
            meta["namespace"] = route.namespace
        kind = body.get("kind")
        expected = "Scale" if route.subresource == "scale" else info.kind
        if kind and kind != expected:
            raise bad_request(
                f"the kind of the provided object ({kind}) does not match the kind of the"
                f" resource ({expected})"
            )
        return body

    def _serve_create(self, route: _Route) -> tuple[int, Obj]:
        info = route.info
        store = self.sim.store
        if route.subresource == "binding":
            body = self._read_json()
            target = (body or {}).get("target") or {}
            node = target.get("name")
            if not node:
                raise bad_request("Binding target.name is required")
            assert route.name is not None
            store.bind(route.namespace or "", route.name, str(node))
            return 201, {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "code": 201,
            }
        if route.name is not None:
            raise StoreError(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            )
        if info.namespaced and not route.namespace:
            raise StoreError(404, "NotFound", "the server could not find the requested resource")
        body = self._object_body(route)
        return 201, store.create(info.group, info.resource, body)

    def _serve_update(self, route: _Route) -> tuple[int, Obj]:
        info = route.info
        if route.name is None:
            raise StoreError(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            )
        body = self._object_body(route)
        meta = body["metadata"]
        if meta.get("name") and meta["name"] != route.name:
            raise bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL"
                f" ({route.name})"
            )
        meta["name"] = route.name
        store = self.sim.store
        if route.subresource == "scale":
            store.update(info.group, info.resource, body, subresource="scale")
            return 200, store.get_scale(info.group, info.resource, route.namespace, route.name)
        return 200, store.update(info.group, info.resource, body, subresource=route.subresource)

    def _serve_patch(self, route: _Route) -> tuple[int, Obj]:
        info = route.info
        if route.name is None:
            raise StoreError(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            )
        content_type = self.headers.get("Content-Type") or ""
        body = self._read_json()
        patched = self.sim.store.patch(
            info.group,
            info.resource,
            route.namespace,
            route.name,
            content_type,
            body,
            subresource=route.subresource,
        )
        return 200, patched

    def _delete_options(self) -> Obj:
        """The DeleteOptions in the body ({} without one)."""
        options = self._read_json(required=False) or {}
        if not isinstance(options, dict):
            raise bad_request("DeleteOptions must be a JSON object")
        return options

    def _serve_delete(
        self, route: _Route, query: dict[str, list[str]], options: Obj
    ) -> tuple[int, Obj]:
        info = route.info
        store = self.sim.store
        grace = options.get("gracePeriodSeconds")
        if grace is None:
            grace = _int_param(query, "gracePeriodSeconds")
        policy = options.get("propagationPolicy") or _first(query, "propagationPolicy")
        orphan = options.get("orphanDependents")
        if orphan is None and _first(query, "orphanDependents") is not None:
            orphan = _flag(query, "orphanDependents")
        if policy is None and orphan is not None:
            policy = "Orphan" if orphan else "Background"
        preconditions = options.get("preconditions")
        if route.name is None:
            if info.namespaced and not route.namespace:
                raise StoreError(
                    404, "NotFound", "the server could not find the requested resource"
                )
            deleted = store.delete_collection(
                info.group,
                info.resource,
                route.namespace,
                _first(query, "labelSelector"),
                _first(query, "fieldSelector"),
                grace,
                policy,
            )
            return 200, {
                "kind": info.list_kind,
                "apiVersion": info.api_version,
                "metadata": {"resourceVersion": store.resource_version},
                "items": deleted,
            }
        obj, removed = store.delete_ex(
            info.group, info.resource, route.namespace, route.name, grace, policy, preconditions
        )
        if removed and info.key != ("", "pods"):
            details: Obj = {"name": route.name}
            if info.group:
                details["group"] = info.group
            details["kind"] = info.resource
            details["uid"] = obj["metadata"]["uid"]
            return 200, {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": details,
            }
        return 200, obj


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], sim: SimServer, tls: ssl.SSLContext | None = None
    ) -> None:
        self.sim = sim
        self.tls = tls
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            # The handshake happens on the handler thread's first read, not in the accept loop.
            conn = self.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        self.sim._track(conn)
        return conn, addr

    def shutdown_request(self, request: Any) -> None:
        self.sim._untrack(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("error on connection from %s", client_address, exc_info=True)


class SimServer:
    """The embedded cluster's apiserver. See the module docstring."""

    def __init__(
        self,
        port: int = 0,
        token: str | None = "ktui-sim-token",
        store: Store | None = None,
        *,
        bookmark_interval: float = 5.0,
        log_source: LogSource | None = None,
        tls: bool = True,
        tls_port: int = 0,
        tls_files: tuple[str, str] | None = None,
    ) -> None:
        self.store = store if store is not None else Store()
        self._tls_files = tls_files
        if log_source is not None:
            self.store.log_source = log_source
        self.token = token
        self.port = port
        self.tls_port = tls_port
        self._tls_wanted = tls
        self.bookmark_interval = bookmark_interval
        self.faults = Faults(self)
        self._lock = threading.Lock()
        self._listeners: list[tuple[_HTTPServer, threading.Thread]] = []
        self._tls_context: ssl.SSLContext | None = None
        self._connections: set[socket.socket] = set()
        self._watch_connections: dict[socket.socket, Watch | None] = {}
        self._dropping: set[socket.socket] = set()

    @property
    def url(self) -> str:
        """The plain-HTTP address (what api_client() uses)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def https_url(self) -> str | None:
        """The TLS address kubeconfigs point at (kubectl sends no credentials over plain HTTP);
        None without TLS."""
        return f"https://127.0.0.1:{self.tls_port}" if self._tls_context is not None else None

    @property
    def ca_data(self) -> bytes | None:
        """The PEM certificate the TLS listener presents (self-signed: it is its own CA)."""
        files = self._certificate_files() if self._tls_context is not None else None
        if files is None:
            return None
        with open(files[0], "rb") as handle:
            return handle.read()

    # --- lifecycle --------------------------------------------------------------------------

    def _certificate_files(self) -> tuple[str, str] | None:
        return self._tls_files if self._tls_files is not None else tls_files()

    def _listen(self, port: int, tls: ssl.SSLContext | None) -> _HTTPServer:
        last_error: OSError | None = None
        for _ in range(50):
            try:
                return _HTTPServer(("127.0.0.1", port), self, tls)
            except OSError as exc:
                if port == 0:
                    raise
                last_error = exc
                time.sleep(0.1)
        raise OSError(f"cannot listen on 127.0.0.1:{port} again: {last_error}")

    def start(self) -> SimServer:
        with self._lock:
            if self._listeners:
                return self
            if self._tls_wanted and self._tls_context is None:
                files = self._certificate_files()
                if files is not None:
                    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                    context.load_cert_chain(*files)
                    self._tls_context = context
            plain = self._listen(self.port, None)
            self.port = plain.server_address[1]
            servers = [plain]
            if self._tls_context is not None:
                secure = self._listen(self.tls_port, self._tls_context)
                self.tls_port = secure.server_address[1]
                servers.append(secure)
            for httpd in servers:
                thread = threading.Thread(
                    target=httpd.serve_forever,
                    kwargs={"poll_interval": 0.05},
                    name=f"sim-apiserver-{httpd.server_address[1]}",
                    daemon=True,
                )
                thread.start()
                self._listeners.append((httpd, thread))
        return self

    def pause(self) -> None:
        """Stop listening and cut every connection (the store and the ports are kept)."""
        with self._lock:
            listeners, self._listeners = self._listeners, []
        for httpd, thread in listeners:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)
        if listeners:
            self._close_all_connections()

    def resume(self) -> None:
        """Listen again on the same ports."""
        self.start()

    def restart(self) -> None:
        """An apiserver restart: every connection is cut, the store is kept."""
        self.pause()
        self.resume()

    def stop(self) -> None:
        self.pause()

    @property
    def running(self) -> bool:
        return bool(self._listeners)

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- connections ------------------------------------------------------------------------

    def _track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)
            self._dropping.discard(conn)

    def _register_watch(self, conn: socket.socket, watch: Watch | None) -> None:
        with self._lock:
            self._watch_connections[conn] = watch

    def _unregister_watch(self, conn: socket.socket) -> None:
        with self._lock:
            self._watch_connections.pop(conn, None)

    def _is_dropping(self, conn: socket.socket) -> bool:
        return conn in self._dropping

    def _cut(self, conns: list[tuple[socket.socket, Watch | None]]) -> None:
        for conn, watch in conns:
            with contextlib.suppress(OSError):
                # RST instead of FIN: the client sees a broken stream, not a clean close.
                conn.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            if watch is not None:
                watch.close()

    def _drop_watch_connections(self, *, logs_only: bool = False) -> None:
        with self._lock:
            conns = [
                (conn, watch)
                for conn, watch in self._watch_connections.items()
                if watch is None or not logs_only  # a log stream is registered without a Watch
            ]
            self._dropping.update(conn for conn, _ in conns)
        self._cut(conns)

    def _close_all_connections(self) -> None:
        with self._lock:
            conns = [(c, self._watch_connections.get(c)) for c in self._connections]
            self._dropping.update(c for c, _ in conns)
        self._cut(conns)

    @property
    def open_watch_count(self) -> int:
        """How many watch / follow streams are being served right now."""
        with self._lock:
            return len(self._watch_connections)

    # --- clients ----------------------------------------------------------------------------

    def write_kubeconfig(
        self, path: str | os.PathLike[str], context: str = "ktui-sim", namespace: str | None = None
    ) -> str:
        """Write a kubeconfig for this server (mode 0600) and return its path.

        It points at the TLS listener (with the certificate as certificate-authority-data) when
        there is one, because kubectl never sends a token over plain HTTP."""
        context_body: Obj = {"cluster": context, "user": context}
        if namespace:
            context_body["namespace"] = namespace
        user: Obj = {"token": self.token} if self.token else {}
        cluster: Obj = {"server": self.url}
        ca_data = self.ca_data
        if self.https_url is not None and ca_data is not None:
            cluster = {
                "server": self.https_url,
                "certificate-authority-data": base64.b64encode(ca_data).decode(),
            }
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": cluster}],
            "users": [{"name": context, "user": user}],
            "contexts": [{"name": context, "context": context_body}],
            "current-context": context,
            "preferences": {},
        }
        target = os.fspath(path)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            yaml.safe_dump(config, handle, sort_keys=False)
        return target

    def api_client(self) -> Any:
        """A kubernetes.client.ApiClient for this server, from a fresh Configuration."""
        from kubernetes import client

        configuration = client.Configuration()
        configuration.host = self.url
        if self.token:
            configuration.api_key = {"BearerToken": self.token}
            configuration.api_key_prefix = {"BearerToken": "Bearer"}
        return client.ApiClient(configuration)
