"""Load for benchmarks: `create_load_pods` and `Churn` on the embedded cluster, in-process and
through `ktui sim --pods N --events-per-second R` with kubectl.

The load pods must stay exactly as written while the controllers run: no ReplicaSet controller
filling or trimming their ReplicaSets, no new ReplicaSets from the (paused) Deployments, no pod
garbage collection of pods bound to nodes no kubelet runs.
"""

from __future__ import annotations

import os
import queue
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_ktui_sim_cli import SimProcess, kubectl_runner, poll

from ktui.sim.cluster import EmbeddedCluster
from ktui.sim.lifecycle import Timings
from ktui.sim.load import LOAD_NAMESPACE, Churn, create_load_pods
from ktui.sim.store import StoreError

KUBECTL = os.environ.get("KTUI_KUBECTL", "kubectl")
LOAD_POD_NAME = re.compile(r"^load-\d{3}-load-\d{5}$")
CONTROLLER_WORK = {"SuccessfulCreate", "SuccessfulDelete", "ScalingReplicaSet"}


def load_objects(cluster: EmbeddedCluster, resource: str) -> list[dict[str, Any]]:
    group = "" if resource == "pods" else "apps"
    items, _ = cluster.client.list(group, resource, LOAD_NAMESPACE)
    return items


def controllers_synced(cluster: EmbeddedCluster) -> bool:
    """Every load Deployment and ReplicaSet has been through its controller once."""
    workloads = load_objects(cluster, "deployments") + load_objects(cluster, "replicasets")
    return (
        all(
            (o.get("status") or {}).get("observedGeneration") == o["metadata"]["generation"]
            for o in workloads
        )
        and all(
            (rs.get("status") or {}).get("readyReplicas") == rs["spec"]["replicas"]
            for rs in load_objects(cluster, "replicasets")
        )
        and cluster.controllers.idle()
    )


