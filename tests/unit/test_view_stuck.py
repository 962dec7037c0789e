"""rollout_problem / progress_deadline over objects shaped as the API server returns them."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from ktui.view.stuck import looks_at_pods, pod_problem, progress_deadline, rollout_problem

Obj = dict[str, Any]
NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def template(image: str, hash_label: str | None = None) -> Obj:
    labels = {"app": "web"}
    if hash_label:
        labels["pod-template-hash"] = hash_label
    return {
        "metadata": {"creationTimestamp": None, "labels": labels},
        "spec": {
            "containers": [
                {
                    "name": "web",
                    "image": image,
                    "resources": {},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "imagePullPolicy": "IfNotPresent",
                }
            ],
            "restartPolicy": "Always",
            "dnsPolicy": "ClusterFirst",
        },
    }


def deployment(image: str = "nginx:1.28-typo", **status: Any) -> Obj:
    base_status: Obj = {
        "observedGeneration": 2,
        "replicas": 3,
        "updatedReplicas": 1,
        "readyReplicas": 2,
        "availableReplicas": 2,
        "unavailableReplicas": 1,
        "conditions": [
            {
                "type": "Available",
                "status": "True",
                "lastUpdateTime": "2025-03-01T11:00:00Z",
                "lastTransitionTime": "2025-03-01T11:00:00Z",
                "reason": "MinimumReplicasAvailable",
                "message": "Deployment has minimum availability.",
            },
            {
                "type": "Progressing",
                "status": "True",
                "lastUpdateTime": "2025-03-01T11:58:00Z",
                "lastTransitionTime": "2025-03-01T11:00:00Z",
                "reason": "ReplicaSetUpdated",
                "message": 'ReplicaSet "web-7d4b9c6f5d" is progressing.',
            },
        ],
    }
    base_status.update(status)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "uid": "dep-uid",
            "generation": 2,
            "annotations": {"deployment.kubernetes.io/revision": "2"},
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": template(image),
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        },
        "status": base_status,
    }


def replicaset(name: str, uid: str, image: str, revision: int, created: str) -> Obj:
    hash_label = name.rsplit("-", 1)[-1]
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": "shop",
            "uid": uid,
            "creationTimestamp": created,
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": "web",
                    "uid": "dep-uid",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {"replicas": 1, "template": template(image, hash_label)},
        "status": {"replicas": 1, "observedGeneration": 1},
    }


OLD_RS = replicaset("web-5c8d7f9b6", "rs-old", "nginx:1.27", 1, "2025-03-01T11:00:00Z")
NEW_RS = replicaset("web-7d4b9c6f5d", "rs-new", "nginx:1.28-typo", 2, "2025-03-01T11:58:00Z")


def pod(name: str, owner_uid: str, *, waiting: Obj | None = None, ready: bool = False) -> Obj:
    state: Obj = (
        {"waiting": waiting} if waiting else {"running": {"startedAt": "2025-03-01T11:00:05Z"}}
    )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "shop",
            "uid": f"uid-{name}",
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": "x",
                    "uid": owner_uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {"nodeName": "node-1", "containers": [{"name": "web", "image": "x"}]},
        "status": {
            "phase": "Running" if not waiting else "Pending",
            "conditions": [
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": None},
                {"type": "Ready", "status": "True" if ready else "False"},
            ],
            "containerStatuses": [
                {
                    "name": "web",
                    "state": state,
                    "lastState": {},
                    "ready": ready,
                    "restartCount": 0,
                    "image": "x",
                    "imageID": "",
                    "started": not waiting,
                }
            ],
        },
    }


PULL_BACKOFF = {
    "reason": "ImagePullBackOff",
    "message": 'Back-off pulling image "nginx:1.28-typo"',
}
ERR_PULL = {
    "reason": "ErrImagePull",
    "message": 'rpc error: code = NotFound desc = failed to pull image "nginx:1.28-typo"',
}


def old_pods() -> list[Obj]:
    return [pod(f"web-5c8d7f9b6-{s}", "rs-old", ready=True) for s in ("aaaaa", "bbbbb")]


def test_new_pods_in_image_pull_backoff_are_the_reason() -> None:
    pods = [*old_pods(), pod("web-7d4b9c6f5d-zzzzz", "rs-new", waiting=PULL_BACKOFF)]
    problem = rollout_problem(deployment(), [OLD_RS, NEW_RS], pods, NOW)
    assert problem is not None
    assert problem.reason == "ImagePullBackOff"
    assert not problem.held
    assert problem.pods == ("web-7d4b9c6f5d-zzzzz",)
    assert problem.sentence == (
        "Rollout stuck: the new pod (web-7d4b9c6f5d-zzzzz) is in ImagePullBackOff: "
        'Back-off pulling image "nginx:1.28-typo"'
    )


def test_the_reason_most_new_pods_show_wins_and_old_pods_do_not_count() -> None:
    crashing_old = pod("web-5c8d7f9b6-ccccc", "rs-old", waiting={"reason": "CrashLoopBackOff"})
    new = [
        pod("web-7d4b9c6f5d-a", "rs-new", waiting=ERR_PULL),
        pod("web-7d4b9c6f5d-b", "rs-new", waiting=ERR_PULL),
        pod("web-7d4b9c6f5d-c", "rs-new", waiting=PULL_BACKOFF),
        pod("web-7d4b9c6f5d-d", "rs-new", ready=True),
    ]
    problem = rollout_problem(deployment(), [OLD_RS, NEW_RS], [crashing_old, *new], NOW)
    assert problem is not None
    assert problem.reason == "ErrImagePull"
    assert problem.pods == ("web-7d4b9c6f5d-a", "web-7d4b9c6f5d-b")
    assert problem.sentence.startswith(
        "Rollout stuck: 2 of 4 new pods (web-7d4b9c6f5d-a, web-7d4b9c6f5d-b) are in ErrImagePull"
    )


def test_pods_still_creating_are_not_a_problem() -> None:
    creating = pod("web-7d4b9c6f5d-a", "rs-new", waiting={"reason": "ContainerCreating"})
    assert rollout_problem(deployment(), [OLD_RS, NEW_RS], [*old_pods(), creating], NOW) is None


def test_unschedulable_pod_says_what_the_scheduler_said() -> None:
    pending = pod("web-7d4b9c6f5d-a", "rs-new")
    pending["spec"].pop("nodeName")
    pending["status"] = {
        "phase": "Pending",
        "conditions": [
            {
                "type": "PodScheduled",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": "2025-03-01T11:58:01Z",
                "reason": "Unschedulable",
                "message": "0/3 nodes are available: 3 Insufficient cpu.",
            }
        ],
        "qosClass": "Burstable",
    }
    problem = rollout_problem(deployment(), [OLD_RS, NEW_RS], [pending], NOW)
    assert problem is not None and problem.reason == "Unschedulable"
    assert problem.sentence.endswith(
        "cannot be scheduled: 0/3 nodes are available: 3 Insufficient cpu."
    )


def test_replica_failure_on_the_new_replicaset_comes_first() -> None:
    new_rs = copy.deepcopy(NEW_RS)
    new_rs["status"]["conditions"] = [
        {
            "type": "ReplicaFailure",
            "status": "True",
            "lastTransitionTime": "2025-03-01T11:58:00Z",
            "reason": "FailedCreate",
            "message": 'pods "web-7d4b9c6f5d-x" is forbidden: exceeded quota: compute, '
            "requested: cpu=500m, used: cpu=2, limited: cpu=2",
        }
    ]
    problem = rollout_problem(deployment(), [OLD_RS, new_rs], old_pods(), NOW)
    assert problem is not None and problem.reason == "FailedCreate"
    assert "ReplicaSet web-7d4b9c6f5d cannot create pods (FailedCreate)" in problem.sentence
    assert "exceeded quota" in problem.sentence


def test_progress_deadline_exceeded_without_pod_evidence() -> None:
    conditions = [
        {
            "type": "Progressing",
            "status": "False",
            "lastUpdateTime": "2025-03-01T12:08:00Z",
            "lastTransitionTime": "2025-03-01T12:08:00Z",
            "reason": "ProgressDeadlineExceeded",
            "message": 'ReplicaSet "web-7d4b9c6f5d" has timed out progressing.',
        }
    ]
    obj = deployment(conditions=conditions)
    problem = rollout_problem(obj, [OLD_RS, NEW_RS], old_pods(), NOW)
    assert problem is not None and problem.reason == "ProgressDeadlineExceeded"
    assert "has timed out progressing" in problem.sentence
    # With pod evidence the pods' reason is named, and the deadline mentioned.
    pods = [pod("web-7d4b9c6f5d-a", "rs-new", waiting=PULL_BACKOFF)]
    problem = rollout_problem(obj, [OLD_RS, NEW_RS], pods, NOW)
    assert problem is not None and problem.reason == "ImagePullBackOff"
    assert problem.sentence.endswith("(the progress deadline has passed)")
    assert progress_deadline(obj) is None


def test_paused_rollout_is_held_not_failed() -> None:
    obj = deployment()
    obj["spec"]["paused"] = True
    problem = rollout_problem(obj, [OLD_RS, NEW_RS], old_pods(), NOW)
    assert problem is not None and problem.held and problem.reason == "paused"
    assert progress_deadline(obj) is None


def test_complete_rollout_has_no_problem_and_no_deadline() -> None:
    done = deployment(
        image="nginx:1.27",
        replicas=3,
        updatedReplicas=3,
        readyReplicas=3,
        availableReplicas=3,
        unavailableReplicas=0,
    )
    done["status"]["conditions"][1]["reason"] = "NewReplicaSetAvailable"
    assert not looks_at_pods(done)
    assert rollout_problem(done, [OLD_RS], old_pods(), NOW) is None
    assert progress_deadline(done) is None


def test_progress_deadline_counts_from_the_last_progress() -> None:
    assert progress_deadline(deployment()) == datetime(2025, 3, 1, 12, 8, tzinfo=UTC)
    no_deadline = deployment()
    no_deadline["spec"]["progressDeadlineSeconds"] = 2147483647
    assert progress_deadline(no_deadline) is None


def test_pod_problem_reads_init_containers_and_ignores_deleted_pods() -> None:
    blocked = pod("web-7d4b9c6f5d-a", "rs-new", ready=False)
    blocked["status"]["initContainerStatuses"] = [
        {
            "name": "migrate",
            "state": {
                "waiting": {
                    "reason": "CreateContainerConfigError",
                    "message": 'configmap "web-config" not found',
                }
            },
        }
    ]
    found = pod_problem(blocked)
    assert found is not None and found.reason == "CreateContainerConfigError"
    assert found.message == 'configmap "web-config" not found'
    blocked["metadata"]["deletionTimestamp"] = "2025-03-01T11:59:00Z"
    assert pod_problem(blocked) is None


def statefulset(partition: int = 0, **status: Any) -> Obj:
    base: Obj = {
        "observedGeneration": 3,
        "replicas": 3,
        "readyReplicas": 2,
        "currentReplicas": 2,
        "updatedReplicas": 1,
        "currentRevision": "db-6b9f7c8d4",
        "updateRevision": "db-84c5d9f7b",
        "collisionCount": 0,
        "availableReplicas": 2,
    }
    base.update(status)
    strategy: Obj = {"type": "RollingUpdate"}
    if partition:
        strategy["rollingUpdate"] = {"partition": partition}
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "data", "uid": "sts-uid", "generation": 3},
        "spec": {
            "replicas": 3,
            "serviceName": "db",
            "selector": {"matchLabels": {"app": "db"}},
            "template": template("postgres:17"),
            "updateStrategy": strategy,
            "podManagementPolicy": "OrderedReady",
        },
        "status": base,
    }


def sts_pod(ordinal: int, revision: str, waiting: Obj | None = None) -> Obj:
    found = pod(f"db-{ordinal}", "sts-uid", waiting=waiting, ready=waiting is None)
    found["metadata"]["labels"] = {"app": "db", "controller-revision-hash": revision}
    return found


def test_statefulset_ordinal_stuck_in_crash_loop() -> None:
    crash = {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}
    pods = [
        sts_pod(0, "db-6b9f7c8d4"),
        sts_pod(1, "db-6b9f7c8d4"),
        sts_pod(2, "db-84c5d9f7b", waiting=crash),
    ]
    problem = rollout_problem(statefulset(), [], pods, NOW)
    assert problem is not None and problem.reason == "CrashLoopBackOff"
    assert problem.sentence == (
        "Rollout stuck at ordinal 2: pod db-2 is in CrashLoopBackOff: "
        "back-off 40s restarting failed container"
    )


def test_statefulset_partition_holds_old_ordinals() -> None:
    done_to_partition = statefulset(
        partition=2, readyReplicas=3, currentReplicas=2, updatedReplicas=1
    )
    assert not looks_at_pods(done_to_partition)
    problem = rollout_problem(done_to_partition, [], [], NOW)
    assert problem is not None and problem.held and problem.reason == "partition"
    assert problem.sentence == (
        "Rollout held by partition=2: ordinals 0-1 stay on revision db-6b9f7c8d4 until the "
        "partition is lowered."
    )


def test_daemonset_names_the_node_whose_pod_cannot_start() -> None:
    ds: Obj = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "kube-system", "uid": "ds-uid", "generation": 2},
        "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": template("agent:2")},
        "status": {
            "currentNumberScheduled": 2,
            "numberMisscheduled": 0,
            "desiredNumberScheduled": 2,
            "numberReady": 1,
            "observedGeneration": 2,
            "updatedNumberScheduled": 1,
            "numberAvailable": 1,
            "numberUnavailable": 1,
        },
    }
    revision: Obj = {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {"name": "agent-5f6d", "labels": {"controller-revision-hash": "5f6d"}},
        "revision": 2,
    }
    old = pod("agent-old", "ds-uid", ready=True)
    old["metadata"]["labels"] = {"controller-revision-hash": "4a3b"}
    new = pod("agent-new", "ds-uid", waiting=PULL_BACKOFF)
    new["metadata"]["labels"] = {"controller-revision-hash": "5f6d"}
    new["spec"]["nodeName"] = "node-2"
    problem = rollout_problem(ds, [revision], [old, new], NOW)
    assert problem is not None and problem.reason == "ImagePullBackOff"
    assert problem.sentence.startswith("Rollout stuck on node node-2: pod agent-new is in")


def test_the_cheap_test_lets_every_stuck_pod_through() -> None:
    import pods_fixtures as fx

    from ktui.view.stuck import may_be_stuck

    named = 0
    for name in fx.EXPECTED_COLUMNS:
        pod = getattr(fx, name)()
        if pod_problem(pod) is not None:
            named += 1
            assert may_be_stuck(pod), name
    assert named >= 3  # the fixtures include pull back-offs, crash loops, unschedulable pods
    assert not may_be_stuck(fx.running_2_of_2())
