"""The embedded cluster's scheduler: filters, messages, scoring, and binding on a store."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ktui.sim.client import LocalClient
from ktui.sim.scheduler import Scheduler, node_affinity_matches, tolerates
from ktui.sim.store import Store


def eventually(predicate: Callable[[], Any], message: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting until {message}")
        time.sleep(0.02)


def node(
    name: str,
    cpu: str = "4",
    memory: str = "8Gi",
    pods: str = "110",
    *,
    ready: str = "True",
    taints: list[dict[str, Any]] | None = None,
    labels: dict[str, str] | None = None,
    unschedulable: bool = False,
) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": spec,
        "status": {
            "allocatable": {"cpu": cpu, "memory": memory, "pods": pods},
            "capacity": {"cpu": cpu, "memory": memory, "pods": pods},
            "conditions": [{"type": "Ready", "status": ready}],
        },
    }


def pod(
    name: str, cpu: str | None = None, memory: str | None = None, **spec: Any
) -> dict[str, Any]:
    requests = {}
    if cpu:
        requests["cpu"] = cpu
    if memory:
        requests["memory"] = memory
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
        "spec": {
            "containers": [{"name": "app", "image": "nginx", "resources": {"requests": requests}}],
            **spec,
        },
        "status": {"phase": "Pending"},
    }


def offline(nodes: list[dict[str, Any]]) -> Scheduler:
    """A scheduler fed by hand (never started) for the filter and message logic."""
    scheduler = Scheduler(LocalClient(Store()))
    for n in nodes:
        scheduler._node_event("ADDED", n)
    return scheduler


def message(scheduler: Scheduler, p: dict[str, Any]) -> str:
    counts: dict[str, int] = {}
    for n in scheduler._nodes.values():
        for reason in scheduler.filter_reasons(p, n):
            counts[reason] = counts.get(reason, 0) + 1
    return scheduler._message(counts)


def test_unschedulable_messages_are_kube_schedulers() -> None:
    scheduler = offline([node("node-1"), node("node-2"), node("node-3")])
    assert message(scheduler, pod("big", cpu="5")) == "0/3 nodes are available: 3 Insufficient cpu."
    assert message(scheduler, pod("huge", cpu="5", memory="9Gi")) == (
        "0/3 nodes are available: 3 Insufficient cpu, 3 Insufficient memory."
    )
    mixed = offline(
        [
            node("node-1", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]),
            node("node-2", unschedulable=True),
            node("node-3", cpu="1"),
        ]
    )
    assert message(mixed, pod("p", cpu="2")) == (
        "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) had taint {dedicated: gpu},"
        " that the pod didn't tolerate, 1 node(s) were unschedulable."
    )
    assert offline([])._message({}) == "no nodes available to schedule pods"


def test_not_ready_nodes_count_as_tainted() -> None:
    scheduler = offline([node("a", ready="False"), node("b", ready="Unknown")])
    assert message(scheduler, pod("p")) == (
        "0/2 nodes are available: 1 node(s) had taint {node.kubernetes.io/not-ready: }, that the"
        " pod didn't tolerate, 1 node(s) had taint {node.kubernetes.io/unreachable: }, that the"
        " pod didn't tolerate."
    )


def test_pod_count_limit() -> None:
    scheduler = offline([node("tiny", pods="1")])
    scheduler._pod_event(
        "ADDED", {**pod("there"), "spec": {**pod("there")["spec"], "nodeName": "tiny"}}
    )
    assert message(scheduler, pod("p")) == "0/1 nodes are available: 1 Too many pods."


def test_tolerations() -> None:
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    assert tolerates([{"key": "dedicated", "operator": "Equal", "value": "gpu"}], taint)
    assert tolerates([{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}], taint)
    assert tolerates([{"operator": "Exists"}], taint)
    assert not tolerates([{"key": "dedicated", "value": "cpu"}], taint)
    assert not tolerates([{"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}], taint)


def test_node_selector_and_required_affinity() -> None:
    ssd = node("node-1", labels={"disk": "ssd", "zone": "a"})
    hdd = node("node-2", labels={"disk": "hdd", "zone": "b"})
    assert node_affinity_matches(pod("p", nodeSelector={"disk": "ssd"}), ssd)
    assert not node_affinity_matches(pod("p", nodeSelector={"disk": "ssd"}), hdd)

    def affinity(*terms: dict[str, Any]) -> dict[str, Any]:
        required = {"nodeSelectorTerms": list(terms)}
        return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": required}}

    # DaemonSet pods pin themselves to one node through matchFields on metadata.name.
    pinned = pod(
        "ds",
        affinity=affinity(
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-2"]}]}
        ),
    )
    assert not node_affinity_matches(pinned, ssd) and node_affinity_matches(pinned, hdd)
    not_in = pod(
        "p",
        affinity=affinity(
            {"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}
        ),
    )
    assert not node_affinity_matches(not_in, ssd) and node_affinity_matches(not_in, hdd)
    exists = pod(
        "p", affinity=affinity({"matchExpressions": [{"key": "gpu", "operator": "Exists"}]})
    )
    assert not node_affinity_matches(exists, ssd)
    either = pod(
        "p",
        affinity=affinity(
            {"matchExpressions": [{"key": "gpu", "operator": "Exists"}]},
            {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]},
        ),
    )
    assert node_affinity_matches(either, ssd)
    scheduler = offline([ssd, hdd])
    assert (
        message(scheduler, exists)
        == "0/2 nodes are available: 2 node(s) didn't match node selector."
    )


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def running(store: Store) -> Iterator[LocalClient]:
    client = LocalClient(store)
    scheduler = Scheduler(client, retry_interval=0.3).start()
    yield client
    scheduler.stop()


def test_binds_to_the_least_loaded_nodes(store: Store, running: LocalClient) -> None:
    for name in ("node-1", "node-2", "node-3"):
        running.create("", "nodes", node(name))
    for i in range(6):
        running.create("", "pods", pod(f"p{i}", cpu="500m", memory="256Mi"))
    pods = eventually(
        lambda: (
            (items := running.list("", "pods", "default")[0])
            and all(p["spec"].get("nodeName") for p in items)
            and items
        ),
        "all pods bound",
    )
    per_node: dict[str, int] = {}
    for p in pods:
        per_node[p["spec"]["nodeName"]] = per_node.get(p["spec"]["nodeName"], 0) + 1
        conds = {c["type"]: c["status"] for c in p["status"]["conditions"]}
        assert conds["PodScheduled"] == "True"
    assert per_node == {"node-1": 2, "node-2": 2, "node-3": 2}
    events = eventually(
        lambda: (
            [e for e in running.list("", "events", "default")[0] if e["reason"] == "Scheduled"]
            if len(running.list("", "events", "default")[0]) >= 6
            else None
        ),
        "six Scheduled events",
    )
    assert {e["source"]["component"] for e in events} == {"default-scheduler"}
    p0 = next(p for p in pods if p["metadata"]["name"] == "p0")
    assert any(
        e["message"] == f"Successfully assigned default/p0 to {p0['spec']['nodeName']}"
        for e in events
    )


def test_unschedulable_pod_is_retried_when_room_appears(running: LocalClient) -> None:
    running.create("", "nodes", node("node-1", cpu="2"))
    running.create("", "pods", {**pod("filler", cpu="1500m")})
    eventually(
        lambda: running.get("", "pods", "default", "filler")["spec"].get("nodeName"), "filler bound"
    )
    running.create("", "pods", pod("waiting", cpu="1"))

    def unschedulable() -> dict[str, Any] | None:
        p = running.get("", "pods", "default", "waiting")
        cond = next(
            (c for c in p["status"].get("conditions", []) if c["type"] == "PodScheduled"), None
        )
        return cond if cond and cond["status"] == "False" else None

    cond = eventually(unschedulable, "waiting marked unschedulable")
    assert cond["reason"] == "Unschedulable"
    assert cond["message"] == "0/1 nodes are available: 1 Insufficient cpu."
    assert cond["lastTransitionTime"]
    failed = eventually(
        lambda: [
            e
            for e in running.list("", "events", "default")[0]
            if e["reason"] == "FailedScheduling" and e["involvedObject"]["name"] == "waiting"
        ],
        "a FailedScheduling event",
    )
    assert failed[0]["type"] == "Warning" and failed[0]["message"] == cond["message"]
    # No kubelet here to finish a graceful deletion: force it.
    running.delete("", "pods", "default", "filler", grace_period_seconds=0)
    eventually(
        lambda: running.get("", "pods", "default", "waiting")["spec"].get("nodeName") == "node-1",
        "waiting bound once room was freed",
    )


def test_other_schedulers_pods_are_left_alone(running: LocalClient) -> None:
    running.create("", "nodes", node("node-1"))
    running.create("", "pods", pod("mine"))
    running.create("", "pods", pod("theirs", schedulerName="my-scheduler"))
    eventually(
        lambda: running.get("", "pods", "default", "mine")["spec"].get("nodeName"), "mine bound"
    )
    time.sleep(0.2)
    assert not running.get("", "pods", "default", "theirs")["spec"].get("nodeName")
