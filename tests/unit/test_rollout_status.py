"""rollout_status: every branch of kubectl v1.32's StatusViewers, byte for byte.

The objects are shaped like what kube-apiserver returns (defaulted specs, real status fields);
expected strings are kubectl's, several of them checked against `kubectl rollout status` on a
v1.20 control plane.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ktui.cluster.rollout import RolloutError, is_rollout_complete, rollout_status


def deployment(
    *,
    replicas: int | None = 3,
    generation: int = 4,
    observed: int = 4,
    status: dict[str, Any] | None = None,
    revision: str | None = "3",
    name: str = "web",
) -> dict[str, Any]:
    annotations = {} if revision is None else {"deployment.kubernetes.io/revision": revision}
    spec: dict[str, Any] = {
        "progressDeadlineSeconds": 600,
        "revisionHistoryLimit": 10,
        "selector": {"matchLabels": {"app": name}},
        "strategy": {
            "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            "type": "RollingUpdate",
        },
        "template": {
            "metadata": {"creationTimestamp": None, "labels": {"app": name}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]},
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": "lab",
            "uid": "6a4a6145-3eb1-48c3-8bd6-da084928e366",
            "generation": generation,
            "annotations": annotations,
        },
        "spec": spec,
        "status": {"observedGeneration": observed, **(status or {})},
    }


def progressing(reason: str) -> dict[str, Any]:
    return {
        "conditions": [
            {
                "type": "Available",
                "status": "False",
                "reason": "MinimumReplicasUnavailable",
                "message": "Deployment does not have minimum availability.",
            },
            {
                "type": "Progressing",
                "status": "False" if reason == "ProgressDeadlineExceeded" else "True",
                "reason": reason,
                "message": 'ReplicaSet "web-59dcf499cb" has timed out progressing.',
            },
        ]
    }


# ---- Deployment ------------------------------------------------------------------------------


def test_deployment_waiting_for_new_replicas() -> None:
    obj = deployment(status={"replicas": 4, "updatedReplicas": 1, "unavailableReplicas": 4})
    status = rollout_status(obj)
    assert status.message == (
        'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been '
        "updated...\n"
    )
    assert (status.done, status.failed, status.error) == (False, False, None)
    assert (status.desired, status.updated, status.old) == (3, 1, 3)


def test_deployment_old_replicas_pending_termination() -> None:
    obj = deployment(
        status={"replicas": 5, "updatedReplicas": 3, "readyReplicas": 5, "availableReplicas": 5}
    )
    status = rollout_status(obj)
    assert status.message == (
        'Waiting for deployment "web" rollout to finish: 2 old replicas are pending '
        "termination...\n"
    )
    assert not status.done
    assert (status.old, status.ready, status.available) == (2, 5, 5)


def test_deployment_updated_replicas_not_yet_available() -> None:
    obj = deployment(
        status={"replicas": 3, "updatedReplicas": 3, "readyReplicas": 2, "availableReplicas": 2}
    )
    status = rollout_status(obj)
    assert status.message == (
        'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...\n'
    )
    assert not status.done


def test_deployment_successfully_rolled_out() -> None:
    obj = deployment(
        status={"replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3}
    )
    status = rollout_status(obj)
    assert status.message == 'deployment "web" successfully rolled out\n'
    assert status.done and status.error is None and not status.failed
    assert status.old == 0
    assert is_rollout_complete(obj)


def test_deployment_scaled_to_zero_is_rolled_out() -> None:
    status = rollout_status(deployment(replicas=0, status={}))
    assert status.message == 'deployment "web" successfully rolled out\n'
    assert status.done


def test_deployment_without_replicas_skips_the_new_replicas_check() -> None:
    # spec.replicas is a pointer in Go: nil skips the first check.
    obj = deployment(replicas=None, status={"replicas": 2, "updatedReplicas": 1})
    assert rollout_status(obj).message == (
        'Waiting for deployment "web" rollout to finish: 1 old replicas are pending '
        "termination...\n"
    )


def test_deployment_spec_update_not_observed() -> None:
    obj = deployment(generation=5, observed=4, status={"replicas": 3, "updatedReplicas": 3})
    status = rollout_status(obj)
    assert status.message == "Waiting for deployment spec update to be observed...\n"
    assert not status.done and not status.observed


def test_deployment_unobserved_hides_even_a_progress_deadline() -> None:
    obj = deployment(generation=5, observed=4, status=progressing("ProgressDeadlineExceeded"))
    status = rollout_status(obj)
    assert status.message == "Waiting for deployment spec update to be observed...\n"
    assert status.error is None


def test_deployment_progress_deadline_exceeded_is_a_failure() -> None:
    obj = deployment(
        status={"replicas": 3, "updatedReplicas": 1, **progressing("ProgressDeadlineExceeded")}
    )
    status = rollout_status(obj)
    assert status.message == ""
    assert status.error == 'deployment "web" exceeded its progress deadline'
    assert status.failed and not status.done
    assert not is_rollout_complete(obj)


def test_deployment_progressing_condition_with_other_reason_is_not_a_failure() -> None:
    obj = deployment(
        status={"replicas": 3, "updatedReplicas": 1, **progressing("NewReplicaSetAvailable")}
    )
    assert rollout_status(obj).error is None


def test_deployment_revision_matches() -> None:
    obj = deployment(status={"replicas": 3, "updatedReplicas": 3, "availableReplicas": 3})
    assert rollout_status(obj, 3).message == 'deployment "web" successfully rolled out\n'


def test_deployment_revision_mismatch_is_an_error() -> None:
    status = rollout_status(deployment(status={}), 2)
    assert status.error == "desired revision (2) is different from the running revision (3)"
    assert status.message == "" and not status.done


def test_deployment_missing_revision_annotation_is_revision_zero() -> None:
    status = rollout_status(deployment(revision=None, status={}), 1)
    assert status.error == "desired revision (1) is different from the running revision (0)"


def test_deployment_garbled_revision_annotation() -> None:
    status = rollout_status(deployment(revision="3a", status={}), 1)
    assert status.error == (
        'cannot get the revision of deployment "web": strconv.ParseInt: parsing "3a": '
        "invalid syntax"
    )


def test_revision_zero_or_none_is_not_checked() -> None:
    obj = deployment(revision="x", status={"replicas": 3, "updatedReplicas": 3})
    assert rollout_status(obj, 0).error is None
    assert rollout_status(obj, None).error is None


def test_kind_is_taken_from_the_argument_for_list_items() -> None:
    obj = deployment(status={"replicas": 3, "updatedReplicas": 3})
    del obj["kind"]
    with pytest.raises(RolloutError, match="no 'kind' field"):
        rollout_status(obj)
    assert rollout_status(obj, kind="deployment").kind == "Deployment"


def test_unsupported_kind() -> None:
    with pytest.raises(RolloutError, match="not supported for kind 'ReplicaSet'"):
        rollout_status({"kind": "ReplicaSet", "metadata": {"name": "x"}})


# ---- DaemonSet -------------------------------------------------------------------------------


def daemon_set(
    *, strategy: str = "RollingUpdate", generation: int = 2, status: dict[str, Any]
) -> dict[str, Any]:
    update_strategy: dict[str, Any] = {"type": strategy}
    if strategy == "RollingUpdate":
        update_strategy["rollingUpdate"] = {"maxSurge": 0, "maxUnavailable": 1}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "lab", "generation": generation},
        "spec": {
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": []}},
            "updateStrategy": update_strategy,
        },
        "status": {"observedGeneration": 2, **status},
    }


def test_daemon_set_pods_being_updated() -> None:
    obj = daemon_set(
        status={
            "currentNumberScheduled": 3,
            "desiredNumberScheduled": 3,
            "numberMisscheduled": 0,
            "numberReady": 0,
            "numberUnavailable": 3,
        }
    )
    status = rollout_status(obj)
    assert status.message == (
        'Waiting for daemon set "agent" rollout to finish: 0 out of 3 new pods have been '
        "updated...\n"
    )
    assert (status.desired, status.updated, status.old) == (3, 0, 3)


def test_daemon_set_updated_pods_not_available() -> None:
    obj = daemon_set(
        status={
            "currentNumberScheduled": 3,
            "desiredNumberScheduled": 3,
            "updatedNumberScheduled": 3,
            "numberAvailable": 1,
            "numberReady": 1,
        }
    )
    assert rollout_status(obj).message == (
        'Waiting for daemon set "agent" rollout to finish: 1 of 3 updated pods are available...\n'
    )


def test_daemon_set_rolled_out() -> None:
    obj = daemon_set(
        status={
            "currentNumberScheduled": 3,
            "desiredNumberScheduled": 3,
            "updatedNumberScheduled": 3,
            "numberAvailable": 3,
            "numberReady": 3,
        }
    )
    status = rollout_status(obj)
    assert status.message == 'daemon set "agent" successfully rolled out\n'
    assert status.done and is_rollout_complete(obj)


def test_daemon_set_spec_update_not_observed() -> None:
    obj = daemon_set(generation=3, status={"desiredNumberScheduled": 3})
    assert rollout_status(obj).message == "Waiting for daemon set spec update to be observed...\n"


def test_daemon_set_on_delete_has_no_rollout_status() -> None:
    status = rollout_status(daemon_set(strategy="OnDelete", status={}))
    assert status.error == "rollout status is only available for RollingUpdate strategy type"
    assert status.done and not status.failed and status.message == ""
    assert not is_rollout_complete(daemon_set(strategy="OnDelete", status={}))


# ---- StatefulSet -----------------------------------------------------------------------------


def stateful_set(
    *,
    replicas: int | None = 3,
    generation: int = 2,
    observed: int = 2,
    update_strategy: dict[str, Any] | None = None,
    status: dict[str, Any],
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "podManagementPolicy": "OrderedReady",
        "revisionHistoryLimit": 10,
        "selector": {"matchLabels": {"app": "db"}},
        "serviceName": "db",
        "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": []}},
        "updateStrategy": copy.deepcopy(
            update_strategy
            if update_strategy is not None
            else {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
        ),
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "lab", "generation": generation},
        "spec": spec,
        "status": {"observedGeneration": observed, **status} if observed else status,
    }


def test_stateful_set_never_observed() -> None:
    status = rollout_status(stateful_set(observed=0, status={"replicas": 0}))
    assert status.message == "Waiting for statefulset spec update to be observed...\n"
    assert not status.observed


def test_stateful_set_spec_update_not_observed() -> None:
    obj = stateful_set(generation=3, observed=2, status={"readyReplicas": 3})
    assert rollout_status(obj).message == "Waiting for statefulset spec update to be observed...\n"


def test_stateful_set_waiting_for_ready_pods() -> None:
    obj = stateful_set(status={"replicas": 3, "readyReplicas": 1, "currentReplicas": 3})
    status = rollout_status(obj)
    assert status.message == "Waiting for 2 pods to be ready...\n"
    assert not status.done


def test_stateful_set_partitioned_rollout_in_progress() -> None:
    obj = stateful_set(
        update_strategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 1}},
        status={"replicas": 3, "readyReplicas": 3, "updatedReplicas": 1},
    )
    assert rollout_status(obj).message == (
        "Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...\n"
    )


def test_stateful_set_partitioned_rollout_complete() -> None:
    obj = stateful_set(
        update_strategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 1}},
        status={"replicas": 3, "readyReplicas": 3, "updatedReplicas": 2},
    )
    status = rollout_status(obj)
    assert status.message == "partitioned roll out complete: 2 new pods have been updated...\n"
    assert status.done


def test_stateful_set_default_partition_reports_partitioned_completion() -> None:
    # The API server defaults rollingUpdate.partition to 0, so kubectl takes this branch.
    obj = stateful_set(status={"replicas": 3, "readyReplicas": 3, "updatedReplicas": 3})
    assert rollout_status(obj).message == (
        "partitioned roll out complete: 3 new pods have been updated...\n"
    )


def test_stateful_set_rolling_update_without_partition_block_in_progress() -> None:
    obj = stateful_set(
        update_strategy={"type": "RollingUpdate"},
        status={
            "replicas": 3,
            "readyReplicas": 3,
            "updatedReplicas": 1,
            "currentReplicas": 2,
            "currentRevision": "db-645bf85f48",
            "updateRevision": "db-8666f7cb8f",
        },
    )
    status = rollout_status(obj)
    assert status.message == (
        "waiting for statefulset rolling update to complete 1 pods at revision db-8666f7cb8f...\n"
    )
    assert not status.done
    assert status.old == 2


def test_stateful_set_rolling_update_without_partition_block_complete() -> None:
    obj = stateful_set(
        update_strategy={"type": "RollingUpdate", "rollingUpdate": None},
        status={
            "replicas": 3,
            "readyReplicas": 3,
            "updatedReplicas": 3,
            "currentReplicas": 3,
            "currentRevision": "db-8666f7cb8f",
            "updateRevision": "db-8666f7cb8f",
        },
    )
    status = rollout_status(obj)
    assert status.message == (
        "statefulset rolling update complete 3 pods at revision db-8666f7cb8f...\n"
    )
    assert status.done and is_rollout_complete(obj)


def test_stateful_set_on_delete_has_no_rollout_status() -> None:
    obj = stateful_set(update_strategy={"type": "OnDelete"}, status={"replicas": 1})
    status = rollout_status(obj)
    assert status.error == "rollout status is only available for RollingUpdate strategy type"
    assert status.done and not status.failed


def test_stateful_set_revision_argument_is_ignored() -> None:
    obj = stateful_set(status={"replicas": 3, "readyReplicas": 3, "updatedReplicas": 3})
    assert rollout_status(obj, 42).error is None
