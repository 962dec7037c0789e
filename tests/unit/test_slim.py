"""The slim cache's projection (`ktui.view.slim.slim_object`): what it keeps and drops, what it
shares between pods, and that every reader of cached pods (rows, triage, readiness, crash cards,
the timeline, the rollout tree, logs, the pod detail's title) answers the same from the slim
object as from the whole one."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest
from pods_fixtures import NOW, all_pods, ts

from ktui.cluster.watch import parse_list_page, parse_watch_line
from ktui.render.pod import controller_label, pod_title
from ktui.sim.realistic import realistic_pod
from ktui.view.crash import crash_cards
from ktui.view.logs import (
    container_choices,
    container_names,
    default_container,
    has_log,
    log_instance,
)
from ktui.view.pod import (
    container_badges,
    container_groups,
    pod_row,
    pod_timeline,
)
from ktui.view.readiness import explain_readiness
from ktui.view.rollout_tree import pod_node
from ktui.view.slim import LAST_APPLIED, slim_object
from ktui.view.stuck import may_be_stuck, pod_problem
from ktui.view.triage import pod_looks_fine, problem_of

Obj = dict[str, Any]


def _without_managed_fields(obj: Obj) -> Obj:
    obj = copy.deepcopy(obj)
    obj["metadata"].pop("managedFields", None)
    return obj


def _unhealthy(pod: Obj, container: str, probe: str) -> Obj:
    meta = pod["metadata"]
    return {
        "kind": "Event",
        "apiVersion": "v1",
        "metadata": {"name": f"{meta['name']}.1", "namespace": meta["namespace"], "uid": "ev"},
        "involvedObject": {
            "kind": "Pod",
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
            "fieldPath": f"spec.containers{{{container}}}",
        },
        "type": "Warning",
        "reason": "Unhealthy",
        "message": f"{probe} probe failed: HTTP probe failed with statuscode: 503",
        "count": 4,
        "firstTimestamp": ts(120),
        "lastTimestamp": ts(20),
        "source": {"component": "kubelet"},
    }


def _readers(pod: Obj, events: list[Obj]) -> dict[str, Any]:
    """Everything the screens compute from a cached pod."""
    now = NOW
    names = container_names(pod)
    return {
        "row": pod_row(pod, now),
        "badges": container_badges(pod),
        "groups": container_groups(pod),
        "timeline": pod_timeline(pod),
        "readiness": explain_readiness(pod, events, now),
        "crash": crash_cards(pod, events, now),
        "problem": problem_of(pod),
        "fine": pod_looks_fine(pod),
        "may_be_stuck": may_be_stuck(pod),
        "stuck": pod_problem(pod),
        "tree": pod_node(pod),
        "names": names,
        "default": default_container(pod),
        "choices": container_choices(pod),
        "runs": [log_instance(pod, name) for name in names],
        "logs": [(has_log(pod, n, False), has_log(pod, n, True)) for n in names],
        "title": pod_title(pod, now).plain,
        "controller": controller_label(pod),
    }


def _pods() -> dict[str, Obj]:
    pods = {name: _without_managed_fields(pod) for name, pod in all_pods().items()}
    for n in (0, 1, 5):
        pods[f"realistic-{n}"] = _without_managed_fields(realistic_pod(n))
    # A realistic pod whose app is not ready (its readiness probe quoted), one crashing (its
    # memory limit quoted), one being deleted.
    not_ready = _without_managed_fields(realistic_pod(7))
    main = not_ready["status"]["containerStatuses"][0]
    main["ready"] = False
    for condition in not_ready["status"]["conditions"]:
        if condition["type"] in ("Ready", "ContainersReady"):
            condition["status"] = "False"
            condition["reason"] = "ContainersNotReady"
    pods["realistic-not-ready"] = not_ready
    oom = _without_managed_fields(realistic_pod(8))
    main = oom["status"]["containerStatuses"][0]
    main["restartCount"] = 3
    main["ready"] = False
    main["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}}
    main["lastState"] = {
        "terminated": {
            "exitCode": 137,
            "reason": "OOMKilled",
            "startedAt": ts(90),
            "finishedAt": ts(30),
            "containerID": "containerd://abc",
        }
    }
    pods["realistic-oom"] = oom
    deleting = _without_managed_fields(realistic_pod(9))
    deleting["metadata"]["deletionTimestamp"] = ts(5)
    deleting["metadata"]["deletionGracePeriodSeconds"] = 30
    pods["realistic-deleting"] = deleting
    return pods


PODS = _pods()


@pytest.mark.parametrize("name", sorted(PODS))
def test_every_reader_answers_the_same_from_the_slim_pod(name: str) -> None:
    pod = PODS[name]
    app = (pod["spec"].get("containers") or [{}])[0].get("name", "app")
    events = [_unhealthy(pod, app, "Readiness")]
    whole = _readers(pod, events)
    slim = _readers(slim_object(copy.deepcopy(pod)), events)
    assert slim == whole


def test_a_realistic_pod_keeps_what_is_read_and_drops_the_rest() -> None:
    pod = realistic_pod(0)  # one in four carries a last-applied-configuration
    assert LAST_APPLIED in pod["metadata"]["annotations"]
    slim = slim_object(_without_managed_fields(pod))

    meta = slim["metadata"]
    assert set(meta) == {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "labels",
        "annotations",
        "ownerReferences",
    }
    assert meta["annotations"] == {"kubectl.kubernetes.io/default-container": "svc-0000"}
    assert meta["labels"] == pod["metadata"]["labels"]
    assert meta["ownerReferences"] == pod["metadata"]["ownerReferences"]

    spec = slim["spec"]
    assert set(spec) == {
        "nodeName",
        "restartPolicy",
        "terminationGracePeriodSeconds",
        "initContainers",
        "containers",
    }
    main = spec["containers"][0]
    assert set(main) == {"name", "image", "readinessProbe", "startupProbe", "resources"}
    assert main["resources"] == {"limits": {"cpu": "1", "memory": "512Mi"}}
    assert main["readinessProbe"] == pod["spec"]["containers"][0]["readinessProbe"]
    sidecar = spec["initContainers"][1]
    assert sidecar["restartPolicy"] == "Always"
    for container in [*spec["initContainers"], *spec["containers"]]:
        for dropped in ("env", "envFrom", "command", "args", "ports", "volumeMounts"):
            assert dropped not in container
        assert "livenessProbe" not in container and "securityContext" not in container

    status = slim["status"]
    assert "hostIP" not in status and "hostIPs" not in status
    assert status["conditions"] == [  # but for their null lastProbeTime
        {k: v for k, v in c.items() if v is not None} for c in pod["status"]["conditions"]
    ]
    assert status["podIPs"] == pod["status"]["podIPs"]
    for before, after in zip(
        pod["status"]["containerStatuses"], status["containerStatuses"], strict=True
    ):
        assert "imageID" not in after and "lastState" not in after  # it was {}
        assert after == {k: v for k, v in before.items() if k not in ("imageID", "lastState")}

    assert len(json.dumps(slim)) < len(json.dumps(pod)) / 3


def test_the_projection_leaves_its_argument_alone() -> None:
    pod = _without_managed_fields(realistic_pod(4))
    before = copy.deepcopy(pod)
    slim_object(pod)
    assert pod == before


def test_pods_of_one_deployment_share_their_containers_labels_and_owner() -> None:
    first, second = (slim_object(_without_managed_fields(realistic_pod(n))) for n in (20, 21))
    assert first["metadata"]["name"] != second["metadata"]["name"]
    assert first["spec"]["containers"] is second["spec"]["containers"]
    assert first["spec"]["initContainers"] is second["spec"]["initContainers"]
    assert first["metadata"]["labels"] is second["metadata"]["labels"]
    assert first["metadata"]["ownerReferences"] is second["metadata"]["ownerReferences"]
    # Another Deployment: nothing of that is shared.
    other = slim_object(_without_managed_fields(realistic_pod(30)))
    assert other["spec"]["containers"] is not first["spec"]["containers"]
    assert other["metadata"]["labels"] is not first["metadata"]["labels"]


def test_a_pod_that_differs_under_the_same_key_is_not_given_anothers_parts() -> None:
    # Same container names and images (the sharing key), another memory limit (a VPA).
    first = slim_object(_without_managed_fields(realistic_pod(40)))
    changed = _without_managed_fields(realistic_pod(41))
    changed["spec"]["containers"][0]["resources"]["limits"]["memory"] = "1Gi"
    second = slim_object(changed)
    assert second["spec"]["containers"][0]["resources"]["limits"]["memory"] == "1Gi"
    assert first["spec"]["containers"][0]["resources"]["limits"]["memory"] == "512Mi"


def test_workloads_and_revisions_keep_their_whole_template() -> None:
    template = {"metadata": {"labels": {"app": "web"}}, "spec": realistic_pod(0)["spec"]}
    for kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"):
        obj = {
            "kind": kind,
            "apiVersion": "apps/v1",
            "metadata": {
                "name": "web",
                "uid": f"uid-{kind}",
                "annotations": {LAST_APPLIED: "{...}", "deployment.kubernetes.io/revision": "3"},
            },
            "spec": {"template": copy.deepcopy(template), "replicas": 3},
        }
        before = copy.deepcopy(obj)
        slim = slim_object(obj)
        assert obj == before, "the argument is left alone"
        assert slim["spec"] == before["spec"], kind
        assert slim["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "3"}
    revision = {
        "kind": "ControllerRevision",
        "apiVersion": "apps/v1",
        "metadata": {"name": "web-1", "uid": "uid-cr"},
        "data": {"spec": {"template": copy.deepcopy(template)}},
        "revision": 1,
    }
    assert slim_object(revision) == revision


def test_nodes_lose_their_image_list_and_events_stay_as_they_are() -> None:
    node = {
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": {"name": "n1", "uid": "uid-n1"},
        "spec": {"unschedulable": True},
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}],
            "images": [{"names": ["nginx@sha256:abc", "nginx:1.27"], "sizeBytes": 1}],
        },
    }
    slim = slim_object(node)
    assert "images" not in slim["status"] and "images" in node["status"]
    assert slim["status"]["conditions"] == node["status"]["conditions"]
    assert problem_of(slim) == problem_of(node)
    event = _unhealthy(PODS["realistic-0"], "svc-0000", "Readiness")
    assert slim_object(event) is event


def test_the_cache_parses_slim_objects_unless_asked_for_whole_ones() -> None:
    pod = realistic_pod(12)
    item = {k: v for k, v in pod.items() if k not in ("kind", "apiVersion")}
    body = json.dumps({"kind": "PodList", "metadata": {}, "items": [item]}).encode()
    ((uid, slim),) = parse_list_page(body, kind="Pod", api_version="v1").items
    assert uid == pod["metadata"]["uid"]
    assert slim == slim_object(_without_managed_fields(pod))
    ((_, whole),) = parse_list_page(body, kind="Pod", api_version="v1", slim=False).items
    assert whole == _without_managed_fields(pod)

    line = json.dumps({"type": "MODIFIED", "object": pod}).encode()
    event = parse_watch_line(line)
    assert event is not None and event.object == slim_object(_without_managed_fields(pod))
    event = parse_watch_line(line, slim=False)
    assert event is not None and event.object == _without_managed_fields(pod)


def test_the_realistic_pod_is_what_its_docstring_says() -> None:
    pod = realistic_pod(3)
    spec = pod["spec"]
    assert [c.get("restartPolicy") for c in spec["initContainers"]] == [None, "Always"]
    assert len(spec["containers"]) == 2
    assert any("projected" in v for v in spec["volumes"])
    assert pod["metadata"]["managedFields"]
    assert {c["type"] for c in pod["status"]["conditions"]} >= {"Ready", "Initialized"}
    assert pod_row(pod, NOW + timedelta(days=60)).status == "Running"
    assert pod_row(pod, NOW).ready == "3/3"  # two containers and the native sidecar
    assert 10_000 < len(json.dumps(pod, separators=(",", ":"))) < 20_000
