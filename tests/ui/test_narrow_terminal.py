"""An 80x24 terminal: the main footer keeps `?` and the action keys, the header keeps its
problems count and its watches line, and the problems view keeps REASON readable."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from test_problems import problems_listed, seed
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets._footer import FooterKey
from ui_support import deployment, pod, replicaset, wait_for

from ktui.cluster.connection import Connection
from ktui.config import Config
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.events import EventsScreen
from ktui.ui.screens.help import HelpScreen
from ktui.ui.widgets.events import EventTable
from ktui.ui.widgets.header import ClusterHeader
from ktui.ui.widgets.safe import SafeStatic

NARROW = (80, 24)


def drawn_lines(widget: Widget) -> list[str]:
    """The widget's lines as drawn on the terminal (its padding too)."""
    width, height = widget.region.size
    return [strip.text for strip in widget.render_lines(Region(0, 0, width, height))]


def footer_keys_on_screen(app: KtuiApp) -> dict[str, str]:
    """key display -> description of the footer keys drawn wholly inside the terminal."""
    width = app.size.width
    return {
        key.key_display: key.description
        for key in app.screen.query(FooterKey)
        if key.region.width > 0 and key.region.right <= width
    }


async def test_at_80_columns_the_footer_keeps_help_and_the_action_keys(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=NARROW) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count >= 2, "workloads listed")
        # On a Deployment (the first row is the Job `backup`, which has no rollout keys).
        assert workloads.move_cursor_to_key(objs["web"]["metadata"]["uid"])
        await wait_for(pilot, lambda: "h" in footer_keys_on_screen(app), "h in the footer")
        shown = footer_keys_on_screen(app)
        assert shown["?"] == "Keys"
        for key in ("/", ":", "q", "h", "r", "s", "u"):
            assert key in shown, f"{key} is not in the footer: {shown}"
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the keys")


async def test_at_80_columns_the_header_keeps_the_problems_count_and_the_watches_line(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=NARROW) as pilot:
        header = app.screen.query_one(ClusterHeader)

        def header_lines() -> list[str]:
            return [line.strip() for line in drawn_lines(header)]

        await wait_for(pilot, lambda: "★ 4 problems (!)" in header_lines()[0], "the count")
        await wait_for(pilot, lambda: header_lines()[1] == "watches ● live", "watches live")
        first = header_lines()[0]
        assert first.startswith("⎈ ktui  ctx ") and "ns default" in first
        assert first.endswith("★ 4 problems (!)")


async def test_at_80_columns_the_problems_view_shows_the_whole_reason(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=NARROW) as pilot:
        screen = await problems_listed(app, pilot, 4)
        table = screen.table
        drawn = table.column_widths(table.scrollable_content_region.width)
        widths = dict(zip([c.key for c in table.columns], drawn, strict=True))
        assert widths["reason"] >= 25 and widths["since"] > 0
        # KIND stays, as kubectl's short name: a Deployment and its pods have like names.
        assert widths["kind"] >= 6
        kinds = {str(table.row(k)[1]) for k in table.ordered_keys()}
        assert "Pod" in kinds and any("pod " in line for line in drawn_lines(table)[2:]), (
            drawn_lines(table)
        )
        header = table.render_line(0).text
        assert "REASON" in header and header.rstrip().endswith("SINCE")
        reason_line = screen.query_one("#problem-reason", SafeStatic)

        def reason_shown() -> str:
            return " ".join(line.strip() for line in drawn_lines(reason_line) if line.strip())

        pod_name = objs["pod"]["metadata"]["name"]
        assert table.cursor_key == objs["pod"]["metadata"]["uid"]
        # The whole reason, not the start the column has room for.
        reason = str(table.row(objs["pod"]["metadata"]["uid"])[4])
        assert len(reason) > widths["reason"]
        whole = f"Pod default/{pod_name}: {reason}"
        await wait_for(pilot, lambda: reason_shown() == whole, "the pod's whole reason")
        # It follows the cursor.
        await pilot.press("j")
        await wait_for(pilot, lambda: reason_shown().startswith("Job default/"), "the Job's")
        assert "BackoffLimitExceeded" in reason_shown()


