"""The whole object on demand (`ktui.cluster.fetch.fetch_object`) and the slim cache, against the
embedded API server: one GET returns what the server has, refusals and an unreachable server are
one line of error; the cache holds the slim projection of what the server has, and the YAML of
the fetched object is what ktui printed from its whole cached object before the cache was slim."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ktui.cluster.cache import Backoff, CachePhase, ClusterCache, WatchOptions
from ktui.cluster.fetch import FetchError, fetch_object, object_path
from ktui.cluster.kinds import POD
from ktui.render.describe import object_yaml
from ktui.sim.realistic import realistic_pod
from ktui.sim.server import SimServer
from ktui.view.slim import slim_object

Obj = dict[str, Any]

FAST = WatchOptions(page_size=2, backoff=Backoff(base=0.05, cap=0.5), seed=3)


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(bookmark_interval=30.0) as server:
        yield server


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def create_realistic_pod(sim: SimServer, i: int) -> Obj:
    """`realistic_pod(i)` in namespace default, its status written as a kubelet would."""
    pod = realistic_pod(i)
    meta = pod["metadata"]
    for generated in ("uid", "resourceVersion", "creationTimestamp", "managedFields"):
        meta.pop(generated)
    meta["namespace"] = "default"
    status = pod.pop("status")
    created = sim.store.create("", "pods", pod)
    created["status"] = status
    return sim.store.update_status("", "pods", created)


def test_object_paths_of_every_scope() -> None:
    assert object_path("Pod", "v1", "default", "web-1") == "/api/v1/namespaces/default/pods/web-1"
    assert (
        object_path("CronJob", "batch/v1beta1", "ops", "nightly")
        == "/apis/batch/v1beta1/namespaces/ops/cronjobs/nightly"
    )
    assert object_path("Node", "v1", "", "n1") == "/api/v1/nodes/n1"
    assert object_path("Node", "v1", "ignored", "n1") == "/api/v1/nodes/n1"
    with pytest.raises(FetchError, match="not a kind ktui knows"):
        object_path("Widget", "example.com/v1", "default", "w")


def test_one_get_returns_the_whole_object_the_server_has(sim: SimServer) -> None:
    server_pod = create_realistic_pod(sim, 1)
    name = server_pod["metadata"]["name"]
    api = sim.api_client()
    fetched = fetch_object(api, "Pod", "v1", "default", name)
    assert fetched == sim.store.get("", "pods", "default", name)
    spec = fetched["spec"]
    assert spec["containers"][0]["env"] and spec["volumes"]  # what the cache does not keep
    assert spec["containers"][0]["livenessProbe"]

    node = sim.store.create("", "nodes", {"metadata": {"name": "n1"}})
    assert fetch_object(api, "Node", "v1", "", "n1")["metadata"]["uid"] == node["metadata"]["uid"]


def test_not_found_forbidden_and_unreachable_are_one_line_each(sim: SimServer) -> None:
    api = sim.api_client()
    with pytest.raises(FetchError) as missing:
        fetch_object(api, "Pod", "v1", "default", "gone")
    assert missing.value.status == 404
    assert missing.value.message == 'Error from server (NotFound): pods "gone" not found'

    create_realistic_pod(sim, 2)
    sim.faults.forbid("", "pods")
    with pytest.raises(FetchError) as denied:
        fetch_object(api, "Pod", "v1", "default", "anything")
    assert denied.value.status == 403
    assert denied.value.message.startswith("Error from server (Forbidden): ")
    assert "\n" not in denied.value.message

    sim.stop()
    with pytest.raises(FetchError) as unreachable:
        fetch_object(api, "Pod", "v1", "default", "gone", timeout=(2.0, 2.0))
    assert unreachable.value.status is None
    assert unreachable.value.message and "\n" not in unreachable.value.message
    assert "Traceback" not in unreachable.value.message


def test_the_cache_holds_the_slim_pods_and_the_get_gives_back_the_yaml_of_the_whole_one(
    sim: SimServer,
) -> None:
    names = [create_realistic_pod(sim, i)["metadata"]["name"] for i in range(5)]
    api = sim.api_client()
    slim_cache = ClusterCache(api, "default", kinds=(POD,), options=FAST)
    whole_cache = ClusterCache(
        api, "default", kinds=(POD,), options=WatchOptions(**{**FAST.__dict__, "slim": False})
    )
    with slim_cache, whole_cache:
        for cache in (slim_cache, whole_cache):
            wait_for(
                lambda c=cache: (
                    c.states()["Pod"].phase is CachePhase.LIVE  # type: ignore[misc]
                    and len(c.objects("Pod")) == 5
                ),
                "every pod cached",
            )
        whole = {o["metadata"]["name"]: o for o in whole_cache.objects("Pod").values()}
        slim = {o["metadata"]["name"]: o for o in slim_cache.objects("Pod").values()}
    for name in names:
        server = sim.store.get("", "pods", "default", name)
        without_managed = copy.deepcopy(server)
        without_managed["metadata"].pop("managedFields", None)
        assert whole[name] == without_managed
        assert slim[name] == slim_object(without_managed)
        assert "env" not in str(slim[name]["spec"]) and "volumes" not in slim[name]["spec"]
        # What the YAML screen prints from the GET is what it printed from the whole cache.
        fetched = fetch_object(api, "Pod", "v1", "default", name)
        assert object_yaml(fetched) == object_yaml(whole[name])