def test_load_pods_stay_untouched_by_controllers_while_they_churn() -> None:
    offset = [0.0]
    cluster = EmbeddedCluster(
        nodes=1, timings=Timings(scale=0.05), clock=lambda: time.time() + offset[0]
    )
    # Before the controllers start, as ktui sim does (see ktui.sim.load).
    created = create_load_pods(cluster.client, 300)
    cluster.start()
    churn = None
    try:
        assert len(set(created)) == 300
        assert {ns for ns, _ in created} == {LOAD_NAMESPACE}
        poll(lambda: controllers_synced(cluster), "the controllers synced the load workloads", 30)

        churn = Churn(cluster.client, created, 400).start()
        poll(lambda: churn.changes >= 600, "600 churn changes (each pod twice)", 30)
        churned = cluster.client.get("", "pods", *created[0])
        assert "sim.ktui.dev/churn" in churned["metadata"]["annotations"]

        # The pod garbage collector deletes pods bound to a node that does not exist once the
        # node has been missing for 40 s (controller clock): move the clock past that, and prove
        # the move took effect with a pod on a node that really does not exist.
        cluster.client.create(
            "",
            "pods",
            {
                "metadata": {"name": "ghost", "namespace": "default"},
                "spec": {"nodeName": "ghost-node", "containers": [{"name": "c", "image": "x"}]},
            },
        )

        def ghost_collected() -> bool:
            # The collector may see the pod only after a step: keep stepping until it is gone.
            offset[0] += 30
            cluster.controllers.wake()
            try:
                cluster.client.get("", "pods", "default", "ghost")
            except StoreError as exc:
                return exc.code == 404
            return False

        poll(ghost_collected, "the pod garbage collector deleted the pod on ghost-node", 30)

        # The load nodes' taint keeps new pods and DaemonSets on the real node.
        for i in range(5):
            cluster.client.create(
                "",
                "pods",
                {
                    "metadata": {"name": f"plain-{i}", "namespace": "default"},
                    "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]},
                },
            )
        cluster.client.create(
            "apps",
            "daemonsets",
            {
                "metadata": {"name": "agent", "namespace": "default"},
                "spec": {
                    "selector": {"matchLabels": {"app": "agent"}},
                    "template": {
                        "metadata": {"labels": {"app": "agent"}},
                        "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]},
                    },
                },
            },
        )

        def default_pods_placed() -> list[dict[str, Any]] | None:
            pods, _ = cluster.client.list("", "pods", "default")
            if len(pods) == 6 and all(p["spec"].get("nodeName") for p in pods):
                return pods
            return None

        placed = poll(default_pods_placed, "five plain pods and one DaemonSet pod placed", 30)
        assert {p["spec"]["nodeName"] for p in placed} == {"node-1"}

        churn.stop()
        poll(lambda: controllers_synced(cluster), "the controllers idle again", 30)
        pods = load_objects(cluster, "pods")
        assert sorted((p["metadata"]["namespace"], p["metadata"]["name"]) for p in pods) == sorted(
            created
        )
        assert not [p["metadata"]["name"] for p in pods if p["metadata"].get("deletionTimestamp")]
        assert {p["status"]["phase"] for p in pods} == {"Running"}
        replicasets = load_objects(cluster, "replicasets")
        assert sorted(rs["metadata"]["name"] for rs in replicasets) == [
            f"load-{g:03d}-load" for g in range(100)
        ]
        assert {rs["spec"]["replicas"] for rs in replicasets} == {3}
        deployments = load_objects(cluster, "deployments")
        assert len(deployments) == 100 and all(d["spec"]["paused"] for d in deployments)
        events, _ = cluster.client.list("", "events", LOAD_NAMESPACE)
        assert not [e for e in events if e.get("reason") in CONTROLLER_WORK]
    finally:
        if churn is not None:
            churn.stop()
        cluster.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def watch_lines(
    kubectl_args: list[str], env: dict[str, str], enough: Callable[[list[str]], bool]
) -> list[str]:
    """Lines of a kubectl watch until `enough(lines)` (or a deadline); the watch is then ended."""
    process = subprocess.Popen(
        [KUBECTL, *kubectl_args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + 60
    try:
        while not enough(seen):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"the watch ended without enough events; last lines: {seen[-5:]}")
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                assert process.stderr is not None
                pytest.fail(f"kubectl's watch ended early: {process.stderr.read()}")
            seen.append(line)
    finally:
        process.kill()
        process.wait(timeout=10)
    return seen


def test_ktui_sim_load_through_kubectl(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    kubeconfig = str(tmp_path / "load.kubeconfig")
    port = free_port()
    sim = SimProcess(
        [
            "--no-scenario",
            "--pods",
            "2000",
            "--events-per-second",
            "500",
            "--port",
            str(port),
            "--write-kubeconfig",
            kubeconfig,
        ],
        env,
    )
    try:
        url, served_port = sim.url(timeout=120)
        assert url.startswith("https://") and served_port == port  # --port is kubectl's port
        # The load line says what serving the pods costs (the bench prints it at 100,000).
        while (line := sim.lines.get(timeout=30)) is not None and "load pods" not in line:
            pass
        assert line is not None
        memory = re.fullmatch(
            r"ktui sim: 2000 load pods in namespace 'load' \(server resident memory (\d+) MiB\)",
            line,
        )
        assert memory is not None, line
        assert 20 < int(memory.group(1)) < 4000
        kubectl = kubectl_runner(kubeconfig, env)

        def load_pods() -> list[list[str]]:
            text = kubectl("get", "pods", "-n", "load", "--no-headers")
            return [line.split() for line in text.splitlines()]

        rows = load_pods()
        assert len(rows) == 2000
        assert {(r[1], r[2]) for r in rows} == {("1/1", "Running")}

        def modified_pods(lines: list[str]) -> set[str]:
            return {line.split()[1] for line in lines if line.startswith("MODIFIED ")}

        # (`-o name` would print bare names: kubectl shows watch event types only in tables.)
        watched = watch_lines(
            [
                "--kubeconfig",
                kubeconfig,
                "get",
                "pods",
                "-n",
                "load",
                "-w",
                "--output-watch-events",
                "--no-headers",
            ],
            env,
            lambda lines: len(modified_pods(lines)) >= 100,
        )
        assert sum(line.startswith("ADDED ") for line in watched) == 2000  # the initial list
        assert all(
            LOAD_POD_NAME.match(name.removeprefix("pod/")) for name in modified_pods(watched)
        )

        # Seconds later the controllers have had every chance to act on the load: they did not.
        rows = load_pods()
        assert len(rows) == 2000
        assert all(LOAD_POD_NAME.match(r[0]) for r in rows)
        assert {r[2] for r in rows} == {"Running"}  # none Terminating
        replicasets = kubectl("get", "rs", "-n", "load", "--no-headers").splitlines()
        assert len(replicasets) == 100
        assert {tuple(line.split()[1:4]) for line in replicasets} == {("20", "20", "20")}
        events = kubectl("get", "events", "-n", "load", "-o", "jsonpath={.items[*].reason}")
        assert not CONTROLLER_WORK & set(events.split())
        nodes = kubectl("get", "nodes", "--no-headers").splitlines()
        assert sum(line.startswith("load-node-") for line in nodes) == 10
    finally:
        code = sim.terminate()
    assert code == 0, sim.stderr
