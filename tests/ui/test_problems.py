"""Triage against the embedded API server: the header's count, the problems screen (`!`, the
palette, enter/d/e on its rows), and the pod detail's readiness sentences and crash card."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from ui_support import deployment, owner_ref, pod, replicaset, wait_for

from ktui.cluster.connection import Connection
from ktui.config import Config
from ktui.settings import Settings
from ktui.sim.logs import PodLogSource
from ktui.sim.server import SimServer
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.events import EventsScreen
from ktui.ui.screens.logs import LogsScreen
from ktui.ui.screens.main import MainScreen
from ktui.ui.screens.pod_detail import PodDetailScreen
from ktui.ui.screens.problems import ProblemsScreen
from ktui.ui.screens.rollout import RolloutScreen
from ktui.ui.screens.yaml_view import DescribeScreen
from ktui.ui.widgets.header import ClusterHeader

Obj = dict[str, Any]


def stamp(seconds_ago: float) -> str:
    moment = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class PreviousLogs:
    """A log source with one crashed run's log for every container (the sim's LogSource)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def read_log(
        self,
        pod: Obj,
        container: str,
        *,
        follow: bool,
        previous: bool,
        timestamps: bool,
        tail_lines: int | None,
        since: float | None = None,
    ) -> Iterator[bytes]:
        self.requests.append(
            {"container": container, "previous": previous, "follow": follow, "tail": tail_lines}
        )
        lines = [f"{stamp(140)} starting", f"{stamp(131)} panic: cannot connect to db"]
        for line in lines[-(tail_lines or len(lines)) :]:
            yield (line + "\n").encode()


def crash_status() -> Obj:
    return {
        "phase": "Running",
        "conditions": [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": stamp(900)},
            {"type": "Initialized", "status": "True", "lastTransitionTime": stamp(899)},
            {
                "type": "Ready",
                "status": "False",
                "reason": "ContainersNotReady",
                "lastTransitionTime": stamp(800),
            },
            {"type": "ContainersReady", "status": "False", "lastTransitionTime": stamp(800)},
        ],
        "containerStatuses": [
            {
                "name": "app",
                "image": "nginx:1.27",
                "ready": False,
                "started": False,
                "restartCount": 5,
                "state": {
                    "waiting": {
                        "reason": "CrashLoopBackOff",
                        "message": "back-off 5m0s restarting failed container=app pod=web-c1",
                    }
                },
                "lastState": {
                    "terminated": {
                        "exitCode": 137,
                        "reason": "OOMKilled",
                        "startedAt": stamp(140),
                        "finishedAt": stamp(130),
                    }
                },
            }
        ],
    }


def healthy_status() -> Obj:
    return {
        "phase": "Running",
        "conditions": [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": stamp(900)},
            {"type": "Ready", "status": "True", "lastTransitionTime": stamp(10)},
        ],
        "containerStatuses": [
            {
                "name": "app",
                "image": "nginx:1.27",
                "ready": True,
                "started": True,
                "restartCount": 5,
                "state": {"running": {"startedAt": stamp(10)}},
            }
        ],
    }


def seed(sim: SimServer) -> dict[str, Obj]:
    store = sim.store
    store.log_source = PreviousLogs()
    web = store.create("apps", "deployments", deployment("web", replicas=1))
    rs = store.create("apps", "replicasets", replicaset(web, "c1", 1))
    crashing = store.create("", "pods", pod(rs, "c1", containers=[_limited_container()]))
    crashing = store.update("", "pods", {**crashing, "status": crash_status()}, "status")
    stuck = store.create("apps", "deployments", deployment("stuck", replicas=1))
    stuck = store.update(
        "apps",
        "deployments",
        {
            **stuck,
            "status": {
                "conditions": [
                    {
                        "type": "Progressing",
                        "status": "False",
                        "reason": "ProgressDeadlineExceeded",
                        "message": 'ReplicaSet "stuck-5d" has timed out progressing.',
                        "lastTransitionTime": stamp(60),
                    }
                ]
            },
        },
        "status",
    )
    job = store.create(
        "batch",
        "jobs",
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "backup", "namespace": "default"},
            "spec": {
                "backoffLimit": 1,
                "template": {
                    "metadata": {"labels": {"job": "backup"}},
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "backup", "image": "busybox:1.36"}],
                    },
                },
            },
        },
    )
    job = store.update(
        "batch",
        "jobs",
        {
            **job,
            "status": {
                "failed": 2,
                "conditions": [
                    {
                        "type": "Failed",
                        "status": "True",
                        "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                        "lastTransitionTime": stamp(30),
                    }
                ],
            },
        },
        "status",
    )
    store.create(
        "",
        "events",
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "web-c1.backoff", "namespace": "default"},
            "involvedObject": {
                "kind": "Pod",
                "name": crashing["metadata"]["name"],
                "namespace": "default",
                "uid": crashing["metadata"]["uid"],
                "fieldPath": "spec.containers{app}",
            },
            "type": "Warning",
            "reason": "BackOff",
            "message": "Back-off restarting failed container app",
            "count": 9,
            "firstTimestamp": stamp(600),
            "lastTimestamp": stamp(5),
            "source": {"component": "kubelet"},
        },
    )
    return {"web": web, "rs": rs, "pod": crashing, "stuck": stuck, "job": job}


