"""Live caches of cluster objects: one list+watch per kind, and the facade the UI uses.

Data flow: a `ResourceCache` thread per kind lists (paginated), then watches from the list's
resourceVersion; every change updates its dict (uid -> object: the parsed JSON cut down to what
the screens read by `ktui.view.slim.slim_object` in this thread, never copied afterwards) and goes
to a sink. `ClusterCache` is that sink: it keeps the `OwnershipIndex` current and
feeds a `ChangeBatcher`, which hands coalesced `ChangeBatch`es to the UI every `batch_interval`.

Reading a watch: each wake-up of the thread reads everything that has arrived and applies it
under one lock acquisition. kube-apiserver sends every event in its own HTTP chunk and
http.client returns one chunk per read, so a chunked watch body is read from the socket and
de-chunked by ktui (`DechunkedBody`; urllib3's `read1` for other bodies). A busy watch then waits
`watch_pace` (20 ms) before the next read so events gather: at most ~50 wake-ups a second,
each taking the GIL from the UI once, whatever the rate of change; a quiet watch's next event
is read at once.

Guarantees (what a consumer may rely on):
- Eventually equal to the server: after any doubt about the watch's continuity (a failed or
  broken request, a reconnect, an ERROR event in the stream, 410 Expired, 504 "too large
  resource version", a silence the bookmarks say should not happen, a `retry()`), the kind is
  listed again rather than resumed, and the list's difference is emitted: a delete for every
  cached object the server no longer has (a server restored or rebuilt on the same address
  leaves no ghosts), an upsert for every new or changed one, nothing for unchanged ones (a
  relist of an unchanged kind costs a list request and emits nothing). Only a watch the server
  ended cleanly (its `timeoutSeconds`) is resumed from its resourceVersion.
- Never stale while shown live without saying so: `CacheState.stale_since` is set on a LIVE
  kind whose watch has received nothing (event or bookmark) for longer than twice the bookmark
  interval observed so far (at least `stale_floor`, at most `watch_read_timeout`; no bookmarks
  seen means no expectation), or when `ClusterCache.probe()` (GET /version every
  `probe_interval` s on the health thread) gets no answer. A reconnecting phase that follows
  inherits that moment as its `since`: the outage is dated from the last sign of life.
- Every state change (phase, message, attempt, staleness) reaches the batcher (`touch_state`).
- `retry()` wakes every kind waiting after a failure (forbidden, error, reconnecting) at once.

Timeouts (why these numbers):
- A watch asks the server to end it after `timeoutSeconds` drawn from 240-300 s, so that many
  clients do not all re-watch at the same moment; a normal end is followed by a new watch from
  the last resourceVersion, without listing again.
- The client's read timeout on a watch is 90 s: kube-apiserver's watch cache sends a BOOKMARK
  about every minute on a watch with `allowWatchBookmarks=true` (and events whenever anything
  changes), so 90 s of silence means the connection is dead or the server sends no bookmarks
  (watch cache disabled). Without a read timeout a peer that vanished without a FIN would block
  the read forever (the client has no timeout by default). A silent watch on a server that sends
  no bookmarks is re-opened at once from its resourceVersion, without a state change; when
  bookmarks had been arriving, the silence is a fault: the kind is marked stale and listed
  again. A dead server makes that request fail, and the back-off and the reconnecting phase
  take over from there.
- Connect timeout 5 s; list pages are read with a 60 s read timeout.

Failures: lost connections and server restarts are retried with exponential back-off with full
jitter (0.5 s base, 30 s cap), listing again (see above); 410 Gone and 504 "too large resource
version" (on watch start or as an ERROR event) list again at once. 403 marks the kind forbidden,
401 marks it unauthorized (error phase): a permission does not appear by itself, so they are
retried only every `forbidden_retry` seconds (300 s by default), or at once on `retry()`: no
request storm. The first 401 in a row is the exception, retried after the usual back-off,
because the client may refresh an expired token by then. Other errors are retried with back-off.
"""

from __future__ import annotations

import functools
import http.client
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final, Protocol

import urllib3
from kubernetes.client.exceptions import ApiException

from ktui.cluster.batcher import Change, ChangeBatch, ChangeBatcher, Obj
from ktui.cluster.discovery import NOT_SERVED_MESSAGE, Discovery
from ktui.cluster.errors import describe_api_error
from ktui.cluster.kinds import ALL_KINDS, KindSpec, kind_spec
from ktui.cluster.ownership import OwnershipIndex
from ktui.cluster.state import CachePhase, CacheState, utc_now
from ktui.cluster.transport import (
    DechunkedBody,
    abort_response,
    dechunked_body,
    get_json,
    open_request,
    read_body,
)
from ktui.cluster.watch import (
    LineSplitter,
    parse_list_page,
    parse_watch_line,
    resource_version_of,
    status_code,
    status_message,
)

__all__ = [
    "Backoff",
    "CachePhase",
    "CacheState",
    "ChangeBatch",
    "ChangeSink",
    "ClusterCache",
    "ResourceCache",
    "WatchOptions",
    "relist_changes",
]

log = logging.getLogger(__name__)

