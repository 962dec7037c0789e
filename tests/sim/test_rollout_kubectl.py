"""ktui's rollout operations side by side with kubectl on the embedded API server.

The embedded cluster has no workload controllers, so each test seeds what the Deployment /
DaemonSet / StatefulSet controllers would have written (ReplicaSets, ControllerRevisions,
statuses) and then compares ktui with kubectl on the same objects: the same output text, and
for writes, twin objects ("-a" changed by kubectl, "-b" by ktui) end up identical.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Kubectl

from ktui.cluster.rollout import (
    RolloutError,
    execute_undo,
    fetch_workload,
    history_table,
    pause,
    plan_undo,
    restart,
    resume,
    rollout_history,
    rollout_status,
    scale,
)
from ktui.cluster.transport import request_json
from ktui.sim.server import SimServer

NS = "default"
APPS = f"/apis/apps/v1/namespaces/{NS}"
PLURALS = {"deployment": "deployments", "daemonset": "daemonsets", "statefulset": "statefulsets"}
CHILDREN = {"deployment": "replicasets", "daemonset": "controllerrevisions"}
CHILDREN["statefulset"] = "controllerrevisions"


@pytest.fixture
def api(sim: SimServer) -> Iterator[Any]:
    client = sim.api_client()
    yield client
    client.close()


def template(app: str, image: str, hash_: str | None = None) -> dict[str, Any]:
    labels = {"app": app}
    if hash_ is not None:
        labels["pod-template-hash"] = hash_
    return {
        "metadata": {"creationTimestamp": None, "labels": labels},
        "spec": {
            "containers": [
                {
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    "name": "c",
                    "resources": {"limits": {"cpu": "500m"}},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                }
            ],
            "dnsPolicy": "ClusterFirst",
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "terminationGracePeriodSeconds": 30,
        },
    }


def create(api: Any, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
    return request_json(api, "POST", f"{APPS}/{plural}", body=obj)


def owner_ref(owner: dict[str, Any], kind: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def seed_deployment(api: Any, name: str) -> None:
    """A Deployment at revision 3 (image v3) with the ReplicaSets of revisions 1-3."""
    dep = create(
        api,
        "deployments",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": name,
                "annotations": {
                    "deployment.kubernetes.io/revision": "3",
                    "kubernetes.io/change-cause": "set image v3",
                    "team": "payments",
                },
            },
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": name}},
                "template": template(name, "img:v3"),
            },
        },
    )
    for revision, cause in ((1, None), (2, "set image v2"), (3, "set image v3")):
        hash_ = f"hash{revision}"
        annotations = {
            "deployment.kubernetes.io/revision": str(revision),
            "deployment.kubernetes.io/desired-replicas": "2",
            "deployment.kubernetes.io/max-replicas": "3",
        }
        if cause:
            annotations["kubernetes.io/change-cause"] = cause
        create(
            api,
            "replicasets",
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": f"{name}-{hash_}",
                    "labels": {"app": name, "pod-template-hash": hash_},
                    "annotations": annotations,
                    "ownerReferences": [owner_ref(dep, "Deployment")],
                },
                "spec": {
                    "replicas": 2 if revision == 3 else 0,
                    "selector": {"matchLabels": {"app": name, "pod-template-hash": hash_}},
                    "template": template(name, f"img:v{revision}", hash_),
                },
            },
        )


def seed_revision_workload(api: Any, kind: str, name: str) -> None:
    """A DaemonSet / StatefulSet on image v3 with the ControllerRevisions 1-3."""
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": template(name, "img:v3"),
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
        if kind == "statefulset"
        else {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
    }
    if kind == "statefulset":
        spec.update(replicas=2, serviceName=name)
    owner = create(
        api,
        PLURALS[kind],
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet" if kind == "statefulset" else "DaemonSet",
            "metadata": {"name": name, "annotations": {"kubernetes.io/change-cause": "v3"}},
            "spec": spec,
        },
    )
    for revision in (1, 2, 3):
        data_template = template(name, f"img:v{revision}")
        data_template["$patch"] = "replace"
        annotations = {"kubernetes.io/change-cause": f"v{revision}"} if revision > 1 else {}
        create(
            api,
            "controllerrevisions",
            {
                "apiVersion": "apps/v1",
                "kind": "ControllerRevision",
                "metadata": {
                    "name": f"{name}-rev{revision}",
                    "labels": {"app": name, "controller-revision-hash": f"rev{revision}"},
                    "annotations": annotations,
                    "ownerReferences": [owner_ref(owner, owner["kind"])],
                },
                # As the controllers write it (Go's json.Marshal of a map: keys sorted); the
                # apiserver keeps these bytes and kubectl compares them with its own.
                "data": json.loads(
                    json.dumps({"spec": {"template": data_template}}, sort_keys=True)
                ),
                "revision": revision,
            },
        )


def fetch(api: Any, kind: str, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    obj = request_json(api, "GET", f"{APPS}/{PLURALS[kind]}/{name}")
    children = request_json(api, "GET", f"{APPS}/{CHILDREN[kind]}")["items"]
    return obj, children


def comparable(api: Any, kind: str, name: str) -> tuple[str, str]:
    """The twin's template and annotations, its name replaced, for comparing twins."""
    obj, _ = fetch(api, kind, name)
    twin = name[:-2]
    return (
        json.dumps(obj["spec"]["template"], sort_keys=True).replace(name, twin),
        json.dumps(obj["metadata"].get("annotations", {}), sort_keys=True).replace(name, twin),
    )


