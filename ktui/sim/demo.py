"""`ktui --demo`'s cluster: the embedded cluster with a small shop running on it.

The scenario is meant to show ktui's job within seconds: pods going through init containers and
sidecars, a crash loop, a mistyped image, a database StatefulSet starting in order, a DaemonSet
on every node, a CronJob firing every minute, and a rollout of `shop/web` every few minutes that
the user can watch and undo. Three pods stand on their own: a bare pod, a Spark driver whose owner
(a SparkApplication) is a kind ktui does not cache and which runs out of memory, and a pod that
stays Pending because no node matches its nodeSelector (with the scheduler's message).

The app on top of it is wired in `ktui.demo`; nothing here knows about the UI.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ktui.sim.cluster import EmbeddedCluster
from ktui.sim.lifecycle import BEHAVIOR_ANNOTATION, CONTAINER_BEHAVIOR_PREFIX, Timings
from ktui.sim.store import StoreError

log = logging.getLogger(__name__)

Obj = dict[str, Any]
NAMESPACES = ("shop", "data", "platform", "batch")
WEB_IMAGES = ("nginx:1.27.2", "nginx:1.27.3")
CHANGE_CAUSE = "kubernetes.io/change-cause"


def _meta(name: str, namespace: str, **extra: Any) -> Obj:
    return {"name": name, "namespace": namespace, "labels": {"app": name}, **extra}


def _template(
    name: str,
    containers: list[Obj],
    *,
    init: list[Obj] | None = None,
    annotations: dict[str, str] | None = None,
    restart_policy: str | None = None,
) -> Obj:
    spec: Obj = {"containers": containers, "terminationGracePeriodSeconds": 10}
    if init:
        spec["initContainers"] = init
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    metadata: Obj = {"labels": {"app": name}}
    if annotations:
        metadata["annotations"] = annotations
    return {"metadata": metadata, "spec": spec}


def _container(name: str, image: str, *, probe_delay: int | None = None, **extra: Any) -> Obj:
    container: Obj = {
        "name": name,
        "image": image,
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
        **extra,
    }
    if probe_delay is not None:
        container["readinessProbe"] = {
            "httpGet": {"path": "/healthz", "port": 8080},
            "initialDelaySeconds": probe_delay,
            "periodSeconds": 2,
        }
    return container


def _deployment(
    name: str, namespace: str, replicas: int, template: Obj, **spec_extra: Any
) -> tuple[str, str, Obj]:
    return (
        "apps",
        "deployments",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta(name, namespace),
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": template,
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
                },
                "progressDeadlineSeconds": 120,
                **spec_extra,
            },
        },
    )


SPARK_APPLICATION_UID = "5f1c9a0e-7d2b-4c41-9a53-2b8e6f0d3c17"
"""The uid the Spark driver's ownerReference names (no such object exists: ktui does not watch
SparkApplications, and neither does the embedded cluster)."""


def _bare_pod(name: str, namespace: str, containers: list[Obj], **extra: Any) -> Obj:
    metadata = _meta(name, namespace, **extra.pop("metadata", {}))
    spec: Obj = {"containers": containers, "terminationGracePeriodSeconds": 10, **extra}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def standalone_pods() -> list[tuple[str, str, Obj]]:
    """Pods without a workload ktui knows: a bare pod, a Spark driver owned by a
    SparkApplication (OOM-killed every 20 s), and a pod no node can take."""
    debug = _bare_pod("debug-shell", "shop", [_container("shell", "busybox:1.36")])
    spark = _bare_pod(
        "spark-pi-driver",
        "batch",
        [
            {
                **_container("spark-kubernetes-driver", "apache/spark:3.5.1"),
                "resources": {
                    "requests": {"cpu": "100m", "memory": "128Mi"},
                    "limits": {"memory": "256Mi"},
                },
            }
        ],
        metadata={
            "annotations": {BEHAVIOR_ANNOTATION: "oom-after=20s"},
            "ownerReferences": [
                {
                    "apiVersion": "sparkoperator.k8s.io/v1beta2",
                    "kind": "SparkApplication",
                    "name": "spark-pi",
                    "uid": SPARK_APPLICATION_UID,
                    "controller": True,
                }
            ],
        },
    )
    gpu = _bare_pod(
        "gpu-trainer",
        "data",
        [_container("trainer", "shop/trainer:0.3")],
        nodeSelector={"accelerator": "nvidia-a100"},
    )
    return [("", "pods", pod) for pod in (debug, spark, gpu)]


def scenario() -> list[tuple[str, str, Obj]]:
    """(group, resource, object) to create, in order."""
    objects: list[tuple[str, str, Obj]] = [
        ("", "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        for ns in NAMESPACES
    ]
    web = _template(
        "web",
        [
            _container("nginx", WEB_IMAGES[0], probe_delay=4),
            # A second regular container that ships logs: shown plainly as a container.
            _container("log-shipper", "fluent/fluent-bit:3.1"),
        ],
        init=[_container("migrate", "shop/migrations:41")],
        annotations={CONTAINER_BEHAVIOR_PREFIX + "migrate": "after=3s"},
    )
    web_deployment = _deployment("web", "shop", 3, web)
    web_deployment[2]["metadata"]["annotations"] = {CHANGE_CAUSE: "initial release"}
    objects.append(web_deployment)
    api = _template(
        "api",
        [_container("api", "shop/api:2.4.1", probe_delay=6)],
        # A native sidecar: an init container that keeps running beside the app.
        init=[_container("envoy", "envoyproxy/envoy:v1.31", restartPolicy="Always")],
    )
    objects.append(_deployment("api", "shop", 2, api))
    objects.append(
        _deployment(
            "payments-worker",
            "shop",
            1,
            _template(
                "payments-worker",
                [_container("worker", "shop/payments-worker:0.9")],
                annotations={BEHAVIOR_ANNOTATION: "crash-after=8s"},
            ),
        )
    )
    objects.append(
        _deployment(
            "checkout",
            "shop",
            2,
            _template("checkout", [_container("checkout", "shop/chekout:1.3-doesnotexist")]),
        )
    )
    objects.append(
        (
            "apps",
            "statefulsets",
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet",
                "metadata": _meta("postgres", "data"),
                "spec": {
                    "replicas": 3,
                    "serviceName": "postgres",
                    "selector": {"matchLabels": {"app": "postgres"}},
                    "template": _template(
                        "postgres", [_container("postgres", "postgres:16.4", probe_delay=5)]
                    ),
                },
            },
        )
    )
    objects.append(
        (
            "apps",
            "daemonsets",
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "metadata": _meta("node-exporter", "platform"),
                "spec": {
                    "selector": {"matchLabels": {"app": "node-exporter"}},
                    "template": _template(
                        "node-exporter", [_container("exporter", "prom/node-exporter:v1.8.2")]
                    ),
                },
            },
        )
    )
    job_template = _template(
        "nightly-report",
        [_container("report", "shop/reports:7")],
        annotations={BEHAVIOR_ANNOTATION: "exit=0 after=12s"},
        restart_policy="Never",
    )
    objects.append(
        (
            "batch",
            "cronjobs",
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": _meta("report", "batch"),
                "spec": {
                    "schedule": "*/1 * * * *",
                    "successfulJobsHistoryLimit": 3,
                    "failedJobsHistoryLimit": 1,
                    "jobTemplate": {"spec": {"backoffLimit": 2, "template": job_template}},
                },
            },
        )
    )
    objects += standalone_pods()
    return objects


def load_scenario(cluster: EmbeddedCluster) -> None:
    for group, resource, obj in scenario():
        try:
            cluster.client.create(group, resource, obj)
        except StoreError as exc:
            if exc.code != 409:  # already there (a restarted scenario)
                raise


class RolloutDriver:
    """Rolls `shop/web` to its other image every `interval` seconds, like a CD pipeline would."""

    def __init__(
        self, cluster: EmbeddedCluster, *, first: float = 45.0, interval: float = 180.0
    ) -> None:
        self.cluster = cluster
        self.first = first
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-rollouts", daemon=True)

    def start(self) -> RolloutDriver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def roll_once(self) -> str:
        web = self.cluster.client.get("apps", "deployments", "shop", "web")
        containers = web["spec"]["template"]["spec"]["containers"]
        current = containers[0]["image"]
        image = WEB_IMAGES[1] if current == WEB_IMAGES[0] else WEB_IMAGES[0]
        patch = {
            "metadata": {"annotations": {CHANGE_CAUSE: f"ci: deploy web {image}"}},
            "spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": image}]}}},
        }
        self.cluster.client.patch("apps", "deployments", "shop", "web", "strategic", patch)
        return image

    def _run(self) -> None:
        delay = self.first
        while not self._stop.wait(delay):
            delay = self.interval
            try:
                self.roll_once()
            except Exception as exc:  # the user may have deleted or changed web: keep going
                log.info("demo rollout skipped: %s", exc)


@contextlib.contextmanager
def running_demo(
    *,
    port: int = 0,
    timings: Timings | None = None,
    rollouts: bool = True,
    clock: Callable[[], float] | None = None,
) -> Iterator[EmbeddedCluster]:
    kwargs: dict[str, Any] = {"port": port, "timings": timings}
    if clock is not None:
        kwargs["clock"] = clock
    cluster = EmbeddedCluster(**kwargs).start()
    driver = None
    try:
        load_scenario(cluster)
        if rollouts:
            driver = RolloutDriver(cluster).start()
        yield cluster
    finally:
        if driver is not None:
            driver.stop()
        cluster.stop()


@contextlib.contextmanager
def demo_kubeconfig() -> Iterator[str]:
    """The demo cluster running (with its rollouts), and the path of a kubeconfig for it.

    The kubeconfig lives in a temporary directory; both go away when the block exits."""
    with tempfile.TemporaryDirectory(prefix="ktui-demo-") as tmp, running_demo() as cluster:
        path = str(Path(tmp) / "kubeconfig")
        cluster.write_kubeconfig(path)
        yield path
