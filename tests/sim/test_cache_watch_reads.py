"""Watch streams read by ktui's own de-chunking (plain HTTP and TLS) against the embedded
server: a paced burst loses nothing, a silent watch still times out into a re-watch."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from controller_testing import wait_for as poll_until
from kubernetes import config

from ktui.cluster.cache import Backoff, CachePhase, ClusterCache, WatchOptions
from ktui.cluster.kinds import POD
from ktui.sim.server import SimServer

OPTIONS = WatchOptions(backoff=Backoff(base=0.05, cap=0.5), probe_interval=None, seed=11)


def wait_for(condition: Callable[[], Any], what: str) -> Any:
    # A paced burst of thousands of changes on a loaded machine: a generous bound.
    return poll_until(condition, what, timeout=60.0)


def api_client(sim: SimServer, tls: bool, tmp_path: Path) -> Any:
    if not tls:
        return sim.api_client()
    if sim.https_url is None:
        pytest.skip("no openssl: the sim has no TLS listener")
    return config.new_client_from_config(config_file=sim.write_kubeconfig(tmp_path / "kc"))


def versions(objects: Any) -> dict[str, str]:
    return {uid: obj["metadata"]["resourceVersion"] for uid, obj in objects.items()}


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_a_paced_burst_loses_nothing(tls: bool, tmp_path: Path) -> None:
    with SimServer(bookmark_interval=1.0) as sim:
        for i in range(200):
            sim.store.create(
                "",
                "pods",
                {
                    "metadata": {"name": f"pod-{i:03d}", "namespace": "default"},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                },
            )
        cache = ClusterCache(
            api_client(sim, tls, tmp_path), "default", kinds=[POD], options=OPTIONS
        )
        with cache:
            wait_for(lambda: cache.states()["Pod"].phase is CachePhase.LIVE, "live")
            for n in range(3000):
                sim.store.patch(
                    "",
                    "pods",
                    "default",
                    f"pod-{n % 199:03d}",
                    "application/merge-patch+json",
                    {"metadata": {"labels": {"burst": str(n)}}},
                )
                if n == 1000:
                    sim.store.delete("", "pods", "default", "pod-199")
            items, _ = sim.store.list("", "pods", "default")
            expected = versions({obj["metadata"]["uid"]: obj for obj in items})
            wait_for(lambda: versions(cache.objects("Pod")) == expected, "the cache = the store")
            pods = cache.cache("Pod")
            assert pods.dechunked_watches >= 1
            assert pods.failures == 0
            assert pods.watch_reads < 3000


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_a_silent_dechunked_watch_times_out_and_watches_again(tls: bool, tmp_path: Path) -> None:
    # No bookmarks within the read timeout: the silence is quiet, not a fault.
    with SimServer(bookmark_interval=3600.0) as sim:
        options = dataclasses.replace(OPTIONS, watch_read_timeout=0.3)
        cache = ClusterCache(
            api_client(sim, tls, tmp_path), "default", kinds=[POD], options=options
        )
        with cache:
            pods = cache.cache("Pod")
            wait_for(lambda: pods.quiet_timeouts >= 2, "two read timeouts")
            state = cache.states()["Pod"]
            assert state.phase is CachePhase.LIVE and state.attempt == 0
            assert pods.dechunked_watches >= 2
        assert pods.failures == 0
        assert pods.list_requests == 1
