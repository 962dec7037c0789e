"""Coalescing change delivery with back-pressure, from the watch threads to one consumer (the UI).

Watch threads record changes in a pending map keyed by (kind, uid): a later change of the same
object replaces the earlier one, so the map never holds more entries than there are distinct
objects, however many events arrive. A flusher thread swaps the map out at most every
`interval` seconds and hands it to `on_batch` as a `ChangeBatch`. The next batch is built only
after `on_batch` returned (and, with `wait_for_ack`, after `ack()` was called), so a slow consumer
gets fewer, larger batches instead of a growing queue: memory is bounded by the number of
objects, not the number of events.

Add-then-delete within one window cancels out: every pending entry remembers whether the
consumer already had the object when the window started (`existed` of the first change in the
window), and a delete of an object the consumer never saw is dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ktui.cluster.state import CacheState

log = logging.getLogger(__name__)

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    """Changes since the previous batch, already coalesced: apply as a keyed diff.

    An object appears at most once per batch: in `upserts` (its newest state) or in `deletes`.
    Objects are shared with the cache, never copied: treat them as read-only.
    """

    upserts: dict[str, dict[str, Obj]] = field(default_factory=dict)
    """kind -> {uid: object} of objects added or changed."""
    deletes: dict[str, set[str]] = field(default_factory=dict)
    """kind -> uids of objects removed."""
    states: dict[str, CacheState] = field(default_factory=dict)
    """kind -> current state, for kinds whose state changed (count included)."""
    sequence: int = 0
    """1 for the first batch delivered, then 2, 3, ..."""
    coalesced: int = 0
    """How many object changes were recorded for this batch (>= objects in it)."""
    first_change_at: float = 0.0
    """`time.monotonic()` when the batch's oldest change was recorded (0.0: none): the batch's
    display lag is measured from here."""

    def object_count(self) -> int:
        return sum(map(len, self.upserts.values())) + sum(map(len, self.deletes.values()))


# (object or None for a delete, whether the consumer had the object before this window)
_Pending = tuple[Obj | None, bool]
Change = tuple[str, Obj | None, bool]
"""(uid, new object or None for a delete, whether the cache had the object before the change)"""


class ChangeBatcher:
    """Collects changes from any thread; delivers coalesced batches from its own thread.

    `on_batch` is called from the flusher thread. With `wait_for_ack=True` the flusher then
    waits for `ack()` before it builds the next batch: a consumer that only posts the batch to
    its event loop acks once it has applied it, and that ack is the back-pressure (ktui's app
    posts a message; the main screen acks after drawing). Without it, the next batch waits only
    for `on_batch` to return. `on_batch` must not raise; if it does, the error is logged and
    that batch is lost to the consumer.
    """

    def __init__(
        self,
        on_batch: Callable[[ChangeBatch], None],
        *,
        interval: float = 0.15,
        state_of: Callable[[str], CacheState] | None = None,
        wait_for_ack: bool = False,
        name: str = "ktui-batcher",
    ) -> None:
        if interval < 0:
            raise ValueError(f"batch interval must be >= 0, got {interval}")
        self._on_batch = on_batch
        self._interval = interval
        self._state_of = state_of
        self._wait_for_ack = wait_for_ack
        self._name = name
        self._cond = threading.Condition(threading.Lock())
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._dirty_states: set[str] = set()
        self._recorded = 0
        self._first_change_at = 0.0
        self._max_pending = 0
        self._sequence = 0
        self._stopping = threading.Event()
        self._acked = threading.Event()
        self._thread: threading.Thread | None = None

    # -- recording (any thread) -------------------------------------------------------------

    def put_upsert(self, kind: str, uid: str, obj: Obj, *, existed: bool) -> None:
        """Record that `obj` is the newest state; `existed`: the cache had it before."""
        with self._cond:
            self._record_upsert(kind, uid, obj, existed)
            self._after_record()

    def put_delete(self, kind: str, uid: str, *, existed: bool = True) -> None:
        """Record that the object is gone; `existed`: the cache had it before this delete."""
        with self._cond:
            self._record_delete(kind, uid, existed)
            self._after_record()

    def put_changes(self, kind: str, changes: Iterable[Change]) -> None:
        """Record many changes of one kind atomically and in order; they land in one batch.

        Each change is (uid, object or None for a delete, whether the cache had it before).
        A list or relist is recorded this way so the consumer sees it whole.
        """
        with self._cond:
            for uid, obj, existed in changes:
                if obj is None:
                    self._record_delete(kind, uid, existed)
                else:
                    self._record_upsert(kind, uid, obj, existed)
            self._dirty_states.add(kind)
            self._after_record()

    def touch_state(self, kind: str) -> None:
        """Include `kind`'s current state in the next batch."""
        with self._cond:
            self._dirty_states.add(kind)
            self._cond.notify()

    def _record_upsert(self, kind: str, uid: str, obj: Obj, existed: bool) -> None:
        key = (kind, uid)
        previous = self._pending.get(key)
        self._pending[key] = (obj, previous[1] if previous is not None else existed)
        self._dirty_states.add(kind)
        self._recorded += 1

    def _record_delete(self, kind: str, uid: str, existed: bool) -> None:
        key = (kind, uid)
        previous = self._pending.get(key)
        consumer_has_it = previous[1] if previous is not None else existed
        if consumer_has_it:
            self._pending[key] = (None, True)
        elif previous is not None:
            # Added and deleted within one window: the consumer never needs to hear of it.
            del self._pending[key]
        self._dirty_states.add(kind)
        self._recorded += 1

    def _after_record(self) -> None:
        if not self._first_change_at:
            self._first_change_at = time.monotonic()
        size = len(self._pending)
        if size > self._max_pending:
            self._max_pending = size
        self._cond.notify()

    # -- inspection -------------------------------------------------------------------------

    @property
    def pending_count(self) -> int:
        with self._cond:
            return len(self._pending)

    @property
    def max_pending(self) -> int:
        """The largest the pending map has ever been (bounded by the number of objects)."""
        with self._cond:
            return self._max_pending

    # -- delivery ---------------------------------------------------------------------------

    def take_batch(self) -> ChangeBatch | None:
        """Swap out everything pending as a batch now (None when nothing is pending).

        The flusher thread uses this; a consumer that polls instead of running the flusher may too.
        """
        with self._cond:
            if not self._pending and not self._dirty_states:
                return None
            pending, self._pending = self._pending, {}
            dirty, self._dirty_states = self._dirty_states, set()
            recorded, self._recorded = self._recorded, 0
            first_change_at, self._first_change_at = self._first_change_at, 0.0
            self._sequence += 1
            sequence = self._sequence
        upserts: dict[str, dict[str, Obj]] = {}
        deletes: dict[str, set[str]] = {}
        for (kind, uid), (obj, _existed) in pending.items():
            if obj is None:
                deletes.setdefault(kind, set()).add(uid)
            else:
                upserts.setdefault(kind, {})[uid] = obj
        states: dict[str, CacheState] = {}
        if self._state_of is not None:
            for kind in sorted(dirty):
                states[kind] = self._state_of(kind)
        return ChangeBatch(
            upserts=upserts,
            deletes=deletes,
            states=states,
            sequence=sequence,
            coalesced=recorded,
            first_change_at=first_change_at,
        )

    def ack(self) -> None:
        """Tell the flusher the consumer applied the last batch (with `wait_for_ack=True`)."""
        self._acked.set()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("batcher already started")
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop delivering (pending changes are dropped) and join the flusher thread.

        If the consumer is stuck inside `on_batch`, the join gives up after `timeout`; the
        thread is a daemon, so it cannot keep the process alive.
        """
        self._stopping.set()
        self._acked.set()
        with self._cond:
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        last_delivery = float("-inf")
        while not self._stopping.is_set():
            with self._cond:
                while not (self._pending or self._dirty_states) and not self._stopping.is_set():
                    self._cond.wait()
            if self._stopping.is_set():
                return
            # Rate limit: let changes accumulate until `interval` after the previous delivery.
            delay = last_delivery + self._interval - time.monotonic()
            if delay > 0 and self._stopping.wait(delay):
                return
            batch = self.take_batch()
            if batch is None:
                continue
            last_delivery = time.monotonic()
            self._acked.clear()
            try:
                self._on_batch(batch)
            except Exception:
                log.exception("change batch consumer failed; batch %d lost", batch.sequence)
                continue
            if self._wait_for_ack:
                self._acked.wait()