def _limited_container() -> Obj:
    return {
        "name": "app",
        "image": "nginx:1.27",
        "resources": {"limits": {"memory": "128Mi"}},
    }


def header_text(app: KtuiApp) -> str:
    main = next(s for s in app.screen_stack if isinstance(s, MainScreen))
    return str(main.query_one(ClusterHeader).content)


async def problems_listed(app: KtuiApp, pilot: Any, count: int) -> ProblemsScreen:
    await wait_for(pilot, lambda: f"★ {count} problems (!)" in header_text(app), "header count")
    await pilot.press("exclamation_mark")
    await wait_for(pilot, lambda: isinstance(app.screen, ProblemsScreen), "problems screen")
    screen = app.screen
    assert isinstance(screen, ProblemsScreen)
    await wait_for(pilot, lambda: screen.table.row_count == count, f"{count} problems listed")
    return screen


def plain_row(screen: ProblemsScreen, key: str) -> list[str]:
    return [
        getattr(c, "plain", c) if not hasattr(c, "sort_value") else ""
        for c in screen.table.row(key) or ()
    ]


async def test_header_count_and_the_problems_screen_open_what_helps(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await problems_listed(app, pilot, 4)
        pod_uid = objs["pod"]["metadata"]["uid"]
        stuck_uid = objs["stuck"]["metadata"]["uid"]
        job_uid = objs["job"]["metadata"]["uid"]
        web_uid = objs["web"]["metadata"]["uid"]
        # Worst first: the crash loop, the failed Job, the stuck rollouts (`stuck`, past its
        # deadline, and `web`, whose only pod crash-loops: stuck by its pod's reason).
        assert screen.table.ordered_keys() == [pod_uid, job_uid, stuck_uid, web_uid]
        severity, kind, namespace, name, reason, _ = plain_row(screen, pod_uid)
        assert (severity, kind, namespace) == (" 1 crash loop", "Pod", "default")
        assert name == objs["pod"]["metadata"]["name"]
        assert reason.startswith("container app keeps crashing (5 restarts, last exit: OOMKilled")
        assert plain_row(screen, stuck_uid)[4].startswith(
            "ProgressDeadlineExceeded · Rollout failed: no progress within"
        )
        assert plain_row(screen, web_uid)[4] == (
            "CrashLoopBackOff · Rollout stuck: the new pod (web-c1-c1) is in CrashLoopBackOff: "
            "back-off 5m0s restarting failed container=app pod=web-c1"
        )
        assert plain_row(screen, job_uid)[4] == (
            "failed (BackoffLimitExceeded): Job has reached the specified backoff limit"
        )

        # enter on the pod: its detail, with why it is not ready and its crash card.
        assert screen.table.cursor_key == pod_uid
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PodDetailScreen), "pod detail")
        detail = app.screen
        assert isinstance(detail, PodDetailScreen) and detail.pod_uid == pod_uid
        readiness = str(detail.query_one("#pod-readiness").content)
        assert readiness.startswith("Not ready: container app is waiting in CrashLoopBackOff;")
        assert "the last run ended OOMKilled (exit 137)" in readiness
        assert "its memory limit is 128Mi" in readiness
        assert "next restart in about 2m" in readiness

        def card() -> str:
            return str(detail.query_one("#crash-cards").content)

        await wait_for(pilot, lambda: "panic: cannot connect to db" in card(), "the log's lines")
        text = card()
        assert "last run ended: exit 137 OOMKilled" in text
        assert "memory limit" in text and "restarts 5" in text
        assert "BackOff (x9) Back-off restarting failed container app" in text
        assert "next restart in about 2m" in text and "(back-off 5m)" in text
        assert detail.has_class("crashed")
        requests = sim.store.log_source.requests  # type: ignore[union-attr]
        assert requests == [{"container": "app", "previous": True, "follow": False, "tail": 12}]
        # The lines are the previous instance's (the run that ended); p opens all of it.
        assert "previous log (the run that ended), last lines · p: the whole log:" in text
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), "the previous log")
        logs = app.screen
        assert isinstance(logs, LogsScreen) and logs.previous and logs.container == "app"
        await wait_for(pilot, lambda: logs.view.lines, "its lines")
        assert logs.view.lines[-1].text == "panic: cannot connect to db"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is detail, "back to the pod")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back to the problems")

        # enter on the stuck Deployment: its rollout screen.
        await pilot.press("down", "down")
        assert screen.table.cursor_key == stuck_uid
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RolloutScreen), "rollout screen")
        app.pop_screen()
        await wait_for(pilot, lambda: app.screen is screen, "back to the problems")

        # enter on the Job: its description; `d` and `e` on any row.
        await pilot.press("up")
        assert screen.table.cursor_key == job_uid
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DescribeScreen), "describe")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back to the problems")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DescribeScreen), "describe (d)")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back to the problems")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EventsScreen), "events (e)")


