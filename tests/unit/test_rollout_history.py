"""rollout_history / history_table / template_diff against kubectl v1.32's behaviour.

Objects are shaped like kube-apiserver's answers (the ReplicaSets and ControllerRevisions the
v1.20 controllers write); the expected tables were produced by `kubectl rollout history`.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ktui.cluster.rollout import (
    HistoryRevision,
    RolloutError,
    history_table,
    rollout_history,
    template_diff,
)

DEPLOYMENT_UID = "6a4a6145-3eb1-48c3-8bd6-da084928e366"
OTHER_UID = "0b7d3c1e-5f7a-4c55-9d0e-2f1f3c9a8b77"


def pod_template(image: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"creationTimestamp": None, "labels": labels or {"app": "web"}},
        "spec": {
            "containers": [
                {
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    "name": "nginx",
                    "resources": {},
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


def deployment(image: str = "nginx:1.27", revision: str = "3") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "lab",
            "uid": DEPLOYMENT_UID,
            "generation": 4,
            "labels": {"app": "web"},
            "annotations": {
                "deployment.kubernetes.io/revision": revision,
                "kubernetes.io/change-cause": "image 1.27",
            },
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": pod_template(image),
        },
        "status": {"observedGeneration": 4, "replicas": 4, "updatedReplicas": 1},
    }


def replica_set(
    hash_: str,
    image: str,
    revision: str | None,
    created: str,
    *,
    owner_uid: str = DEPLOYMENT_UID,
    change_cause: str | None = None,
    replicas: int = 1,
    app: str = "web",
    controller: bool = True,
    namespace: str = "lab",
) -> dict[str, Any]:
    annotations = {
        "deployment.kubernetes.io/desired-replicas": "3",
        "deployment.kubernetes.io/max-replicas": "4",
    }
    if revision is not None:
        annotations["deployment.kubernetes.io/revision"] = revision
    if change_cause is not None:
        annotations["kubernetes.io/change-cause"] = change_cause
    labels = {"app": app, "pod-template-hash": hash_}
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"web-{hash_}",
            "namespace": namespace,
            "uid": f"uid-{hash_}",
            "creationTimestamp": created,
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "blockOwnerDeletion": True,
                    "controller": controller,
                    "kind": "Deployment",
                    "name": "web",
                    "uid": owner_uid,
                }
            ],
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": pod_template(image, dict(labels)),
        },
        "status": {"fullyLabeledReplicas": replicas, "observedGeneration": 2, "replicas": replicas},
    }


def lab_replica_sets() -> list[dict[str, Any]]:
    """The three ReplicaSets of the lab's `web` (listed by name, as the API server does)."""
    return [
        replica_set(
            "59dcf499cb", "nginx:1.27", "3", "2026-11-24T12:45:02Z", change_cause="image 1.27"
        ),
        replica_set("6c959dc85d", "nginx:1.25", "1", "2026-11-24T12:44:58Z", replicas=2),
        replica_set(
            "76fd4c767", "nginx:1.26", "2", "2026-11-24T12:45:00Z", change_cause="image 1.27"
        ),
    ]


def summary(revisions: list[HistoryRevision]) -> list[tuple[int, str, str, bool]]:
    return [(r.revision, r.change_cause, r.name, r.is_current) for r in revisions]


# ---- Deployments -------------------------------------------------------------------------


def test_deployment_history_matches_kubectl_output() -> None:
    revisions = rollout_history("Deployment", deployment(), lab_replica_sets())
    assert summary(revisions) == [
        (1, "<none>", "web-6c959dc85d", False),
        (2, "image 1.27", "web-76fd4c767", False),
        (3, "image 1.27", "web-59dcf499cb", True),
    ]
    # Byte for byte what `kubectl rollout history deployment/web` printed for these objects.
    assert history_table(revisions, "Deployment", "web") == (
        "deployment.apps/web \n"
        "REVISION  CHANGE-CAUSE\n"
        "1         <none>\n"
        "2         image 1.27\n"
        "3         image 1.27\n"
        "\n"
    )


def test_deployment_history_details() -> None:
    revisions = rollout_history("deploy", deployment(), lab_replica_sets())
    first = revisions[0]
    assert first.images == ("nginx:1.25",)
    assert first.created == "2026-11-24T12:44:58Z"
    assert (first.replicas, first.desired_replicas) == (2, 2)
    # The ReplicaSet's template as stored, hash label included (kubectl --revision shows it).
    assert first.template["metadata"]["labels"] == {"app": "web", "pod-template-hash": "6c959dc85d"}


