"""Watch streams through the real `kubernetes` client: replay, bookmarks, timeouts, 410, and the
fault injection (dropped streams, restarts, pauses, 403s) client-side caches are tested with."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from kubernetes import client, watch
from kubernetes.client.rest import ApiException
from kubernetes.watch.watch import iter_resp_lines

from ktui.sim.server import SimServer
from ktui.sim.store import Store


@pytest.fixture
def core(sim: SimServer) -> Iterator[client.CoreV1Api]:
    api_client = sim.api_client()
    yield client.CoreV1Api(api_client)
    api_client.close()


def make_pod(sim: SimServer, name: str, namespace: str = "default", **labels: str) -> str:
    created = sim.store.create(
        "",
        "pods",
        {
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"containers": [{"name": "main", "image": "busybox"}]},
        },
    )
    return str(created["metadata"]["resourceVersion"])


def relabel(sim: SimServer, name: str, **labels: str) -> None:
    current = sim.store.get("", "pods", "default", name)
    current["metadata"]["labels"] = labels
    sim.store.update("", "pods", current)


def events(
    core: client.CoreV1Api, count: int, namespace: str = "default", **kwargs: Any
) -> list[tuple[str, str, str]]:
    """The first `count` events as (type, name, resourceVersion); a 10 s server timeout keeps a
    broken test from hanging."""
    found: list[tuple[str, str, str]] = []
    stream = watch.Watch()
    kwargs.setdefault("timeout_seconds", 10)
    for event in stream.stream(core.list_namespaced_pod, namespace, **kwargs):
        obj = event["raw_object"]
        found.append(
            (event["type"], obj["metadata"].get("name", ""), obj["metadata"]["resourceVersion"])
        )
        if len(found) >= count:
            stream.stop()
            break
    return found


def open_stream(core: client.CoreV1Api, **kwargs: Any) -> urllib3.HTTPResponse:
    return core.list_namespaced_pod(
        "default", watch=True, _preload_content=False, _request_timeout=30, **kwargs
    )


def test_initial_state_then_live_events(sim: SimServer, core: client.CoreV1Api) -> None:
    make_pod(sim, "a")
    make_pod(sim, "b")
    result: list[tuple[str, str, str]] = []
    reader = threading.Thread(target=lambda: result.extend(events(core, 4)))
    reader.start()
    deadline_wait(lambda: sim.open_watch_count == 1, "the watch is open")
    make_pod(sim, "c")
    sim.store.delete("", "pods", "default", "a")
    reader.join(timeout=15)
    types_names = [(t, n) for t, n, _ in result]
    assert types_names[:2] == [("ADDED", "a"), ("ADDED", "b")]
    assert types_names[2:] == [("ADDED", "c"), ("DELETED", "a")]


def test_watch_from_a_resource_version_replays_what_was_missed(
    sim: SimServer, core: client.CoreV1Api
) -> None:
    make_pod(sim, "a")
    make_pod(sim, "b")
    listed = core.list_namespaced_pod("default").metadata.resource_version
    make_pod(sim, "c")
    relabel(sim, "a", tier="x")
    sim.store.delete("", "pods", "default", "b")
    replay = events(core, 3, resource_version=listed)
    assert [(t, n) for t, n, _ in replay] == [("ADDED", "c"), ("MODIFIED", "a"), ("DELETED", "b")]
    versions = [int(v) for _, _, v in replay]
    assert versions == sorted(versions) and versions[0] > int(listed)
    assert str(versions[-1]) == sim.store.resource_version


def test_bookmarks_carry_the_current_resource_version(
    sim: SimServer, core: client.CoreV1Api
) -> None:
    sim.bookmark_interval = 0.2
    sim.store.create("", "namespaces", {"metadata": {"name": "elsewhere"}})
    rv = make_pod(sim, "a")
    make_pod(sim, "noise", namespace="elsewhere")
    latest = sim.store.resource_version
    response = open_stream(core, resource_version=rv, allow_watch_bookmarks=True)
    try:
        line = next(iter_resp_lines(response))
    finally:
        response.close()
    event = json.loads(line)
    assert event["type"] == "BOOKMARK"
    assert event["object"] == {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": latest},
    }


def test_no_bookmarks_unless_asked(sim: SimServer, core: client.CoreV1Api) -> None:
    sim.bookmark_interval = 0.05
    rv = make_pod(sim, "a")
    seen = events(core, 100, resource_version=rv, timeout_seconds=1)
    assert seen == []


def test_timeout_seconds_ends_the_stream_cleanly(sim: SimServer, core: client.CoreV1Api) -> None:
    rv = make_pod(sim, "a")
    response = open_stream(core, resource_version=rv, timeout_seconds=1)
    lines = list(iter_resp_lines(response))  # a broken stream would raise here
    assert lines == []
    assert response.status == 200


def test_watch_from_a_compacted_version_is_gone(sim: SimServer, core: client.CoreV1Api) -> None:
    rv = make_pod(sim, "a")
    make_pod(sim, "b")
    sim.store.compact()
    response = open_stream(core, resource_version=rv)
    (line,) = list(iter_resp_lines(response))
    error = json.loads(line)
    assert error["type"] == "ERROR"
    status = error["object"]
    assert (status["code"], status["reason"]) == (410, "Expired")
    assert status["message"] == f"too old resource version: {rv} ({sim.store.resource_version})"

    with pytest.raises(ApiException) as gone:
        events(core, 1, resource_version=rv)
    assert gone.value.status == 410
    current = sim.store.resource_version
    assert events(core, 0, resource_version=current, timeout_seconds=1) == []


def test_history_window_expires_old_versions() -> None:
    store = Store(history_size=3)
    start = store.resource_version
    for i in range(5):
        store.create("", "namespaces", {"metadata": {"name": f"ns-{i}"}})
    with pytest.raises(Exception) as too_old:
        store.watch("", "namespaces", resource_version=start)
    assert "too old resource version" in str(too_old.value)
    recent = str(int(store.resource_version) - 2)
    replay = store.watch("", "namespaces", resource_version=recent)
    assert [e.object["metadata"]["name"] for e in iter(lambda: replay.get(0), None)] == [
        "ns-3",
        "ns-4",
    ]


def test_drop_watches_cuts_streams_without_a_clean_end(
    sim: SimServer, core: client.CoreV1Api
) -> None:
    rv = make_pod(sim, "a")
    response = open_stream(core, resource_version=rv)
    outcome: list[BaseException | str] = []

    def read() -> None:
        try:
            for _ in iter_resp_lines(response):
                pass
            outcome.append("clean end")
        except Exception as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    deadline_wait(lambda: sim.open_watch_count == 1, "the watch is open")
    sim.faults.drop_watches()
    reader.join(timeout=10)
    assert not reader.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], urllib3.exceptions.HTTPError)
    # The server itself is fine: new requests and watches work.
    assert [p.metadata.name for p in core.list_namespaced_pod("default").items] == ["a"]
    assert [(t, n) for t, n, _ in events(core, 1)] == [("ADDED", "a")]


def deadline_wait(predicate: Any, message: str, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting until {message}")
        time.sleep(0.02)


def test_restart_keeps_the_store_and_cuts_connections(
    sim: SimServer, core: client.CoreV1Api
) -> None:
    rv = make_pod(sim, "a")
    port = sim.port
    response = open_stream(core, resource_version=rv)
    deadline_wait(lambda: sim.open_watch_count == 1, "the watch is open")
    sim.restart()
    with pytest.raises(urllib3.exceptions.HTTPError):
        list(iter_resp_lines(response))
    assert sim.port == port
    assert [p.metadata.name for p in core.list_namespaced_pod("default").items] == ["a"]
    make_pod(sim, "b")
    assert [(t, n) for t, n, _ in events(core, 1, resource_version=rv)] == [("ADDED", "b")]


def test_pause_refuses_connections_until_resume(sim: SimServer, core: client.CoreV1Api) -> None:
    make_pod(sim, "a")
    sim.pause()
    request = urllib.request.Request(sim.url + "/api/v1/namespaces")
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(request, timeout=5)
    make_pod(sim, "b")  # the store keeps working while the server is down
    sim.resume()
    names = [p.metadata.name for p in core.list_namespaced_pod("default").items]
    assert names == ["a", "b"]


def test_forbid_gives_403_for_get_list_and_watch(sim: SimServer, core: client.CoreV1Api) -> None:
    sim.store.create("", "namespaces", {"metadata": {"name": "secret"}})
    make_pod(sim, "a")
    make_pod(sim, "hidden", namespace="secret")
    sim.faults.forbid("", "pods", namespace="secret")

    with pytest.raises(ApiException) as listed:
        core.list_namespaced_pod("secret")
    assert listed.value.status == 403
    status = json.loads(listed.value.body)
    assert status["reason"] == "Forbidden"
    assert status["message"] == (
        'pods is forbidden: User "system:serviceaccount:default:ktui" cannot list resource'
        ' "pods" in API group "" in the namespace "secret"'
    )
    with pytest.raises(ApiException) as got:
        core.read_namespaced_pod("hidden", "secret")
    assert got.value.status == 403
    with pytest.raises(ApiException) as watched:
        core.list_namespaced_pod("secret", watch=True, _preload_content=False)
    assert watched.value.status == 403
    with pytest.raises(ApiException) as everywhere:
        core.list_pod_for_all_namespaces()
    assert "at the cluster scope" in json.loads(everywhere.value.body)["message"]
    # Other namespaces and other resources are untouched.
    assert [p.metadata.name for p in core.list_namespaced_pod("default").items] == ["a"]
    assert core.list_namespace().items

    sim.faults.forbid("apps", "deployments", message="custom denial")
    apps = client.AppsV1Api(core.api_client)
    with pytest.raises(ApiException) as custom:
        apps.list_namespaced_deployment("default")
    assert json.loads(custom.value.body)["message"] == "custom denial"

    sim.faults.clear()
    assert [p.metadata.name for p in core.list_namespaced_pod("secret").items] == ["hidden"]
    assert apps.list_namespaced_deployment("default").items == []


def test_selector_watch_turns_relabels_into_added_and_deleted(
    sim: SimServer, core: client.CoreV1Api
) -> None:
    rv = make_pod(sim, "a", app="web")
    make_pod(sim, "b", app="db")
    start = sim.store.resource_version
    relabel(sim, "a", app="other")
    relabel(sim, "b", app="web")
    relabel(sim, "b", app="web", extra="1")
    seen = events(core, 3, resource_version=start, label_selector="app=web")
    assert [(t, n) for t, n, _ in seen] == [
        ("DELETED", "a"),
        ("ADDED", "b"),
        ("MODIFIED", "b"),
    ]
    assert int(rv) < int(start)


def test_watch_of_one_object_by_field_selector(sim: SimServer, core: client.CoreV1Api) -> None:
    make_pod(sim, "a")
    make_pod(sim, "b")
    start = sim.store.resource_version
    relabel(sim, "b", x="1")
    relabel(sim, "a", x="1")
    seen = events(core, 1, resource_version=start, field_selector="metadata.name=a")
    assert [(t, n) for t, n, _ in seen] == [("MODIFIED", "a")]


def test_a_watcher_that_falls_behind_is_closed_not_buffered() -> None:
    store = Store()
    slow = store.watch("", "namespaces", resource_version=store.resource_version, max_queue=3)
    for i in range(5):
        store.create("", "namespaces", {"metadata": {"name": f"ns-{i}"}})
    assert slow.closed and slow.overflowed
    assert slow.pending == 3  # what it had queued can still be drained, then it ends
    drained = list(slow)
    assert [e.object["metadata"]["name"] for e in drained] == ["ns-0", "ns-1", "ns-2"]


def test_subscribe_calls_back_on_its_own_thread(sim: SimServer) -> None:
    received: list[tuple[str, str]] = []
    done = threading.Event()

    def on_event(event: Any) -> None:
        received.append((event.type, event.object["metadata"]["name"]))
        if len(received) == 3:
            done.set()

    subscription = sim.store.subscribe(on_event, "", "pods")
    try:
        make_pod(sim, "a")
        make_pod(sim, "b")
        sim.store.delete("", "pods", "default", "a")
        assert done.wait(10), f"only got {received}"
    finally:
        subscription.cancel()
    assert received == [("ADDED", "a"), ("ADDED", "b"), ("DELETED", "a")]
