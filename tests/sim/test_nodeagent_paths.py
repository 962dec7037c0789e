"""Lifecycle paths through the running node agent and scheduler on an in-process store.

Each test watches the pod and asserts the sequence of STATUS values (`kubectl get pods`) and
the status fields it went through. Timings are scaled down (Timings(scale=0.01)); nothing here
asserts how long anything took.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ktui.sim.client import LocalClient
from ktui.sim.nodeagent import NodeAgent, Timings
from ktui.sim.scheduler import Scheduler
from ktui.sim.store import Store, Watch
from ktui.view.pod import pod_status_reason

SCALE = 0.01


class Cluster:
    def __init__(self, store: Store, client: LocalClient, agent: NodeAgent) -> None:
        self.store = store
        self.client = client
        self.agent = agent
        self.extra: list[Any] = []

    def pod(self, name: str, containers: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
        annotations = spec.pop("annotations", {})
        body = {
            "metadata": {"name": name, "namespace": "default", "annotations": annotations},
            "spec": {"containers": containers, **spec},
        }
        return self.client.create("", "pods", body)

    def events(self, name: str) -> list[dict[str, Any]]:
        items, _ = self.client.list("", "events", "default")
        return [e for e in items if e["involvedObject"].get("name") == name]

    def wait_events(
        self, name: str, reason: str, count: int = 1, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """The pod's events with this reason, once their total count reaches `count` (events are
        posted in the background)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.events(name) if e["reason"] == reason]
            if sum(e.get("count", 1) for e in found) >= count:
                return found
            if time.monotonic() > deadline:
                pytest.fail(f"no {reason} event (count >= {count}) for {name}: {found}")
            time.sleep(0.02)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    store = Store()
    client = LocalClient(store)
    agent = NodeAgent(client, ["node-1", "node-2"], timings=Timings(scale=SCALE), seed=7)
    scheduler = Scheduler(client, retry_interval=0.5)
    agent.start()
    scheduler.start()
    c = Cluster(store, client, agent)
    try:
        yield c
    finally:
        for extra in c.extra:
            extra.stop()
        scheduler.stop()
        agent.stop()


def watch_pod(store: Store, name: str) -> Watch:
    return store.watch("", "pods", "default", field_selector=f"metadata.name={name}")


