"""Triage: what is not fine, worst first, with a reason in plain words; kept incrementally."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import test_view_stuck as stuck
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
from ktui.view.stuck import rollout_problem
from ktui.view.triage import Severity, problem_of, problems, rollout_stuck_problem

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
        # Since the pod stopped being ready (the kubelet's first report, a second after it
        # was created 300 s ago): the waiting reason has no time of its own.
        assert problem.since == NOW - timedelta(seconds=299)


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
        "ProgressDeadlineExceeded · Rollout failed: no progress within progressDeadlineSeconds "
        '(ReplicaSet "web-5d" has timed out progressing.).'
    )
    assert stuck.since == NOW - timedelta(seconds=10)  # when the controller gave up
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
    assert quota.reason.startswith(
        "FailedCreate · Rollout stuck: the Deployment cannot create pods (FailedCreate): pods"
    )
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


# ---------------------------------------------------------------- stuck rollouts, with their pods
#
# A Deployment rolling from nginx:1.27 to a tag that does not exist, as kube-apiserver 1.20
# returns it (test_view_stuck's objects): the controller keeps Progressing=True for ten minutes,
# while the new pod says at once that it cannot pull its image.


def rollout_batch(*objs: Obj) -> ChangeBatch:
    upserts: dict[str, dict[str, Obj]] = {}
    for obj in objs:
        upserts.setdefault(obj["kind"], {})[obj["metadata"]["uid"]] = obj
    return ChangeBatch(upserts=upserts)


def stuck_web() -> tuple[Obj, list[Obj], list[Obj]]:
    new_pod = stuck.pod("web-7d4b9c6f5d-zzzzz", "rs-new", waiting=stuck.PULL_BACKOFF)
    return stuck.deployment(), [stuck.OLD_RS, stuck.NEW_RS], [*stuck.old_pods(), new_pod]


def test_a_stuck_rollout_is_listed_with_its_pods_reason_before_the_deadline() -> None:
    deployment, replicasets, pods = stuck_web()
    # The object alone says nothing yet: Progressing=True, the deadline is minutes away.
    assert problem_of(deployment) is None
    tree = WorkloadTree(clock=lambda: NOW)
    changes = tree.apply(rollout_batch(deployment, *replicasets, *pods))
    assert "dep-uid" in changes.problems
    problem = tree.triage.get("dep-uid")
    assert problem is not None and problem.severity is Severity.ROLLOUT_STUCK
    assert (problem.kind, problem.namespace, problem.name) == ("Deployment", "shop", "web")
    assert problem.reason == (
        "ImagePullBackOff · Rollout stuck: the new pod (web-7d4b9c6f5d-zzzzz) is in "
        'ImagePullBackOff: Back-off pulling image "nginx:1.28-typo"'
    )
    # The same verdict as HEALTH and the rollout screen read.
    verdict = tree.rollout_problem("dep-uid", NOW)
    assert verdict is not None and problem.reason == f"{verdict.reason} · {verdict.sentence}"
    # Stuck since the controller last saw progress (Progressing's lastUpdateTime).
    assert problem.since is not None and problem.since.isoformat() == "2025-03-01T11:58:00+00:00"
    # The new pod pulls its image after all: the Deployment is fine again.
    healed = stuck.pod("web-7d4b9c6f5d-zzzzz", "rs-new", ready=True)
    healed_changes = tree.apply(rollout_batch(healed))
    assert healed_changes.problems == {"dep-uid", "uid-web-7d4b9c6f5d-zzzzz"}
    assert tree.triage.get("dep-uid") is None


def test_old_pods_crashing_do_not_make_the_rollout_stuck() -> None:
    deployment, replicasets, _ = stuck_web()
    crashing_old = stuck.pod(
        "web-5c8d7f9b6-ccccc", "rs-old", waiting={"reason": "CrashLoopBackOff"}
    )
    tree = WorkloadTree(clock=lambda: NOW)
    tree.apply(rollout_batch(deployment, *replicasets, crashing_old))
    assert tree.triage.get("dep-uid") is None  # what a rollback would bring back, not why
    assert tree.triage.get("uid-web-5c8d7f9b6-ccccc") is not None  # the pod itself is listed


def test_held_rollouts_are_not_problems_and_statefulsets_are_judged_too() -> None:
    tree = WorkloadTree(clock=lambda: NOW)
    paused = stuck.deployment()
    paused["spec"]["paused"] = True
    tree.apply(rollout_batch(paused, stuck.OLD_RS, stuck.NEW_RS, *stuck.old_pods()))
    verdict = tree.rollout_problem("dep-uid", NOW)
    assert verdict is not None and verdict.held  # the rollout screen says "paused"
    assert tree.triage.get("dep-uid") is None
    crash = {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}
    sts_pods = [
        stuck.sts_pod(0, "db-6b9f7c8d4"),
        stuck.sts_pod(1, "db-6b9f7c8d4"),
        stuck.sts_pod(2, "db-84c5d9f7b", waiting=crash),
    ]
    tree.apply(rollout_batch(stuck.statefulset(), *sts_pods))
    problem = tree.triage.get("sts-uid")
    assert problem is not None and problem.reason.startswith(
        "CrashLoopBackOff · Rollout stuck at ordinal 2: pod db-2 is in CrashLoopBackOff"
    )
    assert problem.since is None  # a StatefulSet has no Progressing condition
    # A partition hold is not a problem either.
    held = stuck.statefulset(partition=2, readyReplicas=3, currentReplicas=2, updatedReplicas=1)
    tree.apply(rollout_batch(held, *(stuck.sts_pod(n, "db-6b9f7c8d4") for n in range(3))))
    assert tree.triage.get("sts-uid") is None


def test_deleting_a_stuck_workload_forgets_its_problem() -> None:
    deployment, replicasets, pods = stuck_web()
    tree = WorkloadTree(clock=lambda: NOW)
    tree.apply(rollout_batch(deployment, *replicasets, *pods))
    assert tree.triage.get("dep-uid") is not None
    changes = tree.apply(ChangeBatch(deletes={"Deployment": {"dep-uid"}}))
    assert "dep-uid" in changes.problems and tree.triage.get("dep-uid") is None


def test_only_the_workloads_a_batch_touched_are_judged_again(monkeypatch: Any) -> None:
    """At 10,000 pods and 2,000 changes a second the verdicts must follow the changes: a batch
    of one pod re-judges that pod's workload and no other."""
    import ktui.model.workloads as workloads_module

    judged: list[str] = []
    real = workloads_module.rollout_problem

    def counting(workload: Obj, *args: Any) -> Any:
        judged.append(workload["metadata"]["uid"])
        return real(workload, *args)

    monkeypatch.setattr(workloads_module, "rollout_problem", counting)
    deployment, replicasets, pods = stuck_web()
    other = stuck.deployment(image="nginx:1.27")
    other["metadata"] = {**other["metadata"], "name": "api", "uid": "api-uid"}
    tree = WorkloadTree(clock=lambda: NOW)
    tree.apply(rollout_batch(deployment, *replicasets, *pods, other))
    assert sorted(judged) == ["api-uid", "dep-uid"]
    # A bare pod changes: no workload is judged.
    judged.clear()
    tree.apply(rollout_batch(running_2_of_2()))
    assert judged == []
    # One of web's pods changes: web only.
    judged.clear()
    tree.apply(rollout_batch(stuck.pod("web-5c8d7f9b6-aaaaa", "rs-old", ready=False)))
    assert judged == ["dep-uid"]
    # A ReplicaSet of web changes: web only. Reading the verdict judges nothing.
    judged.clear()
    tree.apply(rollout_batch(stuck.NEW_RS))
    assert judged == ["dep-uid"]
    tree.rollout_problem("dep-uid", NOW)
    tree.rollout_problem("api-uid", NOW)
    assert judged == ["dep-uid"]
    assert tree.triage.get("dep-uid") is not None


