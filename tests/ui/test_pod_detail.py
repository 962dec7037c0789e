"""The pod detail screen, events, YAML and describe against the embedded API server."""

from __future__ import annotations

import copy
import io
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console
from textual.color import Color
from ui_support import caught_up, deployment, loaded, owner_ref, pod, replicaset, wait_for

from ktui.cluster.connection import Connection
from ktui.config import Config
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.sim.store import Store
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.events import EventsScreen, EventTable
from ktui.ui.screens.logs import LogsScreen
from ktui.ui.screens.main import MainScreen
from ktui.ui.screens.pod_detail import PodDetailScreen
from ktui.ui.screens.yaml_view import DescribeScreen, YamlScreen
from ktui.ui.widgets.safe import RenderedOnce
from ktui.view.pod import BadgeState

Obj = dict[str, Any]


@pytest.fixture
def sim() -> Iterator[SimServer]:
    # Objects are created "two minutes ago", so the statuses written below come after creation.
    with SimServer(port=0, store=Store(clock=lambda: time.time() - 120)) as server:
        yield server


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def initializing_pod(rs: Obj) -> Obj:
    obj = pod(rs, "init1")
    obj["spec"] = {
        "initContainers": [
            {"name": "setup", "image": "busybox:1.36"},
            {"name": "proxy", "image": "envoy:1.30", "restartPolicy": "Always"},
            {"name": "migrate", "image": "migrate:4"},
        ],
        "containers": [{"name": "app", "image": "nginx:1.27"}],
    }
    return obj


def initializing_status(now: datetime) -> Obj:
    t = [stamp(now - timedelta(seconds=s)) for s in (60, 55, 50, 40, 30)]
    return {
        "phase": "Pending",
        "conditions": [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": t[0]},
            {
                "type": "Initialized",
                "status": "False",
                "reason": "ContainersNotInitialized",
                "lastTransitionTime": t[0],
            },
            {"type": "ContainersReady", "status": "False", "lastTransitionTime": t[0]},
            {"type": "Ready", "status": "False", "lastTransitionTime": t[0]},
        ],
        "initContainerStatuses": [
            {
                "name": "setup",
                "image": "busybox:1.36",
                "ready": False,
                "restartCount": 0,
                "state": {
                    "terminated": {
                        "exitCode": 0,
                        "reason": "Completed",
                        "startedAt": t[1],
                        "finishedAt": t[2],
                    }
                },
            },
            {
                "name": "proxy",
                "image": "envoy:1.30",
                "ready": True,
                "started": True,
                "restartCount": 0,
                "state": {"running": {"startedAt": t[3]}},
            },
            {
                "name": "migrate",
                "image": "migrate:4",
                "ready": False,
                "restartCount": 0,
                "state": {"running": {"startedAt": t[4]}},
            },
        ],
        "containerStatuses": [
            {
                "name": "app",
                "image": "nginx:1.27",
                "ready": False,
                "restartCount": 0,
                "state": {"waiting": {"reason": "PodInitializing"}},
            }
        ],
    }


def running_after_init(now: datetime) -> Obj:
    status = initializing_status(now)
    done = stamp(now - timedelta(seconds=5))
    migrate = status["initContainerStatuses"][2]
    migrate["state"] = {
        "terminated": {
            "exitCode": 0,
            "reason": "Completed",
            "startedAt": migrate["state"]["running"]["startedAt"],
            "finishedAt": done,
        }
    }
    status["phase"] = "Running"
    status["containerStatuses"][0].update(
        ready=True, started=True, state={"running": {"startedAt": done}}
    )
    for condition in status["conditions"]:
        condition.update(status="True", lastTransitionTime=done)
        condition.pop("reason", None)
    return status


def seed(sim: SimServer) -> dict[str, Obj]:
    store = sim.store
    dep = store.create("apps", "deployments", deployment("web", replicas=1))
    rs = store.create("apps", "replicasets", replicaset(dep, "abc12", 1))
    created = store.create("", "pods", initializing_pod(rs))
    now = datetime.now(UTC)
    updated = store.update(
        "", "pods", {**created, "status": initializing_status(now)}, subresource="status"
    )
    return {"dep": dep, "rs": rs, "pod": updated}


def event(
    name: str, involved: Obj, kind: str, *, warning: bool, reason: str, count: int, ago: int = 0
) -> Obj:
    now = stamp(datetime.now(UTC) - timedelta(seconds=ago))
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": "default"},
        "involvedObject": {
            "kind": kind,
            "name": involved["metadata"]["name"],
            "namespace": "default",
            "uid": involved["metadata"]["uid"],
        },
        "type": "Warning" if warning else "Normal",
        "reason": reason,
        "message": f"{reason} happened",
        "count": count,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "source": {"component": "kubelet"},
    }


