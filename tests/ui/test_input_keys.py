"""Keys in and around inputs: typed fast they keep their order; tab completes or does nothing
and never strands the `:` bar; `q` goes back everywhere and asks once on the main screen;
ctrl+c quits at once; `:ns` of a namespace that does not exist says so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import events
from textual.widgets import Input
from ui_support import (
    caught_up,
    deployment,
    pod,
    replicaset,
    running_status,
    send_at_once,
    wait_for,
)

from ktui.cluster.connection import Connection
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.commands import complete_command
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.help import HelpScreen
from ktui.ui.screens.main import MainScreen
from ktui.ui.screens.rollout import ConfirmScreen, RolloutScreen, ScaleScreen


def seed(sim: SimServer) -> dict[str, Any]:
    store = sim.store
    web = store.create("apps", "deployments", deployment("web", replicas=2))
    rs = store.create("apps", "replicasets", replicaset(web, "abc12", 1))
    pods = [store.create("", "pods", pod(rs, s)) for s in ("aaaaa", "bbbbb")]
    for p in pods:
        store.update("", "pods", {**p, "status": running_status()}, subresource="status")
    return {"web": web, "pods": pods}


async def started(pilot: Any, app: KtuiApp, objs: dict[str, Any]) -> LiveTable:
    workloads = app.screen.query_one("#workloads", LiveTable)
    await wait_for(pilot, lambda: workloads.total_count == 1, "web listed")
    workloads.move_cursor_to_key(objs["web"]["metadata"]["uid"])
    pods = app.screen.query_one("#pods", LiveTable)
    await wait_for(pilot, lambda: pods.total_count == 2, "the pods of web")
    return workloads


async def test_backspace_then_digits_then_enter_sent_at_once_scale(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, objs)
        await pilot.press("s")
        assert isinstance(app.screen, ScaleScreen)
        # The dialog opens with "2" selected: backspace clears it, 4 and enter follow at once.
        send_at_once(app, "backspace", "4", "enter")
        await wait_for(
            pilot,
            lambda: sim.store.get("apps", "deployments", "default", "web")["spec"]["replicas"] == 4,
            "scaled to 4",
        )


async def test_keys_sent_at_once_keep_their_order_in_inputs(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(120, 40)) as pilot:
        workloads = await started(pilot, app, objs)
        # `/` then the text at once: every letter lands in the filter, none acts as a hotkey.
        send_at_once(app, "slash", "w", "x", "backspace", "e", "b", "left", "left", "right")
        await pilot.pause()
        filter_input = app.screen.query_one("#filter", Input)
        assert filter_input.value == "web"
        assert filter_input.cursor_position == 2
        send_at_once(app, "enter")
        await pilot.pause()
        assert workloads.filter_text == "web"
        # `:` then a command at once (`s` would open the scale dialog if it reached a pane).
        send_at_once(app, "colon", *"sts", "enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.screen.kind_filter == "StatefulSet"
        # A paste goes in whole.
        await pilot.press("colon")
        command = app.screen.query_one("#command", Input)
        app.post_message(events.Paste("deploy"))
        await pilot.pause()
        assert command.value == "deploy"


async def test_tab_in_the_command_bar_completes_and_never_leaves_it(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, objs)
        command = app.screen.query_one("#command", Input)
        await pilot.press("colon", "s", "t", "tab")
        assert app.screen.focused is command and command.has_class("visible")
        assert command.value == "sts"
        await pilot.press("tab")
        assert command.value == "statefulset"
        # The letters typed after tab are text, not hotkeys (`s` scaled before).
        await pilot.press("backspace", *"s d")
        assert command.value == "statefulses d"
        assert isinstance(app.screen, MainScreen)
        await pilot.press("ctrl+u", *"ns d", "tab")
        assert command.value == "ns default"
        await pilot.press("ctrl+u", *"ctx ", "tab")
        assert command.value == f"ctx {app.connection.kubeconfig.contexts()[0]}"
        # Nothing to complete: tab does nothing, the bar stays; esc still closes it.
        await pilot.press("ctrl+u", *"zzz", "tab", "shift+tab")
        assert command.value == "zzz" and app.screen.focused is command
        await pilot.press("escape")
        assert not command.has_class("visible")
        assert app.screen.focused is app.screen.query_one("#workloads", LiveTable)


async def test_tab_in_the_filter_does_nothing(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(120, 40)) as pilot:
        workloads = await started(pilot, app, objs)
        filter_input = app.screen.query_one("#filter", Input)
        await pilot.press("slash", "w", "tab", "shift+tab", "e")
        assert app.screen.focused is filter_input and filter_input.value == "we"
        await pilot.press("escape")
        assert not filter_input.has_class("visible")
        assert workloads.filter_text == "" and app.screen.focused is workloads


async def test_an_input_that_loses_the_focus_closes(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(120, 40)) as pilot:
        workloads = await started(pilot, app, objs)
        await pilot.press("colon", "d")
        command = app.screen.query_one("#command", Input)
        await pilot.click("#pods")
        await pilot.pause()
        assert not command.has_class("visible")
        assert workloads.filter_text == ""


def test_completions_come_from_the_registry_the_namespaces_and_the_contexts() -> None:
    assert complete_command("de", [], []) == ["deploy", "deployment", "deployments"]
    assert complete_command("po", [], []) == ["pod", "pods"]
    assert complete_command("ns ", ["b", "a"], []) == ["ns all", "ns a", "ns b"]
    assert complete_command("deploy k", ["kube-system"], []) == ["deploy kube-system"]
    assert complete_command("ctx p", [], ["prod", "dev"]) == ["ctx prod"]
    assert complete_command("ns a b", ["a"], []) == []


async def test_q_goes_back_on_every_screen_and_asks_once_on_the_main_screen(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, objs)
        opened = []
        # Each screen that `q` closes, opened by its key from the main screen.
        for keys in (
            ("enter", "enter", "enter"),  # pod detail
            ("l",),  # logs (of the workload's first pod)
            ("d",),  # describe
            ("y",),  # YAML
            ("e",),  # events
            ("h",),  # rollout
            ("exclamation_mark",),  # problems
            ("question_mark",),  # help
        ):
            app.screen.query_one("#workloads", LiveTable).focus()
            await pilot.pause()
            await pilot.press(*keys)
            await pilot.pause()
            opened.append(type(app.screen).__name__)
            assert not isinstance(app.screen, MainScreen), keys
            await pilot.press("q")
            await pilot.pause()
            assert isinstance(app.screen, MainScreen), f"q did not close {opened[-1]}"
        assert opened == [
            "PodDetailScreen",
            "LogsScreen",
            "DescribeScreen",
            "YamlScreen",
            "EventsScreen",
            "RolloutScreen",
            "ProblemsScreen",
            "HelpScreen",
        ]
        # A confirmation: q answers no.
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("q")
        assert isinstance(app.screen, MainScreen)
        # Logs, then pod detail, then one q too many: the main screen asks instead of quitting.
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running
        assert any("Press q again to quit" in n.message for n in app._notifications)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_ctrl_c_quits_at_once_even_from_an_input(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, objs)
        await pilot.press("h")
        assert isinstance(app.screen, RolloutScreen)
        await pilot.press("escape", "colon", "d", "ctrl+c")
        await pilot.pause()
        assert not app.is_running


async def test_help_lists_the_commands_and_the_container_glyphs(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, objs)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = app.screen.shown_text()
        for word in (":deploy", ":sts", ":ds", ":job", ":cj", ":po", ":pods", ":problems"):
            assert word in shown
        assert ":ns NAME" in shown and ":ns all" in shown and ":ctx NAME" in shown
        assert "●" in shown and "init container" in shown and "sidecar" in shown
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_ns_of_a_namespace_that_does_not_exist_says_so_and_switches(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, objs)
        await pilot.press("colon", *"ns nope", "enter")
        await wait_for(
            pilot,
            lambda: any("'nope' does not exist" in n.message for n in app._notifications),
            "the missing namespace said",
        )
        assert app.connection.namespace == "nope"
        before = len(app._notifications)
        await pilot.press("colon", *"ns default", "enter")
        await wait_for(pilot, lambda: app.connection.namespace == "default", "back to default")
        await pilot.pause(0.3)
        assert not any("does not exist" in n.message for n in list(app._notifications)[before:])


async def test_a_namespace_given_at_start_that_does_not_exist_says_so(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """`ktui -n typo`: one line says the namespace does not exist, not an empty pane alone."""
    seed(sim)
    app = make_app(Settings(namespace="nope"), connection=connect_to(namespace="nope"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot,
            lambda: any("'nope' does not exist" in m.message for m in app.message_log),
            "the missing namespace said",
        )
        assert app.connection.namespace == "nope"


async def test_a_namespace_given_at_start_that_exists_says_nothing(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, objs)
        main = app.screen
        assert isinstance(main, MainScreen)
        await wait_for(pilot, lambda: "default" in main._known_namespaces, "the check done")
        await caught_up(pilot, main)
        assert not any("does not exist" in m.message for m in app.message_log)
