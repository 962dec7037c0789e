"""A small client-go: informer caches fed by watches, work queues, an event recorder, and the
reconcile-loop skeleton every embedded controller is built on.

    factory = InformerFactory(client)
    pods = factory.informer("", "pods")          # shared: one list+watch per resource
    pods.add_handler(on_add=..., on_update=..., on_delete=...)
    factory.start(); factory.wait_for_sync()
    pods.get("default", "web-1"); pods.list("default"); pods.controlled_by(rs_uid)

    queue = WorkQueue(clock)       # dedup by key; add_after() on the controller's clock,
    queue.add("ns/name")           # add_rate_limited() with exponential back-off in real time

    class MyController(Controller):
        name = "my-controller"
        def register(self) -> None: ...          # subscribe informer handlers
        def sync(self, key: str) -> float | None: ...   # seconds to requeue after, or None

Informers: a list gives the initial state and a resourceVersion, a watch from there keeps the
cache current (re-watching from the last version when a watch ends, relisting on 410 Gone).
Writes a controller makes go through `Controller.api_*`, which also feed their results into the
cache at once ("write-through"): a controller never acts twice on a stale cache the way
client-go controllers guard against with expectations. Objects carry an integer
resourceVersion; an event older than what the cache holds is ignored, and deleted objects leave a
tombstone until the watch confirms the deletion.

Indexes kept per informer: by namespace, by the uid of the controller owner reference, and the
namespace's objects without a controller (orphans that a controller may adopt) — so a sync looks
at its own objects, never at every object of a kind.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ktui.sim.client import SimClient
from ktui.sim.controllers import util
from ktui.sim.selectors import SelectorError
from ktui.sim.store import StoreError

log = logging.getLogger(__name__)

Obj = dict[str, Any]
Clock = Callable[[], float]


# --- work queue ---------------------------------------------------------------------------------


class WorkQueue:
    """client-go's rate-limited delaying work queue, keyed by strings.

    A key is processed by one worker at a time; adding a key that is queued is a no-op, adding
    one that is being processed queues it again once `done()` is called. `add_after` delays are
    on the controller's clock (which may be a fake one that jumps: pending delays are re-checked
    every `poll_interval` real seconds and on `wake()`); `add_rate_limited` backs off
    exponentially in real time (base_delay * 2**failures, capped at max_delay) until `forget`.
    """

    def __init__(
        self,
        clock: Clock = time.time,
        *,
        base_delay: float = 0.005,
        max_delay: float = 60.0,
        poll_interval: float = 0.2,
    ) -> None:
        self._clock = clock
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.poll_interval = poll_interval
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[str] = deque()
        self._dirty: set[str] = set()
        self._processing: set[str] = set()
        self._failures: dict[str, int] = {}
        self._clock_due: dict[str, float] = {}
        self._clock_heap: list[tuple[float, int, str]] = []
        self._real_due: dict[str, float] = {}
        self._real_heap: list[tuple[float, int, str]] = []
        self._seq = 0
        self._shutdown = False

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue)

    def add(self, key: str) -> None:
        with self._cond:
            self._add_locked(key)

    def _add_locked(self, key: str) -> None:
        if self._shutdown or key in self._dirty:
            return
        self._dirty.add(key)
        if key not in self._processing:
            self._queue.append(key)
            self._cond.notify()

    def add_after(self, key: str, seconds: float) -> None:
        """Add the key once the controller's clock has moved on by `seconds`."""
        if seconds <= 0:
            self.add(key)
            return
        due = self._clock() + seconds
        with self._cond:
            if self._shutdown:
                return
            current = self._clock_due.get(key)
            if current is not None and current <= due:
                return
            self._clock_due[key] = due
            self._seq += 1
            heapq.heappush(self._clock_heap, (due, self._seq, key))
            self._cond.notify()

    def add_rate_limited(self, key: str) -> None:
        with self._cond:
            if self._shutdown:
                return
            failures = self._failures.get(key, 0)
            self._failures[key] = failures + 1
            delay = min(self.base_delay * (2**failures), self.max_delay)
            due = time.monotonic() + delay
            current = self._real_due.get(key)
            if current is not None and current <= due:
                return
            self._real_due[key] = due
            self._seq += 1
            heapq.heappush(self._real_heap, (due, self._seq, key))
            self._cond.notify()

    def add_after_real(self, key: str, seconds: float) -> None:
        """Add the key after `seconds` of real time (back-offs that must not wait for a fake
        clock to move)."""
        with self._cond:
            if self._shutdown:
                return
            due = time.monotonic() + max(seconds, 0.0)
            current = self._real_due.get(key)
            if current is not None and current <= due:
                return
            self._real_due[key] = due
            self._seq += 1
            heapq.heappush(self._real_heap, (due, self._seq, key))
            self._cond.notify()

    def forget(self, key: str) -> None:
        with self._cond:
            self._failures.pop(key, None)

    def num_requeues(self, key: str) -> int:
        with self._cond:
            return self._failures.get(key, 0)

    def wake(self) -> None:
        """Re-check the delayed keys now (call after moving a fake clock)."""
        with self._cond:
            self._cond.notify_all()

    def _release_due_locked(self) -> float | None:
        """Queue the keys whose delay is over; return how long to wait for the next one."""
        wait: float | None = None
        now = self._clock()
        while self._clock_heap:
            due, _, key = self._clock_heap[0]
            if self._clock_due.get(key) != due:
                heapq.heappop(self._clock_heap)
                continue
            if due > now:
                wait = min(max(due - now, 0.001), self.poll_interval)
                break
            heapq.heappop(self._clock_heap)
            del self._clock_due[key]
            self._add_locked(key)
        real_now = time.monotonic()
        while self._real_heap:
            due, _, key = self._real_heap[0]
            if self._real_due.get(key) != due:
                heapq.heappop(self._real_heap)
                continue
            if due > real_now:
                remaining = due - real_now
                wait = remaining if wait is None else min(wait, remaining)
                break
            heapq.heappop(self._real_heap)
            del self._real_due[key]
            self._add_locked(key)
        return wait

    def get(self) -> str | None:
        """The next key to process (blocks); None once the queue is shut down."""
        with self._cond:
            while True:
                if self._shutdown:
                    return None
                wait = self._release_due_locked()
                if self._queue:
                    key = self._queue.popleft()
                    self._dirty.discard(key)
                    self._processing.add(key)
                    return key
                self._cond.wait(wait)

    def done(self, key: str) -> None:
        with self._cond:
            self._processing.discard(key)
            if key in self._dirty and not self._shutdown:
                self._queue.append(key)
                self._cond.notify()

    def shutdown(self) -> None:
        with self._cond:
            self._shutdown = True
            self._cond.notify_all()

    @property
    def shutting_down(self) -> bool:
        return self._shutdown

    def idle(self) -> bool:
        """Nothing queued or being processed (delayed keys do not count)."""
        with self._cond:
            return not self._queue and not self._processing