def plain(renderable: Any, width: int = 160) -> str:
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


async def open_pod(app: KtuiApp, pilot: Any, objs: dict[str, Obj]) -> PodDetailScreen:
    workloads = app.screen.query_one("#workloads", LiveTable)
    await wait_for(pilot, lambda: workloads.total_count == 1, "the deployment listed")
    workloads.move_cursor_to_key(objs["dep"]["metadata"]["uid"])
    pods = app.screen.query_one("#pods", LiveTable)
    await wait_for(pilot, lambda: pods.total_count == 1, "its pod listed")
    pods.focus()
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, PodDetailScreen), "pod detail open")
    screen = app.screen
    assert isinstance(screen, PodDetailScreen)
    return screen


def lane_line(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if f" {name} " in line)


async def test_pod_detail_groups_timeline_and_live_update(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_pod(app, pilot, objs)
        groups = screen.containers.groups
        assert groups is not None
        assert [c.name for c in groups.init] == ["setup", "migrate"]
        assert [c.state for c in groups.init] == [BadgeState.SUCCEEDED, BadgeState.RUNNING]
        assert [(c.name, c.state, c.ready) for c in groups.sidecars] == [
            ("proxy", BadgeState.READY, True)
        ]
        assert [(c.name, c.state) for c in groups.regular] == [("app", BadgeState.WAITING)]

        shown = plain(screen.containers.content)
        assert "Init containers (2)" in shown
        assert "Sidecars (1)" in shown
        assert "Containers (1)" in shown
        assert "Terminated: Completed (exit 0)" in shown
        assert "Waiting: PodInitializing" in shown

        # One lane per container, bars where it ran, dots where it never did.
        assert screen.timeline.lane_names == ["setup", "migrate", "proxy", "app"]
        picture = screen.timeline.rendered(120).plain
        assert "█" in lane_line(picture, "setup") and "✔" in lane_line(picture, "setup")
        assert "█" in lane_line(picture, "proxy")
        assert "running" in lane_line(picture, "migrate")
        app_lane = lane_line(picture, "app")
        assert "█" not in app_lane and "·" in app_lane and "Waiting: PodInitializing" in app_lane
        assert "PodScheduled" in picture and "Initialized ✖" in picture
        assert "Pending" in picture.splitlines()[0]

        # The kubelet finishes initialization: the screen follows.
        name = objs["pod"]["metadata"]["name"]
        pod_obj = sim.store.get("", "pods", "default", name)
        now = datetime.now(UTC)
        sim.store.update(
            "", "pods", {**pod_obj, "status": running_after_init(now)}, subresource="status"
        )

        def app_running() -> bool:
            g = screen.containers.groups
            return g is not None and g.regular[0].state is BadgeState.READY

        await wait_for(pilot, app_running, "the app container running and ready")
        assert screen.containers.groups is not None
        assert screen.containers.groups.init[1].state is BadgeState.SUCCEEDED
        picture = screen.timeline.rendered(120).plain
        assert "█" in lane_line(picture, "app")
        assert "Running" in picture.splitlines()[0]

        # Deleted: said plainly, the last state stays.
        sim.store.delete("", "pods", "default", name, grace_period_seconds=0)
        await wait_for(pilot, lambda: screen.has_class("deleted"), "the deleted banner")
        banner = screen.query_one("#pod-deleted").content
        assert "This pod was deleted" in str(banner)
        assert screen.timeline.lane_names == ["setup", "migrate", "proxy", "app"]


def crash_loop_status(now: datetime) -> Obj:
    """Waiting in CrashLoopBackOff after restartCount 3: four runs, the API reports the last."""
    t = {s: stamp(now - timedelta(seconds=s)) for s in (110, 40, 32)}
    return {
        "phase": "Running",
        "startTime": t[110],
        "conditions": [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": t[110]},
            {"type": "Initialized", "status": "True", "lastTransitionTime": t[110]},
            {
                "type": "ContainersReady",
                "status": "False",
                "reason": "ContainersNotReady",
                "lastTransitionTime": t[32],
            },
            {
                "type": "Ready",
                "status": "False",
                "reason": "ContainersNotReady",
                "lastTransitionTime": t[32],
            },
        ],
        "containerStatuses": [
            {
                "name": "app",
                "image": "nginx:1.27",
                "ready": False,
                "started": False,
                "restartCount": 3,
                "state": {
                    "waiting": {
                        "reason": "CrashLoopBackOff",
                        "message": "back-off 40s restarting failed container=app",
                    }
                },
                "lastState": {
                    "terminated": {
                        "exitCode": 1,
                        "reason": "Error",
                        "startedAt": t[40],
                        "finishedAt": t[32],
                    }
                },
            }
        ],
    }


@pytest.mark.parametrize("size", [(200, 50), (80, 24)])
async def test_the_lifecycle_of_a_crash_loop_shows_every_run_and_its_whole_state(
    sim: SimServer, connect_to: Callable[..., Connection], size: tuple[int, int]
) -> None:
    store = sim.store
    dep = store.create("apps", "deployments", deployment("web", replicas=1))
    rs = store.create("apps", "replicasets", replicaset(dep, "abc12", 1))
    created = store.create("", "pods", pod(rs, "crash1"))
    store.update(
        "",
        "pods",
        {**created, "status": crash_loop_status(datetime.now(UTC))},
        subresource="status",
    )
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=size) as pilot:
        screen = await open_pod(app, pilot, {"dep": dep})
        await wait_for(pilot, lambda: screen.timeline.lane_names == ["app"], "the app lane")
        await pilot.pause()
        picture = screen.timeline.rendered().plain
        lines = picture.splitlines()
        # Four runs, each ending in its own mark: three placed by the back-off, then lastState.
        assert lane_line(picture, "app").count("✖") == 4
        # The state text is whole (on the lane's row, or continued below at 80 columns).
        words = " ".join(picture.split())
        assert "Waiting: CrashLoopBackOff" in words and "last Error (exit 1)" in words
        assert "↻3" in words
        assert not any(line.endswith("…") for line in lines)
        # The widget is as tall as its picture, so the continued rows are on screen.
        assert screen.timeline.size.height == len(
            screen.timeline.rendered().wrap(app.console, screen.timeline.size.width)
        )


