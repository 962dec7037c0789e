"""ClusterCache against the embedded API server: lists, watches, faults, recovery, stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ktui.cluster.batcher import ChangeBatch
from ktui.cluster.cache import Backoff, CachePhase, ClusterCache, WatchOptions
from ktui.cluster.kinds import ALL_KINDS, DEPLOYMENT, POD, REPLICA_SET, KindSpec
from ktui.sim.server import SimServer

FAST = WatchOptions(
    page_size=50,
    backoff=Backoff(base=0.05, cap=0.5),
    watch_read_timeout=10.0,
    forbidden_retry=60.0,
    seed=7,
)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class View:
    """A UI stand-in: applies each batch as a keyed diff and records what it saw."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        self.upserts: dict[str, int] = {}
        self.bad_deletes: list[str] = []
        self.phases: dict[str, list[CachePhase]] = {}

    def __call__(self, batch: ChangeBatch) -> None:
        with self.lock:
            for kind, uids in batch.deletes.items():
                for uid in uids:
                    if self.objects.get(kind, {}).pop(uid, None) is None:
                        self.bad_deletes.append(uid)
            for kind, objects in batch.upserts.items():
                self.objects.setdefault(kind, {}).update(objects)
                for uid in objects:
                    self.upserts[uid] = self.upserts.get(uid, 0) + 1
            for kind, state in batch.states.items():
                seen = self.phases.setdefault(kind, [])
                if not seen or seen[-1] != state.phase:
                    seen.append(state.phase)

    def names(self, kind: str) -> set[str]:
        with self.lock:
            return {obj["metadata"]["name"] for obj in self.objects.get(kind, {}).values()}

    def phase(self, kind: str) -> CachePhase | None:
        with self.lock:
            seen = self.phases.get(kind)
            return seen[-1] if seen else None


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(bookmark_interval=30.0) as server:
        yield server


def new_pod(sim: SimServer, name: str, namespace: str = "default", **metadata: Any) -> str:
    obj = sim.store.create(
        "",
        "pods",
        {
            "metadata": {"name": name, "namespace": namespace, **metadata},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        },
    )
    uid: str = obj["metadata"]["uid"]
    return uid


def owner(kind: str, name: str, uid: str) -> dict[str, Any]:
    api_version = (
        "v1" if kind == "Pod" else ("batch/v1" if kind in ("Job", "CronJob") else "apps/v1")
    )
    return {"apiVersion": api_version, "kind": kind, "name": name, "uid": uid, "controller": True}


def make_cache(
    sim: SimServer,
    view: View,
    kinds: tuple[KindSpec, ...] = (POD,),
    namespace: str | None = "default",
    options: WatchOptions = FAST,
) -> ClusterCache:
    return ClusterCache(
        sim.api_client(),
        namespace,
        kinds=kinds,
        on_batch=view,
        batch_interval=0.02,
        options=options,
    )


def all_live(cache: ClusterCache) -> bool:
    return all(state.phase == CachePhase.LIVE for state in cache.states().values())


def test_paginated_list_of_more_objects_than_the_limit(sim: SimServer) -> None:
    for i in range(120):
        new_pod(sim, f"pod-{i:03d}")
    view = View()
    cache = make_cache(sim, view)
    with cache:
        wait_for(lambda: len(view.names("Pod")) == 120, "all 120 pods in the view")
        wait_for(lambda: all_live(cache), "live")
        assert cache.states()["Pod"].count == 120
    assert cache.cache("Pod").list_requests == 3  # 50 + 50 + 20
    assert all(count == 1 for count in view.upserts.values())


