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
import http.client
import io
import json
import socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import urllib3
from kubernetes.client.exceptions import ApiException

from ktui.cluster.watch import ChunkedDecoder, ChunkedFramingError

__all__ = [
    "ERROR_BODY_LIMIT",
    "DechunkedBody",
    "Query",
    "RequestTimeout",
    "Timeout",
    "abort_response",
    "dechunked_body",
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


class DechunkedBody:
    """The body of a chunked response, read from its socket in large blocks and de-chunked by
    ktui (`ChunkedDecoder`) instead of http.client.

    Why: http.client's `read1` returns at most one chunk per call, and kube-apiserver sends
    every watch event in a chunk of its own, so a reader that waits between reads to let
    events gather would get one event per wake-up. `read()` returns everything that has
    arrived, across chunks, blocking only while nothing has.

    Errors are urllib3's, as `HTTPResponse.read1` raises them: `ReadTimeoutError` when the
    socket's read timeout expires, `ProtocolError` for a broken connection (reset, closed by
    the peer before the last-chunk, closed by `abort_response`, malformed framing), `SSLError`.
    Reading leaves http.client's view of the connection behind: close the response after use,
    never return its connection to the pool.
    """

    __slots__ = ("_block_size", "_broken", "_decoder", "_pool", "_reader", "_tls", "backlog")

    def __init__(
        self,
        reader: io.BufferedReader,
        tls: ssl.SSLSocket | None,
        decoder: ChunkedDecoder,
        block_size: int,
        pool: Any,
    ) -> None:
        self._reader = reader
        self._tls = tls
        self._decoder = decoder
        self._block_size = block_size
        self._pool = pool
        self._broken: Exception | None = None
        """Malformed framing found after intact chunks: raised by the next `read()`."""
        self.backlog = False
        """The last read stopped at the block size: more may have arrived already."""

    @property
    def ended(self) -> bool:
        """The server sent the last-chunk: the body is complete."""
        return self._decoder.ended

    def read(self) -> bytes:
        """The body bytes that have arrived (waiting for some if none has); b"" at the end."""
        if self._broken is not None:
            raise self._broken
        while not self._decoder.ended:
            raw = self._read_raw()
            if not raw:
                raise urllib3.exceptions.ProtocolError(
                    "Connection broken: the stream ended before its last chunk"
                )
            try:
                data = self._decoder.feed(raw)
            except ChunkedFramingError as exc:
                error = urllib3.exceptions.ProtocolError(
                    f"Connection broken: malformed chunked stream: {exc}", exc
                )
                if not exc.decoded:
                    raise error from exc
                # The events before the fault arrived intact: deliver them first.
                self._broken = error
                return exc.decoded
            if data:
                return data
        return b""

    def _read_raw(self) -> bytes:
        """Raw bytes from the connection: one blocking read (all a plain socket has, up to the
        block size), then, over TLS, every further record that has arrived."""
        try:
            data = self._reader.read1(self._block_size)
            tls = self._tls
            if data and tls is not None and len(data) < self._block_size:
                data += self._drain_tls(tls, self._block_size - len(data))
            self.backlog = len(data) >= self._block_size
            return data
        except TimeoutError as exc:  # socket.timeout: the read timeout expired
            raise urllib3.exceptions.ReadTimeoutError(self._pool, None, "Read timed out.") from exc
        except ssl.SSLError as exc:
            raise urllib3.exceptions.SSLError(exc) from exc
        except (OSError, ValueError) as exc:  # ValueError: the file was closed under the read
            raise urllib3.exceptions.ProtocolError(f"Connection broken: {exc!r}", exc) from exc

    def _drain_tls(self, tls: ssl.SSLSocket, budget: int) -> bytes:
        """The TLS records that have already arrived, without waiting for more.

        An SSL read returns the data of one TLS record at most, and the API server sends each
        chunk (event) in a record of its own: without this, a read would still get one event.
        The socket is made non-blocking meanwhile, so a partly arrived record (kept by OpenSSL
        for the next read) or a record without application data ends the drain instead of
        blocking with data in hand.
        """
        parts: list[bytes] = []
        timeout = tls.gettimeout()
        tls.settimeout(0.0)
        try:
            while budget > 0:
                try:
                    data = self._reader.read1(budget)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    break
                if not data:  # the peer closed (or a plain EAGAIN): the next read tells
                    break
                parts.append(data)
                budget -= len(data)
        finally:
            tls.settimeout(timeout)
        return b"".join(parts)


def dechunked_body(response: urllib3.HTTPResponse, block_size: int) -> DechunkedBody | None:
    """A `DechunkedBody` for `response` (headers read, body not yet), or None when its body
    must be read through urllib3: not chunked, content-encoded (gzip), already partly read, or
    urllib3/http.client internals other than the ones this was written against (urllib3 2.x
    over http.client, a plain or TLS socket; not TLS in TLS through a proxy)."""
    encoding = response.headers.get("content-encoding", "")
    if not response.chunked or encoding.strip().lower() not in ("", "identity"):
        return None
    # urllib3's own state: nothing read yet, nothing decoded or half-read in a chunk.
    original = getattr(response, "_fp", None)
    if (
        getattr(response, "_fp_bytes_read", None) != 0
        or getattr(response, "chunk_left", 0) is not None
        or len(getattr(response, "_decoded_buffer", b"x")) != 0
        or not isinstance(original, http.client.HTTPResponse)
        or original.chunked is not True
    ):
        return None
    reader = original.fp
    raw = getattr(reader, "raw", None)
    sock = getattr(raw, "_sock", None)
    if not isinstance(reader, io.BufferedReader) or not isinstance(sock, socket.socket):
        return None
    # http.client reads the size line of a chunk before any of its data: `chunk_left` None at a
    # chunk boundary, else the data (and CRLF) of the current chunk left to read.
    chunk_left = original.chunk_left
    if chunk_left is not None and not (isinstance(chunk_left, int) and chunk_left >= 0):
        return None
    tls = sock if isinstance(sock, ssl.SSLSocket) else None
    pool = getattr(response, "_pool", None)
    return DechunkedBody(reader, tls, ChunkedDecoder(chunk_left), block_size, pool)
