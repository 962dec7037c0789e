"""Raw GET requests through the kubernetes client's ApiClient, returning undecoded responses.

The generated API methods would deserialize into model objects; the caches want JSON bytes
instead, parsed once into dicts. These helpers use the client's own `param_serialize` (so
authentication, including token refresh hooks, and the User-Agent work as usual) and
`call_api`, and raise `ApiException` for non-2xx responses like the generated methods do.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from typing import Any, Final

import urllib3
from kubernetes.client.exceptions import ApiException

Timeout = tuple[float, float]
"""(connect, read) seconds; the read timeout applies to every socket read, not the whole body."""
Query = Sequence[tuple[str, str]]
# Error bodies are a short Status; more than this is not worth reading.
_ERROR_BODY_LIMIT: Final = 64 * 1024


def open_get(
    api_client: Any,
    path: str,
    query: Query = (),
    *,
    timeout: Timeout,
    on_open: Callable[[urllib3.HTTPResponse], None] | None = None,
    gzip: bool = False,
) -> urllib3.HTTPResponse:
    """Send GET `path` and return the response with its body not yet read.

    `gzip` asks for a compressed body (as client-go does; kube-apiserver compresses large
    non-watch responses when asked), which reading the response decompresses transparently.

    `on_open` is called with the response as soon as the headers arrived, before any error is
    raised, so that another thread can shut the connection down while the body is being read.
    Raises `ApiException` (with `status`, `reason`, `body`, `headers`) for a non-2xx status, and
    urllib3/OS errors for transport failures.
    """
    headers = {"Accept": "application/json"}
    if gzip:
        headers["Accept-Encoding"] = "gzip"
    method, url, headers, _body, _post = api_client.param_serialize(
        method="GET",
        resource_path=path,
        query_params=list(query),
        header_params=headers,
        auth_settings=["BearerToken"],
    )
    rest_response = api_client.call_api(
        method, url, header_params=headers, _request_timeout=timeout
    )
    response: urllib3.HTTPResponse = rest_response.response
    if on_open is not None:
        on_open(response)
    if not 200 <= response.status <= 299:
        try:
            body = response.read(_ERROR_BODY_LIMIT)
        except Exception:  # the status line is what matters; a broken body must not hide it
            body = b""
        finally:
            response.close()
        error = ApiException(
            status=response.status,
            reason=response.reason,
            body=body.decode("utf-8", "replace"),
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
    timeout: Timeout,
    on_open: Callable[[urllib3.HTTPResponse], None] | None = None,
) -> Any:
    """GET `path` and parse the JSON body."""
    response = open_get(api_client, path, query, timeout=timeout, on_open=on_open)
    return json.loads(read_body(response))


def abort_response(response: urllib3.HTTPResponse) -> None:
    """Make a read blocked on `response` in another thread return at once.

    Shutting the socket down for reading wakes a blocked `recv`; closing the file object would
    not, and closing the socket under a reader could let a new connection reuse its descriptor.
    The reading thread closes the response itself once its read returned.
    """
    # Failing means it was already released to the pool or closed: nothing is blocked on it.
    with contextlib.suppress(Exception):
        response.shutdown()
