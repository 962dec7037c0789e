"""The controller manager: prompt stop, resilience to conflicts and malformed objects, scale."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from typing import Any

import pytest
from controller_testing import Cluster, MiniKubelet, wait_for

from ktui.sim.client import LocalClient
from ktui.sim.controllers import ControllerManager, util
from ktui.sim.store import Store, StoreError


def deployment(name: str, replicas: int, image: str = "nginx:1", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
            **spec,
        },
    }


def available(client: Any, name: str, replicas: int, revision: str = "1") -> bool:
    d = client.get("apps", "deployments", "default", name)
    status = d.get("status") or {}
    return (
        util.annotations_of(d).get("deployment.kubernetes.io/revision") == revision
        and status.get("observedGeneration") == d["metadata"]["generation"]
        and status.get("availableReplicas", 0) == replicas
        and status.get("updatedReplicas", 0) == replicas
        and status.get("replicas", 0) == replicas
    )


def test_stop_ends_every_thread() -> None:
    store = Store()
    before = set(threading.enumerate())
    manager = ControllerManager(LocalClient(store))
    manager.start()
    started = set(threading.enumerate()) - before
    assert any(t.name.startswith("informer-") for t in started)
    assert any(t.name.startswith("deployment-controller") for t in started)
    manager.stop()
    alive = [t.name for t in started if t.is_alive()]
    assert alive == []


def test_unknown_controller_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown controllers: nope"):
        ControllerManager(LocalClient(Store()), controllers=["deployment", "nope"])


class ConflictingClient(LocalClient):
    """Every other update / status update / patch answers 409 Conflict, as a busy apiserver
    with other writers would."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._lock = threading.Lock()
        self.calls = 0
        self.conflicts = 0

    def _maybe_conflict(self, obj_name: str) -> None:
        with self._lock:
            self.calls += 1
            if self.calls % 2 == 0:
                self.conflicts += 1
                raise StoreError(
                    409, "Conflict", f'Operation cannot be fulfilled on "{obj_name}": injected'
                )

    def update(self, group: str, resource: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        self._maybe_conflict(util.name_of(obj))
        return super().update(group, resource, obj)

    def update_status(self, group: str, resource: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        self._maybe_conflict(util.name_of(obj))
        return super().update_status(group, resource, obj)


def test_conflicts_are_retried_through_the_queue() -> None:
    store = Store()
    plain = LocalClient(store)
    kubelet = MiniKubelet(plain, nodes=["n1"]).start()
    client = ConflictingClient(store)
    manager = ControllerManager(client)
    manager.start()
    try:
        plain.create("apps", "deployments", deployment("web", 3))
        wait_for(lambda: available(plain, "web", 3), "the deployment became available", 60)
        plain.patch(
            "apps",
            "deployments",
            "default",
            "web",
            "application/merge-patch+json",
            {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:2"}]}}}},
        )
        wait_for(lambda: available(plain, "web", 3, "2"), "the rollout finished", 60)
        assert client.conflicts > 0
        # No duplicate pods although half the writes failed.
        pods, _ = plain.list("", "pods", "default", label_selector="app=web")
        assert len([p for p in pods if not util.is_deleting(p)]) == 3
    finally:
        manager.stop()
        kubelet.stop()


def test_malformed_objects_do_not_stop_the_controllers() -> None:
    with Cluster() as c:
        bogus = deployment("bogus", 1)
        bogus["spec"]["strategy"] = {"type": "Sideways"}
        c.create(bogus)
        broken_rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {"name": "odd", "namespace": "default"},
            "spec": {
                "replicas": "many",
                "selector": {"matchLabels": {"app": "odd"}},
                "template": {
                    "metadata": {"labels": {"app": "odd"}},
                    "spec": {"containers": "not-a-list"},
                },
            },
        }
        with contextlib.suppress(StoreError):
            c.client.create("apps", "replicasets", broken_rs)
        c.create(deployment("good", 2))
        wait_for(lambda: available(c.client, "good", 2), "a well-formed deployment still rolls")
        for controller in c.manager.controllers.values():
            assert all(t.is_alive() for t in controller._threads), controller.name


def test_ten_thousand_pods() -> None:
    with Cluster(nodes=[f"n{i}" for i in range(10)]) as c:
        c.create(deployment("big", 10_000))
        wait_for(
            lambda: available(c.client, "big", 10_000), "10,000 pods became available", timeout=240
        )
        (rs,) = c.list("apps", "replicasets", label_selector="app=big")
        assert rs["status"]["replicas"] == 10_000
        c.patch("apps", "deployments", "big", {"spec": {"replicas": 100}})
        wait_for(
            lambda: (
                available(c.client, "big", 100)
                and len(c.list("", "pods", label_selector="app=big")) == 100
            ),
            "scaled down to 100 pods",
            timeout=240,
        )
