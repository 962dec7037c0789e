"""The Deployment controller (with the ReplicaSet controller) against the embedded store."""

from __future__ import annotations

import json
from typing import Any

import pytest
from controller_testing import Cluster, FakeClock, MiniKubelet, wait_for

from ktui.sim.client import LocalClient
from ktui.sim.controllers import ControllerManager, util

REVISION = "deployment.kubernetes.io/revision"
HISTORY = "deployment.kubernetes.io/revision-history"
CHANGE_CAUSE = "kubernetes.io/change-cause"


def deployment(
    name: str = "web",
    replicas: int = 3,
    image: str = "nginx:1",
    strategy: dict[str, Any] | None = None,
    annotations: dict[str, str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
            **spec,
        },
    }
    if strategy is not None:
        obj["spec"]["strategy"] = strategy
    if annotations:
        obj["metadata"]["annotations"] = annotations
    return obj


def rolling(surge: Any, unavailable: Any) -> dict[str, Any]:
    return {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
    }


def rollout_complete(c: Cluster, name: str, revision: str) -> bool:
    d = c.get("apps", "deployments", name)
    status = d.get("status") or {}
    want = d["spec"]["replicas"]
    return (
        util.annotations_of(d).get(REVISION) == revision
        and status.get("observedGeneration", 0) >= d["metadata"]["generation"]
        and status.get("updatedReplicas", 0) == want
        and status.get("replicas", 0) == want
        and status.get("availableReplicas", 0) == want
    )


def wait_complete(c: Cluster, name: str, revision: str, timeout: float = 15) -> None:
    wait_for(
        lambda: rollout_complete(c, name, revision),
        f"deployment {name} completes revision {revision}",
        timeout,
    )


def replicasets(c: Cluster, app: str = "web") -> dict[str, dict[str, Any]]:
    return {
        rs["metadata"]["name"]: rs
        for rs in c.list("apps", "replicasets", label_selector=f"app={app}")
    }


def set_image(c: Cluster, image: str, name: str = "web", **annotations: str) -> None:
    body: dict[str, Any] = {
        "spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}
    }
    if annotations:
        body["metadata"] = {"annotations": annotations}
    c.patch("apps", "deployments", name, body)


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any] | None:
    for cond in (obj.get("status") or {}).get("conditions") or ():
        if cond.get("type") == type_:
            return dict(cond)
    return None


