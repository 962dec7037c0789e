"""The DaemonSet controller: one pod per eligible node, node changes, rolling updates."""

from __future__ import annotations

from typing import Any

from controller_testing import Cluster, make_node, wait_for

from ktui.sim.controllers import util
from ktui.sim.controllers.daemonset import target_node

HASH = "controller-revision-hash"


def daemonset(name: str = "agent", image: str = "agent:1", **spec: Any) -> dict[str, Any]:
    template_spec = {"containers": [{"name": "agent", "image": image}]}
    template_spec.update(spec.pop("pod_spec", {}))
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": template_spec},
            **spec,
        },
    }


def ds_status(c: Cluster, name: str = "agent") -> dict[str, Any]:
    return c.get("apps", "daemonsets", name).get("status") or {}


def pods_by_node(c: Cluster, app: str = "agent") -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for pod in c.list("", "pods", label_selector=f"app={app}"):
        out.setdefault(target_node(pod), []).append(pod)
    return out


def settled(c: Cluster, desired: int, name: str = "agent") -> bool:
    ds = c.get("apps", "daemonsets", name)
    status = ds.get("status") or {}
    return (
        status.get("observedGeneration") == ds["metadata"]["generation"]
        and status.get("desiredNumberScheduled") == desired
        and status.get("numberAvailable", 0) == desired
        and status.get("updatedNumberScheduled", 0) == desired
        and status.get("currentNumberScheduled") == desired
    )


def test_one_pod_per_node_with_node_affinity() -> None:
    with Cluster(nodes=["n1", "n2", "n3"]) as c:
        c.create(daemonset())
        wait_for(lambda: settled(c, 3), "a ready daemon pod on each node")
        by_node = pods_by_node(c)
        assert sorted(by_node) == ["n1", "n2", "n3"]
        revision = c.list("apps", "controllerrevisions")[0]
        for node, (pod,) in by_node.items():
            assert pod["spec"]["nodeName"] == node
            assert pod["metadata"]["generateName"] == "agent-"
            assert pod["metadata"]["labels"][HASH] == revision["metadata"]["labels"][HASH]
            assert pod["spec"]["affinity"] == {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchFields": [
                                    {"key": "metadata.name", "operator": "In", "values": [node]}
                                ]
                            }
                        ]
                    }
                }
            }
            tolerated = {(t["key"], t["effect"]) for t in pod["spec"]["tolerations"]}
            assert ("node.kubernetes.io/unschedulable", "NoSchedule") in tolerated
            assert ("node.kubernetes.io/not-ready", "NoExecute") in tolerated
        status = ds_status(c)
        assert status == {
            "currentNumberScheduled": 3,
            "numberMisscheduled": 0,
            "desiredNumberScheduled": 3,
            "numberReady": 3,
            "observedGeneration": 1,
            "updatedNumberScheduled": 3,
            "numberAvailable": 3,
        }
        assert revision["metadata"]["name"] == f"agent-{revision['metadata']['labels'][HASH]}"
        assert revision["revision"] == 1


def test_nodes_coming_and_going() -> None:
    with Cluster(nodes=["n1", "n2"], pod_gc_quarantine=0.0) as c:
        c.create(daemonset())
        wait_for(lambda: settled(c, 2), "two daemon pods")
        c.client.create("", "nodes", make_node("n3"))
        wait_for(lambda: settled(c, 3) and "n3" in pods_by_node(c), "a pod for the new node")
        c.client.delete("", "nodes", None, "n1")
        wait_for(lambda: settled(c, 2), "desired drops with the node")
        # The pod bound to the vanished node is garbage-collected (pod GC).
        wait_for(lambda: "n1" not in pods_by_node(c), "the orphaned pod is gone")
        assert sorted(pods_by_node(c)) == ["n2", "n3"]


def test_node_selector_and_relabelling() -> None:
    with Cluster(nodes=["n1", "n2"]) as c:
        node = c.client.get("", "nodes", None, "n1")
        node["metadata"]["labels"]["disk"] = "ssd"
        c.client.update("", "nodes", node)
        c.create(daemonset(pod_spec={"nodeSelector": {"disk": "ssd"}}))
        wait_for(lambda: settled(c, 1), "one eligible node")
        assert list(pods_by_node(c)) == ["n1"]
        node = c.client.get("", "nodes", None, "n2")
        node["metadata"]["labels"]["disk"] = "ssd"
        c.client.update("", "nodes", node)
        wait_for(lambda: settled(c, 2), "n2 became eligible")
        node = c.client.get("", "nodes", None, "n1")
        del node["metadata"]["labels"]["disk"]
        c.client.update("", "nodes", node)
        wait_for(
            lambda: settled(c, 1) and list(pods_by_node(c)) == ["n2"],
            "the pod on the no longer matching node is removed",
        )
        assert ds_status(c)["numberMisscheduled"] == 0