def test_replica_sets_of_other_owners_are_excluded() -> None:
    foreign = replica_set("aaaaaaaaaa", "evil:1", "7", "2026-11-24T12:46:00Z", owner_uid=OTHER_UID)
    orphan = replica_set("bbbbbbbbbb", "evil:2", "8", "2026-11-24T12:46:00Z")
    orphan["metadata"]["ownerReferences"] = []
    not_controller = replica_set(
        "cccccccccc", "evil:3", "9", "2026-11-24T12:46:00Z", controller=False
    )
    unselected = replica_set("dddddddddd", "evil:4", "10", "2026-11-24T12:46:00Z", app="api")
    elsewhere = replica_set("eeeeeeeeee", "evil:5", "11", "2026-11-24T12:46:00Z", namespace="prod")
    children = [foreign, orphan, not_controller, unselected, elsewhere, *lab_replica_sets()]
    assert [r.revision for r in rollout_history("Deployment", deployment(), children)] == [1, 2, 3]


def test_match_expressions_selector() -> None:
    obj = deployment()
    obj["spec"]["selector"] = {
        "matchExpressions": [
            {"key": "app", "operator": "In", "values": ["web", "www"]},
            {"key": "track", "operator": "NotIn", "values": ["canary"]},
            {"key": "pod-template-hash", "operator": "Exists"},
            {"key": "legacy", "operator": "DoesNotExist"},
        ]
    }
    canary = replica_set("ffffffffff", "nginx:canary", "4", "2026-11-24T12:46:00Z")
    canary["metadata"]["labels"]["track"] = "canary"
    legacy = replica_set("9999999999", "nginx:legacy", "5", "2026-11-24T12:46:00Z")
    legacy["metadata"]["labels"]["legacy"] = "yes"
    revisions = rollout_history("Deployment", obj, [canary, legacy, *lab_replica_sets()])
    assert [r.revision for r in revisions] == [1, 2, 3]


def test_invalid_selector_operator_is_an_error() -> None:
    obj = deployment()
    obj["spec"]["selector"] = {"matchExpressions": [{"key": "app", "operator": "Like"}]}
    with pytest.raises(RolloutError, match="not a valid label selector operator"):
        rollout_history("Deployment", obj, lab_replica_sets())


def test_revisions_are_sorted_numerically() -> None:
    children = [
        replica_set(f"h{n:09d}", f"nginx:{n}", str(n), f"2026-11-24T12:{n:02d}:00Z")
        for n in (10, 2, 9, 1)
    ]
    revisions = rollout_history("Deployment", deployment("nginx:10"), children)
    assert [r.revision for r in revisions] == [1, 2, 9, 10]
    assert revisions[-1].is_current
    assert history_table(revisions, "Deployment", "web") == (
        "deployment.apps/web \n"
        "REVISION  CHANGE-CAUSE\n"
        "1         <none>\n"
        "2         <none>\n"
        "9         <none>\n"
        "10        <none>\n"
        "\n"
    )


def test_missing_revision_annotation_is_revision_zero_and_garbled_is_skipped() -> None:
    children = [
        replica_set("0000000000", "nginx:0", None, "2026-11-24T12:40:00Z"),
        replica_set("1111111111", "nginx:x", "two", "2026-11-24T12:41:00Z"),
        *lab_replica_sets(),
    ]
    revisions = rollout_history("Deployment", deployment(), children)
    assert [(r.revision, r.images) for r in revisions] == [
        (0, ("nginx:0",)),
        (1, ("nginx:1.25",)),
        (2, ("nginx:1.26",)),
        (3, ("nginx:1.27",)),
    ]


def test_duplicate_revision_the_new_replica_set_wins() -> None:
    # kubectl maps revision -> ReplicaSet over (old ones by creation time..., new one).
    newer_old = replica_set(
        "2222222222", "nginx:dup", "3", "2026-11-24T12:50:00Z", change_cause="dup"
    )
    revisions = rollout_history("Deployment", deployment(), [newer_old, *lab_replica_sets()])
    assert summary(revisions)[-1] == (3, "image 1.27", "web-59dcf499cb", True)


def test_duplicate_revision_among_old_replica_sets_the_later_created_wins() -> None:
    early = replica_set("3333333333", "nginx:a", "1", "2026-11-24T12:30:00Z", change_cause="early")
    late = replica_set("4444444444", "nginx:b", "1", "2026-11-24T12:31:00Z", change_cause="late")
    revisions = rollout_history("Deployment", deployment("nginx:c"), [late, early])
    assert summary(revisions) == [(1, "late", "web-4444444444", False)]


def test_change_cause_falls_back_to_the_template_annotation() -> None:
    rs = replica_set("5555555555", "nginx:1.27", "1", "2026-11-24T12:30:00Z")
    rs["spec"]["template"]["metadata"]["annotations"] = {"kubernetes.io/change-cause": "tmpl"}
    assert rollout_history("Deployment", deployment(), [rs])[0].change_cause == "tmpl"


