"""The node agent and the scheduler over HTTP (HttpClient on the embedded server): the same
lifecycle code as in-process, no store shortcuts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ktui.sim.httpclient import HttpClient
from ktui.sim.nodeagent import NodeAgent, Timings
from ktui.sim.scheduler import Scheduler
from ktui.sim.server import SimServer
from ktui.view.pod import pod_status_reason

Kubectl = Any
WaitUntil = Any


@pytest.fixture
def driven(sim: SimServer) -> Iterator[HttpClient]:
    http = HttpClient(sim.api_client())
    agent = NodeAgent(
        http, ["node-1", "node-2"], timings=Timings(scale=0.02), seed=11, log_store=sim.store
    )
    scheduler = Scheduler(HttpClient(sim.api_client()), retry_interval=0.5)
    agent.start()
    scheduler.start()
    try:
        yield http
    finally:
        scheduler.stop()
        agent.stop()


def test_pods_run_and_terminate_over_http(
    sim: SimServer, driven: HttpClient, kubectl: Kubectl, wait_until: WaitUntil
) -> None:
    nodes = kubectl("get", "nodes", "-o", "name").stdout.split()
    assert nodes == ["node/node-1", "node/node-2"]
    manifest = """
apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    sim.ktui.dev/behavior-app: crash-after=20s crashes=1
spec:
  initContainers:
  - name: setup
    image: busybox:1.36
  containers:
  - name: app
    image: nginx:1.25
"""
    kubectl("apply", "-f", "-", input=manifest)

    def running_after_a_restart() -> dict[str, Any] | None:
        pod = driven.get("", "pods", "default", "web")
        statuses = pod["status"].get("containerStatuses") or [{}]
        ready = any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in pod["status"].get("conditions", [])
        )
        return pod if ready and statuses[0].get("restartCount") == 1 else None

    pod = wait_until(running_after_a_restart, "web Ready after one restart")
    assert pod_status_reason(pod) == "Running"
    assert pod["status"]["initContainerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"
    logs = kubectl("logs", "web", "-c", "app", "--previous").stdout
    assert "[emerg]" in logs.splitlines()[-1]
    events = kubectl("get", "events", "--field-selector", "involvedObject.name=web", "-o", "json")
    reasons = {e["reason"] for e in json.loads(events.stdout)["items"]}
    assert {"Scheduled", "Pulling", "Created", "Started"} <= reasons
    kubectl("delete", "pod", "web", "--wait=true", timeout=60)
    assert kubectl("get", "pod", "web", check=False).returncode != 0


def test_agent_rides_out_an_apiserver_outage(
    sim: SimServer, driven: HttpClient, wait_until: WaitUntil
) -> None:
    def ready(name: str) -> bool:
        pod = sim.store.get("", "pods", "default", name)
        return any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in pod["status"].get("conditions", [])
        )

    body = {
        "metadata": {"name": "before", "namespace": "default"},
        "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "nginx:1.25"}]},
    }
    sim.store.create("", "pods", body)
    sim.pause()  # the agent's watch is cut and its writes fail while the server is away
    sim.store.create("", "pods", {**body, "metadata": {"name": "during", "namespace": "default"}})
    sim.resume()
    wait_until(lambda: ready("before") and ready("during"), "both pods Ready after the outage")
