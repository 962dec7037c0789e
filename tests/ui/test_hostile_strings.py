"""Strings from the cluster cannot drive the terminal, on any screen.

The embedded server holds a workload whose image, annotations, change-cause, container status
messages, events and log lines carry terminal escapes (OSC title, clear screen, SGR, 8-bit CSI)
and a right-to-left override. Each screen is opened and what the compositor would send to the
terminal (every segment of every line of the screen, toasts and modal screens included) is
checked: no control character but the escapes' visible forms (`^[`, `\\x9b`, `\\u202e`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from test_logs import ScriptedLogs
from ui_support import deployment, loaded, owner_ref, pod, replicaset, wait_for

from ktui.cluster.connection import Connection
from ktui.config import Config
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.events import EventsScreen
from ktui.ui.screens.logs import LogsScreen
from ktui.ui.screens.pod_detail import PodDetailScreen
from ktui.ui.screens.problems import ProblemsScreen
from ktui.ui.screens.rollout import RolloutScreen
from ktui.ui.screens.yaml_view import DescribeScreen, YamlScreen

Obj = dict[str, Any]

TITLE = "\x1b]2;TITLE\x1b\\"
PWNED = "\x1b[31mred\x1b]0;pwned\x07"
CLEAR = "\x1b[2J\x1b[H"
CSI8 = "\x9b31m"
RLO = "\u202eexe.txt"
IMAGE = f"nginx{TITLE}:1.27"
BIDI = {chr(c) for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def screen_text(app: KtuiApp) -> str:
    """Every character the screen's compositor would write now (control segments aside)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(s.text for s in strip if not s.control) for strip in strips)


def assert_safe(app: KtuiApp, *shown: str) -> str:
    text = screen_text(app)
    raw = sorted(
        {
            ch
            for ch in text
            if (unicodedata.category(ch) == "Cc" and ch != "\n")
            or ch in BIDI
            or ch in "\u2028\u2029"
        }
    )
    assert not raw, f"raw control characters on screen: {raw!r}"
    for needle in shown:
        assert needle in text, f"{needle!r} not on screen"
    return text


def seed(sim: SimServer) -> dict[str, Obj]:
    store = sim.store
    spec = deployment("web", replicas=1, image=IMAGE)
    spec["metadata"]["annotations"] = {
        "note": PWNED,
        "kubernetes.io/change-cause": f"deploy {CLEAR}{RLO}",
    }
    dep = store.create("apps", "deployments", spec)
    rs_spec = replicaset(dep, "abc12", 1)
    rs_spec["metadata"]["annotations"]["kubernetes.io/change-cause"] = f"first {CLEAR}{CSI8}"
    rs = store.create("apps", "replicasets", rs_spec)
    pod_spec = pod(rs, "x1")
    pod_spec["spec"]["containers"][0]["image"] = IMAGE
    pod_spec["metadata"]["annotations"] = {"note": PWNED}
    created = store.create("", "pods", pod_spec)
    status = {
        "phase": "Pending",
        "containerStatuses": [
            {
                "name": "app",
                "image": IMAGE,
                "ready": False,
                "restartCount": 0,
                "state": {"waiting": {"reason": "ErrImagePull", "message": f"pull {PWNED}{RLO}"}},
            }
        ],
    }
    updated = store.update("", "pods", {**created, "status": status}, subresource="status")
    store.create(
        "",
        "events",
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "web-x1.1", "namespace": "default"},
            "involvedObject": {
                "kind": "Pod",
                "name": updated["metadata"]["name"],
                "namespace": "default",
                "uid": updated["metadata"]["uid"],
            },
            "type": "Warning",
            "reason": f"Failed{CSI8}",
            "message": f"{CLEAR}boom{TITLE}{RLO}",
            "count": 2,
            "source": {"component": "kubelet"},
        },
    )
    return {"dep": dep, "rs": rs, "pod": updated, "owner": owner_ref(dep)}


async def started(app: KtuiApp, pilot: Any, objs: dict[str, Obj]) -> None:
    workloads = app.screen.query_one("#workloads", LiveTable)
    await wait_for(pilot, lambda: workloads.total_count == 1, "the deployment listed")
    workloads.move_cursor_to_key(objs["dep"]["metadata"]["uid"])
    pods = app.screen.query_one("#pods", LiveTable)
    await wait_for(pilot, lambda: pods.total_count == 1, "its pod listed")
    await pilot.pause()


async def test_main_panes_and_a_toast(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(200, 40), notifications=True) as pilot:
        await started(app, pilot, objs)
        # The image in the workloads and ReplicaSets panes; the pod's waiting reason.
        assert_safe(app, "nginx^[]2;TITLE^[\\:1.27", "ErrImagePull")
        # A toast carrying a server message (here: one built from an object's annotation).
        app.notify(f"says {PWNED}[b]x[/b]", severity="error")
        await pilot.pause(0.2)
        assert_safe(app, "says ^[[31mred^[]0;pwned^G[b]x[/b]")


