"""The one HTTP transport: raw requests through a `kubernetes.client.ApiClient`, returning
undecoded urllib3 responses.

The generated API methods would deserialize into model objects; ktui wants JSON bytes instead,
parsed once into dicts. `open_request` uses the client's own `param_serialize`, so the server
URL, authentication (including token refresh hooks) and the User-Agent are the kubeconfig's,
and sends the request on the client's own connection pool (its TLS settings, proxy and
configured retries). Everything that talks HTTP to an API server goes through it: the caches,
discovery, rollout operations, log streams, the start-up probe and the embedded cluster's
`HttpClient`.

A non-2xx answer raises `ApiException` (with `status`, `reason`, `body` and `headers`), as the
generated methods do; transport failures raise the urllib3/OS error itself, for
`ktui.cluster.errors.describe_api_error` to turn into one secret-free line.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import urllib3
from kubernetes.client.exceptions import ApiException

__all__ = [
    "ERROR_BODY_LIMIT",
    "Query",
    "RequestTimeout",
    "Timeout",
    "abort_response",
    "get_json",
    "open_request",
    "read_body",
    "request_json",
]

Timeout = tuple[float, float]
"""(connect, read) seconds; the read timeout applies to every socket read, not the whole body."""
RequestTimeout = float | Timeout | None
"""A number is a total timeout, a pair (connect, read); None (or 0) the pool's default."""
Query = Sequence[tuple[str, str]]
ERROR_BODY_LIMIT: Final = 64 * 1024
"""Error bodies are a short Status; more than this is not worth reading."""


def _urllib3_timeout(timeout: RequestTimeout) -> urllib3.Timeout | None:
    # As the kubernetes client's RESTClientObject converts its `_request_timeout`.
    if not timeout:
        return None
    if isinstance(timeout, tuple):
        return urllib3.Timeout(connect=timeout[0], read=timeout[1])
    return urllib3.Timeout(total=timeout)


def open_request(
    api_client: Any,
    method: str,
    path: str,
    query: Query = (),
    *,
    body: Any = None,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
    timeout: RequestTimeout,
    on_open: Callable[[urllib3.HTTPResponse], None] | None = None,
    gzip: bool = False,
    retries: bool = True,
) -> urllib3.HTTPResponse:
    """Send `method path?query` and return the response with its body not yet read.

    `body` goes out as JSON (bytes are sent as they are) with `content_type`. `gzip` asks for a
    compressed body (as client-go does; kube-apiserver compresses large non-watch responses
    when asked), which reading the response decompresses transparently. `retries=False` turns
    off urllib3's retries even when the client's configuration has them (ktui's own clients
    have none; see `build_api_client`).

    `on_open` is called with the response as soon as the headers arrived, before any error is
    raised, so that another thread can shut the connection down while the body is being read.
    Raises `ApiException` (with `status`, `reason`, `body`, `headers`) for a non-2xx status,
    after reading at most `ERROR_BODY_LIMIT` bytes of the body; urllib3/OS errors for transport
    failures.
    """
    header_params = {"Accept": "application/json", **(headers or {})}
    if gzip:
        header_params["Accept-Encoding"] = "gzip"
    if body is not None:
        header_params["Content-Type"] = content_type
    http_method, url, header_params, _body, _post = api_client.param_serialize(
        method=method,
        resource_path=path,
        query_params=list(query),
        header_params=header_params,
        auth_settings=["BearerToken"],
    )
    payload: bytes | str | None = None
    if body is not None:
        payload = body if isinstance(body, bytes) else json.dumps(body)
    options: dict[str, Any] = {} if retries else {"retries": False}
    response: urllib3.HTTPResponse = api_client.rest_client.pool_manager.request(
        http_method,
        url,
        body=payload,
        headers=header_params,
        timeout=_urllib3_timeout(timeout),
        preload_content=False,
        **options,
    )
    if on_open is not None:
        on_open(response)
    if not 200 <= response.status <= 299:
        try:
            data = response.read(ERROR_BODY_LIMIT)
        except Exception:  # the status line is what matters; a broken body must not hide it
            data = b""
        finally:
            response.close()
        error = ApiException(
            status=response.status,
            reason=response.reason,
            body=data.decode("utf-8", "replace"),
        )
        error.headers = response.headers
        raise error
    return response


def read_body(response: urllib3.HTTPResponse) -> bytes:
    """The whole body; the connection goes back to the pool if it was read cleanly."""
    try:
        data = response.read()
    except BaseException:
        response.close()
        raise
    response.release_conn()
    return data


def get_json(
    api_client: Any,
    path: str,
    query: Query = (),
    *,
    timeout: RequestTimeout,
    on_open: Callable[[urllib3.HTTPResponse], None] | None = None,
) -> Any:
    """GET `path` and parse the JSON body."""
    response = open_request(api_client, "GET", path, query, timeout=timeout, on_open=on_open)
    return json.loads(read_body(response))


def request_json(
    api_client: Any,
    method: str,
    path: str,
    query: Query = (),
    *,
    body: Any = None,
    content_type: str = "application/json",
    timeout: RequestTimeout = 30.0,
) -> Any:
    """Send one request and return its decoded JSON answer ({} for an empty body).

    ValueError (a `json.JSONDecodeError` or `UnicodeDecodeError`) when the body is not JSON."""
    response = open_request(
        api_client, method, path, query, body=body, content_type=content_type, timeout=timeout
    )
    raw = read_body(response)
    return json.loads(raw.decode("utf-8")) if raw else {}


def abort_response(response: urllib3.HTTPResponse) -> None:
    """Make a read blocked on `response` in another thread return at once.

    Shutting the socket down for reading wakes a blocked `recv`; closing the file object would
    not, and closing the socket under a reader could let a new connection reuse its descriptor.
    The reading thread closes the response itself once its read returned.
    """
    # Failing means it was already released to the pool or closed: nothing is blocked on it.
    with contextlib.suppress(Exception):
        response.shutdown()