async def test_problems_follow_the_cluster_live(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await problems_listed(app, pilot, 4)
        # The pod heals: it leaves the list and the header's count, and so does its
        # Deployment's stuck rollout.
        current = sim.store.get("", "pods", "default", objs["pod"]["metadata"]["name"])
        sim.store.update("", "pods", {**current, "status": healthy_status()}, "status")
        await wait_for(pilot, lambda: screen.table.row_count == 2, "the healed pod gone")
        assert objs["pod"]["metadata"]["uid"] not in screen.table.ordered_keys()
        assert objs["web"]["metadata"]["uid"] not in screen.table.ordered_keys()
        await wait_for(pilot, lambda: "★ 2 problems (!)" in header_text(app), "count down")
        # A new crash loop comes in.
        rs = objs["rs"]
        fresh = sim.store.create(
            "",
            "pods",
            {
                **pod(rs, "c2"),
                "metadata": {
                    "name": "web-c2",
                    "namespace": "default",
                    "labels": {"app": "web"},
                    "ownerReferences": [owner_ref(rs)],
                },
            },
        )
        sim.store.update("", "pods", {**fresh, "status": crash_status()}, "status")
        await wait_for(pilot, lambda: screen.table.row_count == 4, "the new crash listed")
        assert screen.table.ordered_keys()[0] == fresh["metadata"]["uid"]
        assert screen.table.ordered_keys()[-1] == objs["web"]["metadata"]["uid"]


def image_pull_status(pod_name: str) -> Obj:
    """A pod of a bad image's rollout, as the kubelet reports it: scheduled, not ready, its
    container waiting in ImagePullBackOff."""
    return {
        "phase": "Pending",
        "conditions": [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": stamp(40)},
            {"type": "Initialized", "status": "True", "lastTransitionTime": stamp(40)},
            {
                "type": "Ready",
                "status": "False",
                "reason": "ContainersNotReady",
                "message": "containers with unready status: [app]",
                "lastTransitionTime": stamp(39),
            },
        ],
        "containerStatuses": [
            {
                "name": "app",
                "image": "shop/chekout:1.3-doesnotexist",
                "imageID": "",
                "ready": False,
                "started": False,
                "restartCount": 0,
                "state": {
                    "waiting": {
                        "reason": "ImagePullBackOff",
                        "message": 'Back-off pulling image "shop/chekout:1.3-doesnotexist"',
                    }
                },
                "lastState": {},
            }
        ],
    }


async def test_a_stuck_rollout_is_listed_by_its_pods_reason_before_the_deadline(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """The demo's `checkout`: its new pods cannot pull their image; the controller still says
    Progressing (its deadline is ten minutes away), the problems screen says why at once, in
    the words of the rollout screen, and drops it when the pods recover."""
    store = sim.store
    checkout = store.create(
        "apps",
        "deployments",
        deployment("checkout", replicas=2, image="shop/chekout:1.3-doesnotexist"),
    )
    checkout = store.update(
        "apps",
        "deployments",
        {
            **checkout,
            "status": {
                "observedGeneration": 1,
                "replicas": 2,
                "updatedReplicas": 2,
                "unavailableReplicas": 2,
                "conditions": [
                    {
                        "type": "Available",
                        "status": "False",
                        "reason": "MinimumReplicasUnavailable",
                        "message": "Deployment does not have minimum availability.",
                        "lastUpdateTime": stamp(41),
                        "lastTransitionTime": stamp(41),
                    },
                    {
                        "type": "Progressing",
                        "status": "True",
                        "reason": "ReplicaSetUpdated",
                        "message": 'ReplicaSet "checkout-5d" is progressing.',
                        "lastUpdateTime": stamp(41),
                        "lastTransitionTime": stamp(41),
                    },
                ],
            },
        },
        "status",
    )
    rs = store.create("apps", "replicasets", replicaset(checkout, "5d", 1))
    pods = []
    for suffix in ("a1", "b2"):
        created = store.create("", "pods", pod(rs, suffix))
        name = created["metadata"]["name"]
        pods.append(
            store.update("", "pods", {**created, "status": image_pull_status(name)}, "status")
        )
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(200, 50)) as pilot:
        screen = await problems_listed(app, pilot, 3)
        uid = checkout["metadata"]["uid"]
        assert screen.table.ordered_keys()[-1] == uid  # after its two pods' image pulls
        severity, kind, namespace, name, reason, _since = (
            str(getattr(c, "plain", c)) for c in screen.table.row(uid) or ()
        )
        assert (severity, kind, namespace, name) == (
            " 8 rollout stuck",
            "Deployment",
            "default",
            "checkout",
        )
        sentence = (
            "Rollout stuck: 2 of 2 new pods (checkout-5d-a1, checkout-5d-b2) are in "
            'ImagePullBackOff: Back-off pulling image "shop/chekout:1.3-doesnotexist"'
        )
        assert reason == f"ImagePullBackOff · {sentence}"
        # enter: the rollout screen says the same sentence.
        await pilot.press("down", "down")
        assert screen.table.cursor_key == uid
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RolloutScreen), "rollout screen")
        rollout = app.screen
        await wait_for(
            pilot,
            lambda: sentence in str(rollout.query_one("#rollout-problem").content),
            "the rollout screen's sentence",
        )
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back to the problems")
        # One pod recovers: still stuck, by the other. Both recover: the row goes away live.
        for index, stuck_pod in enumerate(pods):
            current = store.get("", "pods", "default", stuck_pod["metadata"]["name"])
            store.update("", "pods", {**current, "status": healthy_status()}, "status")
            if index == 0:
                await wait_for(pilot, lambda: screen.table.row_count == 2, "one pod recovered")
                assert "1 of 2 new pods (checkout-5d-b2)" in plain_row(screen, uid)[4]
        await wait_for(pilot, lambda: screen.table.row_count == 0, "everything recovered")