def test_create_makes_a_hashed_replicaset_at_revision_1() -> None:
    with Cluster(nodes=["n1", "n2"]) as c:
        c.create(deployment(replicas=3))
        wait_complete(c, "web", "1")
        (rs,) = replicasets(c).values()
        pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
        assert rs["metadata"]["name"] == f"web-{pod_hash}"
        assert set(pod_hash) <= set("456789bcdf")
        assert rs["spec"]["selector"]["matchLabels"] == {
            "app": "web",
            "pod-template-hash": pod_hash,
        }
        assert rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] == pod_hash
        assert rs["metadata"]["annotations"] == {
            REVISION: "1",
            "deployment.kubernetes.io/desired-replicas": "3",
            "deployment.kubernetes.io/max-replicas": "4",
        }
        d = c.get("apps", "deployments", "web")
        (ref,) = rs["metadata"]["ownerReferences"]
        assert ref == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "web",
            "uid": d["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
        pods = c.list("", "pods", label_selector="app=web")
        assert len(pods) == 3
        for pod in pods:
            assert pod["metadata"]["name"].startswith(f"web-{pod_hash}-")
            assert len(pod["metadata"]["name"]) == len(f"web-{pod_hash}-") + 5
            assert pod["metadata"]["labels"]["pod-template-hash"] == pod_hash
            assert pod["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
        assert rs["status"] == {
            "replicas": 3,
            "fullyLabeledReplicas": 3,
            "readyReplicas": 3,
            "availableReplicas": 3,
            "observedGeneration": 1,
        }
        status = d["status"]
        assert status["observedGeneration"] == d["metadata"]["generation"]
        assert "unavailableReplicas" not in status
        available = condition(d, "Available")
        progressing = condition(d, "Progressing")
        assert available is not None and progressing is not None
        assert (available["status"], available["reason"], available["message"]) == (
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
        )
        assert (progressing["status"], progressing["reason"], progressing["message"]) == (
            "True",
            "NewReplicaSetAvailable",
            f'ReplicaSet "{rs["metadata"]["name"]}" has successfully progressed.',
        )
        assert progressing["lastUpdateTime"].endswith("Z")


def test_rolling_update_respects_surge_and_availability() -> None:
    with Cluster(nodes=["n1", "n2"]) as c:
        c.create(deployment(replicas=3, strategy=rolling(1, 0)))
        wait_complete(c, "web", "1")
        rs_items, rs_rv = c.client.list("apps", "replicasets", "default")
        pod_items, pod_rv = c.client.list("", "pods", "default")
        rs_watch = c.client.watch("apps", "replicasets", "default", resource_version=rs_rv)
        pod_watch = c.client.watch("", "pods", "default", resource_version=pod_rv)
        old_name = rs_items[0]["metadata"]["name"]
        set_image(c, "nginx:2")
        wait_complete(c, "web", "2")

        specs = {rs["metadata"]["name"]: rs["spec"]["replicas"] for rs in rs_items}
        available = {
            rs["metadata"]["name"]: rs["status"].get("availableReplicas", 0) for rs in rs_items
        }
        sequence: list[tuple[int, int]] = []
        new_name = None
        while (event := rs_watch.get(timeout=0.2)) is not None:
            name = event.object["metadata"]["name"]
            if name != old_name:
                new_name = name
            if event.type == "DELETED":
                specs.pop(name, None)
                available.pop(name, None)
                continue
            specs[name] = event.object["spec"]["replicas"]
            available[name] = event.object.get("status", {}).get("availableReplicas", 0)
            assert sum(specs.values()) <= 3 + 1, f"surge exceeded: {specs}"
            assert sum(available.values()) >= 3 - 0, f"availability dropped: {available}"
            pair = (specs[old_name], specs.get(new_name, 0) if new_name else 0)
            if not sequence or sequence[-1] != pair:
                sequence.append(pair)
        rs_watch.close()
        # The exact scale sequence upstream produces for maxSurge=1, maxUnavailable=0 (the new
        # ReplicaSet is created at its first surge size).
        assert sequence == [(3, 1), (2, 1), (2, 2), (1, 2), (1, 3), (0, 3)]

        pods = {p["metadata"]["name"]: p for p in pod_items}
        while (event := pod_watch.get(timeout=0.2)) is not None:
            name = event.object["metadata"]["name"]
            if event.type == "DELETED":
                pods.pop(name, None)
            else:
                pods[name] = event.object
            serving = [p for p in pods.values() if util.is_pod_ready(p) and not util.is_deleting(p)]
            assert len(serving) >= 3, f"only {len(serving)} pods were serving"
        pod_watch.close()

        rss = replicasets(c)
        assert rss[new_name]["metadata"]["annotations"][REVISION] == "2"
        assert rss[old_name]["spec"]["replicas"] == 0
        assert rss[old_name]["metadata"]["annotations"][REVISION] == "1"


def test_returning_to_an_old_template_reuses_its_replicaset() -> None:
    with Cluster() as c:
        c.create(deployment(replicas=2))
        wait_complete(c, "web", "1")
        (first,) = replicasets(c)
        set_image(c, "nginx:2")
        wait_complete(c, "web", "2")
        set_image(c, "nginx:1")
        wait_complete(c, "web", "3")
        rss = replicasets(c)
        assert len(rss) == 2, "no third ReplicaSet for a template that already had one"
        reused = rss[first]
        assert reused["spec"]["replicas"] == 2
        assert reused["metadata"]["annotations"][REVISION] == "3"
        assert reused["metadata"]["annotations"][HISTORY] == "1"
        (second,) = [name for name in rss if name != first]
        assert rss[second]["metadata"]["annotations"][REVISION] == "2"
        assert rss[second]["spec"]["replicas"] == 0
        # And once more: the history grows.
        set_image(c, "nginx:2")
        wait_complete(c, "web", "4")
        assert replicasets(c)[second]["metadata"]["annotations"][HISTORY] == "2"


def test_kubectl_rollout_undo(sim: Any, kubectl: Any) -> None:
    client = LocalClient(sim.store)
    kubelet = MiniKubelet(client, nodes=["n1"]).start()
    manager = ControllerManager(client)
    manager.start()
    try:
        kubectl(
            "create",
            "-f",
            "-",
            input=json.dumps(deployment(replicas=2, annotations={CHANGE_CAUSE: "first"})),
        )
        wait_for(lambda: rollout_complete_client(client, "1"), "revision 1 rolled out")
        kubectl("set", "image", "deployment/web", "app=nginx:2")
        kubectl("annotate", "deployment/web", f"{CHANGE_CAUSE}=second", "--overwrite")
        wait_for(lambda: rollout_complete_client(client, "2"), "revision 2 rolled out")
        history = kubectl("rollout", "history", "deployment/web").stdout
        assert "first" in history and "second" in history
        kubectl("rollout", "undo", "deployment/web")
        wait_for(lambda: rollout_complete_client(client, "3"), "the undo rolled out")
        items, _ = client.list("apps", "replicasets", "default")
        by_revision = {rs["metadata"]["annotations"][REVISION]: rs for rs in items}
        assert sorted(by_revision) == ["2", "3"]
        undone = by_revision["3"]
        assert undone["metadata"]["annotations"][HISTORY] == "1"
        assert undone["metadata"]["annotations"][CHANGE_CAUSE] == "first"
        assert undone["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1"
        d = client.get("apps", "deployments", "default", "web")
        assert d["metadata"]["annotations"][CHANGE_CAUSE] == "first"
        status = kubectl("rollout", "status", "deployment/web", "--timeout=20s").stdout
        assert 'deployment "web" successfully rolled out' in status
        history = kubectl("rollout", "history", "deployment/web").stdout
        assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["2", "3"]
    finally:
        manager.stop()
        kubelet.stop()


def rollout_complete_client(client: LocalClient, revision: str) -> bool:
    d = client.get("apps", "deployments", "default", "web")
    status = d.get("status") or {}
    want = d["spec"]["replicas"]
    return (
        util.annotations_of(d).get(REVISION) == revision
        and status.get("observedGeneration", 0) >= d["metadata"]["generation"]
        and status.get("updatedReplicas") == want == status.get("availableReplicas")
        and status.get("replicas") == want
    )


def test_recreate_removes_old_pods_before_creating_new_ones() -> None:
    with Cluster(nodes=["n1"]) as c:
        c.create(deployment(replicas=3, strategy={"type": "Recreate"}))
        wait_complete(c, "web", "1")
        (old_name,) = replicasets(c)
        watch = c.store.watch(namespace="default", resource_version=c.store.resource_version)
        set_image(c, "nginx:2")
        wait_complete(c, "web", "2")
        events = []
        while (event := watch.get(timeout=0.2)) is not None:
            events.append(event)
        watch.close()

        def index(predicate: Any) -> list[int]:
            return [i for i, e in enumerate(events) if predicate(e)]

        old_zero = index(
            lambda e: (
                e.resource == "replicasets"
                and e.object["metadata"]["name"] == old_name
                and e.object["spec"]["replicas"] == 0
            )
        )
        old_pod_gone = index(
            lambda e: (
                e.resource == "pods"
                and e.type == "DELETED"
                and e.object["metadata"]["name"].startswith(old_name + "-")
            )
        )
        new_rs_added = index(lambda e: e.resource == "replicasets" and e.type == "ADDED")
        new_pod_added = index(lambda e: e.resource == "pods" and e.type == "ADDED")
        assert old_zero and len(old_pod_gone) == 3 and new_rs_added and new_pod_added
        assert old_zero[0] < new_rs_added[0]
        assert max(old_pod_gone) < new_rs_added[0] < new_pod_added[0]


def test_paused_deployment_scales_but_does_not_roll_out() -> None:
    with Cluster() as c:
        c.create(deployment(replicas=2))
        wait_complete(c, "web", "1")
        c.patch("apps", "deployments", "web", {"spec": {"paused": True}})
        set_image(c, "nginx:2")

        def paused_and_seen() -> bool:
            d = c.get("apps", "deployments", "web")
            cond = condition(d, "Progressing") or {}
            return (
                d["status"].get("observedGeneration") == d["metadata"]["generation"]
                and cond.get("reason") == "DeploymentPaused"
                and cond.get("status") == "Unknown"
            )

        wait_for(paused_and_seen, "the paused deployment's new generation was observed")
        (only,) = replicasets(c).values()
        assert only["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1"
        c.patch("apps", "deployments", "web", {"spec": {"replicas": 4}})
        wait_for(
            lambda: next(iter(replicasets(c).values()))["spec"]["replicas"] == 4,
            "a paused deployment still scales",
        )
        assert len(replicasets(c)) == 1
        c.patch("apps", "deployments", "web", {"spec": {"paused": False}})
        wait_complete(c, "web", "2")
        d = c.get("apps", "deployments", "web")
        assert (condition(d, "Progressing") or {}).get("reason") == "NewReplicaSetAvailable"


def test_scaling_mid_rollout_is_proportional() -> None:
    # The example of the Kubernetes documentation: 10 replicas, maxSurge 3, maxUnavailable 2, a
    # rollout to an image whose pods never become ready, then a scale to 15.
    def ready(pod: dict[str, Any]) -> bool:
        return bool(pod["spec"]["containers"][0]["image"] != "nginx:bad")

    with Cluster(nodes=["n1", "n2", "n3"], ready=ready) as c:
        c.create(deployment(replicas=10, strategy=rolling(3, 2)))
        wait_complete(c, "web", "1")
        (old_name,) = replicasets(c)
        set_image(c, "nginx:bad")

        def sizes() -> tuple[int, int]:
            rss = replicasets(c)
            new = [rs for name, rs in rss.items() if name != old_name]
            return rss[old_name]["spec"]["replicas"], (new[0]["spec"]["replicas"] if new else 0)

        wait_for(lambda: sizes() == (8, 5), "the stuck rollout settles at old 8 / new 5")
        c.patch("apps", "deployments", "web", {"spec": {"replicas": 15}})
        wait_for(lambda: sizes() == (11, 7), "the scale to 15 split 3 to old and 2 to new")
        for rs in replicasets(c).values():
            annotations = rs["metadata"]["annotations"]
            assert annotations["deployment.kubernetes.io/desired-replicas"] == "15"
            assert annotations["deployment.kubernetes.io/max-replicas"] == "18"


def test_progress_deadline_exceeded() -> None:
    clock = FakeClock(1_600_000_000)
    with Cluster(clock=clock, ready=False) as c:
        c.create(deployment(replicas=2, progressDeadlineSeconds=30))

        def progressing() -> dict[str, Any] | None:
            return condition(c.get("apps", "deployments", "web"), "Progressing")

        wait_for(lambda: (progressing() or {}).get("status") == "True", "Progressing=True")
        d = c.get("apps", "deployments", "web")
        available = condition(d, "Available") or {}
        assert (available.get("status"), available.get("reason")) == (
            "False",
            "MinimumReplicasUnavailable",
        )
        wait_for(lambda: d_status(c).get("unavailableReplicas") == 2, "two unavailable pods")
        assert (progressing() or {}).get("status") == "True"
        c.advance(31)
        wait_for(
            lambda: (progressing() or {}).get("reason") == "ProgressDeadlineExceeded",
            "the deadline passed",
        )
        cond = progressing() or {}
        (rs_name,) = replicasets(c)
        assert cond["status"] == "False"
        assert cond["message"] == f'ReplicaSet "{rs_name}" has timed out progressing.'
        assert cond["lastUpdateTime"] == util.rfc3339(clock())


def d_status(c: Cluster) -> dict[str, Any]:
    return c.get("apps", "deployments", "web").get("status") or {}


def test_revision_history_limit_cleans_old_replicasets() -> None:
    with Cluster() as c:
        c.create(deployment(replicas=1, revisionHistoryLimit=1))
        wait_complete(c, "web", "1")
        for revision, image in (("2", "nginx:2"), ("3", "nginx:3"), ("4", "nginx:4")):
            set_image(c, image)
            wait_complete(c, "web", revision)

        def kept() -> list[str] | None:
            revisions = sorted(
                rs["metadata"]["annotations"][REVISION] for rs in replicasets(c).values()
            )
            return revisions if revisions == ["3", "4"] else None

        wait_for(kept, "only the newest old ReplicaSet is kept")


def test_change_cause_and_annotations_are_copied() -> None:
    with Cluster() as c:
        c.create(
            deployment(
                replicas=1,
                annotations={
                    CHANGE_CAUSE: "v1",
                    "kubectl.kubernetes.io/last-applied-configuration": "{}",
                    "team": "blue",
                },
            )
        )
        wait_complete(c, "web", "1")
        (first,) = replicasets(c)
        set_image(c, "nginx:2", **{CHANGE_CAUSE: "v2"})
        wait_complete(c, "web", "2")
        rss = replicasets(c)
        (second,) = [n for n in rss if n != first]
        new_annotations = rss[second]["metadata"]["annotations"]
        assert new_annotations[CHANGE_CAUSE] == "v2"
        assert new_annotations["team"] == "blue"
        assert "kubectl.kubernetes.io/last-applied-configuration" not in new_annotations
        assert rss[first]["metadata"]["annotations"][CHANGE_CAUSE] == "v1"


def test_min_ready_seconds_delays_availability() -> None:
    clock = FakeClock(1_600_000_000)
    with Cluster(clock=clock) as c:
        c.create(deployment(replicas=2, minReadySeconds=10))

        def rs_status() -> dict[str, Any]:
            rss = list(replicasets(c).values())
            return (rss[0].get("status") or {}) if rss else {}

        wait_for(lambda: rs_status().get("readyReplicas") == 2, "both pods ready")
        assert rs_status().get("availableReplicas", 0) == 0
        assert (condition(c.get("apps", "deployments", "web"), "Available") or {}).get(
            "status"
        ) == "False"
        c.advance(11)
        wait_for(
            lambda: rs_status().get("availableReplicas") == 2,
            "pods count as available after minReadySeconds",
        )
        wait_for(
            lambda: (
                (condition(c.get("apps", "deployments", "web"), "Available") or {}).get("status")
                == "True"
            ),
            "the deployment is available",
        )


def test_orphan_replicaset_with_the_same_template_is_adopted() -> None:
    with Cluster() as c:
        template = deployment(replicas=2)["spec"]["template"]
        c.create(
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {"name": "handmade", "labels": {"app": "web"}},
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": {"app": "web"}},
                    "template": template,
                },
            }
        )
        wait_for(
            lambda: len(c.list("", "pods", label_selector="app=web")) == 2,
            "the orphan ReplicaSet runs its pods",
        )
        c.create(deployment(replicas=2))
        wait_complete(c, "web", "1")
        rss = replicasets(c)
        assert list(rss) == ["handmade"]
        d = c.get("apps", "deployments", "web")
        assert rss["handmade"]["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"]
        assert len(c.list("", "pods", label_selector="app=web")) == 2


@pytest.mark.parametrize(("surge", "unavailable", "expected_max"), [("25%", "25%", 5)])
def test_percentages_resolve_like_upstream(surge: str, unavailable: str, expected_max: int) -> None:
    with Cluster() as c:
        c.create(deployment(replicas=4, strategy=rolling(surge, unavailable)))
        wait_complete(c, "web", "1")
        (rs,) = replicasets(c).values()
        assert rs["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"] == str(
            expected_max
        )
