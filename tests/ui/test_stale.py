"""Data that may be out of date is never shown as live: a silent link dims the panes and the
header says since when; when the link heals the panes are current again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from faultproxy import FaultProxy
from textual.app import App
from textual.widgets import Static
from ui_support import deployment, pod, replicaset, wait_for

from ktui.cluster.connection import Connection, connect
from ktui.cluster.state import CachePhase
from ktui.config import Config
from ktui.render.header import stale_text
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.pod_detail import PodDetailScreen
from ktui.ui.screens.rollout import RolloutScreen


def kubeconfig_for(url: str, path: Path) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": url}}],
                "users": [{"name": "u", "user": {}}],
                "contexts": [
                    {"name": "x", "context": {"cluster": "c", "user": "u", "namespace": "default"}}
                ],
                "current-context": "x",
            }
        )
    )
    return path


async def test_a_silent_link_dims_the_panes_and_says_since_when(tmp_path: Path) -> None:
    with (
        SimServer(port=0, token=None, tls=False, bookmark_interval=0.3) as sim,
        FaultProxy(sim.port) as proxy,
    ):
        web = sim.store.create("apps", "deployments", deployment("web", replicas=1))
        rs = sim.store.create("apps", "replicasets", replicaset(web, "abc12", 1))
        sim.store.create("", "pods", pod(rs, "aaaaa"))
        path = kubeconfig_for(proxy.url, tmp_path / "kubeconfig")
        connection = connect(Settings(kubeconfig=str(path)))
        app = make_app(Settings(), connection=connection, config=Config())
        async with app.run_test(size=(160, 50)) as pilot:
            workloads = app.screen.query_one("#workloads", LiveTable)
            pods = app.screen.query_one("#pods", LiveTable)
            header = app.screen.query_one("#header")
            await wait_for(pilot, lambda: pods.total_count == 1, "web's pod listed")
            await wait_for(pilot, lambda: "● live" in str(header.render()), "every watch live")
            assert not workloads.has_class("stale")

            proxy.silence()
            await wait_for(
                pilot,
                lambda: workloads.has_class("stale") and pods.has_class("stale"),
                "the panes dimmed",
                deadline_s=60,
            )
            assert str(workloads.border_subtitle).startswith("stale since ")
            assert "● live" not in str(header.render())
            assert "stale since" in str(header.render()) or "reconnecting" in str(header.render())

            proxy.resume()
            await wait_for(
                pilot,
                lambda: not workloads.has_class("stale") and not pods.has_class("stale"),
                "current again once the link heals",
                deadline_s=60,
            )
            assert workloads.border_subtitle == ""
        connection.close()


async def test_the_pod_screen_says_since_when_its_watches_are_silent(tmp_path: Path) -> None:
    """enter on a pod, then the server falls silent: the pod screen says "stale since" (the
    main screen's words) under its title and under its events, and stops once it heals."""
    with (
        SimServer(port=0, token=None, tls=False, bookmark_interval=0.3) as sim,
        FaultProxy(sim.port) as proxy,
    ):
        web = sim.store.create("apps", "deployments", deployment("web", replicas=1))
        rs = sim.store.create("apps", "replicasets", replicaset(web, "abc12", 1))
        sim.store.create("", "pods", pod(rs, "aaaaa"))
        path = kubeconfig_for(proxy.url, tmp_path / "kubeconfig")
        connection = connect(Settings(kubeconfig=str(path)))
        app = make_app(Settings(), connection=connection, config=Config())
        async with app.run_test(size=(160, 50)) as pilot:
            pods = app.screen.query_one("#pods", LiveTable)
            header = app.screen.query_one("#header")
            await wait_for(pilot, lambda: pods.total_count == 1, "web's pod listed")
            await wait_for(pilot, lambda: "● live" in str(header.render()), "every watch live")
            pods.focus()
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, PodDetailScreen), "pod screen")
            screen = app.screen
            assert isinstance(screen, PodDetailScreen)
            notice = screen.query_one("#pod-stale")
            await pilot.pause()
            assert not screen.has_class("stale") and not notice.display
            assert screen.events.border_subtitle == ""

            proxy.silence()
            await wait_for(
                pilot,
                lambda: screen.has_class("stale") and screen.events.has_class("stale"),
                "the pod screen marked stale",
                deadline_s=60,
            )
            await pilot.pause()
            states = app.model.objects.states
            pods_since = states["Pod"].out_of_date_since
            events_since = states["Event"].out_of_date_since
            assert pods_since is not None and events_since is not None
            assert notice.display
            assert f"● {stale_text(pods_since)}  the pods' watch " in str(notice.content)
            assert screen.events.border_subtitle == stale_text(events_since)

            proxy.resume()
            await wait_for(
                pilot,
                lambda: not screen.has_class("stale") and not screen.events.has_class("stale"),
                "current again once the link heals",
                deadline_s=60,
            )
            await pilot.pause()
            assert not notice.display and screen.events.border_subtitle == ""
        connection.close()


