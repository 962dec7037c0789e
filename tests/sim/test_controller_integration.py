"""The controllers with the rest of the embedded cluster: over HTTP, and with the real scheduler
and node agent."""

from __future__ import annotations

from typing import Any

from controller_testing import MiniKubelet, wait_for

from ktui.sim.client import LocalClient
from ktui.sim.cluster import EmbeddedCluster
from ktui.sim.controllers import ControllerManager, util
from ktui.sim.httpclient import HttpClient
from ktui.sim.lifecycle import Timings


def deployment(image: str = "nginx:1", replicas: int = 3) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
        },
    }


def rolled_out(client: Any, revision: str, replicas: int = 3) -> bool:
    d = client.get("apps", "deployments", "default", "web")
    status = d.get("status") or {}
    return (
        util.annotations_of(d).get("deployment.kubernetes.io/revision") == revision
        and status.get("observedGeneration") == d["metadata"]["generation"]
        and status.get("updatedReplicas") == replicas
        and status.get("availableReplicas") == replicas
        and status.get("replicas") == replicas
    )


def test_controllers_over_http(sim: Any) -> None:
    local = LocalClient(sim.store)
    kubelet = MiniKubelet(local, nodes=["n1", "n2"]).start()
    manager = ControllerManager(HttpClient(sim.api_client()))
    manager.start()
    try:
        local.create("apps", "deployments", deployment())
        wait_for(lambda: rolled_out(local, "1"), "revision 1 over HTTP")
        local.patch(
            "apps",
            "deployments",
            "default",
            "web",
            "application/merge-patch+json",
            {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:2"}]}}}},
        )
        wait_for(lambda: rolled_out(local, "2"), "revision 2 over HTTP")
        items, _ = local.list("apps", "replicasets", "default")
        assert sorted(rs["spec"]["replicas"] for rs in items) == [0, 3]
    finally:
        manager.stop()
        kubelet.stop()


def test_with_the_scheduler_and_node_agent() -> None:
    with EmbeddedCluster(nodes=2, timings=Timings(scale=0.01)) as cluster:
        client = cluster.client
        client.create("apps", "deployments", deployment())
        wait_for(lambda: rolled_out(client, "1"), "the deployment runs on the node agent", 30)
        client.patch(
            "apps",
            "deployments",
            "default",
            "web",
            "application/merge-patch+json",
            {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:2"}]}}}},
        )
        wait_for(lambda: rolled_out(client, "2"), "the rolling update finished", 30)
        client.create(
            "apps",
            "daemonsets",
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "metadata": {"name": "agent", "namespace": "default"},
                "spec": {
                    "selector": {"matchLabels": {"app": "agent"}},
                    "template": {
                        "metadata": {"labels": {"app": "agent"}},
                        "spec": {"containers": [{"name": "a", "image": "agent:1"}]},
                    },
                },
            },
        )

        def daemon_pods_ready() -> bool:
            status = client.get("apps", "daemonsets", "default", "agent").get("status") or {}
            return status.get("desiredNumberScheduled") == 2 and status.get("numberAvailable") == 2

        wait_for(daemon_pods_ready, "a daemon pod runs on each node", 30)
        pods, _ = client.list("", "pods", "default", label_selector="app=agent")
        assert sorted(util.pod_node(p) for p in pods) == cluster.node_names
        client.create(
            "batch",
            "jobs",
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": "once", "namespace": "default"},
                "spec": {
                    "completions": 2,
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "c", "image": "busybox"}],
                        }
                    },
                },
            },
        )

        def job_complete() -> bool:
            job = client.get("batch", "jobs", "default", "once")
            return any(
                c.get("type") == "Complete"
                for c in (job.get("status") or {}).get("conditions") or ()
            )

        wait_for(job_complete, "the job completed on the node agent", 30)
        assert client.get("batch", "jobs", "default", "once")["status"]["succeeded"] == 2


def _workload(kind: str, name: str, image: str) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": "app", "image": image}]},
        },
    }
    if kind == "StatefulSet":
        spec.update({"serviceName": name, "replicas": 2})
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
    }


def test_kubectl_rollout_undo_of_statefulsets_and_daemonsets(sim: Any, kubectl: Any) -> None:
    import json

    local = LocalClient(sim.store)
    kubelet = MiniKubelet(local, nodes=["n1", "n2"]).start()
    manager = ControllerManager(local)
    manager.start()
    try:
        for kind, resource in (("StatefulSet", "statefulsets"), ("DaemonSet", "daemonsets")):
            name = kind.lower()
            kubectl("create", "-f", "-", input=json.dumps(_workload(kind, name, "img:1")))
            wait_for(
                lambda r=resource, n=name: (
                    len(
                        local.list(
                            "apps", "controllerrevisions", "default", label_selector=f"app={n}"
                        )[0]
                    )
                    == 1
                ),
                f"the {kind}'s first revision",
            )
            kubectl("set", "image", f"{resource}/{name}", "app=img:2")
            wait_for(
                lambda n=name: (
                    len(
                        local.list(
                            "apps", "controllerrevisions", "default", label_selector=f"app={n}"
                        )[0]
                    )
                    == 2
                ),
                f"the {kind}'s second revision",
            )
            history = kubectl("rollout", "history", f"{resource}/{name}").stdout
            assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == [
                "1",
                "2",
            ]
            kubectl("rollout", "undo", f"{resource}/{name}")

            def back_on_1(r: str = resource, n: str = name) -> bool:
                obj = local.get("apps", r, "default", n)
                image = obj["spec"]["template"]["spec"]["containers"][0]["image"]
                pods, _ = local.list("", "pods", "default", label_selector=f"app={n}")
                return (
                    image == "img:1"
                    and bool(pods)
                    and all(
                        p["spec"]["containers"][0]["image"] == "img:1" and util.is_pod_ready(p)
                        for p in pods
                    )
                )

            wait_for(back_on_1, f"the {kind} rolled back to img:1")
            revisions, _ = local.list(
                "apps", "controllerrevisions", "default", label_selector=f"app={name}"
            )
            # The first revision was reused with the next number, as upstream does.
            assert sorted(r["revision"] for r in revisions) == [2, 3]
    finally:
        manager.stop()
        kubelet.stop()