def test_the_kept_verdict_equals_one_made_from_scratch() -> None:
    """After every batch of a random sequence, the verdict kept per workload is the one
    `rollout_problem` gives over the workload's current objects."""
    rng = random.Random(11)
    waits = [None, stuck.PULL_BACKOFF, stuck.ERR_PULL, {"reason": "CrashLoopBackOff"}]
    tree = WorkloadTree(clock=lambda: NOW)
    deployment, replicasets, _ = stuck_web()
    current: dict[str, Obj] = {}
    stuck_steps = 0
    tree.apply(rollout_batch(deployment, *replicasets))
    for step in range(200):
        name = f"web-{rng.choice(['5c8d7f9b6', '7d4b9c6f5d'])}-{rng.randrange(4)}"
        owner = "rs-new" if "7d4b9c6f5d" in name else "rs-old"
        if rng.random() < 0.2 and current:
            uid = rng.choice(sorted(current))
            del current[uid]
            tree.apply(ChangeBatch(deletes={"Pod": {uid}}))
        else:
            waiting = rng.choice(waits)
            pod = stuck.pod(name, owner, waiting=waiting, ready=waiting is None)
            current[pod["metadata"]["uid"]] = pod
            tree.apply(rollout_batch(pod))
        expected = rollout_problem(deployment, replicasets, list(current.values()), NOW)
        assert tree.rollout_problem("dep-uid", NOW) == expected, step
        expected_problem = rollout_stuck_problem(deployment, expected)
        assert tree.triage.get("dep-uid") == expected_problem, step
        stuck_steps += expected_problem is not None
    assert 50 < stuck_steps < 200  # both verdicts were kept, many times


