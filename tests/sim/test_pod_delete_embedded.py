"""`ktui.cluster.pods.delete_pod` next to `kubectl delete pod` on the embedded API server: the
same request, output line, effect (graceful: a deletionTimestamp after the pod's own grace
period; force: gone at once) and error text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Kubectl
from kubernetes import client

from ktui.cluster.pods import PodError, delete_pod
from ktui.sim.server import SimServer
from ktui.sim.store import StoreError

Obj = dict[str, Any]


@pytest.fixture
def api(sim: SimServer) -> Iterator[client.ApiClient]:
    api_client = sim.api_client()
    yield api_client
    api_client.close()


def make_pod(sim: SimServer, name: str, *, grace: int = 45, node: str | None = "node-1") -> Obj:
    spec: Obj = {
        "containers": [{"name": "main", "image": "busybox"}],
        "terminationGracePeriodSeconds": grace,
    }
    if node is not None:
        spec["nodeName"] = node
    return sim.store.create(
        "", "pods", {"metadata": {"name": name, "namespace": "default"}, "spec": spec}
    )


def get_pod(sim: SimServer, name: str) -> Obj | None:
    try:
        return sim.store.get("", "pods", "default", name)
    except StoreError as exc:
        assert exc.code == 404
        return None


def test_delete_is_kubectls_graceful_delete(
    sim: SimServer, api: client.ApiClient, kubectl: Kubectl
) -> None:
    make_pod(sim, "theirs")
    make_pod(sim, "ours")
    theirs = kubectl("delete", "pod", "theirs", "--wait=false")
    ours = delete_pod(api, "default", "ours")
    assert theirs.stdout == 'pod "theirs" deleted\n'
    assert ours == 'pod "ours" deleted'
    # Both wait out the pod's own terminationGracePeriodSeconds on a node.
    for name in ("theirs", "ours"):
        pod = get_pod(sim, name)
        assert pod is not None
        assert pod["metadata"]["deletionTimestamp"]
        assert pod["metadata"]["deletionGracePeriodSeconds"] == 45


def test_kill_is_kubectls_forced_delete(
    sim: SimServer, api: client.ApiClient, kubectl: Kubectl
) -> None:
    make_pod(sim, "theirs")
    make_pod(sim, "ours")
    theirs = kubectl("delete", "pod", "theirs", "--grace-period=0", "--force")
    ours = delete_pod(api, "default", "ours", grace_period_seconds=0)
    assert theirs.stdout == 'pod "theirs" force deleted\n'
    assert ours == 'pod "ours" force deleted'
    assert get_pod(sim, "theirs") is None
    assert get_pod(sim, "ours") is None


def test_a_missing_pod_fails_with_kubectls_line(api: client.ApiClient, kubectl: Kubectl) -> None:
    theirs = kubectl("delete", "pod", "gone", check=False)
    with pytest.raises(PodError) as missing:
        delete_pod(api, "default", "gone")
    assert theirs.returncode == 1
    assert theirs.stderr == f"{missing.value.message}\n"
    assert missing.value.message == 'Error from server (NotFound): pods "gone" not found'
    assert (missing.value.status, missing.value.reason) == (404, "NotFound")


def test_an_unreachable_server_is_one_line(sim: SimServer) -> None:
    api_client = sim.api_client()
    sim.stop()
    try:
        with pytest.raises(PodError) as failed:
            delete_pod(api_client, "default", "web", timeout=5)
    finally:
        api_client.close()
    assert failed.value.status is None
    assert "\n" not in failed.value.message and failed.value.message