# --- informers ----------------------------------------------------------------------------------


ObjList = list[Obj]
ChangeList = list[tuple[str, Obj | None, Obj] | None]


@dataclass
class Handler:
    on_add: Callable[[Obj], None] | None = None
    on_update: Callable[[Obj, Obj], None] | None = None
    on_delete: Callable[[Obj], None] | None = None


class Informer:
    """A watch-fed cache of one resource, with handlers called on every change.

    Handlers run on the informer's thread (or on the thread of a controller whose own write is
    being observed) and must be quick: they normally just enqueue keys. Objects handed out are the
    cache's own: never mutate them (copy with `util`-style dict copies first).
    """

    def __init__(self, client: SimClient, group: str, resource: str) -> None:
        self.client = client
        self.group = group
        self.resource = resource
        self._lock = threading.RLock()
        self._objects: dict[tuple[str, str], Obj] = {}
        self._by_namespace: dict[str, dict[str, Obj]] = {}
        self._by_controller: dict[str, set[tuple[str, str]]] = {}
        self._orphans: dict[str, set[str]] = {}
        self._tombstones: dict[str, int | None] = {}
        self._handlers: list[Handler] = []
        self._resource_version = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watch: Any = None
        self.synced = threading.Event()

    # --- reading ---------------------------------------------------------------------------

    def get(self, namespace: str | None, name: str) -> Obj | None:
        with self._lock:
            return self._objects.get((namespace or "", name))

    def list(self, namespace: str | None = None) -> ObjList:
        with self._lock:
            if namespace is None:
                return list(self._objects.values())
            return list(self._by_namespace.get(namespace, {}).values())

    def controlled_by(self, uid: str) -> ObjList:
        """Objects whose controller owner reference points at `uid`."""
        with self._lock:
            keys = self._by_controller.get(uid)
            if not keys:
                return []
            return [self._objects[k] for k in keys if k in self._objects]

    def orphans(self, namespace: str) -> ObjList:
        """Objects in the namespace without a controller owner reference."""
        with self._lock:
            names = self._orphans.get(namespace)
            if not names:
                return []
            return [self._objects[(namespace, n)] for n in names if (namespace, n) in self._objects]

    def __len__(self) -> int:
        with self._lock:
            return len(self._objects)

    def add_handler(
        self,
        on_add: Callable[[Obj], None] | None = None,
        on_update: Callable[[Obj, Obj], None] | None = None,
        on_delete: Callable[[Obj], None] | None = None,
    ) -> None:
        self._handlers.append(Handler(on_add, on_update, on_delete))

    # --- cache maintenance -----------------------------------------------------------------

    @staticmethod
    def _key(obj: Mapping[str, Any]) -> tuple[str, str]:
        return (util.namespace_of(obj), util.name_of(obj))

    def _index_add(self, key: tuple[str, str], obj: Obj) -> None:
        self._objects[key] = obj
        self._by_namespace.setdefault(key[0], {})[key[1]] = obj
        ref = util.controller_ref(obj)
        if ref is not None and ref.get("uid"):
            self._by_controller.setdefault(str(ref["uid"]), set()).add(key)
        else:
            self._orphans.setdefault(key[0], set()).add(key[1])

    def _index_remove(self, key: tuple[str, str], obj: Obj) -> None:
        self._objects.pop(key, None)
        names = self._by_namespace.get(key[0])
        if names is not None:
            names.pop(key[1], None)
            if not names:
                del self._by_namespace[key[0]]
        ref = util.controller_ref(obj)
        if ref is not None and ref.get("uid"):
            keys = self._by_controller.get(str(ref["uid"]))
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_controller[str(ref["uid"])]
        else:
            orphans = self._orphans.get(key[0])
            if orphans is not None:
                orphans.discard(key[1])
                if not orphans:
                    del self._orphans[key[0]]

    def _apply(self, type_: str, obj: Obj) -> tuple[str, Obj | None, Obj] | None:
        """Update the cache with one change; returns (kind, old, new) to dispatch, or None."""
        key = self._key(obj)
        uid = util.uid_of(obj)
        rv = util.resource_version_int(obj)
        with self._lock:
            if uid in self._tombstones:
                if type_ == "DELETED":
                    del self._tombstones[uid]
                    return None
                dead_rv = self._tombstones[uid]
                if dead_rv is None or rv is None or rv <= dead_rv:
                    return None
            old = self._objects.get(key)
            if old is not None and util.uid_of(old) == uid and rv is not None:
                old_rv = util.resource_version_int(old)
                if old_rv is not None and rv < old_rv:
                    return None
                if old_rv is not None and rv == old_rv and type_ != "DELETED":
                    return None
            if type_ == "DELETED":
                if old is None or util.uid_of(old) != uid:
                    return None
                self._index_remove(key, old)
                return ("delete", old, obj)
            if old is not None:
                self._index_remove(key, old)
            self._index_add(key, obj)
            if old is not None and util.uid_of(old) != uid:
                return ("replace", old, obj)
            return ("update" if old is not None else "add", old, obj)

    def _dispatch(self, change: tuple[str, Obj | None, Obj] | None) -> None:
        if change is None:
            return
        kind, old, new = change
        for handler in self._handlers:
            try:
                if kind == "add" and handler.on_add:
                    handler.on_add(new)
                elif kind == "update" and handler.on_update:
                    assert old is not None
                    handler.on_update(old, new)
                elif kind == "delete" and handler.on_delete:
                    assert old is not None
                    handler.on_delete(old)
                elif kind == "replace":
                    assert old is not None
                    if handler.on_delete:
                        handler.on_delete(old)
                    if handler.on_add:
                        handler.on_add(new)
            except Exception:
                log.exception("%s/%s handler failed", self.group or "core", self.resource)

    def observe(self, obj: Obj) -> None:
        """Take in the result of our own write (created / updated / still-terminating object)."""
        if not isinstance(obj, dict) or not util.name_of(obj):
            return
        self._dispatch(self._apply("MODIFIED", obj))

    def observe_deleted(self, obj: Obj) -> None:
        """Take in an object our own delete removed: drop it and ignore its stale events."""
        if not isinstance(obj, dict) or not util.name_of(obj):
            return
        uid = util.uid_of(obj)
        key = self._key(obj)
        with self._lock:
            old = self._objects.get(key)
            if old is None or util.uid_of(old) != uid:
                if uid:
                    self._tombstones[uid] = util.resource_version_int(obj)
                return
            self._index_remove(key, old)
            if uid:
                self._tombstones[uid] = util.resource_version_int(obj)
        self._dispatch(("delete", old, obj))

    def _replace(self, items: ObjList) -> None:
        """A relist: make the cache equal to `items`, dispatching the differences."""
        changes: ChangeList = []
        with self._lock:
            fresh = {self._key(o): o for o in items}
            for key, old in list(self._objects.items()):
                if key not in fresh:
                    self._index_remove(key, old)
                    changes.append(("delete", old, old))
            listed_uids = {util.uid_of(o) for o in items}
            for uid in [u for u in self._tombstones if u not in listed_uids]:
                del self._tombstones[uid]
            for obj in items:
                changes.append(self._apply("ADDED", obj))
        for change in changes:
            self._dispatch(change)

    # --- running ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, name=f"informer-{self.group or 'core'}/{self.resource}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        watch = self._watch
        if watch is not None:
            try:
                watch.close()
            except Exception:
                log.debug("closing watch failed", exc_info=True)

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _relist(self) -> None:
        items, rv = self.client.list(self.group, self.resource)
        self._replace([o for o in items if isinstance(o, dict)])
        self._resource_version = rv
        self.synced.set()

    def _run(self) -> None:
        backoff = 0.05
        need_list = True
        while not self._stop.is_set():
            try:
                if need_list:
                    self._relist()
                    need_list = False
                watch = self.client.watch(
                    self.group, self.resource, resource_version=self._resource_version or None
                )
                self._watch = watch
                if self._stop.is_set():
                    watch.close()
                    break
                try:
                    for event in watch:
                        if event.type == "ERROR":
                            need_list = True
                            break
                        obj = event.object
                        if not isinstance(obj, dict):
                            continue
                        rv = util.meta(obj).get("resourceVersion")
                        if rv:
                            self._resource_version = str(rv)
                        if event.type == "BOOKMARK":
                            continue
                        self._dispatch(self._apply(event.type, obj))
                finally:
                    watch.close()
                    self._watch = None
                backoff = 0.05
            except StoreError as exc:
                if exc.code == 410:
                    need_list = True
                    continue
                log.warning("%s watch failed: %s", self.resource, exc.message)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:
                if self._stop.is_set():
                    break
                log.exception("%s informer failed", self.resource)
                need_list = True
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)


