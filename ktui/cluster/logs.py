"""Container logs, streamed live from the API server's pods/log endpoint (headless).

A `LogStream` reads one container's log on the calling thread (a worker): one GET with
`timestamps=true` (and `follow=true` unless it reads a finished log) through the one HTTP
transport, the body read as it arrives with a read timeout. It delivers `LogChunk`s (parsed
`LogLine`s, then one end chunk with an error message when it failed) to a callback, on its own
thread. `stop()` from any thread shuts the socket down, so a read blocked on a quiet container
returns at once. A follow stream that stays silent longer than the read timeout is opened again
from where it was (`sinceSeconds`, with lines already delivered skipped by their timestamps), so
a dead connection is noticed without losing or repeating lines.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

import urllib3
from kubernetes.client.exceptions import ApiException

from ktui.cluster.errors import describe_api_error
from ktui.cluster.transport import abort_response, open_request
from ktui.cluster.watch import LineSplitter

__all__ = [
    "CONNECT_TIMEOUT_S",
    "INITIAL_TAIL_LINES",
    "READ_TIMEOUT_S",
    "LogChunk",
    "LogLine",
    "LogRequest",
    "LogStream",
    "TimestampKey",
    "parse_line",
    "timestamp_key",
]

INITIAL_TAIL_LINES: Final = 1000
CONNECT_TIMEOUT_S: Final = 10.0
READ_TIMEOUT_S: Final = 60.0
_READ_SIZE: Final = 64 * 1024

_TIMESTAMP = re.compile(
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$"
)

TimestampKey = tuple[float, int]
"""(whole seconds since the epoch, nanoseconds): log timestamps carry up to nine digits."""


def timestamp_key(value: str) -> TimestampKey | None:
    """Order key of an RFC 3339 timestamp as the kubelet writes it (RFC3339Nano, trailing zeros
    trimmed, so the strings do not sort as text); None when `value` is not one."""
    match = _TIMESTAMP.match(value)
    if match is None:
        return None
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    try:
        moment = datetime.fromisoformat(match.group(1) + zone)
    except ValueError:
        return None
    nanos = int((match.group(2) or "0").ljust(9, "0"))
    return (moment.timestamp(), nanos)


@dataclass(slots=True)
class LogLine:
    """One log line: its text, the `[container]` tag it is shown with (None: no tag), and the
    kubelet's timestamp with its order key when the line had one."""

    text: str
    container: str | None = None
    timestamp: str | None = None
    key: TimestampKey | None = None


def parse_line(raw: bytes, container: str | None) -> LogLine:
    """A line as the API sends it with `timestamps=true`: "<RFC 3339 time> <text>"."""
    text = raw.decode("utf-8", "replace").rstrip("\r")
    head, space, rest = text.partition(" ")
    key = timestamp_key(head) if space else None
    if key is None:
        return LogLine(text, container)
    return LogLine(rest, container, head, key)


# ------------------------------------------------------------------------------- the stream


@dataclass(frozen=True)
class LogRequest:
    """Which log to read and how: `previous` is the container's last terminated run, `follow`
    keeps the stream open for new lines, `tail_lines` starts that many lines from the end,
    `since_seconds` (in its place) with the lines of that many last seconds."""

    namespace: str
    pod: str
    container: str
    previous: bool = False
    follow: bool = True
    tail_lines: int | None = INITIAL_TAIL_LINES
    limit_bytes: int | None = None
    """`limitBytes`: the server stops after about this many bytes (None: no limit)."""
    since_seconds: int | None = None
    """`sinceSeconds`: the lines of the last that many seconds (a time range) in place of
    `tailLines`; a reopened follow stream asks for less (`query`)."""

    @property
    def path(self) -> str:
        """The pod's log subresource: /api/v1/namespaces/<ns>/pods/<pod>/log."""
        return (
            f"/api/v1/namespaces/{quote(self.namespace, safe='')}/pods/"
            f"{quote(self.pod, safe='')}/log"
        )

    def query(self, since_seconds: int | None = None) -> list[tuple[str, str]]:
        """The query of one GET, in the order `kubectl logs` (CoreV1Api) sends it. Lines always
        carry timestamps (they order interleaved containers and resume a reopened stream);
        `since_seconds` (a reopened follow stream; else the request's own) replaces `tailLines`."""
        if since_seconds is None:
            since_seconds = self.since_seconds
        query = [
            ("container", self.container),
            ("follow", _flag(self.follow)),
        ]
        if self.limit_bytes is not None:
            query.append(("limitBytes", str(self.limit_bytes)))
        query.append(("previous", _flag(self.previous)))
        if since_seconds is not None:
            query.append(("sinceSeconds", str(since_seconds)))
        elif self.tail_lines is not None:
            query.append(("tailLines", str(self.tail_lines)))
        query.append(("timestamps", "true"))
        return query


