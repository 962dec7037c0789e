"""Live caches of cluster objects: one list+watch per kind, and the facade the UI uses.

Data flow: a `ResourceCache` thread per kind lists (paginated), then watches from the list's
resourceVersion; every change updates its dict (uid -> object, the parsed JSON, never copied)
and goes to a sink. `ClusterCache` is that sink: it keeps the `OwnershipIndex` current and
feeds a `ChangeBatcher`, which hands coalesced `ChangeBatch`es to the UI every `batch_interval`.

Timeouts (why these numbers):
- A watch asks the server to end it after `timeoutSeconds` drawn from 240-300 s, so that many
  clients do not all re-watch at the same moment; a normal end is followed by a new watch from
  the last resourceVersion, without listing again.
- The client's read timeout on a watch is 90 s: kube-apiserver's watch cache sends a BOOKMARK
  about every minute on a watch with `allowWatchBookmarks=true` (and events whenever anything
  changes), so 90 s of silence means the connection is dead or the server sends no bookmarks
  (watch cache disabled). Without a read timeout a peer that vanished without a FIN would block
  the read forever (the client has no timeout by default). Either way the watch is re-opened at
  once from its resourceVersion, without a state change: a dead server makes that request fail,
  and the back-off and the reconnecting phase take over from there.
- Connect timeout 5 s; list pages are read with a 60 s read timeout.

Failures: lost connections, read timeouts and server restarts are retried with exponential
back-off with full jitter (0.5 s base, 30 s cap), resuming the watch from the last
resourceVersion; 410 Gone (on watch start or as an ERROR event) lists again and emits only the
difference. 403 marks the kind forbidden, 401 marks it unauthorized (error phase): a permission
does not appear by itself, so they are retried only every `forbidden_retry` seconds (300 s by
default), or at once on `retry()`: no request storm. The first 401 in a row is the exception,
retried after the usual back-off, because the client may refresh an expired token by then.
Other errors are retried with back-off.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
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
from ktui.cluster.transport import abort_response, open_request, read_body
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
    seed: int | None = None
    """Seed of the jitter's random generator (tests); None draws from the OS."""


class ChangeSink(Protocol):
    """Where a `ResourceCache` reports what changed (the `ClusterCache`, or a test double)."""

    def apply(self, kind: str, changes: list[Change]) -> None:
        """Changes of one kind, in order; called from the cache's thread."""

    def state_changed(self, kind: str) -> None:
        """The cache's phase, message or resourceVersion changed."""


class _Stopped(Exception):
    """Raised inside a cache thread to unwind when `stop()` was called."""


