"""Pod actions against the embedded API server: ctrl+d deletes (the pod's grace period) and
ctrl+k kills (grace period 0, forced) a pod, each confirmed, from the pods pane, the Pods view
and the pod detail; kubectl's output or error line; --readonly says the keys are disabled; logs
open on the init container a pod is stuck on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ui_support import deployment, pod, replicaset, running_status, wait_for

from ktui.cluster.connection import Connection
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.sim.store import StoreError
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.screens.logs import LogsScreen
from ktui.ui.screens.main import MainScreen
from ktui.ui.screens.pod_detail import PodDetailScreen
from ktui.ui.screens.rollout import ConfirmScreen

Obj = dict[str, Any]
GRACE = {"nodeName": "node-1", "terminationGracePeriodSeconds": 30}


def seed(sim: SimServer) -> dict[str, Any]:
    store = sim.store
    web = store.create("apps", "deployments", deployment("web", replicas=3))
    rs = store.create("apps", "replicasets", replicaset(web, "abc12", 1))
    pods = [store.create("", "pods", pod(rs, s, **GRACE)) for s in ("aaaaa", "bbbbb", "ccccc")]
    for p in pods:
        store.update("", "pods", {**p, "status": running_status()}, subresource="status")
    return {"web": web, "pods": pods}


def uid(obj: Obj) -> str:
    return str(obj["metadata"]["uid"])


def messages(app: KtuiApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def server_pod(sim: SimServer, name: str) -> Obj | None:
    try:
        return sim.store.get("", "pods", "default", name)
    except StoreError as exc:
        assert exc.code == 404
        return None


async def on_pods_pane(
    app: KtuiApp, pilot: Any, objs: dict[str, Any], count: int = 3
) -> MainScreen:
    main = app.screen
    assert isinstance(main, MainScreen)
    await wait_for(pilot, lambda: main.workloads.total_count == 1, "web listed")
    main.workloads.move_cursor_to_key(uid(objs["web"]))
    await wait_for(pilot, lambda: main.pods.total_count == count, "its pods listed")
    main.pods.focus()
    await pilot.pause()
    return main


async def confirm(app: KtuiApp, pilot: Any, key: str) -> ConfirmScreen:
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), f"{key}: confirmation")
    screen = app.screen
    assert isinstance(screen, ConfirmScreen)
    return screen


def body_of(screen: ConfirmScreen) -> str:
    return str(screen.query_one("#confirm-body").render())


async def test_ctrl_d_deletes_and_ctrl_k_kills_the_pod_of_the_pods_pane(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        main = await on_pods_pane(app, pilot, objs)
        first, second = (p["metadata"]["name"] for p in objs["pods"][:2])
        main.pods.move_cursor_to_key(uid(objs["pods"][0]))
        # n: nothing happens.
        await confirm(app, pilot, "ctrl+d")
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is main, "back on the main screen")
        assert not server_pod(sim, first)["metadata"].get("deletionTimestamp")  # type: ignore[index]
        dialog = await confirm(app, pilot, "ctrl+d")
        assert dialog.title_text == f"Delete pod/{first}?"
        assert "grace period (30s)" in body_of(dialog)
        await pilot.press("y")
        # Graceful, as `kubectl delete pod`: a deletionTimestamp, the pod's own 30 s.
        await wait_for(
            pilot,
            lambda: (server_pod(sim, first) or {}).get("metadata", {}).get("deletionTimestamp"),
            "the pod is terminating",
        )
        assert server_pod(sim, first)["metadata"]["deletionGracePeriodSeconds"] == 30  # type: ignore[index]
        await wait_for(pilot, lambda: f'pod "{first}" deleted' in messages(app), "kubectl's line")
        main.pods.move_cursor_to_key(uid(objs["pods"][1]))
        dialog = await confirm(app, pilot, "ctrl+k")
        assert dialog.title_text == f"Kill pod/{second} now (force, grace period 0)?"
        assert "--grace-period=0 --force" in body_of(dialog)
        assert "without waiting for the kubelet" in body_of(dialog)
        await pilot.press("y")
        await wait_for(pilot, lambda: server_pod(sim, second) is None, "the pod is gone at once")
        await wait_for(
            pilot, lambda: f'pod "{second}" force deleted' in messages(app), "kubectl's line"
        )
        # On the workloads pane the keys say what they want.
        main.workloads.focus()
        await pilot.press("ctrl+d")
        assert messages(app)[-1].startswith("Select a pod first")
        await pilot.press("ctrl+k")
        assert messages(app)[-1].startswith("Select a pod first")
        assert app.screen is main


async def test_pods_view_keys_and_kubectls_error_line(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        main = await on_pods_pane(app, pilot, objs)
        main.workloads.focus()
        await pilot.press("colon", *"pods", "enter")
        assert main.pods_view
        table = main.workloads
        await wait_for(pilot, lambda: table.total_count == 3, "the pods listed")
        name = objs["pods"][2]["metadata"]["name"]
        table.move_cursor_to_key(uid(objs["pods"][2]))
        await confirm(app, pilot, "ctrl+k")
        await pilot.press("y")
        await wait_for(pilot, lambda: server_pod(sim, name) is None, "killed")
        await wait_for(pilot, lambda: f'pod "{name}" force deleted' in messages(app), "its line")
        # Gone on the server before the answer: kubectl's NotFound line.
        name = objs["pods"][0]["metadata"]["name"]
        table.move_cursor_to_key(uid(objs["pods"][0]))
        await confirm(app, pilot, "ctrl+d")
        sim.store.delete("", "pods", "default", name, grace_period_seconds=0)
        await pilot.press("y")
        line = f'Error from server (NotFound): pods "{name}" not found'
        await wait_for(pilot, lambda: line in messages(app), "kubectl's error line")


async def test_pod_detail_shows_and_runs_both_keys(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        main = await on_pods_pane(app, pilot, objs)
        main.pods.move_cursor_to_key(uid(objs["pods"][0]))
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, PodDetailScreen)
        shown = {b.key for _, b, enabled, _ in detail.active_bindings.values() if b.show}
        assert {"ctrl+d", "ctrl+k"} <= shown
        name = objs["pods"][0]["metadata"]["name"]
        dialog = await confirm(app, pilot, "ctrl+d")
        assert dialog.title_text == f"Delete pod/{name}?"
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is detail, "back on the detail")
        await wait_for(
            pilot,
            lambda: (server_pod(sim, name) or {}).get("metadata", {}).get("deletionTimestamp"),
            "the pod is terminating",
        )
        await confirm(app, pilot, "ctrl+k")
        await pilot.press("y")
        await wait_for(pilot, lambda: server_pod(sim, name) is None, "killed")
        await wait_for(pilot, lambda: detail.has_class("deleted"), "the detail says deleted")
        assert f'pod "{name}" force deleted' in messages(app)


async def test_readonly_removes_both_keys_and_says_so_everywhere(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(readonly=True), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        main = await on_pods_pane(app, pilot, objs)
        main.pods.move_cursor_to_key(uid(objs["pods"][0]))

        async def refused(where: str) -> None:
            actions = {b.action for _, b, _, _ in app.screen.active_bindings.values()}
            assert not actions & {"delete_pod", "kill_pod"}, where
            for key, what in (("ctrl+d", "delete pod"), ("ctrl+k", "kill pod")):
                before = len(messages(app))
                await pilot.press(key)
                await wait_for(pilot, lambda n=before: len(messages(app)) > n, f"{where}: {key}")
                assert messages(app)[-1] == f"read-only: {what} is disabled"
                assert not isinstance(app.screen, ConfirmScreen)

        await refused("pods pane")
        await pilot.press("enter")
        assert isinstance(app.screen, PodDetailScreen)
        # The pod detail has no header: its title line says READ-ONLY instead.
        title = app.screen.query_one("#pod-title").content
        assert "READ-ONLY" in str(title).split("\n")[0]
        await refused("pod detail")

        async def marked(key: str, title_id: str) -> None:
            """The screen `key` opens says READ-ONLY first on its title line."""
            under = app.screen
            await pilot.press(key)
            await wait_for(pilot, lambda: app.screen is not under, f"{key} opened a screen")
            await wait_for(
                pilot,
                lambda: str(app.screen.query_one(title_id).content).startswith("READ-ONLY "),
                f"{key}: READ-ONLY on {title_id}",
            )
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is under, f"back from {key}")

        await marked("l", "#logs-status")
        await marked("y", "#object-title")
        await pilot.press("escape")
        main.workloads.focus()  # (a Deployment's describe this time)
        await marked("d", "#object-title")
        await marked("e", "#events-title")
        await pilot.press("colon", *"pods", "enter")
        await wait_for(pilot, lambda: main.workloads.total_count == 3, "the Pods view")
        await refused("Pods view")
        assert all(
            not (server_pod(sim, p["metadata"]["name"]) or {})["metadata"].get("deletionTimestamp")
            for p in objs["pods"]
        )


async def test_logs_open_on_the_init_container_a_pod_is_stuck_on(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    rs = sim.store.get("apps", "replicasets", "default", "web-abc12")
    init = [{"name": "wait-for-db", "image": "busybox:1.36"}]
    stuck = sim.store.create("", "pods", pod(rs, "iiiii", initContainers=init, **GRACE))
    status = {
        "phase": "Pending",
        "conditions": [{"type": "Initialized", "status": "False"}],
        "initContainerStatuses": [
            {
                "name": "wait-for-db",
                "image": "busybox:1.36",
                "ready": False,
                "restartCount": 3,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}},
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
    sim.store.update("", "pods", {**stuck, "status": status}, subresource="status")
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        main = await on_pods_pane(app, pilot, objs, count=4)
        main.pods.move_cursor_to_key(uid(stuck))
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), "the logs")
        assert isinstance(app.screen, LogsScreen)
        assert app.screen.container == "wait-for-db"
