"""A burst of 20,000 changes on 1,000 pods, through the real server, to a slow consumer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ktui.cluster.batcher import ChangeBatch
from ktui.cluster.cache import CachePhase, ClusterCache, WatchOptions
from ktui.cluster.kinds import POD
from ktui.sim.server import SimServer


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class SlowView:
    """Applies batches like a UI would, taking 50 ms per batch."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.objects: dict[str, dict[str, Any]] = {}
        self.batches = 0
        self.largest_batch = 0
        self.bad_deletes: list[str] = []

    def __call__(self, batch: ChangeBatch) -> None:
        with self.lock:
            for uid in batch.deletes.get("Pod", ()):
                if self.objects.pop(uid, None) is None:
                    self.bad_deletes.append(uid)
            self.objects.update(batch.upserts.get("Pod", {}))
            self.batches += 1
            self.largest_batch = max(self.largest_batch, batch.object_count())
        time.sleep(0.05)

    def versions(self) -> dict[str, str]:
        with self.lock:
            return {uid: obj["metadata"]["resourceVersion"] for uid, obj in self.objects.items()}


def store_versions(sim: SimServer) -> dict[str, str]:
    items, _ = sim.store.list("", "pods", "default")
    return {obj["metadata"]["uid"]: obj["metadata"]["resourceVersion"] for obj in items}


def test_burst_on_a_slow_consumer_is_coalesced_bounded_and_exact() -> None:
    with SimServer(bookmark_interval=1.0) as sim:
        for i in range(1000):
            sim.store.create(
                "",
                "pods",
                {
                    "metadata": {"name": f"pod-{i:04d}", "namespace": "default"},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                },
            )
        view = SlowView()
        cache = ClusterCache(
            sim.api_client(),
            "default",
            kinds=[POD],
            on_batch=view,
            batch_interval=0.1,
            options=WatchOptions(seed=5),
        )
        with cache:
            wait_for(lambda: len(view.versions()) == 1000, "the initial list in the view")
            wait_for(lambda: cache.states()["Pod"].phase == CachePhase.LIVE, "live")
            batches_before = view.batches
            for n in range(20_000):
                sim.store.patch(
                    "",
                    "pods",
                    "default",
                    f"pod-{n % 1000:04d}",
                    "application/merge-patch+json",
                    {"metadata": {"labels": {"burst": str(n)}}},
                )
            expected = store_versions(sim)
            wait_for(lambda: view.versions() == expected, "the view to match the store")
            assert dict(cache.objects("Pod")).keys() == expected.keys()
            assert all(
                obj["metadata"]["labels"]["burst"] == str(19_000 + int(obj["metadata"]["name"][4:]))
                for obj in cache.objects("Pod").values()
            )
        assert cache.batcher.max_pending <= 1000
        assert view.bad_deletes == []
        # A 50 ms consumer cannot have taken 20,000 separate changes: they were coalesced.
        assert view.batches - batches_before < 1000


def test_ten_thousand_pods_list_in_pages_and_are_shared_not_copied() -> None:
    with SimServer() as sim:
        for i in range(10_000):
            sim.store.create(
                "",
                "pods",
                {
                    "metadata": {"name": f"pod-{i:05d}", "namespace": "default"},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                },
            )
        batches: list[ChangeBatch] = []
        cache = ClusterCache(
            sim.api_client(),
            "default",
            kinds=[POD],
            on_batch=batches.append,
            options=WatchOptions(page_size=500),
        )
        with cache:
            wait_for(lambda: cache.states()["Pod"].phase == CachePhase.LIVE, "live")
            wait_for(
                lambda: sum(len(b.upserts.get("Pod", {})) for b in batches) >= 10_000,
                "the list delivered",
            )
            objects = cache.objects("Pod")
            assert len(objects) == 10_000
            # The first list arrives page by page (the panes paint before the last page), each
            # pod once, and the batches hold the cached dicts themselves, not copies.
            delivered: dict[str, object] = {}
            for batch in batches:
                for uid, obj in batch.upserts.get("Pod", {}).items():
                    assert uid not in delivered
                    delivered[uid] = obj
            first = next(b for b in batches if b.upserts)
            assert 0 < len(first.upserts["Pod"]) < 10_000
            assert delivered.keys() == objects.keys()
            assert all(delivered[uid] is obj for uid, obj in objects.items())
        assert cache.cache("Pod").list_requests == 20
