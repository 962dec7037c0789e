"""DechunkedBody / dechunked_body: a chunked response read from its socket (plain and TLS)
through the real urllib3 client, against a scripted socket server that writes every event as
its own chunk in its own write (as kube-apiserver does)."""

from __future__ import annotations

import gzip
import socket
import ssl
import threading
from collections.abc import Callable, Iterator

import pytest
import urllib3

from ktui.cluster.transport import abort_response, dechunked_body
from ktui.sim.server import tls_files

N = 100
EVENTS = [b'{"type":"ADDED","object":{"n":%d}}\n' % i for i in range(N)]
CHUNKED_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
)
BLOCK = 1024 * 1024

Script = Callable[[socket.socket], None]


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class OneShotServer:
    """Accepts one connection, reads the request head, runs `script` on the socket, then holds
    the connection open until the test ends (a clean end must not depend on EOF)."""

    def __init__(self, script: Script, *, tls: bool = False) -> None:
        self.script = script
        self.done = threading.Event()
        self.closing = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.context: ssl.SSLContext | None = None
        self.ca_file: str | None = None
        if tls:
            files = tls_files()
            if files is None:
                pytest.skip("no openssl: no certificate for a TLS server")
            self.ca_file = files[0]
            self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.context.load_cert_chain(*files)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        scheme = "https" if self.context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}/watch"

    def _serve(self) -> None:
        conn, _ = self._listener.accept()
        try:
            if self.context is not None:
                conn = self.context.wrap_socket(conn, server_side=True)
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(4096)
                if not data:
                    return
                head += data
            self.script(conn)
            self.done.set()
            self.closing.wait(30)
        except OSError:
            pass
        finally:
            self.done.set()
            conn.close()

    def close(self) -> None:
        self.closing.set()
        self._listener.close()
        self._thread.join(5)


@pytest.fixture
def serve() -> Iterator[Callable[..., OneShotServer]]:
    servers: list[OneShotServer] = []

    def start(script: Script, *, tls: bool = False) -> OneShotServer:
        server = OneShotServer(script, tls=tls)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def request(server: OneShotServer, read_timeout: float = 10.0) -> urllib3.HTTPResponse:
    pool = urllib3.PoolManager(ca_certs=server.ca_file, retries=False)
    response = pool.request(
        "GET",
        server.url,
        preload_content=False,
        timeout=urllib3.Timeout(connect=5.0, read=read_timeout),
    )
    assert isinstance(response, urllib3.HTTPResponse)
    return response


def one_event_per_write(conn: socket.socket) -> None:
    conn.sendall(CHUNKED_HEAD + b"\r\n")
    for event in EVENTS:
        conn.sendall(chunk(event))
    conn.sendall(b"0\r\n\r\n")


def read_all(read: Callable[[], bytes]) -> tuple[bytes, int]:
    """The whole body and the number of reads it took."""
    parts: list[bytes] = []
    reads = 0
    while True:
        data = read()
        reads += 1
        if not data:
            return b"".join(parts), reads - 1
        parts.append(data)


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_events_in_separate_chunks_and_writes_are_read_together(
    serve: Callable[..., OneShotServer], tls: bool
) -> None:
    server = serve(one_event_per_write, tls=tls)
    response = request(server)
    body = dechunked_body(response, BLOCK)
    assert body is not None
    assert server.done.wait(10)  # everything was written before the first read
    data, reads = read_all(body.read)
    assert data == b"".join(EVENTS)
    assert body.ended
    # One chunk per event, one write (one TLS record) per chunk: urllib3's read1 would need N
    # reads; what had arrived is read at once.
    assert reads < N // 2, reads
    response.close()


def test_urllib3_read1_returns_one_chunk_per_call(serve: Callable[..., OneShotServer]) -> None:
    # Why DechunkedBody exists: the control for the test above.
    server = serve(one_event_per_write)
    response = request(server)
    assert server.done.wait(10)
    data, reads = read_all(lambda: response.read1(BLOCK))
    assert data == b"".join(EVENTS)
    assert reads == N


def test_body_bytes_read_with_the_headers_are_not_lost(
    serve: Callable[..., OneShotServer],
) -> None:
    # Headers and the first chunks in one write: http.client's buffer holds part of the body.
    def script(conn: socket.socket) -> None:
        conn.sendall(CHUNKED_HEAD + b"\r\n" + b"".join(chunk(e) for e in EVENTS[:3]))
        conn.sendall(b"".join(chunk(e) for e in EVENTS[3:]) + b"0\r\n\r\n")

    server = serve(script)
    response = request(server)
    body = dechunked_body(response, BLOCK)
    assert body is not None
    data, _ = read_all(body.read)
    assert data == b"".join(EVENTS)