def test_add_modify_delete_events_and_the_ownership_index(sim: SimServer) -> None:
    view = View()
    cache = make_cache(sim, view, kinds=(DEPLOYMENT, REPLICA_SET, POD))
    with cache:
        wait_for(lambda: all_live(cache), "live")
        # The pod arrives before its owners are created: the index must cope.
        pod_uid = new_pod(
            sim, "web-1", ownerReferences=[owner("ReplicaSet", "web-rs", "rs-uid-pending")]
        )
        wait_for(lambda: view.names("Pod") == {"web-1"}, "the added pod")
        assert cache.index.children("rs-uid-pending") == [pod_uid]

        deployment = sim.store.create(
            "apps",
            "deployments",
            {
                "metadata": {"name": "web", "namespace": "default"},
                "spec": {
                    "selector": {"matchLabels": {"app": "web"}},
                    "template": {
                        "metadata": {"labels": {"app": "web"}},
                        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                    },
                },
            },
        )
        deploy_uid = deployment["metadata"]["uid"]
        replica_set = sim.store.create(
            "apps",
            "replicasets",
            {
                "metadata": {
                    "name": "web-rs",
                    "namespace": "default",
                    "ownerReferences": [owner("Deployment", "web", deploy_uid)],
                },
                "spec": {
                    "selector": {"matchLabels": {"app": "web"}},
                    "template": {
                        "metadata": {"labels": {"app": "web"}},
                        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                    },
                },
            },
        )
        rs_uid = replica_set["metadata"]["uid"]
        pod = sim.store.get("", "pods", "default", "web-1")
        pod["metadata"]["ownerReferences"] = [owner("ReplicaSet", "web-rs", rs_uid)]
        pod["metadata"]["labels"] = {"app": "web", "tier": "front"}
        sim.store.update("", "pods", pod)
        wait_for(
            lambda: cache.index.owner_chain(pod_uid) == [rs_uid, deploy_uid], "the owner chain"
        )
        wait_for(
            lambda: (
                view.objects["Pod"][pod_uid]["metadata"].get("labels", {}).get("tier") == "front"
            ),
            "the modified pod",
        )
        assert cache.index.children("rs-uid-pending") == []
        assert cache.index.children(deploy_uid, kind="ReplicaSet") == [rs_uid]
        assert "managedFields" not in cache.objects("Pod")[pod_uid]["metadata"]

        sim.store.delete("", "pods", "default", "web-1")
        sim.store.delete("apps", "replicasets", "default", "web-rs")
        sim.store.delete("apps", "deployments", "default", "web")
        wait_for(lambda: not any(view.names(k) for k in ("Pod", "ReplicaSet")), "the deletes")
        wait_for(lambda: len(cache.index) == 0, "an empty index")
        assert cache.index.stats() == {"objects": 0, "with_owners": 0, "owners_with_children": 0}
        assert cache.get(pod_uid) is None
    assert view.bad_deletes == []


def test_bookmarks_advance_the_resource_version(sim: SimServer) -> None:
    sim.store.create("", "namespaces", {"metadata": {"name": "elsewhere"}})
    new_pod(sim, "here")
    view = View()
    cache = make_cache(sim, view)
    with cache:
        wait_for(lambda: all_live(cache), "live")
        listed = int(cache.states()["Pod"].resource_version)
        for i in range(5):  # writes the namespaced watch does not see, only their version
            new_pod(sim, f"there-{i}", namespace="elsewhere")
        target = int(sim.store.resource_version)
        assert target > listed
        sim.bookmark_interval = 0.1
        wait_for(
            lambda: int(cache.states()["Pod"].resource_version) >= target,
            "a bookmark carrying the newer version",
        )
        state = cache.states()["Pod"]
        assert state.count == 1
        assert state.phase == CachePhase.LIVE
    assert view.names("Pod") == {"here"}


def test_410_after_a_gap_relists_and_emits_the_difference(sim: SimServer) -> None:
    kept = [new_pod(sim, f"kept-{i}") for i in range(3)]
    doomed = new_pod(sim, "doomed")
    view = View()
    cache = make_cache(sim, view)
    with cache:
        wait_for(lambda: len(view.names("Pod")) == 4 and all_live(cache), "live with 4 pods")
        sim.pause()  # no watch traffic from here on
        sim.store.delete("", "pods", "default", "doomed")
        born = new_pod(sim, "born-in-the-gap")
        sim.store.compact()
        sim.resume()
        wait_for(
            lambda: view.names("Pod") == {"kept-0", "kept-1", "kept-2", "born-in-the-gap"},
            "the relisted view",
        )
        wait_for(lambda: view.phase("Pod") == CachePhase.LIVE, "live again")
        resource_cache = cache.cache("Pod")
        assert resource_cache.relists == 1
        assert set(cache.objects("Pod")) == {*kept, born}
    assert view.bad_deletes == []
    # Nothing shown twice: the kept pods were not re-emitted by the relist.
    assert all(view.upserts[uid] == 1 for uid in kept)
    assert view.upserts[born] == 1
    assert doomed not in cache.index