async def test_at_80x24_the_pod_body_is_the_one_scroll_and_shows_every_container(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_pod(app, pilot, objs)
        await wait_for(pilot, lambda: screen.containers.groups is not None, "the containers")
        await pilot.pause()
        body = screen.query_one("#pod-body")
        # One scrollbar for the lifecycle, containers and crash boxes: none of them scrolls.
        inner = [w for w in body.query("*") if w.show_vertical_scrollbar]
        assert inner == [] and body.show_vertical_scrollbar
        # The containers list is as tall as its text: every container has its row.
        listed = screen.containers
        lines = plain(listed.content, listed.size.width).rstrip("\n").splitlines()
        assert listed.size.height == len(lines)
        for name in ("setup", "migrate", "proxy", "app"):
            assert any(name in line for line in lines), name
        # Scrolled to the end, the last container row is on screen.
        body.scroll_end(animate=False)
        await pilot.pause()
        assert listed.region.bottom <= body.region.bottom
        assert listed.region.height == len(lines)


async def test_at_80x24_tab_brings_the_containers_into_view_and_the_arrows_scroll_them(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """At 80x24 the lifecycle fills the pod body: tab focuses the containers (their box's
    border says so) and scrolls them into view, from their first row; ↓ scrolls the body on to
    the last one."""
    objs = seed(sim)
    names = ("setup", "migrate", "proxy", "app")
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_pod(app, pilot, objs)
        await wait_for(pilot, lambda: screen.containers.groups is not None, "the containers")
        await pilot.pause()
        body = screen.query_one("#pod-body")
        listed = screen.containers
        lines = plain(listed.content, listed.size.width).rstrip("\n").splitlines()

        def rows_shown() -> set[str]:
            """The containers whose row (glyph, #, name, state) is inside the body's view."""
            top, bottom = body.region.y, body.region.bottom
            shown = [line for i, line in enumerate(lines) if top <= listed.region.y + i < bottom]
            return {
                name
                for name in names
                if any(re.match(rf"^\S\s+(\d+\s+)?{name}\s+\S", line) for line in shown)
            }

        assert screen.focused is body
        assert rows_shown() == set(), "below the lifecycle: none on screen when opened"
        await pilot.press("tab")
        await pilot.pause()
        assert screen.focused is listed
        focus_border = Color.parse(app.theme_variables["ktui-border-focus"])
        assert screen.query_one("#containers-box").styles.border.left[1] == focus_border
        assert screen.query_one("#lifecycle").styles.border.left[1] != focus_border
        seen = rows_shown()
        assert "setup" in seen, "the first container's row in view"
        for _ in range(20):
            if "app" in seen:
                break
            await pilot.press("down")
            await pilot.pause()
            seen |= rows_shown()
        assert seen == set(names)
        assert screen.focused is listed


async def test_pod_events_newest_first_and_workload_events(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    store = sim.store
    store.create(
        "",
        "events",
        event("p1", objs["pod"], "Pod", warning=False, reason="Scheduled", count=1, ago=30),
    )
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_pod(app, pilot, objs)
        table = screen.query_one("#pod-events", EventTable)
        await wait_for(pilot, lambda: table.total_count == 1, "the pod's event")
        # A warning arrives while the screen is open; it is newest, so first.
        store.create(
            "",
            "events",
            event("p2", objs["pod"], "Pod", warning=True, reason="BackOff", count=3),
        )
        await wait_for(pilot, lambda: table.total_count == 2, "the new warning")
        first = table.row(table.ordered_keys()[0])
        assert first is not None
        cells = [getattr(c, "plain", c) for c in first]
        assert "Warning" in cells[0] and "BackOff" in cells[1] and "x3" in cells
        assert "[2 events, 1 warning]" in str(table.border_title)

        # Back on the main screen, `e` on the workload: its events and its children's.
        store.create(
            "",
            "events",
            event("d1", objs["dep"], "Deployment", warning=False, reason="ScalingUp", count=1),
        )
        store.create(
            "",
            "events",
            event("r1", objs["rs"], "ReplicaSet", warning=False, reason="Created", count=1),
        )
        await pilot.press("escape")
        app.screen.query_one("#workloads", LiveTable).focus()
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EventsScreen), "events screen")
        events = app.screen.query_one("#events", EventTable)
        await wait_for(pilot, lambda: events.total_count == 4, "four events of web")
        objects = {getattr(events.row(k)[2], "plain", "") for k in events.ordered_keys()}  # type: ignore[index]
        assert objects == {
            "deployment/web",
            "replicaset/web-abc12",
            f"pod/{objs['pod']['metadata']['name']}",
        }


async def test_yaml_and_describe_of_a_workload(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 1, "the deployment listed")
        workloads.move_cursor_to_key(objs["dep"]["metadata"]["uid"])
        await pilot.press("y")
        await wait_for(pilot, lambda: loaded(app, YamlScreen), "the YAML read from the server")
        yaml_screen = app.screen
        assert isinstance(yaml_screen, YamlScreen)
        assert yaml_screen.yaml_text.startswith("apiVersion: apps/v1\nkind: Deployment\n")
        assert "managedFields" not in yaml_screen.yaml_text
        assert "replicas: 1" in yaml_screen.yaml_text

        # The YAML follows the object.
        dep = sim.store.get("apps", "deployments", "default", "web")
        dep["spec"]["replicas"] = 4
        sim.store.update("apps", "deployments", dep)
        await wait_for(
            pilot, lambda: "replicas: 4" in yaml_screen.yaml_text, "the YAML of the new spec"
        )

        await pilot.press("d")  # describe, from the YAML
        await wait_for(pilot, lambda: loaded(app, DescribeScreen), "the object described")
        text = app.screen.describe_text.plain  # type: ignore[attr-defined]
        assert "Name:" in text and "web" in text
        assert "Selector:             app=web" in text
        assert "Replicas:             4 desired" in text
        assert "StrategyType:         RollingUpdate" in text
        assert "Image:" in text and "nginx:1.27" in text
        assert re.search(r"\n +Environment: +<none>\n", text), text  # as kubectl: no env
        await pilot.press("escape")
        assert app.screen.query_one("#workloads", LiveTable) is not None


async def test_children_pane_describe_and_pod_yaml(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 1, "the deployment listed")
        workloads.move_cursor_to_key(objs["dep"]["metadata"]["uid"])
        children = app.screen.query_one("#children", LiveTable)
        await wait_for(pilot, lambda: children.total_count == 1, "its ReplicaSet")
        children.focus()
        await pilot.press("d")
        await wait_for(pilot, lambda: loaded(app, DescribeScreen), "the object described")
        text = app.screen.describe_text.plain  # type: ignore[attr-defined]
        assert "Kind:                 ReplicaSet" in text
        assert "Controlled By:        Deployment/web" in text
        await pilot.press("escape")
        pods = app.screen.query_one("#pods", LiveTable)
        pods.focus()
        await pilot.press("y")
        await wait_for(pilot, lambda: loaded(app, YamlScreen), "the pod's YAML")
        assert "kind: Pod" in app.screen.yaml_text  # type: ignore[attr-defined]
        assert owner_ref(objs["rs"])["uid"] in app.screen.yaml_text  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- the kept pod screen


FROZEN = datetime.now(UTC)


def seed_two_pods(sim: SimServer) -> dict[str, Obj]:
    """web's ReplicaSet with two pods: `crash` in CrashLoopBackOff with a warning event, and
    `init` initializing (three init containers) with a normal event."""
    store = sim.store
    dep = store.create("apps", "deployments", deployment("web", replicas=2))
    rs = store.create("apps", "replicasets", replicaset(dep, "abc12", 1))
    now = datetime.now(UTC)
    created = store.create("", "pods", pod(rs, "crash1"))
    crash = store.update(
        "", "pods", {**created, "status": crash_loop_status(now)}, subresource="status"
    )
    created = store.create("", "pods", initializing_pod(rs))
    init = store.update(
        "", "pods", {**created, "status": initializing_status(now)}, subresource="status"
    )
    store.create("", "events", event("c1", crash, "Pod", warning=True, reason="BackOff", count=7))
    store.create("", "events", event("i1", init, "Pod", warning=False, reason="Pulled", count=1))
    return {"dep": dep, "crash": crash, "init": init}


def uid_of(obj: Obj) -> str:
    return str(obj["metadata"]["uid"])


async def open_pod_by_key(app: KtuiApp, pilot: Any, objs: dict[str, Obj], name: str) -> Any:
    """enter on the pod `objs[name]` in the pods pane; the pod screen that shows it."""
    if not isinstance(app.screen, PodDetailScreen):
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 1, "the deployment listed")
        workloads.move_cursor_to_key(uid_of(objs["dep"]))
    pods = app.screen.query_one("#pods", LiveTable)
    await wait_for(pilot, lambda: pods.total_count == 2, "its two pods listed")
    pods.focus()
    assert pods.move_cursor_to_key(uid_of(objs[name]))
    await pilot.press("enter")

    def shown() -> bool:
        screen = app.screen
        return isinstance(screen, PodDetailScreen) and screen.pod_uid == uid_of(objs[name])

    await wait_for(pilot, shown, f"the pod screen of {name}")
    await pilot.pause()
    return app.screen