_READ_SIZE: Final = 64 * 1024
_RAW_READ_SIZE: Final = 1024 * 1024
"""Most bytes of a chunked watch stream read (and then applied) in one wake-up."""
# A list whose continue token expired (410 while paging) is restarted at most this often in a row.
_MAX_LIST_RESTARTS: Final = 3
_TRANSPORT_ERRORS: Final = (urllib3.exceptions.HTTPError, OSError, http.client.HTTPException)


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off with full jitter: attempt n waits uniform(0, min(cap, base*2^(n-1)))."""

    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        if attempt <= 0:
            return 0.0
        ceiling = min(self.cap, self.base * 2 ** min(attempt - 1, 32))
        return rng.uniform(0.0, ceiling)


@dataclass(frozen=True)
class WatchOptions:
    """Tuning of a `ResourceCache`; the defaults are for real clusters, tests shorten them."""

    page_size: int = 500
    watch_timeout: tuple[int, int] = (240, 300)
    """Server-side `timeoutSeconds` of each watch, drawn uniformly from this range."""
    connect_timeout: float = 5.0
    watch_read_timeout: float = 90.0
    """Longest silence accepted on a watch; above the server's ~60 s bookmark interval."""
    list_read_timeout: float = 60.0
    backoff: Backoff = field(default_factory=Backoff)
    forbidden_retry: float | None = 300.0
    """Seconds between retries after 403/401 (None: only when `retry()` is called)."""
    min_watch_seconds: float = 1.0
    """A watch the server ends sooner than this counts as a failure (back-off), not a timeout."""
    join_timeout: float = 2.0
    stale_floor: float = 5.0
    """A LIVE watch silent for less than this is never called stale (see `CacheState.stale`)."""
    probe_interval: float | None = 10.0
    """Seconds between the `ClusterCache` health thread's probes (GET /version); None: none."""
    probe_timeout: float = 5.0
    """Connect and read timeout of one probe: no answer within it marks LIVE kinds stale."""
    health_tick: float = 1.0
    """How often the `ClusterCache` health thread checks the watches for silence."""
    seed: int | None = None
    """Seed of the jitter's random generator (tests); None draws from the OS."""
    slim: bool = True
    """Keep only what the screens read of each object (`ktui.view.slim.slim_object`); False
    keeps whole objects (managedFields aside), for tools that compare them with the server."""
    watch_pace: float = 0.02
    """Seconds a busy watch waits between reads so that events gather and are applied together
    (one wake-up of the watch thread, one lock acquisition, instead of one per event); a watch
    that had been quiet delivers its next event at once. 0: read again at once."""


class ChangeSink(Protocol):
    """Where a `ResourceCache` reports what changed (the `ClusterCache`, or a test double)."""

    def apply(self, kind: str, changes: list[Change]) -> None:
        """Changes of one kind, in order; called from the cache's thread."""

    def state_changed(self, kind: str) -> None:
        """The cache's phase, message or resourceVersion changed."""


class _Stopped(Exception):
    """Raised inside a cache thread to unwind when `stop()` was called."""


class _WatchGone(Exception):
    """The watch's resourceVersion is not available (410, 504 too large): list again."""


# Phases in which a cache waits after a failure; `retry()` wakes them.
_RETRYABLE: Final = frozenset({CachePhase.FORBIDDEN, CachePhase.ERROR, CachePhase.RECONNECTING})


