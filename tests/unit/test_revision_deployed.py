"""ObjectMirror.deployed_at: when a revision was last deployed, from what the batches showed."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from ktui.cluster.batcher import ChangeBatch
from ktui.model.objects import ObjectMirror
from ktui.view.children import child_revision, current_child_uid

Obj = dict[str, Any]
START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def replicaset(revision: str, created: str = "2025-03-01T10:00:00Z") -> Obj:
    return {
        "kind": "ReplicaSet",
        "metadata": {
            "uid": "rs-1",
            "name": "web-abc",
            "namespace": "default",
            "creationTimestamp": created,
            "annotations": {"deployment.kubernetes.io/revision": revision},
        },
    }


def test_created_time_until_the_revision_is_seen_changing() -> None:
    now = [START]
    mirror = ObjectMirror(clock=lambda: now[0])
    mirror.apply(ChangeBatch(upserts={"ReplicaSet": {"rs-1": replicaset("1")}}))
    assert mirror.deployed_at("rs-1") == (datetime(2025, 3, 1, 10, 0, tzinfo=UTC), False)
    # The same revision again (a status update) changes nothing.
    now[0] = START + timedelta(minutes=1)
    mirror.apply(ChangeBatch(upserts={"ReplicaSet": {"rs-1": replicaset("1")}}))
    assert mirror.deployed_at("rs-1")[1] is False
    # A rollback re-uses the ReplicaSet: its revision annotation goes 1 -> 3.
    now[0] = START + timedelta(minutes=5)
    mirror.apply(ChangeBatch(upserts={"ReplicaSet": {"rs-1": replicaset("3")}}))
    assert mirror.deployed_at("rs-1") == (START + timedelta(minutes=5), True)
    mirror.apply(ChangeBatch(deletes={"ReplicaSet": {"rs-1"}}))
    assert mirror.deployed_at("rs-1") == (None, False)


def test_a_revision_created_after_start_was_seen_deployed() -> None:
    mirror = ObjectMirror(clock=lambda: START)
    mirror.apply(
        ChangeBatch(upserts={"ReplicaSet": {"rs-1": replicaset("2", "2025-03-01T12:00:30Z")}})
    )
    assert mirror.deployed_at("rs-1") == (datetime(2025, 3, 1, 12, 0, 30, tzinfo=UTC), True)


def test_controller_revision_number_change_counts_too() -> None:
    now = [START]
    mirror = ObjectMirror(clock=lambda: now[0])
    revision: Obj = {
        "kind": "ControllerRevision",
        "metadata": {"uid": "cr-1", "name": "db-1", "creationTimestamp": "2025-03-01T09:00:00Z"},
        "revision": 1,
    }
    mirror.apply(ChangeBatch(upserts={"ControllerRevision": {"cr-1": revision}}))
    now[0] = START + timedelta(seconds=30)
    again = copy.deepcopy(revision)
    again["revision"] = 4
    mirror.apply(ChangeBatch(upserts={"ControllerRevision": {"cr-1": again}}))
    assert mirror.deployed_at("cr-1") == (START + timedelta(seconds=30), True)
    assert child_revision(again) == 4


def test_current_child_is_the_new_replicaset_or_the_update_revision() -> None:
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"image": "b"}]}}
    deployment: Obj = {"kind": "Deployment", "spec": {"template": template}}
    old = replicaset("1")
    old["spec"] = {
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"image": "a"}]},
        }
    }
    new = copy.deepcopy(old)
    new["metadata"].update(uid="rs-2", name="web-def")
    new["spec"]["template"] = copy.deepcopy(template)
    new["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] = "def"
    assert current_child_uid(deployment, [old, new]) == "rs-2"
    assert child_revision(new) == 1
    sts: Obj = {"kind": "StatefulSet", "status": {"updateRevision": "db-2"}}
    revisions = [
        {
            "kind": "ControllerRevision",
            "metadata": {"uid": f"cr-{n}", "name": f"db-{n}"},
            "revision": n,
        }
        for n in (1, 2, 3)
    ]
    assert current_child_uid(sts, revisions) == "cr-2"