async def test_a_stuck_statefulset_is_listed_and_enter_opens_its_rollout(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """A StatefulSet whose updated ordinal crash-loops: stuck by that pod's reason (the rollout
    screen's words), and `enter` on it opens its rollout screen, as for a Deployment."""
    store = sim.store
    db = store.create(
        "apps",
        "statefulsets",
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": "default"},
            "spec": {
                "replicas": 1,
                "serviceName": "db",
                "selector": {"matchLabels": {"app": "db"}},
                "template": {
                    "metadata": {"labels": {"app": "db"}},
                    "spec": {"containers": [{"name": "app", "image": "postgres:17"}]},
                },
            },
        },
    )
    db = store.update(
        "apps",
        "statefulsets",
        {
            **db,
            "status": {
                "observedGeneration": 1,
                "replicas": 1,
                "currentReplicas": 0,
                "updatedReplicas": 1,
                "readyReplicas": 0,
                "currentRevision": "db-6b9f7c8d4",
                "updateRevision": "db-84c5d9f7b",
            },
        },
        "status",
    )
    created = store.create(
        "",
        "pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "db-0",
                "namespace": "default",
                "labels": {"app": "db", "controller-revision-hash": "db-84c5d9f7b"},
                "ownerReferences": [owner_ref(db)],
            },
            "spec": {"containers": [{"name": "app", "image": "postgres:17"}]},
        },
    )
    store.update("", "pods", {**created, "status": crash_status()}, "status")
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(200, 50)) as pilot:
        screen = await problems_listed(app, pilot, 2)
        uid = db["metadata"]["uid"]
        assert screen.table.ordered_keys() == [created["metadata"]["uid"], uid]
        severity, kind, _, name, reason, _ = plain_row(screen, uid)
        assert (severity, kind, name) == (" 8 rollout stuck", "StatefulSet", "db")
        assert reason == (
            "CrashLoopBackOff · Rollout stuck at ordinal 0: pod db-0 is in CrashLoopBackOff: "
            "back-off 5m0s restarting failed container=app pod=web-c1"
        )
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RolloutScreen), "rollout screen")
        rollout = app.screen
        assert isinstance(rollout, RolloutScreen) and rollout.uid == uid


