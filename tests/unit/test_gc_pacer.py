"""The GC pacer: frozen objects are not walked, and the valve frees what a freeze held."""

from __future__ import annotations

import gc
import json
import threading
import weakref
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

import ktui.cluster.watch as watch
from ktui.gc_pacer import GcPacer, collector_paused


class Node:
    """A cycle: it points at itself, so only the collector frees it."""

    def __init__(self) -> None:
        self.me = self


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()
    gc.collect()


def frozen_cycle(pacer: GcPacer) -> weakref.ref[Node]:
    node = Node()
    ref = weakref.ref(node)
    pacer.tick()  # node is reachable: frozen
    del node
    return ref


def test_a_tick_freezes_what_survives_the_young_collection() -> None:
    clock = Clock()
    pacer = GcPacer(clock=clock)
    kept = [{"pod": i} for i in range(1000)]
    before = gc.get_freeze_count()
    pacer.tick()
    assert gc.get_freeze_count() >= before + len(kept)
    assert pacer.freezes == 1 and pacer.cleans == 0


def test_a_frozen_cycle_stays_until_the_valve_runs_at_an_idle_moment() -> None:
    clock = Clock()
    pacer = GcPacer(clock=clock, clean_every=600.0, idle_after=2.0)
    ref = frozen_cycle(pacer)
    gc.collect()
    assert ref() is not None, "a frozen cycle is not walked by a full collection"

    clock.now += 599.0
    pacer.tick()
    assert ref() is not None and pacer.cleans == 0, "not due yet"

    clock.now += 2.0
    pacer.key_pressed()
    clock.now += 1.0
    pacer.tick()
    assert ref() is not None and pacer.cleans == 0, "due, but a key came 1 s ago"

    clock.now += 1.0
    pacer.tick()
    assert ref() is None, "due and 2 s without a key: unfrozen and collected"
    assert pacer.cleans == 1 and pacer.freed_by_last_clean >= 1


def test_closed_screens_make_the_valve_due_before_its_time() -> None:
    clock = Clock()
    pacer = GcPacer(clock=clock, clean_every=600.0, screens_closed=3, idle_after=2.0)
    ref = frozen_cycle(pacer)
    clock.now += 10.0
    pacer.screen_closed()
    pacer.screen_closed()
    pacer.tick()
    assert ref() is not None, "two screens closed of three"
    pacer.screen_closed()
    pacer.tick()
    assert ref() is None and pacer.cleans == 1
    # The count starts again after a full collection.
    ref = frozen_cycle(pacer)
    clock.now += 10.0
    pacer.tick()
    assert ref() is not None


def test_stop_gives_the_frozen_objects_back() -> None:
    pacer = GcPacer(clock=Clock())
    ref = frozen_cycle(pacer)
    pacer.stop()
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert ref() is None


def test_the_collector_is_paused_while_any_user_is_inside_and_back_after_the_last() -> None:
    assert gc.isenabled()
    first = collector_paused()
    second = collector_paused()
    first.__enter__()
    assert not gc.isenabled()
    second.__enter__()  # another thread's page, say
    first.__exit__(None, None, None)
    assert not gc.isenabled(), "still one page being parsed"
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_the_collector_comes_back_after_an_error_inside() -> None:
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("a malformed page")
    assert gc.isenabled()


def test_a_collector_someone_else_switched_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_parsing_a_list_page_pauses_the_collector_and_gives_it_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []

    def loads(data: bytes) -> object:
        seen.append(gc.isenabled())
        return json.loads(data)

    monkeypatch.setattr(watch, "json", SimpleNamespace(loads=loads))
    body = b'{"kind":"PodList","metadata":{"resourceVersion":"5"},"items":[]}'
    page = watch.parse_list_page(body, kind="Pod", api_version="v1")
    assert page.resource_version == "5"
    assert seen == [False] and gc.isenabled()


def test_run_until_ticks_until_stopped_and_then_gives_everything_back() -> None:
    stop = threading.Event()

    class Counting(GcPacer):
        def tick(self) -> None:
            super().tick()
            if self.freezes == 3:
                stop.set()

    pacer = Counting(interval=0.0, clock=Clock())
    pacer.run_until(stop)
    assert pacer.freezes == 3
    assert gc.get_freeze_count() == 0
