"""Second-pane rows: ReplicaSets (current by template equality), ControllerRevisions, Jobs."""

from __future__ import annotations

import copy
from typing import Any

import pods_fixtures as fx
import pytest

from ktui.view.children import (
    controller_revision_rows,
    current_replicaset_name,
    job_duration,
    job_row,
    job_rows,
    job_status,
    newest,
    replicaset_rows,
    revision_of,
)
from ktui.view.workload import Health

NOW = fx.NOW


def _template(image: str, hash_label: str | None = None) -> dict[str, Any]:
    labels = {"app": "web"}
    if hash_label is not None:
        labels["pod-template-hash"] = hash_label
    return {
        "metadata": {"creationTimestamp": None, "labels": labels},
        "spec": {
            "containers": [
                {
                    "name": "web",
                    "image": image,
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "resources": {},
                }
            ],
            "restartPolicy": "Always",
            "securityContext": {},
        },
    }


def deployment(image: str) -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"replicas": 3, "template": _template(image)},
        "status": {},
    }


def replicaset(
    name: str, revision: int, image: str, created_ago: float, replicas: int = 0
) -> dict[str, Any]:
    template_hash = name.rsplit("-", 1)[-1]
    return {
        "metadata": {
            "name": name,
            "namespace": "shop",
            "uid": f"uid-{name}",
            "creationTimestamp": fx.ts(created_ago),
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": "3",
                "deployment.kubernetes.io/max-replicas": "4",
                "deployment.kubernetes.io/revision": str(revision),
            },
            "labels": {"app": "web", "pod-template-hash": template_hash},
        },
        "spec": {"replicas": replicas, "template": _template(image, template_hash)},
        "status": {
            "replicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "observedGeneration": 1,
        },
    }


V1 = "registry.example/web:1.4"
V2 = "registry.example/web:1.5"


def test_revision_comes_from_the_annotation() -> None:
    assert revision_of(replicaset("web-5d8c7b9f6", 4, V1, 60)) == 4
    assert revision_of({"metadata": {"annotations": {}}}) is None
    assert (
        revision_of({"metadata": {"annotations": {"deployment.kubernetes.io/revision": "x"}}})
        is None
    )


def test_current_replicaset_matches_template_ignoring_hash_label() -> None:
    old = replicaset("web-5d8c7b9f6", 1, V1, 7200)
    new = replicaset("web-7f9b8c6d5", 2, V2, 60, replicas=3)
    rows = replicaset_rows(deployment(V2), [old, new], NOW)
    assert [(row.name, row.revision, row.is_current) for row in rows] == [
        ("web-7f9b8c6d5", 2, True),
        ("web-5d8c7b9f6", 1, False),
    ]
    current = rows[0]
    assert (current.desired, current.current, current.ready, current.available) == (3, 3, 3, 3)
    assert current.images == V2
    assert current.age == "60s"
    assert current.health == Health.HEALTHY


def test_after_rollback_the_matching_older_replicaset_is_current_not_the_highest_revision() -> None:
    # The template was set back to V1 and the controller has not re-numbered anything yet.
    old = replicaset("web-5d8c7b9f6", 1, V1, 7200)
    new = replicaset("web-7f9b8c6d5", 2, V2, 60, replicas=3)
    rows = replicaset_rows(deployment(V1), [new, old], NOW)
    assert {row.name: row.is_current for row in rows} == {
        "web-7f9b8c6d5": False,
        "web-5d8c7b9f6": True,
    }


def test_no_replicaset_is_current_before_the_controller_creates_one() -> None:
    old = replicaset("web-5d8c7b9f6", 1, V1, 7200, replicas=3)
    assert current_replicaset_name(deployment(V2), [old]) is None
    assert [row.is_current for row in replicaset_rows(deployment(V2), [old], NOW)] == [False]


def test_template_comparison_treats_omitted_and_empty_fields_alike() -> None:
    rs = replicaset("web-5d8c7b9f6", 1, V1, 7200)
    deploy = deployment(V1)
    # The API may omit empty fields on one object and write them out on the other.
    del deploy["spec"]["template"]["spec"]["securityContext"]
    del deploy["spec"]["template"]["metadata"]["creationTimestamp"]
    assert current_replicaset_name(deploy, [rs]) == "web-5d8c7b9f6"
    changed = copy.deepcopy(deploy)
    changed["spec"]["template"]["metadata"]["labels"]["tier"] = "front"
    assert current_replicaset_name(changed, [rs]) is None


def test_oldest_matching_replicaset_wins() -> None:
    first = replicaset("web-aaaaaaaaa", 1, V1, 7200)
    duplicate = replicaset("web-bbbbbbbbb", 3, V1, 60)
    assert current_replicaset_name(deployment(V1), [duplicate, first]) == "web-aaaaaaaaa"


def _revision(name: str, number: int, image: str, created_ago: float) -> dict[str, Any]:
    # As an item of a list response: no apiVersion/kind.
    return {
        "metadata": {"name": name, "namespace": "shop", "creationTimestamp": fx.ts(created_ago)},
        "data": {"spec": {"template": {"$patch": "replace", **_template(image)}}},
        "revision": number,
    }