async def test_at_80_columns_the_workloads_pane_keeps_a_stuck_rollouts_reason(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """The pods bar narrows and KIND turns to kubectl's short names before HEALTH's reason is
    cut; in every row alike (a Job reads "job" beside "deploy")."""
    seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=NARROW) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 3, "workloads listed")

        def rows() -> dict[str, str]:
            lines = [line.strip("│ ") for line in drawn_lines(workloads)[2:5]]
            return {line.split()[0]: line for line in lines if line}

        await wait_for(pilot, lambda: "CrashLoopBackOff" in rows().get("web", ""), "web stuck")
        web, stuck, backup = rows()["web"], rows()["stuck"], rows()["backup"]
        assert "deploy" in web.split() and "✖ CrashLoopBackOff" in web and "stuck:" not in web
        assert "✖ ProgressDeadlineExceeded" in stuck
        assert backup.split()[1] == "job"
        assert re.search(r"█ 1 +\d+s$", web)  # the bar and its count, then AGE
        # All namespaces add a column: the reasons are cut last, after the bar and the kinds.
        await pilot.press("0")
        await wait_for(pilot, lambda: "NAMESPACE" in drawn_lines(workloads)[1], "namespaces")
        await wait_for(pilot, lambda: "✖ CrashLoop" in rows().get("web", ""), "the reason")
        assert "deploy" in rows()["web"].split()


async def test_at_80_columns_the_pods_view_keeps_a_pods_whole_status(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """STATUS gives up width with the pod's name only (shortened in the middle), so
    Init:CrashLoopBackOff reads whole; a cut RESTARTS keeps its count, not "5 …"."""
    store = sim.store
    dep = store.create("apps", "deployments", deployment("payments-reconciliation-worker"))
    rs = store.create("apps", "replicasets", replicaset(dep, "7d9f8c6b5a", 1))
    spec = pod(rs, "x2k9q", initContainers=[{"name": "migrate", "image": "migrate:1"}])
    created = store.create("", "pods", spec)
    status = {
        "phase": "Pending",
        "initContainerStatuses": [
            {
                "name": "migrate",
                "image": "migrate:1",
                "ready": False,
                "restartCount": 5,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {
                    "terminated": {
                        "exitCode": 1,
                        "reason": "Error",
                        "finishedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    }
                },
            }
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
    store.update("", "pods", {**created, "status": status}, "status")
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=NARROW) as pilot:
        await pilot.press("colon", *"pods", "enter", "0")
        table = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: "NAMESPACE" in drawn_lines(table)[1], "all namespaces")

        def line() -> str:
            return next((x for x in drawn_lines(table) if "x2k9q" in x), "")

        await wait_for(pilot, lambda: "Init:CrashLoopBackOff" in line(), "the whole status")
        cells = line().strip("│ ").split()
        assert cells[0].startswith("pay") and cells[0].endswith("-x2k9q") and "…" in cells[0]
        after = cells[cells.index("Init:CrashLoopBackOff") + 1 :]
        # The count alone, then AGE: not "5 …" nor "5 (0s ago)".
        assert after[0] == "5" and re.fullmatch(r"\d+[smhd]\S*", after[1]), after
        assert "(" not in line()  # no "(0s ago)", whole or cut


async def test_at_80_columns_the_events_screen_shows_the_selected_events_message(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """`e` on a pod in the problems view: MESSAGE is on screen, FIRST SEEN left out and
    OBJECT shortened in the middle first (it repeats the pod's name in every row); the
    selected event's whole message is below the table."""
    objs = seed(sim)
    crashing = objs["pod"]
    pod_name = crashing["metadata"]["name"]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    message = f"Back-off restarting failed container app in pod {pod_name}_default"
    backoff = sim.store.create(
        "",
        "events",
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{pod_name}.backoff", "namespace": "default"},
            "involvedObject": {
                "kind": "Pod",
                "name": pod_name,
                "namespace": "default",
                "uid": crashing["metadata"]["uid"],
            },
            "type": "Warning",
            "reason": "BackOff",
            "message": message,
            "count": 7,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "source": {"component": "kubelet"},
        },
    )
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=NARROW) as pilot:
        problems = await problems_listed(app, pilot, 4)
        assert problems.table.cursor_key == crashing["metadata"]["uid"]
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EventsScreen), "events (e)")
        events = app.screen.query_one(EventTable)
        await wait_for(pilot, lambda: backoff["metadata"]["uid"] in events.ordered_keys(), "it")
        assert events.cursor_key == backoff["metadata"]["uid"]  # the newest, on top
        header, row = (line.strip("│ ") for line in drawn_lines(events)[1:3])
        assert header.endswith("MESSAGE") and "FIRST SEEN" not in header
        # The start of the message is drawn, in most of what the row leaves.
        assert "Back-off restarting" in row
        widths = dict(
            zip(
                [c.key for c in events.columns],
                events.column_widths(events.scrollable_content_region.width),
                strict=True,
            )
        )
        assert widths["message"] > widths["object"] and widths["first"] == 0
        assert "…" in row.split()[3]  # the pod's name shortened in the middle
        # The selected event's whole message, below the table.
        below = app.screen.query_one("#event-message", SafeStatic)

        def message_below() -> str:
            return " ".join(line.strip() for line in drawn_lines(below) if line.strip())

        await wait_for(pilot, lambda: message_below() == f"BackOff: {message}", "the message")