def test_the_count_follows_time_and_changes_as_a_full_count_does() -> None:
    """`count` is kept problem by problem (appeared, changed, gone, deleted) with the edges
    of the timed ones; at every moment, at an edge too, it equals counting them all."""
    import random
    from datetime import timedelta

    from ktui.view.triage import Problem, Severity

    rng = random.Random(7)
    triage = Triage()
    known: dict[str, Problem] = {}

    def problem(i: int) -> Problem:
        start = NOW + timedelta(seconds=rng.randrange(-30, 60)) if rng.random() < 0.5 else None
        end = NOW + timedelta(seconds=rng.randrange(0, 90)) if rng.random() < 0.4 else None
        return Problem(
            Severity.PENDING, "Pod", "default", f"p{i}", f"uid-{i}", "pending", None, start, end
        )

    moment = NOW
    for step in range(300):
        if rng.random() < 0.05:
            i = rng.randrange(40)
            triage.apply(ChangeBatch(deletes={"Pod": {f"uid-{i}"}}))
            known.pop(f"uid-{i}", None)
        elif rng.random() < 0.3:
            i = rng.randrange(40)
            verdict = problem(i) if rng.random() < 0.7 else None
            pod = {"metadata": {"uid": f"uid-{i}", "name": f"p{i}", "namespace": "default"}}
            triage.apply(batch({"Pod": [pod]}), problems={f"uid-{i}": verdict})
            if verdict is None:
                known.pop(f"uid-{i}", None)
            else:
                known[f"uid-{i}"] = verdict
        moment += timedelta(seconds=rng.choice([0, 0.5, 1, 7, -3]))
        if known and rng.random() < 0.2:  # exactly at an edge of a problem
            edges = [e for p in known.values() for e in (p.shown_from, p.shown_until) if e]
            moment = rng.choice(edges) if edges else moment
        expected = sum(1 for p in known.values() if p.active(moment))
        assert triage.count(moment) == expected, f"step {step}"
        assert triage.total == len(known)