async def back_to_main(app: KtuiApp, pilot: Any) -> None:
    await pilot.press("escape")
    await wait_for(pilot, lambda: not isinstance(app.screen, PodDetailScreen), "back on main")


def shown_text(screen: PodDetailScreen) -> str:
    """Everything the pod screen shows, as plain text (titles, boxes, timeline, events)."""
    parts = [
        plain(screen.query_one(f"#{part}").content)
        for part in ("pod-title", "pod-readiness", "containers", "crash-cards")
    ]
    parts.append(screen.timeline.rendered(120).plain)
    for box in ("#lifecycle", "#containers-box", "#crash-box", "#pod-events"):
        parts.append(str(screen.query_one(box).border_title))
    table = screen.events
    for key in table.ordered_keys():
        parts.append(" ".join(str(getattr(c, "plain", c)) for c in table.row(key) or ()))
    return "\n".join(parts)


async def test_the_pod_screen_is_kept_and_shows_the_next_pod_and_nothing_of_the_last(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed_two_pods(sim)
    crash_name, init_name = (objs[n]["metadata"]["name"] for n in ("crash", "init"))
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        first = await open_pod_by_key(app, pilot, objs, "crash")
        await wait_for(pilot, lambda: first.events.total_count == 1, "the crash pod's event")
        await wait_for(pilot, lambda: first.has_class("crashed"), "its crash card")
        text = shown_text(first)
        assert crash_name in text and "BackOff" in text and "container app" in text
        await pilot.press("e")  # the events table takes the focus
        await wait_for(pilot, lambda: first.focused is first.events, "the events focused")
        await back_to_main(app, pilot)

        second = await open_pod_by_key(app, pilot, objs, "init")
        assert second is first, "the same screen, retargeted"
        await wait_for(pilot, lambda: second.events.total_count == 1, "the init pod's event")
        text = shown_text(second)
        assert init_name in text and "Pulled" in text
        assert second.timeline.lane_names == ["setup", "migrate", "proxy", "app"]
        groups = second.containers.groups
        assert groups is not None and [c.name for c in groups.init] == ["setup", "migrate"]
        # Nothing of the crash pod: its name, its crash card and log, its warning event.
        assert crash_name not in text and "BackOff" not in text
        assert not second.has_class("crashed") and second.cards == []
        assert second.previous_logs == {}
        assert not second.has_class("deleted")
        assert second.focused is second.query_one("#pod-body"), "the focus where a new one has it"

        # The keys act on the pod shown now.
        init_uid = uid_of(objs["init"])
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), "its logs")
        assert app.screen.pod_uid == init_uid  # type: ignore[attr-defined]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is second, "back on the pod screen")
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, YamlScreen), "its YAML")
        assert app.screen.object_uid == init_uid  # type: ignore[attr-defined]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is second, "back on the pod screen")
        await back_to_main(app, pilot)

        # And back to the first pod: its crash card again, read anew.
        third = await open_pod_by_key(app, pilot, objs, "crash")
        assert third is first
        await wait_for(pilot, lambda: third.has_class("crashed"), "the crash card again")
        assert init_name not in shown_text(third)


