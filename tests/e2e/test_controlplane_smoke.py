"""Smoke test of the e2e harness against the real control plane."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import uuid
from typing import Any

import pytest
from controlplane import ControlPlane

pytestmark = pytest.mark.e2e

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


def kubectl(
    cp: ControlPlane, *args: str, context: str = "admin", check: bool = True
) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(
        [KUBECTL, "--kubeconfig", str(cp.kubeconfig_path), "--context", context, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if check and r.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed rc={r.returncode}: {r.stderr}")
    return r


def wait_for(what: str, cond: Any, timeout: float = 90.0, interval: float = 1.0) -> Any:
    """Poll ``cond()`` until it returns something truthy; fail at the deadline."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


def get_json(cp: ControlPlane, *args: str) -> Any:
    return json.loads(kubectl(cp, "get", *args, "-o", "json").stdout)


def test_nodes_listed(control_plane: ControlPlane) -> None:
    out = kubectl(control_plane, "get", "nodes", "-o", "name").stdout.split()
    assert sorted(out) == ["node/node-1", "node/node-2", "node/node-3"]

    def all_ready_untainted() -> bool:
        nodes = get_json(control_plane, "nodes")["items"]
        for n in nodes:
            ready = [c for c in n["status"].get("conditions", []) if c["type"] == "Ready"]
            if not ready or ready[0]["status"] != "True" or n["spec"].get("taints"):
                return False
        return len(nodes) == 3

    wait_for("nodes Ready without taints", all_ready_untainted)


def test_deployment_pods_get_scheduled(control_plane: ControlPlane) -> None:
    cp = control_plane
    ns = "smoke"
    kubectl(cp, "create", "namespace", ns)
    kubectl(cp, "-n", ns, "create", "deployment", "web", "--image=nginx", "--replicas=2")

    def replicaset() -> Any:
        rss = get_json(cp, "-n", ns, "replicasets", "-l", "app=web")["items"]
        return rss[0] if len(rss) == 1 else None

    rs = wait_for("the Deployment's ReplicaSet", replicaset)
    assert rs["metadata"]["ownerReferences"][0]["kind"] == "Deployment"

    def scheduled_pods() -> list[Any] | None:
        pods = get_json(cp, "-n", ns, "pods", "-l", "app=web")["items"]
        if len(pods) == 2 and all(p["spec"].get("nodeName") for p in pods):
            return pods
        return None

    pods = wait_for("2 pods bound to nodes", scheduled_pods)
    for p in pods:
        assert p["metadata"]["ownerReferences"][0]["name"] == rs["metadata"]["name"]
        assert p["spec"]["nodeName"] in {"node-1", "node-2", "node-3"}


def test_viewer_rbac(control_plane: ControlPlane) -> None:
    cp = control_plane
    yes = kubectl(cp, "auth", "can-i", "list", "pods", "-n", "team-a", context="viewer")
    assert yes.stdout.strip() == "yes"
    no = kubectl(
        cp, "auth", "can-i", "list", "pods", "-n", "default", context="viewer", check=False
    )
    assert no.stdout.strip() == "no"
    assert no.returncode != 0
    assert kubectl(cp, "get", "pods", "-n", "team-a", context="viewer").returncode == 0
    denied = kubectl(cp, "get", "pods", "-n", "default", context="viewer", check=False)
    assert denied.returncode != 0
    assert "forbidden" in denied.stderr.lower()


def test_kill_and_restart_apiserver(control_plane: ControlPlane) -> None:
    cp = control_plane
    cp.kill_apiserver()
    down = kubectl(cp, "get", "nodes", "--request-timeout=5s", check=False)
    assert down.returncode != 0
    cp.restart_apiserver()
    out = kubectl(cp, "get", "nodes", "-o", "name").stdout.split()
    assert len(out) == 3
    kubectl(cp, "-n", "team-a", "create", "configmap", f"after-restart-{uuid.uuid4().hex[:6]}")


def test_compact_etcd_expires_old_resource_versions(control_plane: ControlPlane) -> None:
    cp = control_plane
    ns = "team-a"
    created = cp.request(
        "POST",
        f"/api/v1/namespaces/{ns}/configmaps",
        {"metadata": {"name": "rv-old"}, "data": {"v": "0"}},
    )
    old_rv = created["metadata"]["resourceVersion"]
    for i in range(3):
        cp.request(
            "POST",
            f"/api/v1/namespaces/{ns}/configmaps",
            {"metadata": {"name": f"rv-new-{i}"}, "data": {"v": str(i)}},
        )
    # Before compaction the old resourceVersion is still watchable.
    with cp.open_stream(
        f"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={old_rv}&timeoutSeconds=2"
    ) as r:
        first = json.loads(r.readline())
    assert first["type"] == "ADDED", first

    rev = cp.compact_etcd()
    assert rev > int(old_rv)

    # Watch from the old resourceVersion: a 410 either as the HTTP status or as
    # the stream's ERROR event (what the apiserver does for watches).
    path = f"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={old_rv}&timeoutSeconds=5"
    try:
        with cp.open_stream(path) as r:
            event = json.loads(r.readline())
    except urllib.error.HTTPError as e:
        assert e.code == 410
    else:
        assert event["type"] == "ERROR", event
        assert event["object"]["code"] == 410, event

    # Same via kubectl's raw GET of an exact old version of the list.
    raw = kubectl(
        cp,
        "get",
        "--raw",
        f"/api/v1/namespaces/{ns}/configmaps?resourceVersion={old_rv}&resourceVersionMatch=Exact",
        check=False,
    )
    assert raw.returncode != 0
    assert "410" in raw.stderr or "too old" in raw.stderr.lower() or "expired" in raw.stderr.lower()
