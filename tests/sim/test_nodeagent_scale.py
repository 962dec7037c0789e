"""Many pods on one agent: a fixed set of threads drives them all (a heap of due times, not a
thread or a sleep per pod), and crash loops stay a handful of aggregated Event objects."""

from __future__ import annotations

import threading
import time

from ktui.sim.client import LocalClient
from ktui.sim.nodeagent import NodeAgent, Timings
from ktui.sim.store import Store

PODS = 1500
CRASHING = 30


def test_a_thousand_pods_on_a_fixed_set_of_threads() -> None:
    store = Store(history_size=50_000)
    client = LocalClient(store)
    nodes = [f"node-{i}" for i in range(1, 11)]
    agent = NodeAgent(
        client,
        nodes,
        timings=Timings(scale=0.01),
        node_capacity={"cpu": "64", "memory": "256Gi", "pods": "1000"},
    )
    before = threading.active_count()
    agent.start()
    threads_running = threading.active_count() - before
    try:
        for i in range(PODS):
            annotations = {"sim.ktui.dev/behavior-app": "crash-after=5s"} if i < CRASHING else {}
            client.create(
                "",
                "pods",
                {
                    "metadata": {
                        "name": f"p{i}",
                        "namespace": "default",
                        "annotations": annotations,
                    },
                    "spec": {
                        "nodeName": nodes[i % len(nodes)],
                        "containers": [{"name": "app", "image": f"nginx:1.{i % 3}"}],
                    },
                },
            )
        deadline = time.monotonic() + 120
        while True:
            pods, _ = client.list("", "pods", "default")
            ready = sum(
                any(
                    c["type"] == "Ready" and c["status"] == "True"
                    for c in p["status"].get("conditions", [])
                )
                for p in pods
            )
            restarted = sum(
                (p["status"].get("containerStatuses") or [{}])[0].get("restartCount", 0) >= 3
                for p in pods
                if int(p["metadata"]["name"][1:]) < CRASHING
            )
            if ready == PODS - CRASHING and restarted == CRASHING:
                break
            assert time.monotonic() < deadline, (
                f"only {ready} pods Ready, {restarted} crash-looping"
            )
            time.sleep(0.2)
        # However many pods, the agent runs on the threads it started with.
        assert threading.active_count() - before == threads_running
        assert agent.pod_count() == PODS
        # Events are posted in the background: wait for the crash loops' BackOff events.
        while True:
            events, _ = client.list("", "events", "default")
            back_offs = [e for e in events if e["reason"] == "BackOff"]
            if len({e["involvedObject"]["name"] for e in back_offs}) == CRASHING:
                break
            assert time.monotonic() < deadline, f"BackOff events for {len(back_offs)} pods"
            time.sleep(0.2)
        # One aggregated object per crash-looping container, however often it crashed.
        assert len(back_offs) == CRASHING
        ips = {p["status"]["podIP"] for p in pods}
        assert len(ips) == PODS  # every pod got its own address
    finally:
        agent.stop()