class ResourceCache:
    """The cached objects of one kind in one namespace (or all namespaces), kept by one thread.

    Read access (`objects()`, `get()`, `state()`) is thread-safe: mutations and snapshots happen
    under a lock, and objects are replaced on change, never mutated.
    """

    def __init__(
        self,
        api_client: Any,
        spec: KindSpec,
        namespace: str | None,
        *,
        discovery: Discovery | None = None,
        sink: ChangeSink | None = None,
        options: WatchOptions | None = None,
    ) -> None:
        self.spec = spec
        self.namespace = namespace if spec.namespaced else None
        self._api_client = api_client
        self._discovery = discovery if discovery is not None else Discovery(api_client)
        self._sink = sink
        self._options = options if options is not None else WatchOptions()
        self._rng = random.Random(self._options.seed)
        self._server: str | None = getattr(getattr(api_client, "configuration", None), "host", None)

        self._lock = threading.Lock()
        self._objects: dict[str, Obj] = {}
        self._resource_version = ""
        self._phase = CachePhase.SYNCING
        self._attempt = 0
        self._since = utc_now()
        self._message = "starting"
        self._response: urllib3.HTTPResponse | None = None

        self._version: str | None = None
        self._need_list = True
        self._listed_version = ""
        """resourceVersion of the last completed list ("" before the first)."""
        self._watch_progress = 0
        """Events and bookmarks received on the current watch."""
        self._gone_streak = 0
        """410s in a row on watches started right from a list, without any progress."""
        self._unauthorized_streak = 0
        self._denied_streak = 0
        """401s in a row (the first is retried soon: the token may have been refreshed)."""
        self._last_data = time.monotonic()
        """When the server last sent something for this kind (monotonic): a watch opening, a
        chunk of its stream, a list completing."""
        self._last_data_at = utc_now()
        self._alive_at: datetime | None = None
        """When the server last answered the `ClusterCache`'s probe."""
        self._bookmark_gap: float | None = None
        """Longest silence seen before a bookmark (the server's bookmark interval); None when
        no bookmark arrived yet (no expectation of regular traffic)."""
        self._stale_since: datetime | None = None
        self._watch_open = False
        self._resync_requested = False
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

        self.list_requests = 0
        """Requests for list pages sent (diagnostics and tests)."""
        self.watch_requests = 0
        self.relists = 0
        """Lists completed after the first one (410, reconnects, doubt)."""
        self.failures = 0
        """Failed requests and broken watches (each one retried after back-off or a wait)."""
        self.quiet_timeouts = 0
        """Open watches ended by the client's read timeout (re-watched at once)."""
        self.stale_marks = 0
        """Times the kind was marked stale (silence or a failed probe)."""
        self.watch_reads = 0
        """Reads of watch streams: each one a wake-up of the thread that applies whatever
        arrived under one lock acquisition."""
        self.watch_paces = 0
        """Waits between reads of a busy watch (see `WatchOptions.watch_pace`)."""
        self.dechunked_watches = 0
        """Watches whose chunked body ktui read from the socket and de-chunked itself (the
        others went through urllib3's `read1`: not chunked, compressed, other internals)."""

    # -- public API -------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def api_version(self) -> str | None:
        """The apiVersion in use, once discovery picked one ("batch/v1beta1"), else None."""
        version = self._version
        return self.spec.api_version(version) if version is not None else None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self.spec.kind} cache already started")
        scope = self.namespace or "all"
        self._thread = threading.Thread(
            target=self._run, name=f"ktui-watch-{self.spec.kind}-{scope}", daemon=True
        )
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to stop and make any blocked read return now (does not wait)."""
        self._stop.set()
        self._wake.set()
        with self._lock:
            response = self._response
        if response is not None:
            abort_response(response)

    def join(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(self._options.join_timeout if timeout is None else timeout)

    def stop(self, timeout: float | None = None) -> None:
        """Stop the watch and join the thread (at most `timeout`, default `join_timeout`).

        An open watch or list response is shut down, so a read blocked on a silent server
        returns at once. Only a request still waiting for the server's response headers cannot
        be interrupted; it ends with its read timeout, and the thread is a daemon either way.
        """
        self.request_stop()
        self.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def retry(self) -> bool:
        """Retry now if waiting after a failure (a forbidden kind after the user fixed RBAC, an
        error, a reconnect back-off); True when the kind was in such a phase and was woken."""
        with self._lock:
            waiting = self._phase in _RETRYABLE or (
                self._phase is CachePhase.SYNCING and self._attempt > 0
            )
        if waiting:
            self._wake.set()
        return waiting

    @property
    def bookmark_interval(self) -> float | None:
        """The server's bookmark interval as observed (the longest silence that ended with a
        bookmark); None until a bookmark arrived."""
        with self._lock:
            return self._bookmark_gap

    def check_stale(self, now: float | None = None) -> bool:
        """Mark the kind stale if its open watch has been silent for longer than the bookmarks
        seen so far allow (see the module docstring); True when it was marked now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._phase is not CachePhase.LIVE or self._stale_since is not None:
                return False
            after = self._stale_after()
            if not self._watch_open or after is None or now - self._last_data <= after:
                return False
            self._stale_since = self._last_data_at
            self.stale_marks += 1
        log.info(
            "%s: watch silent for %.0f s (> %.0f s): stale", self.kind, now - self._last_data, after
        )
        self._notify_state()
        return True

    def mark_stale(self) -> bool:
        """The server stopped answering (a failed probe): a LIVE kind's data may be out of date.
        Dated from the last sign of life; True when the kind was marked now."""
        with self._lock:
            if self._phase is not CachePhase.LIVE or self._stale_since is not None:
                return False
            self._stale_since = self._last_alive()
            self.stale_marks += 1
        self._notify_state()
        return True

    def resync(self) -> bool:
        """List again now instead of waiting on the open watch (a stale kind once the server
        answers again: whatever it did meanwhile is in the list's difference). True when a
        watch was open and is being replaced; no failure is counted."""
        with self._lock:
            if self._phase is not CachePhase.LIVE or not self._watch_open:
                return False
            self._resync_requested = True
            response = self._response
        if response is not None:
            abort_response(response)
        return True

    def _take_resync(self) -> bool:
        with self._lock:
            requested, self._resync_requested = self._resync_requested, False
        return requested

    def note_alive(self, at: datetime) -> None:
        """The server answered a probe at `at` (dates a later outage; does not clear staleness:
        only data on the watch or a fresh list does)."""
        with self._lock:
            self._alive_at = at

    def objects(self) -> Mapping[str, Obj]:
        """A read-only snapshot uid -> object (a shallow copy; the objects are shared)."""
        with self._lock:
            return MappingProxyType(dict(self._objects))

    def get(self, uid: str) -> Obj | None:
        with self._lock:
            return self._objects.get(uid)

    def __len__(self) -> int:
        with self._lock:
            return len(self._objects)

    def state(self) -> CacheState:
        with self._lock:
            return CacheState(
                phase=self._phase,
                attempt=self._attempt,
                since=self._since,
                message=self._message,
                resource_version=self._resource_version,
                count=len(self._objects),
                stale_since=self._stale_since,
            )

    # -- thread -----------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._loop()
        except _Stopped:
            pass
        except Exception as exc:  # a bug: report it in the state rather than die silently
            log.exception("%s cache thread crashed", self.spec.kind)
            self._set_phase(CachePhase.ERROR, f"internal error: {exc!r}")
        finally:
            with self._lock:
                self._response = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self._version is None and not self._resolve_version():
                    continue
                if self._need_list:
                    self._list_and_replace()
                self._watch_once()
            except _Stopped:
                raise
            except _WatchGone:
                self._need_list = True
            except Exception as exc:
                if self._stop.is_set():
                    raise _Stopped() from exc
                if self._take_resync():  # the watch was shut down on purpose by resync()
                    self._need_list = True
                    continue
                self._handle_failure(exc)

    def _resolve_version(self) -> bool:
        """Pick the served version; False (after waiting for `retry()`) when none is served."""
        self._set_progress("discovering the served API version")
        try:
            served = self._discovery.resolve(self.spec, on_open=self._register)
        finally:
            self._unregister()
        if served.version is not None:
            self._version = served.version
            return True
        self._set_phase(CachePhase.ERROR, NOT_SERVED_MESSAGE)
        log.info("%s: %s", self.spec.kind, NOT_SERVED_MESSAGE)
        # Only a server upgrade changes this: wait for an explicit retry, then ask again.
        self._wait(None)
        self._discovery.invalidate()
        return False

    def _handle_failure(self, exc: Exception) -> None:
        self.failures += 1
        # The watch's continuity is in doubt (the server may have been restarted, restored or
        # rebuilt meanwhile): list again instead of resuming from the resourceVersion.
        self._need_list = True
        status = exc.status if isinstance(exc, ApiException) else None
        message = describe_api_error(exc, server=self._server)
        with self._lock:
            self._attempt += 1
            attempt = self._attempt
            outage_start = self._outage_start(exc)
        if status in (401, 403):
            phase = CachePhase.FORBIDDEN if status == 403 else CachePhase.ERROR
            if status == 401 and "unauthorized" not in message.lower():
                message = f"unauthorized: {message}"
            self._set_phase(phase, message, attempt)
            log.warning("%s: %s", self.spec.kind, message)
            self._unauthorized_streak = self._unauthorized_streak + 1 if status == 401 else 0
            self._denied_streak = self._denied_streak + 1 if status == 403 else 0
            if self._unauthorized_streak == 1:
                # An expired token: the client's refresh hook (exec plugin, token file) may
                # supply a new one for the next request, so the first 401 is retried soon.
                self._wait(self._options.backoff.delay(attempt, self._rng))
            elif status == 403 and self._listed_version and self._denied_streak <= 5:
                # This kind was allowed before: a restarted apiserver denies requests for a
                # moment until its RBAC caches are loaded. Retry with the usual back-off a few
                # times before believing it (and going quiet for `forbidden_retry`).
                self._wait(self._options.backoff.delay(attempt, self._rng))
            else:
                self._wait(self._options.forbidden_retry)
            return
        self._unauthorized_streak = 0
        if status == 404:
            # The version discovery chose is gone (server upgraded or downgraded): look again.
            self._discovery.invalidate()
            self._version = None
        if isinstance(exc, _TRANSPORT_ERRORS) and not isinstance(exc, ApiException):
            phase = CachePhase.RECONNECTING
        else:
            phase = CachePhase.ERROR
            if not isinstance(exc, (ApiException, ValueError)):
                log.error("%s: unexpected error", self.spec.kind, exc_info=exc)
        self._set_phase(phase, message, attempt, since=outage_start)
        log.info("%s: %s (attempt %d)", self.spec.kind, message, attempt)
        delay = self._options.backoff.delay(attempt, self._rng)
        retry_after = _retry_after_seconds(exc)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._options.backoff.cap))
        self._wait(delay)

    def _wait(self, seconds: float | None) -> None:
        """Sleep `seconds` (None: until `retry()`), returning early on `retry()`; stop unwinds."""
        if seconds is None or seconds > 0:
            self._wake.wait(seconds)
        self._wake.clear()
        if self._stop.is_set():
            raise _Stopped()

    # -- list -------------------------------------------------------------------------------

    def _list_and_replace(self) -> None:
        with self._lock:
            silent = self._phase is CachePhase.LIVE and self._stale_since is not None
        relist = bool(self._listed_version)
        if relist:
            if not silent:  # after a silent watch: still LIVE (and stale) until the list is in
                self._set_progress("listing again")
        else:
            self._set_progress("listing")
        # The first list is shown page by page (the panes fill in as pages arrive); a relist is
        # applied whole, as one diff, so what is shown never goes back to a partial state.
        items, resource_version = self._list_all(progressive=not relist)
        if relist:
            self.relists += 1
        self._note_data()
        self._replace(items, resource_version)
        self._listed_version = resource_version
        self._need_list = False

    def _list_all(self, *, progressive: bool = False) -> tuple[dict[str, Obj], str]:
        assert self._version is not None
        path = self.spec.collection_path(self._version, self.namespace)
        api_version = self.spec.api_version(self._version)
        timeout = (self._options.connect_timeout, self._options.list_read_timeout)
        restarts = 0
        items: dict[str, Obj] = {}
        token = ""
        while True:
            query = [("limit", str(self._options.page_size))]
            if token:
                query.append(("continue", token))
            self.list_requests += 1
            try:
                response = open_request(
                    self._api_client,
                    "GET",
                    path,
                    query,
                    timeout=timeout,
                    on_open=self._register,
                    gzip=True,
                )
                body = read_body(response)
            except ApiException as exc:
                if exc.status == 410 and token and restarts < _MAX_LIST_RESTARTS:
                    # The continue token expired while paging: start the list over.
                    restarts += 1
                    items, token = {}, ""
                    continue
                raise
            finally:
                self._unregister()
            self._check_stop()
            page = parse_list_page(
                body, kind=self.spec.kind, api_version=api_version, slim=self._options.slim
            )
            items.update(page.items)
            token = page.continue_token
            if not token:
                return items, page.resource_version
            if progressive:
                self._publish_page(page.items, len(items), page.remaining)

    def _publish_page(
        self, page: list[tuple[str, Obj]], listed: int, remaining: int | None
    ) -> None:
        """Hand one page of the first list to the sink before the list ends, and say how far
        the list is ("listing 1500/100000"); the final diff adds the rest (and takes back what
        a restarted list no longer has)."""
        with self._lock:
            changes: list[Change] = []
            for uid, obj in page:
                changes.append((uid, obj, uid in self._objects))
                self._objects[uid] = obj
        total = f"/{listed + remaining}" if remaining is not None else "…"
        self._set_progress(f"listing {listed}{total}")
        if self._sink is not None:
            self._sink.apply(self.spec.kind, changes)

    def _replace(self, items: dict[str, Obj], resource_version: str) -> None:
        """Make `items` the cache's content and emit only the difference to the sink."""
        with self._lock:
            changes = relist_changes(self._objects, items)
            self._objects = items
            self._resource_version = resource_version
            self._stale_since = None
        if self._sink is not None:
            self._sink.apply(self.spec.kind, changes)
            self._sink.state_changed(self.spec.kind)

    # -- watch ------------------------------------------------------------------------------

    def _watch_once(self) -> None:
        """One watch request, read until the server ends it; raises on failure or 410."""
        assert self._version is not None
        path = self.spec.collection_path(self._version, self.namespace)
        low, high = self._options.watch_timeout
        query = [
            ("watch", "true"),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(self._rng.randint(low, high))),
        ]
        start_version = self._resource_version
        if start_version:
            query.append(("resourceVersion", start_version))
        timeout = (self._options.connect_timeout, self._options.watch_read_timeout)
        started = time.monotonic()
        self.watch_requests += 1
        with self._lock:
            self._watch_progress = 0
        try:
            response = open_request(
                self._api_client, "GET", path, query, timeout=timeout, on_open=self._register
            )
        except ApiException as exc:
            self._unregister()
            if exc.status == 410 or _too_large(_status_body(exc)):
                self._on_gone(start_version, _status_body(exc))
                raise _WatchGone() from exc
            raise
        clean_end = False
        self._unauthorized_streak = 0
        self._denied_streak = 0
        self._wake.clear()  # a retry() asked for before this success is answered by it
        body = dechunked_body(response, _RAW_READ_SIZE)
        if body is not None:
            self.dechunked_watches += 1
        try:
            self._note_data()
            with self._lock:
                self._watch_open = True
            self._set_phase(CachePhase.LIVE, "", 0)
            events = self._consume(response, start_version, body)
            clean_end = True
        except urllib3.exceptions.ReadTimeoutError:
            # Nothing arrived for `watch_read_timeout` on an open watch: a quiet resource on a
            # server that sends no bookmarks (watch again at once from the last resourceVersion)
            # or, when bookmarks had been arriving, a fault: the kind is stale and listed again.
            # If the server is really gone, that request fails and the usual back-off (and the
            # reconnecting phase) takes over.
            self._check_stop()
            self.quiet_timeouts += 1
            if self._silence_ended_watch():
                self._need_list = True
            log.debug("%s: watch silent for %.0f s; watching again", self.spec.kind, timeout[1])
            return
        finally:
            with self._lock:
                self._watch_open = False
            self._unregister()
            if clean_end and body is None:
                response.release_conn()
            else:
                # Read past http.client (raw), its connection state is not consistent: the
                # connection must not serve another request.
                response.close()
        self._check_stop()
        if self._take_resync():
            self._need_list = True
            return
        if events == 0 and time.monotonic() - started < self._options.min_watch_seconds:
            # A server that ends watches at once would otherwise be re-watched in a tight loop.
            with self._lock:
                self._attempt += 1
                attempt = self._attempt
            self._wait(self._options.backoff.delay(attempt, self._rng))

    def _consume(
        self,
        response: urllib3.HTTPResponse,
        start_version: str,
        body: DechunkedBody | None = None,
    ) -> int:
        """Apply the events of an open watch until it ends; the number of events applied.

        `body` reads a chunked stream across chunk boundaries (see `DechunkedBody`); without it
        the stream is read through urllib3, at most one chunk per read, never paced (a paced
        read of one event per chunk would cap the watch at one event per pace).
        """
        splitter = LineSplitter()
        applied = 0
        read: Callable[[], bytes] = (
            body.read if body is not None else functools.partial(response.read1, _READ_SIZE)
        )
        pace = self._options.watch_pace if body is not None else 0.0
        while True:
            began = time.monotonic()
            chunk = read()
            arrived = time.monotonic()
            self.watch_reads += 1
            self._check_stop()
            silence = self._note_data() if chunk else 0.0
            lines = splitter.feed(chunk) if chunk else [splitter.finish()]
            count, bookmarked = self._apply_lines(lines, start_version)
            applied += count
            if bookmarked and chunk:
                with self._lock:
                    if self._bookmark_gap is None or silence > self._bookmark_gap:
                        self._bookmark_gap = silence
            if not chunk:
                return applied
            # Pace only a busy watch: a read that found data within `pace` of starting means
            # events are coming faster than one per pace, and waiting lets the next ones gather
            # into one wake-up (the thread takes the GIL from the UI at each). A read that had
            # to wait longer found a quiet watch: the next read starts at once, so a lone change
            # is never held back. A read that filled its block left more waiting: read on at
            # once (no cap on throughput). The wait counts from the data's arrival (applying it
            # is part of the pace) and ends at once on stop().
            if pace > 0 and arrived - began < pace and not (body is not None and body.backlog):
                left = arrived + pace - time.monotonic()
                if left > 0:
                    self.watch_paces += 1
                    self._wait(left)

    def _apply_lines(self, lines: list[bytes], start_version: str) -> tuple[int, bool]:
        """Apply the events in `lines` (one read's worth) under one lock acquisition."""
        changes: list[Change] = []
        bookmarked = False
        error: dict[str, Any] | None = None
        with self._lock:
            objects = self._objects
            for line in lines:
                if not line.strip():
                    continue
                event = parse_watch_line(line, slim=self._options.slim)
                if event is None:
                    continue
                obj = event.object
                if event.type == "ERROR":
                    error = obj
                    break
                version = resource_version_of(obj)
                if event.type == "BOOKMARK":
                    if version:
                        self._resource_version = version
                        bookmarked = True
                    continue
                uid = obj["metadata"]["uid"]
                existed = uid in objects
                if event.type == "DELETED":
                    if existed:
                        del objects[uid]
                        changes.append((uid, None, True))
                else:
                    objects[uid] = obj
                    changes.append((uid, obj, existed))
                if version:
                    self._resource_version = version
            self._watch_progress += len(changes) + bookmarked
        if changes or bookmarked:
            self._gone_streak = 0
        if changes and self._sink is not None:
            self._sink.apply(self.spec.kind, changes)
        if bookmarked and self._sink is not None:
            self._sink.state_changed(self.spec.kind)
        if error is not None:
            code = status_code(error)
            if code == 410 or _too_large(error):
                log.info("%s: watch ended: %s", self.spec.kind, status_message(error))
                self._on_gone(start_version, error)
                raise _WatchGone()
            # Any other ERROR event: the stream's continuity is in doubt; `_handle_failure`
            # backs off and lists again.
            exc = ApiException(status=code, reason=status_message(error) or "watch error")
            exc.body = json.dumps(error)
            raise exc
        return len(changes), bookmarked

    def _on_gone(self, start_version: str, status: Mapping[str, Any] | None = None) -> None:
        """410 Expired or 504 too large resource version: list again. Right after a list, with
        no progress, that is a failure: back off."""
        self._need_list = True
        with self._lock:
            no_progress = start_version == self._listed_version and self._watch_progress == 0
        if not no_progress:
            self._gone_streak = 0
            if status is not None and _too_large(status):
                # The server has less history than the cache: restored, rebuilt or restarted
                # with a fresh store on the same address.
                self._set_progress("resource version unknown to the server; listing again")
            else:
                self._set_progress("resource version expired; listing again")
            return
        # The watch opening reset `attempt`, so the streak keeps the back-off growing.
        self._gone_streak += 1
        self.failures += 1
        self._set_phase(
            CachePhase.SYNCING, "resource version expired right after listing", self._gone_streak
        )
        self._wait(self._options.backoff.delay(self._gone_streak, self._rng))

    # -- helpers ----------------------------------------------------------------------------

    def _register(self, response: urllib3.HTTPResponse) -> None:
        with self._lock:
            self._response = response
        if self._stop.is_set():
            abort_response(response)

    def _unregister(self) -> None:
        with self._lock:
            self._response = None

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise _Stopped()

    def _set_progress(self, message: str) -> None:
        """Enter SYNCING with `message`, unless retrying after failures: the failure phase
        (reconnecting, forbidden, error) or message stays until a watch is open again instead
        of flapping."""
        with self._lock:
            retrying = self._attempt > 0 and self._phase != CachePhase.SYNCING
        if not retrying and self._gone_streak == 0:
            self._set_phase(CachePhase.SYNCING, message)

    def _set_phase(
        self,
        phase: CachePhase,
        message: str,
        attempt: int | None = None,
        *,
        since: datetime | None = None,
    ) -> None:
        """Enter `phase`; `since` dates a phase change (default now). Staleness only applies
        to LIVE: it is cleared when the phase changes."""
        with self._lock:
            new_attempt = self._attempt if attempt is None else attempt
            if (phase, message, new_attempt) == (self._phase, self._message, self._attempt):
                return
            if phase != self._phase:
                self._since = since if since is not None else utc_now()
                self._stale_since = None
            self._phase = phase
            self._message = message
            self._attempt = new_attempt
        self._notify_state()

    def _notify_state(self) -> None:
        if self._sink is not None:
            self._sink.state_changed(self.spec.kind)

    def _note_data(self) -> float:
        """The server sent something: the kind is fresh again. Returns the silence it ended."""
        now = time.monotonic()
        with self._lock:
            silence = now - self._last_data
            self._last_data = now
            self._last_data_at = utc_now()
            was_stale = self._stale_since is not None
            self._stale_since = None
        if was_stale:
            self._notify_state()
        return silence

    def _stale_after(self) -> float | None:
        """Seconds of silence after which an open watch is stale (None: no expectation)."""
        gap = self._bookmark_gap
        if gap is None:
            return None
        options = self._options
        return min(options.watch_read_timeout, max(options.stale_floor, 2.0 * gap))

    def _last_alive(self) -> datetime:
        """The last sign of life from the server: data for this kind or a probe answer."""
        alive = self._alive_at
        return self._last_data_at if alive is None else max(self._last_data_at, alive)

    def _silence_ended_watch(self) -> bool:
        """The read timeout ended a silent watch: stale when bookmarks were expected (or a probe
        already said so). True when stale, i.e. the kind must be listed again."""
        with self._lock:
            marked = self._stale_since is None and self._bookmark_gap is not None
            if marked:
                self._stale_since = self._last_data_at
                self.stale_marks += 1
            stale = self._stale_since is not None
        if marked:
            self._notify_state()
        return stale

    def _outage_start(self, exc: Exception) -> datetime | None:
        """When the outage `exc` reveals began, if not now (called under the lock): a stale
        kind's `stale_since`; after a timeout on a LIVE kind, its last sign of life."""
        if self._phase is not CachePhase.LIVE:
            return None
        if self._stale_since is not None:
            return self._stale_since
        if _is_timeout(exc):
            return self._last_alive()
        return None


