"""A TCP proxy on 127.0.0.1 for fault injection between a client and an API server.

    with FaultProxy(sim.port) as proxy:          # forwards 127.0.0.1:proxy.port -> sim.port
        client = api_client_for(proxy.url)
        proxy.cut()        # reset every connection; new ones are reset at once
        proxy.silence()    # stop forwarding (both ways, new connections too); sockets stay open
        proxy.resume()     # forward again (what silence held back flows on)
        proxy.inject(403, "/apis/apps/v1/deployments")   # answer matching requests itself
        proxy.inject(0, "/api/v1/namespaces/default/pods/p")  # reset them, answering nothing
        proxy.clear_injections()

`silence()` is a frozen server (SIGSTOP) or a link that silently drops everything: nothing is
reset or closed, reads on the client just wait. `cut()` is a dead server or a broken link the
client is told about. `inject()` needs plain HTTP (`inspect=True`, the default): the proxy
parses each request head (clients do not pipeline) and, for a request whose path starts with the
prefix, sends the response itself (a Status body) and closes the connection; TLS is passed
through uninspected (`inspect=False`) and cannot be injected into.

Counters (`accepted`, `refused`, `injected`) are for assertions on what happened, not timing.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from dataclasses import dataclass
from typing import Final

_REASONS: Final = {
    401: ("Unauthorized", "Unauthorized"),
    403: ("Forbidden", "Forbidden"),
    404: ("Not Found", "NotFound"),
    410: ("Gone", "Expired"),
    429: ("Too Many Requests", "TooManyRequests"),
    500: ("Internal Server Error", "InternalError"),
    503: ("Service Unavailable", "ServiceUnavailable"),
    504: ("Gateway Timeout", "Timeout"),
}


@dataclass
class _Injection:
    status: int
    prefix: str
    method: str | None
    remaining: int | None
    message: str


class FaultProxy:
    """See the module docstring."""

    def __init__(self, target_port: int, *, scheme: str = "http", inspect: bool = True) -> None:
        self._target = ("127.0.0.1", target_port)
        self.scheme = scheme
        self._inspect = inspect and scheme == "http"
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open = True
        self._closed = False
        self._flowing = threading.Event()
        self._flowing.set()
        self._sockets: set[socket.socket] = set()
        self._injections: list[_Injection] = []
        self.accepted = 0
        self.refused = 0
        self.injected = 0
        self._thread = threading.Thread(target=self._accept_loop, name="fault-proxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    # -- faults ----------------------------------------------------------------------------

    def cut(self) -> None:
        """Reset every forwarded connection; refuse (reset) new ones until `resume()`."""
        with self._lock:
            self._open = False
            victims = list(self._sockets)
        for s in victims:
            # RST, not FIN; the pumps close the sockets once both of them are out.
            with contextlib.suppress(OSError):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def silence(self) -> None:
        """Stop forwarding in both directions, keeping every socket open; new connections are
        accepted and left waiting. A frozen server, a black-holed link."""
        self._flowing.clear()

    def resume(self) -> None:
        """Undo `cut()` and `silence()`."""
        with self._lock:
            self._open = True
        self._flowing.set()

    heal = resume

    def inject(
        self,
        status: int,
        path_prefix: str,
        *,
        method: str | None = "GET",
        count: int | None = None,
        message: str | None = None,
    ) -> None:
        """Answer requests whose path (without the query) starts with `path_prefix` with
        `status` and a Status body (at most `count` times; None: until cleared). Status 0
        answers nothing: the request's connection is reset, the link broken for it alone."""
        if not self._inspect:
            raise RuntimeError("injection needs plain HTTP (inspect=True, scheme='http')")
        text = message or f"injected by the fault proxy: {status}"
        with self._lock:
            self._injections.append(_Injection(status, path_prefix, method, count, text))

    def clear_injections(self) -> None:
        with self._lock:
            self._injections.clear()

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.cut()
        self._flowing.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- forwarding ------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._closed:
                    client.close()
                    return
                if not self._open:
                    self.refused += 1
                    _reset(client)
                    continue
                # Registered before the upstream exists, so a cut() from now on reaches it.
                self._sockets.add(client)
                self.accepted += 1
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self._flowing.wait()
        try:
            upstream = socket.create_connection(self._target, timeout=5)
        except OSError:
            self._forget(client)
            _reset(client)
            return
        upstream.settimeout(None)
        with self._lock:
            if not self._open or self._closed:
                upstream.close()
                self._sockets.discard(client)
                _reset(client)
                return
            self._sockets.add(upstream)
        done = threading.Barrier(2, action=lambda: self._close_pair(client, upstream))
        request_pump = self._pump_requests if self._inspect else self._pump
        threading.Thread(target=request_pump, args=(client, upstream, done), daemon=True).start()
        threading.Thread(target=self._pump, args=(upstream, client, done), daemon=True).start()

    def _send(self, dst: socket.socket, data: bytes) -> None:
        self._flowing.wait()
        dst.sendall(data)

    def _pump(self, src: socket.socket, dst: socket.socket, done: threading.Barrier) -> None:
        try:
            while data := src.recv(65536):
                self._send(dst, data)
        except OSError:
            pass
        finally:
            self._end(src, dst, done)

    def _pump_requests(
        self, src: socket.socket, dst: socket.socket, done: threading.Barrier
    ) -> None:
        """Forward HTTP requests one by one, answering the injected ones itself."""
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = src.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                method, path, length, chunked = _parse_head(head)
                injection = self._take_injection(method, path)
                if injection is not None:
                    self._flowing.wait()
                    if injection.status == 0:
                        _reset(src)
                        return
                    src.sendall(_response(injection))
                    return
                self._send(dst, head + b"\r\n\r\n")
                if chunked:  # not parsed: forward the rest of the connection as it comes
                    if buffer:
                        self._send(dst, buffer)
                    while data := src.recv(65536):
                        self._send(dst, data)
                    return
                while length > 0:
                    if not buffer:
                        buffer = src.recv(65536)
                        if not buffer:
                            return
                    part, buffer = buffer[:length], buffer[length:]
                    self._send(dst, part)
                    length -= len(part)
        except OSError:
            pass
        finally:
            self._end(src, dst, done)

    def _take_injection(self, method: str, path: str) -> _Injection | None:
        with self._lock:
            for injection in self._injections:
                if injection.method is not None and injection.method != method:
                    continue
                if not path.split("?", 1)[0].startswith(injection.prefix):
                    continue
                if injection.remaining is not None:
                    injection.remaining -= 1
                    if injection.remaining <= 0:
                        self._injections.remove(injection)
                self.injected += 1
                return injection
        return None

    @staticmethod
    def _end(src: socket.socket, dst: socket.socket, done: threading.Barrier) -> None:
        # Either side ending ends the pair: wake the other pump, close once both are out.
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(threading.BrokenBarrierError):
            done.wait(timeout=30)

    def _close_pair(self, a: socket.socket, b: socket.socket) -> None:
        self._forget(a)
        self._forget(b)
        a.close()
        b.close()

    def _forget(self, s: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(s)


def _parse_head(head: bytes) -> tuple[str, str, int, bool]:
    """(method, path, Content-Length, chunked) of a request head."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    method, path = (parts[0], parts[1]) if len(parts) >= 2 else ("", "")
    length, chunked = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip() or 0)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    return method, path, length, chunked


def _response(injection: _Injection) -> bytes:
    phrase, reason = _REASONS.get(injection.status, ("Error", "Unknown"))
    body = json.dumps(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": injection.message,
            "reason": reason,
            "code": injection.status,
        }
    ).encode()
    head = (
        f"HTTP/1.1 {injection.status} {phrase}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


def _reset(s: socket.socket) -> None:
    """Close with RST (linger 0), the way a dead peer looks to the client."""
    with contextlib.suppress(OSError):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