class InformerFactory:
    """One shared informer per resource."""

    def __init__(self, client: SimClient) -> None:
        self.client = client
        self._informers: dict[tuple[str, str], Informer] = {}
        self._lock = threading.Lock()

    def informer(self, group: str, resource: str) -> Informer:
        with self._lock:
            informer = self._informers.get((group, resource))
            if informer is None:
                informer = self._informers[(group, resource)] = Informer(
                    self.client, group, resource
                )
            return informer

    def find(self, group: str, resource: str) -> Informer | None:
        return self._informers.get((group, resource))

    def start(self) -> None:
        for informer in list(self._informers.values()):
            informer.start()

    def wait_for_sync(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        for informer in list(self._informers.values()):
            if not informer.synced.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True

    def stop(self) -> None:
        for informer in list(self._informers.values()):
            informer.stop()

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for informer in list(self._informers.values()):
            informer.join(max(0.0, deadline - time.monotonic()))


# --- events -------------------------------------------------------------------------------------


class EventRecorder:
    """record.EventRecorder: posts core/v1 Events on a background thread.

    Like client-go's correlator, an identical event (same object, type, reason, message, source)
    bumps `count` / `lastTimestamp` of the earlier one instead of adding another, and a token
    bucket per (source, object) — burst 25, one more every 5 minutes — drops floods.
    """

    BURST = 25
    REFILL_SECONDS = 300.0

    def __init__(self, client: SimClient, clock: Clock = time.time, enabled: bool = True) -> None:
        self.client = client
        self.clock = clock
        self.enabled = enabled
        self._queue: deque[tuple[str, Obj, str, str, str]] = deque()
        self._cond = threading.Condition(threading.Lock())
        self._seen: dict[tuple[str, ...], tuple[str, int]] = {}
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._stop = False
        self._thread: threading.Thread | None = None

    def event(
        self, component: str, obj: Mapping[str, Any], type_: str, reason: str, message: str
    ) -> None:
        if not self.enabled:
            return
        involved = {
            "kind": obj.get("kind") or "",
            "namespace": util.namespace_of(obj) or "default",
            "name": util.name_of(obj),
            "uid": util.uid_of(obj),
            "apiVersion": obj.get("apiVersion") or "",
            "resourceVersion": str(util.meta(obj).get("resourceVersion") or ""),
        }
        with self._cond:
            if self._stop:
                return
            if len(self._queue) > 10_000:
                return
            self._queue.append((component, involved, type_, reason, message))
            self._cond.notify()

    def start(self) -> None:
        if self._thread is None and self.enabled:
            self._thread = threading.Thread(target=self._run, name="event-recorder", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        with self._cond:
            self._stop = True
            self._queue.clear()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def _allow(self, component: str, uid: str) -> bool:
        now = time.monotonic()
        tokens, last = self._buckets.get((component, uid), (float(self.BURST), now))
        tokens = min(float(self.BURST), tokens + (now - last) / self.REFILL_SECONDS)
        if tokens < 1:
            self._buckets[(component, uid)] = (tokens, now)
            return False
        self._buckets[(component, uid)] = (tokens - 1, now)
        if len(self._buckets) > 50_000:
            self._buckets.clear()
        return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                item = self._queue.popleft()
            try:
                self._post(*item)
            except StoreError as exc:
                log.debug("event not recorded: %s", exc.message)
            except Exception:
                log.exception("event not recorded")

    def _post(self, component: str, involved: Obj, type_: str, reason: str, message: str) -> None:
        now = self.clock()
        stamp = util.rfc3339(now)
        namespace = involved["namespace"]
        seen_key = (component, involved["uid"], type_, reason, message)
        seen = self._seen.get(seen_key)
        if seen is not None:
            name, count = seen
            try:
                patched = self.client.patch(
                    "",
                    "events",
                    namespace,
                    name,
                    "application/merge-patch+json",
                    {"count": count + 1, "lastTimestamp": stamp},
                )
                self._seen[seen_key] = (name, int(patched.get("count") or count + 1))
                return
            except StoreError as exc:
                if exc.code != 404:
                    raise
                del self._seen[seen_key]
        if not self._allow(component, involved["uid"]):
            return
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": f"{involved['name']}.{int(now * 1e9) + len(self._seen):x}",
                "namespace": namespace,
            },
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": {"component": component},
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "type": type_,
            "reportingComponent": "",
            "reportingInstance": "",
        }
        created = self.client.create("", "events", event)
        if len(self._seen) > 20_000:
            self._seen.clear()
        self._seen[seen_key] = (util.name_of(created), 1)


