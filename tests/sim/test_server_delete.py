"""Deletion like the real apiserver: graceful pod deletion, finalizers, preconditions, garbage
collection (background / foreground / orphan), namespace termination, deletecollection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from ktui.sim.server import SimServer
from ktui.sim.store import Store, StoreError


@pytest.fixture
def api(sim: SimServer) -> Iterator[client.ApiClient]:
    api_client = sim.api_client()
    yield api_client
    api_client.close()


def make_pod(
    store: Store,
    name: str,
    node: str | None = None,
    owner: dict[str, Any] | None = None,
    namespace: str = "default",
    grace: int | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": {"app": "web"}}
    if owner is not None:
        meta["ownerReferences"] = [ref(owner)]
    spec: dict[str, Any] = {"containers": [{"name": "main", "image": "busybox"}]}
    if node:
        spec["nodeName"] = node
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    return store.create("", "pods", {"metadata": meta, "spec": spec})


def ref(owner: dict[str, Any], block: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": block,
    }


def make_workload(store: Store, bound: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """deployment web -> replicaset web-1 -> pods web-1-a, web-1-b."""
    selector = {"matchLabels": {"app": "web"}}
    template = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
    }
    deploy = store.create(
        "apps",
        "deployments",
        {
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"selector": selector, "template": template},
        },
    )
    replica_set = store.create(
        "apps",
        "replicasets",
        {
            "metadata": {
                "name": "web-1",
                "namespace": "default",
                "ownerReferences": [ref(deploy)],
            },
            "spec": {"selector": selector, "template": template},
        },
    )
    for suffix in ("a", "b"):
        make_pod(store, f"web-1-{suffix}", node="n1" if bound else None, owner=replica_set)
    return deploy, replica_set


def names(store: Store, group: str, resource: str) -> list[str]:
    items, _ = store.list(group, resource, "default")
    return [item["metadata"]["name"] for item in items]


def exists(store: Store, group: str, resource: str, name: str) -> bool:
    try:
        store.get(group, resource, "default", name)
    except StoreError as error:
        assert error.code == 404
        return False
    return True


def test_bound_pod_is_deleted_gracefully_until_grace_zero(
    sim: SimServer, api: client.ApiClient
) -> None:
    core = client.CoreV1Api(api)
    make_pod(sim.store, "bound", node="n1", grace=45)
    returned = core.delete_namespaced_pod("bound", "default")
    assert returned.metadata.deletion_timestamp is not None  # a Pod comes back, not a Status
    pending = core.read_namespaced_pod("bound", "default")
    assert pending.metadata.deletion_grace_period_seconds == 45
    assert pending.metadata.deletion_timestamp is not None

    shorter = core.delete_namespaced_pod("bound", "default", grace_period_seconds=5)
    assert shorter.metadata.deletion_grace_period_seconds == 5
    core.delete_namespaced_pod(
        "bound", "default", body=client.V1DeleteOptions(grace_period_seconds=0)
    )
    with pytest.raises(ApiException) as gone:
        core.read_namespaced_pod("bound", "default")
    assert gone.value.status == 404


def test_unbound_and_finished_pods_go_at_once(sim: SimServer, api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    make_pod(sim.store, "unbound")
    finished = make_pod(sim.store, "finished", node="n1")
    finished["status"] = {"phase": "Succeeded"}
    sim.store.update_status("", "pods", finished)
    core.delete_namespaced_pod("unbound", "default")
    core.delete_namespaced_pod("finished", "default")
    assert names(sim.store, "", "pods") == []


def test_finalizers_hold_an_object_until_removed(sim: SimServer, api: client.ApiClient) -> None:
    store = sim.store
    rv = store.resource_version
    created = store.create(
        "apps",
        "deployments",
        {
            "metadata": {"name": "held", "namespace": "default", "finalizers": ["ktui.io/hold"]},
            "spec": {
                "selector": {"matchLabels": {"a": "b"}},
                "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": []}},
            },
        },
    )
    # The client hands deletes of workloads back as plain dicts.
    returned = client.AppsV1Api(api).delete_namespaced_deployment("held", "default")
    assert returned["kind"] == "Deployment" and returned["metadata"]["deletionTimestamp"]
    held = store.get("apps", "deployments", "default", "held")
    assert held["metadata"]["deletionGracePeriodSeconds"] == 0
    assert held["metadata"]["generation"] == created["metadata"]["generation"] + 1
    held["metadata"]["finalizers"] = []
    store.update("apps", "deployments", held)
    assert not exists(store, "apps", "deployments", "held")

    watch = store.watch("apps", "deployments", resource_version=rv)
    seen = [
        (e.type, e.object["metadata"].get("finalizers")) for e in iter(lambda: watch.get(0), None)
    ]
    assert seen == [("ADDED", ["ktui.io/hold"]), ("MODIFIED", ["ktui.io/hold"]), ("DELETED", None)]


def test_preconditions(sim: SimServer, api: client.ApiClient) -> None:
    make_pod(sim.store, "a")
    with pytest.raises(ApiException) as mismatch:
        client.CoreV1Api(api).delete_namespaced_pod(
            "a", "default", body=client.V1DeleteOptions(preconditions={"uid": "other"})
        )
    assert mismatch.value.status == 409
    assert (
        "Precondition failed: UID in precondition: other"
        in json.loads(mismatch.value.body)["message"]
    )
    assert exists(sim.store, "", "pods", "a")


def test_deleting_a_deployment_returns_a_success_status(
    sim: SimServer, api: client.ApiClient
) -> None:
    deploy, _ = make_workload(sim.store, bound=False)
    status = client.AppsV1Api(api).delete_namespaced_deployment("web", "default")
    assert (status["kind"], status["status"]) == ("Status", "Success")
    assert status["details"] == {
        "name": "web",
        "group": "apps",
        "kind": "deployments",
        "uid": deploy["metadata"]["uid"],
    }


def test_background_gc_removes_dependents(sim: SimServer) -> None:
    store = sim.store
    make_workload(store, bound=False)
    rv = store.resource_version
    store.delete("apps", "deployments", "default", "web")
    assert names(store, "apps", "replicasets") == []
    assert names(store, "", "pods") == []
    watch = store.watch(None, None, resource_version=rv)
    seen = [
        (e.type, e.resource, e.object["metadata"]["name"]) for e in iter(lambda: watch.get(0), None)
    ]
    assert seen == [
        ("DELETED", "deployments", "web"),
        ("DELETED", "replicasets", "web-1"),
        ("DELETED", "pods", "web-1-a"),
        ("DELETED", "pods", "web-1-b"),
    ]


def test_background_gc_leaves_bound_pods_terminating(sim: SimServer) -> None:
    store = sim.store
    make_workload(store, bound=True)
    store.delete("apps", "deployments", "default", "web")
    assert names(store, "apps", "replicasets") == []
    pods, _ = store.list("", "pods", "default")
    assert [p["metadata"]["name"] for p in pods] == ["web-1-a", "web-1-b"]
    assert all(p["metadata"]["deletionGracePeriodSeconds"] == 30 for p in pods)


def test_foreground_deletion_waits_for_blocking_dependents(
    sim: SimServer, api: client.ApiClient
) -> None:
    store = sim.store
    make_workload(store, bound=True)
    client.AppsV1Api(api).delete_namespaced_deployment(
        "web", "default", propagation_policy="Foreground"
    )
    owner = store.get("apps", "deployments", "default", "web")
    assert "foregroundDeletion" in owner["metadata"]["finalizers"]
    assert owner["metadata"]["deletionTimestamp"]
    replica_set = store.get("apps", "replicasets", "default", "web-1")
    assert "foregroundDeletion" in replica_set["metadata"]["finalizers"]

    store.delete("", "pods", "default", "web-1-a", grace_period_seconds=0)
    assert exists(store, "apps", "deployments", "web")
    store.delete("", "pods", "default", "web-1-b", grace_period_seconds=0)
    assert not exists(store, "apps", "replicasets", "web-1")
    assert not exists(store, "apps", "deployments", "web")


def test_orphan_deletion_keeps_dependents_without_owner_references(
    sim: SimServer, kubectl: Any
) -> None:
    store = sim.store
    make_workload(store, bound=False)
    kubectl("delete", "deployment", "web", "--cascade=orphan")
    assert not exists(store, "apps", "deployments", "web")
    replica_set = store.get("apps", "replicasets", "default", "web-1")
    assert "ownerReferences" not in replica_set["metadata"]
    assert names(store, "", "pods") == ["web-1-a", "web-1-b"]


def test_dangling_reference_is_dropped_when_another_owner_lives(sim: SimServer) -> None:
    store = sim.store
    deploy, _ = make_workload(store, bound=False)
    pod = store.get("", "pods", "default", "web-1-a")
    pod["metadata"]["ownerReferences"].append(ref(deploy, block=False) | {"controller": False})
    store.update("", "pods", pod)
    store.delete("apps", "replicasets", "default", "web-1")
    survivor = store.get("", "pods", "default", "web-1-a")
    assert [r["name"] for r in survivor["metadata"]["ownerReferences"]] == ["web"]
    assert not exists(store, "", "pods", "web-1-b")


def test_namespace_deletion_terminates_then_removes(sim: SimServer, api: client.ApiClient) -> None:
    store = sim.store
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": "doomed"}})
    make_pod(store, "loose", namespace="doomed")
    make_pod(store, "running", node="n1", namespace="doomed")
    core.delete_namespace("doomed")
    namespace = core.read_namespace("doomed")
    assert namespace.status.phase == "Terminating"
    assert [p.metadata.name for p in core.list_namespaced_pod("doomed").items] == ["running"]
    with pytest.raises(ApiException) as refused:
        core.create_namespaced_pod(
            "doomed",
            {"metadata": {"name": "new"}, "spec": {"containers": [{"name": "c", "image": "x"}]}},
        )
    assert refused.value.status == 403
    assert "because it is being terminated" in json.loads(refused.value.body)["message"]

    core.delete_namespaced_pod("running", "doomed", grace_period_seconds=0)
    with pytest.raises(ApiException) as gone:
        core.read_namespace("doomed")
    assert gone.value.status == 404


def test_delete_collection_with_a_selector(sim: SimServer, api: client.ApiClient) -> None:
    make_pod(sim.store, "a")
    make_pod(sim.store, "b")
    other = sim.store.create(
        "",
        "pods",
        {
            "metadata": {"name": "other", "namespace": "default", "labels": {"app": "db"}},
            "spec": {"containers": [{"name": "c", "image": "x"}]},
        },
    )
    assert other
    client.CoreV1Api(api).delete_collection_namespaced_pod("default", label_selector="app=web")
    assert names(sim.store, "", "pods") == ["other"]