def test_taints_tolerations_and_cordoned_nodes() -> None:
    with Cluster(nodes=["plain"]) as c:
        c.client.create(
            "",
            "nodes",
            make_node(
                "tainted", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
            ),
        )
        c.client.create("", "nodes", make_node("cordoned", unschedulable=True))
        c.create(daemonset())
        wait_for(lambda: settled(c, 2), "pods on the plain and the cordoned node")
        # As upstream: daemon pods tolerate node.kubernetes.io/unschedulable, so a cordoned
        # node still runs one.
        assert sorted(pods_by_node(c)) == ["cordoned", "plain"]
        c.create(
            daemonset(
                name="gpu-agent",
                pod_spec={
                    "tolerations": [
                        {
                            "key": "dedicated",
                            "operator": "Equal",
                            "value": "gpu",
                            "effect": "NoSchedule",
                        }
                    ]
                },
            )
        )
        wait_for(lambda: settled(c, 3, "gpu-agent"), "the tolerating set runs everywhere")
        assert sorted(pods_by_node(c, "gpu-agent")) == ["cordoned", "plain", "tainted"]
        # An untolerated NoExecute taint evicts the running daemon pod.
        node = c.client.get("", "nodes", None, "plain")
        node["spec"]["taints"] = [{"key": "maintenance", "effect": "NoExecute"}]
        c.client.update("", "nodes", node)
        wait_for(
            lambda: settled(c, 1) and sorted(pods_by_node(c)) == ["cordoned"],
            "the NoExecute taint removed the pod",
        )


def test_rolling_update_respects_max_unavailable() -> None:
    with Cluster(nodes=["n1", "n2", "n3"]) as c:
        c.create(daemonset())
        wait_for(lambda: settled(c, 3), "three daemon pods")
        old_hash = next(iter(pods_by_node(c).values()))[0]["metadata"]["labels"][HASH]
        items, rv = c.client.list("", "pods", "default")
        watch = c.client.watch("", "pods", "default", resource_version=rv)
        c.patch(
            "apps",
            "daemonsets",
            "agent",
            {
                "spec": {
                    "template": {"spec": {"containers": [{"name": "agent", "image": "agent:2"}]}}
                }
            },
        )

        def updated() -> bool:
            by_node = pods_by_node(c)
            return (
                settled(c, 3)
                and all(
                    len(ps) == 1 and ps[0]["metadata"]["labels"][HASH] != old_hash
                    for ps in by_node.values()
                )
                and len(by_node) == 3
            )

        wait_for(updated, "every node runs the new revision")
        pods = {p["metadata"]["name"]: p for p in items}
        while (event := watch.get(timeout=0.2)) is not None:
            if event.type == "DELETED":
                pods.pop(event.object["metadata"]["name"], None)
            else:
                pods[event.object["metadata"]["name"]] = event.object
            serving = {
                target_node(p)
                for p in pods.values()
                if util.is_pod_ready(p) and not util.is_deleting(p)
            }
            assert len(serving) >= 2, f"more than maxUnavailable=1 nodes were down: {serving}"
        watch.close()
        revisions = sorted(cr["revision"] for cr in c.list("apps", "controllerrevisions"))
        assert revisions == [1, 2]


def test_on_delete_strategy() -> None:
    with Cluster(nodes=["n1", "n2"]) as c:
        c.create(daemonset(updateStrategy={"type": "OnDelete"}))
        wait_for(lambda: settled(c, 2), "two daemon pods")
        before = {n: ps[0]["metadata"]["uid"] for n, ps in pods_by_node(c).items()}
        c.patch(
            "apps",
            "daemonsets",
            "agent",
            {
                "spec": {
                    "template": {"spec": {"containers": [{"name": "agent", "image": "agent:2"}]}}
                }
            },
        )
        wait_for(
            lambda: (
                ds_status(c).get("observedGeneration") == 2
                and ds_status(c).get("updatedNumberScheduled", 0) == 0
            ),
            "the new template was observed",
        )
        assert {n: ps[0]["metadata"]["uid"] for n, ps in pods_by_node(c).items()} == before
        victim = pods_by_node(c)["n1"][0]
        c.client.delete("", "pods", "default", victim["metadata"]["name"])
        wait_for(
            lambda: (
                ds_status(c).get("updatedNumberScheduled") == 1
                and ds_status(c).get("numberAvailable") == 2
            ),
            "n1 got a new-revision pod",
        )
        assert pods_by_node(c)["n2"][0]["metadata"]["uid"] == before["n2"]


def test_controller_can_bind_without_a_scheduler() -> None:
    with Cluster(nodes=["n1", "n2"], kubelet=False, daemonset_binds_pods=True) as c:
        c.create(daemonset())
        wait_for(
            lambda: sorted(util.pod_node(p) for p in c.list("", "pods")) == ["n1", "n2"],
            "the controller bound each pod to its node",
        )


def test_template_node_affinity_limits_the_nodes() -> None:
    with Cluster(nodes=["n1", "n2", "n3"]) as c:
        affinity = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": "kubernetes.io/hostname",
                                    "operator": "In",
                                    "values": ["n1", "n3"],
                                }
                            ]
                        }
                    ]
                }
            }
        }
        c.create(daemonset(pod_spec={"affinity": affinity}))
        wait_for(lambda: settled(c, 2), "pods on the two nodes the affinity allows")
        assert sorted(pods_by_node(c)) == ["n1", "n3"]
        pod = pods_by_node(c)["n1"][0]
        # The created pod's required terms are replaced by the one naming its node.
        terms = pod["spec"]["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"
        ]["nodeSelectorTerms"]
        assert terms == [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}
        ]
