"""Workload rows (kubectl's per-kind READY columns), health rules and the phase bar."""

from __future__ import annotations

import itertools
from typing import Any

import pods_fixtures as fx
import pytest

from ktui.view.pod import Phase
from ktui.view.workload import (
    PHASE_BAR_ORDER,
    Health,
    health,
    job_completions,
    phase_bar,
    workload_row,
)

NOW = fx.NOW


def _template(*images: str) -> dict[str, Any]:
    return {
        "metadata": {"creationTimestamp": None, "labels": {"app": "web"}},
        "spec": {
            "containers": [
                {"name": f"c{index}", "image": image} for index, image in enumerate(images)
            ],
            "restartPolicy": "Always",
        },
    }


def deployment(**status: Any) -> dict[str, Any]:
    base_status = {
        "observedGeneration": 3,
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
        ],
    }
    base_status.update(status)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "uid": "uid-web",
            "generation": 3,
            "creationTimestamp": fx.ts(3 * 86400),
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": _template("registry.example/web:1.4", "registry.example/exporter:0.9"),
        },
        "status": base_status,
    }


def statefulset(**status: Any) -> dict[str, Any]:
    base_status = {
        "observedGeneration": 2,
        "replicas": 3,
        "readyReplicas": 3,
        "currentReplicas": 3,
        "updatedReplicas": 3,
        "availableReplicas": 3,
        "currentRevision": "db-5d8c7b9f6",
        "updateRevision": "db-5d8c7b9f6",
    }
    base_status.update(status)
    return {
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "shop", "generation": 2},
        "spec": {
            "replicas": 3,
            "serviceName": "db",
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
            "template": _template("registry.example/postgres:16"),
        },
        "status": base_status,
    }


def daemonset(**status: Any) -> dict[str, Any]:
    base_status = {
        "observedGeneration": 1,
        "desiredNumberScheduled": 4,
        "currentNumberScheduled": 4,
        "numberReady": 4,
        "updatedNumberScheduled": 4,
        "numberAvailable": 4,
        "numberMisscheduled": 0,
    }
    base_status.update(status)
    return {
        "kind": "DaemonSet",
        "metadata": {"name": "node-agent", "namespace": "kube-system", "generation": 1},
        "spec": {"template": _template("registry.example/agent:2.0")},
        "status": base_status,
    }


def job(spec: dict[str, Any] | None = None, **status: Any) -> dict[str, Any]:
    return {
        "kind": "Job",
        "metadata": {
            "name": "backup-28991520",
            "namespace": "shop",
            "creationTimestamp": fx.ts(600),
        },
        "spec": {"completions": 1, "parallelism": 1, "backoffLimit": 6, **(spec or {})}
        | {"template": _template("registry.example/tools:1.4")},
        "status": status,
    }


def cronjob(suspend: bool = False, active: int = 0, **extra: Any) -> dict[str, Any]:
    status: dict[str, Any] = {
        "active": [{"kind": "Job", "name": f"backup-{index}"} for index in range(active)],
        **extra,
    }
    if not status["active"]:
        del status["active"]
    return {
        "kind": "CronJob",
        "metadata": {"name": "backup", "namespace": "shop", "creationTimestamp": fx.ts(86400)},
        "spec": {
            "schedule": "*/30 * * * *",
            "suspend": suspend,
            "jobTemplate": {"spec": {"template": _template("registry.example/tools:1.4")}},
        },
        "status": status,
    }


def _condition(kind: str, status: str, reason: str = "") -> dict[str, str]:
    return {"type": kind, "status": status, "reason": reason}


# ---- rows ---------------------------------------------------------------------------------------


def test_deployment_row() -> None:
    pods = [fx.running_2_of_2(), fx.running_2_of_2(), fx.crash_loop_back_off()]
    row = workload_row(
        deployment(readyReplicas=2, availableReplicas=2, updatedReplicas=3), NOW, pods
    )
    assert (row.kind, row.name, row.namespace, row.uid) == ("Deployment", "web", "shop", "uid-web")
    assert row.ready == "2/3"
    assert (row.ready_count, row.desired, row.up_to_date, row.available) == (2, 3, 3, 2)
    assert row.images == "registry.example/web:1.4,registry.example/exporter:0.9"
    assert row.age == "3d"
    assert row.phase_counts[Phase.RUNNING] == 3
    assert sum(row.phase_counts.values()) == 3
    assert row.key == ("Deployment", "shop", "web")


def test_statefulset_row() -> None:
    row = workload_row(statefulset(readyReplicas=1, updatedReplicas=2, availableReplicas=1), NOW)
    assert row.ready == "1/3"
    assert (row.up_to_date, row.available) == (2, 1)
    assert row.age == "<unknown>"


def test_daemonset_row() -> None:
    row = workload_row(daemonset(numberReady=3, updatedNumberScheduled=4, numberAvailable=3), NOW)
    assert row.ready == "3/4"
    assert (row.desired, row.up_to_date, row.available) == (4, 4, 3)
    assert row.images == "registry.example/agent:2.0"