async def test_a_pod_deleted_while_shown_leaves_no_notice_on_the_next_pod(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed_two_pods(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_pod_by_key(app, pilot, objs, "crash")
        name = objs["crash"]["metadata"]["name"]
        sim.store.delete("", "pods", "default", name, grace_period_seconds=0)
        await wait_for(pilot, lambda: screen.has_class("deleted"), "the deleted notice")
        await back_to_main(app, pilot)
        pods = app.screen.query_one("#pods", LiveTable)
        await wait_for(pilot, lambda: pods.total_count == 1, "the deleted pod gone")
        pods.focus()
        assert pods.move_cursor_to_key(uid_of(objs["init"]))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen, "the pod screen again")
        await pilot.pause()
        assert screen.pod_uid == uid_of(objs["init"])
        assert not screen.has_class("deleted") and screen.deleted_at is None
        assert not screen.query_one("#pod-deleted").display


async def test_a_pod_that_is_gone_shows_nothing_of_the_pod_shown_before(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed_two_pods(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_pod_by_key(app, pilot, objs, "crash")
        await wait_for(pilot, lambda: screen.has_class("crashed"), "its crash card")
        await back_to_main(app, pilot)
        # Opened on a pod the cache does not hold (a stale row, a problem that went away).
        app.open_screen("detail", "no-such-uid")
        await wait_for(pilot, lambda: app.screen is screen, "the pod screen again")
        await pilot.pause()
        assert screen.has_class("deleted") and not screen.has_class("crashed")
        assert screen.timeline.lane_names == [] and screen.containers.groups is None
        assert str(screen.query_one("#pod-readiness").content) == ""
        assert str(screen.query_one("#crash-cards").content) == ""
        assert screen.events.total_count == 0


async def test_the_clock_of_the_pod_screen_stops_while_it_is_not_shown(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed_two_pods(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_pod_by_key(app, pilot, objs, "init")
        renders: list[bool] = []
        draw = screen.render_pod

        def counted() -> None:
            renders.append(screen.is_current)
            draw()

        screen.render_pod = counted  # type: ignore[method-assign]
        # Shown: the clock moves the ages every second (nothing else renders: no batches).
        await wait_for(pilot, lambda: len(renders) >= 1, "a tick while shown", 3.0)
        await back_to_main(app, pilot)
        renders.clear()
        await pilot.pause(2.5)
        assert renders == [], "no tick while closed"
        # Covered by the logs screen: not shown either.
        await open_pod_by_key(app, pilot, objs, "init")
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), "its logs")
        renders.clear()
        await pilot.pause(2.5)
        assert renders == [], "no tick while covered"
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(renders) >= 1, "ticking again once shown", 3.0)
        assert all(renders)


async def test_the_pod_screen_uncovered_draws_at_the_current_clock_at_once(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """l then escape after a while: the pod screen's clock stood still while the logs covered
    it; shown again it draws its ages from the clock of now, before its next tick, and an event
    that arrived meanwhile (newer than the screen's old "now") is not drawn "<invalid>"."""
    objs = seed_two_pods(sim)
    base = datetime.now(UTC).replace(microsecond=0)
    clock = [base]
    app = make_app(Settings(), connection=connect_to(), config=Config(), clock=lambda: clock[0])
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_pod_by_key(app, pilot, objs, "crash")
        table = screen.events
        await wait_for(pilot, lambda: table.total_count == 1, "the crash pod's event")
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), "its logs")
        clock[0] = base + timedelta(minutes=5)
        # While the logs cover the pod screen, an event four minutes after `base` arrives.
        later = event("c2", objs["crash"], "Pod", warning=False, reason="Started", count=6)
        later["firstTimestamp"] = later["lastTimestamp"] = stamp(base + timedelta(minutes=4))
        sim.store.create("", "events", later)
        await wait_for(pilot, lambda: table.total_count == 2, "the new event, while covered")

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back on the pod screen")
        await caught_up(pilot, screen)
        drawn = [table.render_line(y).text for y in range(1, 3)]
        assert not any("<invalid>" in line for line in drawn), drawn
        started = next(line for line in drawn if "Started" in line)
        backoff = next(line for line in drawn if "BackOff" in line)
        assert " 60s " in started, started  # 4 minutes after `base`, one minute ago
        assert " 5m " in backoff, backoff  # at `base`, five minutes ago
        # The pod's own ages too: created two minutes before `base` (the sim's clock).
        assert "age 7m" in plain(screen.query_one("#pod-title").content)


async def test_yaml_then_describe_from_the_pod_screen_switch_in_place_and_esc_goes_back(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """y then d on the pod screen: the describe replaces the YAML (and y the describe), so esc
    lands on the pod screen, and a second esc on the main screen, however often y d is pressed."""
    objs = seed_two_pods(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        kept = await open_pod_by_key(app, pilot, objs, "init")
        depth = len(app.screen_stack)
        for _ in range(2):
            await pilot.press("y")
            await wait_for(pilot, lambda: loaded(app, YamlScreen), "the pod's YAML")
            await pilot.press("d")
            await wait_for(pilot, lambda: loaded(app, DescribeScreen), "the pod described")
            screen = app.screen
            assert isinstance(screen, DescribeScreen)
            assert screen.object_uid == uid_of(objs["init"])
            assert len(app.screen_stack) == depth + 1
            assert not any(isinstance(s, YamlScreen) for s in app.screen_stack)
        assert sum(isinstance(s, PodDetailScreen) for s in app.screen_stack) == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is kept, "back on the pod screen")
        await back_to_main(app, pilot)
        assert isinstance(app.screen, MainScreen)
        again = await open_pod_by_key(app, pilot, objs, "crash")
        assert again is kept


async def test_d_on_the_pod_screen_is_kubectl_describe_pod_and_esc_comes_back(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed_two_pods(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        kept = await open_pod_by_key(app, pilot, objs, "init")
        await pilot.press("d")
        await wait_for(pilot, lambda: loaded(app, DescribeScreen), "the pod described")
        screen = app.screen
        assert isinstance(screen, DescribeScreen)
        assert screen.object_uid == uid_of(objs["init"])
        text = screen.describe_text.plain
        name = objs["init"]["metadata"]["name"]
        assert re.match(rf"Name: +{name}\nNamespace: +default\n", text)
        # kubectl's sections: the init containers (the native sidecar among them), the
        # regular one, the Conditions table, QoS, node selector and tolerations.
        for section in ("Init Containers:", "Containers:", "Conditions:", "QoS Class:"):
            assert re.search(rf"^{section}", text, re.MULTILINE), section
        for container in ("setup", "proxy", "migrate", "app"):
            assert f"\n  {container}:\n" in text
        assert re.search(r"^Node-Selectors: +<none>$", text, re.MULTILINE)
        assert re.search(r"^Tolerations: +<none>$", text, re.MULTILINE)
        assert re.search(r"  Normal +Pulled +.* +kubelet +Pulled happened", text)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is kept, "back on the pod screen")
        await back_to_main(app, pilot)
        assert isinstance(app.screen, MainScreen)


async def test_d_on_the_pod_screen_of_a_deleted_pod_says_it_is_gone(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """The pod went away while its screen showed it: d still opens the describe screen, which
    says what the server answers (the pod is not found), as y does."""
    objs = seed_two_pods(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_pod_by_key(app, pilot, objs, "init")
        name = objs["init"]["metadata"]["name"]
        sim.store.delete("", "pods", "default", name, grace_period_seconds=0)
        await wait_for(pilot, lambda: screen.deleted_at is not None, "the deletion shown")
        await pilot.press("d")

        def gone() -> bool:
            described = app.screen
            return isinstance(described, DescribeScreen) and described.fetch_error is not None

        await wait_for(pilot, gone, "the describe screen's error line")
        assert f'pods "{name}" not found' in str(app.screen.fetch_error)  # type: ignore[attr-defined]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back on the pod screen")


async def test_d_on_a_pod_row_describes_it_and_enter_still_opens_the_pod_screen(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed_two_pods(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 1, "the deployment listed")
        workloads.move_cursor_to_key(uid_of(objs["dep"]))
        pods = app.screen.query_one("#pods", LiveTable)
        await wait_for(pilot, lambda: pods.total_count == 2, "its two pods listed")
        pods.focus()
        assert pods.move_cursor_to_key(uid_of(objs["crash"]))
        await pilot.press("d")
        await wait_for(pilot, lambda: loaded(app, DescribeScreen), "the pod described")
        assert app.screen.object_uid == uid_of(objs["crash"])  # type: ignore[attr-defined]
        assert "Restart Count:" in app.screen.describe_text.plain  # type: ignore[attr-defined]
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), "back on main")
        screen = await open_pod_by_key(app, pilot, objs, "crash")
        assert isinstance(screen, PodDetailScreen)


async def test_a_theme_switched_while_the_pod_screen_was_closed_styles_it_when_shown_again(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """A kept screen is restyled on showing only when the app's CSS changed meanwhile."""
    from textual.color import Color

    objs = seed_two_pods(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_pod_by_key(app, pilot, objs, "init")
        title = screen.query_one("#pod-title")
        before = title.styles.background
        await back_to_main(app, pilot)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        await open_pod_by_key(app, pilot, objs, "crash")
        expected = Color.parse(app.theme_variables["panel"])
        assert title.styles.background == expected != before


async def test_the_kept_pod_screen_shown_again_looks_as_if_restyled(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """Shown again, the kept screen skips Textual's restyle of all its widgets: what it shows
    is what a restyle would show, the focused body's lifecycle border too."""
    from textual.color import Color

    objs = seed_two_pods(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config(), clock=lambda: FROZEN)
    async with app.run_test(size=(160, 50)) as pilot:
        for name in ("crash", "init", "crash"):
            screen = await open_pod_by_key(app, pilot, objs, name)
            focus_border = Color.parse(app.theme_variables["ktui-border-focus"])
            assert screen.query_one("#lifecycle").styles.border.top[1] == focus_border, name
            shown = app.export_screenshot()
            screen.update_node_styles(animate=False)
            screen.refresh(layout=True)
            await pilot.pause()
            assert app.export_screenshot() == shown, name
            await back_to_main(app, pilot)


async def test_the_containers_table_is_rendered_once_and_not_again_when_unchanged(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """The containers table is laid out by Rich once for the layout's height and the drawing
    both (Textual's own wrapper renders it for each), and an update with the same table (a
    clock tick, a batch that changes nothing the table shows) costs no layout or repaint; one
    as tall as the last is drawn again without a layout of the screen."""
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pod(app, pilot, objs)
        await wait_for(pilot, lambda: screen.containers.groups is not None, "the containers")
        await pilot.pause()
        listed = screen.containers
        visual = listed.visual
        assert isinstance(visual, RenderedOnce)
        assert listed.size.height > 1
        # One render per width the layout tried (the pod body's scrollbar took a column);
        # the drawing, and any repaint, reuses the last one.
        renders = visual.renders
        assert renders <= 2
        listed.refresh()
        await pilot.pause()
        assert visual.renders == renders
        refreshes: list[bool] = []
        refresh = listed.refresh

        def counted(*regions: Any, layout: bool = False, **options: Any) -> Any:
            refreshes.append(layout)
            return refresh(*regions, layout=layout, **options)

        listed.refresh = counted  # type: ignore[method-assign]
        pod_obj = screen.pod
        assert pod_obj is not None
        now = app.clock()
        listed.show(pod_obj, now)
        refreshes.clear()
        shown = listed.visual
        listed.show(pod_obj, now)
        listed.show(pod_obj, now)
        assert refreshes == []
        assert listed.visual is shown
        # Its ages change (an hour later), its height does not: drawn again, not laid out.
        height = listed.size.height
        listed.show(pod_obj, now + timedelta(hours=1))
        assert refreshes == [False]
        assert listed.visual is not shown
        # One more container, one more row: the screen is laid out again.
        grown = copy.deepcopy(pod_obj)
        grown["spec"]["containers"].append({"name": "extra", "image": "busybox"})
        listed.show(grown, now + timedelta(hours=1))
        assert refreshes == [False, True]
        await pilot.pause()
        assert listed.size.height == height + 1


async def test_the_lifecycle_picture_is_drawn_once_per_pod_width_and_now(
    sim: SimServer, connect_to: Callable[..., Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`show` measures the picture's height before and after, the layout measures it and the
    drawing draws it: one `picture_lines` serves them all while the pod, the width and "now"
    stay."""
    from ktui.ui.widgets import timeline as timeline_module

    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pod(app, pilot, objs)
        await wait_for(pilot, lambda: screen.timeline.timeline is not None, "the timeline")
        await pilot.pause()
        drawn: list[int] = []
        picture_lines = timeline_module.picture_lines

        def counted(timeline: Any, width: int, now: datetime) -> Any:
            drawn.append(width)
            return picture_lines(timeline, width, now)

        monkeypatch.setattr(timeline_module, "picture_lines", counted)
        pod_obj = screen.pod
        assert pod_obj is not None
        widget = screen.timeline
        before = widget.rendered().plain
        widget.show(pod_obj, app.clock() + timedelta(minutes=5))
        widget.refresh(layout=True)
        await pilot.pause()
        assert drawn == [widget.content_size.width]
        assert widget.rendered().plain != before  # the picture moved on with "now"
        assert drawn == [widget.content_size.width]
        assert widget.rendered(70).plain.count("\n") >= 3  # another width: drawn for it
        assert drawn == [widget.content_size.width, 70]