def test_a_chunk_http_client_already_started_is_continued(
    serve: Callable[..., OneShotServer],
) -> None:
    server = serve(one_event_per_write)
    response = request(server)
    original = response._fp
    assert original is not None
    start = original.read(5)  # through http.client: it now holds the rest of chunk 1
    assert original.chunk_left == len(EVENTS[0]) - 5
    body = dechunked_body(response, BLOCK)
    assert body is not None
    data, _ = read_all(body.read)
    assert start + data == b"".join(EVENTS)


def test_a_silent_stream_times_out_as_urllib3_does(serve: Callable[..., OneShotServer]) -> None:
    server = serve(lambda conn: conn.sendall(CHUNKED_HEAD + b"\r\n" + chunk(EVENTS[0])))
    response = request(server, read_timeout=0.2)
    body = dechunked_body(response, BLOCK)
    assert body is not None
    assert body.read() == EVENTS[0]
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        body.read()


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param(b"", id="closed at a chunk boundary"),
        pytest.param(b"40\r\n{", id="closed inside a chunk"),
        pytest.param(b"zz\r\n", id="malformed size"),
    ],
)
def test_a_broken_stream_is_a_protocol_error(
    serve: Callable[..., OneShotServer], tail: bytes
) -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(CHUNKED_HEAD + b"\r\n" + chunk(EVENTS[0]) + tail)
        conn.shutdown(socket.SHUT_WR)

    server = serve(script)
    response = request(server)
    body = dechunked_body(response, BLOCK)
    assert body is not None
    received = b""
    with pytest.raises(urllib3.exceptions.ProtocolError):
        while True:
            received += body.read()
    assert received.startswith(EVENTS[0])
    assert not body.ended


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_abort_from_another_thread_ends_a_blocked_read(
    serve: Callable[..., OneShotServer], tls: bool
) -> None:
    server = serve(lambda conn: conn.sendall(CHUNKED_HEAD + b"\r\n"), tls=tls)
    response = request(server)
    body = dechunked_body(response, BLOCK)
    assert body is not None
    outcome: list[BaseException | bytes] = []
    returned = threading.Event()

    def reader() -> None:
        try:
            outcome.append(body.read())
        except BaseException as exc:
            outcome.append(exc)
        returned.set()

    threading.Thread(target=reader, daemon=True).start()
    assert server.done.wait(10)
    assert not returned.wait(0.1)  # blocked on the silent stream
    abort_response(response)
    assert returned.wait(10)
    assert isinstance(outcome[0], urllib3.exceptions.ProtocolError), outcome
    response.close()


def test_other_bodies_are_left_to_urllib3(serve: Callable[..., OneShotServer]) -> None:
    payload = b"".join(EVENTS)
    scripts: list[Script] = [
        # Content-Length
        lambda conn: conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(payload), payload)
        ),
        # close-delimited
        lambda conn: conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + payload),
        # chunked but compressed
        lambda conn: conn.sendall(
            CHUNKED_HEAD + b"Content-Encoding: gzip\r\n\r\n" + chunk(gzip.compress(payload))
        ),
    ]
    for script in scripts:
        server = serve(script)
        response = request(server)
        assert dechunked_body(response, BLOCK) is None
        response.close()


def test_a_body_urllib3_started_reading_is_left_to_it(
    serve: Callable[..., OneShotServer],
) -> None:
    server = serve(one_event_per_write)
    response = request(server)
    assert response.read1(5) == EVENTS[0][:5]
    assert dechunked_body(response, BLOCK) is None
    response.close()


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_a_small_block_cuts_chunks_anywhere_and_says_more_is_waiting(
    serve: Callable[..., OneShotServer], tls: bool
) -> None:
    server = serve(one_event_per_write, tls=tls)
    response = request(server)
    body = dechunked_body(response, 50)
    assert body is not None
    assert server.done.wait(10)
    # The first read may get only what was buffered with the headers (less than a block);
    # once the socket is read, everything has arrived and a read fills its block.
    parts: list[bytes] = []
    backlogs: list[bool] = []
    while data := body.read():
        parts.append(data)
        backlogs.append(body.backlog)
    assert any(backlogs)  # a full block: the reader must not wait before the next read
    assert len(parts) > 1  # the block size cut the body
    assert b"".join(parts) == b"".join(EVENTS)
