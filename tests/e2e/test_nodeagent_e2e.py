"""ktui's node agent as the kubelet of a real kube-apiserver v1.20.2 (wired into the
`control_plane` fixture by conftest.py): workloads created with kubectl run on its nodes."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from controlplane import ControlPlane
from kubernetes import config

from ktui.sim.httpclient import HttpClient
from ktui.view.pod import pod_status_reason

pytestmark = pytest.mark.e2e

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
NAMESPACE = "nodeagent-e2e"


def kubectl(
    cp: ControlPlane, *args: str, stdin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [KUBECTL, "--kubeconfig", str(cp.kubeconfig_path), "--context", "admin", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr}"
        )
    return result


def wait_for(what: str, cond: Callable[[], Any], timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


def get_json(cp: ControlPlane, *args: str) -> Any:
    return json.loads(kubectl(cp, "get", *args, "-o", "json").stdout)


@pytest.fixture(scope="module")
def namespace(control_plane: ControlPlane) -> str:
    if kubectl(control_plane, "get", "namespace", NAMESPACE, check=False).returncode != 0:
        kubectl(control_plane, "create", "namespace", NAMESPACE)
    return NAMESPACE


def ready(pod: dict[str, Any]) -> bool:
    return any(
        c["type"] == "Ready" and c["status"] == "True"
        for c in (pod.get("status") or {}).get("conditions") or ()
    )


def test_httpclient_discovers_1_20_versions(control_plane: ControlPlane) -> None:
    api = config.new_client_from_config(
        config_file=str(control_plane.kubeconfig_path), context="admin"
    )
    http = HttpClient(api)
    assert http.version_of("batch", "cronjobs") == "v1beta1"  # batch/v1 CronJob is 1.21+
    assert http.version_of("batch", "jobs") == "v1"
    assert http.path("batch", "cronjobs", "default") == (
        "/apis/batch/v1beta1/namespaces/default/cronjobs"
    )
    assert http.serves("coordination.k8s.io", "leases")


def test_nodes_are_kept_ready_with_leases(control_plane: ControlPlane) -> None:
    nodes = get_json(control_plane, "nodes")["items"]
    assert sorted(n["metadata"]["name"] for n in nodes) == ["node-1", "node-2", "node-3"]
    for node in nodes:
        cond = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
        assert cond["status"] == "True" and cond["reason"] == "KubeletReady"
        assert {a["type"] for a in node["status"]["addresses"]} >= {"InternalIP", "Hostname"}
    leases = get_json(control_plane, "leases", "-n", "kube-node-lease")["items"]
    assert sorted(lease["spec"]["holderIdentity"] for lease in leases) == [
        "node-1",
        "node-2",
        "node-3",
    ]


def test_deployment_becomes_ready(control_plane: ControlPlane, namespace: str) -> None:
    cp = control_plane
    kubectl(
        cp, "-n", namespace, "create", "deployment", "web", "--image=nginx:1.25", "--replicas=2"
    )

    def available() -> dict[str, Any] | None:
        deploy = get_json(cp, "-n", namespace, "deployment", "web")
        status = deploy.get("status") or {}
        ok = status.get("readyReplicas") == 2 and status.get("availableReplicas") == 2
        return deploy if ok else None

    wait_for("deployment web 2/2 available", available)
    pods = get_json(cp, "-n", namespace, "pods", "-l", "app=web")["items"]
    assert len(pods) == 2
    for pod in pods:
        assert pod_status_reason(pod) == "Running"
        assert ready(pod)
        status = pod["status"]
        assert status["phase"] == "Running"
        assert status["podIP"].startswith("10.244.") and status["hostIP"].startswith("172.18.0.")
        cs = status["containerStatuses"][0]
        assert cs["ready"] and cs["started"] and "running" in cs["state"]
    events = get_json(cp, "-n", namespace, "events")["items"]
    kubelet = [e for e in events if (e.get("source") or {}).get("component") == "kubelet"]
    assert {"Pulling", "Pulled", "Created", "Started"} <= {e["reason"] for e in kubelet}
    printed = kubectl(cp, "-n", namespace, "get", "deployment", "web").stdout
    assert "2/2" in printed

    # Scaling down deletes pods gracefully: the agent finishes the deletion as a kubelet does.
    kubectl(cp, "-n", namespace, "scale", "deployment", "web", "--replicas=1")
    wait_for(
        "one web pod left",
        lambda: len(get_json(cp, "-n", namespace, "pods", "-l", "app=web")["items"]) == 1,
    )


def test_init_containers_run_before_the_app(control_plane: ControlPlane, namespace: str) -> None:
    cp = control_plane
    api = config.new_client_from_config(config_file=str(cp.kubeconfig_path), context="admin")
    http = HttpClient(api)
    _, rv = http.list("", "pods", namespace)
    seen: list[str] = []
    stream = http.watch(
        "", "pods", namespace, resource_version=rv, field_selector="metadata.name=setup"
    )

    def consume() -> None:
        for event in stream:
            reason = pod_status_reason(event.object)
            if not seen or seen[-1] != reason:
                seen.append(reason)

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    manifest = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "setup", "namespace": namespace},
        "spec": {
            "initContainers": [{"name": "migrate", "image": "busybox:1.36"}],
            "containers": [{"name": "app", "image": "nginx:1.25"}],
        },
    }
    try:
        kubectl(cp, "apply", "-f", "-", stdin=json.dumps(manifest))
        wait_for("setup Running", lambda: "Running" in seen)
    finally:
        stream.close()
        reader.join(timeout=10)
    assert seen[seen.index("Init:0/1") :] == ["Init:0/1", "PodInitializing", "Running"]
    pod = get_json(cp, "-n", namespace, "pod", "setup")
    init = pod["status"]["initContainerStatuses"][0]
    assert init["state"]["terminated"]["reason"] == "Completed"
    kubectl(cp, "-n", namespace, "delete", "pod", "setup", "--wait=true")
