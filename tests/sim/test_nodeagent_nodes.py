"""Nodes: heartbeats, a lost node turning Unknown (and its pods), restore, adoption after an
agent restart, and the event recorder's aggregation and rate limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ktui.sim.client import LocalClient
from ktui.sim.nodeagent import EventRecorder, NodeAgent, Timings
from ktui.sim.store import Store
from ktui.view.pod import pod_status_reason

SCALE = 0.01


def eventually(predicate: Callable[[], Any], message: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting until {message}")
        time.sleep(0.02)


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def client(store: Store) -> LocalClient:
    return LocalClient(store)


@pytest.fixture
def agent(client: LocalClient) -> Iterator[NodeAgent]:
    node_agent = NodeAgent(
        client,
        ["node-1", "node-2"],
        timings=Timings(scale=SCALE, heartbeat=0.1, pod_eviction_timeout=100),
        seed=3,
    )
    node_agent.start()
    yield node_agent
    node_agent.stop()


def ready(obj: dict[str, Any]) -> str | None:
    for cond in (obj.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            return str(cond.get("status"))
    return None


def make_pod(client: LocalClient, name: str, node: str, **spec: Any) -> dict[str, Any]:
    body = {
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"nodeName": node, "containers": [{"name": "app", "image": "nginx:1.25"}], **spec},
    }
    return client.create("", "pods", body)


def pod_or_none(client: LocalClient, name: str) -> dict[str, Any] | None:
    items, _ = client.list("", "pods", "default", field_selector=f"metadata.name={name}")
    return items[0] if items else None


def test_heartbeats_stop_when_a_node_is_lost(store: Store, agent: NodeAgent) -> None:
    agent.lose_node("node-1")
    heartbeats = {"node-1": 0, "node-2": 0}
    with store.watch("", "nodes", resource_version=store.resource_version) as watch:
        deadline = time.monotonic() + 10
        while heartbeats["node-2"] < 2 and time.monotonic() < deadline:
            event = watch.get(timeout=0.1)
            if event is not None and ready(event.object) == "True":
                heartbeats[event.object["metadata"]["name"]] += 1
    assert heartbeats["node-2"] >= 2, "node-2 kept no heartbeat"
    # At most one heartbeat of node-1 was already on its way when it was lost.
    assert heartbeats["node-1"] <= 1
    assert agent.is_lost("node-1")


def test_lost_node_goes_unknown_and_its_pods_are_evicted(
    client: LocalClient, agent: NodeAgent
) -> None:
    make_pod(client, "doomed", "node-1")
    make_pod(
        client,
        "patient",
        "node-1",
        tolerations=[
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}
        ],
    )
    make_pod(client, "elsewhere", "node-2")
    for name in ("doomed", "patient", "elsewhere"):
        eventually(
            lambda n=name: ready(client.get("", "pods", "default", n)) == "True", f"{name} Ready"
        )

    agent.lose_node("node-1")
    node = eventually(
        lambda: (n := client.get("", "nodes", None, "node-1")) and ready(n) == "Unknown" and n,
        "node-1 is Unknown",
    )
    cond = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
    assert cond["reason"] == "NodeStatusUnknown"
    assert cond["message"] == "Kubelet stopped posting node status."
    eventually(
        lambda: (
            {
                (t["key"], t["effect"])
                for t in client.get("", "nodes", None, "node-1")["spec"].get("taints", [])
            }
            == {
                ("node.kubernetes.io/unreachable", "NoSchedule"),
                ("node.kubernetes.io/unreachable", "NoExecute"),
            }
        ),
        "node-1 is tainted unreachable",
    )
    eventually(
        lambda: ready(client.get("", "pods", "default", "patient")) == "False", "patient not Ready"
    )
    doomed = eventually(
        lambda: (
            (p := client.get("", "pods", "default", "doomed"))
            and p["metadata"].get("deletionTimestamp")
            and p["status"].get("reason") == "NodeLost"
            and p
        ),
        "doomed is being evicted",
    )
    assert pod_status_reason(doomed) == "Unknown"
    assert doomed["status"]["message"] == "Node node-1 which was running pod doomed is unresponsive"
    assert ready(client.get("", "pods", "default", "elsewhere")) == "True"
    patient = client.get("", "pods", "default", "patient")
    assert not patient["metadata"].get("deletionTimestamp")  # it tolerates unreachable forever

    agent.restore_node("node-1")
    eventually(
        lambda: ready(client.get("", "nodes", None, "node-1")) == "True", "node-1 Ready again"
    )
    eventually(
        lambda: not client.get("", "nodes", None, "node-1")["spec"].get("taints"), "taints removed"
    )
    # With its kubelet back, the evicted pod finishes terminating and goes away.
    eventually(lambda: pod_or_none(client, "doomed") is None, "doomed deleted")
    eventually(
        lambda: ready(client.get("", "pods", "default", "patient")) == "True", "patient Ready again"
    )


def test_agent_restart_adopts_nodes_and_running_pods(client: LocalClient) -> None:
    timings = Timings(scale=SCALE)
    first = NodeAgent(client, ["node-1"], timings=timings, seed=1).start()
    try:
        make_pod(client, "keeper", "node-1")
        running = eventually(
            lambda: (p := client.get("", "pods", "default", "keeper")) and ready(p) == "True" and p,
            "keeper Ready",
        )
    finally:
        first.stop()
    node_uid = client.get("", "nodes", None, "node-1")["metadata"]["uid"]
    second = NodeAgent(client, ["node-1"], timings=timings, seed=2).start()
    try:
        assert client.get("", "nodes", None, "node-1")["metadata"]["uid"] == node_uid
        assert second.wait_synced(10)
        eventually(lambda: second.pod_count() == 1, "the new agent knows the pod")
        pod = client.get("", "pods", "default", "keeper")
        before = running["status"]["containerStatuses"][0]
        after = pod["status"]["containerStatuses"][0]
        assert after["state"] == before["state"]  # still the same run
        assert pod["status"]["podIP"] == running["status"]["podIP"]
        client.delete("", "pods", "default", "keeper")
        eventually(lambda: pod_or_none(client, "keeper") is None, "keeper deleted by the new agent")
    finally:
        second.stop()


def test_stop_is_prompt_and_idempotent(client: LocalClient) -> None:
    node_agent = NodeAgent(client, ["node-1"], timings=Timings(scale=SCALE)).start()
    node_agent.stop()
    node_agent.stop()
    prefix = node_agent.thread_prefix + "-"
    alive = [t.name for t in threading.enumerate() if t.name.startswith(prefix)]
    assert alive == []


def test_event_recorder_aggregates_and_rate_limits(client: LocalClient) -> None:
    pod = make_pod(client, "noisy", "nowhere")
    recorder = EventRecorder(client, component="kubelet", burst=3, refill=3600)
    recorder.start()
    try:
        for _ in range(2):
            recorder.record(pod, "BackOff", "Back-off restarting failed container", type_="Warning")
        recorder.record(pod, "Pulled", "pulled one")
        recorder.record(pod, "Pulled", "pulled two")  # the bucket is empty by now: dropped
        eventually(recorder.idle, "the recorder posted everything")
    finally:
        recorder.stop()
    items, _ = client.list("", "events", "default")
    by_message = {e["message"]: e for e in items}
    assert set(by_message) == {"Back-off restarting failed container", "pulled one"}
    back_off = by_message["Back-off restarting failed container"]
    assert back_off["count"] == 2 and back_off["type"] == "Warning"
    assert back_off["involvedObject"]["uid"] == pod["metadata"]["uid"]
    assert back_off["firstTimestamp"] and back_off["lastTimestamp"]
    assert back_off["source"]["component"] == "kubelet"
    assert recorder.stats.dropped == 1


def test_unknown_node_names_are_refused(agent: NodeAgent) -> None:
    with pytest.raises(ValueError, match="'node-7' is not one of this agent's nodes"):
        agent.lose_node("node-7")