async def test_the_palette_opens_the_problems(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: "★ 4 problems (!)" in header_text(app), "header count")
        await pilot.press("ctrl+p")
        await pilot.press(*"problems")

        def first_option() -> str:
            lists = app.screen.query("CommandList")
            if not lists or lists.first().option_count == 0:  # type: ignore[attr-defined]
                return ""
            return str(lists.first().get_option_at_index(0).prompt)  # type: ignore[attr-defined]

        await wait_for(pilot, lambda: "problems: what is not fine" in first_option(), "the hit")
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ProblemsScreen), "problems screen")


def test_nothing_wrong_shows_no_count() -> None:
    from ktui.render.header import cluster_line

    line = cluster_line("ctx", "https://x", None, "default", readonly=False, problems=0)
    assert "★" not in line.plain
    line = cluster_line(
        "ctx", "https://x", None, "default", readonly=False, problems=1, problems_key="!"
    )
    assert line.plain.endswith("★ 1 problem (!)")


async def test_the_crash_card_of_a_run_that_was_not_restarted_shows_its_current_log(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """A failed Job's pod (restartPolicy Never): its container ended and was not restarted,
    so the card's lines are the current instance's log, and `l` (not `p`: there is no
    previous instance) opens all of it."""
    store = sim.store
    store.log_source = PodLogSource()  # the kubelet's answers, from the pod's status
    created = store.create(
        "",
        "pods",
        {
            "metadata": {"name": "job-fail-x7k2p", "namespace": "default"},
            "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "main", "image": "busybox:1.36"}],
            },
        },
    )
    ended = {
        "exitCode": 1,
        "reason": "Error",
        "startedAt": stamp(300),
        "finishedAt": stamp(30),
        "containerID": "containerd://main-1",
    }
    status = {
        "phase": "Failed",
        "containerStatuses": [
            {
                "name": "main",
                "image": "busybox:1.36",
                "ready": False,
                "restartCount": 0,
                "containerID": "containerd://main-1",
                "state": {"terminated": ended},
            }
        ],
    }
    failed = store.update("", "pods", {**created, "status": status}, "status")
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        table = app.screen.query_one("#workloads", LiveTable)
        await pilot.press("colon", *"po", "enter")
        uid = failed["metadata"]["uid"]
        await wait_for(pilot, lambda: table.ordered_keys() == [uid], "the Pods view")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PodDetailScreen), "the pod")
        detail = app.screen
        assert isinstance(detail, PodDetailScreen)

        def card() -> str:
            return str(detail.query_one("#crash-cards").content)

        await wait_for(pilot, lambda: "FATAL exiting with status 1" in card(), "the log's end")
        text = card()
        assert "current run ended: exit 1 Error" in text and "restarts 0" in text
        assert "current log (this run), last lines · l: the whole log:" in text
        assert "previous" not in text and "p:" not in text

        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), "the log")
        logs = app.screen
        assert isinstance(logs, LogsScreen) and not logs.previous and logs.container == "main"
        await wait_for(pilot, lambda: "main" in logs.ended, "the whole log read")
        assert logs.view.lines[-1].text.endswith("FATAL exiting with status 1")
        assert "starting main" in logs.view.lines[0].text  # from its start, not the card's 12
        assert len(logs.view.lines) > 12
        assert not logs.errors and not logs.not_started