def seed(api: Any, kind: str, name: str) -> None:
    if kind == "deployment":
        seed_deployment(api, name)
    else:
        seed_revision_workload(api, kind, name)


KINDS = ("deployment", "daemonset", "statefulset")


@pytest.mark.parametrize("kind", KINDS)
def test_history_table_is_kubectls(api: Any, kubectl: Kubectl, kind: str) -> None:
    seed(api, kind, "web")
    obj, children = fetch(api, kind, "web")
    ours = history_table(rollout_history(kind, obj, children), kind, "web")
    assert ours == kubectl("rollout", "history", f"{kind}/web").stdout


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("to_revision", [0, 1, 3, 9])
def test_undo_twins_match_kubectl(api: Any, kubectl: Kubectl, kind: str, to_revision: int) -> None:
    seed(api, kind, "web-a")
    seed(api, kind, "web-b")
    theirs = kubectl(
        "rollout", "undo", f"{kind}/web-a", f"--to-revision={to_revision}", check=False
    )
    obj, children = fetch(api, kind, "web-b")
    try:
        ours = execute_undo(api, plan_undo(kind, obj, children, to_revision)) + "\n"
        error = ""
    except RolloutError as exc:
        ours, error = "", f"error: {exc.message}\n"
    assert (ours.replace("web-b", "web-a"), error) == (theirs.stdout, theirs.stderr)
    assert comparable(api, kind, "web-a") == comparable(api, kind, "web-b")


def test_paused_deployment_undo_is_refused_like_kubectl(api: Any, kubectl: Kubectl) -> None:
    seed_deployment(api, "web")
    kubectl("rollout", "pause", "deployment/web")
    theirs = kubectl("rollout", "undo", "deployment/web", check=False)
    obj, children = fetch(api, "deployment", "web")
    with pytest.raises(RolloutError) as info:
        plan_undo("deployment", obj, children)
    assert theirs.stderr == f"error: {info.value.message}\n"


@pytest.mark.parametrize("kind", KINDS)
def test_restart_pause_resume_twins_match_kubectl(api: Any, kubectl: Kubectl, kind: str) -> None:
    seed(api, kind, "web-a")
    seed(api, kind, "web-b")
    now = dt.datetime.now(dt.UTC)
    theirs = kubectl("rollout", "restart", f"{kind}/web-a")
    ours = restart(api, kind, NS, "web-b", now)
    assert ours.replace("web-b", "web-a") + "\n" == theirs.stdout
    stamp_a = fetch(api, kind, "web-a")[0]["spec"]["template"]["metadata"]["annotations"]
    stamp_b = fetch(api, kind, "web-b")[0]["spec"]["template"]["metadata"]["annotations"]
    # Both are RFC 3339 stamps; kubectl's was taken a moment before ktui's.
    assert stamp_a.keys() == stamp_b.keys() == {"kubectl.kubernetes.io/restartedAt"}
    restarted_a = dt.datetime.fromisoformat(stamp_a["kubectl.kubernetes.io/restartedAt"])
    restarted_b = dt.datetime.fromisoformat(stamp_b["kubectl.kubernetes.io/restartedAt"])
    assert restarted_b - restarted_a < dt.timedelta(minutes=5)
    for operation in ("pause", "pause", "resume", "resume"):
        theirs = kubectl("rollout", operation, f"{kind}/web-a", check=False)
        try:
            ours = {"pause": pause, "resume": resume}[operation](api, kind, NS, "web-b") + "\n"
            error = ""
        except RolloutError as exc:
            ours, error = "", f"error: {exc.message}\n"
        assert (ours.replace("web-b", "web-a"), error.replace("web-b", "web-a")) == (
            theirs.stdout,
            theirs.stderr,
        ), operation
    assert comparable(api, kind, "web-a")[1] == comparable(api, kind, "web-b")[1]
    obj_a, _ = fetch(api, kind, "web-a")
    obj_b, _ = fetch(api, kind, "web-b")
    assert obj_a["spec"].get("paused") == obj_b["spec"].get("paused")