def _without(resource: dict[str, Any], *fields: str) -> dict[str, Any]:
    for name in fields:
        del resource["status"][name]
    return resource


def test_statefulset_on_a_server_without_available_replicas_shows_dash_not_zero() -> None:
    # kube-apiserver 1.20 has no StatefulSet status.availableReplicas: 3/3 ready, AVAILABLE "-".
    row = workload_row(_without(statefulset(), "availableReplicas"), NOW)
    assert row.ready == "3/3"
    assert (row.up_to_date, row.available) == (3, None)


def test_absent_counts_are_not_reported_unless_the_server_means_zero() -> None:
    # Before the controller has written the status (no observedGeneration), nothing is known.
    fresh = _without(
        deployment(), "observedGeneration", "readyReplicas", "updatedReplicas", "availableReplicas"
    )
    row = workload_row(fresh, NOW)
    assert row.ready == "-/3"
    assert (row.up_to_date, row.available) == (None, None)
    no_status = deployment()
    del no_status["status"]
    assert workload_row(no_status, NOW).ready == "-/3"
    row = workload_row(
        _without(
            daemonset(),
            "observedGeneration",
            "numberReady",
            "desiredNumberScheduled",
            "updatedNumberScheduled",
            "numberAvailable",
        ),
        NOW,
    )
    assert row.ready == "-/-"
    assert (row.desired, row.up_to_date, row.available) == (None, None, None)
    # Once observed, the API's omitempty leaves zeros out: an absent count every server knows
    # is a reported 0 (kubectl's "0/3" for a deployment whose pods all crash).
    crashing = _without(deployment(), "readyReplicas", "availableReplicas")
    row = workload_row(crashing, NOW)
    assert (row.ready, row.up_to_date, row.available) == ("0/3", 3, 0)
    # A count that is there but not a number is not reported either.
    assert workload_row(deployment(availableReplicas="3"), NOW).available is None


def test_job_row_shows_completions() -> None:
    row = workload_row(job(succeeded=1), NOW, [fx.completed_job_pod(), fx.failed_job_pod()])
    assert row.ready == "1/1"
    assert (row.up_to_date, row.available) == (None, None)
    assert row.phase_counts[Phase.SUCCEEDED] == 1
    assert row.phase_counts[Phase.FAILED] == 1


def test_cronjob_row_shows_active_jobs_and_schedule() -> None:
    row = workload_row(cronjob(active=2, lastScheduleTime=fx.ts(90)), NOW)
    assert row.ready == "2"
    assert row.ready_count == 2
    assert row.schedule == "*/30 * * * *"
    assert row.last_schedule == "90s"
    assert row.images == "registry.example/tools:1.4"
    assert workload_row(cronjob(), NOW).last_schedule == "<none>"


def test_missing_replicas_default_to_one() -> None:
    resource = deployment(readyReplicas=1)
    del resource["spec"]["replicas"]
    assert workload_row(resource, NOW).ready == "1/1"


def test_unsupported_kind_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unsupported workload kind: ReplicaSet"):
        workload_row({"kind": "ReplicaSet", "metadata": {"name": "x"}}, NOW)
    with pytest.raises(ValueError, match="unsupported workload kind: <missing>"):
        workload_row({"metadata": {"name": "x"}}, NOW)


@pytest.mark.parametrize(
    ("spec", "succeeded", "expected"),
    [
        ({"completions": 5, "parallelism": 2}, 2, "2/5"),
        ({"completions": None, "parallelism": 3}, 0, "0/1 of 3"),
        ({"completions": None, "parallelism": 1}, 1, "1/1"),
    ],
)
def test_job_completions_like_kubectl(spec: dict[str, Any], succeeded: int, expected: str) -> None:
    resource = job(spec, succeeded=succeeded)
    if resource["spec"]["completions"] is None:
        del resource["spec"]["completions"]
    assert job_completions(resource) == expected


# ---- health -------------------------------------------------------------------------------------


def test_health_without_status_is_unknown() -> None:
    resource = deployment()
    del resource["status"]
    assert health(resource) == Health.UNKNOWN
    assert health({"kind": "ConfigMap", "status": {}}) == Health.UNKNOWN


def test_deployment_health_rules() -> None:
    assert health(deployment()) == Health.HEALTHY

    paused = deployment(updatedReplicas=1)
    paused["spec"]["paused"] = True
    assert health(paused) == Health.PAUSED

    assert (
        health(
            deployment(
                updatedReplicas=1,
                conditions=[_condition("Progressing", "False", "ProgressDeadlineExceeded")],
            )
        )
        == Health.FAILED
    )

    # updated < desired
    assert health(deployment(updatedReplicas=1)) == Health.PROGRESSING
    # old replicas still around (surge)
    assert health(deployment(replicas=4)) == Health.PROGRESSING
    # spec change not yet observed
    assert health(deployment(observedGeneration=2)) == Health.PROGRESSING

    # all updated, but fewer available and no rollout under way
    assert health(deployment(availableReplicas=2, readyReplicas=2)) == Health.DEGRADED
    assert (
        health(
            deployment(conditions=[_condition("Available", "False", "MinimumReplicasUnavailable")])
        )
        == Health.DEGRADED
    )
    # all updated, new pods not available yet while the rollout is still under way
    rolling = deployment(
        availableReplicas=2,
        conditions=[_condition("Progressing", "True", "ReplicaSetUpdated")],
    )
    assert health(rolling) == Health.PROGRESSING


