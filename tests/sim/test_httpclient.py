"""HttpClient (the SimClient over HTTP) against the embedded cluster's server."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from kubernetes import client as k8s

from ktui.sim.httpclient import HttpClient
from ktui.sim.server import SimServer
from ktui.sim.store import StoreError

WaitUntil = Any


@pytest.fixture
def http(sim: SimServer) -> HttpClient:
    return HttpClient(sim.api_client())


def pod(name: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": labels},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
    }


def test_paths_and_discovery(http: HttpClient) -> None:
    assert http.path("", "pods", "default", "web", "status") == (
        "/api/v1/namespaces/default/pods/web/status"
    )
    assert http.path("", "nodes", None, "node-1") == "/api/v1/nodes/node-1"
    assert http.path("apps", "deployments", "prod") == "/apis/apps/v1/namespaces/prod/deployments"
    assert http.version_of("batch", "cronjobs") == "v1"
    assert http.serves("apps", "replicasets")
    assert not http.serves("coordination.k8s.io", "leases")
    with pytest.raises(StoreError) as info:
        http.get("coordination.k8s.io", "leases", "kube-node-lease", "node-1")
    assert info.value.code == 404


def test_crud_round_trip(http: HttpClient, sim: SimServer) -> None:
    created = http.create("", "pods", pod("web-1", app="web"))
    assert created["metadata"]["uid"] and created["status"]["phase"] == "Pending"
    http.create("", "pods", pod("db-1", app="db"))
    items, rv = http.list("", "pods", "default", label_selector="app=web")
    assert [p["metadata"]["name"] for p in items] == ["web-1"]
    assert items[0]["kind"] == "Pod" and int(rv) >= int(created["metadata"]["resourceVersion"])
    fetched = http.get("", "pods", "default", "web-1")
    fetched["metadata"]["labels"]["tier"] = "front"
    updated = http.update("", "pods", fetched)
    assert updated["metadata"]["labels"] == {"app": "web", "tier": "front"}
    patched = http.patch(
        "", "pods", "default", "web-1", "merge", {"metadata": {"labels": {"x": "1"}}}
    )
    assert patched["metadata"]["labels"]["x"] == "1"
    patched = http.patch(
        "", "pods", "default", "web-1", "json",
        [{"op": "test", "path": "/metadata/uid", "value": created["metadata"]["uid"]},
         {"op": "remove", "path": "/metadata/labels/x"}],
    )  # fmt: skip
    assert "x" not in patched["metadata"]["labels"]
    status = dict(patched)
    status["status"] = {**patched["status"], "phase": "Running"}
    assert http.update_status("", "pods", status)["status"]["phase"] == "Running"
    http.bind("default", "db-1", "node-1")
    assert http.get("", "pods", "default", "db-1")["spec"]["nodeName"] == "node-1"
    gone = http.delete("", "pods", "default", "web-1", grace_period_seconds=0)
    assert gone["metadata"]["name"] == "web-1"
    assert "managedFields" not in gone["metadata"]


def test_errors_are_store_errors(http: HttpClient) -> None:
    http.create("", "pods", pod("dup"))
    with pytest.raises(StoreError) as info:
        http.create("", "pods", pod("dup"))
    assert (info.value.code, info.value.reason) == (409, "AlreadyExists")
    assert info.value.message == 'pods "dup" already exists'
    with pytest.raises(StoreError) as info:
        http.get("", "pods", "default", "missing")
    assert (info.value.code, info.value.reason) == (404, "NotFound")
    assert info.value.message == 'pods "missing" not found'
    assert info.value.details == {"name": "missing", "kind": "pods"}
    stale = http.get("", "pods", "default", "dup")
    http.patch("", "pods", "default", "dup", "merge", {"metadata": {"labels": {"a": "b"}}})
    with pytest.raises(StoreError) as info:
        http.update("", "pods", stale)
    assert info.value.code == 409 and info.value.reason == "Conflict"
    with pytest.raises(StoreError) as info:
        http.delete("", "pods", "default", "dup", preconditions={"uid": "not-the-uid"})
    assert info.value.code == 409


def test_unreachable_server_is_a_503() -> None:
    configuration = k8s.Configuration()
    configuration.host = "http://127.0.0.1:9"  # discard port: nothing listens
    unreachable = HttpClient(k8s.ApiClient(configuration), request_timeout=2)
    with pytest.raises(StoreError) as info:
        unreachable.get("", "pods", "default", "x")
    assert info.value.code == 503 and info.value.reason == "ServiceUnavailable"


def test_watch_streams_events_and_close_ends_it(http: HttpClient, wait_until: WaitUntil) -> None:
    _, rv = http.list("", "pods", "default")
    seen: list[tuple[str, str]] = []
    watch = http.watch("", "pods", "default", resource_version=rv)

    def consume() -> None:
        for event in watch:
            seen.append((event.type, event.object["metadata"]["name"]))

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    http.create("", "pods", pod("w1"))
    http.patch("", "pods", "default", "w1", "merge", {"metadata": {"labels": {"a": "1"}}})
    http.delete("", "pods", "default", "w1", grace_period_seconds=0)
    wait_until(lambda: len(seen) >= 3, "three watch events")
    assert seen[:3] == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]
    watch.close()
    thread.join(timeout=5)
    assert not thread.is_alive(), "close() did not end the iteration"


def test_watch_from_a_compacted_version_raises_410(http: HttpClient, sim: SimServer) -> None:
    _, rv = http.list("", "pods", "default")
    http.create("", "pods", pod("old"))
    sim.store.compact()
    watch = http.watch("", "pods", "default", resource_version=rv)
    started = time.monotonic()
    with pytest.raises(StoreError) as info:
        for _ in watch:
            if time.monotonic() - started > 10:
                break
    assert info.value.code == 410