async def test_pod_detail_and_its_events(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(200, 50)) as pilot:
        await started(app, pilot, objs)
        app.screen.query_one("#pods", LiveTable).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PodDetailScreen), "pod detail")
        screen = app.screen
        assert isinstance(screen, PodDetailScreen)
        await wait_for(pilot, lambda: screen.events.total_count == 1, "the pod's event")
        await pilot.pause()
        # Containers (image, waiting message), the timeline, the events table.
        assert_safe(app, "nginx^[]2;TITLE^[\\:1.27", "\\u202eexe.txt", "^[[2J^[[Hboom")


async def test_events_screen(sim: SimServer, connect_to: Callable[..., Connection]) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(200, 40)) as pilot:
        await started(app, pilot, objs)
        app.screen.query_one("#workloads", LiveTable).focus()
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EventsScreen), "events screen")
        events = app.screen.query_one("#events", LiveTable)
        await wait_for(pilot, lambda: events.total_count == 1, "the event")
        await pilot.pause()
        assert_safe(app, "Failed\\x9b31m", "^[[2J^[[Hboom^[]2;TITLE^[\\\\u202eexe.txt")


async def test_describe_and_yaml(sim: SimServer, connect_to: Callable[..., Connection]) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(200, 60)) as pilot:
        await started(app, pilot, objs)
        app.screen.query_one("#workloads", LiveTable).focus()
        await pilot.press("d")
        await wait_for(pilot, lambda: loaded(app, DescribeScreen), "the object described")
        await pilot.pause()
        assert_safe(app, "note=^[[31mred^[]0;pwned^G", "Image:", "nginx^[]2;TITLE^[\\:1.27")
        await pilot.press("y")
        await wait_for(pilot, lambda: loaded(app, YamlScreen), "the YAML read from the server")
        await pilot.pause()
        # PyYAML escapes ESC itself (as "\e"), but leaves the RLO of the change-cause as it is.
        assert_safe(app, "\\u202eexe.txt")


async def test_logs(sim: SimServer, connect_to: Callable[..., Connection]) -> None:
    objs = seed(sim)
    logs = ScriptedLogs()
    sim.store.log_source = logs
    name = objs["pod"]["metadata"]["name"]
    logs.write(name, "app", f"\x1b[32mGET /\x1b[0m 200{TITLE}", f"\tat {CLEAR}{CSI8}{RLO}")
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 40)) as pilot:
        await started(app, pilot, objs)
        app.screen.query_one("#pods", LiveTable).focus()
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), "logs screen")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        await wait_for(pilot, lambda: len(screen.view.lines) == 2, "two log lines")
        await pilot.pause()
        text = assert_safe(
            app, "^[[32mGET /^[[0m 200^[]2;TITLE^[\\", "at ^[[2J^[[H\\x9b31m\\u202eexe.txt"
        )
        assert "        at ^[[2J" in text  # a tab is laid out, not escaped


async def test_rollout_history(sim: SimServer, connect_to: Callable[..., Connection]) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(200, 50)) as pilot:
        await started(app, pilot, objs)
        app.screen.query_one("#workloads", LiveTable).focus()
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, RolloutScreen), "rollout screen")
        history = app.screen.query_one("#history", LiveTable)
        await wait_for(pilot, lambda: history.total_count == 1, "one revision")
        await pilot.pause()
        # The change-cause in the history table, the image in the revision's template.
        assert_safe(app, "first ^[[2J^[[H\\x9b31m", "nginx^[]2;TITLE^[\\:1.27")


async def test_palette(
    sim: SimServer, connect_to: Callable[..., Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    # A context name is the user's kubeconfig's; namespaces and names are validated by the
    # server. The palette shows what it is given through the same gate: give it a hostile one.
    kubeconfig_type = type(app.connection.kubeconfig)
    real_contexts = kubeconfig_type.contexts
    hostile_context = f"prod{TITLE}[b]x[/b]"
    monkeypatch.setattr(
        kubeconfig_type, "contexts", lambda self: [*real_contexts(self), hostile_context]
    )
    async with app.run_test(size=(160, 40)) as pilot:
        await started(app, pilot, objs)
        await pilot.press("ctrl+p")
        await pilot.press(*"context: prod")

        def options() -> int:
            lists = app.screen.query("CommandList")
            return lists.first().option_count if lists else 0  # type: ignore[attr-defined,no-any-return]

        await wait_for(pilot, lambda: options() > 0, "the hit listed")
        await pilot.pause(0.2)
        # (Textual's markup escape doubles a backslash before "[": shown, not interpreted.)
        assert_safe(app, "context: prod^[]2;TITLE^[", "[b]x[/b]")


async def test_problems_screen(sim: SimServer, connect_to: Callable[..., Connection]) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(250, 40)) as pilot:
        await started(app, pilot, objs)
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, ProblemsScreen), "problems screen")
        problems = app.screen.query_one("#problems", LiveTable)
        await wait_for(pilot, lambda: problems.total_count >= 1, "the pod's pull failure")
        await pilot.pause()
        # The reason quotes the image and the waiting message.
        assert_safe(app, "nginx^[]2;TITLE^[\\:1.27", "pull ^[[31mred^[]0;pwned^G\\u202eexe.txt")
