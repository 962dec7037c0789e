"""Posting core/v1 Events the way the kubelet's event recorder does: aggregated and rate-limited.

`EventRecorder(client, component=, clock=, burst=25, refill=300.0)`; `record(...)` never
blocks: events are posted by one background thread in the order they were recorded. An event
identical to an earlier one (same object, field path, reason, message, type and source) bumps
the earlier Event's `count` and `lastTimestamp` instead of creating a new object, and a token
bucket per object and source (`burst` events, then one more every `refill` seconds) drops the
rest, like client-go's EventCorrelator spam filter. So a crash loop updates a handful of Events
instead of creating thousands.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ktui.sim.client import SimClient
from ktui.sim.lifecycle import rfc3339
from ktui.sim.store import StoreError

log = logging.getLogger(__name__)

_Key = tuple[str, str, str, str, str, str, str, str]


@dataclass
class _Aggregate:
    namespace: str
    name: str
    body: dict[str, Any]
    count: int = 1
    last: float = 0.0
    created: bool = False
    queued: bool = False
    written_count: int = 0


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class _Stats:
    recorded: int = 0
    dropped: int = 0
    created: int = 0
    patched: int = 0
    failed: int = 0
    extra: dict[str, int] = field(default_factory=dict)


def involved_object(obj: Mapping[str, Any], field_path: str | None = None) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    ref: dict[str, Any] = {
        "kind": obj.get("kind") or "Pod",
        "apiVersion": obj.get("apiVersion") or "v1",
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
    }
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    if field_path:
        ref["fieldPath"] = field_path
    return ref


class EventRecorder:
    """See the module docstring."""

    def __init__(
        self,
        client: SimClient,
        *,
        component: str,
        clock: Callable[[], float] = time.time,
        burst: int = 25,
        refill: float = 300.0,
        cache_size: int = 50_000,
        thread_name: str | None = None,
    ) -> None:
        self._client = client
        self.component = component
        self._thread_name = thread_name or f"event-recorder-{component}"
        self._clock = clock
        self._burst = burst
        self._refill = max(refill, 1e-6)
        self._cache_size = cache_size
        self._aggregates: OrderedDict[_Key, _Aggregate] = OrderedDict()
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()
        self._queue: deque[_Key] = deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._seq = 0
        self._busy = False
        self.stats = _Stats()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def idle(self) -> bool:
        """True when nothing is waiting to be posted."""
        with self._cond:
            return not self._queue and not self._busy

    def record(
        self,
        involved: Mapping[str, Any],
        reason: str,
        message: str,
        *,
        type_: str = "Normal",
        field_path: str | None = None,
        host: str | None = None,
        component: str | None = None,
        at: float | None = None,
    ) -> None:
        now = self._clock() if at is None else at
        ref = involved_object(involved, field_path)
        namespace = str(ref.get("namespace") or "default")
        source = component or self.component
        key: _Key = (
            namespace,
            str(ref.get("uid") or ref.get("name")),
            field_path or "",
            reason,
            message,
            type_,
            source,
            host or "",
        )
        with self._cond:
            self.stats.recorded += 1
            if not self._take_token((str(ref.get("uid") or ref.get("name")), source), now):
                self.stats.dropped += 1
                return
            found = self._aggregates.get(key)
            if found is not None:
                self._aggregates.move_to_end(key)
                found.count += 1
                found.last = max(found.last, now)
            else:
                self._seq += 1
                # The kubelet names events <object>.<hex nanoseconds>; the counter keeps two
                # events recorded in the same nanosecond apart.
                name = f"{ref['name']}.{int(now * 1e9) + self._seq:x}"
                source_obj: dict[str, Any] = {"component": source}
                if host:
                    source_obj["host"] = host
                body: dict[str, Any] = {
                    "apiVersion": "v1",
                    "kind": "Event",
                    "metadata": {"name": name, "namespace": namespace},
                    "involvedObject": ref,
                    "reason": reason,
                    "message": message,
                    "type": type_,
                    "source": source_obj,
                    "firstTimestamp": rfc3339(now),
                    "reportingComponent": source,
                    "reportingInstance": host or source,
                }
                found = _Aggregate(namespace, name, body, count=1, last=now)
                self._aggregates[key] = found
                while len(self._aggregates) > self._cache_size:
                    old_key, old = self._aggregates.popitem(last=False)
                    if old.queued:  # still to be written: keep it
                        self._aggregates[old_key] = old
                        break
            if not found.queued:
                found.queued = True
                self._queue.append(key)
                self._cond.notify()

    def _take_token(self, key: tuple[str, str], now: float) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(self._burst), updated=now)
            self._buckets[key] = bucket
            while len(self._buckets) > self._cache_size:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            refill = (now - bucket.updated) / self._refill
            bucket.tokens = min(float(self._burst), bucket.tokens + max(0.0, refill))
            bucket.updated = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                key = self._queue.popleft()
                agg = self._aggregates.get(key)
                if agg is None:
                    continue
                agg.queued = False
                count, last, created = agg.count, agg.last, agg.created
                body = dict(agg.body)
                self._busy = True
            try:
                self._post(agg, body, count, last, created)
            except Exception:
                log.exception("posting event %s failed", body.get("metadata", {}).get("name"))
            finally:
                with self._cond:
                    self._busy = False

    def _post(
        self, agg: _Aggregate, body: dict[str, Any], count: int, last: float, created: bool
    ) -> None:
        stamp = rfc3339(last)
        if created:
            try:
                self._client.patch(
                    "", "events", agg.namespace, agg.name, "merge",
                    {"count": count, "lastTimestamp": stamp},
                )  # fmt: skip
                self.stats.patched += 1
                return
            except StoreError as exc:
                if exc.code != 404:
                    self.stats.failed += 1
                    log.debug("updating event %s failed: %s", agg.name, exc.message)
                    return
                # The Event expired or was deleted: post it again.
        body["count"] = count
        body["lastTimestamp"] = stamp
        try:
            self._client.create("", "events", body)
        except StoreError as exc:
            if exc.code == 409:
                agg.created = True
                return
            self.stats.failed += 1
            log.debug("creating event %s failed: %s", agg.name, exc.message)
            return
        self.stats.created += 1
        agg.created = True
