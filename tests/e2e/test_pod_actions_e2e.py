"""ktui's pod delete / kill side by side with `kubectl delete pod` (v1.32) on the real control
plane (kube-apiserver v1.20.2; ktui's node agent is the pods' kubelet).

- delete on twins ("theirs" by kubectl, "ours" by ktui): the same output line and the same
  effect, seen through a watch: a deletionTimestamp with the pod's own grace period, then the
  node agent stops the containers and the pod disappears;
- kill (`--grace-period=0 --force`): the same line and the pod gone at once;
- the viewer context, which may read pods in its namespace but not delete them: ktui's error is
  the line kubectl prints.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from controlplane import VIEWER_NAMESPACE, ControlPlane
from e2e_support import KUBECTL, kubectl, wait_for

from ktui.cluster.connection import Connection, connect
from ktui.cluster.pods import PodError, delete_pod
from ktui.settings import Settings

pytestmark = pytest.mark.e2e

GRACE = 7
_NAMESPACE_NUMBERS = itertools.count(1)


def bare_pod(name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": {"twin": name}},
        "spec": {
            "containers": [{"name": "app", "image": "nginx:1.25"}],
            "terminationGracePeriodSeconds": GRACE,
        },
    }


class PodWatch:
    """`kubectl get pods -w --output-watch-events -o json` in the background: every event."""

    def __init__(self, cp: ControlPlane, namespace: str) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._process = subprocess.Popen(
            [
                KUBECTL,
                "--kubeconfig",
                str(cp.kubeconfig_path),
                "--context",
                "admin",
                "-n",
                namespace,
                "get",
                "pods",
                "--watch",
                "--output-watch-events",
                "-o",
                "json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        decoder = json.JSONDecoder()
        buffer = ""
        for line in self._process.stdout:
            buffer += line
            while buffer.strip():
                try:
                    event, end = decoder.raw_decode(buffer.lstrip())
                except ValueError:
                    break
                buffer = buffer.lstrip()[end:]
                self.events.append((str(event["type"]), event["object"]))

    def of(self, name: str) -> list[tuple[str, dict[str, Any]]]:
        return [(t, o) for t, o in list(self.events) if o["metadata"]["name"] == name]

    def deletion(self, name: str) -> list[tuple[str, Any]]:
        """From the first event with a deletionTimestamp on: (event type, grace period)."""
        seen = [
            (t, o["metadata"].get("deletionGracePeriodSeconds"))
            for t, o in self.of(name)
            if o["metadata"].get("deletionTimestamp")
        ]
        return [seen[0], seen[-1]] if seen else []

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


@pytest.fixture(scope="module")
def admin(control_plane: ControlPlane) -> Iterator[Connection]:
    conn = connect(Settings(kubeconfig=str(control_plane.kubeconfig_path), context="admin"))
    yield conn
    conn.close()


@pytest.fixture
def namespace(control_plane: ControlPlane) -> str:
    name = f"pod-actions-{next(_NAMESPACE_NUMBERS)}"
    kubectl(control_plane, "create", "namespace", name)
    return name


def running_twins(cp: ControlPlane, namespace: str) -> None:
    for name in ("theirs", "ours"):
        kubectl(cp, "create", "-f", "-", stdin=json.dumps(bare_pod(name, namespace)))
    for name in ("theirs", "ours"):
        kubectl(
            cp, "-n", namespace, "wait", "--for=condition=Ready", f"pod/{name}", "--timeout=90s"
        )


def gone(cp: ControlPlane, namespace: str, name: str) -> bool:
    return kubectl(cp, "-n", namespace, "get", "pod", name, check=False).returncode != 0


def test_delete_is_kubectl_delete_pod(
    control_plane: ControlPlane, admin: Connection, namespace: str
) -> None:
    cp = control_plane
    running_twins(cp, namespace)
    watch = PodWatch(cp, namespace)
    try:
        wait_for("the watch listed both pods", lambda: watch.of("theirs") and watch.of("ours"))
        theirs = kubectl(cp, "-n", namespace, "delete", "pod", "theirs", "--wait=false")
        ours = delete_pod(admin.api_client, namespace, "ours")
        assert (theirs.stdout, theirs.stderr) == ('pod "theirs" deleted\n', "")
        assert ours == 'pod "ours" deleted'
        # The node agent stops the containers within the grace period; then the pods go.
        for name in ("theirs", "ours"):
            wait_for(f"{name} terminated and removed", lambda n=name: gone(cp, namespace, n), 90)
        wait_for(
            "both DELETED events",
            lambda: all(
                watch.deletion(n) and watch.deletion(n)[-1][0] == "DELETED"
                for n in ("theirs", "ours")
            ),
        )
    finally:
        watch.stop()
    # Graceful: first a MODIFIED with the pod's own grace period, last DELETED.
    assert watch.deletion("theirs")[0] == watch.deletion("ours")[0] == ("MODIFIED", GRACE)
    assert watch.deletion("theirs")[-1][0] == watch.deletion("ours")[-1][0] == "DELETED"
    killing = {
        name: [
            e
            for e in json.loads(kubectl(cp, "-n", namespace, "get", "events", "-o", "json").stdout)[
                "items"
            ]
            if e["involvedObject"]["name"] == name and e["reason"] == "Killing"
        ]
        for name in ("theirs", "ours")
    }
    assert len(killing["theirs"]) == len(killing["ours"]) == 1


def test_kill_is_kubectl_delete_pod_grace_period_0_force(
    control_plane: ControlPlane, admin: Connection, namespace: str
) -> None:
    cp = control_plane
    running_twins(cp, namespace)
    watch = PodWatch(cp, namespace)
    try:
        wait_for("the watch listed both pods", lambda: watch.of("theirs") and watch.of("ours"))
        theirs = kubectl(
            cp, "-n", namespace, "delete", "pod", "theirs", "--grace-period=0", "--force"
        )
        ours = delete_pod(admin.api_client, namespace, "ours", grace_period_seconds=0)
        assert theirs.stdout == 'pod "theirs" force deleted\n'
        assert theirs.stderr.startswith("Warning: Immediate deletion does not wait")
        assert ours == 'pod "ours" force deleted'
        # Gone at once: no terminating phase, the next event is DELETED.
        assert gone(cp, namespace, "theirs") and gone(cp, namespace, "ours")
        wait_for(
            "both DELETED events",
            lambda: all(
                watch.deletion(n) and watch.deletion(n)[-1][0] == "DELETED"
                for n in ("theirs", "ours")
            ),
        )
    finally:
        watch.stop()
    # Grace period 0 from the first event with a deletionTimestamp on (kube-apiserver 1.20
    # writes one MODIFIED with it before the DELETED), never the pod's own 7 s.
    assert watch.deletion("theirs") == watch.deletion("ours")
    assert watch.deletion("ours") in ([("MODIFIED", 0), ("DELETED", 0)], [("DELETED", 0)] * 2)


def test_viewer_delete_and_kill_fail_with_kubectls_line(
    control_plane: ControlPlane, admin: Connection
) -> None:
    """The viewer may get/list/watch pods in its namespace, not delete them."""
    cp = control_plane
    ns = VIEWER_NAMESPACE
    name = "pod-actions-viewer"  # other e2e tests share the namespace
    kubectl(cp, "create", "-f", "-", stdin=json.dumps(bare_pod(name, ns)))
    viewer = connect(Settings(kubeconfig=str(cp.kubeconfig_path), context="viewer"))
    try:
        theirs = kubectl(cp, "-n", ns, "delete", "pod", name, context="viewer", check=False)
        with pytest.raises(PodError) as denied:
            delete_pod(viewer.api_client, ns, name)
        theirs_kill = kubectl(
            cp,
            "-n",
            ns,
            "delete",
            "pod",
            name,
            "--grace-period=0",
            "--force",
            context="viewer",
            check=False,
        )
        with pytest.raises(PodError) as denied_kill:
            delete_pod(viewer.api_client, ns, name, grace_period_seconds=0)
    finally:
        viewer.close()
        kubectl(cp, "-n", ns, "delete", "pod", name, "--grace-period=0", "--force")
    assert theirs.returncode == 1
    assert theirs.stderr == f"{denied.value.message}\n"
    assert (denied.value.status, denied.value.reason) == (403, "Forbidden")
    assert denied.value.message.startswith(f'Error from server (Forbidden): pods "{name}" is ')
    assert 'User "viewer" cannot delete resource "pods"' in denied.value.message
    assert theirs_kill.returncode == 1
    assert theirs_kill.stderr.splitlines()[-1] == denied_kill.value.message
    assert denied_kill.value.message == denied.value.message