def test_statefulset_health_rules() -> None:
    assert health(statefulset()) == Health.HEALTHY
    assert health(statefulset(updateRevision="db-7f9b8c6d5")) == Health.PROGRESSING
    assert health(statefulset(updatedReplicas=2)) == Health.PROGRESSING
    assert health(statefulset(observedGeneration=1)) == Health.PROGRESSING
    assert health(statefulset(readyReplicas=2)) == Health.DEGRADED


def test_partitioned_statefulset_is_done_once_ordinals_above_partition_are_updated() -> None:
    resource = statefulset(updateRevision="db-7f9b8c6d5", updatedReplicas=1)
    resource["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = 2
    assert health(resource) == Health.HEALTHY
    resource["status"]["updatedReplicas"] = 0
    assert health(resource) == Health.PROGRESSING


def test_daemonset_health_rules() -> None:
    assert health(daemonset()) == Health.HEALTHY
    assert health(daemonset(updatedNumberScheduled=3)) == Health.PROGRESSING
    assert health(daemonset(observedGeneration=0)) == Health.PROGRESSING
    assert health(daemonset(numberAvailable=3)) == Health.DEGRADED
    assert health(daemonset(numberReady=3)) == Health.DEGRADED
    assert health(daemonset(numberMisscheduled=1)) == Health.DEGRADED


def test_job_health_rules() -> None:
    assert health(job(succeeded=1, conditions=[_condition("Complete", "True")])) == Health.COMPLETE
    assert (
        health(job(failed=7, conditions=[_condition("Failed", "True", "BackoffLimitExceeded")]))
        == Health.FAILED
    )
    assert health(job(conditions=[_condition("FailureTarget", "True")])) == Health.FAILED
    assert health(job({"suspend": True})) == Health.SUSPENDED
    assert health(job(conditions=[_condition("Suspended", "True")])) == Health.SUSPENDED
    assert health(job(active=1, failed=2)) == Health.DEGRADED
    assert health(job(active=1)) == Health.PROGRESSING
    assert health(job()) == Health.PROGRESSING


def test_cronjob_health_rules() -> None:
    assert health(cronjob(suspend=True, active=1)) == Health.SUSPENDED
    assert health(cronjob(active=1)) == Health.PROGRESSING
    assert health(cronjob()) == Health.HEALTHY


def test_workload_row_carries_health() -> None:
    assert workload_row(deployment(updatedReplicas=1), NOW).health == Health.PROGRESSING


# ---- phase bar ----------------------------------------------------------------------------------


def test_phase_bar_is_proportional_in_bar_order() -> None:
    bar = phase_bar({Phase.PENDING: 1, Phase.RUNNING: 3}, 8)
    assert bar == [(Phase.RUNNING, 6), (Phase.PENDING, 2)]


def test_phase_bar_gives_each_present_phase_a_cell() -> None:
    bar = phase_bar({Phase.RUNNING: 98, Phase.PENDING: 1, Phase.FAILED: 1}, 10)
    assert bar == [(Phase.RUNNING, 8), (Phase.PENDING, 1), (Phase.FAILED, 1)]


def test_phase_bar_narrower_than_phases_keeps_the_largest() -> None:
    counts = {Phase.RUNNING: 5, Phase.PENDING: 1, Phase.FAILED: 3}
    assert phase_bar(counts, 2) == [(Phase.RUNNING, 1), (Phase.FAILED, 1)]


def test_phase_bar_without_pods_or_width_is_empty() -> None:
    assert phase_bar(dict.fromkeys(Phase, 0), 20) == []
    assert phase_bar({}, 20) == []
    assert phase_bar({Phase.RUNNING: 3}, 0) == []


def test_phase_bar_sums_to_width_with_minimums_for_many_mixes() -> None:
    for counts_tuple in itertools.product((0, 1, 2, 7, 40), repeat=len(Phase)):
        counts = dict(zip(PHASE_BAR_ORDER, counts_tuple, strict=True))
        present = [phase for phase in PHASE_BAR_ORDER if counts[phase] > 0]
        for width in (1, 3, 5, 10, 33):
            bar = phase_bar(counts, width)
            if not present:
                assert bar == []
                continue
            assert sum(cells for _, cells in bar) == width, (counts, width, bar)
            assert all(cells >= 1 for _, cells in bar)
            phases = [phase for phase, _ in bar]
            assert phases == [phase for phase in PHASE_BAR_ORDER if phase in phases]
            if width >= len(present):
                assert phases == present
