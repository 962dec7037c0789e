"""Rollout-aware logs (`L` on the rollout screen), against the embedded API server: the current
revision's pods' logs interleaved with a `[pod]` prefix, a pod that appears followed, a pod that
goes away marked, `c` another container of the template, `/` search with `n`/`N`, `ctrl+s` save."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_logs import ScriptedLogs, notifications, running
from ui_support import deployment, pod, replicaset, wait_for

from ktui.cluster.connection import Connection
from ktui.config import Config
from ktui.render.safe import visible
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.revision_logs import RevisionLogsScreen, short_name
from ktui.ui.screens.rollout import RolloutScreen

Obj = dict[str, Any]

CONTAINERS = [{"name": "app", "image": "web:2"}, {"name": "worker", "image": "worker:2"}]


def seed(sim: SimServer) -> tuple[Obj, Obj, Obj]:
    """web: revision 1 (an old ReplicaSet, one pod left) and revision 2 (current)."""
    store = sim.store
    spec = deployment("web", replicas=2)
    spec["spec"]["template"]["spec"] = {"containers": CONTAINERS}
    spec["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "2"}
    web = store.create("apps", "deployments", spec)
    old = replicaset(web, "old111", 1)
    old["spec"]["template"]["spec"] = {"containers": [{"name": "app", "image": "web:1"}]}
    old_rs = store.create("apps", "replicasets", old)
    new_rs = store.create("apps", "replicasets", replicaset(web, "new222", 2))
    add_pod(sim, old_rs, "zzzzz", ["app"])
    return web, old_rs, new_rs


def add_pod(sim: SimServer, owner: Obj, suffix: str, names: list[str] | None = None) -> Obj:
    names = names or ["app", "worker"]
    obj = pod(owner, suffix)
    obj["spec"] = {"containers": [c for c in CONTAINERS if c["name"] in names]}
    created = sim.store.create("", "pods", obj)
    status = {"phase": "Running", "containerStatuses": [running(n) for n in names]}
    return sim.store.update("", "pods", {**created, "status": status}, subresource="status")


def shown(screen: RevisionLogsScreen) -> list[str]:
    return [screen.view.line_text(i).plain for i in range(len(screen.view.lines))]


async def open_revision_logs(app: KtuiApp, pilot: Any, web: Obj) -> RevisionLogsScreen:
    workloads = app.screen.query_one("#workloads", LiveTable)
    await wait_for(pilot, lambda: workloads.total_count == 1, "web listed")
    workloads.move_cursor_to_key(web["metadata"]["uid"])
    await pilot.press("h")
    assert isinstance(app.screen, RolloutScreen)
    await wait_for(
        pilot,
        lambda: len(app.model.pods(web["metadata"]["uid"])) == 3,
        "the pods in the model",
    )
    await pilot.press("L")
    await wait_for(pilot, lambda: isinstance(app.screen, RevisionLogsScreen), "revision logs")
    screen = app.screen
    assert isinstance(screen, RevisionLogsScreen)
    return screen


def test_short_name_is_the_last_segment() -> None:
    assert short_name("web-abc12-fm6sf") == "fm6sf"
    assert short_name("web-0") == "0"
    assert short_name("solo") == "solo"


async def test_revision_logs_interleave_follow_new_pods_and_mark_gone_ones(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    logs = ScriptedLogs()
    sim.store.log_source = logs
    web, _old_rs, new_rs = seed(sim)
    add_pod(sim, new_rs, "aaaaa")
    add_pod(sim, new_rs, "bbbbb")
    logs.write("web-old111-zzzzz", "app", "old revision line")
    logs.write("web-new222-aaaaa", "app", "a1")
    logs.write("web-new222-bbbbb", "app", "b1")
    logs.write("web-new222-aaaaa", "app", "a2")
    logs.write("web-new222-bbbbb", "app", "b2")
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_revision_logs(app, pilot, web)
        assert screen.container == "app"  # the template's first regular container
        # Both current pods' lines, interleaved by timestamp, each with its pod's short name;
        # the old revision's pod is not read.
        await wait_for(pilot, lambda: len(screen.view.lines) == 4, "both pods' lines")
        assert shown(screen) == ["[aaaaa] a1", "[bbbbb] b1", "[aaaaa] a2", "[bbbbb] b2"]
        assert {r["container"] for r in logs.requests} == {"app"}
        assert len(logs.requests) == 2
        status = str(screen.query_one("#logs-status").content)
        assert "revision 2 web-new222" in status and "2 pods" in status

        # A third pod of the current revision shows up: its lines follow.
        logs.write("web-new222-ccccc", "app", "c1")
        add_pod(sim, new_rs, "ccccc")
        await wait_for(pilot, lambda: "[ccccc] c1" in shown(screen), "the new pod's line")
        logs.write("web-new222-aaaaa", "app", "a3")
        await wait_for(pilot, lambda: shown(screen)[-1] == "[aaaaa] a3", "still following")

        # A pod goes away: a marker line says so.
        sim.store.delete("", "pods", "default", "web-new222-bbbbb")
        marker = "──── pod web-new222-bbbbb went away ────"
        await wait_for(pilot, lambda: marker in shown(screen), "the marker line")
        assert len(screen.streams) == 2

        # c: the template's next container, for every pod.
        logs.write("web-new222-aaaaa", "worker", "wa")
        logs.write("web-new222-ccccc", "worker", "wc")
        await pilot.press("c")
        assert screen.container == "worker"
        await wait_for(
            pilot, lambda: shown(screen) == ["[aaaaa] wa", "[ccccc] wc"], "worker's lines"
        )
        await pilot.press("c")
        assert screen.container == "app"

        # s, t, w: autoscroll, timestamps, wrap.
        await pilot.press("s")
        assert not screen.view.autoscroll
        await pilot.press("t")
        assert screen.view.show_timestamps
        await pilot.press("w")
        assert screen.view.wrap

        await pilot.press("escape")
        assert isinstance(app.screen, RolloutScreen)
        await wait_for(
            pilot,
            lambda: not [w for w in app.workers if w.group == "logs" and not w.is_finished],
            "the streams stopped",
        )


async def test_slash_searches_the_merged_lines_and_ctrl_s_saves_them(
    sim: SimServer,
    connect_to: Callable[..., Connection],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    logs = ScriptedLogs()
    sim.store.log_source = logs
    web, _old_rs, new_rs = seed(sim)
    add_pod(sim, new_rs, "aaaaa")
    add_pod(sim, new_rs, "bbbbb")
    logs.write("web-new222-aaaaa", "app", "GET /healthz 200")
    logs.write("web-new222-bbbbb", "app", "boot \x1b[31mred\x1b[0m")
    logs.write("web-new222-aaaaa", "app", "GET /api 500")
    logs.write("web-new222-bbbbb", "app", "get /api 200")
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_revision_logs(app, pilot, web)
        await wait_for(pilot, lambda: len(screen.view.lines) == 4, "both pods' lines")
        view = screen.view
        # A third pod of the revision that has not started yet counts among the pods.
        waiting = pod(new_rs, "ccccc")
        waiting["spec"] = {"containers": CONTAINERS}
        sim.store.create("", "pods", waiting)
        status = screen.query_one("#logs-status")
        await wait_for(pilot, lambda: "3 pods (1 not started)" in str(status.content), "3 pods")

        # /: type a search (case-insensitive, as on the logs screen), enter jumps to the first.
        await pilot.press("slash", *"get /api", "enter")
        assert view.search == "get /api"
        assert view.matches == [2, 3]
        assert view.current_line == 2
        current = view.line_text(2)
        assert any("on orange1" in str(span.style) for span in current.spans)
        other = view.line_text(3)
        assert any("on yellow" in str(span.style) for span in other.spans)
        assert "/get /api 1/2" in str(screen.query_one("#logs-status").content)
        assert not view.autoscroll  # the match stays in view
        # n: the next match; N: back; n past the last wraps to the first.
        await pilot.press("n")
        assert view.current_line == 3
        assert "/get /api 2/2" in str(screen.query_one("#logs-status").content)
        await pilot.press("N")
        assert view.current_line == 2
        await pilot.press("n", "n")
        assert view.current_line == 2
        # A search with no match says so in one line.
        await pilot.press("slash", *"nothing", "enter")
        assert view.matches == []
        assert any("No match for 'nothing'" in m for m, _ in notifications(app))
        await pilot.press("slash", "escape")
        assert isinstance(app.screen, RevisionLogsScreen)  # esc closed the search only

        # ctrl+s: the lines as shown, [pod] prefixes and escapes included, in a new file.
        await pilot.press("ctrl+s")
        saved = list((tmp_path / "state" / "ktui" / "logs").iterdir())
        assert len(saved) == 1
        path = saved[0]
        assert path.name.startswith("default_web_rev2_app_") and path.suffix == ".log"
        content = path.read_text(encoding="utf-8")
        assert "\x1b" not in content
        assert content.splitlines() == [
            "[aaaaa] GET /healthz 200",
            "[bbbbb] " + visible("boot \x1b[31mred\x1b[0m"),
            "[aaaaa] GET /api 500",
            "[bbbbb] get /api 200",
        ]
        assert path.stat().st_mode & 0o777 == 0o600
        assert any(
            str(path) in m for m, severity in notifications(app) if severity == "information"
        )
