"""OwnershipIndex: children, controller, owner chains, out-of-order arrival, no leaks."""

from __future__ import annotations

import random
import threading
from typing import Any

from ktui.cluster.ownership import OwnershipIndex, owner_refs_of


def obj(uid: str, *owners: tuple[str, str, bool]) -> dict[str, Any]:
    """An object with ownerReferences given as (uid, kind, controller)."""
    metadata: dict[str, Any] = {"uid": uid, "name": f"name-{uid}"}
    if owners:
        metadata["ownerReferences"] = [
            {"apiVersion": "v1", "kind": kind, "name": f"name-{o}", "uid": o, "controller": ctl}
            for o, kind, ctl in owners
        ]
    return {"metadata": metadata}


def deployment_tree(index: OwnershipIndex) -> None:
    index.upsert("Deployment", "d1", obj("d1"))
    index.upsert("ReplicaSet", "rs1", obj("rs1", ("d1", "Deployment", True)))
    index.upsert("ReplicaSet", "rs2", obj("rs2", ("d1", "Deployment", True)))
    index.upsert("Pod", "p1", obj("p1", ("rs1", "ReplicaSet", True)))
    index.upsert("Pod", "p2", obj("p2", ("rs1", "ReplicaSet", True)))
    index.upsert("Pod", "p3", obj("p3", ("rs2", "ReplicaSet", True)))


def test_children_and_chain_of_a_deployment_tree() -> None:
    index = OwnershipIndex()
    deployment_tree(index)
    assert index.children("d1") == ["rs1", "rs2"]
    assert index.children("rs1") == ["p1", "p2"]
    assert index.children("rs1", kind="Pod") == ["p1", "p2"]
    assert index.children("rs1", kind="ReplicaSet") == []
    assert index.owner_chain("p3") == ["rs2", "d1"]
    assert index.owner_chain("d1") == []
    assert index.controller_of("p1") == "rs1"
    assert index.controller_of("d1") is None
    assert index.kind_of("rs2") == "ReplicaSet"


def test_cronjob_job_pod_and_statefulset_revisions() -> None:
    index = OwnershipIndex()
    index.upsert("CronJob", "cj", obj("cj"))
    index.upsert("Job", "job", obj("job", ("cj", "CronJob", True)))
    index.upsert("Pod", "jp", obj("jp", ("job", "Job", True)))
    index.upsert("StatefulSet", "sts", obj("sts"))
    index.upsert("Pod", "sp", obj("sp", ("sts", "StatefulSet", True)))
    index.upsert("ControllerRevision", "cr", obj("cr", ("sts", "StatefulSet", True)))
    assert index.owner_chain("jp") == ["job", "cj"]
    assert index.children("sts", kind="Pod") == ["sp"]
    assert index.children("sts", kind="ControllerRevision") == ["cr"]
    assert sorted(index.children("sts")) == ["cr", "sp"]


def test_chain_follows_the_controller_not_the_first_owner() -> None:
    index = OwnershipIndex()
    index.upsert("ConfigMap", "other", obj("other"))
    index.upsert("ReplicaSet", "rs", obj("rs"))
    index.upsert("Pod", "p", obj("p", ("other", "ConfigMap", False), ("rs", "ReplicaSet", True)))
    assert index.controller_of("p") == "rs"
    assert index.owner_chain("p") == ["rs"]
    # Without a controller, the chain falls back to the first owner.
    index.upsert("Pod", "q", obj("q", ("other", "ConfigMap", False)))
    assert index.controller_of("q") is None
    assert index.owner_chain("q") == ["other"]


def test_children_arriving_before_their_owner() -> None:
    index = OwnershipIndex()
    index.upsert("Pod", "p1", obj("p1", ("rs1", "ReplicaSet", True)))
    assert index.children("rs1") == ["p1"]
    assert index.owner_chain("p1") == []  # the owner is not known yet: the chain stops
    assert index.controller_of("p1") == "rs1"
    index.upsert("ReplicaSet", "rs1", obj("rs1", ("d1", "Deployment", True)))
    index.upsert("Deployment", "d1", obj("d1"))
    assert index.owner_chain("p1") == ["rs1", "d1"]


def test_owner_change_moves_the_child() -> None:
    index = OwnershipIndex()
    index.upsert("Pod", "p", obj("p", ("rs1", "ReplicaSet", True)))
    index.upsert("Pod", "p", obj("p", ("rs2", "ReplicaSet", True)))
    assert index.children("rs1") == []
    assert index.children("rs2") == ["p"]
    index.upsert("Pod", "p", obj("p"))  # orphaned
    assert index.children("rs2") == []
    assert index.controller_of("p") is None
    assert index.stats() == {"objects": 1, "with_owners": 0, "owners_with_children": 0}


def test_deleting_everything_leaves_no_entries_whatever_the_order() -> None:
    rng = random.Random(7)
    index = OwnershipIndex()
    deployment_tree(index)
    uids = ["d1", "rs1", "rs2", "p1", "p2", "p3"]
    rng.shuffle(uids)
    for uid in uids:
        index.delete(uid)
    assert index.stats() == {"objects": 0, "with_owners": 0, "owners_with_children": 0}
    assert len(index) == 0


def test_deleted_owner_keeps_children_until_they_go() -> None:
    index = OwnershipIndex()
    deployment_tree(index)
    index.delete("rs1")
    assert "rs1" not in index
    assert index.children("rs1") == ["p1", "p2"]  # they still point at it until GC'd
    assert index.owner_chain("p1") == []
    index.delete("p1")
    index.delete("p2")
    assert index.children("rs1") == []
    assert index.stats()["owners_with_children"] == 2  # d1 (rs2) and rs2 (p3)


def test_apply_processes_changes_in_order() -> None:
    index = OwnershipIndex()
    index.apply(
        "Pod",
        [
            ("p", obj("p", ("rs", "ReplicaSet", True)), False),
            ("p", None, True),
            ("q", obj("q", ("rs", "ReplicaSet", True)), False),
        ],
    )
    assert index.children("rs") == ["q"]
    assert "p" not in index


def test_cycles_do_not_loop() -> None:
    index = OwnershipIndex()
    index.upsert("A", "a", obj("a", ("b", "B", True)))
    index.upsert("B", "b", obj("b", ("a", "A", True)))
    assert index.owner_chain("a") == ["b"]


def test_malformed_owner_references_are_ignored() -> None:
    bad: dict[str, Any] = {
        "metadata": {
            "uid": "x",
            "ownerReferences": [None, {"kind": "ReplicaSet"}, {"uid": ""}, {"uid": "ok"}],
        }
    }
    refs = owner_refs_of(bad)
    assert [ref.uid for ref in refs] == ["ok"]
    assert owner_refs_of({"metadata": {"ownerReferences": "nope"}}) == ()
    assert owner_refs_of({}) == ()


def test_concurrent_updates_and_reads_stay_consistent() -> None:
    index = OwnershipIndex()
    errors: list[BaseException] = []

    def writer(prefix: str) -> None:
        try:
            for round_number in range(200):
                for i in range(20):
                    uid = f"{prefix}-{i}"
                    owner = f"owner-{(i + round_number) % 3}"
                    index.upsert("Pod", uid, obj(uid, (owner, "ReplicaSet", True)))
            for i in range(20):
                index.delete(f"{prefix}-{i}")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    def reader() -> None:
        try:
            for _ in range(2000):
                for owner in ("owner-0", "owner-1", "owner-2"):
                    index.children(owner)
                index.owner_chain("w0-1")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(3)]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert index.stats() == {"objects": 0, "with_owners": 0, "owners_with_children": 0}