def _flag(value: bool) -> str:
    return "true" if value else "false"


@dataclass
class LogChunk:
    """What a stream delivers: lines, or its end (with an error message when it failed)."""

    stream: LogStream
    lines: list[LogLine] = field(default_factory=list)
    ended: bool = False
    error: str | None = None
    link_broken: bool = False
    """The stream ended on a broken or silent connection (reset, refused, timed out), not on
    an answer of the server: reading it again once the link works is likely to succeed."""


class LogStream:
    """One container's log, read on the calling thread until it ends or `stop()` is called."""

    def __init__(
        self,
        api_client: Any,
        request: LogRequest,
        sink: Callable[[LogChunk], None],
        *,
        tag: str | None = None,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        read_timeout: float = READ_TIMEOUT_S,
    ) -> None:
        self.api_client = api_client
        self.request = request
        self.sink = sink
        self.tag = tag
        """The `[container]` prefix of its lines (all-containers mode), else None."""
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.reconnects = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._response: urllib3.HTTPResponse | None = None
        self._last_key: TimestampKey | None = None
        self._texts_at_last_key: set[str] = set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """From any thread: end the stream now (a blocked read returns at once)."""
        self._stop.set()
        with self._lock:
            response = self._response
        if response is not None:
            abort_response(response)

    def run(self) -> None:
        link_broken = False
        try:
            error = self._run()
        except Exception as exc:  # whatever happens, the screen gets one line, not a traceback
            error = None if self._stop.is_set() else describe_api_error(exc)
            link_broken = isinstance(exc, (urllib3.exceptions.HTTPError, OSError))
        if not self._stop.is_set():
            self.sink(LogChunk(self, ended=True, error=error, link_broken=link_broken))

    def _run(self) -> str | None:
        since_seconds: int | None = None
        opened_at = time.time()
        while not self._stop.is_set():
            try:
                response = self._open(since_seconds)
            except ApiException as exc:
                return describe_api_error(exc)
            with self._lock:
                self._response = response
            if self._stop.is_set():
                abort_response(response)
            try:
                self._consume(response)
                return None
            except urllib3.exceptions.ReadTimeoutError:
                if self._stop.is_set() or not self.request.follow:
                    raise
                # Silent for a whole read timeout: open it again from the last line shown.
                self.reconnects += 1
                last = self._last_key[0] if self._last_key else opened_at
                since_seconds = max(1, math.ceil(time.time() - last) + 1)
                opened_at = time.time()
            finally:
                with self._lock:
                    self._response = None
                response.close()
        return None

    def _open(self, since_seconds: int | None) -> urllib3.HTTPResponse:
        return open_request(
            self.api_client,
            "GET",
            self.request.path,
            self.request.query(since_seconds),
            timeout=(self.connect_timeout, self.read_timeout),
        )

    def _consume(self, response: urllib3.HTTPResponse) -> None:
        splitter = LineSplitter()
        while True:
            chunk = response.read1(_READ_SIZE)
            if self._stop.is_set():
                return
            raw_lines = splitter.feed(chunk) if chunk else [splitter.finish()]
            lines = self._fresh([parse_line(raw, self.tag) for raw in raw_lines if raw])
            if lines:
                self.sink(LogChunk(self, lines))
            if not chunk:
                return

    def _fresh(self, lines: list[LogLine]) -> list[LogLine]:
        """Drop lines shown before a reconnect; remember where the log is."""
        fresh = []
        for line in lines:
            key = line.key
            if key is not None and self._last_key is not None:
                if key < self._last_key:
                    continue
                if key == self._last_key and line.text in self._texts_at_last_key:
                    continue
            if key is not None:
                if key != self._last_key:
                    self._last_key = key
                    self._texts_at_last_key = set()
                self._texts_at_last_key.add(line.text)
            fresh.append(line)
        return fresh
