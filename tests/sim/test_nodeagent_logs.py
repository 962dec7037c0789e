"""pods/log through the embedded cluster's HTTP server, read with the kubernetes client and with
`kubectl logs`: the node agent's log source (follow, previous, tail, timestamps, errors)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from ktui.sim.client import LocalClient
from ktui.sim.nodeagent import NodeAgent, Timings
from ktui.sim.server import SimServer

KUBECTL = os.environ.get("KTUI_KUBECTL", "kubectl")
Kubectl = Any
WaitUntil = Any
SCALE = 0.05
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ")


@pytest.fixture
def agent(sim: SimServer) -> Iterator[NodeAgent]:
    node_agent = NodeAgent(LocalClient(sim.store), ["node-1"], timings=Timings(scale=SCALE), seed=5)
    node_agent.start()
    assert sim.store.log_source is node_agent.log_source
    yield node_agent
    node_agent.stop()


@pytest.fixture
def core(sim: SimServer) -> k8s.CoreV1Api:
    return k8s.CoreV1Api(sim.api_client())


def make_pod(
    sim: SimServer, name: str, behavior: str, image: str = "nginx:1.25", **spec: Any
) -> None:
    sim.store.create(
        "",
        "pods",
        {
            "metadata": {
                "name": name,
                "namespace": "default",
                "annotations": {"sim.ktui.dev/behavior-app": behavior} if behavior else {},
            },
            "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": image}], **spec},
        },
    )


def container_status(sim: SimServer, name: str) -> dict[str, Any]:
    pod = sim.store.get("", "pods", "default", name)
    return ((pod.get("status") or {}).get("containerStatuses") or [{}])[0]


def test_logs_of_a_finished_container(
    sim: SimServer, agent: NodeAgent, core: k8s.CoreV1Api, kubectl: Kubectl, wait_until: WaitUntil
) -> None:
    make_pod(
        sim, "api-job", "exit=0 after=20s", image="example/orders-api:2.1", restartPolicy="Never"
    )
    wait_until(
        lambda: (
            sim.store.get("", "pods", "default", "api-job")["status"].get("phase") == "Succeeded"
        ),
        "the pod succeeded",
    )
    text = core.read_namespaced_pod_log("api-job", "default")
    lines = text.splitlines()
    assert len(lines) > 5
    assert all(line.startswith("{") for line in lines)  # the JSON flavour for an API image
    assert '"msg":"server stopped"' in lines[-1]
    assert kubectl("logs", "api-job").stdout == text
    assert kubectl("logs", "api-job", "--tail=2").stdout.splitlines() == lines[-2:]
    stamped = kubectl("logs", "api-job", "--timestamps").stdout.splitlines()
    assert all(TIMESTAMP.match(line) for line in stamped)
    assert [line.split(" ", 1)[1] for line in stamped] == lines


def test_previous_logs_and_their_errors(
    sim: SimServer, agent: NodeAgent, core: k8s.CoreV1Api, kubectl: Kubectl, wait_until: WaitUntil
) -> None:
    make_pod(sim, "web-crash", "crash-after=10s")
    wait_until(
        lambda: container_status(sim, "web-crash").get("state", {}).get("running"), "running"
    )
    failed = kubectl("logs", "web-crash", "--previous", check=False)
    assert failed.returncode != 0
    assert 'previous terminated container "app" in pod "web-crash" not found' in failed.stderr
    wait_until(lambda: container_status(sim, "web-crash").get("restartCount", 0) >= 1, "a restart")
    previous = kubectl("logs", "web-crash", "--previous").stdout.splitlines()
    assert previous[0].startswith("/docker-entrypoint.sh")
    assert previous[-1].startswith("nginx: [emerg]")
    via_client = core.read_namespaced_pod_log("web-crash", "default", previous=True, tail_lines=1)
    assert via_client.splitlines() == previous[-1:]


def test_waiting_containers_give_the_kubelets_errors(
    sim: SimServer, agent: NodeAgent, core: k8s.CoreV1Api, kubectl: Kubectl, wait_until: WaitUntil
) -> None:
    make_pod(sim, "slow", "start-delay=1h")
    result = kubectl("logs", "slow", check=False)
    assert result.returncode != 0
    assert 'container "app" in pod "slow" is waiting to start: ContainerCreating' in result.stderr
    make_pod(sim, "typo", "", image="nginx:does-not-exist")
    wait_until(
        lambda: (
            container_status(sim, "typo").get("state", {}).get("waiting", {}).get("reason")
            == "ImagePullBackOff"
        ),
        "ImagePullBackOff",
    )
    with pytest.raises(ApiException) as info:
        core.read_namespaced_pod_log("typo", "default")
    assert info.value.status == 400
    assert json.loads(info.value.body)["message"] == (
        'container "app" in pod "typo" is waiting to start: trying and failing to pull image'
    )


def test_follow_streams_until_the_container_exits(
    sim: SimServer,
    kubeconfig: str,
    agent: NodeAgent,
    core: k8s.CoreV1Api,
    wait_until: WaitUntil,
) -> None:
    make_pod(
        sim, "worker", "exit=0 after=30s", image="example/queue-worker:1", restartPolicy="Never"
    )
    wait_until(lambda: container_status(sim, "worker").get("state", {}).get("running"), "running")
    response = core.read_namespaced_pod_log(
        "worker", "default", follow=True, _preload_content=False, _request_timeout=(5, 30)
    )
    chunks = [chunk for chunk in response.stream(amt=None, decode_content=True) if chunk.strip()]
    followed = b"".join(chunks).decode()
    assert len(chunks) > 1, "the log arrived in one piece: it was not followed"
    assert sim.store.get("", "pods", "default", "worker")["status"]["phase"] == "Succeeded"
    assert followed == core.read_namespaced_pod_log("worker", "default")
    assert followed.splitlines()[-1].endswith("all work done, exiting")


def test_kubectl_logs_follow_ends_with_the_container(
    sim: SimServer, kubeconfig: str, agent: NodeAgent, core: k8s.CoreV1Api, wait_until: WaitUntil
) -> None:
    make_pod(sim, "short", "exit=1 after=30s", image="redis:7", restartPolicy="Never")
    wait_until(lambda: container_status(sim, "short").get("state", {}).get("running"), "running")
    result = subprocess.run(
        [KUBECTL, "--kubeconfig", kubeconfig, "logs", "-f", "short"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == core.read_namespaced_pod_log("short", "default")
    assert "Fatal error loading the DB" in result.stdout.splitlines()[-1]
