"""What the restart / pause / resume dialogs say a rollout action will do, per strategy."""

from __future__ import annotations

from typing import Any

import pytest

from ktui.cluster.rollout import restart_effect, restart_refusal

Obj = dict[str, Any]


def workload(kind: str, name: str = "db", **spec: Any) -> Obj:
    return {"kind": kind, "metadata": {"name": name, "namespace": "default"}, "spec": spec}


@pytest.mark.parametrize(
    ("obj", "says"),
    [
        (workload("Deployment"), "every pod is replaced by a rolling update"),
        (
            workload("Deployment", strategy={"type": "Recreate"}),
            "every pod is stopped first, then the new ones start",
        ),
        (workload("DaemonSet"), "every pod is replaced by a rolling update"),
        (
            workload("DaemonSet", updateStrategy={"type": "OnDelete"}),
            "OnDelete no pod is replaced now",
        ),
        (
            workload("StatefulSet", replicas=3, updateStrategy={"type": "OnDelete"}),
            "OnDelete no pod is replaced now",
        ),
        (workload("StatefulSet", replicas=3), "every pod is replaced by a rolling update"),
        (
            workload(
                "StatefulSet",
                replicas=3,
                updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
            ),
            "every pod is replaced by a rolling update",
        ),
        (
            workload(
                "StatefulSet",
                replicas=3,
                updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 2}},
            ),
            "only the pods with ordinal >= 2 (db-2) are replaced by a rolling update; "
            "db-0 … db-1 keep the old template",
        ),
        (
            workload(
                "StatefulSet",
                replicas=3,
                updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 1}},
            ),
            "only the pods with ordinal >= 1 (db-1 … db-2) are replaced by a rolling update; "
            "db-0 keeps the old template",
        ),
        (
            workload(
                "StatefulSet",
                replicas=3,
                updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 5}},
            ),
            "With rollingUpdate.partition 5 and 3 replica(s) no pod is replaced",
        ),
    ],
)
def test_restart_effect_follows_the_update_strategy(obj: Obj, says: str) -> None:
    effect = restart_effect(str(obj["kind"]), obj)
    assert effect.startswith("Sets kubectl.kubernetes.io/restartedAt on the pod template")
    assert says in effect


def test_only_a_paused_deployment_is_refused() -> None:
    assert restart_refusal("Deployment", workload("Deployment", "web", paused=True)) == (
        'deployments.apps "web" can\'t restart paused deployment (run rollout resume first)'
    )
    assert restart_refusal("Deployment", workload("Deployment", "web")) is None
    assert restart_refusal("StatefulSet", workload("StatefulSet", paused=True)) is None