# --- controllers --------------------------------------------------------------------------------


@dataclass
class ControllerContext:
    client: SimClient
    informers: InformerFactory
    recorder: EventRecorder
    clock: Clock = time.time
    base_delay: float = 0.005
    max_delay: float = 60.0
    poll_interval: float = 0.2


class Controller:
    """A reconcile loop: informer handlers enqueue keys, workers call `sync(key)`.

    `sync` returns None or a number of seconds (controller clock) after which to look again.
    Any exception requeues the key with rate limiting: a 409 Conflict quietly (the next sync
    re-reads the cache), anything else with a log line — a malformed object never stops the
    worker.
    """

    name = "controller"
    workers = 1

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx
        self.client = ctx.client
        self.informers = ctx.informers
        self.clock = ctx.clock
        self.queue = WorkQueue(
            ctx.clock,
            base_delay=ctx.base_delay,
            max_delay=ctx.max_delay,
            poll_interval=ctx.poll_interval,
        )
        self._threads: list[threading.Thread] = []
        self._error_logged: dict[str, float] = {}

    # --- lifecycle -------------------------------------------------------------------------

    def register(self) -> None:
        """Create informers and subscribe handlers (before the informers start)."""

    def start(self) -> None:
        for i in range(self.workers):
            thread = threading.Thread(target=self._worker, name=f"{self.name}-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self.queue.shutdown()

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def resync(self) -> None:
        """Enqueue every object this controller reconciles (periodic resync)."""

    # --- the loop --------------------------------------------------------------------------

    def sync(self, key: str) -> float | None:
        raise NotImplementedError

    def _worker(self) -> None:
        while True:
            key = self.queue.get()
            if key is None:
                return
            try:
                self.process(key)
            finally:
                self.queue.done(key)

    def process(self, key: str) -> None:
        try:
            after = self.sync(key)
        except StoreError as exc:
            if exc.code in (409, 404):
                log.debug("%s: %s: %s", self.name, key, exc.message)
            else:
                self._log_error(key, f"{exc.code} {exc.reason}: {exc.message}")
            self.queue.add_rate_limited(key)
            return
        except Exception as exc:
            if self.queue.shutting_down:
                return
            self._log_error(key, repr(exc), exc_info=True)
            self.queue.add_rate_limited(key)
            return
        self.queue.forget(key)
        if after is not None:
            self.queue.add_after(key, after)

    def _log_error(self, key: str, message: str, exc_info: bool = False) -> None:
        # A broken object is retried with back-off forever; log it now and then, not each time.
        now = time.monotonic()
        last = self._error_logged.get(key)
        if last is not None and now - last < 30:
            return
        self._error_logged[key] = now
        if len(self._error_logged) > 10_000:
            self._error_logged.clear()
        log.warning("%s: error syncing %s: %s", self.name, key, message, exc_info=exc_info)

    def enqueue(self, obj: Mapping[str, Any]) -> None:
        self.queue.add(util.key_of(obj))

    # --- writes that feed the cache --------------------------------------------------------

    def _observe(self, group: str, resource: str, obj: Any) -> None:
        informer = self.informers.find(group, resource)
        if informer is not None and isinstance(obj, dict):
            informer.observe(obj)

    def api_create(self, group: str, resource: str, obj: Mapping[str, Any]) -> Obj:
        created = self.client.create(group, resource, obj)
        self._observe(group, resource, created)
        return created

    def api_update(self, group: str, resource: str, obj: Mapping[str, Any]) -> Obj:
        updated = self.client.update(group, resource, obj)
        self._observe(group, resource, updated)
        return updated

    def api_update_status(self, group: str, resource: str, obj: Mapping[str, Any]) -> Obj:
        updated = self.client.update_status(group, resource, obj)
        self._observe(group, resource, updated)
        return updated

    def api_patch(
        self,
        group: str,
        resource: str,
        namespace: str | None,
        name: str,
        patch_type: str,
        body: Any,
        subresource: str | None = None,
    ) -> Obj:
        patched = self.client.patch(group, resource, namespace, name, patch_type, body, subresource)
        self._observe(group, resource, patched)
        return patched

    def api_delete(
        self,
        group: str,
        resource: str,
        namespace: str | None,
        name: str,
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
        preconditions: Mapping[str, Any] | None = None,
    ) -> Obj:
        result = self.client.delete(
            group,
            resource,
            namespace,
            name,
            grace_period_seconds,
            propagation_policy,
            preconditions,
        )
        informer = self.informers.find(group, resource)
        if informer is not None and isinstance(result, dict) and util.name_of(result):
            if deletion_pending(result):
                informer.observe(result)
            else:
                informer.observe_deleted(result)
        return result

    def record(self, obj: Mapping[str, Any], type_: str, reason: str, message: str) -> None:
        self.ctx.recorder.event(self.name, obj, type_, reason, message)


def deletion_pending(obj: Mapping[str, Any]) -> bool:
    """Whether a delete's answer is an object still being deleted (finalizers or a grace period
    left) rather than the last state of a removed one."""
    m = util.meta(obj)
    if not m.get("deletionTimestamp"):
        return False
    return bool(m.get("finalizers")) or bool(m.get("deletionGracePeriodSeconds"))


# --- adoption / release (controller.BaseControllerRefManager) -----------------------------------

STRATEGIC = "application/strategic-merge-patch+json"


def claim_objects(
    controller: Controller,
    owner: Mapping[str, Any],
    api_version: str,
    kind: str,
    group: str,
    resource: str,
    candidates: Iterable[Obj],
    match: Callable[[Obj], bool],
    can_adopt: Callable[[], bool],
) -> list[Obj]:
    """ClaimObject over candidates: keep ours that match, release ours that no longer match,
    adopt matching orphans (after `can_adopt()` re-checks the owner is not being deleted)."""
    owner_uid = util.uid_of(owner)
    owner_deleting = util.is_deleting(owner)
    claimed: list[Obj] = []
    adopt_checked: bool | None = None
    for obj in candidates:
        ref = util.controller_ref(obj)
        if ref is not None:
            if ref.get("uid") != owner_uid:
                continue
            if match(obj):
                claimed.append(obj)
                continue
            if owner_deleting:
                continue
            body = {
                "metadata": {
                    "ownerReferences": [{"$patch": "delete", "uid": owner_uid}],
                    "uid": util.uid_of(obj),
                }
            }
            try:
                controller.api_patch(
                    group, resource, util.namespace_of(obj), util.name_of(obj), STRATEGIC, body
                )
            except StoreError as exc:
                if exc.code != 404:
                    raise
            continue
        if owner_deleting or not match(obj) or util.is_deleting(obj):
            continue
        if adopt_checked is None:
            adopt_checked = can_adopt()
        if not adopt_checked:
            continue
        body = {
            "metadata": {
                "ownerReferences": [util.new_controller_ref(owner, api_version, kind)],
                "uid": util.uid_of(obj),
            }
        }
        try:
            adopted = controller.api_patch(
                group, resource, util.namespace_of(obj), util.name_of(obj), STRATEGIC, body
            )
        except StoreError as exc:
            if exc.code == 404:
                continue
            raise
        claimed.append(adopted)
    return claimed


def recheck_owner(
    controller: Controller, group: str, resource: str, owner: Mapping[str, Any]
) -> Callable[[], bool]:
    """controller.RecheckDeletionTimestamp: a fresh read says the owner is alive and the same."""

    def check() -> bool:
        try:
            fresh = controller.client.get(
                group, resource, util.namespace_of(owner), util.name_of(owner)
            )
        except StoreError:
            return False
        return util.uid_of(fresh) == util.uid_of(owner) and not util.is_deleting(fresh)

    return check


def resolve_owner(
    owners: Informer, kind: str, namespace: str, ref: Mapping[str, Any] | None
) -> Obj | None:
    """resolveControllerRef: the cached owner `ref` names, or None when the ref is of another
    kind or the cached object of that name is a different one (another uid)."""
    if ref is None or ref.get("kind") != kind:
        return None
    owner = owners.get(namespace, str(ref.get("name") or ""))
    if owner is None or util.uid_of(owner) != ref.get("uid"):
        return None
    return owner


def min_ready_requeue(queue: WorkQueue, slack: int) -> Callable[[Obj, Obj, Obj], None]:
    """An `OwnedObjects` after-update hook: a pod that just became ready turns available after
    the owner's minReadySeconds, so look at the owner again then, `slack` seconds late
    (upstream's ReplicaSet controller adds one second, the DaemonSet controller none)."""

    def requeue(owner: Obj, old: Obj, new: Obj) -> None:
        min_ready = util.int_field(owner.get("spec"), "minReadySeconds")
        if not util.is_pod_ready(old) and util.is_pod_ready(new) and min_ready > 0:
            queue.add_after(util.key_of(owner), min_ready + slack)

    return requeue


class OwnedObjects:
    """Turns watch events on owned objects (pods, or a Deployment's ReplicaSets) into enqueues
    of their owners of `kind`, like upstream's addPod / updatePod / deletePod handlers.

    An orphan (no controller ref) enqueues every owner whose selector matches its labels, so
    one of them can adopt it. Each handler takes an optional `enqueue` for controllers whose
    enqueue depends on the event (the Job controller's back-off).

    `deleting_update_is_delete`: an update to an object being deleted only enqueues its owner
    (and the old object's owner if the labels changed), as the ReplicaSet and Job controllers
    do. `after_owner_update(owner, old, new)` runs after an update enqueued the new controller
    owner (see `min_ready_requeue`).
    """

    def __init__(
        self,
        owners: Informer,
        kind: str,
        enqueue: Callable[[Obj], None],
        *,
        deleting_update_is_delete: bool = False,
        after_owner_update: Callable[[Obj, Obj, Obj], None] | None = None,
    ) -> None:
        self.owners = owners
        self.kind = kind
        self.enqueue = enqueue
        self.deleting_update_is_delete = deleting_update_is_delete
        self.after_owner_update = after_owner_update

    def owner_of(self, obj: Mapping[str, Any]) -> Obj | None:
        return resolve_owner(
            self.owners, self.kind, util.namespace_of(obj), util.controller_ref(obj)
        )

    def candidates(self, obj: Mapping[str, Any]) -> list[Obj]:
        """The owners whose non-empty selector matches the orphan's labels."""
        labels = util.labels_of(obj)
        if not labels:
            return []
        found = []
        for owner in self.owners.list(util.namespace_of(obj)):
            try:
                selector = util.selector_of(owner)
            except SelectorError:
                continue
            if not selector.empty and selector.matches(labels):
                found.append(owner)
        return found

    def enqueue_owner(self, obj: Obj, enqueue: Callable[[Obj], None] | None = None) -> None:
        """Only the controller owner (for a deletion: a deleted orphan cannot be adopted)."""
        enqueue = enqueue or self.enqueue
        owner = self.owner_of(obj)
        if owner is not None:
            enqueue(owner)

    def changed(self, obj: Obj, enqueue: Callable[[Obj], None] | None = None) -> None:
        """The controller owner, or for an orphan the owners that could adopt it."""
        enqueue = enqueue or self.enqueue
        owner = self.owner_of(obj)
        if owner is not None:
            enqueue(owner)
            return
        if util.controller_ref(obj) is None:
            for candidate in self.candidates(obj):
                enqueue(candidate)

    def added(self, obj: Obj, enqueue: Callable[[Obj], None] | None = None) -> None:
        """Like `changed`, except that an object already being deleted counts as deleted."""
        if util.is_deleting(obj):
            self.enqueue_owner(obj, enqueue)
            return
        self.changed(obj, enqueue)

    def updated(self, old: Obj, new: Obj, enqueue: Callable[[Obj], None] | None = None) -> None:
        """The old controller owner if the controller ref changed, then the new one (or, for an
        orphan whose ref or labels changed, the owners that could adopt it)."""
        enqueue = enqueue or self.enqueue
        labels_changed = util.labels_of(old) != util.labels_of(new)
        if self.deleting_update_is_delete and util.is_deleting(new):
            self.enqueue_owner(new, enqueue)
            if labels_changed:
                self.enqueue_owner(old, enqueue)
            return
        old_ref, new_ref = util.controller_ref(old), util.controller_ref(new)
        if old_ref != new_ref and old_ref is not None:
            old_owner = resolve_owner(self.owners, self.kind, util.namespace_of(old), old_ref)
            if old_owner is not None:
                enqueue(old_owner)
        if new_ref is not None:
            owner = resolve_owner(self.owners, self.kind, util.namespace_of(new), new_ref)
            if owner is None:
                return
            enqueue(owner)
            if self.after_owner_update is not None:
                self.after_owner_update(owner, old, new)
            return
        if old_ref != new_ref or labels_changed:
            for candidate in self.candidates(new):
                enqueue(candidate)


def create_pod_from_template(
    controller: Controller,
    template: Mapping[str, Any],
    owner: Mapping[str, Any],
    api_version: str,
    kind: str,
    *,
    name: str | None = None,
    mutate: Callable[[Obj], None] | None = None,
) -> Obj:
    """RealPodControl.CreatePodsWithControllerRef: a pod from the template, owned by `owner`,
    named `<owner>-<5 random chars>` by the apiserver; records SuccessfulCreate/FailedCreate."""
    pod = pod_from_template(template, owner, api_version, kind)
    if name is not None:
        pod["metadata"]["name"] = name
    if mutate is not None:
        mutate(pod)
    try:
        created = controller.api_create("", "pods", pod)
    except StoreError as exc:
        if not _namespace_terminating(exc):
            controller.record(owner, "Warning", "FailedCreate", f"Error creating: {exc.message}")
        raise
    controller.record(owner, "Normal", "SuccessfulCreate", f"Created pod: {util.name_of(created)}")
    return created


def pod_from_template(
    template: Mapping[str, Any], owner: Mapping[str, Any], api_version: str, kind: str
) -> Obj:
    """controller.GetPodFromTemplate."""
    template_meta = template.get("metadata") or {}
    owner_name = util.name_of(owner)
    metadata: Obj = {"generateName": f"{owner_name}-", "namespace": util.namespace_of(owner)}
    if template_meta.get("labels"):
        metadata["labels"] = dict(template_meta["labels"])
    if template_meta.get("annotations"):
        metadata["annotations"] = dict(template_meta["annotations"])
    if template_meta.get("finalizers"):
        metadata["finalizers"] = list(template_meta["finalizers"])
    metadata["ownerReferences"] = [util.new_controller_ref(owner, api_version, kind)]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": deep_copy(template.get("spec") or {}),
    }


