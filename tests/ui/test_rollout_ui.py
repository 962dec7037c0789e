"""Rollout keys in the UI against the embedded API server: history, undo with confirmation,
scale, and --readonly removing every mutating key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import Static
from ui_support import deployment, replicaset, wait_for

from ktui.cluster.connection import Connection
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.rollout import ConfirmScreen, RolloutScreen, ScaleScreen


def seed_two_revisions(sim: SimServer) -> dict[str, Any]:
    """What the deployment controller leaves after an image change: two ReplicaSets."""
    store = sim.store
    spec = deployment("web", replicas=2, image="nginx:1.27")
    spec["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "2"}
    web = store.create("apps", "deployments", spec)
    old = replicaset(
        {
            **web,
            "spec": {
                **web["spec"],
                "template": deployment("web", image="nginx:1.26")["spec"]["template"],
            },
        },
        "old111",
        1,
    )
    old["metadata"]["annotations"]["kubernetes.io/change-cause"] = "first release"
    old["spec"]["replicas"] = 0
    store.create("apps", "replicasets", old)
    store.create("apps", "replicasets", replicaset(web, "new222", 2))
    return web


def image_of(sim: SimServer) -> str:
    web = sim.store.get("apps", "deployments", "default", "web")
    return str(web["spec"]["template"]["spec"]["containers"][0]["image"])


async def test_history_then_undo_to_previous_after_confirmation(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    status = {
        "observedGeneration": web["metadata"]["generation"],
        "replicas": 2,
        "updatedReplicas": 2,
        "readyReplicas": 2,
        "availableReplicas": 2,
    }
    sim.store.update("apps", "deployments", {**web, "status": status}, subresource="status")
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 1, "web listed")
        workloads.move_cursor_to_key(web["metadata"]["uid"])
        await pilot.press("h")
        assert isinstance(app.screen, RolloutScreen)
        history = app.screen.query_one("#history", LiveTable)
        await wait_for(pilot, lambda: history.total_count == 2, "two revisions")
        # The live status is kubectl's message for this object, with the bars below it.
        status = app.screen.query_one("#rollout-status", Static).content
        status_text = "".join(
            seg.text for seg in app.console.render(status, app.console.options.update(width=120))
        )
        assert 'deployment "web" successfully rolled out' in status_text
        assert "available" in status_text and "2/2" in status_text
        assert "unavailable" not in status_text
        assert sorted(history.ordered_keys()) == ["1", "2"]
        row = history.row("1")
        assert row is not None and "first release" in row
        # The selected revision's template, diffed against the current one: the image changes,
        # the ReplicaSet's pod-template-hash label is not part of what an undo restores.
        history.move_cursor_to_key("1")
        await pilot.pause()
        detail = app.screen.query_one("#revision-body", Static).content
        rendered = "".join(
            seg.text for seg in app.console.render(detail, app.console.options.update(width=120))
        )
        assert "-    image: nginx:1.27" in rendered or "- image: nginx:1.27" in rendered
        assert "nginx:1.26" in rendered
        assert "pod-template-hash" not in rendered
        # Undo to the previous revision asks first, showing the diff; "n" changes nothing.
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "confirmation")
        body = str(app.screen.query_one("#confirm-body").render())
        assert "nginx:1.26" in body
        await pilot.press("n")
        assert image_of(sim) == "nginx:1.27"
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: image_of(sim) == "nginx:1.26", "the template rolled back")
        # kubectl's undo removes the pod-template-hash label from the restored template.
        restored = sim.store.get("apps", "deployments", "default", "web")
        assert "pod-template-hash" not in restored["spec"]["template"]["metadata"]["labels"]


async def test_undo_refused_like_kubectl_when_paused(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    sim.store.patch("apps", "deployments", "default", "web", "merge", {"spec": {"paused": True}})
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 1, "web listed")
        workloads.move_cursor_to_key(web["metadata"]["uid"])
        await pilot.press("u")
        await wait_for(
            pilot,
            lambda: any("paused" in str(n.message) for n in app._notifications),
            "kubectl's paused refusal shown",
        )
        assert not isinstance(app.screen, ConfirmScreen)
        assert image_of(sim) == "nginx:1.27"


async def test_scale_from_the_workloads_pane(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 1, "web listed")
        workloads.move_cursor_to_key(web["metadata"]["uid"])
        await pilot.press("s")
        assert isinstance(app.screen, ScaleScreen)
        replicas_input = app.screen.query_one("#replicas")
        replicas_input.value = ""
        await pilot.press("5", "enter")
        await wait_for(
            pilot,
            lambda: sim.store.get("apps", "deployments", "default", "web")["spec"]["replicas"] == 5,
            "scaled to 5",
        )


async def test_readonly_removes_mutating_keys(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    app = make_app(Settings(readonly=True), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 1, "web listed")
        workloads.move_cursor_to_key(web["metadata"]["uid"])
        actions = {b.action for _, b, enabled, _ in app.screen.active_bindings.values() if enabled}
        assert "rollout_undo" not in actions and "rollout_scale" not in actions
        assert "rollout_screen" in actions  # reading history stays available
        await pilot.press("u", "s", "r")
        await pilot.pause()
        assert not isinstance(app.screen, (ConfirmScreen, ScaleScreen))
        assert image_of(sim) == "nginx:1.27"
        header = str(app.screen.query_one("#header").render())
        assert "READ-ONLY" in header


async def test_scale_refuses_what_is_not_a_count_and_asks_again_for_a_large_change(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 1, "web listed")
        workloads.move_cursor_to_key(web["metadata"]["uid"])
        await pilot.press("s")
        dialog = app.screen
        assert isinstance(dialog, ScaleScreen)
        replicas_input = dialog.query_one("#replicas")
        error = dialog.query_one("#scale-error", Static)

        def replicas() -> int:
            return int(sim.store.get("apps", "deployments", "default", "web")["spec"]["replicas"])

        for typed, problem in (
            ("1e3", "'1e3' is not a whole number"),
            ("99999999999", "more than the largest count"),
        ):
            replicas_input.value = ""
            await pilot.press(*typed, "enter")
            assert app.screen is dialog
            assert problem in str(error.render())
        replicas_input.value = ""
        await pilot.press(*"500", "enter")
        assert app.screen is dialog
        assert "large change (2 -> 500)" in str(error.render())
        assert replicas() == 2
        await pilot.press("enter")
        await wait_for(pilot, lambda: replicas() == 500, "scaled to 500 once confirmed")


async def test_scaling_a_daemonset_is_refused_before_any_dialog(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    spec = deployment("agent")
    spec["kind"] = "DaemonSet"
    del spec["spec"]["replicas"]
    agent = sim.store.create("apps", "daemonsets", spec)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 1, "the daemonset listed")
        workloads.move_cursor_to_key(agent["metadata"]["uid"])
        await pilot.press("s")
        await pilot.pause()
        assert not isinstance(app.screen, ScaleScreen)
        warnings = [str(n.message) for n in app._notifications if n.severity == "warning"]
        assert warnings == ["A DaemonSet cannot be scaled: it runs one pod on each eligible node."]


async def test_a_failed_undo_names_the_revision_the_confirmation_named(tmp_path: Any) -> None:
    from faultproxy import FaultProxy
    from test_stale import kubeconfig_for

    from ktui.cluster.connection import connect

    with (
        SimServer(port=0, token=None, tls=False) as sim,
        FaultProxy(sim.port) as proxy,
    ):
        web = seed_two_revisions(sim)
        proxy.inject(
            403,
            "/apis/apps/v1/namespaces/default/deployments/web",
            method="PATCH",
            message='deployments.apps "web" is forbidden: User "viewer" cannot patch',
        )
        connection = connect(Settings(kubeconfig=str(kubeconfig_for(proxy.url, tmp_path / "k"))))
        app = make_app(Settings(), connection=connection)
        async with app.run_test(size=(160, 50)) as pilot:
            workloads = app.screen.query_one("#workloads", LiveTable)
            await wait_for(pilot, lambda: workloads.total_count == 1, "web listed")
            workloads.move_cursor_to_key(web["metadata"]["uid"])
            await pilot.press("u")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "confirmation")
            assert "back to revision 1?" in str(app.screen.title_text)
            await pilot.press("y")
            await wait_for(
                pilot,
                lambda: any(n.severity == "error" for n in app._notifications),
                "the refusal shown",
            )
            errors = [str(n.message) for n in app._notifications if n.severity == "error"]
            assert errors == [
                'undo web: failed restoring revision 1: deployments.apps "web" is forbidden: '
                'User "viewer" cannot patch'
            ]
        connection.close()
