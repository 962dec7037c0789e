"""Pacing CPython's cyclic garbage collector, so that no collection walks the whole cache.

A full collection walks every object the collector tracks, with the GIL held: at 10,000 pods
under 2,000 changes/s `bench/bench_latency.py` counted 12 of them in 15 s, up to 269 ms each,
and a key pressed meanwhile waits; at 100,000 pods (about 6 million tracked objects) one takes
seconds. Nearly all of those objects are the cache's: plain JSON dicts and lists that have no
reference cycles, live until a newer version of their object replaces them, and are then freed
by their reference count, never by the collector.

So the pacer, called every second from the event loop, collects the young generations (where
new cycles are found, a few ms) and then `gc.freeze()`s what survived: frozen objects are never
walked again, and a frozen object whose count drops to zero is freed as usual. CPython's own
collections then walk only what was allocated since the last tick.

What freezing costs: an object frozen while it was reachable and later dropped as part of a
cycle is not collected while frozen: above all a closed screen's widgets (Textual's widgets
and styles point at each other: about 2,000 objects for a pod detail screen opened and
closed). The valve: once `screens_closed` screens were closed or `clean_every` seconds went
by, and only after `idle_after` seconds without a key (the one moment a pause is not felt),
the pacer unfreezes everything and runs one full collection, which frees them. A namespace
or context switch drops the whole old cache and model at once: it makes that collection due
(`collect_soon`).
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["GcPacer", "collector_paused"]

_paused_lock = threading.Lock()
_paused_count = 0
_paused_by_us = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection while a page of a list is parsed (on any thread).

    Parsing allocates tens of thousands of dicts and lists that all stay alive, and every
    young collection in the middle of it walks them again: a page of 500 realistic pods took
    1.6-2.3x as long with the collector on (338-494 against 207-217 us a pod, parsed and
    slimmed beside a live heap of 300,000 containers), more as the heap grew.
    Nested and concurrent uses count; the collector is switched on again when the last one
    ends, and never when it was off before the first (someone else's choice).
    """
    global _paused_count, _paused_by_us
    with _paused_lock:
        if _paused_count == 0:
            _paused_by_us = gc.isenabled()
            gc.disable()
        _paused_count += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused_count -= 1
            if _paused_count == 0 and _paused_by_us:
                gc.enable()


@dataclass
class GcPacer:
    """Ticked by the app every `interval` seconds; told of keys and closed screens."""

    interval: float = 1.0
    """Seconds between two ticks (the app's timer)."""
    clean_every: float = 600.0
    """Seconds after which a full collection is due (at the next idle moment)."""
    screens_closed: int = 20
    """Screens closed after which a full collection is due (at the next idle moment)."""
    idle_after: float = 2.0
    """Seconds without a key before a full collection may run."""
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        now = self.clock()
        self._last_key = now
        self._last_clean = now
        self._closed = 0
        self.freezes = 0
        self.cleans = 0
        self.freed_by_last_clean = 0
        """Unreachable objects the last full collection found (what the freezes held)."""

    def key_pressed(self) -> None:
        self._last_key = self.clock()

    def screen_closed(self) -> None:
        self._closed += 1

    def collect_soon(self) -> None:
        """Make a full collection due at the next idle moment: much was dropped at once (a
        namespace or context switch drops the whole cache and model)."""
        self._closed = max(self._closed, self.screens_closed)

    def tick(self) -> None:
        now = self.clock()
        due = self._closed >= self.screens_closed or now - self._last_clean >= self.clean_every
        if due and now - self._last_key >= self.idle_after:
            self._last_clean = now
            self._closed = 0
            gc.unfreeze()
            self.freed_by_last_clean = gc.collect()
            self.cleans += 1
        else:
            gc.collect(1)
        gc.freeze()
        self.freezes += 1

    def run_until(self, stop: threading.Event) -> None:
        """Tick every `interval` seconds until `stop` is set, then `stop()` (a process
        without the app's timer: the embedded cluster's server)."""
        while not stop.wait(self.interval):
            self.tick()
        self.stop()

    def stop(self) -> None:
        """Give the frozen objects back to the collector (the app is leaving)."""
        gc.unfreeze()