def test_statefulset_revisions_follow_status() -> None:
    owner: dict[str, Any] = {
        "kind": "StatefulSet",
        "status": {"currentRevision": "db-5d8c7b9f6", "updateRevision": "db-7f9b8c6d5"},
    }
    revisions = [
        _revision("db-5d8c7b9f6", 1, V1, 7200),
        _revision("db-7f9b8c6d5", 2, V2, 30),
    ]
    rows = controller_revision_rows(owner, revisions, NOW)
    assert [(r.name, r.revision, r.is_current, r.is_outgoing, r.images) for r in rows] == [
        ("db-7f9b8c6d5", 2, True, False, V2),
        ("db-5d8c7b9f6", 1, False, True, V1),
    ]
    owner["status"]["currentRevision"] = "db-7f9b8c6d5"
    rows = controller_revision_rows(owner, revisions, NOW)
    assert [(r.is_current, r.is_outgoing) for r in rows] == [(True, False), (False, False)]


def test_statefulset_rolled_back_to_an_older_revision_marks_that_one() -> None:
    owner = {
        "kind": "StatefulSet",
        "status": {"currentRevision": "db-7f9b8c6d5", "updateRevision": "db-5d8c7b9f6"},
    }
    revisions = [_revision("db-5d8c7b9f6", 3, V1, 7200), _revision("db-7f9b8c6d5", 2, V2, 30)]
    rows = controller_revision_rows(owner, revisions, NOW)
    assert {r.name: (r.is_current, r.is_outgoing) for r in rows} == {
        "db-5d8c7b9f6": (True, False),
        "db-7f9b8c6d5": (False, True),
    }


def test_daemonset_current_revision_is_the_highest() -> None:
    owner = {"kind": "DaemonSet", "status": {"desiredNumberScheduled": 2}}
    revisions = [
        _revision("agent-6c9d8f7b5", 4, V2, 30),
        _revision("agent-5d8c7b9f6", 3, V1, 7200),
    ]
    rows = controller_revision_rows(owner, revisions, NOW)
    assert [(r.name, r.is_current) for r in rows] == [
        ("agent-6c9d8f7b5", True),
        ("agent-5d8c7b9f6", False),
    ]
    assert rows[1].age == "120m"


def _job(name: str, created_ago: float, **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "shop", "creationTimestamp": fx.ts(created_ago)},
        "spec": {"completions": 1, "parallelism": 1},
        "status": status,
    }


def _cond(kind: str, value: str = "True") -> dict[str, str]:
    return {"type": kind, "status": value}


@pytest.mark.parametrize(
    ("conditions", "deleting", "expected"),
    [
        ([_cond("Complete")], True, "Complete"),
        ([_cond("Failed"), _cond("FailureTarget")], False, "Failed"),
        ([_cond("Suspended")], True, "Terminating"),
        ([_cond("Suspended")], False, "Suspended"),
        ([_cond("FailureTarget")], False, "FailureTarget"),
        ([_cond("Complete", "False")], False, "Running"),
        ([], False, "Running"),
    ],
)
def test_job_status_follows_kubectl_precedence(
    conditions: list[dict[str, str]], deleting: bool, expected: str
) -> None:
    resource = _job("backup-1", 60, conditions=conditions)
    if deleting:
        resource["metadata"]["deletionTimestamp"] = fx.ts(0)
    assert job_status(resource) == expected


def test_job_duration() -> None:
    assert job_duration(_job("a", 600), NOW) == ""
    assert job_duration(_job("a", 600, startTime=fx.ts(590)), NOW) == "9m50s"
    finished = _job("a", 600, startTime=fx.ts(590), completionTime=fx.ts(470))
    assert job_duration(finished, NOW) == "2m"


def test_job_rows_newest_first() -> None:
    done = _job(
        "backup-28991520",
        3600,
        startTime=fx.ts(3600),
        completionTime=fx.ts(3540),
        succeeded=1,
        conditions=[_cond("Complete")],
    )
    running = _job("backup-28991580", 60, startTime=fx.ts(59), active=1)
    rows = job_rows([done, running], NOW)
    assert [(r.name, r.status, r.completions, r.duration, r.age) for r in rows] == [
        ("backup-28991580", "Running", "0/1", "59s", "60s"),
        ("backup-28991520", "Complete", "1/1", "60s", "60m"),
    ]
    assert rows[1].health == Health.COMPLETE
    assert job_row(running, NOW).health == Health.PROGRESSING


def test_newest_is_the_latest_created_and_the_later_name_on_a_tie() -> None:
    older = _job("backup-28991580", 120)
    latest = _job("backup-28991520", 60)  # a name that sorts first: the time decides
    assert newest([older, latest]) is latest
    assert newest([latest, older]) is latest
    same_second = _job("backup-28991640", 60)
    assert newest([same_second, latest]) is same_second
    assert newest([]) is None