def test_dropped_watches_list_again_and_emit_nothing_twice(sim: SimServer) -> None:
    # A broken watch is not resumed: the server may have changed under it (restored, rebuilt),
    # so the kind is listed again; the relist of unchanged objects emits nothing.
    new_pod(sim, "before")
    view = View()
    cache = make_cache(sim, view)
    with cache:
        wait_for(lambda: all_live(cache) and view.names("Pod") == {"before"}, "live")
        resource_cache = cache.cache("Pod")
        watches = resource_cache.watch_requests
        wait_for(lambda: sim.open_watch_count == 1, "the server to see the watch")
        sim.faults.drop_watches()
        new_pod(sim, "during")
        wait_for(lambda: resource_cache.watch_requests > watches, "a new watch")
        wait_for(lambda: view.names("Pod") == {"before", "during"}, "the pod made meanwhile")
        new_pod(sim, "after")
        wait_for(lambda: view.names("Pod") == {"before", "during", "after"}, "a later pod")
        assert resource_cache.failures >= 1
        assert resource_cache.relists == 1
        assert resource_cache.list_requests == 2
        assert cache.states()["Pod"].phase == CachePhase.LIVE
    assert view.bad_deletes == []
    assert all(count == 1 for count in view.upserts.values())  # nothing shown twice


def test_pause_shows_reconnecting_then_live_again(sim: SimServer) -> None:
    new_pod(sim, "a")
    view = View()
    cache = make_cache(sim, view)
    with cache:
        wait_for(lambda: all_live(cache), "live")
        sim.pause()
        wait_for(lambda: cache.states()["Pod"].phase == CachePhase.RECONNECTING, "reconnecting")
        wait_for(lambda: cache.states()["Pod"].attempt >= 2, "a few failed attempts")
        reconnecting = cache.states()["Pod"]
        assert reconnecting.message  # the reason, e.g. "connection refused"
        assert sim.token not in reconnecting.message
        new_pod(sim, "b")
        sim.resume()
        wait_for(lambda: cache.states()["Pod"].phase == CachePhase.LIVE, "live again")
        wait_for(lambda: view.names("Pod") == {"a", "b"}, "the pod made while paused")
        state = cache.states()["Pod"]
        assert state.attempt == 0 and state.message == ""
        assert state.since >= reconnecting.since
        assert cache.cache("Pod").relists == 1  # listed again once reachable, not resumed
        assert all(count == 1 for count in view.upserts.values())
        wait_for(lambda: view.phase("Pod") == CachePhase.LIVE, "the view live again")
    assert CachePhase.RECONNECTING in view.phases["Pod"]


def test_server_restart_is_survived(sim: SimServer) -> None:
    view = View()
    cache = make_cache(sim, view)
    with cache:
        wait_for(lambda: all_live(cache), "live")
        sim.restart()
        new_pod(sim, "after-restart")
        wait_for(lambda: view.names("Pod") == {"after-restart"}, "the pod after the restart")
        wait_for(lambda: all_live(cache), "live again")
        assert cache.cache("Pod").relists == 1
        assert all(count == 1 for count in view.upserts.values())


