"""A kind that was allowed and is denied for a moment (a restarted apiserver whose RBAC caches
are not loaded yet) recovers with the usual back-off, not after `forbidden_retry`."""

from __future__ import annotations

import time
from collections.abc import Callable

from ktui.cluster.cache import Backoff, CachePhase, ClusterCache, WatchOptions
from ktui.cluster.kinds import POD
from ktui.sim.server import SimServer

# forbidden_retry is an hour: only the short retries can bring the cache back in this test.
OPTIONS = WatchOptions(backoff=Backoff(base=0.05, cap=0.2), forbidden_retry=3600.0, seed=1)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        time.sleep(0.02)


def test_a_short_denial_after_a_restart_is_retried(sim: SimServer) -> None:
    sim.store.create("", "pods", {"metadata": {"name": "p1", "namespace": "default"}, "spec": {}})
    with ClusterCache(sim.api_client(), "default", kinds=[POD], options=OPTIONS) as cluster:
        cache = cluster.cache("Pod")
        wait_for(lambda: cache.state().phase is CachePhase.LIVE, "pods live")
        sim.faults.forbid("", "pods")
        sim.faults.drop_watches()
        wait_for(lambda: cache.state().phase is CachePhase.FORBIDDEN, "the denial seen")
        sim.faults.clear()
        wait_for(lambda: cache.state().phase is CachePhase.LIVE, "live again without retry()")
        assert set(cluster.objects("Pod")) == {
            p["metadata"]["uid"] for p in sim.store.list("", "pods", "default")[0]
        }


def test_a_kind_never_allowed_stays_quiet(sim: SimServer) -> None:
    sim.faults.forbid("", "pods")
    with ClusterCache(sim.api_client(), "default", kinds=[POD], options=OPTIONS) as cluster:
        cache = cluster.cache("Pod")
        wait_for(lambda: cache.state().phase is CachePhase.FORBIDDEN, "forbidden")
        requests = cache.list_requests
        time.sleep(1.0)  # many back-off periods: a retry storm would show in the count
        assert cache.list_requests == requests