def test_new_replica_set_is_found_ignoring_the_hash_label_and_quantity_spelling() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1"}}
    rs = replica_set("6666666666", "nginx:1.27", "3", "2026-11-24T12:30:00Z")
    rs["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1000m"}}
    assert rollout_history("Deployment", obj, [rs])[0].is_current


def test_no_history() -> None:
    assert rollout_history("Deployment", deployment(), []) == []
    assert history_table([], "Deployment", "web") == (
        "deployment.apps/web \nNo rollout history found.\n"
    )


def test_change_causes_with_tabs_are_laid_out_like_go_tabwriter() -> None:
    # Output of `kubectl rollout history deploy/tabby` for these change-causes.
    causes = ["x\ty", "longer cause\tz\tw", "plain", "plain"]
    revisions = [
        HistoryRevision(
            revision=n,
            change_cause=cause,
            template={},
            images=(),
            created=None,
            replicas=None,
            desired_replicas=None,
            name=f"tabby-{n}",
            is_current=False,
        )
        for n, cause in enumerate(causes, start=1)
    ]
    assert history_table(revisions, "Deployment", "tabby") == (
        "deployment.apps/tabby \n"
        "REVISION  CHANGE-CAUSE\n"
        "1         x             y\n"
        "2         longer cause  z  w\n"
        "3         plain\n"
        "4         plain\n"
        "\n"
    )


def test_history_table_for_unknown_kind() -> None:
    with pytest.raises(RolloutError):
        history_table([], "CronJob", "x")


# ---- StatefulSets and DaemonSets -----------------------------------------------------------

DS_UID = "f9b733e9-f0ec-4fde-998d-5da07a19d5ce"


def ds_template(image: str) -> dict[str, Any]:
    return {
        "metadata": {"creationTimestamp": None, "labels": {"app": "agent"}},
        "spec": {
            "containers": [
                {
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    "name": "a",
                    "resources": {},
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


def daemon_set(image: str = "agent:3") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": "agent",
            "namespace": "lab",
            "uid": DS_UID,
            "generation": 3,
            "annotations": {
                "deprecated.daemonset.template.generation": "3",
                "kubernetes.io/change-cause": "to v2",
            },
        },
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": ds_template(image),
            "updateStrategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
            },
        },
    }


def controller_revision(
    hash_: str,
    image: str,
    revision: int,
    *,
    change_cause: str | None = None,
    owner_uid: str = DS_UID,
    owner: str = "DaemonSet",
) -> dict[str, Any]:
    template = ds_template(image)
    template["$patch"] = "replace"
    annotations = {"deprecated.daemonset.template.generation": str(revision)}
    if change_cause is not None:
        annotations["kubernetes.io/change-cause"] = change_cause
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": f"agent-{hash_}",
            "namespace": "lab",
            "uid": f"cr-{hash_}",
            "creationTimestamp": f"2026-11-24T12:45:{10 + revision:02d}Z",
            "labels": {"app": "agent", "controller-revision-hash": hash_},
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "blockOwnerDeletion": True,
                    "controller": True,
                    "kind": owner,
                    "name": "agent",
                    "uid": owner_uid,
                }
            ],
        },
        "data": {"spec": {"template": template}},
        "revision": revision,
    }


def lab_revisions() -> list[dict[str, Any]]:
    return [
        controller_revision("65d6cf6c98", "agent:1", 1),
        controller_revision("665d5479d8", "agent:3", 3, change_cause="to v2"),
        controller_revision("847cb7f9c5", "agent:2", 2, change_cause="to v2"),
    ]


def agent_pod(name: str, hash_: str, owner_uid: str = DS_UID) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": "lab",
            "labels": {"app": "agent", "controller-revision-hash": hash_},
            "ownerReferences": [
                {"kind": "DaemonSet", "name": "agent", "uid": owner_uid, "controller": True}
            ],
        }
    }


def test_daemon_set_history_matches_kubectl_output() -> None:
    revisions = rollout_history("DaemonSet", daemon_set(), lab_revisions())
    assert summary(revisions) == [
        (1, "<none>", "agent-65d6cf6c98", False),
        (2, "to v2", "agent-847cb7f9c5", False),
        (3, "to v2", "agent-665d5479d8", True),
    ]
    assert history_table(revisions, "DaemonSet", "agent") == (
        "daemonset.apps/agent \n"
        "REVISION  CHANGE-CAUSE\n"
        "1         <none>\n"
        "2         to v2\n"
        "3         to v2\n"
        "\n"
    )


def test_controller_revision_templates_are_decoded_from_the_stored_patch() -> None:
    revisions = rollout_history("DaemonSet", daemon_set(), lab_revisions())
    assert revisions[0].template == ds_template("agent:1")
    assert "$patch" not in revisions[0].template
    assert [r.images for r in revisions] == [("agent:1",), ("agent:2",), ("agent:3",)]
    assert revisions[0].created == "2026-11-24T12:45:11Z"


