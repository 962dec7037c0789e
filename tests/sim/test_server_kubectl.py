"""kubectl v1.32 against the embedded apiserver: the commands ktui's users and tests rely on."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from ktui.sim.server import SimServer
from ktui.view.describe_pod import describe_pod

KUBECTL = os.environ.get("KTUI_KUBECTL", "kubectl")


def make_pod(sim: SimServer, name: str, namespace: str = "default", node: str = "n1") -> None:
    sim.store.create(
        "",
        "pods",
        {
            "metadata": {"name": name, "namespace": namespace, "labels": {"app": "web"}},
            "spec": {"nodeName": node, "containers": [{"name": "main", "image": "busybox"}]},
        },
    )


def set_running(sim: SimServer, name: str, restarts: int = 0) -> None:
    pod = sim.store.get("", "pods", "default", name)
    pod["status"] = {
        "phase": "Running",
        "podIP": "10.0.0.7",
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": [
            {
                "name": "main",
                "ready": True,
                "restartCount": restarts,
                "image": "busybox",
                "imageID": "",
                "state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}},
            }
        ],
    }
    sim.store.update_status("", "pods", pod)


def test_get_pods_all_namespaces(sim: SimServer, kubectl: Any) -> None:
    sim.store.create("", "namespaces", {"metadata": {"name": "team"}})
    make_pod(sim, "web-1")
    make_pod(sim, "api-1", namespace="team")
    set_running(sim, "web-1", restarts=2)
    out = kubectl("get", "pods", "-A", "-o", "wide").stdout.splitlines()
    assert out[0].split() == [
        "NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
        "NOMINATED", "NODE", "READINESS", "GATES",
    ]  # fmt: skip
    rows = {line.split()[1]: line.split() for line in out[1:]}
    assert rows["web-1"][:5] == ["default", "web-1", "1/1", "Running", "2"]
    assert rows["web-1"][6:8] == ["10.0.0.7", "n1"]
    assert rows["api-1"][:5] == ["team", "api-1", "0/1", "Pending", "0"]


def test_get_pods_counts_native_sidecars_as_kubernetes_1_29(sim: SimServer, kubectl: Any) -> None:
    # The sim reports v1.30: its server-side table counts a started sidecar (an init container
    # with restartPolicy Always) in READY, and its restarts after initialization, as ktui does.
    sim.store.create(
        "",
        "pods",
        {
            "metadata": {"name": "api-1", "namespace": "default"},
            "spec": {
                "nodeName": "n1",
                "initContainers": [
                    {"name": "setup", "image": "busybox"},
                    {"name": "envoy", "image": "envoy", "restartPolicy": "Always"},
                ],
                "containers": [{"name": "api", "image": "api"}],
            },
        },
    )
    running = {"running": {"startedAt": "2024-01-01T00:00:00Z"}}
    pod = sim.store.get("", "pods", "default", "api-1")

    def status(name: str, state: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"name": name, "image": name, "imageID": "", "state": state, **extra}

    done = {"terminated": {"exitCode": 0, "reason": "Completed"}}
    pod["status"] = {
        "phase": "Running",
        "conditions": [
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": "True"},
        ],
        "initContainerStatuses": [
            status("setup", done, ready=False, restartCount=0),
            status("envoy", running, ready=True, started=True, restartCount=2),
        ],
        "containerStatuses": [status("api", running, ready=True, restartCount=1)],
    }
    sim.store.update_status("", "pods", pod)
    row = kubectl("get", "pods", "--no-headers").stdout.split()
    # READY 2/2 (envoy and api; v1.28 and earlier printed 1/1), RESTARTS envoy's 2 + api's 1
    assert row[:4] == ["api-1", "2/2", "Running", "3"]
    # A sidecar that has not started yet holds initialization, and READY counts it in the total.
    pod = sim.store.get("", "pods", "default", "api-1")
    pod["status"]["phase"] = "Pending"
    pod["status"]["conditions"] = [{"type": "Initialized", "status": "False"}]
    pod["status"]["initContainerStatuses"][1] = status(
        "envoy", running, ready=False, started=False, restartCount=0
    )
    pod["status"]["containerStatuses"] = [
        status("api", {"waiting": {"reason": "PodInitializing"}}, ready=False, restartCount=0)
    ]
    sim.store.update_status("", "pods", pod)
    row = kubectl("get", "pods", "--no-headers").stdout.split()
    assert row[:4] == ["api-1", "0/2", "Init:1/2", "0"]


def test_get_deployment_as_yaml(sim: SimServer, kubectl: Any) -> None:
    sim.store.create(
        "apps",
        "deployments",
        {
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]},
                },
            },
        },
    )
    document = yaml.safe_load(kubectl("get", "deploy", "web", "-o", "yaml").stdout)
    assert document["kind"] == "Deployment" and document["apiVersion"] == "apps/v1"
    assert document["spec"]["replicas"] == 3
    assert (
        document["metadata"]["uid"]
        == sim.store.get("apps", "deployments", "default", "web")["metadata"]["uid"]
    )
    table = kubectl("get", "deploy").stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert table[1].split()[:4] == ["web", "0/3", "0", "0"]


def test_get_pods_watch_prints_changes(
    sim: SimServer, kubeconfig: str, tmp_path: Any, wait_until: Any
) -> None:
    make_pod(sim, "web-1")
    env = {**os.environ, "HOME": str(tmp_path)}
    process = subprocess.Popen(
        [KUBECTL, "--kubeconfig", kubeconfig, "get", "pods", "-w", "--output-watch-events"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")))
    reader.start()
    try:
        wait_until(lambda: any("web-1" in line for line in lines), "kubectl lists web-1")
        wait_until(lambda: sim.open_watch_count >= 1, "kubectl's watch is open")
        make_pod(sim, "web-2")
        sim.store.delete("", "pods", "default", "web-1")  # bound: terminating first
        sim.store.delete("", "pods", "default", "web-1", grace_period_seconds=0)
        wait_until(
            lambda: any(line.split()[:2] == ["DELETED", "web-1"] for line in lines if line),
            f"kubectl prints the deletion (got {lines})",
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
        reader.join(timeout=10)
    events = [line.split()[:2] for line in lines[1:] if line.strip()]
    assert ["ADDED", "web-2"] in events
    assert events.index(["ADDED", "web-2"]) < events.index(["DELETED", "web-1"])
    terminating = [line for line in lines if line.startswith("MODIFIED") and "web-1" in line]
    assert terminating and "Terminating" in terminating[-1]


def test_create_from_a_manifest_and_describe(sim: SimServer, kubectl: Any) -> None:
    manifest = """
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: main, image: busybox, command: [echo, hi]}]
"""
    assert "job.batch/once created" in kubectl("create", "-f", "-", input=manifest).stdout
    job = sim.store.get("batch", "jobs", "default", "once")
    uid = job["metadata"]["uid"]
    assert job["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    assert job["spec"]["template"]["metadata"]["labels"]["job-name"] == "once"
    assert job["spec"]["backoffLimit"] == 6
    described = kubectl("describe", "job", "once").stdout
    assert "Name:" in described and "once" in described


def test_logs_errors_like_a_real_apiserver(sim: SimServer, kubectl: Any) -> None:
    make_pod(sim, "web-1")
    waiting = kubectl("logs", "web-1", check=False)
    assert waiting.returncode != 0
    assert 'container "main" in pod "web-1" is waiting to start: ContainerCreating' in (
        waiting.stderr
    )
    wrong = kubectl("logs", "web-1", "-c", "nope", check=False)
    assert "container nope is not valid for pod web-1" in wrong.stderr
    set_running(sim, "web-1")
    assert kubectl("logs", "web-1").stdout == ""


def test_log_source_is_pluggable(sim: SimServer, kubectl: Any) -> None:
    class Lines:
        def read_log(self, pod: Any, container: str, **options: Any) -> Any:
            lines = [f"{pod['metadata']['name']}/{container} line {i}\n" for i in range(5)]
            if options["tail_lines"] is not None:
                lines = lines[-options["tail_lines"] :]
            return iter(line.encode() for line in lines)

    sim.store.log_source = Lines()
    make_pod(sim, "web-1")
    assert kubectl("logs", "web-1", "--tail=2").stdout == ("web-1/main line 3\nweb-1/main line 4\n")
    assert kubectl("logs", "-f", "web-1").stdout.count("\n") == 5


def test_delete_and_get_events(sim: SimServer, kubectl: Any) -> None:
    make_pod(sim, "web-1")
    sim.store.create(
        "",
        "events",
        {
            "metadata": {"name": "web-1.1", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "default"},
            "reason": "Scheduled",
            "message": "Successfully assigned default/web-1 to n1",
            "type": "Normal",
            "count": 1,
        },
    )
    out = kubectl("get", "events").stdout.splitlines()
    assert out[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert out[1].split()[1:4] == ["Normal", "Scheduled", "pod/web-1"]
    kubectl("delete", "pod", "web-1", "--grace-period=0", "--force")
    assert sim.store.list("", "pods", "default")[0] == []


@pytest.fixture(params=["UTC", "America/New_York"])
def local_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The machine's zone for this process and the kubectl it runs (requested before `kubectl`,
    which copies the environment when it is set up)."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def test_describe_pod_is_ktuis_describe_pod(local_zone: str, sim: SimServer, kubectl: Any) -> None:
    """ktui's pod describe (`describe_pod` of the pod one GET reads, and its events) is the text
    of `kubectl describe pod`: a pod with an init container, a native sidecar and a regular one
    (probes, env of every source, mounts), volumes of eight types, tolerations, a node selector,
    and events old enough that their ages cannot move while both run. On a UTC machine and on
    one in New York: kubectl prints times in the local zone, whatever zone ktui's clock is in."""
    case = json.loads(
        (
            Path(__file__).parent.parent / "unit" / "data" / "kubectl_describe_pod_cases.json"
        ).read_text()
    )["cases"][0]["pod"]
    spec = {**case["spec"], "nodeName": "n1"}
    created = sim.store.create(
        "",
        "pods",
        {
            "metadata": {
                k: case["metadata"][k] for k in ("name", "namespace", "labels", "annotations")
            },
            "spec": spec,
        },
    )
    two_days_ago = datetime.now(UTC) - timedelta(days=2, hours=3)

    def at(minutes: int) -> str:
        return (two_days_ago + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def terminated(code: int, reason: str, started: int) -> dict[str, Any]:
        return {
            "exitCode": code,
            "reason": reason,
            "startedAt": at(started),
            "finishedAt": at(started + 1),
        }

    created["status"] = {
        "phase": "Running",
        "hostIP": "10.0.0.1",
        "podIP": "10.244.1.7",
        "podIPs": [{"ip": "10.244.1.7"}],
        "startTime": at(0),
        "qosClass": "Burstable",
        "conditions": [{"type": "Ready", "status": "False"}],
        "initContainerStatuses": [
            {
                "name": "setup",
                "ready": False,
                "restartCount": 0,
                "image": "busybox:1.36",
                "imageID": "",
                "state": {"terminated": terminated(0, "Completed", 1)},
            },
            {
                "name": "proxy",
                "ready": True,
                "restartCount": 0,
                "image": "envoy:1.30",
                "imageID": "",
                "state": {"running": {"startedAt": at(3)}},
            },
        ],
        "containerStatuses": [
            {
                "name": "app",
                "ready": False,
                "restartCount": 4,
                "image": "registry.example/app:2",
                "imageID": "",
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}},
                "lastState": {"terminated": terminated(137, "OOMKilled", 4)},
            }
        ],
    }  # fmt: skip
    sim.store.update_status("", "pods", created)
    for index, (kind, reason, count) in enumerate(
        [("Normal", "Scheduled", 1), ("Warning", "BackOff", 12)]
    ):
        sim.store.create(
            "",
            "events",
            {
                "metadata": {"name": f"rich.{index}", "namespace": "default"},
                "involvedObject": {
                    "kind": "Pod",
                    "name": "rich",
                    "namespace": "default",
                    "uid": created["metadata"]["uid"],
                },
                "reason": reason,
                "message": f"{reason} of rich",
                "type": kind,
                "count": count,
                "firstTimestamp": at(index),
                "lastTimestamp": at(10 * index),
                "source": {"component": "kubelet"},
            },
        )
    theirs = kubectl("describe", "pod", "rich").stdout
    pod = sim.store.get("", "pods", "default", "rich")
    events = sim.store.list("", "events", "default")[0]
    mine = describe_pod(pod, events, datetime.now(UTC))  # the app's clock is in UTC
    mine = re.sub(r"((?:SecretOptionalName|ConfigMapOptional):\s+)(true|false)", r"\1", mine)
    theirs = re.sub(r"((?:SecretOptionalName|ConfigMapOptional):\s+)(0x[0-9a-f]+)", r"\1", theirs)
    assert "Warning  BackOff" in theirs and "Tolerations:" in theirs
    offset = re.search(r"\nStart Time: .* ([+-][0-9]{4})\n", theirs)
    assert offset is not None
    assert offset.group(1) in ({"+0000"} if local_zone == "UTC" else {"-0500", "-0400"})
    assert mine == theirs


