"""plan_undo: kubectl v1.32's `rollout undo` decisions and the exact patch it sends.

The golden patch below is the request body `kubectl rollout undo deployment/web -v=9` sent for
the objects built by test_rollout_history's builders (captured from a v1.20 control plane).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from test_rollout_history import (
    controller_revision,
    daemon_set,
    deployment,
    ds_template,
    lab_replica_sets,
    lab_revisions,
    pod_template,
    replica_set,
)

from ktui.cluster.rollout import (
    JSON_PATCH,
    STRATEGIC_MERGE_PATCH,
    RolloutError,
    plan_undo,
)

KUBECTL_TEMPLATE_VALUE = {
    "metadata": {"creationTimestamp": None, "labels": {"app": "web"}},
    "spec": {
        "containers": [
            {
                "name": "nginx",
                "image": "nginx:1.26",
                "resources": {},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent",
            }
        ],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "securityContext": {},
        "schedulerName": "default-scheduler",
    },
}


# ---- Deployments -------------------------------------------------------------------------


def test_default_undo_sends_kubectls_json_patch() -> None:
    plan = plan_undo("Deployment", deployment(), lab_replica_sets())
    assert plan.patch == [
        {"op": "replace", "path": "/spec/template", "value": KUBECTL_TEMPLATE_VALUE},
        {
            "op": "replace",
            "path": "/metadata/annotations",
            "value": {
                "deployment.kubernetes.io/revision": "3",
                "kubernetes.io/change-cause": "image 1.27",
            },
        },
    ]
    assert plan.patch_type == JSON_PATCH == "application/json-patch+json"
    assert (plan.to_revision, plan.target_revision) == (0, 2)
    assert plan.source_name == "web-76fd4c767"
    assert not plan.skipped
    assert plan.message == "deployment.apps/web rolled back"
    assert plan.path == "/apis/apps/v1/namespaces/lab/deployments/web"
    assert "-  - image: nginx:1.27" in plan.diff
    assert "+  - image: nginx:1.26" in plan.diff
    assert plan.current_template == deployment()["spec"]["template"]
    assert plan.target_template == KUBECTL_TEMPLATE_VALUE


def test_undo_to_a_specific_revision() -> None:
    plan = plan_undo("deployment", deployment(), lab_replica_sets(), to_revision=1)
    assert plan.target_revision == 1
    assert plan.source_name == "web-6c959dc85d"
    assert plan.patch is not None and isinstance(plan.patch, list)
    assert plan.patch[0]["value"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    # Revision 1's ReplicaSet has no change-cause: the Deployment's own one is dropped.
    assert plan.patch[1]["value"] == {"deployment.kubernetes.io/revision": "3"}


def test_annotations_keep_the_deployments_bookkeeping_and_take_the_rest_from_the_rs() -> None:
    obj = deployment()
    obj["metadata"]["annotations"].update(
        {
            "kubectl.kubernetes.io/last-applied-configuration": '{"kind":"Deployment"}',
            "team": "payments",
            "only-on-deployment": "dropped",
        }
    )
    children = lab_replica_sets()
    old = children[2]
    old["metadata"]["annotations"].update(
        {
            "team": "checkout",
            "deprecated.deployment.rollback.to": "9",
            "deployment.kubernetes.io/revision-history": "1,4",
        }
    )
    plan = plan_undo("Deployment", obj, children, to_revision=2)
    assert plan.patch is not None and isinstance(plan.patch, list)
    annotations = plan.patch[1]["value"]
    assert annotations == {
        "deployment.kubernetes.io/revision": "3",
        "kubectl.kubernetes.io/last-applied-configuration": '{"kind":"Deployment"}',
        "kubernetes.io/change-cause": "image 1.27",
        "team": "checkout",
    }
    assert list(annotations) == sorted(annotations)


def test_unknown_revision() -> None:
    with pytest.raises(RolloutError) as info:
        plan_undo("Deployment", deployment(), lab_replica_sets(), to_revision=99)
    assert info.value.message == "unable to find specified revision 99 in history"


def test_negative_revision() -> None:
    with pytest.raises(RolloutError, match=r"^unable to find specified revision -1 in history$"):
        plan_undo("Deployment", deployment(), lab_replica_sets(), to_revision=-1)


def paused() -> dict[str, Any]:
    obj = deployment()
    obj["spec"]["paused"] = True
    return obj


PAUSED = (
    "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' "
    "and try again"
)


def test_paused_deployment_is_refused() -> None:
    with pytest.raises(RolloutError) as info:
        plan_undo("Deployment", paused(), lab_replica_sets())
    assert info.value.message == PAUSED


def test_paused_refusal_comes_after_the_revision_lookup_and_before_the_skip() -> None:
    with pytest.raises(RolloutError, match="unable to find specified revision 7"):
        plan_undo("Deployment", paused(), lab_replica_sets(), to_revision=7)
    with pytest.raises(RolloutError) as info:
        plan_undo("Deployment", paused(), lab_replica_sets(), to_revision=3)
    assert info.value.message == PAUSED


def test_undo_to_the_current_template_is_skipped() -> None:
    plan = plan_undo("Deployment", deployment(), lab_replica_sets(), to_revision=3)
    assert plan.skipped
    assert plan.patch is None and plan.patch_type is None
    assert plan.message == (
        "deployment.apps/web skipped rollback (current template already matches revision 3)"
    )
    assert plan.diff == []


def test_skipped_default_undo_names_revision_zero_like_kubectl() -> None:
    # The template was edited back to revision 2's before the controller made a new revision.
    plan = plan_undo("Deployment", deployment("nginx:1.26"), lab_replica_sets())
    assert plan.skipped and plan.target_revision == 2
    assert plan.message == (
        "deployment.apps/web skipped rollback (current template already matches revision 0)"
    )


def test_previous_revision_is_the_second_highest_not_the_one_below_the_current() -> None:
    # Current template = revision 1's (not yet observed): kubectl still picks revision 2.
    plan = plan_undo("Deployment", deployment("nginx:1.25", revision="1"), lab_replica_sets())
    assert plan.target_revision == 2


def test_previous_revision_with_unordered_and_unannotated_replica_sets() -> None:
    children = [
        replica_set("7777777777", "nginx:10", "10", "2026-11-24T12:50:00Z"),
        replica_set("8888888888", "nginx:none", None, "2026-11-24T12:49:00Z"),
        replica_set("9999999999", "nginx:9", "9", "2026-11-24T12:51:00Z"),
        replica_set("aaaaaaaaaa", "nginx:bad", "nine", "2026-11-24T12:52:00Z"),
    ]
    plan = plan_undo("Deployment", deployment("nginx:10"), children)
    assert (plan.target_revision, plan.source_name) == (9, "web-9999999999")


def test_no_rollout_history() -> None:
    for children in ([], lab_replica_sets()[:1]):
        with pytest.raises(RolloutError) as info:
            plan_undo("Deployment", deployment(), children)
        assert info.value.message == 'no rollout history found for deployment "web"'


def test_replica_sets_of_another_deployment_are_never_targets() -> None:
    foreign = replica_set(
        "bbbbbbbbbb", "evil:1", "2", "2026-11-24T12:59:00Z", owner_uid="someone-else"
    )
    with pytest.raises(RolloutError, match="no rollout history found"):
        plan_undo("Deployment", deployment(), [foreign, lab_replica_sets()[0]])
    with pytest.raises(RolloutError, match="unable to find specified revision 2"):
        plan_undo("Deployment", deployment(), [foreign, lab_replica_sets()[0]], 2)


def test_hash_only_labels_disappear_from_the_patch() -> None:
    obj = deployment()
    obj["spec"]["selector"] = {}
    rs = replica_set("cccccccccc", "nginx:old", "1", "2026-11-24T12:30:00Z")
    rs["spec"]["template"]["metadata"] = {"labels": {"pod-template-hash": "cccccccccc"}}
    current = replica_set("dddddddddd", "nginx:1.27", "2", "2026-11-24T12:31:00Z")
    plan = plan_undo("Deployment", obj, [rs, current])
    assert plan.patch is not None and isinstance(plan.patch, list)
    assert plan.patch[0]["value"]["metadata"] == {"creationTimestamp": None}


def test_equality_ignores_quantity_spelling_and_empty_lists() -> None:
    obj = deployment()
    container = obj["spec"]["template"]["spec"]["containers"][0]
    container["resources"] = {"limits": {"cpu": "1", "memory": "1Gi"}}
    obj["spec"]["template"]["spec"]["volumes"] = []
    rs = replica_set("eeeeeeeeee", "nginx:1.27", "5", "2026-11-24T12:30:00Z")
    rs["spec"]["template"]["spec"]["containers"][0]["resources"] = {
        "limits": {"cpu": "1000m", "memory": "1073741824"}
    }
    plan = plan_undo("Deployment", obj, [*lab_replica_sets(), rs], to_revision=5)
    assert plan.skipped


def test_equality_distinguishes_a_nil_and_an_empty_struct_pointer() -> None:
    obj = deployment()
    rs = copy.deepcopy(lab_replica_sets()[0])
    rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "5"
    rs["metadata"]["name"] = "web-ffffffffff"
    rs["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {}
    plan = plan_undo("Deployment", obj, [*lab_replica_sets(), rs], to_revision=5)
    assert not plan.skipped


def test_equality_distinguishes_true_from_one() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["hostNetwork"] = True
    rs = replica_set("abababab00", "nginx:1.27", "5", "2026-11-24T12:30:00Z")
    rs["spec"]["template"]["spec"]["hostNetwork"] = 1
    assert not plan_undo("Deployment", obj, [*lab_replica_sets(), rs], to_revision=5).skipped


def test_unsupported_kind() -> None:
    with pytest.raises(RolloutError, match="not supported"):
        plan_undo("Job", deployment(), [])


# ---- DaemonSets and StatefulSets ----------------------------------------------------------


def test_daemon_set_default_undo_sends_the_revision_data() -> None:
    revisions = lab_revisions()
    plan = plan_undo("DaemonSet", daemon_set(), revisions)
    assert (plan.target_revision, plan.source_name) == (2, "agent-847cb7f9c5")
    assert plan.patch_type == STRATEGIC_MERGE_PATCH == "application/strategic-merge-patch+json"
    # kubectl sends the ControllerRevision's data verbatim.
    assert plan.patch == revisions[2]["data"]
    assert plan.patch is not revisions[2]["data"]
    assert plan.message == "daemonset.apps/agent rolled back"
    assert plan.path == "/apis/apps/v1/namespaces/lab/daemonsets/agent"
    assert plan.target_template == ds_template("agent:2")
    assert "+  - image: agent:2" in plan.diff


def test_daemon_set_undo_to_a_specific_revision() -> None:
    plan = plan_undo("ds", daemon_set(), lab_revisions(), to_revision=1)
    assert plan.target_revision == 1
    assert plan.patch == lab_revisions()[0]["data"]


def test_daemon_set_undo_to_the_current_revision_is_skipped() -> None:
    plan = plan_undo("DaemonSet", daemon_set(), lab_revisions(), to_revision=3)
    assert plan.skipped and plan.patch is None
    assert plan.message == (
        "daemonset.apps/agent skipped rollback (current template already matches revision 3)"
    )


def test_daemon_set_skipped_default_undo_says_revision_zero() -> None:
    plan = plan_undo("DaemonSet", daemon_set("agent:2"), lab_revisions())
    assert plan.skipped and plan.target_revision == 2
    assert plan.message.endswith("(current template already matches revision 0)")


def test_daemon_set_unknown_and_negative_revisions() -> None:
    with pytest.raises(RolloutError, match=r"^unable to find specified revision 4 in history$"):
        plan_undo("DaemonSet", daemon_set(), lab_revisions(), to_revision=4)
    with pytest.raises(RolloutError, match=r"^unable to find specified revision -2 in history$"):
        plan_undo("DaemonSet", daemon_set(), lab_revisions(), to_revision=-2)


def test_daemon_set_without_a_previous_revision() -> None:
    only = [controller_revision("665d5479d8", "agent:3", 3)]
    with pytest.raises(RolloutError) as info:
        plan_undo("DaemonSet", daemon_set(), only)
    assert info.value.message == "no last revision to roll back to"
    # An explicit revision is still looked up (and here matches: skipped).
    assert plan_undo("DaemonSet", daemon_set(), only, to_revision=3).skipped


def test_daemon_set_is_never_refused_as_paused() -> None:
    obj = daemon_set()
    obj["spec"]["paused"] = True  # not a DaemonSet field; kubectl does not look
    assert not plan_undo("DaemonSet", obj, lab_revisions()).skipped


def test_stateful_set_undo() -> None:
    sts_uid = "2c7e9a44-0d51-4f1b-9a53-6c2f5e0b8d11"
    template = pod_template("postgres:16", {"app": "db"})
    template["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1", "memory": "1Gi"}}
    sts = {
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "lab", "uid": sts_uid},
        "spec": {"selector": {"matchLabels": {"app": "db"}}, "template": template},
    }

    def revision(name: str, image: str, number: int) -> dict[str, Any]:
        data_template = copy.deepcopy(template)
        data_template["spec"]["containers"][0]["image"] = image
        data_template["$patch"] = "replace"
        return {
            "metadata": {
                "name": name,
                "namespace": "lab",
                "labels": {"app": "db", "controller.kubernetes.io/hash": name[3:]},
                "ownerReferences": [
                    {"kind": "StatefulSet", "name": "db", "uid": sts_uid, "controller": True}
                ],
            },
            "data": {"spec": {"template": data_template}},
            "revision": number,
        }

    revisions = [
        revision("db-645bf85f48", "postgres:15", 1),
        revision("db-8666f7cb8f", "postgres:16", 2),
    ]
    plan = plan_undo("sts", sts, revisions)
    assert plan.message == "statefulset.apps/db rolled back"
    assert plan.patch == revisions[0]["data"]
    assert plan.patch_type == STRATEGIC_MERGE_PATCH
    assert plan.path == "/apis/apps/v1/namespaces/lab/statefulsets/db"
    skipped = plan_undo("StatefulSet", sts, revisions, to_revision=2)
    assert skipped.message == (
        "statefulset.apps/db skipped rollback (current template already matches revision 2)"
    )


def test_daemon_set_match_compares_the_template_as_go_encodes_it() -> None:
    # A server that drops nulls and keeps empty lists serves the current template like this;
    # kubectl re-encodes it through Go's types before comparing with the revision's bytes.
    obj = daemon_set()
    template = obj["spec"]["template"]
    del template["metadata"]["creationTimestamp"]
    template["spec"]["volumes"] = []
    template["metadata"]["annotations"] = {}
    plan = plan_undo("DaemonSet", obj, lab_revisions(), to_revision=3)
    assert plan.skipped
    assert plan.current_template == ds_template("agent:3")
