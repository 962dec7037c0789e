"""Parsing of the API server's watch stream and list responses into plain dicts.

A watch response is a stream of JSON documents, one per line (`{"type": ..., "object": ...}`),
delivered in chunks whose boundaries have nothing to do with the lines. Every line is parsed once
with `json.loads` and the resulting dict is kept as the cached object (no model objects, no
copies); `metadata.managedFields` is dropped on arrival because it is large and never shown, and
then the object is cut down to what the cache keeps of it (`ktui.view.slim.slim_object`, unless
the caller asks for whole objects with `slim=False`).
Malformed input (a bad JSON line, an object without a uid) is skipped with a one-line warning so
that one bad object cannot stop a watch.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal

from ktui.gc_pacer import collector_paused
from ktui.view.slim import slim_object

log = logging.getLogger(__name__)

EventType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]
EVENT_TYPES: Final[frozenset[str]] = frozenset(
    {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"}
)
# Longer lines are cut in warnings: a broken 2 MB line must not become a 2 MB log record.
_SNIPPET_LENGTH: Final = 80


@dataclass(frozen=True, slots=True)
class WatchEvent:
    type: EventType
    object: dict[str, Any]
    """The object (ADDED/MODIFIED/DELETED/BOOKMARK) or the Status (ERROR), as parsed."""


class LineSplitter:
    """Reassembles newline-terminated lines from chunks cut at arbitrary byte positions."""

    __slots__ = ("_partial",)

    def __init__(self) -> None:
        self._partial = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        """The complete lines `chunk` finishes (without their newline), in order."""
        if not chunk:
            return []
        if b"\n" not in chunk:
            self._partial += chunk
            return []
        lines = chunk.split(b"\n")
        if self._partial:
            lines[0] = self._partial + lines[0]
        self._partial = lines.pop()
        return lines

    def finish(self) -> bytes:
        """What is left after the last newline: a last line the server did not terminate."""
        rest, self._partial = self._partial, b""
        return rest


def iter_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Non-empty lines of a chunked byte stream, including an unterminated last line."""
    splitter = LineSplitter()
    for chunk in chunks:
        for line in splitter.feed(chunk):
            if line.strip():
                yield line
    rest = splitter.finish()
    if rest.strip():
        yield rest


