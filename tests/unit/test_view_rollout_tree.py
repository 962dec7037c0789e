"""The rollout tree: the rolling update budget resolved as kube-controller-manager resolves it,
revisions -> ReplicaSets / ControllerRevisions -> pods, and its rendering."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from render_support import plain

from ktui.render.rollout_tree import tree_text
from ktui.sim.controllers import deployment as sim_deployment
from ktui.view.pod import Severity
from ktui.view.rollout_tree import (
    IntOrPercentError,
    build_rollout_tree,
    daemonset_budget,
    deployment_budget,
    resolve_fenceposts,
    scaled_value,
    statefulset_budget,
)

Obj = dict[str, Any]


# ---------------------------------------------------------------------- the arithmetic


@pytest.mark.parametrize(
    ("value", "total", "up", "expected"),
    [
        (3, 10, True, 3),
        (0, 10, False, 0),
        ("25%", 10, True, 3),  # 2.5 -> 3
        ("25%", 10, False, 2),  # 2.5 -> 2
        ("25%", 4, True, 1),
        ("25%", 4, False, 1),
        ("25%", 1, True, 1),  # 0.25 -> 1
        ("25%", 1, False, 0),
        ("100%", 7, False, 7),
        ("0%", 5, True, 0),
        ("33%", 3, True, 1),  # 0.99 -> 1
        ("33%", 3, False, 0),
        ("150%", 2, True, 3),
    ],
)
def test_scaled_value_is_get_scaled_value_from_int_or_percent(
    value: Any, total: int, up: bool, expected: int
) -> None:
    assert scaled_value(value, total, up) == expected


@pytest.mark.parametrize("value", ["25", "abc%", "%", "2.5%", None, True])
def test_scaled_value_refuses_what_go_refuses(value: Any) -> None:
    with pytest.raises(IntOrPercentError):
        scaled_value(value, 10, True)


def test_fenceposts_both_zero_means_one_unavailable() -> None:
    assert resolve_fenceposts(0, 0, 10) == (0, 1)
    assert resolve_fenceposts("0%", "0%", 10) == (0, 1)
    # 10% of 3 rounds down to 0 unavailable and up to 1 surge: nothing to fix.
    assert resolve_fenceposts("10%", "10%", 3) == (1, 0)
    assert resolve_fenceposts(None, None, 3) == (0, 1)


def test_fenceposts_agree_with_the_embedded_deployment_controller() -> None:
    """The embedded cluster's controller ports ResolveFenceposts and MaxSurge/MaxUnavailable;
    the tree must draw the very numbers it acts on."""
    values = [0, 1, 2, 5, "0%", "1%", "10%", "25%", "33%", "50%", "100%"]
    for surge, unavailable, replicas in itertools.product(values, values, [0, 1, 2, 3, 4, 7, 10]):
        d = _deployment(replicas, surge, unavailable)
        budget = deployment_budget(d, [])
        assert budget.max_surge == sim_deployment.max_surge(d), (surge, unavailable, replicas)
        assert budget.max_unavailable == sim_deployment.max_unavailable(d), (
            surge,
            unavailable,
            replicas,
        )


def _deployment(replicas: int, surge: Any = "25%", unavailable: Any = "25%", **extra: Any) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "uid": "d1"},
        "spec": {
            "replicas": replicas,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
            },
            "template": _template("nginx:1.27"),
            **extra,
        },
        "status": {},
    }


def test_deployment_budget_counts_the_replicasets_replicas_against_replicas_plus_surge() -> None:
    d = _deployment(10)
    d["status"] = {"availableReplicas": 8}
    budget = deployment_budget(d, [_rs("a", 1, "nginx:1.26", 4), _rs("b", 2, "nginx:1.27", 9)])
    assert (budget.max_surge, budget.max_unavailable) == (3, 2)
    assert (budget.max_pods, budget.min_available) == (13, 8)
    assert (budget.pods, budget.available) == (13, 8)


def test_deployment_max_unavailable_is_capped_at_the_replicas_and_zero_without_any() -> None:
    assert deployment_budget(_deployment(2, 0, 5), []).max_unavailable == 2
    assert deployment_budget(_deployment(0, 0, 0), []).max_unavailable == 0


def test_recreate_has_no_budget_and_a_bad_value_says_so() -> None:
    d = _deployment(3)
    d["spec"]["strategy"] = {"type": "Recreate"}
    budget = deployment_budget(d, [])
    assert budget.max_surge is None and budget.max_unavailable is None
    assert "every old pod is deleted" in plain(tree_text(build_rollout_tree(d, [], [])), 120)
    bad = deployment_budget(_deployment(3, "25", "25%"), [])
    assert bad.max_surge is None and "invalid value" in bad.error


def _statefulset(replicas: int, rolling: Obj | None = None, kind: str = "RollingUpdate") -> Obj:
    strategy: Obj = {"type": kind}
    if rolling is not None:
        strategy["rollingUpdate"] = rolling
    return {
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "shop", "uid": "s1"},
        "spec": {"replicas": replicas, "updateStrategy": strategy, "template": _template("pg:16")},
        "status": {"replicas": replicas, "readyReplicas": replicas - 1},
    }


def test_statefulset_max_unavailable_rounds_down_defaults_to_one_and_is_never_zero() -> None:
    assert statefulset_budget(_statefulset(5)).max_unavailable == 1
    assert statefulset_budget(_statefulset(5, {"maxUnavailable": "50%"})).max_unavailable == 2
    assert statefulset_budget(_statefulset(5, {"maxUnavailable": "10%"})).max_unavailable == 1
    assert statefulset_budget(_statefulset(5, {"maxUnavailable": 3})).max_unavailable == 3
    budget = statefulset_budget(_statefulset(5, {"partition": 3}))
    assert budget.partition == 3 and budget.max_surge is None
    assert budget.available == 4  # v1.20 has no availableReplicas: readyReplicas
    assert statefulset_budget(_statefulset(5, kind="OnDelete")).max_unavailable is None


def _daemonset(desired: int, rolling: Obj | None) -> Obj:
    strategy: Obj = {"type": "RollingUpdate"}
    if rolling is not None:
        strategy["rollingUpdate"] = rolling
    return {
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "kube-system", "uid": "ds1"},
        "spec": {"updateStrategy": strategy, "template": _template("agent:2")},
        "status": {
            "desiredNumberScheduled": desired,
            "currentNumberScheduled": desired,
            "numberAvailable": desired - 1,
        },
    }


def test_daemonset_budget_rounds_both_up_per_node() -> None:
    budget = daemonset_budget(_daemonset(3, {"maxUnavailable": "10%", "maxSurge": "10%"}), [])
    assert (budget.max_surge, budget.max_unavailable) == (1, 1)
    budget = daemonset_budget(_daemonset(10, {"maxUnavailable": "25%", "maxSurge": 0}), [])
    assert (budget.max_surge, budget.max_unavailable) == (0, 3)
    # Both 0 with nodes to run on: the controller obeys unavailable = 1.
    assert (
        daemonset_budget(_daemonset(4, {"maxUnavailable": 0, "maxSurge": 0}), []).max_unavailable
        == 1
    )
    assert (
        daemonset_budget(_daemonset(0, {"maxUnavailable": 0, "maxSurge": 0}), []).max_unavailable
        == 0
    )
    assert daemonset_budget(_daemonset(4, None), []).max_unavailable == 1


def test_daemonset_counts_nodes_running_an_old_and_a_new_pod() -> None:
    ds = _daemonset(2, {"maxUnavailable": 0, "maxSurge": 1})
    pods = [
        _pod("agent-a", "x", node="n1"),
        _pod("agent-b", "x", node="n1"),
        _pod("agent-c", "x", node="n2"),
    ]
    assert daemonset_budget(ds, pods).surging == 1


# ---------------------------------------------------------------------- the tree


def _template(image: str, hash_label: str | None = None) -> Obj:
    labels = {"app": "web"}
    if hash_label:
        labels["pod-template-hash"] = hash_label
    return {
        "metadata": {"labels": labels},
        "spec": {"containers": [{"name": "app", "image": image}]},
    }


def _rs(suffix: str, revision: int, image: str, replicas: int, ready: int | None = None) -> Obj:
    return {
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"web-{suffix}",
            "namespace": "shop",
            "uid": f"rs-{suffix}",
            "creationTimestamp": f"2026-01-0{revision}T00:00:00Z",
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "ownerReferences": [{"uid": "d1", "controller": True, "kind": "Deployment"}],
        },
        "spec": {"replicas": replicas, "template": _template(image, suffix)},
        "status": {
            "replicas": replicas,
            "readyReplicas": replicas if ready is None else ready,
            "availableReplicas": replicas if ready is None else ready,
        },
    }


def _pod(
    name: str,
    owner_uid: str,
    *,
    ready: bool = True,
    node: str = "n1",
    labels: Obj | None = None,
    restarts: int = 0,
    waiting: str | None = None,
) -> Obj:
    state: Obj = {"running": {"startedAt": "2026-01-01T00:00:00Z"}}
    if waiting:
        state = {"waiting": {"reason": waiting}}
    return {
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "shop",
            "uid": f"uid-{name}",
            "labels": labels or {},
            "ownerReferences": [{"uid": owner_uid, "controller": True}],
        },
        "spec": {"nodeName": node, "containers": [{"name": "app", "image": "x"}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [
                {"name": "app", "ready": ready, "restartCount": restarts, "state": state}
            ],
        },
    }


def test_deployment_tree_mid_rollout() -> None:
    d = _deployment(3)
    d["status"] = {"availableReplicas": 2}
    old = _rs("old", 1, "nginx:1.26", 2)
    new = _rs("new", 2, "nginx:1.27", 2, ready=1)
    ancient = _rs("gone", 0, "nginx:1.25", 0)
    pods = [
        _pod("web-old-b", "rs-old"),
        _pod("web-old-a", "rs-old", restarts=3),
        _pod("web-new-a", "rs-new"),
        _pod("web-new-b", "rs-new", ready=False, waiting="CrashLoopBackOff"),
        _pod("stray", "someone-else"),
    ]
    tree = build_rollout_tree(d, [old, ancient, new], pods)
    assert [(n.name, n.is_current, n.is_previous) for n in tree.revisions] == [
        ("web-new", True, False),
        ("web-old", False, True),
        ("web-gone", False, False),
        ("", False, False),
    ]
    current = tree.revisions[0]
    assert (current.desired, current.current, current.ready, current.available) == (2, 2, 1, 1)
    assert [p.name for p in current.pods] == ["web-new-a", "web-new-b"]
    assert current.pods[1].severity is Severity.ERROR
    assert current.pods[1].status == "CrashLoopBackOff"
    assert [p.name for p in tree.revisions[1].pods] == ["web-old-a", "web-old-b"]
    assert tree.revisions[1].pods[0].restarts == 3
    assert [p.name for p in tree.revisions[3].pods] == ["stray"]
    # pods 4 of at most 3 + 1; available 2 of at least 3 - 0 (25% of 3 rounds down to 0).
    assert (tree.budget.pods, tree.budget.max_pods) == (4, 4)
    assert (tree.budget.available, tree.budget.min_available) == (2, 3)

    text = plain(tree_text(tree), 160)
    assert "● revision 2  ReplicaSet web-new  current  desired 2 · current 2 · ready 1" in text
    assert "◀ revision 1  ReplicaSet web-old  previous" in text
    assert "✖ web-new-b  CrashLoopBackOff  0/1" in text
    assert "✔ web-old-a  Running  1/1  3 restarts" in text
    assert "revision 0: scaled down" in text
    assert "4 of at most 4 = 3 replicas + maxSurge 1 (25% of 3, rounded up)" in text
    assert "2 of at least 3 = 3 replicas - maxUnavailable 0 (25% of 3, rounded down)" in text
    assert "pods of no revision" in text


def _controller_revision(name: str, revision: int, owner: str, hash_label: str) -> Obj:
    return {
        "kind": "ControllerRevision",
        "metadata": {
            "name": name,
            "namespace": "shop",
            "uid": f"cr-{name}",
            "labels": {"controller-revision-hash": hash_label},
            "ownerReferences": [{"uid": owner, "controller": True}],
        },
        "revision": revision,
        "data": {"spec": {"template": _template(f"img:{revision}")}},
    }


def test_statefulset_pods_belong_to_the_revision_their_label_names() -> None:
    sts = _statefulset(3, {"partition": 1})
    sts["status"].update({"currentRevision": "db-aaa", "updateRevision": "db-bbb"})
    revisions = [
        _controller_revision("db-aaa", 1, "s1", "aaa"),
        _controller_revision("db-bbb", 2, "s1", "bbb"),
    ]
    pods = [
        _pod("db-10", "s1", labels={"controller-revision-hash": "db-bbb"}),
        _pod("db-2", "s1", labels={"controller-revision-hash": "db-bbb"}, ready=False),
        _pod("db-0", "s1", labels={"controller-revision-hash": "db-aaa"}),
    ]
    tree = build_rollout_tree(sts, revisions, pods)
    new, old = tree.revisions
    assert (new.name, new.is_current, old.is_previous) == ("db-bbb", True, True)
    assert [p.name for p in new.pods] == ["db-2", "db-10"]  # by ordinal
    assert (new.current, new.ready, new.desired) == (2, 1, None)
    text = plain(tree_text(tree), 160)
    assert "partition 1 (ordinals < 1 keep the current revision)" in text
    assert "maxUnavailable 1" in text


def test_daemonset_pods_match_the_revisions_hash_label() -> None:
    ds = _daemonset(2, {"maxUnavailable": 1, "maxSurge": 0})
    revisions = [_controller_revision("agent-5f6", 1, "ds1", "5f6")]
    pods = [_pod("agent-x", "ds1", labels={"controller-revision-hash": "5f6"})]
    tree = build_rollout_tree(ds, revisions, pods)
    assert [p.name for p in tree.revisions[0].pods] == ["agent-x"]
    assert tree.revisions[0].is_current and len(tree.revisions) == 1


def test_hostile_names_are_escaped() -> None:
    d = _deployment(1)
    rs = _rs("a", 1, "nginx", 1)
    rs["metadata"]["name"] = "web-\x1b[31mred"
    text = plain(tree_text(build_rollout_tree(d, [rs], [])), 160)
    assert "\x1b" not in text