def delete_pod(controller: Controller, owner: Mapping[str, Any], pod: Mapping[str, Any]) -> None:
    """RealPodControl.DeletePod (a pod already gone is not an error)."""
    try:
        controller.api_delete("", "pods", util.namespace_of(pod), util.name_of(pod))
    except StoreError as exc:
        if exc.code == 404:
            return
        controller.record(owner, "Warning", "FailedDelete", f"Error deleting: {exc.message}")
        raise
    controller.record(owner, "Normal", "SuccessfulDelete", f"Deleted pod: {util.name_of(pod)}")


def _namespace_terminating(exc: StoreError) -> bool:
    return exc.code == 403 and "being terminated" in exc.message


def deep_copy(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: deep_copy(v) for k, v in value.items()}
    if kind is list:
        return [deep_copy(v) for v in value]
    return value


def slow_start_batch(
    count: int, initial: int, fn: Callable[[], None]
) -> tuple[int, Exception | None]:
    """controller.slowStartBatch: call fn in batches of 1, 2, 4, ..., stopping after the first
    batch with a failure; returns (successes, first error)."""
    remaining = count
    successes = 0
    batch = min(remaining, initial)
    first_error: Exception | None = None
    while batch > 0:
        errors = 0
        for _ in range(batch):
            try:
                fn()
                successes += 1
            except Exception as exc:
                errors += 1
                if first_error is None:
                    first_error = exc
        if errors:
            break
        remaining -= batch
        batch = min(2 * batch, remaining)
    return successes, first_error