def test_resource_field_env_values_are_kubectls(sim: SimServer, kubectl: Any) -> None:
    """kubectl v1.32 divides a resourceFieldRef's quantity by its divisor in float64 (a limit of
    999999999999999999 prints as 1000000000000000000), each side first rounded away from zero
    into an int64: ktui prints the same digits."""
    refs = {
        "MEMORY": {"resource": "limits.memory"},
        "CPU": {"resource": "limits.cpu", "divisor": "1m"},
        "NEGATIVE": {"resource": "limits.memory", "divisor": "-0.5"},
        "TINY": {"resource": "limits.memory", "divisor": "1e-400"},
        "REQUEST": {"resource": "requests.memory", "divisor": "1Ki"},
    }
    sim.store.create(
        "",
        "pods",
        {
            "metadata": {"name": "big", "namespace": "default"},
            "spec": {
                "nodeName": "n1",
                "containers": [
                    {
                        "name": "main",
                        "image": "busybox",
                        "resources": {
                            "limits": {"memory": "999999999999999999", "cpu": "999999999999999"},
                            "requests": {"memory": "1000001"},
                        },
                        "env": [
                            {"name": name, "valueFrom": {"resourceFieldRef": ref}}
                            for name, ref in refs.items()
                        ],
                    }
                ],
            },
        },
    )

    def environment(text: str) -> list[list[str]]:
        lines = text.split("\n")
        start = next(i for i, line in enumerate(lines) if line.strip() == "Environment:")
        return [line.split() for line in lines[start + 1 : start + 1 + len(refs)]]

    theirs = environment(kubectl("describe", "pod", "big").stdout)
    assert ["MEMORY:", "1000000000000000000", "(limits.memory)"] in theirs
    pod = sim.store.get("", "pods", "default", "big")
    assert environment(describe_pod(pod, [], datetime.now(UTC))) == theirs
