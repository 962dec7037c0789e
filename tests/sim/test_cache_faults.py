"""Watch caches under faults, against the embedded API server (and tests/faultproxy.py):
a server rebuilt on the same address with other data, new certificates, a frozen server or a
silent link (staleness), the health probe, and `retry()`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy
from kubernetes import client, config

from ktui.cluster.batcher import ChangeBatch
from ktui.cluster.cache import Backoff, CachePhase, ClusterCache, ResourceCache, WatchOptions
from ktui.cluster.kinds import DEPLOYMENT, POD, KindSpec
from ktui.cluster.state import CacheState, utc_now
from ktui.sim.server import SimServer, new_tls_files
from ktui.sim.store import Store

LIVE = CachePhase.LIVE

FAST = WatchOptions(
    backoff=Backoff(base=0.05, cap=0.5),
    watch_read_timeout=10.0,
    forbidden_retry=3600.0,
    probe_interval=None,
    seed=7,
)


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class View:
    """A UI stand-in: applies batches as keyed diffs; records deletes and delivered states."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        self.deleted: dict[str, list[str]] = {}
        self.bad_deletes: list[str] = []
        self.states: dict[str, list[CacheState]] = {}

    def __call__(self, batch: ChangeBatch) -> None:
        with self.lock:
            for kind, uids in batch.deletes.items():
                for uid in uids:
                    self.deleted.setdefault(kind, []).append(uid)
                    if self.objects.get(kind, {}).pop(uid, None) is None:
                        self.bad_deletes.append(uid)
            for kind, objects in batch.upserts.items():
                self.objects.setdefault(kind, {}).update(objects)
            for kind, state in batch.states.items():
                self.states.setdefault(kind, []).append(state)

    def uids(self, kind: str) -> set[str]:
        with self.lock:
            return set(self.objects.get(kind, {}))

    def last_state(self, kind: str) -> CacheState | None:
        with self.lock:
            seen = self.states.get(kind)
            return seen[-1] if seen else None


