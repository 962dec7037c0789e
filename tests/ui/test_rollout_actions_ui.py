"""Rollout keys as a user meets them: scale while the controller updates the workload, scale to
0, what restart and resume dialogs promise for the workload's strategy, a paused Deployment's
restart refused before asking, the restart stamped at confirmation, `s` on a Job, and the rollout
screen's outcomes kept in `:messages`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from test_rollout_ui import seed_two_revisions
from textual.widgets import Static
from ui_support import FROZEN_NOW, deployment, wait_for

from ktui.cluster.connection import Connection
from ktui.cluster.gofmt import go_rfc3339
from ktui.cluster.rollout.workload import RESTARTED_AT_ANNOTATION
from ktui.cluster.state import CachePhase
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.message_log import MessageLogScreen
from ktui.ui.screens.rollout import ConfirmScreen, RolloutScreen, ScaleScreen

Obj = dict[str, Any]


def web_replicas(sim: SimServer) -> int:
    return int(sim.store.get("apps", "deployments", "default", "web")["spec"]["replicas"])


def confirm_body(app: KtuiApp) -> str:
    return str(app.screen.query_one("#confirm-body", Static).render())


def messages(app: KtuiApp, severity: str | None = None) -> list[str]:
    return [
        str(n.message) for n in app._notifications if severity is None or n.severity == severity
    ]


async def select(app: KtuiApp, pilot: Any, uid: str, count: int = 1) -> None:
    workloads = app.screen.query_one("#workloads", LiveTable)
    await wait_for(pilot, lambda: workloads.total_count == count, "the workloads listed")
    # Every kind listed (the ReplicaSets too: under load their list lands after the
    # Deployment's, and a dialog that reads them said "a new ReplicaSet is created").
    states = app.model.objects.states
    await wait_for(
        pilot,
        lambda: states and all(s.phase is not CachePhase.SYNCING for s in states.values()),
        "every kind listed",
    )
    workloads.move_cursor_to_key(uid)
    await pilot.pause()


async def test_scale_on_the_rollout_screen_after_the_workload_changed_and_kept_in_messages(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    uid = web["metadata"]["uid"]
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        await select(app, pilot, uid)
        await pilot.press("h")
        assert isinstance(app.screen, RolloutScreen)
        rollout = app.screen
        await pilot.press("s")
        dialog = app.screen
        assert isinstance(dialog, ScaleScreen)
        # While the dialog is open the workload changes (as every controller status update of
        # a rollout changes it): `kubectl annotate deploy/web qa=1`.
        changed = sim.store.patch(
            "apps",
            "deployments",
            "default",
            "web",
            "merge",
            {"metadata": {"annotations": {"qa": "1"}}},
        )
        version = changed["metadata"]["resourceVersion"]
        await wait_for(
            pilot,
            lambda: (app.model.objects.get(uid) or {})["metadata"]["resourceVersion"] == version,
            "ktui saw the change",
        )
        dialog.query_one("#replicas").value = ""  # type: ignore[attr-defined]
        await pilot.press("4", "enter")
        await wait_for(pilot, lambda: web_replicas(sim) == 4, "scaled to 4, as kubectl scale does")
        outcome = rollout.query_one("#rollout-outcome", Static)
        await wait_for(
            pilot, lambda: "deployment.apps/web scaled" in str(outcome.render()), "the outcome"
        )
        # The outcome shown on the rollout screen (not a toast) is kept in `:messages`.
        assert not any("scaled" in text for text in messages(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, RolloutScreen), "main again")
        await pilot.press("colon", *"messages", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageLogScreen), "the messages")
        whole = str(app.screen.query_one("#message-whole", Static).render())
        assert "deployment.apps/web scaled" in whole
        assert [m.message for m in app.message_log] == ["deployment.apps/web scaled"]


async def test_a_failure_on_the_rollout_screen_reaches_an_open_messages_screen(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        await select(app, pilot, web["metadata"]["uid"])
        await pilot.press("h")
        rollout = app.screen
        assert isinstance(rollout, RolloutScreen)
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        sim.store.delete("apps", "deployments", "default", "web")
        await pilot.press("y")
        await wait_for(pilot, lambda: len(app.message_log) == 1, "the failure logged")
        logged = app.message_log[-1]
        assert logged.severity == "error" and logged.message.startswith("restart web: ")
        assert "not found" in logged.message


async def test_scaling_to_zero_asks_a_second_enter(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        await select(app, pilot, web["metadata"]["uid"])
        await pilot.press("s")
        dialog = app.screen
        assert isinstance(dialog, ScaleScreen)
        dialog.query_one("#replicas").value = ""  # type: ignore[attr-defined]
        await pilot.press("0", "enter")
        await pilot.pause()
        assert app.screen is dialog
        warning = str(dialog.query_one("#scale-error", Static).render())
        assert "Scaling to 0 stops every pod of deployment/web (2 running now)" in warning
        assert "press enter again" in warning
        assert web_replicas(sim) == 2
        await pilot.press("enter")
        await wait_for(pilot, lambda: web_replicas(sim) == 0, "scaled to 0 once confirmed")


def create_daemonset(sim: SimServer, update_strategy: Obj) -> Obj:
    spec = deployment("node-exporter")
    spec["kind"] = "DaemonSet"
    del spec["spec"]["replicas"]
    spec["spec"]["updateStrategy"] = update_strategy
    return sim.store.create("apps", "daemonsets", spec)


def create_statefulset(sim: SimServer, replicas: int, update_strategy: Obj) -> Obj:
    spec = deployment("db", replicas=replicas)
    spec["kind"] = "StatefulSet"
    spec["spec"]["serviceName"] = "db"
    spec["spec"]["updateStrategy"] = update_strategy
    return sim.store.create("apps", "statefulsets", spec)


async def test_restart_of_an_on_delete_daemonset_says_no_pod_is_replaced(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    exporter = create_daemonset(sim, {"type": "OnDelete"})
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        await select(app, pilot, exporter["metadata"]["uid"])
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        body = confirm_body(app)
        assert "every pod is replaced" not in body
        assert "With updateStrategy OnDelete no pod is replaced now" in body
        assert "only when it is deleted" in body
        await pilot.press("y")
        # kubectl's result line, as kubectl prints it.
        await wait_for(
            pilot,
            lambda: "daemonset.apps/node-exporter restarted" in messages(app),
            "kubectl's line",
        )


async def test_restart_of_a_partitioned_statefulset_names_the_pods_replaced(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    db = create_statefulset(sim, 4, {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}})
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        await select(app, pilot, db["metadata"]["uid"])
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        body = confirm_body(app)
        assert "every pod is replaced" not in body
        assert "only the pods with ordinal >= 2 (db-2 … db-3) are replaced" in body
        assert "db-0 … db-1 keep the old template" in body


async def test_restart_of_a_rolling_daemonset_promises_a_rolling_update(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    exporter = create_daemonset(sim, {"type": "RollingUpdate"})
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        await select(app, pilot, exporter["metadata"]["uid"])
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        assert "every pod is replaced by a rolling update" in confirm_body(app)


async def test_restart_of_a_paused_deployment_is_refused_before_asking(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    sim.store.patch("apps", "deployments", "default", "web", "merge", {"spec": {"paused": True}})
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        await select(app, pilot, web["metadata"]["uid"])
        await wait_for(
            pilot,
            lambda: (app.model.objects.get(web["metadata"]["uid"]) or {})["spec"].get("paused"),
            "the paused deployment seen",
        )
        await pilot.press("r")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert messages(app, "error") == [
            'restart web: deployments.apps "web" can\'t restart paused deployment '
            "(run rollout resume first)"
        ]
        template = sim.store.get("apps", "deployments", "default", "web")["spec"]["template"]
        assert RESTARTED_AT_ANNOTATION not in (template["metadata"].get("annotations") or {})


async def test_resume_says_what_rolls_out(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    # Paused, then the image changed: the change waits for the resume.
    sim.store.patch(
        "apps",
        "deployments",
        "default",
        "web",
        "strategic",
        {
            "spec": {
                "paused": True,
                "template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}},
            }
        },
    )
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        await select(app, pilot, web["metadata"]["uid"])
        await pilot.press("P")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.title_text == "Resume deployment/web?"
        body = confirm_body(app)
        assert "Resuming rolls out the pending template change" in body
        assert "replaces the pods of web-new222" in body
        assert "image app: nginx:1.27 → nginx:1.28" in body
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: "paused" not in sim.store.get("apps", "deployments", "default", "web")["spec"],
            "resumed",
        )


async def test_resume_with_no_pending_change_says_nothing_rolls_out(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    sim.store.patch("apps", "deployments", "default", "web", "merge", {"spec": {"paused": True}})
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        await select(app, pilot, web["metadata"]["uid"])
        await pilot.press("P")
        assert isinstance(app.screen, ConfirmScreen)
        assert "nothing new rolls out now" in confirm_body(app)


async def test_restart_is_stamped_when_confirmed(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    now = [FROZEN_NOW]
    app = make_app(Settings(), connection=connect_to(), clock=lambda: now[0])
    async with app.run_test(size=(160, 50)) as pilot:
        await select(app, pilot, web["metadata"]["uid"])
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        now[0] = FROZEN_NOW + dt.timedelta(minutes=3)  # the user read the dialog for a while
        await pilot.press("y")

        def stamp() -> object:
            template = sim.store.get("apps", "deployments", "default", "web")["spec"]["template"]
            return (template["metadata"].get("annotations") or {}).get(RESTARTED_AT_ANNOTATION)

        await wait_for(pilot, lambda: stamp() is not None, "restarted")
        assert stamp() == go_rfc3339(now[0])


async def test_scale_on_a_job_says_a_job_is_not_scaled(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    job = sim.store.create(
        "batch",
        "jobs",
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "migrate", "namespace": "default"},
            "spec": {
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "migrate", "image": "tools:1.4"}],
                    }
                }
            },
        },
    )
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        await select(app, pilot, job["metadata"]["uid"])
        await pilot.press("s")
        await pilot.pause()
        assert not isinstance(app.screen, ScaleScreen)
        assert messages(app, "warning") == [
            "scale: a Job is not scaled; its parallelism is set in its spec."
        ]
