"""`ktui --demo`: the demo scenario on the embedded cluster, seen through the app.

The cluster runs at a tenth of real time (Timings(scale=0.1)) and its clock is set a few seconds
before a minute boundary, so the `*/1 * * * *` CronJob fires within seconds instead of up to a
minute (every part of the cluster shares that clock, as the parts of a real one share NTP time).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from ktui.cluster.connection import connect
from ktui.demo import run_demo_app
from ktui.settings import Settings
from ktui.sim.cluster import EmbeddedCluster
from ktui.sim.demo import (
    CHANGE_CAUSE,
    NAMESPACES,
    WEB_IMAGES,
    RolloutDriver,
    running_demo,
    scenario,
)
from ktui.sim.lifecycle import Timings
from ktui.ui.app import make_app
from ktui.ui.live_table import LiveTable

WORKLOADS = {
    ("shop", "web"): "Deployment",
    ("shop", "api"): "Deployment",
    ("shop", "payments-worker"): "Deployment",
    ("shop", "checkout"): "Deployment",
    ("data", "postgres"): "StatefulSet",
    ("platform", "node-exporter"): "DaemonSet",
    ("batch", "report"): "CronJob",
}
STANDALONE_PODS = [("shop", "debug-shell"), ("batch", "spark-pi-driver"), ("data", "gpu-trainer")]
"""A bare pod, a pod owned by a kind ktui does not cache, a pod no node can take."""
WORKLOAD_RESOURCES = {
    "Deployment": ("apps", "deployments"),
    "StatefulSet": ("apps", "statefulsets"),
    "DaemonSet": ("apps", "daemonsets"),
    "CronJob": ("batch", "cronjobs"),
}


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app never reads the developer's own ~/.config/ktui/config.yaml."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


def plain(cell: Any) -> str:
    return cell if isinstance(cell, str) else str(getattr(cell, "plain", cell))


def cells(table: LiveTable, key: str) -> list[str]:
    return [plain(c) for c in table.row(key) or ()]


async def wait_for(pilot: Any, condition: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if loop.time() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for: {what}")
        await pilot.pause(0.1)


def clock_before_minute(seconds_before: float) -> Callable[[], float]:
    """Real time shifted back (by under a minute) so that it is now `seconds_before` seconds
    before a minute boundary."""
    now = time.time()
    offset = (60 - seconds_before - now % 60) % 60 - 60
    return lambda: time.time() + offset


def test_scenario_is_the_shop() -> None:
    objects = scenario()
    created = [
        (obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])
        for _, _, obj in objects
    ]
    assert created[: len(NAMESPACES)] == [("Namespace", None, ns) for ns in NAMESPACES]
    rest = [item for item in created[len(NAMESPACES) :] if item[0] != "Pod"]
    assert {(ns, name): kind for kind, ns, name in rest} == WORKLOADS
    assert [item for item in created if item[0] == "Pod"] == [
        ("Pod", ns, name) for ns, name in STANDALONE_PODS
    ]
    spark = next(obj for _, _, obj in objects if obj["metadata"]["name"] == "spark-pi-driver")
    [owner] = spark["metadata"]["ownerReferences"]
    assert (owner["apiVersion"], owner["kind"]) == (
        "sparkoperator.k8s.io/v1beta2",
        "SparkApplication",
    )
    web = next(obj for _, _, obj in objects if obj["metadata"]["name"] == "web")
    assert web["metadata"]["annotations"][CHANGE_CAUSE] == "initial release"
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == WEB_IMAGES[0]


def uid_of(cluster: EmbeddedCluster, namespace: str, name: str) -> str:
    group, resource = WORKLOAD_RESOURCES[WORKLOADS[(namespace, name)]]
    return str(cluster.client.get(group, resource, namespace, name)["metadata"]["uid"])


def is_ready(pod: dict[str, Any]) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or ()
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def postgres_history(cluster: EmbeddedCluster) -> list[tuple[str, str, bool]]:
    """Every pod event in namespace data since the cluster started: (type, name, ready)."""
    watch = cluster.store.watch("", "pods", "data", resource_version="1")
    try:
        events = []
        while (event := watch.get(timeout=0.5)) is not None:
            events.append((event.type, event.object["metadata"]["name"], is_ready(event.object)))
        return events
    finally:
        watch.close()


async def test_demo_cluster_in_the_app(tmp_path: Path) -> None:
    with running_demo(
        timings=Timings(scale=0.1), rollouts=False, clock=clock_before_minute(8)
    ) as cluster:
        kubeconfig = cluster.write_kubeconfig(str(tmp_path / "kubeconfig"))
        settings = Settings(kubeconfig=kubeconfig, all_namespaces=True)
        connection = connect(settings)
        try:
            app = make_app(settings, connection=connection)
            async with app.run_test(size=(160, 50)) as pilot:
                screen = app.screen
                workloads = screen.query_one("#workloads", LiveTable)
                children = screen.query_one("#children", LiveTable)
                pods = screen.query_one("#pods", LiveTable)

                def shown_workloads() -> dict[tuple[str, str], str]:
                    # NAME NAMESPACE KIND ...
                    rows = (cells(workloads, key) for key in workloads.ordered_keys())
                    return {(row[1], row[0]): row[2] for row in rows}

                await wait_for(
                    pilot, lambda: shown_workloads() == WORKLOADS, "the seven demo workloads"
                )

                # checkout (a mistyped image) reads as stuck as soon as its pods show why.
                checkout_uid = uid_of(cluster, "shop", "checkout")
                await wait_for(
                    pilot,
                    # NAME NAMESPACE KIND READY UP-TO-DATE AVAILABLE HEALTH ...
                    lambda: cells(workloads, checkout_uid)[6:7] == ["✖ stuck: ImagePullBackOff"],
                    "checkout stuck in ImagePullBackOff",
                )

                # The standalone pods: the unschedulable one carries the scheduler's reason and
                # the Spark driver (owner not cached) is triaged like any pod.
                def triaged(name: str) -> str:
                    for uid, obj in app.model.objects.objects("Pod").items():
                        if obj["metadata"]["name"] == name:
                            problem = app.model.triage.get(uid)
                            return problem.reason if problem is not None else ""
                    return ""

                await wait_for(
                    pilot,
                    lambda: "didn't match node selector" in triaged("gpu-trainer"),
                    "gpu-trainer unschedulable",
                )
                assert triaged("gpu-trainer").startswith("cannot be scheduled (Unschedulable)")
                await wait_for(
                    pilot,
                    lambda: (
                        "OOMKilled" in triaged("spark-pi-driver")
                        or "out of memory" in triaged("spark-pi-driver")
                    ),
                    "the Spark driver OOM-killed",
                )

                # node-exporter: one pod per node, each Running.
                workloads.move_cursor_to_key(uid_of(cluster, "platform", "node-exporter"))

                def exporter_nodes() -> list[str]:
                    # POD READY STATUS CONTAINERS RESTARTS AGE NODE IP
                    rows = [cells(pods, key) for key in pods.ordered_keys()]
                    if len(rows) == 3 and all(
                        r[0].startswith("node-exporter-") and r[2] == "Running" for r in rows
                    ):
                        return sorted(r[6] for r in rows)
                    return []

                nodes = await wait_for(pilot, exporter_nodes, "three Running node-exporter pods")
                assert nodes == cluster.node_names

                # postgres: its pods come up in order, each after the previous one is Ready.
                workloads.move_cursor_to_key(uid_of(cluster, "data", "postgres"))

                def postgres_pods() -> list[str]:
                    rows = [cells(pods, key) for key in pods.ordered_keys()]
                    running = [
                        r[0]
                        for r in rows
                        if r[0].startswith("postgres-") and r[1] == "1/1" and r[2] == "Running"
                    ]
                    return sorted(running) if len(running) == 3 else []

                names = await wait_for(pilot, postgres_pods, "postgres-0, -1 and -2 Running 1/1")
                assert names == ["postgres-0", "postgres-1", "postgres-2"]
                events = postgres_history(cluster)
                for previous, pod in (("postgres-0", "postgres-1"), ("postgres-1", "postgres-2")):
                    created = events.index(("ADDED", pod, False))
                    ready = next(
                        i for i, e in enumerate(events) if e[1] == previous and e[2] is True
                    )
                    assert ready < created, f"{pod} was created before {previous} was Ready"

                # report: the CronJob fires at the minute and its Job shows below it.
                report_uid = uid_of(cluster, "batch", "report")
                workloads.move_cursor_to_key(report_uid)

                def report_job() -> str | None:
                    keys = children.ordered_keys()
                    name = cells(children, keys[0])[0] if len(keys) == 1 else ""
                    return name if name.startswith("report-") else None

                job_name = await wait_for(pilot, report_job, "the report CronJob's first Job")
                assert job_name.startswith("report-")
                report = cluster.client.get("batch", "cronjobs", "batch", "report")
                assert report["status"].get("lastScheduleTime")
                job = cluster.client.get("batch", "jobs", "batch", job_name)
                assert job["metadata"]["ownerReferences"][0]["uid"] == report_uid

                # web: a rollout by the driver ends with revision 2 current and revision 1 empty.
                web_uid = uid_of(cluster, "shop", "web")
                workloads.move_cursor_to_key(web_uid)
                assert RolloutDriver(cluster).roll_once() == WEB_IMAGES[1]

                def revisions() -> dict[str, list[str]]:
                    # REPLICASET REVISION DESIRED CURRENT READY IMAGES AGE
                    rows = [cells(children, key) for key in children.ordered_keys()]
                    return {r[1]: r for r in rows}

                def rolled_out() -> bool:
                    rows = revisions()
                    return (
                        set(rows) == {"1", "2"}
                        and rows["2"][2:5] == ["3", "3", "3"]
                        and rows["1"][2:5] == ["0", "0", "0"]
                    )

                await wait_for(pilot, rolled_out, "web rolled out to revision 2", timeout=60)
                rows = revisions()
                assert WEB_IMAGES[1] in rows["2"][5] and WEB_IMAGES[0] in rows["1"][5]
                assert rows["2"][0].startswith("● ") and not rows["1"][0].startswith("● ")
                web = cluster.client.get("apps", "deployments", "shop", "web")
                assert (
                    web["metadata"]["annotations"][CHANGE_CAUSE]
                    == f"ci: deploy web {WEB_IMAGES[1]}"
                )
        finally:
            connection.close()


async def test_problems_on_the_demo_list_each_trouble_with_a_reason(tmp_path: Path) -> None:
    """Issue 11's "Done when": `:problems` on the demo lists the crash-looping, the
    image-pull-failing and the unschedulable pods and the stuck Deployment, each with a reason.
    The app's clock runs three minutes ahead of the cluster's, so gpu-trainer has been Pending
    for longer than the two minutes after which a pending pod counts."""
    from ktui.ui.screens.problems import ProblemsScreen
    from ktui.view.triage import PENDING_AFTER_S

    ahead = timedelta(seconds=PENDING_AFTER_S + 60)
    with running_demo(timings=Timings(scale=0.1), rollouts=False) as cluster:
        kubeconfig = cluster.write_kubeconfig(str(tmp_path / "kubeconfig"))
        settings = Settings(kubeconfig=kubeconfig, all_namespaces=True)
        connection = connect(settings)
        try:
            app = make_app(settings, connection=connection, clock=lambda: datetime.now(UTC) + ahead)
            async with app.run_test(size=(200, 50)) as pilot:
                workloads = app.screen.query_one("#workloads", LiveTable)
                await wait_for(pilot, lambda: workloads.total_count == 7, "the demo workloads")
                await pilot.press("colon", *"problems", "enter")
                await wait_for(
                    pilot, lambda: isinstance(app.screen, ProblemsScreen), "the problems screen"
                )
                screen = app.screen
                assert isinstance(screen, ProblemsScreen)

                def listed() -> dict[tuple[str, str], tuple[str, str]]:
                    # SEVERITY KIND NAMESPACE NAME REASON SINCE -> (kind, name): (severity, reason)
                    rows = (cells(screen.table, key) for key in screen.table.ordered_keys())
                    return {(r[1], r[3]): (r[0].strip(), r[4]) for r in rows}

                def found(kind: str, prefix: str) -> list[tuple[str, str]]:
                    return [
                        v for (k, n), v in listed().items() if k == kind and n.startswith(prefix)
                    ]

                def everything_listed() -> bool:
                    return (
                        any("crash loop" in sev for sev, _ in found("Pod", "payments-worker-"))
                        and len(found("Pod", "checkout-")) == 2
                        and bool(found("Pod", "gpu-trainer"))
                        and bool(found("Deployment", "checkout"))
                    )

                await wait_for(pilot, everything_listed, "every kind of trouble", timeout=60)
                crash = found("Pod", "payments-worker-")[0]
                assert crash[1].startswith("container worker keeps crashing (")
                assert "last exit: Error (1: " in crash[1]
                for severity, reason in found("Pod", "checkout-"):
                    assert severity == "2 image pull"
                    assert reason.startswith(
                        "container checkout cannot pull image shop/chekout:1.3-doesnotexist ("
                    )
                assert found("Pod", "gpu-trainer") == [
                    (
                        "5 pending",
                        "cannot be scheduled (Unschedulable): 0/3 nodes are available: "
                        "3 node(s) didn't match node selector.",
                    )
                ]
                [(severity, reason)] = found("Deployment", "checkout")
                assert severity == "8 rollout stuck"
                assert reason.startswith("ImagePullBackOff · Rollout stuck: ") or reason.startswith(
                    "ErrImagePull · Rollout stuck: "
                )
                assert "new pods (checkout-" in reason or "new pod (checkout-" in reason
        finally:
            connection.close()


def test_run_demo_app_runs_the_app_on_the_embedded_cluster_and_stops_it() -> None:
    seen: dict[str, Any] = {}

    async def drive(pilot: Any) -> None:
        app = pilot.app
        seen["server"] = app.connection.cluster_server
        seen["namespace"] = app.connection.namespace
        workloads = app.screen.query_one("#workloads", LiveTable)
        try:
            await wait_for(pilot, lambda: workloads.total_count == 7, "the demo workloads")
            seen["names"] = sorted(cells(workloads, k)[0] for k in workloads.ordered_keys())
        finally:
            await pilot.press("q", "q")  # q asks once on the main screen

    code = run_demo_app(
        Settings(demo=True),
        run_app=lambda app: app.run(headless=True, size=(160, 50), auto_pilot=drive),
    )
    assert code == 0
    assert seen["namespace"] is None  # all namespaces
    assert seen["names"] == sorted(name for _, name in WORKLOADS)
    # The embedded cluster stopped with the app.
    server = urlparse(seen["server"])
    assert server.hostname == "127.0.0.1" and server.port
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect((server.hostname, server.port))