def add_pods(store: Store, names: list[str]) -> dict[str, str]:
    """Create pods in "default"; name -> uid."""
    made = {}
    for name in names:
        obj = store.create(
            "",
            "pods",
            {
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        )
        made[name] = obj["metadata"]["uid"]
    return made


def api_client_for(url: str, token: str = "ktui-sim-token") -> Any:
    configuration = client.Configuration()
    configuration.host = url
    configuration.api_key = {"BearerToken": token}
    configuration.api_key_prefix = {"BearerToken": "Bearer"}
    return client.ApiClient(configuration)


def cluster_cache(
    api: Any,
    view: View,
    options: WatchOptions = FAST,
    kinds: tuple[KindSpec, ...] = (POD,),
) -> ClusterCache:
    return ClusterCache(
        api, "default", kinds=kinds, on_batch=view, batch_interval=0.02, options=options
    )


@pytest.fixture
def rebuildable() -> Iterator[list[SimServer]]:
    """Servers started by a test, stopped afterwards (the last one is the current one)."""
    servers: list[SimServer] = []
    yield servers
    for server in servers:
        server.stop()


def rebuild(old: SimServer, store: Store, **kwargs: Any) -> SimServer:
    """Stop `old` and start a new server with `store` on the same ports: the cluster rebuilt
    (or restored) on the same address."""
    old.stop()
    return SimServer(port=old.port, tls_port=old.tls_port, store=store, **kwargs).start()


# -- 1. ghosts after a server restart ---------------------------------------------------------


def test_a_server_rebuilt_with_other_data_leaves_no_ghosts(rebuildable: list[SimServer]) -> None:
    first = SimServer(tls=False).start()
    rebuildable.append(first)
    old = add_pods(first.store, [f"pod-{i:02d}" for i in range(12)])
    view = View()
    with cluster_cache(first.api_client(), view) as cluster:
        wait_for(lambda: len(view.uids("Pod")) == 12, "the 12 pods of the first server")
        wait_for(lambda: cluster.states()["Pod"].phase is LIVE, "live")

        # Same address, fresh store: 4 names again (new uids), 3 new names, a lower version.
        store = Store()
        new = add_pods(store, [*(f"pod-{i:02d}" for i in range(4)), "new-a", "new-b", "new-c"])
        assert int(store.resource_version) < int(cluster.states()["Pod"].resource_version)
        second = rebuild(first, store, tls=False)
        rebuildable.append(second)

        expected = set(new.values())
        wait_for(lambda: set(cluster.objects("Pod")) == expected, "exactly the new server's 7")
        wait_for(lambda: view.uids("Pod") == expected, "the view to show exactly those 7")
        wait_for(lambda: cluster.states()["Pod"].phase is LIVE, "live on the new server")
        pods = cluster.objects("Pod")
        assert {p["metadata"]["name"] for p in pods.values()} == set(new)
        assert all(pods[uid]["metadata"]["uid"] == uid for uid in expected)
    # A delete was delivered for each of the 12 ghosts, exactly once; no spurious ones.
    assert sorted(view.deleted["Pod"]) == sorted(old.values())
    assert view.bad_deletes == []
    assert all(uid not in cluster.index for uid in old.values())


def test_a_clean_watch_end_then_a_fresh_store_answers_too_large_and_lists_again() -> None:
    # The old server ends its watches cleanly (no failure, so the cache resumes from its
    # resourceVersion) and the next watch meets a store that never reached that version:
    # 504 "Too large resource version" in the stream, then a list, not a failure.
    with SimServer(tls=False) as sim:
        old = add_pods(sim.store, [f"old-{i}" for i in range(5)])
        view = View()
        with cluster_cache(sim.api_client(), view) as cluster:
            wait_for(lambda: len(view.uids("Pod")) == 5, "the 5 old pods")
            wait_for(lambda: sim.open_watch_count == 1, "the watch open on the server")
            resource_cache = cluster.cache("Pod")
            fresh = Store()
            new = add_pods(fresh, ["new-0"])
            previous, sim.store = sim.store, fresh
            previous.close_watches()
            wait_for(lambda: set(cluster.objects("Pod")) == set(new.values()), "only new-0")
            # The batcher delivers the relist's deletes a moment after the cache holds them;
            # leaving the block stops it and would drop them.
            wait_for(lambda: view.uids("Pod") == set(new.values()), "the view to show new-0")
            wait_for(lambda: cluster.states()["Pod"].phase is LIVE, "live again")
            assert resource_cache.relists == 1
        phases = [state.phase for state in view.states["Pod"]]
        assert CachePhase.RECONNECTING not in phases and CachePhase.ERROR not in phases
        assert sorted(view.deleted["Pod"]) == sorted(old.values())
        assert view.bad_deletes == []


def test_new_certificates_after_a_rebuild_are_one_clear_line(
    rebuildable: list[SimServer], tmp_path: Path
) -> None:
    first = SimServer().start()
    rebuildable.append(first)
    if first.https_url is None:
        pytest.skip("no openssl: the sim has no TLS listener")
    kubeconfig = first.write_kubeconfig(tmp_path / "kubeconfig")
    api = config.new_client_from_config(config_file=kubeconfig)
    view = View()
    with cluster_cache(api, view) as cluster:
        wait_for(lambda: cluster.states()["Pod"].phase is LIVE, "live over TLS")
        files = new_tls_files()
        assert files is not None
        second = rebuild(first, Store(), tls_files=files)
        rebuildable.append(second)
        # (The first failure is the old connection's end; the next attempts meet the new
        # certificate.)
        state = wait_for(
            lambda: (s := cluster.states()["Pod"]).message.startswith("TLS") and s,
            "the TLS failure after the rebuild",
        )
        assert state.phase in (CachePhase.RECONNECTING, CachePhase.ERROR)
        message = state.message
        assert message.startswith(f"TLS: certificate verify failed for {first.https_url}"), message
        assert "not trusted" in message
        assert "API client error" not in message and "SSLError" not in message
        assert "\n" not in message


# -- 2. stale shown as live ---------------------------------------------------------------------


def test_a_silent_link_is_stale_then_reconnecting_since_the_last_data() -> None:
    options = WatchOptions(
        backoff=Backoff(base=0.05, cap=0.3),
        watch_read_timeout=3.0,
        list_read_timeout=2.0,
        stale_floor=0.5,
        probe_interval=None,
        seed=3,
    )
    with SimServer(tls=False, bookmark_interval=0.3) as sim, FaultProxy(sim.port) as proxy:
        add_pods(sim.store, ["a"])
        view = View()
        with cluster_cache(api_client_for(proxy.url), view, options) as cluster:
            pods = cluster.cache("Pod")
            wait_for(lambda: cluster.states()["Pod"].phase is LIVE, "live")
            wait_for(lambda: pods.bookmark_interval is not None, "a bookmark")
            silenced_at = utc_now()
            proxy.silence()
            stale = wait_for(
                lambda: (s := cluster.states()["Pod"]).stale_since is not None and s,
                "the silence noticed",
            )
            assert stale.phase is LIVE
            assert stale.stale_since is not None and stale.stale_since <= silenced_at
            delivered = wait_for(
                lambda: (s := view.last_state("Pod")) is not None and s.stale_since and s,
                "the stale state delivered in a batch",
            )
            assert delivered.stale_since == stale.stale_since
            # The read timeout ends the watch; the relist meets the same silence and fails:
            # the outage is dated from the last data, not from when the read timed out.
            reconnecting = wait_for(
                lambda: (s := cluster.states()["Pod"]).phase is CachePhase.RECONNECTING and s,
                "reconnecting",
            )
            assert reconnecting.since == stale.stale_since
            proxy.resume()
            wait_for(
                lambda: (s := cluster.states()["Pod"]).phase is LIVE and s.stale_since is None,
                "live and fresh again",
            )
        assert pods.stale_marks >= 1
        assert view.bad_deletes == []


def test_the_probe_marks_live_kinds_stale_when_the_server_does_not_answer() -> None:
    # No bookmarks (interval 60 s): the watch's silence alone proves nothing; the probe does.
    options = WatchOptions(
        backoff=Backoff(base=0.05, cap=0.3),
        watch_read_timeout=120.0,  # only the probe's answer can end the silent watches
        probe_interval=0.3,
        probe_timeout=0.5,
        health_tick=0.1,
        seed=4,
    )
    with SimServer(tls=False, bookmark_interval=60.0) as sim, FaultProxy(sim.port) as proxy:
        view = View()
        with cluster_cache(api_client_for(proxy.url), view, options, (POD, DEPLOYMENT)) as cc:
            wait_for(lambda: all(s.phase is LIVE for s in cc.states().values()), "live")
            wait_for(lambda: cc.probes >= 2 and cc.probe_failures == 0, "answered probes")
            before = utc_now()
            proxy.silence()
            states = wait_for(
                lambda: (
                    (s := cc.states()) and all(x.stale_since is not None for x in s.values()) and s
                ),
                "every live kind stale",
            )
            assert cc.probe_failures >= 1
            for state in states.values():
                assert state.phase is LIVE
                assert isinstance(state.stale_since, datetime) and state.stale_since <= before
            proxy.resume()
            # After the silence the watches are in doubt: once the server answers a probe
            # again, every stale kind is listed again at once, then fresh.
            wait_for(
                lambda: all(s.phase is LIVE and not s.stale for s in cc.states().values()),
                "fresh again",
            )
            for kind in cc.kinds:
                assert cc.cache(kind).relists >= 1
                assert cc.cache(kind).failures == 0  # a resync is not a failure
            assert cc.probe()


def test_probe_answers_false_when_cut_and_true_otherwise() -> None:
    with SimServer(tls=False) as sim, FaultProxy(sim.port) as proxy:
        cluster = ClusterCache(api_client_for(proxy.url), "default", kinds=[POD], options=FAST)
        assert cluster.probe(timeout=2.0)
        proxy.cut()
        assert not cluster.probe(timeout=2.0)
        assert cluster.probe_failures == 1


# -- 3. retry -----------------------------------------------------------------------------------


def test_retry_wakes_a_forbidden_kind_once_rbac_allows_it() -> None:
    with SimServer(tls=False) as sim, FaultProxy(sim.port) as proxy:
        add_pods(sim.store, ["p"])
        proxy.inject(403, "/api/v1/namespaces/default/pods", message="pods are denied")
        view = View()
        with cluster_cache(api_client_for(proxy.url), view, kinds=(POD, DEPLOYMENT)) as cluster:
            wait_for(
                lambda: cluster.states()["Pod"].phase is CachePhase.FORBIDDEN, "pods forbidden"
            )
            wait_for(lambda: cluster.states()["Deployment"].phase is LIVE, "deployments live")
            assert "pods are denied" in cluster.states()["Pod"].message
            assert cluster.retry("Deployment") == []  # live: nothing to wake
            proxy.clear_injections()  # RBAC granted; forbidden_retry is an hour
            assert cluster.retry() == ["Pod"]
            wait_for(lambda: cluster.states()["Pod"].phase is LIVE, "pods live after retry")
            wait_for(lambda: len(view.uids("Pod")) == 1, "the pod in the view")
        assert proxy.injected >= 1


def test_retry_wakes_every_reconnecting_kind_from_a_long_back_off() -> None:
    # Back-off up to ten minutes (seed 2 draws ~570 s first): only retry() brings them back.
    slow = WatchOptions(backoff=Backoff(base=600.0, cap=600.0), probe_interval=None, seed=2)
    with SimServer(tls=False) as sim, FaultProxy(sim.port) as proxy:
        view = View()
        with cluster_cache(api_client_for(proxy.url), view, slow, (POD, DEPLOYMENT)) as cluster:
            wait_for(lambda: all(s.phase is LIVE for s in cluster.states().values()), "live")
            proxy.cut()
            wait_for(
                lambda: all(s.phase is CachePhase.RECONNECTING for s in cluster.states().values()),
                "every kind reconnecting",
            )
            proxy.resume()
            assert sorted(cluster.retry()) == ["Deployment", "Pod"]
            wait_for(lambda: all(s.phase is LIVE for s in cluster.states().values()), "live")


class RecordingSink:
    """A ChangeSink that records each apply call and the phases/messages it was told about."""

    def __init__(self, cache: list[Any]) -> None:
        self.cache = cache
        self.applies: list[list[tuple[str, bool]]] = []
        self.messages: list[str] = []
        self.lock = threading.Lock()

    def apply(self, kind: str, changes: list[Any]) -> None:
        with self.lock:
            self.applies.append([(uid, obj is not None) for uid, obj, _ in changes])

    def state_changed(self, kind: str) -> None:
        state = self.cache[0].state()
        with self.lock:
            self.messages.append(state.message)


def test_the_first_list_reaches_the_screen_page_by_page() -> None:
    options = WatchOptions(backoff=Backoff(base=0.05, cap=0.3), page_size=2, probe_interval=None)
    with SimServer(tls=False) as sim:
        for index in range(5):
            sim.store.create(
                "",
                "pods",
                {
                    "metadata": {"name": f"p{index}", "namespace": "default"},
                    "spec": {"containers": [{"name": "c", "image": "x"}]},
                },
            )
        holder: list[Any] = []
        sink = RecordingSink(holder)
        cache = ResourceCache(api_client_for(sim.url), POD, "default", sink=sink, options=options)
        holder.append(cache)
        cache.start()
        try:
            wait_for(lambda: cache.state().phase is LIVE, "live")
            with sink.lock:
                applies = list(sink.applies)
                messages = list(sink.messages)
            # Pages of 2, 2 and 1: the first two are handed over before the list ends, with
            # how far the list is; the last comes with the final diff.
            assert [len(a) for a in applies] == [2, 2, 1]
            assert "listing 2/5" in messages and "listing 4/5" in messages
            # A relist is one diff, never a partial picture: nothing changed, nothing emitted.
            cache.resync()
            wait_for(lambda: cache.relists == 1 and cache.state().phase is LIVE, "relisted")
            with sink.lock:
                assert sink.applies[3:] == [[]]
        finally:
            cache.stop()
