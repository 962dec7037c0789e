"""Triage: what is not fine, worst first, with a reason in plain words; kept incrementally."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pods_fixtures import (
    NOW,
    all_pods,
    completed_job_pod,
    crash_loop_back_off,
    err_image_pull,
    evicted,
    failed_job_pod,
    image_pull_back_off,
    init_crash_loop_back_off,
    init_error,
    oom_killed,
    pending_unscheduled,
    running_2_of_2,
    running_not_ready,
    terminating,
    ts,
)

from ktui.cluster.batcher import ChangeBatch
from ktui.model.triage import Triage
from ktui.model.workloads import WorkloadTree
from ktui.view.triage import Severity, problem_of, problems

Obj = dict[str, Any]


def only(pod: Obj) -> Any:
    found = problem_of(pod)
    assert found is not None
    return found


def test_crash_loop_is_the_worst_and_names_the_exit() -> None:
    problem = only(crash_loop_back_off())
    assert problem.severity is Severity.CRASH_LOOP
    assert problem.kind == "Pod" and problem.namespace == "shop"
    assert problem.uid == "uid-web-7d9f8b6c5d-c1l2b"
    assert problem.reason == (
        "container web keeps crashing (5 restarts, last exit: Error (1: the program failed "
        "(general error)))"
    )
    assert problem.since == NOW - timedelta(seconds=130)


def test_image_pulls_name_the_image() -> None:
    for pod in (image_pull_back_off(), err_image_pull()):
        problem = only(pod)
        assert problem.severity is Severity.IMAGE_PULL
        assert "cannot pull image registry.example/shop/web:9.9.9" in problem.reason


def test_config_error() -> None:
    pod = image_pull_back_off()
    pod["status"]["containerStatuses"][0]["state"] = {
        "waiting": {
            "reason": "CreateContainerConfigError",
            "message": 'secret "db-password" not found',
        }
    }
    problem = only(pod)
    assert problem.severity is Severity.CONFIG_ERROR
    assert problem.reason == (
        'container web cannot be created (CreateContainerConfigError): secret "db-password" '
        "not found"
    )


def test_oom_kill_names_the_limit_and_is_forgotten_after_an_hour() -> None:
    pod = oom_killed()
    # Restarted and running since: the OOM kill is in lastState only.
    status = pod["status"]["containerStatuses"][0]
    status["lastState"] = status["state"]
    status["state"] = {"running": {"startedAt": ts(1)}}
    problem = only(pod)
    assert problem.severity is Severity.OOM_KILLED
    assert problem.reason == (
        "container worker was killed for running out of memory (limit 128Mi), 2 restarts"
    )
    assert problem.active(NOW)
    assert not problem.active(NOW + timedelta(hours=1))


def test_pending_counts_only_after_the_threshold_with_the_schedulers_reason() -> None:
    problem = only(pending_unscheduled())  # unschedulable for 45 s
    assert problem.severity is Severity.PENDING
    assert problem.reason.startswith(
        "cannot be scheduled (Unschedulable): 0/3 nodes are available: 3 Insufficient cpu."
    )
    assert not problem.active(NOW)
    assert problem.active(NOW + timedelta(seconds=80))


def test_init_failures() -> None:
    assert only(init_crash_loop_back_off()).severity is Severity.INIT_FAILED
    assert (
        "init container wait-for-db keeps crashing (4 restarts"
        in only(init_crash_loop_back_off()).reason
    )
    problem = only(init_error())
    assert problem.severity is Severity.INIT_FAILED
    assert (
        problem.reason
        == "init container migrate failed: Error (3: the program failed with its own exit status)"
    )


def test_fine_pods_are_not_problems() -> None:
    for pod in (running_2_of_2(), completed_job_pod(), terminating(), failed_job_pod()):
        assert problem_of(pod) is None, pod["metadata"]["name"]


def test_not_ready_for_long_and_evicted() -> None:
    problem = only(running_not_ready())
    assert problem.severity is Severity.NOT_READY
    assert problem.reason == "running but not ready (Running)"
    assert not problem.active(NOW)  # not ready for 89 s
    assert problem.active(NOW + timedelta(minutes=5))
    problem = only(evicted())
    assert problem.severity is Severity.POD_FAILED
    assert problem.reason.startswith("failed (Evicted): The node was low on resource")


def job(failed: bool) -> Obj:
    conditions = []
    if failed:
        conditions.append(
            {
                "type": "Failed",
                "status": "True",
                "reason": "BackoffLimitExceeded",
                "message": "Job has reached the specified backoff limit",
                "lastTransitionTime": ts(60),
            }
        )
    return {
        "kind": "Job",
        "metadata": {"name": "backup-1", "namespace": "batch", "uid": "uid-job"},
        "spec": {"backoffLimit": 2},
        "status": {"failed": 3, "conditions": conditions},
    }


def deployment(condition: Obj | None) -> Obj:
    return {
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "uid": "uid-dep"},
        "spec": {"replicas": 2},
        "status": {"conditions": [condition] if condition else []},
    }


def node(ready: str) -> Obj:
    return {
        "kind": "Node",
        "metadata": {"name": "node-2", "uid": "uid-node-2"},
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": ready,
                    "reason": "NodeStatusUnknown" if ready == "Unknown" else "KubeletReady",
                    "message": "Kubelet stopped posting node status.",
                    "lastTransitionTime": ts(30),
                }
            ]
        },
    }


def test_failed_jobs_stuck_rollouts_and_nodes() -> None:
    assert problem_of(job(False)) is None
    problem = only(job(True))
    assert problem.severity is Severity.JOB_FAILED
    assert problem.reason == (
        "failed (BackoffLimitExceeded): Job has reached the specified backoff limit"
    )
    stuck = only(
        deployment(
            {
                "type": "Progressing",
                "status": "False",
                "reason": "ProgressDeadlineExceeded",
                "message": 'ReplicaSet "web-5d" has timed out progressing.',
                "lastTransitionTime": ts(10),
            }
        )
    )
    assert stuck.severity is Severity.ROLLOUT_STUCK
    assert stuck.reason == (
        'rollout stuck: progress deadline exceeded (ReplicaSet "web-5d" has timed out progressing.)'
    )
    quota = only(
        deployment(
            {
                "type": "ReplicaFailure",
                "status": "True",
                "reason": "FailedCreate",
                "message": 'pods "web-5d-x" is forbidden: exceeded quota: compute',
            }
        )
    )
    assert quota.reason.startswith("cannot create pods (FailedCreate): pods")
    assert problem_of(deployment(None)) is None
    assert problem_of(node("True")) is None
    lost = only(node("Unknown"))
    assert lost.severity is Severity.NODE_NOT_READY and lost.namespace == ""
    assert lost.reason == "not reporting (NodeStatusUnknown): Kubelet stopped posting node status."


def test_problems_are_ordered_worst_first() -> None:
    later = NOW + timedelta(minutes=10)
    found = problems([*all_pods().values(), job(True), node("False")], later)
    severities = [p.severity for p in found]
    assert severities == sorted(severities)
    assert severities[0] is Severity.CRASH_LOOP
    names = {p.name for p in found}
    assert "web-7d9f8b6c5d-r7g8h" not in names  # running 2/2
    assert "backup-1" in names and "node-2" in names


def batch(upserts: dict[str, list[Obj]], deletes: dict[str, set[str]] | None = None) -> ChangeBatch:
    return ChangeBatch(
        upserts={kind: {o["metadata"]["uid"]: o for o in objs} for kind, objs in upserts.items()},
        deletes=deletes or {},
    )


def test_the_model_follows_the_batches_object_by_object() -> None:
    triage = Triage()
    crash, fine = crash_loop_back_off(), running_2_of_2()
    changed = triage.apply(batch({"Pod": [crash, fine], "Job": [job(True)]}))
    assert changed == {crash["metadata"]["uid"], "uid-job"}
    assert triage.count(NOW) == 2
    assert [p.kind for p in triage.problems(NOW)] == ["Pod", "Job"]
    # Unchanged problems are not reported again; fixed objects leave; deleted ones too.
    healed = running_2_of_2()
    healed["metadata"]["uid"] = crash["metadata"]["uid"]
    version = triage.version
    assert triage.apply(batch({"Pod": [fine], "Job": [job(True)]})) == set()
    assert triage.version == version
    assert triage.apply(batch({"Pod": [healed]})) == {crash["metadata"]["uid"]}
    assert triage.apply(batch({}, {"Job": {"uid-job"}})) == {"uid-job"}
    assert triage.count(NOW) == 0


def test_the_workload_tree_keeps_the_triage() -> None:
    tree = WorkloadTree()
    changes = tree.apply(batch({"Pod": [crash_loop_back_off()]}))
    assert changes.problems == {"uid-web-7d9f8b6c5d-c1l2b"}
    assert tree.triage.count(NOW) == 1


def test_the_cheap_test_never_hides_a_problem() -> None:
    import pods_fixtures as fx

    from ktui.view.triage import _pod_problem, pod_looks_fine

    fine = 0
    for name in fx.EXPECTED_COLUMNS:
        pod = getattr(fx, name)()
        if pod_looks_fine(pod):
            fine += 1
            assert _pod_problem(pod) is None, name
    assert fine >= 2  # running, ready pods pass it
    assert not pod_looks_fine(fx.crash_loop_back_off())