def relist_changes(previous: Mapping[str, Obj], items: dict[str, Obj]) -> list[Change]:
    """The changes that turn `previous` into `items` (a fresh list): deletes for objects gone,
    upserts for objects new or changed (by resourceVersion), nothing for unchanged ones.

    Unchanged entries of `items` are replaced by the `previous` object, so consumers keep
    holding the very object the cache holds.
    """
    changes: list[Change] = [(uid, None, True) for uid in previous if uid not in items]
    for uid, obj in items.items():
        old = previous.get(uid)
        if old is None:
            changes.append((uid, obj, False))
        elif _same_version(old, obj):
            items[uid] = old
        else:
            changes.append((uid, obj, True))
    return changes


def _same_version(old: Obj, new: Obj) -> bool:
    old_version = resource_version_of(old)
    if old_version:
        return old_version == resource_version_of(new)
    return old == new


def _status_body(exc: ApiException) -> dict[str, Any] | None:
    """The Status object an error response carried, if it is one."""
    body: Any = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str) or not body.startswith("{"):
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _too_large(status: Mapping[str, Any] | None) -> bool:
    """A 504 "Too large resource version" Status (reason Timeout, cause
    ResourceVersionTooLarge): the server has not seen the cache's resourceVersion."""
    if status is None or status_code(dict(status)) != 504:
        return False
    details = status.get("details")
    causes = details.get("causes") if isinstance(details, dict) else None
    if isinstance(causes, list) and any(
        isinstance(c, dict) and c.get("reason") == "ResourceVersionTooLarge" for c in causes
    ):
        return True
    message = status.get("message")
    return isinstance(message, str) and "too large resource version" in message.lower()