async def test_a_log_stream_broken_with_the_link_resumes_when_it_heals(tmp_path: Path) -> None:
    from test_logs import ScriptedLogs, open_logs_from_main, running, seed, texts

    with (
        SimServer(port=0, token=None, tls=False, bookmark_interval=0.3) as sim,
        FaultProxy(sim.port) as proxy,
    ):
        logs = ScriptedLogs()
        sim.store.log_source = logs
        objs = seed(sim, statuses=[running("app"), running("worker")])
        name = objs["pod"]["metadata"]["name"]
        logs.write(name, "app", "before the outage")
        path = kubeconfig_for(proxy.url, tmp_path / "kubeconfig")
        connection = connect(Settings(kubeconfig=str(path)))
        app = make_app(Settings(), connection=connection, config=Config())
        async with app.run_test(size=(160, 50)) as pilot:
            screen = await open_logs_from_main(app, pilot, objs)
            await wait_for(pilot, lambda: texts(screen) == ["before the outage"], "the log")
            proxy.cut()
            await wait_for(pilot, lambda: screen.errors, "the stream broken", deadline_s=60)
            logs.write(name, "app", "after the outage")
            proxy.resume()
            await wait_for(
                pilot,
                lambda: texts(screen) == ["before the outage", "after the outage"],
                "the stream read again once the pods' watch is current",
                deadline_s=60,
            )
        connection.close()