def follow(
    watch: Watch, done: Callable[[str, dict[str, Any]], bool], timeout: float = 15.0
) -> list[tuple[str, dict[str, Any]]]:
    """(event type, pod) until done(type, pod); fails with what was seen at the deadline."""
    seen: list[tuple[str, dict[str, Any]]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = watch.get(timeout=0.1)
        if event is None:
            continue
        seen.append((event.type, event.object))
        if done(event.type, event.object):
            return seen
    pytest.fail(f"timed out; STATUS sequence so far: {statuses(seen)}")


def statuses(seen: list[tuple[str, dict[str, Any]]]) -> list[str]:
    out: list[str] = []
    for type_, pod in seen:
        reason = "<deleted>" if type_ == "DELETED" else pod_status_reason(pod)
        if not out or out[-1] != reason:
            out.append(reason)
    return out


def is_ready(pod: dict[str, Any]) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or ()
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def container(name: str = "app", image: str = "nginx:1.25", **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": image, **extra}


def test_nodes_are_created_ready(cluster: Cluster) -> None:
    nodes, _ = cluster.client.list("", "nodes")
    assert sorted(n["metadata"]["name"] for n in nodes) == ["node-1", "node-2"]
    for node in nodes:
        ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True" and ready["reason"] == "KubeletReady"
        assert ready["lastHeartbeatTime"] and ready["lastTransitionTime"]
        assert node["status"]["allocatable"]["cpu"] == "4"
        assert {a["type"] for a in node["status"]["addresses"]} == {"InternalIP", "Hostname"}


def test_unschedulable_until_a_node_is_added(cluster: Cluster) -> None:
    with watch_pod(cluster.store, "big") as watch:
        cluster.pod("big", [container(resources={"requests": {"cpu": "6", "memory": "1Gi"}})])
        seen = follow(
            watch,
            lambda t, p: any(
                c["type"] == "PodScheduled" and c["status"] == "False"
                for c in p["status"].get("conditions") or ()
            ),
        )
        cond = next(c for c in seen[-1][1]["status"]["conditions"] if c["type"] == "PodScheduled")
        assert cond["reason"] == "Unschedulable"
        assert cond["message"] == "0/2 nodes are available: 2 Insufficient cpu."
        failed = cluster.wait_events("big", "FailedScheduling")
        assert failed[0]["type"] == "Warning"
        bigger = NodeAgent(
            cluster.client,
            ["node-9"],
            timings=Timings(scale=SCALE),
            node_capacity={"cpu": "8", "memory": "32Gi", "pods": "110"},
        )
        cluster.extra.append(bigger.start())
        seen += follow(watch, lambda t, p: is_ready(p))
    assert statuses(seen)[0] == "Pending"
    assert statuses(seen)[-1] == "Running"
    assert seen[-1][1]["spec"]["nodeName"] == "node-9"
    scheduled = cluster.wait_events("big", "Scheduled")
    assert scheduled[0]["message"] == "Successfully assigned default/big to node-9"


def test_init_containers_one_at_a_time(cluster: Cluster) -> None:
    with watch_pod(cluster.store, "init") as watch:
        cluster.pod(
            "init",
            [container()],
            initContainers=[container("init-a", "busybox"), container("init-b", "busybox")],
        )
        seen = follow(watch, lambda t, p: is_ready(p))
    assert statuses(seen) == ["Pending", "Init:0/2", "Init:1/2", "PodInitializing", "Running"]
    for _, pod in seen:
        init = pod["status"].get("initContainerStatuses") or []
        assert sum("running" in s["state"] for s in init) <= 1


def test_native_sidecar_runs_alongside_main(cluster: Cluster) -> None:
    with watch_pod(cluster.store, "side") as watch:
        cluster.pod(
            "side",
            [container()],
            initContainers=[container("proxy", "envoyproxy/envoy:v1.29", restartPolicy="Always")],
            annotations={"sim.ktui.dev/behavior-proxy": "ready-after=30s"},
        )
        seen = follow(watch, lambda t, p: is_ready(p))
    first_main_running = next(
        pod
        for _, pod in seen
        if "running" in ((pod["status"].get("containerStatuses") or [{}])[0].get("state") or {})
    )
    proxy = first_main_running["status"]["initContainerStatuses"][0]
    assert "running" in proxy["state"] and proxy["started"] is True
    assert not is_ready(first_main_running)  # the sidecar was not ready yet
    final = seen[-1][1]["status"]
    assert final["initContainerStatuses"][0]["ready"] is True
    assert "running" in final["initContainerStatuses"][0]["state"]


def test_readiness_probe_delay_before_ready(cluster: Cluster) -> None:
    probe = {"httpGet": {"path": "/", "port": 80}, "initialDelaySeconds": 20, "periodSeconds": 10}
    with watch_pod(cluster.store, "probe") as watch:
        cluster.pod("probe", [container(readinessProbe=probe)])
        seen = follow(watch, lambda t, p: is_ready(p))
    running_unready = [
        pod for _, pod in seen if pod["status"].get("phase") == "Running" and not is_ready(pod)
    ]
    assert running_unready, "the pod was never Running without being Ready"
    cs = running_unready[0]["status"]["containerStatuses"][0]
    assert cs["ready"] is False and cs["started"] is True


def test_crash_loop_back_off_grows(cluster: Cluster) -> None:
    with watch_pod(cluster.store, "crash") as watch:
        cluster.pod(
            "crash", [container()], annotations={"sim.ktui.dev/behavior-app": "crash-after=3s"}
        )

        def third_back_off(t: str, pod: dict[str, Any]) -> bool:
            waiting = (
                pod["status"].get("containerStatuses", [{}])[0].get("state", {}).get("waiting")
            )
            return bool(waiting and waiting.get("message", "").startswith("back-off 40s"))

        seen = follow(watch, third_back_off)
    messages = []
    for _, pod in seen:
        cs = pod["status"].get("containerStatuses", [{}])[0]
        waiting = cs.get("state", {}).get("waiting") or {}
        if waiting.get("reason") == "CrashLoopBackOff" and waiting["message"] not in messages:
            messages.append(waiting["message"])
    assert [m.split()[1] for m in messages] == ["10s", "20s", "40s"]
    uid = seen[-1][1]["metadata"]["uid"]
    assert messages[0] == f"back-off 10s restarting failed container=app pod=crash_default({uid})"
    final = seen[-1][1]["status"]["containerStatuses"][0]
    assert final["restartCount"] == 3
    assert final["lastState"]["terminated"]["reason"] == "Error"
    assert final["lastState"]["terminated"]["exitCode"] == 1
    assert "CrashLoopBackOff" in statuses(seen) and "Error" in statuses(seen)
    back_offs = cluster.wait_events("crash", "BackOff", count=2)
    assert len(back_offs) == 1, "repeated BackOff events must be aggregated into one"
    assert back_offs[0]["type"] == "Warning"
    assert back_offs[0]["message"] == "Back-off restarting failed container"
    assert back_offs[0]["involvedObject"]["fieldPath"] == "spec.containers{app}"
    assert back_offs[0]["source"] == {
        "component": "kubelet",
        "host": seen[-1][1]["spec"]["nodeName"],
    }


def test_err_image_pull_then_image_pull_back_off(cluster: Cluster) -> None:
    with watch_pod(cluster.store, "typo") as watch:
        cluster.pod("typo", [container(image="docker.io/library/nginx:does-not-exist")])
        seen = follow(watch, lambda t, p: statuses([(t, p)]) == ["ImagePullBackOff"])
    assert statuses(seen) == ["Pending", "ContainerCreating", "ErrImagePull", "ImagePullBackOff"]
    waiting = seen[-1][1]["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["message"] == 'Back-off pulling image "docker.io/library/nginx:does-not-exist"'
    reasons = {(e["reason"], e["message"]) for e in cluster.wait_events("typo", "Failed", 3)}
    assert ("Failed", "Error: ErrImagePull") in reasons
    assert ("Failed", "Error: ImagePullBackOff") in reasons


def test_oom_killed(cluster: Cluster) -> None:
    with watch_pod(cluster.store, "oom") as watch:
        cluster.pod(
            "oom",
            [container()],
            restartPolicy="Never",
            annotations={"sim.ktui.dev/behavior-app": "oom-after=8s"},
        )
        seen = follow(watch, lambda t, p: p["status"].get("phase") == "Failed")
    assert statuses(seen)[-1] == "OOMKilled"
    term = seen[-1][1]["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (137, "OOMKilled")


@pytest.mark.parametrize(
    ("code", "phase", "shown"), [(0, "Succeeded", "Completed"), (1, "Failed", "Error")]
)
def test_job_like_pods_finish(cluster: Cluster, code: int, phase: str, shown: str) -> None:
    name = f"job-{code}"
    with watch_pod(cluster.store, name) as watch:
        cluster.pod(
            name,
            [container("worker", "busybox:1.36")],
            restartPolicy="Never",
            annotations={"sim.ktui.dev/behavior-worker": f"exit={code} after=3s"},
        )
        seen = follow(watch, lambda t, p: p["status"].get("phase") in ("Succeeded", "Failed"))
    assert seen[-1][1]["status"]["phase"] == phase
    assert statuses(seen)[-2:] == ["Running", shown]


def test_graceful_termination_deletes_the_pod(cluster: Cluster) -> None:
    with watch_pod(cluster.store, "bye") as watch:
        cluster.pod(
            "bye",
            [container(), container("slow", "busybox", command=["sleep", "inf"])],
            terminationGracePeriodSeconds=20,
            annotations={"sim.ktui.dev/behavior-slow": "stop-delay=60s"},
        )
        follow(watch, lambda t, p: is_ready(p))
        cluster.client.delete("", "pods", "default", "bye")
        seen = follow(watch, lambda t, p: t == "DELETED")
    assert statuses(seen)[0] == "Terminating"
    assert statuses(seen)[-1] == "<deleted>"
    last = seen[-2][1]["status"]["containerStatuses"]
    exits = {s["name"]: s["state"]["terminated"]["exitCode"] for s in last}
    assert exits == {"app": 0, "slow": 137}  # slow outlived the grace period
    killing = cluster.wait_events("bye", "Killing", 2)
    assert {e["message"] for e in killing} == {"Stopping container app", "Stopping container slow"}


def test_never_ready_reports_unhealthy(cluster: Cluster) -> None:
    probe = {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 10}
    cluster.pod(
        "late",
        [container(readinessProbe=probe)],
        annotations={"sim.ktui.dev/behavior": "never-ready"},
    )
    unhealthy = cluster.wait_events("late", "Unhealthy", count=2)
    assert (
        unhealthy[0]["message"] == "Readiness probe failed: HTTP probe failed with statuscode: 503"
    )
    pod = cluster.client.get("", "pods", "default", "late")
    assert pod["status"]["phase"] == "Running" and not is_ready(pod)
    assert pod_status_reason(pod) == "Running"