def test_restart_of_a_paused_deployment_is_refused_like_kubectl(api: Any, kubectl: Kubectl) -> None:
    seed_deployment(api, "web")
    kubectl("rollout", "pause", "deployment/web")
    theirs = kubectl("rollout", "restart", "deployment/web", check=False)
    with pytest.raises(RolloutError) as info:
        restart(api, "deployment", NS, "web", dt.datetime.now(dt.UTC))
    assert theirs.stderr == f"error: {info.value.message}\n"


@pytest.mark.parametrize("kind", ["deployment", "statefulset"])
def test_scale_twins_match_kubectl(api: Any, kubectl: Kubectl, kind: str) -> None:
    seed(api, kind, "web-a")
    seed(api, kind, "web-b")
    theirs = kubectl("scale", f"{kind}/web-a", "--replicas=5")
    assert scale(api, kind, NS, "web-b", 5).replace("web-b", "web-a") + "\n" == theirs.stdout
    for name in ("web-a", "web-b"):
        assert fetch(api, kind, name)[0]["spec"]["replicas"] == 5
    stale = kubectl("scale", f"{kind}/web-a", "--replicas=1", "--resource-version=1", check=False)
    with pytest.raises(RolloutError) as info:
        scale(api, kind, NS, "web-b", 1, resource_version="1")
    assert stale.stderr.split(", was")[0] == f"error: {info.value.message}".split(", was")[0]
    current = request_json(api, "GET", f"{APPS}/{PLURALS[kind]}/web-b/scale")
    version = current["metadata"]["resourceVersion"]
    assert scale(api, kind, NS, "web-b", 1, resource_version=version).endswith(" scaled")
    assert fetch(api, kind, "web-b")[0]["spec"]["replicas"] == 1


STATUSES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("deployment", {}, {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 1}),
    ("deployment", {}, {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 2}),
    (
        "deployment",
        {},
        {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 1},
    ),
    (
        "deployment",
        {},
        {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2},
    ),
    ("deployment", {}, {"observedGeneration": 0}),
    (
        "deployment",
        {},
        {
            "observedGeneration": 1,
            "replicas": 2,
            "updatedReplicas": 1,
            "conditions": [
                {
                    "type": "Progressing",
                    "status": "False",
                    "reason": "ProgressDeadlineExceeded",
                    "message": 'ReplicaSet "web-hash3" has timed out progressing.',
                }
            ],
        },
    ),
    (
        "daemonset",
        {},
        {
            "observedGeneration": 1,
            "desiredNumberScheduled": 3,
            "currentNumberScheduled": 3,
            "updatedNumberScheduled": 1,
            "numberReady": 0,
            "numberMisscheduled": 0,
        },
    ),
    (
        "daemonset",
        {},
        {
            "observedGeneration": 1,
            "desiredNumberScheduled": 3,
            "currentNumberScheduled": 3,
            "updatedNumberScheduled": 3,
            "numberAvailable": 3,
            "numberReady": 3,
            "numberMisscheduled": 0,
        },
    ),
    ("statefulset", {}, {"observedGeneration": 1, "replicas": 2, "readyReplicas": 1}),
    (
        "statefulset",
        {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}},
        {"observedGeneration": 1, "replicas": 2, "readyReplicas": 2, "updatedReplicas": 0},
    ),
    (
        "statefulset",
        {"updateStrategy": {"type": "OnDelete"}},
        {"observedGeneration": 1, "replicas": 2, "readyReplicas": 2},
    ),
]


@pytest.mark.parametrize(("kind", "spec_change", "status"), STATUSES)
def test_status_is_kubectls(
    api: Any,
    kubectl: Kubectl,
    kind: str,
    spec_change: dict[str, Any],
    status: dict[str, Any],
) -> None:
    seed(api, kind, "web")
    path = f"{APPS}/{PLURALS[kind]}/web"
    if spec_change:
        request_json(
            api,
            "PATCH",
            path,
            body={"spec": spec_change},
            content_type="application/merge-patch+json",
        )
    obj = request_json(api, "GET", path)
    obj["status"] = copy.deepcopy(status)
    if status.get("observedGeneration"):
        obj["status"]["observedGeneration"] = obj["metadata"].get("generation", 1)
    obj = request_json(api, "PUT", path + "/status", body=obj)
    theirs = kubectl("rollout", "status", f"{kind}/web", "--watch=false", check=False)
    ours = rollout_status(obj, kind=kind)
    assert (ours.message, f"error: {ours.error}\n" if ours.error else "") == (
        theirs.stdout,
        theirs.stderr,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_fetch_workload_reads_what_kubectl_reads(api: Any, kind: str) -> None:
    seed(api, kind, "web")
    seed(api, kind, "api")  # same namespace, other labels: not listed
    obj, children = fetch_workload(api, kind, NS, "web")
    assert obj["metadata"]["name"] == "web"
    assert {c["metadata"]["labels"]["app"] for c in children} == {"web"}
    assert len(children) == 3
    plan = plan_undo(kind, obj, children)
    assert (plan.target_revision, plan.skipped) == (2, False)