class _WatchGone(Exception):
    """The watch's resourceVersion is too old (410): list again."""


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
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

        self.list_requests = 0
        """Requests for list pages sent (diagnostics and tests)."""
        self.watch_requests = 0
        self.relists = 0
        """Lists after the first one (after 410 Gone)."""
        self.failures = 0
        """Failed requests and broken watches (each one retried after back-off or a wait)."""
        self.quiet_timeouts = 0
        """Open watches ended by the client's read timeout (re-watched at once)."""

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

    def retry(self) -> None:
        """Retry now if waiting after a failure (a forbidden kind after the user fixed RBAC)."""
        self._wake.set()

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
        status = exc.status if isinstance(exc, ApiException) else None
        message = describe_api_error(exc, server=self._server)
        with self._lock:
            self._attempt += 1
            attempt = self._attempt
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
        self._set_phase(phase, message, attempt)
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
        if self._listed_version:
            self.relists += 1
            self._set_progress("listing again")
        else:
            self._set_progress("listing")
        items, resource_version = self._list_all()
        self._replace(items, resource_version)
        self._listed_version = resource_version
        self._need_list = False

    def _list_all(self) -> tuple[dict[str, Obj], str]:
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
            page = parse_list_page(body, kind=self.spec.kind, api_version=api_version)
            items.update(page.items)
            token = page.continue_token
            if not token:
                return items, page.resource_version

    def _replace(self, items: dict[str, Obj], resource_version: str) -> None:
        """Make `items` the cache's content and emit only the difference to the sink."""
        with self._lock:
            changes = relist_changes(self._objects, items)
            self._objects = items
            self._resource_version = resource_version
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
            if exc.status == 410:
                self._on_gone(start_version)
                raise _WatchGone() from exc
            raise
        clean_end = False
        self._unauthorized_streak = 0
        self._denied_streak = 0
        try:
            self._set_phase(CachePhase.LIVE, "", 0)
            events = self._consume(response, start_version)
            clean_end = True
        except urllib3.exceptions.ReadTimeoutError:
            # Nothing arrived for `watch_read_timeout` on an open watch: a quiet resource on a
            # server that sends no bookmarks, or a dead connection. Either way: watch again at
            # once from the last resourceVersion; if the server is really gone, that request
            # fails and the usual back-off (and the reconnecting phase) takes over.
            self._check_stop()
            self.quiet_timeouts += 1
            log.debug("%s: watch silent for %.0f s; watching again", self.spec.kind, timeout[1])
            return
        finally:
            self._unregister()
            if clean_end:
                response.release_conn()
            else:
                response.close()
        self._check_stop()
        if events == 0 and time.monotonic() - started < self._options.min_watch_seconds:
            # A server that ends watches at once would otherwise be re-watched in a tight loop.
            with self._lock:
                self._attempt += 1
                attempt = self._attempt
            self._wait(self._options.backoff.delay(attempt, self._rng))

    def _consume(self, response: urllib3.HTTPResponse, start_version: str) -> int:
        """Apply the events of an open watch until it ends; the number of events applied."""
        splitter = LineSplitter()
        applied = 0
        while True:
            chunk = response.read1(_READ_SIZE)
            self._check_stop()
            lines = splitter.feed(chunk) if chunk else [splitter.finish()]
            applied += self._apply_lines(lines, start_version)
            if not chunk:
                return applied

    def _apply_lines(self, lines: list[bytes], start_version: str) -> int:
        """Apply the events in `lines` (one chunk's worth) under one lock acquisition."""
        changes: list[Change] = []
        bookmarked = False
        error: dict[str, Any] | None = None
        with self._lock:
            objects = self._objects
            for line in lines:
                if not line.strip():
                    continue
                event = parse_watch_line(line)
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
            if code == 410:
                log.info("%s: watch expired: %s", self.spec.kind, status_message(error))
                self._on_gone(start_version)
                raise _WatchGone()
            exc = ApiException(status=code, reason=status_message(error) or "watch error")
            exc.body = json.dumps(error)
            raise exc
        return len(changes)

    def _on_gone(self, start_version: str) -> None:
        """410: list again. Right after a list, with no progress, that is a failure: back off."""
        self._need_list = True
        with self._lock:
            no_progress = start_version == self._listed_version and self._watch_progress == 0
        if not no_progress:
            self._gone_streak = 0
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

    def _set_phase(self, phase: CachePhase, message: str, attempt: int | None = None) -> None:
        with self._lock:
            new_attempt = self._attempt if attempt is None else attempt
            if (phase, message, new_attempt) == (self._phase, self._message, self._attempt):
                return
            if phase != self._phase:
                self._since = utc_now()
            self._phase = phase
            self._message = message
            self._attempt = new_attempt
        if self._sink is not None:
            self._sink.state_changed(self.spec.kind)


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
        self._join_timeout = (options or WatchOptions()).join_timeout
        self._started = False

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        if self._started:
            raise RuntimeError("cluster cache already started")
        self._started = True
        if self._on_batch is not None:
            self.batcher.start()
        for cache in self._caches.values():
            cache.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop every watch and the batcher; waits at most about `timeout` in total."""
        budget = self._join_timeout if timeout is None else timeout
        deadline = time.monotonic() + budget
        for cache in self._caches.values():
            cache.request_stop()
        for cache in self._caches.values():
            cache.join(max(0.0, deadline - time.monotonic()))
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

    def retry(self, kind: str | None = None) -> None:
        """Wake the caches (or one) waiting after a failure, e.g. forbidden ones."""
        for name, cache in self._caches.items():
            if kind is None or name == kind:
                cache.retry()

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