async def test_a_log_stream_broken_while_the_watches_stay_live_is_read_again(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """Only the log stream breaks (the kubelet's link; every watch stays open and live), so
    no watch comes back to say the link healed: the stream is read again after a back-off."""
    from test_logs import ScriptedLogs, open_logs_from_main, running, seed, texts

    logs = ScriptedLogs()
    sim.store.log_source = logs
    objs = seed(sim, statuses=[running("app"), running("worker")])
    name = objs["pod"]["metadata"]["name"]
    logs.write(name, "app", "before the break")
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_logs_from_main(app, pilot, objs)
        await wait_for(pilot, lambda: texts(screen) == ["before the break"], "the log")
        states = dict(app.model.objects.states)
        sim.faults.drop_log_streams()
        await wait_for(pilot, lambda: screen.errors, "the stream broken")
        logs.write(name, "app", "after the break")
        await wait_for(
            pilot,
            lambda: texts(screen) == ["before the break", "after the break"],
            "the stream read again by itself",
        )
        assert not screen.errors
        assert app.model.objects.states == states, "no watch was down meanwhile"


async def test_a_kind_that_turns_forbidden_keeps_its_rows_dimmed(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    # RBAC revoked while ktui runs: the pods already shown stay (nothing says they are gone),
    # but their pane is dimmed with "stale since" until the kind is allowed and current again.
    web = sim.store.create("apps", "deployments", deployment("web", replicas=1))
    rs = sim.store.create("apps", "replicasets", replicaset(web, "abc12", 1))
    sim.store.create("", "pods", pod(rs, "aaaaa"))
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        pods = app.screen.query_one("#pods", LiveTable)
        await wait_for(pilot, lambda: pods.total_count == 1, "web's pod listed")
        assert not pods.has_class("stale")

        sim.faults.forbid("", "pods")
        sim.faults.drop_watches()
        await wait_for(
            pilot,
            lambda: app.model.objects.states["Pod"].phase is CachePhase.FORBIDDEN,
            "the denial delivered",
        )
        await wait_for(pilot, lambda: pods.has_class("stale"), "the pods pane dimmed")
        assert pods.total_count == 1, "the rows shown before the denial stay"
        assert str(pods.border_subtitle).startswith("stale since ")
        # (Every watch was dropped: the deployments' one is back at once, the pods' is not.)
        await wait_for(pilot, lambda: not workloads.has_class("stale"), "deployments live")
        assert pods.has_class("stale") and pods.total_count == 1

        sim.faults.clear()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: not pods.has_class("stale"), "current again")
        assert pods.total_count == 1 and pods.border_subtitle == ""


def rendered(app: App[None], widget: Static) -> str:
    """What a Static shows, as plain text (its content may be a Group of lines)."""
    options = app.console.options.update(width=150)
    return "".join(segment.text for segment in app.console.render(widget.content, options))


async def test_the_rollout_screen_says_stale_while_its_watches_are_silent(tmp_path: Path) -> None:
    # `h` on a deployment, then the server goes silent: the rollout screen must not go on
    # saying "● live" and "successfully rolled out" as if it knew; it says since when its data
    # may be out of date, and is live again once the link heals.
    with (
        SimServer(port=0, token=None, tls=False, bookmark_interval=0.3) as sim,
        FaultProxy(sim.port) as proxy,
    ):
        web = sim.store.create("apps", "deployments", deployment("web", replicas=1))
        generation = web["metadata"]["generation"]
        rolled_out = {
            "observedGeneration": generation,
            "replicas": 1,
            "updatedReplicas": 1,
            "readyReplicas": 1,
            "availableReplicas": 1,
        }
        sim.store.update("apps", "deployments", {**web, "status": rolled_out}, subresource="status")
        rs = sim.store.create("apps", "replicasets", replicaset(web, "abc12", 1))
        sim.store.create("", "pods", pod(rs, "aaaaa"))
        path = kubeconfig_for(proxy.url, tmp_path / "kubeconfig")
        connection = connect(Settings(kubeconfig=str(path)))
        app = make_app(Settings(), connection=connection, config=Config())
        async with app.run_test(size=(160, 50)) as pilot:
            workloads = app.screen.query_one("#workloads", LiveTable)
            await wait_for(pilot, lambda: workloads.total_count == 1, "web listed")
            workloads.move_cursor_to_key(web["metadata"]["uid"])
            await pilot.press("h")
            assert isinstance(app.screen, RolloutScreen)
            screen = app.screen
            status = screen.query_one("#rollout-status", Static)
            lane = screen.query_one("#timeline", Static)
            await wait_for(
                pilot,
                lambda: (
                    "successfully rolled out" in rendered(app, status)
                    and "● live" in rendered(app, lane)
                ),
                "rolled out, live",
            )
            assert "out of date" not in rendered(app, status)
            assert "stale since" not in rendered(app, lane)

            proxy.silence()
            await wait_for(
                pilot,
                lambda: "stale since " in rendered(app, lane),
                "the live marker turned stale",
                deadline_s=60,
            )
            assert "● live" not in rendered(app, lane)
            first_line = rendered(app, status).splitlines()[0]
            assert first_line.startswith("⚠ stale since ")
            assert "may be out of date" in first_line

            proxy.resume()
            await wait_for(
                pilot,
                lambda: "● live" in rendered(app, lane) and "stale" not in rendered(app, status),
                "live again once the link heals",
                deadline_s=60,
            )
            assert "stale since" not in rendered(app, lane)
            assert rendered(app, status).startswith('deployment "web" successfully rolled out')
        connection.close()


async def test_messages_keep_when_the_watches_went_down_and_when_they_came_back(
    tmp_path: Path,
) -> None:
    """The header shows the watches' state now; `:messages` keeps the outage: when the link
    broke (every watch: one message) and when it healed."""
    with SimServer(port=0, token=None, tls=False) as sim, FaultProxy(sim.port) as proxy:
        sim.store.create("apps", "deployments", deployment("web", replicas=1))
        path = kubeconfig_for(proxy.url, tmp_path / "kubeconfig")
        connection = connect(Settings(kubeconfig=str(path)))
        app = make_app(Settings(), connection=connection, config=Config())
        async with app.run_test(size=(160, 50)) as pilot:
            header = app.screen.query_one("#header")
            await wait_for(pilot, lambda: "● live" in str(header.render()), "every watch live")

            def said() -> list[str]:
                return [m.message for m in app.message_log if m.message.startswith("watches ")]

            assert said() == []
            proxy.cut()
            await wait_for(
                pilot,
                lambda: any(" reconnecting" in m for m in said()),
                "the outage kept",
                deadline_s=60,
            )
            proxy.resume()
            await wait_for(
                pilot, lambda: any("live again" in m for m in said()), "the return", deadline_s=60
            )
            # One message when the outage started, one when every watch was current again.
            down = [m for m in app.message_log if " reconnecting" in m.message]
            again = [m for m in app.message_log if "live again" in m.message]
            assert len(again) == 1 and again[0].severity == "information"
            assert again[0].message.startswith("watches live again (the outage lasted ")
            assert down and all(m.severity == "warning" for m in down)
            assert all(m.serial < again[0].serial for m in down)
            assert len(said()) == len(down) + 1
            await pilot.press("colon", *"messages", "enter")
            await wait_for(
                pilot,
                lambda: "live again" in str(app.screen.query_one("#message-whole").content),
                "the newest on top, whole below",
            )