def test_controller_revision_data_may_arrive_as_json_text() -> None:
    import json

    revision = controller_revision("65d6cf6c98", "agent:1", 1)
    revision["data"] = json.dumps(revision["data"])
    assert rollout_history("ds", daemon_set(), [revision])[0].images == ("agent:1",)


def test_pods_are_counted_per_revision_when_given() -> None:
    pods = [
        agent_pod("agent-a", "665d5479d8"),
        agent_pod("agent-b", "665d5479d8"),
        agent_pod("agent-c", "65d6cf6c98"),
        agent_pod("intruder", "665d5479d8", owner_uid=OTHER_UID),
    ]
    with_pods = rollout_history("DaemonSet", daemon_set(), lab_revisions(), pods)
    assert [(r.revision, r.replicas) for r in with_pods] == [(1, 1), (2, 0), (3, 2)]
    without = rollout_history("DaemonSet", daemon_set(), lab_revisions())
    assert [r.replicas for r in without] == [None, None, None]


def test_revisions_of_other_owners_are_excluded() -> None:
    foreign = controller_revision("aaaaaaaaaa", "evil:1", 9, owner_uid=OTHER_UID)
    revisions = rollout_history("DaemonSet", daemon_set(), [foreign, *lab_revisions()])
    assert [r.revision for r in revisions] == [1, 2, 3]


def test_stateful_set_history_matches_kubectl_output() -> None:
    sts_uid = "2c7e9a44-0d51-4f1b-9a53-6c2f5e0b8d11"
    sts = {
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "lab", "uid": sts_uid},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": ds_template("postgres:16"),
        },
    }
    revisions = [
        controller_revision("645bf85f48", "postgres:15", 1, owner_uid=sts_uid, owner="StatefulSet"),
        controller_revision("8666f7cb8f", "postgres:16", 2, owner_uid=sts_uid, owner="StatefulSet"),
    ]
    history = rollout_history("StatefulSet", sts, revisions)
    assert [(r.revision, r.is_current) for r in history] == [(1, False), (2, True)]
    assert history_table(history, "StatefulSet", "db") == (
        "statefulset.apps/db \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    )


def test_current_revision_needs_an_exact_template_match() -> None:
    ds = daemon_set()
    ds["spec"]["template"]["metadata"]["annotations"] = {"note": "edited"}
    assert not any(r.is_current for r in rollout_history("DaemonSet", ds, lab_revisions()))


# ---- template_diff ---------------------------------------------------------------------------


def test_template_diff_of_equal_templates_is_empty() -> None:
    assert template_diff(pod_template("nginx:1"), copy.deepcopy(pod_template("nginx:1"))) == []


def test_template_diff_shows_the_changed_image() -> None:
    diff = template_diff(pod_template("nginx:1.27"), pod_template("nginx:1.26"))
    assert diff[0] == "--- current"
    assert diff[1] == "+++ target"
    assert "-  - image: nginx:1.27" in diff
    assert "+  - image: nginx:1.26" in diff
    assert all(not line.endswith("\n") for line in diff)


def test_template_diff_labels_and_sorted_keys() -> None:
    a = {"spec": {"b": 1, "a": 1}, "metadata": {}}
    b = {"metadata": {}, "spec": {"a": 2, "b": 1}}
    diff = template_diff(a, b, from_label="revision 3", to_label="revision 2")
    assert diff[:2] == ["--- revision 3", "+++ revision 2"]
    assert [line for line in diff if line[:1] in "+-" and line[:3] not in ("---", "+++")] == [
        "-  a: 1",
        "+  a: 2",
    ]


def test_label_selector_query_string() -> None:
    from ktui.cluster.selectors import selector_string

    selector = {
        "matchLabels": {"b": "2", "a": "1"},
        "matchExpressions": [
            {"key": "d", "operator": "DoesNotExist"},
            {"key": "c", "operator": "In", "values": ["y", "x"]},
            {"key": "e", "operator": "NotIn", "values": ["z"]},
            {"key": "f", "operator": "Exists"},
        ],
    }
    assert selector_string(selector) == "a=1,b=2,c in (x,y),!d,e notin (z),f"
    assert selector_string(None) == ""


def test_template_diff_ignores_server_set_empty_fields() -> None:
    # A StatefulSet's ControllerRevision stores its template with `creationTimestamp: null`;
    # the live template from the server does not have it: the same revision is no difference.
    live = pod_template("postgres:16")
    stored = copy.deepcopy(live)
    stored.setdefault("metadata", {})["creationTimestamp"] = None
    stored["spec"]["volumes"] = []
    stored["metadata"]["annotations"] = {}
    assert template_diff(live, stored) == []
    stored["spec"]["containers"][0]["image"] = "postgres:17"
    assert not any("creationTimestamp" in line for line in template_diff(live, stored))
