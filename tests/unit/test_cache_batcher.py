"""ChangeBatcher: coalescing, add/delete cancellation, back-pressure, bounded memory."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from ktui.cluster.batcher import ChangeBatch, ChangeBatcher
from ktui.cluster.state import CachePhase, CacheState


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def pod(uid: str, version: int) -> dict[str, Any]:
    return {"metadata": {"uid": uid, "resourceVersion": str(version)}}


class View:
    """What a UI would hold: applies batches as keyed diffs and checks they make sense."""

    def __init__(self, delay: float = 0.0) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.batches: list[ChangeBatch] = []
        self.delay = delay
        self.inside = False
        self.overlapped = False
        self.bad_deletes: list[str] = []

    def __call__(self, batch: ChangeBatch) -> None:
        if self.inside:
            self.overlapped = True
        self.inside = True
        try:
            for uids in batch.deletes.values():
                for uid in uids:
                    if self.objects.pop(uid, None) is None:
                        self.bad_deletes.append(uid)
            for objects in batch.upserts.values():
                self.objects.update(objects)
            self.batches.append(batch)
            if self.delay:
                time.sleep(self.delay)
        finally:
            self.inside = False


def test_updates_of_one_object_coalesce_to_the_newest() -> None:
    batcher = ChangeBatcher(lambda batch: None)
    batcher.put_upsert("Pod", "a", pod("a", 1), existed=False)
    batcher.put_upsert("Pod", "a", pod("a", 2), existed=True)
    batcher.put_upsert("Pod", "a", pod("a", 3), existed=True)
    assert batcher.pending_count == 1
    batch = batcher.take_batch()
    assert batch is not None
    assert batch.upserts == {"Pod": {"a": pod("a", 3)}}
    assert batch.deletes == {}
    assert batch.coalesced == 3
    assert batcher.take_batch() is None


def test_add_then_delete_in_one_window_cancels_out() -> None:
    batcher = ChangeBatcher(lambda batch: None)
    batcher.put_upsert("Pod", "new", pod("new", 1), existed=False)
    batcher.put_upsert("Pod", "new", pod("new", 2), existed=True)
    batcher.put_delete("Pod", "new", existed=True)
    batch = batcher.take_batch()
    assert batch is not None
    assert batch.upserts == {} and batch.deletes == {}


def test_update_then_delete_of_a_known_object_is_a_delete() -> None:
    batcher = ChangeBatcher(lambda batch: None)
    batcher.put_upsert("Pod", "old", pod("old", 5), existed=True)
    batcher.put_delete("Pod", "old", existed=True)
    batch = batcher.take_batch()
    assert batch is not None
    assert batch.deletes == {"Pod": {"old"}} and batch.upserts == {}


def test_delete_then_add_again_is_an_upsert() -> None:
    batcher = ChangeBatcher(lambda batch: None)
    batcher.put_delete("Pod", "x", existed=True)
    batcher.put_upsert("Pod", "x", pod("x", 9), existed=False)
    batch = batcher.take_batch()
    assert batch is not None
    assert batch.upserts == {"Pod": {"x": pod("x", 9)}} and batch.deletes == {}


def test_delete_of_an_object_never_seen_is_not_emitted() -> None:
    batcher = ChangeBatcher(lambda batch: None)
    batcher.put_delete("Pod", "ghost", existed=False)
    batch = batcher.take_batch()
    assert batch is not None and batch.deletes == {} and batch.upserts == {}


def test_put_changes_keeps_order_and_marks_state() -> None:
    states = {"Pod": CacheState(CachePhase.LIVE, count=1)}
    batcher = ChangeBatcher(lambda batch: None, state_of=states.__getitem__)
    batcher.put_changes(
        "Pod",
        [("a", pod("a", 1), False), ("a", None, True), ("b", pod("b", 1), False)],
    )
    batch = batcher.take_batch()
    assert batch is not None
    assert batch.upserts == {"Pod": {"b": pod("b", 1)}}
    assert batch.deletes == {}
    assert batch.states == {"Pod": states["Pod"]}


def test_state_only_batches_are_delivered() -> None:
    state = CacheState(CachePhase.FORBIDDEN, message="pods is forbidden")
    view = View()
    batcher = ChangeBatcher(view, interval=0.01, state_of=lambda kind: state)
    batcher.start()
    try:
        batcher.touch_state("Pod")
        wait_for(lambda: len(view.batches) == 1, "a state batch")
        assert view.batches[0].states == {"Pod": state}
        assert view.batches[0].upserts == {} and view.batches[0].deletes == {}
    finally:
        batcher.stop()
    assert not batcher.alive


def test_slow_consumer_burst_is_bounded_and_exact() -> None:
    """20,000 changes on 1,000 objects against a consumer that takes 50 ms per batch."""
    rng = random.Random(1234)
    view = View(delay=0.05)
    batcher = ChangeBatcher(view, interval=0.02)
    batcher.start()
    truth: dict[str, dict[str, Any]] = {}
    try:
        for version in range(20_000):
            uid = f"pod-{rng.randrange(1000)}"
            existed = uid in truth
            if existed and rng.random() < 0.1:
                del truth[uid]
                batcher.put_delete("Pod", uid, existed=True)
            else:
                truth[uid] = pod(uid, version)
                batcher.put_upsert("Pod", uid, truth[uid], existed=existed)
            assert batcher.pending_count <= 1000
        wait_for(lambda: batcher.pending_count == 0 and not view.inside, "the batcher to drain", 30)
        # The last batch may still be on its way out of take_batch into the consumer.
        wait_for(lambda: view.objects == truth, "the consumer's view to match")
    finally:
        batcher.stop()
    assert batcher.max_pending <= 1000
    assert view.objects == truth
    assert view.bad_deletes == []
    assert not view.overlapped
    assert sum(batch.coalesced for batch in view.batches) == 20_000
    # Back-pressure: far fewer batches than changes, each coalescing many of them.
    assert len(view.batches) < 2_000
    assert [batch.sequence for batch in view.batches] == list(range(1, len(view.batches) + 1))


def test_each_object_appears_once_per_batch() -> None:
    view = View()
    batcher = ChangeBatcher(view, interval=0.0)
    batcher.put_upsert("Pod", "a", pod("a", 1), existed=False)
    batcher.put_delete("Pod", "a", existed=True)
    batcher.put_upsert("Pod", "a", pod("a", 2), existed=False)
    batch = batcher.take_batch()
    assert batch is not None
    assert batch.object_count() == 1
    assert batch.upserts == {"Pod": {"a": pod("a", 2)}}


def test_wait_for_ack_holds_the_next_batch() -> None:
    view = View()
    batcher = ChangeBatcher(view, interval=0.01, wait_for_ack=True)
    batcher.start()
    try:
        batcher.put_upsert("Pod", "a", pod("a", 1), existed=False)
        wait_for(lambda: len(view.batches) == 1, "the first batch")
        batcher.put_upsert("Pod", "b", pod("b", 1), existed=False)
        batcher.put_upsert("Pod", "a", pod("a", 2), existed=True)
        # Not a timing assertion: give the flusher ample chances, then check it held back.
        time.sleep(0.2)
        assert len(view.batches) == 1
        assert batcher.pending_count == 2
        batcher.ack()
        wait_for(lambda: len(view.batches) == 2, "the second batch after ack")
        assert view.batches[1].upserts == {"Pod": {"b": pod("b", 1), "a": pod("a", 2)}}
    finally:
        batcher.stop()
    assert not batcher.alive


def test_a_failing_consumer_does_not_stop_delivery(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def consumer(batch: ChangeBatch) -> None:
        calls.append(batch.sequence)
        if batch.sequence == 1:
            raise RuntimeError("boom")

    batcher = ChangeBatcher(consumer, interval=0.0)
    batcher.start()
    try:
        batcher.put_upsert("Pod", "a", pod("a", 1), existed=False)
        wait_for(lambda: calls == [1], "the first batch")
        batcher.put_upsert("Pod", "b", pod("b", 1), existed=False)
        wait_for(lambda: calls == [1, 2], "the second batch")
    finally:
        batcher.stop()
    assert "batch 1 lost" in caplog.text


def test_stop_returns_while_idle_and_drops_pending() -> None:
    view = View()
    batcher = ChangeBatcher(view, interval=60.0)
    batcher.start()
    batcher.put_upsert("Pod", "a", pod("a", 1), existed=False)
    wait_for(lambda: len(view.batches) == 1, "the first batch")
    batcher.put_upsert("Pod", "b", pod("b", 1), existed=False)  # waits for the 60 s interval
    batcher.stop()
    assert not batcher.alive
    assert len(view.batches) == 1


def test_concurrent_producers() -> None:
    view = View(delay=0.01)
    batcher = ChangeBatcher(view, interval=0.005)
    batcher.start()
    truths: list[dict[str, dict[str, Any]]] = [{} for _ in range(4)]

    def produce(n: int) -> None:
        truth = truths[n]
        rng = random.Random(n)
        for version in range(3000):
            uid = f"k{n}-{rng.randrange(100)}"
            existed = uid in truth
            if existed and rng.random() < 0.2:
                del truth[uid]
                batcher.put_delete("Pod", uid, existed=True)
            else:
                truth[uid] = pod(uid, version)
                batcher.put_upsert("Pod", uid, truth[uid], existed=existed)

    threads = [threading.Thread(target=produce, args=(n,)) for n in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        merged = {uid: obj for truth in truths for uid, obj in truth.items()}
        wait_for(lambda: view.objects == merged, "the merged view to match")
    finally:
        batcher.stop()
    assert batcher.max_pending <= 400
    assert view.bad_deletes == []


def test_a_batch_says_when_its_oldest_change_was_recorded() -> None:
    batcher = ChangeBatcher(lambda batch: None, state_of=lambda kind: CacheState(CachePhase.LIVE))
    before = time.monotonic()
    batcher.put_upsert("Pod", "a", {"metadata": {"uid": "a"}}, existed=False)
    recorded = time.monotonic()
    batcher.put_upsert("Pod", "b", {"metadata": {"uid": "b"}}, existed=False)
    batch = batcher.take_batch()
    assert batch is not None
    assert before <= batch.first_change_at <= recorded
    batcher.touch_state("Pod")
    state_only = batcher.take_batch()
    assert state_only is not None and state_only.first_change_at == 0.0