def _snippet(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET_LENGTH else text[:_SNIPPET_LENGTH] + "…"


def object_uid(obj: object) -> str | None:
    """`metadata.uid` of an object, or None when `obj` is not an object with a uid."""
    if not isinstance(obj, dict):
        return None
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return None
    uid = metadata.get("uid")
    return uid if isinstance(uid, str) and uid else None


def resource_version_of(obj: dict[str, Any]) -> str:
    """`metadata.resourceVersion` of a parsed object ("" when absent)."""
    metadata = obj.get("metadata")
    if isinstance(metadata, dict):
        version = metadata.get("resourceVersion")
        if isinstance(version, str):
            return version
    return ""


def prepare_object(
    obj: object, *, what: str, slim: bool = True
) -> tuple[str, dict[str, Any]] | None:
    """(uid, object to cache) or None (with a warning) when `obj` is unusable.

    Mutates `obj` in place (drops `metadata.managedFields`): the dict was just parsed and is
    owned by the caller, so no copy is needed. With `slim`, the object returned is
    `slim_object(obj)` (its `kind` must be filled in by then).
    """
    uid = object_uid(obj)
    if uid is None:
        log.warning("skipping malformed %s: no metadata.uid: %s", what, _snippet(repr(obj)))
        return None
    assert isinstance(obj, dict)
    obj["metadata"].pop("managedFields", None)
    return uid, slim_object(obj) if slim else obj


def parse_watch_line(line: bytes, *, slim: bool = True) -> WatchEvent | None:
    """The event one watch line holds, or None (with a warning) when the line is malformed.

    Objects of ADDED/MODIFIED/DELETED events are checked for a uid, stripped of managedFields
    and (with `slim`) cut down by `slim_object`; BOOKMARK objects carry only
    metadata.resourceVersion and ERROR objects are a Status, so those are returned as parsed.
    """
    try:
        document = json.loads(line)
    except ValueError as exc:
        log.warning("skipping malformed watch line (%s): %s", exc, _snippet(line))
        return None
    if not isinstance(document, dict):
        log.warning("skipping watch line that is not a JSON object: %s", _snippet(line))
        return None
    event_type = document.get("type")
    payload = document.get("object")
    if event_type not in EVENT_TYPES or not isinstance(payload, dict):
        log.warning("skipping watch event of unknown shape: %s", _snippet(line))
        return None
    if event_type in ("ADDED", "MODIFIED", "DELETED"):
        prepared = prepare_object(payload, what=f"{event_type} event object", slim=slim)
        if prepared is None:
            return None
        payload = prepared[1]
    return WatchEvent(event_type, payload)


def status_code(status: dict[str, Any]) -> int:
    """The HTTP code of a Status object (an ERROR event's object); 0 when it has none."""
    code = status.get("code")
    if isinstance(code, int):
        return code
    # Some proxies and old servers send only the reason.
    reason = status.get("reason")
    if reason in ("Expired", "Gone"):
        return 410
    return 0


def status_message(status: dict[str, Any]) -> str:
    message = status.get("message")
    if isinstance(message, str) and message:
        return message
    reason = status.get("reason")
    return reason if isinstance(reason, str) else ""


@dataclass(frozen=True, slots=True)
class ListPage:
    items: list[tuple[str, dict[str, Any]]]
    """(uid, object) of every usable item, kind/apiVersion filled in, managedFields dropped
    (and slimmed, unless parsed with `slim=False`)."""
    resource_version: str
    continue_token: str
    remaining: int | None = None
    """The list's `remainingItemCount`: items after this page, when the server says."""


def parse_list_page(body: bytes, *, kind: str, api_version: str, slim: bool = True) -> ListPage:
    """One page of a list response; ValueError when the body is not a list at all.

    List items carry no `kind`/`apiVersion` (only the list does); they are filled in so that an
    object from a list looks the same as the same object from a watch event.
    """
    with collector_paused():
        return _parse_list_page(body, kind=kind, api_version=api_version, slim=slim)


def _parse_list_page(body: bytes, *, kind: str, api_version: str, slim: bool) -> ListPage:
    document = json.loads(body)
    if not isinstance(document, dict) or not isinstance(document.get("items", []), list):
        raise ValueError(f"list response for {kind} is not a list: {_snippet(body)}")
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    items: list[tuple[str, dict[str, Any]]] = []
    for raw in document.get("items") or ():
        if isinstance(raw, dict):
            raw.setdefault("kind", kind)
            raw.setdefault("apiVersion", api_version)
        prepared = prepare_object(raw, what=f"{kind} list item", slim=slim)
        if prepared is not None:
            items.append(prepared)
    version = metadata.get("resourceVersion")
    token = metadata.get("continue")
    remaining = metadata.get("remainingItemCount")
    return ListPage(
        items=items,
        resource_version=version if isinstance(version, str) else "",
        continue_token=token if isinstance(token, str) else "",
        remaining=remaining if isinstance(remaining, int) and remaining >= 0 else None,
    )


_MAX_CHUNK_LINE: Final = 64 * 1024
"""Longest chunk-size or trailer line accepted (http.client's _MAXLINE)."""
_MAX_SIZE_DIGITS: Final = 16
"""Hex digits of a chunk size: 16 is 2^64 bytes, more is garbage, not a size."""
_HEX_DIGITS: Final = frozenset(b"0123456789abcdefABCDEF")

# ChunkedDecoder states.
_SIZE: Final = 0  # reading a chunk-size line
_DATA: Final = 1  # reading a chunk's data (`_left` bytes to go)
_DATA_END: Final = 2  # reading the CRLF after a chunk's data
_TRAILER: Final = 3  # after the last-chunk: trailer lines until an empty one
_DONE: Final = 4
_BROKEN: Final = 5  # after malformed framing


class ChunkedFramingError(ValueError):
    """Malformed chunked framing; `decoded` is the body that the same feed carried before the
    fault (whole chunks that arrived intact are not lost with it)."""

    def __init__(self, message: str, decoded: bytes = b"") -> None:
        super().__init__(message)
        self.decoded = decoded


class ChunkedDecoder:
    """Decodes an HTTP/1.1 `Transfer-Encoding: chunked` body fed in pieces cut anywhere.

    kube-apiserver sends every watch event in its own chunk; reading the socket through
    http.client returns at most one chunk per call, so a watch thread that wants to wake once
    for everything that arrived reads the raw bytes itself and de-chunks them here.

    `feed(data)` returns the body bytes `data` completes (possibly b""); `ended` turns true at
    the last-chunk (size 0), the end of the body; `complete` once the trailer section after it
    was read too. Chunk extensions (`;name=value`) and trailer fields are skipped. Lines may end
    with CRLF or a bare LF (as http.client accepts). Malformed framing raises ValueError: the
    stream is out of step and nothing after that point can be trusted.

    `chunk_left` starts the decoder inside a chunk, for a stream of which someone (http.client)
    already read the size line: None at a chunk boundary (the default), 0 when only the CRLF
    after the current chunk's data is left, n > 0 for n data bytes and that CRLF.
    """

    __slots__ = ("_left", "_line", "_state")

    def __init__(self, chunk_left: int | None = None) -> None:
        if chunk_left is not None and chunk_left < 0:
            raise ValueError(f"negative chunk_left: {chunk_left}")
        self._line = b""
        """The start of a line (size, CRLF after data, trailer) cut by the end of a feed."""
        if chunk_left is None:
            self._state, self._left = _SIZE, 0
        elif chunk_left == 0:
            self._state, self._left = _DATA_END, 0
        else:
            self._state, self._left = _DATA, chunk_left

    @property
    def ended(self) -> bool:
        """The last-chunk arrived: the body is complete (trailers may follow)."""
        return self._state == _TRAILER or self._state == _DONE

    @property
    def complete(self) -> bool:
        """The last-chunk and the trailer section's closing empty line arrived."""
        return self._state == _DONE

    def feed(self, data: bytes) -> bytes:
        """The body bytes `data` carries, in order; `ChunkedFramingError` on malformed framing
        (and on every feed after it)."""
        parts: list[memoryview] = []
        try:
            self._feed(data, parts)
        except ValueError as exc:
            self._state = _BROKEN
            raise ChunkedFramingError(str(exc), b"".join(parts)) from None
        return b"".join(parts)

    def _feed(self, data: bytes, parts: list[memoryview]) -> None:
        view = memoryview(data)
        pos, end = 0, len(data)
        while pos < end:
            state = self._state
            if state == _DATA:
                take = min(self._left, end - pos)
                parts.append(view[pos : pos + take])
                pos += take
                self._left -= take
                if not self._left:
                    self._state = _DATA_END
                continue
            if state == _DONE:
                raise ValueError("data after the end of the chunked body")
            if state == _BROKEN:
                raise ValueError("the chunked stream is out of step after an earlier error")
            # Lines: the CRLF after data is a line that must be empty (at most "\r\n").
            limit = 2 if state == _DATA_END else _MAX_CHUNK_LINE
            line, pos = self._take_line(data, pos, limit)
            if line is None:
                break
            if state == _SIZE:
                size = _chunk_size(line)
                if size:
                    self._state, self._left = _DATA, size
                else:
                    self._state = _TRAILER
            elif state == _DATA_END:
                if line:
                    raise ValueError(f"no CRLF after chunk data: {line[:20]!r}")
                self._state = _SIZE
            elif not line:  # _TRAILER: an empty line ends the trailer section
                self._state = _DONE

    def _take_line(self, data: bytes, pos: int, limit: int) -> tuple[bytes | None, int]:
        """(the line at `pos` without its line end, the position after it), or (None,
        len(data)) when the line goes on past `data` (its start is kept for the next feed)."""
        # Looking no further than the longest valid line (plus CR LF) bounds the work on a
        # stream that is out of step.
        room = limit + 2 - len(self._line)
        stop = min(len(data), pos + room)
        newline = data.find(b"\n", pos, stop)
        if newline < 0:
            if stop < len(data):
                start = (self._line + data[pos : pos + 40])[:40]
                raise ValueError(f"chunk framing line too long: {start!r}")
            self._line += data[pos:]
            return None, len(data)
        line = self._line + data[pos:newline] if self._line else data[pos:newline]
        self._line = b""
        if line.endswith(b"\r"):
            line = line[:-1]
        if len(line) > limit:
            raise ValueError(f"chunk framing line too long: {line[:40]!r}")
        return line, newline + 1


def _chunk_size(line: bytes) -> int:
    """The size a chunk-size line gives (extensions after ';' ignored); ValueError if none."""
    digits = line.split(b";", 1)[0].strip(b" \t")
    if not digits or len(digits) > _MAX_SIZE_DIGITS or not _HEX_DIGITS.issuperset(digits):
        raise ValueError(f"malformed chunk size line: {line[:40]!r}")
    return int(digits, 16)
