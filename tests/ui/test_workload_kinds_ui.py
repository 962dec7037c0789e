"""What the main screen offers depends on the selected workload's kind: the rollout keys only
where there are rollouts (not on CronJobs and Jobs), and a Job's middle pane is the Job itself
(its status, completions, duration) with its pods below, as a CronJob's middle pane lists its
Jobs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from textual.geometry import Region
from ui_support import deployment, owner_ref, pod, replicaset, wait_for

from ktui.cluster.connection import Connection
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.logs import LogsScreen
from ktui.ui.screens.main import MainScreen

Obj = dict[str, Any]

ROLLOUT_KEYS = {"h": "History", "r": "Restart", "s": "Scale", "u": "Undo"}
JOB_COLUMNS = ["JOB", "STATUS", "COMPLETIONS", "DURATION", "AGE"]


def job(name: str, owner: Obj | None = None) -> Obj:
    metadata: Obj = {"name": name, "namespace": "default", "labels": {"job": name}}
    if owner is not None:
        metadata["ownerReferences"] = [owner_ref(owner)]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": {
            "completions": 2,
            "template": {
                "metadata": {"labels": {"job": name}},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "task", "image": "busybox:1.36"}],
                },
            },
        },
    }


def seed(sim: SimServer) -> dict[str, Obj]:
    store = sim.store
    web = store.create("apps", "deployments", deployment("web", replicas=1))
    rs = store.create("apps", "replicasets", replicaset(web, "abc12", 1))
    store.create("", "pods", pod(rs, "aaaaa"))
    backup = store.create(
        "batch",
        "cronjobs",
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "backup", "namespace": "default"},
            "spec": {"schedule": "*/30 * * * *", "jobTemplate": job("unused")},
        },
    )
    run = store.create("batch", "jobs", job("backup-29000000", backup))
    store.create("", "pods", pod(run, "zzzzz"))
    migrate = store.create("batch", "jobs", job("migrate"))
    pods = [store.create("", "pods", pod(migrate, s)) for s in ("ppppp", "qqqqq")]
    return {"web": web, "backup": backup, "run": run, "migrate": migrate, "pod": pods[0]}


def uid(obj: Obj) -> str:
    return str(obj["metadata"]["uid"])


def footer_keys(screen: MainScreen) -> dict[str, str]:
    """What the footer shows: key -> description (Textual's Footer draws these bindings)."""
    return {
        key: active.binding.description
        for key, active in screen.active_bindings.items()
        if active.binding.show
    }


def last_toast(app: KtuiApp) -> str:
    toasts = list(app._notifications)
    return toasts[-1].message if toasts else ""


async def started(app: KtuiApp, pilot: Any) -> MainScreen:
    main = app.screen
    assert isinstance(main, MainScreen)
    # web, the CronJob and the Job it does not own (its own Job is listed under it).
    await wait_for(pilot, lambda: main.workloads.total_count == 3, "the workloads listed")
    return main


async def test_the_footer_offers_rollout_keys_only_for_kinds_with_rollouts(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(200, 50)) as pilot:
        main = await started(app, pilot)
        workloads = main.workloads
        # All workloads: the keys follow the kind under the cursor.
        assert workloads.move_cursor_to_key(uid(objs["web"]))
        await pilot.pause()
        assert {k: footer_keys(main).get(k) for k in ROLLOUT_KEYS} == ROLLOUT_KEYS
        assert workloads.move_cursor_to_key(uid(objs["migrate"]))
        await pilot.pause()
        assert not set(ROLLOUT_KEYS) & set(footer_keys(main))

        await pilot.press("colon", *"cj", "enter")
        await wait_for(pilot, lambda: workloads.total_count == 1, "only the CronJob")
        await pilot.pause()
        assert workloads.cursor_key == uid(objs["backup"])
        shown = footer_keys(main)
        assert not set(ROLLOUT_KEYS) & set(shown), shown
        assert shown.get("q") == "Quit"
        # The hidden keys, pressed, say in one line why nothing happens.
        for key, what in (("h", "history"), ("r", "restart"), ("s", "scale"), ("u", "undo"),
                          ("P", "pause/resume"), ("ctrl+l", "rollback")):  # fmt: skip
            await pilot.press(key)
            assert app.screen is main
            assert last_toast(app) == (
                # `s`: not "no rollouts" (that is not why a CronJob is not scaled).
                "scale: a CronJob is not scaled; its Jobs' parallelism is set in its jobTemplate."
                if key == "s"
                else f"{what}: a CronJob has no rollouts; only Deployments, StatefulSets and "
                "DaemonSets do."
            )

        await pilot.press("colon", *"deploy", "enter")
        await wait_for(pilot, lambda: workloads.total_count == 1, "only web")
        await pilot.pause()
        assert {k: footer_keys(main).get(k) for k in ROLLOUT_KEYS} == ROLLOUT_KEYS
        await pilot.press("h")
        await wait_for(
            pilot, lambda: type(app.screen).__name__ == "RolloutScreen", "web's rollout screen"
        )


async def test_a_jobs_middle_pane_is_the_job_with_its_pods_below(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(200, 50)) as pilot:
        main = await started(app, pilot)
        workloads, children, pods = main.workloads, main.children_table, main.pods
        await pilot.press("colon", *"job", "enter")
        await wait_for(pilot, lambda: workloads.total_count == 2, "both Jobs")
        assert workloads.move_cursor_to_key(uid(objs["migrate"]))
        await wait_for(pilot, lambda: pods.total_count == 2, "migrate's pods")
        assert [c.label for c in children.columns] == JOB_COLUMNS
        assert children.ordered_keys() == [uid(objs["migrate"])]
        assert str(children.border_title) == "Job/migrate [1]"
        row = children.row(uid(objs["migrate"]))
        assert row is not None and row[0] == "migrate" and row[2] == "0/2"
        assert str(pods.border_title) == "Pods of Job/migrate [2]"
        # enter drills down: the Job, then its pods.
        await pilot.press("enter")
        assert main.focused is children
        await pilot.press("enter")
        assert main.focused is pods and pods.total_count == 2

        # A CronJob's middle pane lists its Jobs, with the same columns.
        await pilot.press("colon", *"cj", "enter")
        await wait_for(pilot, lambda: workloads.total_count == 1, "the CronJob")
        await wait_for(pilot, lambda: children.total_count == 1, "its Job")
        assert [c.label for c in children.columns] == JOB_COLUMNS
        assert children.ordered_keys() == [uid(objs["run"])]
        assert str(children.border_title) == "CronJob/backup [1]"


async def test_l_on_a_cronjob_opens_its_latest_runs_pod_listed_first(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """The CronJob's pods pane lists its runs newest first, as its Jobs pane does, and `l` on
    the CronJob (or on a Job with several pods) opens the newest pod, not the oldest run's."""
    objs = seed(sim)
    latest = sim.store.create("batch", "jobs", job("backup-29000030", objs["backup"]))
    latest_pod = sim.store.create("", "pods", pod(latest, "aaaaa"))
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(200, 50)) as pilot:
        main = await started(app, pilot)
        workloads, children, pods = main.workloads, main.children_table, main.pods
        await pilot.press("colon", *"cj", "enter")
        await wait_for(pilot, lambda: workloads.total_count == 1, "the CronJob")
        await wait_for(pilot, lambda: pods.total_count == 2, "both runs' pods")
        assert children.ordered_keys()[0] == uid(latest)
        assert pods.ordered_keys()[0] == uid(latest_pod)
        assert main.focused is workloads
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), "the logs")
        screen = app.screen
        assert isinstance(screen, LogsScreen) and screen.pod_uid == uid(latest_pod)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main, "back")

        # The older run picked in the Jobs pane: `l` in its pods pane opens that run's pod.
        older_pod = pods.ordered_keys()[1]
        await pilot.press("tab")
        await wait_for(pilot, lambda: main.focused is children, "the Jobs pane")
        await pilot.press("j")
        await wait_for(pilot, lambda: children.cursor_key == uid(objs["run"]), "the older Job")
        await pilot.press("tab")
        await wait_for(pilot, lambda: pods.ordered_keys() == [older_pod], "the older run's pod")
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), "the logs")
        assert isinstance(app.screen, LogsScreen) and app.screen.pod_uid == older_pod
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main, "back")

        # A Job with two pods: `l` on its row opens the newer (the later name in one second).
        await pilot.press("colon", *"job", "enter")
        await wait_for(pilot, lambda: workloads.total_count == 3, "the Jobs")
        assert workloads.move_cursor_to_key(uid(objs["migrate"]))
        await wait_for(pilot, lambda: pods.total_count == 2, "migrate's pods")
        main.workloads.focus()
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), "the logs")
        newer = sim.store.get("", "pods", "default", "migrate-qqqqq")
        assert isinstance(app.screen, LogsScreen) and app.screen.pod_uid == uid(newer)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def row_line(table: LiveTable, name: str) -> str:
    """The drawn line of the row whose name is `name` ("" if not on screen)."""
    width, height = table.region.size
    lines = [strip.text for strip in table.render_lines(Region(0, 0, width, height))]
    return next((line for line in lines if line.strip("│ ").startswith(f"{name} ")), "")


