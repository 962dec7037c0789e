"""The Pods view (`:pods`): every pod in scope whatever owns it, live from the batches; the
owner jump (`o`); filters (`-l`, `!`) and sort keys (`N` `A` `S` `<` `>` `R`) on every pane."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ui_support import caught_up, deployment, pod, replicaset, running_status, wait_for

from ktui.cluster.batcher import ChangeBatch
from ktui.cluster.connection import Connection
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.palette import KtuiCommands
from ktui.ui.screens.help import HelpScreen, binding_table
from ktui.ui.screens.main import MainScreen
from ktui.ui.screens.pod_detail import PodDetailScreen

Obj = dict[str, Any]


def bare_pod(name: str, owner: dict[str, Any] | None = None, **labels: str) -> Obj:
    metadata: dict[str, Any] = {"name": name, "namespace": "default", "labels": labels}
    if owner is not None:
        metadata["ownerReferences"] = [owner]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"containers": [{"name": "app", "image": "busybox:1.36"}]},
    }


SPARK_OWNER = {
    "apiVersion": "sparkoperator.k8s.io/v1beta2",
    "kind": "SparkApplication",
    "name": "etl",
    "uid": "0f0f0f0f-spark-etl",
    "controller": True,
}
NODE_OWNER = {
    "apiVersion": "v1",
    "kind": "Node",
    "name": "node-1",
    "uid": "0e0e0e0e-node-1",
    "controller": True,
}


def seed(sim: SimServer) -> dict[str, Any]:
    store = sim.store
    web = store.create("apps", "deployments", deployment("web", replicas=3))
    rs = store.create("apps", "replicasets", replicaset(web, "abc12", 1))
    pods = [store.create("", "pods", pod(rs, s)) for s in ("aaaaa", "bbbbb", "ccccc")]
    for p in pods:
        store.update("", "pods", {**p, "status": running_status()}, subresource="status")
    api = store.create("apps", "deployments", deployment("api", replicas=1))
    bare = store.create("", "pods", bare_pod("debug-shell", app="debug"))
    spark = store.create("", "pods", bare_pod("etl-driver", SPARK_OWNER, app="etl"))
    mirror = store.create("", "pods", bare_pod("kube-proxy-node-1", NODE_OWNER))
    return {
        "web": web,
        "rs": rs,
        "pods": pods,
        "api": api,
        "bare": bare,
        "spark": spark,
        "mirror": mirror,
    }


def uid(obj: Obj) -> str:
    return str(obj["metadata"]["uid"])


def cells(table: LiveTable, key: str) -> list[str]:
    return [c if isinstance(c, str) else getattr(c, "plain", "") for c in table.row(key) or ()]


def column(table: LiveTable, key: str, name: str) -> str:
    return cells(table, key)[[c.key for c in table.columns].index(name)]


async def started(app: KtuiApp, pilot: Any) -> MainScreen:
    main = app.screen
    assert isinstance(main, MainScreen)
    await wait_for(pilot, lambda: main.workloads.total_count == 2, "two deployments")
    await wait_for(
        pilot, lambda: len(app.model.objects.objects("Pod")) == 6, "the six pods in the model"
    )
    return main


async def test_pods_view_lists_every_pod_with_its_owner_live(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(200, 50)) as pilot:
        main = await started(app, pilot)
        table = main.workloads
        await pilot.press("colon", *"pods", "enter")
        assert main.pods_view and main.kind_filter == "Pod"
        await wait_for(pilot, lambda: table.total_count == 6, "every pod listed")
        assert [c.label for c in table.columns] == [
            "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "OWNER", "CONTAINERS"
        ]  # fmt: skip
        assert str(table.border_title).startswith("Pods [6] · default")
        assert not main.children_table.display and not main.pods.display
        assert column(table, uid(objs["pods"][0]), "owner") == "ReplicaSet/web-abc12"
        assert column(table, uid(objs["bare"]), "owner") == "-"
        assert column(table, uid(objs["spark"]), "owner") == "SparkApplication/etl"
        assert column(table, uid(objs["mirror"]), "owner") == "Node/node-1"
        assert column(table, uid(objs["pods"][0]), "status") == "Running"
        # Live from the batches: a pod comes and goes, the count follows.
        extra = sim.store.create("", "pods", bare_pod("one-off"))
        await wait_for(pilot, lambda: table.total_count == 7, "the new pod listed")
        assert str(table.border_title).startswith("Pods [7]")
        sim.store.delete("", "pods", "default", "one-off")
        await wait_for(pilot, lambda: uid(extra) not in table.ordered_keys(), "the pod gone")
        assert str(table.border_title).startswith("Pods [6]")
        # :po and :pod name it too; `[` / `]` reach it after the workload kinds.
        await pilot.press("colon", *"all", "enter")
        assert not main.pods_view and main.children_table.display
        await wait_for(pilot, lambda: table.total_count == 2, "workloads again")
        for word in ("po", "pod"):
            await pilot.press("colon", *word, "enter")
            assert main.pods_view
            await pilot.press("colon", *"all", "enter")
        await pilot.press("left_square_bracket")
        assert main.pods_view
        await pilot.press("right_square_bracket")
        assert main.kind_filter is None
        await pilot.press("right_square_bracket")
        assert main.kind_filter == "Deployment"


async def test_pods_view_all_namespaces_adds_namespace(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    seed(sim)
    sim.store.create("", "namespaces", {"metadata": {"name": "team-b"}})
    other = bare_pod("elsewhere")
    other["metadata"]["namespace"] = "team-b"
    sim.store.create("", "pods", other)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(200, 50)) as pilot:
        main = await started(app, pilot)
        await pilot.press("colon", *"pods", "enter", "0")
        table = main.workloads
        await wait_for(pilot, lambda: table.total_count == 7, "pods of every namespace")
        assert [c.label for c in table.columns][:2] == ["NAME", "NAMESPACE"]
        assert str(table.border_title).startswith("Pods [7] · all namespaces")


async def test_enter_opens_the_pod_and_o_jumps_to_the_owner_and_back(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(200, 50)) as pilot:
        main = await started(app, pilot)
        table = main.workloads
        await pilot.press("colon", *"pods", "enter")
        await wait_for(pilot, lambda: table.total_count == 6, "every pod listed")
        target = uid(objs["pods"][1])
        assert table.move_cursor_to_key(target)
        await pilot.press("enter")
        assert isinstance(app.screen, PodDetailScreen)
        await pilot.press("escape")
        assert app.screen is main
        # o: to the pod's workload in the workloads view, o again: back to the pod.
        await pilot.press("o")
        assert not main.pods_view
        assert table.cursor_key == uid(objs["web"])
        assert main.selected_workload == uid(objs["web"])
        assert "o: back to the pod" in str(table.border_title)
        await wait_for(pilot, lambda: main.pods.total_count == 3, "web's pods below")
        await pilot.press("o")
        assert main.pods_view and table.cursor_key == target
        # ... and esc comes back too.
        await pilot.press("o")
        assert table.cursor_key == uid(objs["web"])
        await pilot.press("escape")
        assert main.pods_view and table.cursor_key == target
        # Pods no workload owns say who owns them instead.
        for key, said in (
            ("bare", "A bare pod: nothing owns it."),
            ("spark", "Owned by SparkApplication/etl: not a workload ktui shows."),
            ("mirror", "Owned by Node/node-1: not a workload ktui shows."),
        ):
            assert table.move_cursor_to_key(uid(objs[key]))
            await pilot.press("o")
            assert main.pods_view
            assert app._notifications and list(app._notifications)[-1].message == said
        # Outside the Pods view with nowhere to go back to, o says what it does.
        await pilot.press("colon", *"all", "enter", "o")
        assert "o jumps from a pod" in list(app._notifications)[-1].message


async def test_select_pod_selects_a_bare_pod_in_the_pods_view(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(200, 50)) as pilot:
        main = await started(app, pilot)
        for key in ("bare", "spark", "mirror"):
            assert main.select_pod(uid(objs[key]))
            assert main.pods_view and main.workloads.cursor_key == uid(objs[key])
        # A pod of a workload: its workload's pods pane, as before.
        assert main.select_pod(uid(objs["pods"][2]))
        assert not main.pods_view
        assert main.pods.cursor_key == uid(objs["pods"][2])


async def test_label_and_inverted_filters_on_the_pods_view_and_workloads(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(200, 50)) as pilot:
        main = await started(app, pilot)
        table = main.workloads
        await pilot.press("colon", *"pods", "enter")
        await wait_for(pilot, lambda: table.total_count == 6, "every pod listed")
        await pilot.press("slash", *"-l app=web", "enter")
        assert table.row_count == 3
        assert str(table.border_title).endswith("Pods [3 of 6] · default /-l app=web")
        # A relabelled pod enters the filter, though none of its cells changed.
        bare = sim.store.get("", "pods", "default", "debug-shell")
        sim.store.update(
            "", "pods", {**bare, "metadata": {**bare["metadata"], "labels": {"app": "web"}}}
        )
        await wait_for(pilot, lambda: table.row_count == 4, "the relabelled pod shown")
        await pilot.press("escape")
        assert table.row_count == 6 and "/" not in str(table.border_title)
        await pilot.press("slash", *"!web", "enter")
        assert set(table.ordered_keys()) == {uid(objs["spark"]), uid(objs["mirror"]), uid(bare)}
        assert str(table.border_title).endswith("/!web")
        await pilot.press("escape")
        await pilot.press("slash", *"-l app in (etl,debug)", "enter")
        assert table.ordered_keys() == [uid(objs["spark"])]
        await pilot.press("escape")
        # Not a selector: no row, and the title says why.
        await pilot.press("slash", *"-l app in (", "enter")
        assert table.row_count == 0
        assert "✗" in str(table.border_title)
        # esc while typing drops the filter (enter keeps it).
        await pilot.press("slash", *"!-l app=web")
        assert table.row_count == 2  # four pods carry app=web now
        await pilot.press("escape")
        assert table.row_count == 6 and table.filter_text == ""
        # The workloads view has its own filter, and `-l` works there too.
        await pilot.press("slash", *"etl", "enter")
        await pilot.press("colon", *"all", "enter")
        await wait_for(pilot, lambda: table.total_count == 2, "workloads again")
        assert table.filter_text == ""
        await pilot.press("slash", *"-l app=api", "enter")
        assert table.ordered_keys() == [uid(objs["api"])]
        assert str(table.border_title).endswith("/-l app=api")
        await pilot.press("escape")
        # The pods pane below a workload, with `!`.
        table.move_cursor_to_key(uid(objs["web"]))
        await wait_for(pilot, lambda: main.pods.total_count == 3, "web's pods")
        await pilot.press("tab", "tab")
        assert main.focused is main.pods
        await pilot.press("slash", *"!aaaaa", "enter")
        assert main.pods.row_count == 2
        assert str(main.pods.border_title).endswith("[2 of 3] /!aaaaa")
        # Back in the Pods view, its filter is where it was left.
        await pilot.press("colon", *"pods", "enter")
        assert table.filter_text == "etl" and table.row_count == 1


async def test_sort_keys_on_every_pane(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(200, 50)) as pilot:
        main = await started(app, pilot)
        table = main.workloads
        table.focus()
        await pilot.press("S")
        assert table.sort_state == ("health", False)
        await pilot.press("S")
        assert table.sort_state == ("health", True)
        await pilot.press("N")
        assert table.sort_state == ("name", False)
        await pilot.press("A")
        assert table.sort_state == ("age", False)
        await pilot.press("less_than_sign")
        assert table.sort_state == ("images", False)
        await pilot.press("greater_than_sign", "greater_than_sign")
        assert table.sort_state == ("name", False)  # past the last column: the first
        await pilot.press("greater_than_sign", "R")
        assert table.sort_state == ("kind", True)
        assert "KIND↓" in "".join(s.text for s in table.render_line(0))
        # The children pane (ReplicaSets): S is READY.
        table.move_cursor_to_key(uid(objs["web"]))
        await wait_for(pilot, lambda: main.pods.total_count == 3, "web's pods")
        await pilot.press("tab")
        assert main.focused is main.children_table
        await pilot.press("S")
        assert main.children_table.sort_state == ("ready", False)
        await pilot.press("greater_than_sign")
        assert main.children_table.sort_state == ("images", False)
        # The pods pane: S is STATUS.
        await pilot.press("tab", "S")
        assert main.pods.sort_state == ("status", False)
        await pilot.press("A", "R")
        assert main.pods.sort_state == ("age", True)
        # The Pods view: S is STATUS.
        await pilot.press("colon", *"pods", "enter")
        assert main.focused is table
        await pilot.press("S")
        assert table.sort_state == ("status", False)
        await pilot.press("greater_than_sign")
        assert table.sort_state == ("restarts", False)
        # A pane with no status-like column says so instead of doing nothing.
        db = sim.store.create(
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
                        "spec": {"containers": [{"name": "db", "image": "postgres:16"}]},
                    },
                },
            },
        )
        await pilot.press("colon", *"all", "enter")
        await wait_for(pilot, lambda: table.total_count == 3, "the StatefulSet listed")
        assert main.select_workload(uid(db))
        await pilot.press("tab")
        assert main.children_table.columns[0].label == "CONTROLLERREVISION"
        await pilot.press("S")
        assert "no status column" in list(app._notifications)[-1].message


async def test_palette_offers_the_pods_view_and_problems_command_opens_its_screen(
    sim: SimServer, connect_to: Callable[..., Connection], monkeypatch: Any
) -> None:
    seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(200, 50)) as pilot:
        main = await started(app, pilot)
        provider = KtuiCommands(main)
        await provider.startup()
        pods_kind = [c for c in provider.candidates if c.text == "kind: Pods"]
        assert len(pods_kind) == 1
        pods_kind[0].action()
        assert main.pods_view
        opened: list[tuple[str, str]] = []
        monkeypatch.setattr(app, "open_screen", lambda what, uid, **_: opened.append((what, uid)))
        await pilot.press("colon", *"problems", "enter", "colon", *"pu", "enter")
        assert opened == [("problems", ""), ("problems", "")]


async def test_help_lists_the_new_keys(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(200, 60)) as pilot:
        await started(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        table = binding_table(screen.target)
        text = " ".join(str(cell) for column in table.columns for cell in column.cells)
        for description in (
            "Owner / back",
            "Sort column left",
            "Sort column right",
            "Reverse sort",
        ):
            assert description in text


def footer_keys(screen: MainScreen) -> dict[str, str]:
    """What the footer shows: key -> description (Textual's Footer draws these bindings)."""
    return {
        key: active.binding.description
        for key, active in screen.active_bindings.items()
        if active.binding.show
    }


async def test_the_pods_view_footer_shows_its_own_keys_and_workload_keys_say_where_they_work(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(200, 50)) as pilot:
        main = await started(app, pilot)
        table = main.workloads
        shown = footer_keys(main)
        assert {shown.get(k) for k in ("h", "r", "s", "u")} == {
            "History",
            "Restart",
            "Scale",
            "Undo",
        }
        assert "o" not in shown and "l" not in shown
        await pilot.press("colon", *"pods", "enter")
        await wait_for(pilot, lambda: table.total_count == 6, "every pod listed")
        await pilot.pause()
        shown = footer_keys(main)
        assert (shown.get("o"), shown.get("l")) == ("Owner", "Logs")
        assert not {"h", "r", "s", "u"} & set(shown)
        # The hidden workload keys, pressed, say where they work (nothing opens, nothing asks).
        assert table.move_cursor_to_key(uid(objs["pods"][0]))
        for key, what in (("h", "history"), ("r", "restart"), ("s", "scale"), ("u", "undo"),
                          ("P", "pause/resume"), ("ctrl+l", "rollback")):  # fmt: skip
            await pilot.press(key)
            assert app.screen is main
            assert list(app._notifications)[-1].message == (
                f"{what} acts on a workload: press o to go to this pod's owner, or ] for the "
                "workloads."
            )
        # l, shown, opens the pod's logs; o, shown, goes to the owner.
        await pilot.press("l")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LogsScreen", "the logs")
        await pilot.press("escape")
        assert app.screen is main
        await pilot.press("o")
        assert not main.pods_view and table.cursor_key == uid(objs["web"])
        await pilot.pause()
        assert footer_keys(main).get("h") == "History"


async def test_the_pods_view_places_many_pods_a_chunk_a_turn_and_keeps_the_latest_state(
    sim: SimServer, connect_to: Callable[..., Connection], monkeypatch: Any
) -> None:
    """More pods than a chunk: the pane shows the first chunk at once, the rest a chunk a
    turn, and a pod changed or deleted while it waits is placed as it is last."""
    import ktui.ui.screens.main as main_module

    monkeypatch.setattr(main_module, "POD_VIEW_CHUNK", 4)
    seed(sim)
    for i in range(20):
        sim.store.create("", "pods", bare_pod(f"batch-{i:02d}"))
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(200, 50)) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        await wait_for(pilot, lambda: len(app.model.objects.objects("Pod")) == 26, "26 pods")
        # The batch that brought them may still wait for the screen; taken after the fake batch
        # below, it would place the pod the fake batch deletes.
        await caught_up(pilot, main)
        table = main.workloads
        placed: list[int] = []
        main.pods_view_observer = placed.append
        main.show_kind("Pod")
        assert table.total_count == 4, "the first chunk at once"
        # A pod that waits in the backlog is deleted, another changes: the view takes the
        # model's latest state, the way it takes batches.
        pods = app.model.objects.objects("Pod")
        by_name = {p["metadata"]["name"]: u for u, p in pods.items()}
        last, gone = by_name["batch-19"], by_name["batch-18"]
        assert table.row(last) is None and table.row(gone) is None
        newer = {**pods[last], "status": {"phase": "Failed", "reason": "Evicted"}}
        main._apply_pods_view(
            ChangeBatch(upserts={"Pod": {last: newer}}, deletes={"Pod": {gone}}),
            app.clock(),
        )
        await wait_for(pilot, lambda: table.total_count == 25, "every pod placed")
        # A chunk a turn: 4, 8, 12, ... (the loop draws and takes keys between them).
        assert placed[:3] == [4, 8, 12] and placed[-1] == 25
        assert table.row(gone) is None, "deleted while it waited: never shown"
        assert column(table, last, "status") == "Evicted", "its latest state"
        assert str(table.border_title).startswith("Pods [25]")
        # Leaving the view drops what waits; coming back lists every pod the model has.
        main.show_kind(None)
        main.show_kind("Pod")
        assert table.total_count == 4
        await wait_for(pilot, lambda: table.total_count == 26, "the view filled again")