def test_forbidden_kind_beside_a_working_one(sim: SimServer) -> None:
    sim.faults.forbid("apps", "deployments", message="deployments are off limits in this test")
    view = View()
    cache = make_cache(sim, view, kinds=(DEPLOYMENT, POD))
    with cache:
        wait_for(lambda: cache.states()["Deployment"].phase == CachePhase.FORBIDDEN, "forbidden")
        wait_for(lambda: cache.states()["Pod"].phase == CachePhase.LIVE, "pods live")
        assert "deployments are off limits in this test" in cache.states()["Deployment"].message
        for i in range(20):
            new_pod(sim, f"p{i}")
        wait_for(lambda: len(view.names("Pod")) == 20, "pods flowing meanwhile")
        deployments = cache.cache("Deployment")
        assert deployments.list_requests == 1  # no retry storm
        assert deployments.watch_requests == 0
        assert view.phase("Deployment") == CachePhase.FORBIDDEN

        sim.faults.clear()
        cache.retry("Deployment")
        wait_for(lambda: cache.states()["Deployment"].phase == CachePhase.LIVE, "allowed now")
        assert deployments.list_requests == 2


def test_default_forbidden_message_names_the_resource(sim: SimServer) -> None:
    sim.faults.forbid("", "pods")
    view = View()
    cache = make_cache(sim, view)
    with cache:
        wait_for(lambda: cache.states()["Pod"].phase == CachePhase.FORBIDDEN, "forbidden")
        message = cache.states()["Pod"].message
    assert "pods is forbidden" in message
    assert "\n" not in message


def test_stop_while_every_watch_is_open_and_silent(sim: SimServer) -> None:
    view = View()
    cache = make_cache(sim, view, kinds=ALL_KINDS, namespace=None)
    cache.start()
    wait_for(lambda: all_live(cache), "every kind live")
    wait_for(lambda: sim.open_watch_count == len(ALL_KINDS), "the server to see every watch")
    caches = [cache.cache(kind) for kind in cache.kinds]
    assert all(c.alive for c in caches)
    cache.stop(timeout=10)
    assert [c.kind for c in caches if c.alive] == []
    assert not cache.batcher.alive
    wait_for(lambda: sim.open_watch_count == 0, "the server to see the watches closed")


def test_stop_while_reconnecting(sim: SimServer) -> None:
    view = View()
    slow_retry = WatchOptions(backoff=Backoff(base=5.0, cap=30.0), seed=3)
    cache = make_cache(sim, view, options=slow_retry)
    cache.start()
    wait_for(lambda: all_live(cache), "live")
    sim.pause()
    wait_for(lambda: cache.states()["Pod"].phase == CachePhase.RECONNECTING, "reconnecting")
    cache.stop(timeout=10)
    assert not cache.cache("Pod").alive


def test_all_kinds_and_cross_kind_ownership(sim: SimServer) -> None:
    cronjob = sim.store.create(
        "batch",
        "cronjobs",
        {
            "metadata": {"name": "nightly", "namespace": "default"},
            "spec": {
                "schedule": "0 0 * * *",
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {
                                "restartPolicy": "Never",
                                "containers": [{"name": "c", "image": "busybox"}],
                            }
                        }
                    }
                },
            },
        },
    )
    cj_uid = cronjob["metadata"]["uid"]
    job = sim.store.create(
        "batch",
        "jobs",
        {
            "metadata": {
                "name": "nightly-1",
                "namespace": "default",
                "ownerReferences": [owner("CronJob", "nightly", cj_uid)],
            },
            "spec": {
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "c", "image": "busybox"}],
                    }
                }
            },
        },
    )
    job_uid = job["metadata"]["uid"]
    pod_uid = new_pod(sim, "nightly-1-abcde", ownerReferences=[owner("Job", "nightly-1", job_uid)])
    view = View()
    cache = make_cache(sim, view, kinds=ALL_KINDS, namespace="default")
    with cache:
        wait_for(lambda: all_live(cache), "every kind live")
        wait_for(lambda: cache.index.owner_chain(pod_uid) == [job_uid, cj_uid], "the chain")
        assert cache.api_version("CronJob") == "batch/v1"
        assert cache.index.children(cj_uid, kind="Job") == [job_uid]
        assert cache.get(job_uid) is not None
        assert cache.get(job_uid) is cache.objects("Job")[job_uid]
        # Background deletion of the CronJob collects the Job and then the Pod.
        sim.store.delete("batch", "cronjobs", "default", "nightly")
        wait_for(lambda: pod_uid not in cache.index and job_uid not in cache.index, "GC")
        assert cache.index.stats()["owners_with_children"] == 0