async def test_a_running_jobs_duration_grows_as_its_age_does(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """kubectl's DURATION of a Job without completionTime is its start to now: it ticks in the
    Jobs list and in a CronJob's Jobs pane; a completed Job's stays completion - start."""
    objs = seed(sim)
    clock = [datetime.now(UTC).replace(microsecond=0)]

    def started(job: Obj, ago: int, took: int | None = None) -> None:
        status: Obj = {"startTime": stamp(clock[0] - timedelta(seconds=ago)), "active": 1}
        if took is not None:
            end = clock[0] - timedelta(seconds=ago - took)
            status = {**status, "active": 0, "completionTime": stamp(end), "succeeded": 2}
        current = sim.store.get("batch", "jobs", "default", job["metadata"]["name"])
        sim.store.update("batch", "jobs", {**current, "status": status}, "status")

    started(objs["migrate"], 5)
    started(objs["run"], 7)
    done = sim.store.create("batch", "jobs", job("done"))
    started(done, 100, took=40)
    app = make_app(Settings(), connection=connect_to(), clock=lambda: clock[0])
    async with app.run_test(size=(200, 50)) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        workloads, children = main.workloads, main.children_table
        await pilot.press("colon", *"job", "enter")
        await wait_for(pilot, lambda: workloads.total_count == 3, "migrate and done")
        await wait_for(pilot, lambda: " 5s " in row_line(workloads, "migrate"), "5s")
        assert " 40s " in row_line(workloads, "done")
        clock[0] += timedelta(seconds=10)
        await wait_for(pilot, lambda: " 15s " in row_line(workloads, "migrate"), "15s")
        assert " 40s " in row_line(workloads, "done")  # completed: fixed

        await pilot.press("colon", *"cj", "enter")
        await wait_for(pilot, lambda: workloads.total_count == 1, "the CronJob")
        await wait_for(pilot, lambda: " 17s " in row_line(children, "backup-29000000"), "17s")
        clock[0] += timedelta(seconds=4)
        await wait_for(pilot, lambda: " 21s " in row_line(children, "backup-29000000"), "21s")