def _is_timeout(exc: BaseException) -> bool:
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        link = pending.pop()
        if link is None or id(link) in seen:
            continue
        seen.add(id(link))
        if isinstance(link, (urllib3.exceptions.TimeoutError, TimeoutError)):
            return True
        reason = getattr(link, "reason", None)
        pending.extend(
            [
                reason if isinstance(reason, BaseException) else None,
                link.__cause__,
                link.__context__,
            ]
        )
    return False


def _retry_after_seconds(exc: Exception) -> float | None:
    if not isinstance(exc, ApiException) or exc.status not in (429, 503) or not exc.headers:
        return None
    value = exc.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class ClusterCache:
    """The UI's view of the cluster: one `ResourceCache` per kind, an ownership index, and
    batched change delivery.

    `on_batch` is called from the batcher's thread with each `ChangeBatch` (see `ChangeBatcher`
    for back-pressure and `wait_for_ack`). With `on_batch=None` no flusher runs and the consumer
    polls `take_batch()`. The index is updated on the watch threads, so it can be up to one batch
    ahead of what the consumer has applied.
    """

    def __init__(
        self,
        api_client: Any,
        namespace: str | None,
        kinds: Iterable[KindSpec | str] = ALL_KINDS,
        on_batch: Callable[[ChangeBatch], None] | None = None,
        batch_interval: float = 0.15,
        *,
        wait_for_ack: bool = False,
        options: WatchOptions | None = None,
        discovery: Discovery | None = None,
    ) -> None:
        self.namespace = namespace
        self._api_client = api_client
        self.index = OwnershipIndex()
        self.discovery = discovery if discovery is not None else Discovery(api_client)
        specs = [kind_spec(k) if isinstance(k, str) else k for k in kinds]
        self._caches: dict[str, ResourceCache] = {}
        for spec in specs:
            if spec.kind in self._caches:
                continue
            self._caches[spec.kind] = ResourceCache(
                api_client,
                spec,
                namespace,
                discovery=self.discovery,
                sink=self,
                options=options,
            )
        self._on_batch = on_batch
        self.batcher = ChangeBatcher(
            on_batch if on_batch is not None else _ignore_batch,
            interval=batch_interval,
            state_of=self._state_of,
            wait_for_ack=wait_for_ack,
        )
        self._options = options if options is not None else WatchOptions()
        self._join_timeout = self._options.join_timeout
        self._started = False
        self._health_stop = threading.Event()
        self._health_thread: threading.Thread | None = None
        self._alive_at: datetime | None = None
        self.probes = 0
        """Probes sent (diagnostics and tests)."""
        self.probe_failures = 0

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        if self._started:
            raise RuntimeError("cluster cache already started")
        self._started = True
        if self._on_batch is not None:
            self.batcher.start()
        for cache in self._caches.values():
            cache.start()
        self._health_thread = threading.Thread(
            target=self._health_loop, name="ktui-cache-health", daemon=True
        )
        self._health_thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop every watch, the health thread and the batcher; waits at most about `timeout`
        in total (a probe in flight is not interrupted: its thread is a daemon)."""
        budget = self._join_timeout if timeout is None else timeout
        deadline = time.monotonic() + budget
        self._health_stop.set()
        for cache in self._caches.values():
            cache.request_stop()
        for cache in self._caches.values():
            cache.join(max(0.0, deadline - time.monotonic()))
        health = self._health_thread
        if health is not None and health is not threading.current_thread():
            health.join(max(0.0, deadline - time.monotonic()))
        self.batcher.stop(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> ClusterCache:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- reading ------------------------------------------------------------------------------

    @property
    def kinds(self) -> list[str]:
        return list(self._caches)

    def cache(self, kind: str) -> ResourceCache:
        return self._caches[kind]

    def objects(self, kind: str) -> Mapping[str, Obj]:
        """A read-only snapshot (shallow copy, taken under the cache's lock) of `kind`'s objects.

        The objects themselves are shared with the cache and the batches: never mutate them.
        """
        return self._caches[kind].objects()

    def get(self, uid: str) -> Obj | None:
        kind = self.index.kind_of(uid)
        if kind is not None and kind in self._caches:
            found = self._caches[kind].get(uid)
            if found is not None:
                return found
        for cache in self._caches.values():
            found = cache.get(uid)
            if found is not None:
                return found
        return None

    def states(self) -> dict[str, CacheState]:
        return {kind: cache.state() for kind, cache in self._caches.items()}

    def api_version(self, kind: str) -> str | None:
        """The apiVersion the server serves `kind` at, once discovered (e.g. "batch/v1beta1")."""
        return self._caches[kind].api_version

    def retry(self, kind: str | None = None) -> list[str]:
        """Retry now every kind (or `kind`) waiting after a failure: forbidden, error or
        reconnecting, however long its back-off (a forbidden kind waits `forbidden_retry`).
        Returns the kinds woken, in the caches' order; live and syncing kinds are left alone."""
        return [
            name
            for name, cache in self._caches.items()
            if (kind is None or name == kind) and cache.retry()
        ]

    def probe(self, timeout: float | None = None) -> bool:
        """Ask the server for /version (at most `timeout`, default `probe_timeout`, to connect
        and as much to read); True when it answered, whatever the status.

        No answer (refused, reset, timed out, TLS failure) marks every LIVE kind stale, dated
        from its last sign of life; an answer makes every stale kind list again at once. The
        health thread calls this every `probe_interval` s; it is safe to call from any thread.
        """
        seconds = self._options.probe_timeout if timeout is None else timeout
        self.probes += 1
        try:
            get_json(self._api_client, "/version", timeout=(seconds, seconds))
            answered = True
        except ApiException as exc:
            answered = bool(exc.status)  # status 0: the client's own (TLS) error, no answer
        except Exception:
            answered = False
        if answered:
            now = utc_now()
            self._alive_at = now
            for cache in self._caches.values():
                cache.note_alive(now)
                if cache.state().stale:
                    cache.resync()  # in doubt after the silence: list again now
            return True
        self.probe_failures += 1
        marked = [kind for kind, cache in self._caches.items() if cache.mark_stale()]
        if marked:
            log.info("the API server did not answer a probe: %s stale", ", ".join(marked))
        return False

    def _health_loop(self) -> None:
        options = self._options
        interval = options.probe_interval
        next_probe = time.monotonic() + interval if interval is not None else None
        while not self._health_stop.wait(options.health_tick):
            try:
                for cache in self._caches.values():
                    cache.check_stale()
                due = next_probe is not None and time.monotonic() >= next_probe
                if due and interval is not None:
                    self.probe()
                    next_probe = time.monotonic() + interval
            except Exception:  # a bug must not end the health checks silently
                log.exception("cache health check failed")

    def ack_batch(self) -> None:
        """With `wait_for_ack=True`: the consumer applied the last batch; send the next."""
        self.batcher.ack()

    def take_batch(self) -> ChangeBatch | None:
        """Pending changes now, for a consumer that polls (`on_batch=None`)."""
        return self.batcher.take_batch()

    # -- ChangeSink -----------------------------------------------------------------------------

    def apply(self, kind: str, changes: list[Change]) -> None:
        self.index.apply(kind, changes)
        self.batcher.put_changes(kind, changes)

    def state_changed(self, kind: str) -> None:
        self.batcher.touch_state(kind)

    def _state_of(self, kind: str) -> CacheState:
        return self._caches[kind].state()


def _ignore_batch(batch: ChangeBatch) -> None:
    del batch
