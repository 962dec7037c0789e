"""Load for benchmarks and stress: many pods, and a steady rate of pod changes.

`create_load_pods(client, count)` writes `count` Running pods (owned by 100 ReplicaSets of 100
paused Deployments whose replica counts already match, so the controllers leave them alone and
the ownership index and the panes have real trees to follow), bound to ten `load-node-N` nodes
that no kubelet owns, with a Running status: no controller or kubelet work is needed for them.
Call it before the controllers start: a ReplicaSet controller that is already running would see
each ReplicaSet before its pods and create (then delete) pods of its own.
`Churn(client, pods, rate)` then changes `rate` of those pods per second (an annotation), so
every watcher sees `rate` MODIFIED events per second.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from ktui.sim.client import SimClient
from ktui.sim.store import StoreError

Obj = dict[str, Any]
LOAD_NAMESPACE = "load"
GROUPS = 100
LOAD_NODES = 10
LOAD_TAINT = {"key": "sim.ktui.dev/load", "value": "true", "effect": "NoSchedule"}


def _owner(kind: str, obj: Obj) -> Obj:
    return {
        "apiVersion": obj.get("apiVersion", "apps/v1"),
        "kind": kind,
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _create_load_node(client: SimClient, name: str, started: str) -> None:
    """A hollow node for the load pods. It must exist, or the pod garbage collector deletes
    the pods bound to it; its taint keeps the scheduler and DaemonSets off it."""
    try:
        node = client.create(
            "",
            "nodes",
            {
                "metadata": {
                    "name": name,
                    "labels": {"kubernetes.io/hostname": name, "sim.ktui.dev/load": "true"},
                },
                "spec": {"taints": [dict(LOAD_TAINT)]},
            },
        )
    except StoreError as exc:
        if exc.code != 409:
            raise
        return
    node["status"] = {
        "capacity": {"cpu": "1000", "memory": "4000Gi", "pods": "10000"},
        "allocatable": {"cpu": "1000", "memory": "4000Gi", "pods": "10000"},
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "hollow node for load pods",
                "lastHeartbeatTime": started,
                "lastTransitionTime": started,
            }
        ],
    }
    client.update_status("", "nodes", node)


def create_load_pods(client: SimClient, count: int) -> list[tuple[str, str]]:
    """Create `count` running pods in namespace `load`; returns their (namespace, name).

    Call it before the cluster's controllers start (see the module docstring)."""
    if count <= 0:
        return []
    try:
        client.create("", "namespaces", {"metadata": {"name": LOAD_NAMESPACE}})
    except StoreError as exc:
        if exc.code != 409:
            raise
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for n in range(LOAD_NODES):
        _create_load_node(client, f"load-node-{n}", started)
    groups = min(GROUPS, count)
    owners = []
    for g in range(groups):
        size = count // groups + (1 if g < count % groups else 0)
        name = f"load-{g:03d}"
        labels = {"app": name}
        template = {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": "app", "image": "busybox:1.36"}]},
        }
        deployment = client.create(
            "apps",
            "deployments",
            {
                "metadata": {"name": name, "namespace": LOAD_NAMESPACE, "labels": labels},
                "spec": {
                    "replicas": size,
                    "paused": True,
                    "selector": {"matchLabels": labels},
                    "template": template,
                },
            },
        )
        rs_labels = {**labels, "pod-template-hash": "load"}
        replicaset = client.create(
            "apps",
            "replicasets",
            {
                "metadata": {
                    "name": f"{name}-load",
                    "namespace": LOAD_NAMESPACE,
                    "labels": rs_labels,
                    "annotations": {"deployment.kubernetes.io/revision": "1"},
                    "ownerReferences": [_owner("Deployment", deployment)],
                },
                "spec": {
                    "replicas": size,
                    "selector": {"matchLabels": rs_labels},
                    "template": {**template, "metadata": {"labels": rs_labels}},
                },
            },
        )
        owners.append((replicaset, rs_labels))
    created = []
    for i in range(count):
        replicaset, labels = owners[i % groups]
        name = f"{replicaset['metadata']['name']}-{i:05d}"
        pod = client.create(
            "",
            "pods",
            {
                "metadata": {
                    "name": name,
                    "namespace": LOAD_NAMESPACE,
                    "labels": labels,
                    "ownerReferences": [_owner("ReplicaSet", replicaset)],
                },
                "spec": {
                    "containers": [{"name": "app", "image": "busybox:1.36"}],
                    "nodeName": f"load-node-{i % LOAD_NODES}",
                },
            },
        )
        pod["status"] = {
            "phase": "Running",
            "podIP": f"10.99.{i // 250}.{i % 250 + 1}",
            "startTime": started,
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": started}],
            "containerStatuses": [
                {
                    "name": "app",
                    "image": "busybox:1.36",
                    "imageID": "",
                    "containerID": f"sim://{uuid.uuid4().hex[:12]}",
                    "ready": True,
                    "started": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": started}},
                }
            ],
        }
        client.update_status("", "pods", pod)
        created.append((LOAD_NAMESPACE, name))
    return created


class Churn:
    """Changes `rate` pods per second, spread evenly, until stopped."""

    def __init__(self, client: SimClient, pods: list[tuple[str, str]], rate: int) -> None:
        self.client = client
        self.pods = pods
        self.rate = rate
        self.changes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sim-churn", daemon=True)

    def start(self) -> Churn:
        if self.rate > 0 and self.pods:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _run(self) -> None:
        targets = itertools.cycle(self.pods)

        def change() -> None:
            namespace, name = next(targets)
            patch = {"metadata": {"annotations": {"sim.ktui.dev/churn": str(self.changes)}}}
            try:
                self.client.patch("", "pods", namespace, name, "merge", patch)
            except StoreError:
                return
            self.changes += 1

        run_paced(self.rate, self._stop, change)


def run_paced(rate: float, stop: threading.Event, step: Callable[[], None]) -> None:
    """Call `step` `rate` times a second, spread over 50 ms ticks, until `stop` is set; when
    behind, go on from now instead of catching up in a burst."""
    tick = 0.05
    per_tick = max(1, round(rate * tick))
    next_at = time.monotonic()
    while not stop.is_set():
        for _ in range(per_tick):
            step()
        next_at += tick
        delay = next_at - time.monotonic()
        if delay > 0:
            stop.wait(delay)
        else:
            next_at = time.monotonic()
