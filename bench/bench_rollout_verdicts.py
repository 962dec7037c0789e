"""The model's cost per batch when rollouts are stuck: `WorkloadTree.apply` (triage included)
plus what the main screen then asks (`rollout_problem` of every workload the batch changed).

    .venv/bin/python bench/bench_rollout_verdicts.py [--troubled 0.01] [--batches 40]

10,000 pods in 100 Deployments of 100 pods (degraded: 90 of 100 available, so their rollouts
are judged from their pods), a share of the pods in CrashLoopBackOff; each batch changes 300
random pods (2,000 changes/s in 0.15 s batches), each again crash-looping with that
probability. No API server, no UI: the batches are built here and applied in this process,
and CPU time is measured (`time.process_time`: other processes on the machine do not count).
Timeline recording is left out (its interval is set beyond the run): it has its own budget.
Run it with `PYTHONPATH=<checkout>` to compare two checkouts side by side.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from ktui.cluster.batcher import ChangeBatch
from ktui.model.workloads import WorkloadTree

Obj = dict[str, Any]
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
GROUPS = 100
PODS = 10_000
BATCH = 300
TEMPLATE: Obj = {
    "metadata": {"labels": {"app": "x"}},
    "spec": {"containers": [{"name": "app", "image": "busybox:1.36"}]},
}


def deployment(g: int) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": f"d{g}",
            "namespace": "load",
            "uid": f"d{g}",
            "generation": 1,
            "annotations": {"deployment.kubernetes.io/revision": "1"},
        },
        "spec": {"replicas": 100, "selector": {"matchLabels": {"app": "x"}}, "template": TEMPLATE},
        "status": {
            "observedGeneration": 1,
            "replicas": 100,
            "updatedReplicas": 100,
            "readyReplicas": 90,
            "availableReplicas": 90,
        },
    }


def replicaset(g: int) -> Obj:
    labels = {"app": "x", "pod-template-hash": "h"}
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"d{g}-h",
            "namespace": "load",
            "uid": f"r{g}",
            "annotations": {"deployment.kubernetes.io/revision": "1"},
            "ownerReferences": [
                {"kind": "Deployment", "name": f"d{g}", "uid": f"d{g}", "controller": True}
            ],
        },
        "spec": {"replicas": 100, "template": {**TEMPLATE, "metadata": {"labels": labels}}},
        "status": {"replicas": 100},
    }


def pod(i: int, crashing: bool) -> Obj:
    g = i % GROUPS
    state: Obj = (
        {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}}
        if crashing
        else {"running": {"startedAt": "2026-12-06T08:00:00Z"}}
    )
    return {
        "kind": "Pod",
        "metadata": {
            "name": f"p{i}",
            "namespace": "load",
            "uid": f"p{i}",
            "labels": {"app": "x", "pod-template-hash": "h"},
            "ownerReferences": [
                {"kind": "ReplicaSet", "name": f"d{g}-h", "uid": f"r{g}", "controller": True}
            ],
        },
        "spec": {"nodeName": "n1", "containers": [{"name": "app", "image": "busybox:1.36"}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "False" if crashing else "True"}],
            "containerStatuses": [
                {"name": "app", "ready": not crashing, "restartCount": 3, "state": state}
            ],
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--troubled", type=float, default=0.01, help="share crash-looping")
    parser.add_argument("--batches", type=int, default=40)
    args = parser.parse_args()
    rng = random.Random(1)
    tree = WorkloadTree(clock=lambda: NOW, timeline_interval=1e9)
    first = {f"p{i}": pod(i, rng.random() < args.troubled) for i in range(PODS)}
    tree.apply(
        ChangeBatch(
            upserts={
                "Deployment": {f"d{g}": deployment(g) for g in range(GROUPS)},
                "ReplicaSet": {f"r{g}": replicaset(g) for g in range(GROUPS)},
                "Pod": first,
            }
        )
    )
    times = []
    for _ in range(args.batches):
        batch = {
            f"p{i}": pod(i, rng.random() < args.troubled) for i in rng.sample(range(PODS), BATCH)
        }
        start = time.process_time()
        changes = tree.apply(ChangeBatch(upserts={"Pod": batch}))
        for uid in changes.workloads:  # the main screen's HEALTH cells
            tree.rollout_problem(uid, NOW)
        times.append(time.process_time() - start)
    stuck = sum(1 for g in range(GROUPS) if tree.rollout_problem(f"d{g}", NOW) is not None)
    ordered = sorted(times)
    print(
        f"{args.troubled:.0%} of pods crash-looping: per batch of {BATCH} pod changes "
        f"median {statistics.median(times) * 1000:.1f} ms, p90 "
        f"{ordered[int(0.9 * len(ordered))] * 1000:.1f} ms; {stuck} Deployments stuck, "
        f"{tree.triage.total} triage problems"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
