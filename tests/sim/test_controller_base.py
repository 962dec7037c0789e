"""The controller framework (work queue, informer cache) and the helpers ported from upstream."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from controller_testing import FakeClock, wait_for

from ktui.sim.client import LocalClient
from ktui.sim.controllers import history, util
from ktui.sim.controllers.base import Informer, WorkQueue
from ktui.sim.controllers.deployment import resolve_fenceposts
from ktui.sim.store import Store

# --- work queue ---------------------------------------------------------------------------------


def test_queue_dedups_and_serializes_a_key() -> None:
    queue = WorkQueue()
    queue.add("a")
    queue.add("a")
    queue.add("b")
    assert queue.get() == "a"
    assert queue.get() == "b"
    # "a" is being processed: adding it again must not hand it to a second worker ...
    queue.add("a")
    assert len(queue) == 0
    got: list[str | None] = []
    worker = threading.Thread(target=lambda: got.append(queue.get()))
    worker.start()
    time.sleep(0.05)
    assert got == []
    # ... until the first worker is done with it.
    queue.done("a")
    worker.join(2)
    assert got == ["a"]
    queue.shutdown()
    assert queue.get() is None


def test_add_after_waits_for_the_controller_clock() -> None:
    clock = FakeClock(1000)
    queue = WorkQueue(clock, poll_interval=0.01)
    queue.add_after("later", 30)
    result: list[str | None] = []
    worker = threading.Thread(target=lambda: result.append(queue.get()))
    worker.start()
    time.sleep(0.1)
    assert result == [], "a delayed key came out before the clock moved"
    clock.advance(31)
    queue.wake()
    worker.join(2)
    assert result == ["later"]
    queue.shutdown()


def test_add_after_keeps_the_earliest_time() -> None:
    clock = FakeClock(1000)
    queue = WorkQueue(clock, poll_interval=0.01)
    queue.add_after("k", 100)
    queue.add_after("k", 10)
    queue.add_after("k", 50)
    clock.advance(11)
    queue.wake()
    assert queue.get() == "k"
    queue.shutdown()


def test_rate_limited_backoff_grows_and_forget_resets() -> None:
    queue = WorkQueue(base_delay=0.05, max_delay=10)
    queue.add_rate_limited("k")
    queue.add_rate_limited("k")
    assert queue.num_requeues("k") == 2
    started = time.monotonic()
    assert queue.get() == "k"
    queue.done("k")
    assert time.monotonic() - started >= 0.04
    queue.forget("k")
    assert queue.num_requeues("k") == 0
    queue.shutdown()


# --- informer -----------------------------------------------------------------------------------


def _pod(name: str, owner_uid: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "default", "labels": {"app": "x"}}
    if owner_uid:
        meta["ownerReferences"] = [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": "rs",
                "uid": owner_uid,
                "controller": True,
            }
        ]
    return {"metadata": meta, "spec": {"containers": [{"name": "c", "image": "i"}]}}


def test_informer_indexes_and_events() -> None:
    store = Store()
    client = LocalClient(store)
    informer = Informer(client, "", "pods")
    seen: list[tuple[str, str]] = []
    informer.add_handler(
        on_add=lambda o: seen.append(("add", util.name_of(o))),
        on_update=lambda old, new: seen.append(("update", util.name_of(new))),
        on_delete=lambda o: seen.append(("delete", util.name_of(o))),
    )
    client.create("", "pods", _pod("before", owner_uid="u1"))
    informer.start()
    assert informer.synced.wait(5)
    client.create("", "pods", _pod("orphan"))
    client.create("", "pods", _pod("owned", owner_uid="u1"))
    wait_for(lambda: len(informer) == 3, "the informer saw three pods")
    assert sorted(util.name_of(p) for p in informer.controlled_by("u1")) == ["before", "owned"]
    assert [util.name_of(p) for p in informer.orphans("default")] == ["orphan"]
    client.delete("", "pods", "default", "orphan")
    wait_for(lambda: ("delete", "orphan") in seen, "the delete was dispatched")
    assert informer.orphans("default") == []
    assert ("add", "before") in seen and ("add", "owned") in seen
    informer.stop()
    informer.join(2)


def test_informer_write_through_ignores_stale_events() -> None:
    store = Store()
    client = LocalClient(store)
    informer = Informer(client, "", "pods")
    updates: list[str] = []
    informer.add_handler(
        on_update=lambda old, new: updates.append(new["metadata"]["resourceVersion"])
    )
    informer.start()
    assert informer.synced.wait(5)
    created = client.create("", "pods", _pod("p"))
    pod = client.get("", "pods", "default", "p")
    pod["metadata"]["labels"]["v"] = "2"
    updated = client.update("", "pods", pod)
    informer.observe(updated)
    assert informer.get("default", "p")["metadata"]["labels"]["v"] == "2"
    # The watch's own (older) events for this pod must not roll the cache back.
    informer.observe(created)
    assert informer.get("default", "p")["metadata"]["labels"]["v"] == "2"
    removed = client.delete("", "pods", "default", "p")
    informer.observe_deleted(removed)
    assert informer.get("default", "p") is None
    time.sleep(0.1)
    assert informer.get("default", "p") is None, "a stale watch event resurrected a deleted pod"
    informer.stop()
    informer.join(2)


def test_informer_relists_after_410() -> None:
    store = Store(history_size=5)
    client = LocalClient(store)
    informer = Informer(client, "", "pods")
    informer.start()
    assert informer.synced.wait(5)
    informer.stop()
    informer.join(2)
    client.create("", "pods", _pod("a"))
    for i in range(10):
        client.create("", "pods", _pod(f"b{i}"))
    client.delete("", "pods", "default", "a")
    # Restarting from the remembered (now too old) version needs a relist to catch up.
    restarted = Informer(client, "", "pods")
    restarted._resource_version = "1"
    restarted.start()
    wait_for(lambda: len(restarted) == 10, "the relisted cache holds the ten live pods")
    assert restarted.get("default", "a") is None
    restarted.stop()
    restarted.join(2)


# --- hashes and numbers -------------------------------------------------------------------------


def test_fnv_vectors() -> None:
    assert util.fnv32a(b"") == 0x811C9DC5
    assert util.fnv32a(b"a") == 0xE40C292C
    assert util.fnv32(b"a") == 0x050C5D7E
    assert util.fnv32a(b"foobar") == 0xBF9CF968


def test_safe_encode_maps_digits_like_apimachinery() -> None:
    assert util.safe_encode("0123456789") == "456789bcdf"


def test_compute_hash_is_stable_and_sensitive() -> None:
    template = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "nginx:1"}]},
    }
    first = util.compute_hash(template, None)
    assert first == util.compute_hash(util.prune(template), None)
    assert set(first) <= set("456789bcdf") and 1 <= len(first) <= 10
    changed = {**template, "spec": {"containers": [{"name": "c", "image": "nginx:2"}]}}
    assert util.compute_hash(changed, None) != first
    assert util.compute_hash(template, 1) != first


def test_scaled_values_round_like_upstream() -> None:
    assert util.scaled_value("25%", 10, True) == 3
    assert util.scaled_value("25%", 10, False) == 2
    assert util.scaled_value(2, 10, True) == 2
    assert util.scaled_value("2", 10, True) == 0, "a string must be a percentage"
    assert resolve_fenceposts("25%", "25%", 10) == (3, 2)
    # Both resolve to 0: one pod may be unavailable, so the rollout can still move.
    assert resolve_fenceposts("0%", "10%", 5) == (0, 1)
    assert resolve_fenceposts(0, 0, 3) == (0, 1)
    assert util.round_half_away(2.5) == 3 and util.round_half_away(-2.5) == -3


def _ranked(
    name: str,
    *,
    node: str = "",
    phase: str = "Pending",
    ready: bool = False,
    ready_at: str = "2020-01-01T00:00:00Z",
    created: str = "2020-01-01T00:00:00Z",
    restarts: int = 0,
) -> dict[str, Any]:
    pod: dict[str, Any] = {
        "metadata": {"name": name, "creationTimestamp": created},
        "spec": {"nodeName": node} if node else {},
        "status": {"phase": phase, "containerStatuses": [{"name": "c", "restartCount": restarts}]},
    }
    if ready:
        pod["status"]["conditions"] = [
            {"type": "Ready", "status": "True", "lastTransitionTime": ready_at}
        ]
    return pod


def test_active_pod_order_prefers_deleting_the_least_useful_pod() -> None:
    pods = [
        _ranked(
            "old-ready", node="n", phase="Running", ready=True, ready_at="2020-01-01T00:00:00Z"
        ),
        _ranked(
            "new-ready", node="n", phase="Running", ready=True, ready_at="2020-01-01T01:00:00Z"
        ),
        _ranked("running-unready", node="n", phase="Running"),
        _ranked("pending", node="n", phase="Pending"),
        _ranked("unscheduled"),
        _ranked(
            "crashy",
            node="n",
            phase="Running",
            ready=True,
            ready_at="2020-01-01T00:00:00Z",
            restarts=5,
        ),
    ]
    order = [util.name_of(p) for p in sorted(pods, key=util.active_pod_sort_key)]
    assert order == [
        "unscheduled",
        "pending",
        "running-unready",
        "new-ready",
        "crashy",
        "old-ready",
    ]


# --- ControllerRevision hashing, checked against a real v1.20.2 cluster --------------------------

REAL_STATEFULSET_TEMPLATE = {
    "metadata": {"creationTimestamp": None, "labels": {"app": "web"}},
    "spec": {
        "containers": [
            {
                "image": "nginx:1.19",
                "imagePullPolicy": "IfNotPresent",
                "name": "nginx",
                "ports": [{"containerPort": 80, "name": "web", "protocol": "TCP"}],
                "resources": {},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
            }
        ],
        "dnsPolicy": "ClusterFirst",
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "terminationGracePeriodSeconds": 30,
    },
}


@pytest.mark.parametrize("with_null", [True, False])
def test_statefulset_revision_name_matches_a_real_cluster(with_null: bool) -> None:
    # The store drops nulls (the template's creationTimestamp): the name must not change.
    template = dict(REAL_STATEFULSET_TEMPLATE)
    if not with_null:
        template["metadata"] = {"labels": {"app": "web"}}
    sts = {
        "metadata": {"name": "web", "namespace": "default", "uid": "u"},
        "spec": {"template": template},
    }
    patch = history.template_patch(sts)
    revision = history.new_revision(sts, "apps/v1", "StatefulSet", {"app": "web"}, patch, 1, 0)
    # kube-controller-manager v1.20.2 named this exact template's revision web-59b4ff874d.
    assert revision["metadata"]["name"] == "web-59b4ff874d"
    assert revision["metadata"]["labels"] == {
        "app": "web",
        "controller.kubernetes.io/hash": "59b4ff874d",
    }
    assert revision["data"]["spec"]["template"]["$patch"] == "replace"
