"""WorkloadTree keeps pod-phase counts per workload current pod by pod; after any sequence of
batches they equal a count made from scratch."""

from __future__ import annotations

import random
from typing import Any

from ktui.cluster.batcher import ChangeBatch
from ktui.cluster.ownership import OwnershipIndex
from ktui.model.workloads import WorkloadTree
from ktui.view.pod import Phase, pod_phase

Obj = dict[str, Any]
PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"]


class Source:
    def __init__(self) -> None:
        self.index = OwnershipIndex()
        self.by_kind: dict[str, dict[str, Obj]] = {}

    def objects(self, kind: str) -> dict[str, Obj]:
        return dict(self.by_kind.get(kind, {}))

    def get(self, uid: str) -> Obj | None:
        for objs in self.by_kind.values():
            if uid in objs:
                return objs[uid]
        return None

    def put(self, kind: str, obj: Obj) -> ChangeBatch:
        uid = obj["metadata"]["uid"]
        self.by_kind.setdefault(kind, {})[uid] = obj
        self.index.upsert(kind, uid, obj)
        return ChangeBatch(upserts={kind: {uid: obj}})

    def drop(self, kind: str, uid: str) -> ChangeBatch:
        self.by_kind.get(kind, {}).pop(uid, None)
        self.index.delete(uid)
        return ChangeBatch(deletes={kind: {uid}})


def obj(kind: str, uid: str, owner: tuple[str, str] | None = None, phase: str = "") -> Obj:
    meta: Obj = {"uid": uid, "name": uid, "namespace": "default"}
    if owner:
        meta["ownerReferences"] = [
            {"kind": owner[0], "uid": owner[1], "name": owner[1], "controller": True}
        ]
    out: Obj = {"kind": kind, "metadata": meta}
    if phase:
        out["status"] = {"phase": phase}
    return out


def brute_counts(source: Source, tree: WorkloadTree, workload: str) -> dict[Phase, int]:
    counts = dict.fromkeys(Phase, 0)
    for uid, pod in source.by_kind.get("Pod", {}).items():
        if workload in source.index.owner_chain(uid):
            counts[pod_phase(pod)] += 1
    return counts


def test_counts_match_a_recount_after_random_churn() -> None:
    rng = random.Random(7)
    source = Source()
    tree = WorkloadTree()
    workloads = []
    for d in range(3):
        tree.apply(source.put("Deployment", obj("Deployment", f"d{d}")))
        tree.apply(source.put("ReplicaSet", obj("ReplicaSet", f"rs{d}", ("Deployment", f"d{d}"))))
        workloads.append(f"d{d}")
    tree.apply(source.put("CronJob", obj("CronJob", "cj")))
    tree.apply(source.put("Job", obj("Job", "job1", ("CronJob", "cj"))))
    workloads += ["cj", "job1"]
    parents = [("ReplicaSet", "rs0"), ("ReplicaSet", "rs1"), ("ReplicaSet", "rs2"), ("Job", "job1")]
    pods: list[str] = []
    for step in range(600):
        action = rng.random()
        if action < 0.4 or not pods:
            uid = f"p{step}"
            pods.append(uid)
            pod = obj("Pod", uid, rng.choice(parents), rng.choice(PHASES))
            tree.apply(source.put("Pod", pod))
        elif action < 0.8:
            uid = rng.choice(pods)
            old = source.get(uid)
            assert old is not None
            pod = obj(
                "Pod",
                uid,
                (
                    old["metadata"]["ownerReferences"][0]["kind"],
                    old["metadata"]["ownerReferences"][0]["uid"],
                ),
                rng.choice(PHASES),
            )
            tree.apply(source.put("Pod", pod))
        else:
            uid = pods.pop(rng.randrange(len(pods)))
            tree.apply(source.drop("Pod", uid))
    for workload in workloads:
        assert tree.phase_counts(workload) == brute_counts(source, tree, workload), workload
    assert sum(tree.phase_counts("cj").values()) == sum(tree.phase_counts("job1").values())


def test_pods_arriving_before_their_owner_are_counted_once_it_arrives() -> None:
    source = Source()
    tree = WorkloadTree()
    tree.apply(source.put("Pod", obj("Pod", "p1", ("ReplicaSet", "rs"), "Running")))
    assert tree.phase_counts("d") == dict.fromkeys(Phase, 0)
    tree.apply(source.put("ReplicaSet", obj("ReplicaSet", "rs", ("Deployment", "d"))))
    tree.apply(source.put("Deployment", obj("Deployment", "d")))
    assert tree.phase_counts("d")[Phase.RUNNING] == 1
    tree.apply(source.drop("Pod", "p1"))
    assert tree.phase_counts("d")[Phase.RUNNING] == 0


def test_pods_that_arrive_before_their_owners_are_placed_when_the_owners_come() -> None:
    source = Source()
    tree = WorkloadTree()
    tree.apply(source.put("Pod", obj("Pod", "p1", ("ReplicaSet", "rs"), "Running")))
    tree.apply(source.put("Pod", obj("Pod", "bare", None, "Pending")))
    assert tree.pod_owner["p1"] is None
    changes = tree.apply(source.put("ReplicaSet", obj("ReplicaSet", "rs", ("Deployment", "d"))))
    assert tree.pod_owner["p1"] is None  # the Deployment is still unknown
    changes = tree.apply(source.put("Deployment", obj("Deployment", "d")))
    assert tree.pod_owner["p1"] == "d" and tree.child_owner["rs"] == "d"
    assert changes.pods == {"d": {"p1"}} and changes.children == {"d": {"rs"}}
    assert tree.phase_counts("d") == brute_counts(source, tree, "d")
    assert tree.pods_of["d"] == {"p1"}
    assert tree.pod_owner["bare"] is None
    # An adoption: a ReplicaSet without a Deployment gets one later (its ownerReferences).
    tree.apply(source.put("ReplicaSet", obj("ReplicaSet", "orphan-rs")))
    tree.apply(source.put("Pod", obj("Pod", "p2", ("ReplicaSet", "orphan-rs"), "Running")))
    assert tree.pod_owner["p2"] is None
    tree.apply(source.put("Deployment", obj("Deployment", "d2")))
    tree.apply(source.put("ReplicaSet", obj("ReplicaSet", "orphan-rs", ("Deployment", "d2"))))
    assert tree.pod_owner["p2"] == "d2"
