"""The main screen against the embedded API server: live rows, drill-down, cursor stability."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ui_support import deployment, pod, replicaset, running_status, wait_for

from ktui.cluster.connection import Connection
from ktui.cluster.state import CachePhase
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import make_app
from ktui.ui.live_table import LiveTable


def seed(sim: SimServer) -> dict[str, Any]:
    store = sim.store
    dep = store.create("apps", "deployments", deployment("web", replicas=3))
    rs = store.create("apps", "replicasets", replicaset(dep, "abc12", 1))
    pods = [store.create("", "pods", pod(rs, s)) for s in ("aaaaa", "bbbbb", "ccccc")]
    for p in pods:
        store.update("", "pods", {**p, "status": running_status()}, subresource="status")
    other = store.create("apps", "deployments", deployment("api", replicas=1))
    return {"web": dep, "rs": rs, "pods": pods, "api": other}


def texts(table: LiveTable) -> list[str]:
    return [
        " ".join(c if isinstance(c, str) else getattr(c, "plain", "") for c in table.row(k) or ())
        for k in table.ordered_keys()
    ]


async def test_drill_down_from_deployment_to_its_pods(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 2, "two deployments listed")
        assert workloads.move_cursor_to_key(objs["web"]["metadata"]["uid"])
        children = app.screen.query_one("#children", LiveTable)
        pods = app.screen.query_one("#pods", LiveTable)
        await wait_for(pilot, lambda: pods.total_count == 3, "the three pods of web")
        assert children.ordered_keys() == [objs["rs"]["metadata"]["uid"]]
        assert all("Running" in line for line in texts(pods))
        await pilot.press("enter")
        assert app.screen.focused is children
        await pilot.press("enter")
        assert app.screen.focused is pods


async def test_pod_appears_changes_and_vanishes_while_cursor_stays(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        pods = app.screen.query_one("#pods", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 2, "deployments listed")
        workloads.move_cursor_to_key(objs["web"]["metadata"]["uid"])
        await wait_for(pilot, lambda: pods.total_count == 3, "pods listed")
        pods.focus()
        target = objs["pods"][1]["metadata"]["uid"]
        pods.move_cursor_to_key(target)
        # A new pod that sorts before the cursor's row appears.
        new = sim.store.create("", "pods", pod(objs["rs"], "0aaaa"))
        await wait_for(pilot, lambda: pods.total_count == 4, "new pod shown")
        assert pods.cursor_key == target
        assert "Pending" in " ".join(texts(pods))
        # It changes phase, then disappears; the cursor never moves off its pod.
        sim.store.update(
            "", "pods", {**new, "status": running_status(ready=False)}, subresource="status"
        )
        await wait_for(
            pilot,
            lambda: "0/1" in " ".join(texts(pods)),
            "the new pod running but not ready",
        )
        assert pods.cursor_key == target
        sim.store.delete("", "pods", "default", new["metadata"]["name"])
        await wait_for(pilot, lambda: pods.total_count == 3, "new pod gone")
        assert pods.cursor_key == target
        # The workload's phase bar counts its pods.
        web_row = workloads.row(objs["web"]["metadata"]["uid"])
        assert web_row is not None
        assert any(getattr(c, "plain", "").endswith(" 3") for c in web_row)


async def test_filter_and_namespace_switch(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    seed(sim)
    sim.store.create("", "namespaces", {"metadata": {"name": "team-b"}})
    other = deployment("batch-worker")
    other["metadata"]["namespace"] = "team-b"
    sim.store.create("apps", "deployments", other)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 2, "default's deployments")
        await pilot.press("slash", "w", "e", "b", "enter")
        assert workloads.row_count == 1
        assert "web" in texts(workloads)[0]
        await pilot.press("escape")
        assert workloads.row_count == 2
        await pilot.press("0")  # all namespaces, like k9s
        await wait_for(pilot, lambda: workloads.total_count == 3, "all namespaces")
        assert any("team-b" in t for t in texts(workloads))
        await pilot.press("colon", *"ns team-b", "enter")
        await wait_for(
            pilot,
            lambda: workloads.total_count == 1 and app.connection.namespace == "team-b",
            "only team-b",
        )
        # A name no namespace can have is refused with one line; the scope stays.
        await pilot.press("colon", *"ns Bad_NS!", "enter")
        await pilot.pause()
        assert app.connection.namespace == "team-b"
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors == [
            "'Bad_NS!' is not a valid namespace name (lowercase letters, digits and '-')"
        ]


async def test_every_active_binding_has_an_id_for_the_keymap(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        for table_id in ("#workloads", "#children", "#pods"):
            app.screen.query_one(table_id, LiveTable).focus()
            await pilot.pause()
            missing = [
                (key, binding.action)
                for key, (_, binding, _, _) in app.screen.active_bindings.items()
                if not binding.id
            ]
            assert missing == [], f"bindings without an id while {table_id} has focus"


async def test_detail_and_rollout_screens_bind_only_keys_with_ids(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        pods = app.screen.query_one("#pods", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 2, "deployments listed")
        workloads.move_cursor_to_key(objs["web"]["metadata"]["uid"])
        await wait_for(pilot, lambda: pods.total_count == 3, "pods listed")
        seen = []
        for keys in (("h",), ("tab", "tab", "enter"), ("question_mark",)):
            await pilot.press(*keys)
            await pilot.pause()
            screen = app.screen
            seen.append(type(screen).__name__)
            missing = [key for key, (_, b, _, _) in screen.active_bindings.items() if not b.id]
            assert missing == [], f"{type(screen).__name__}: keys without an id: {missing}"
            await pilot.press("escape")
            await pilot.pause()
        assert seen == ["RolloutScreen", "PodDetailScreen", "HelpScreen"]


async def test_ctrl_r_retries_a_forbidden_kind_at_once(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    seed(sim)
    sim.faults.forbid("apps", "deployments")
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        header = app.screen.query_one("#header")
        await wait_for(pilot, lambda: "forbidden" in workloads.empty_message, "the 403 shown")
        assert "[^r: retry]" in str(header.render())
        # RBAC granted: the cache waits 300 s before it asks again, unless asked to now.
        sim.faults.clear()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: workloads.total_count == 2, "deployments after the retry")
        await wait_for(pilot, lambda: "[^r: retry]" not in str(header.render()), "the hint gone")


async def test_the_title_says_how_far_a_first_list_is(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    # The caches hand a first list over page by page with "listing N/M" in their state
    # (tests/sim/test_cache_faults.py); the workloads pane's title says so meanwhile.
    from ktui.cluster.state import CachePhase, CacheState

    seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        main = app.screen
        workloads = main.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 2, "the deployments")
        states = app.model.objects.states
        live = states["Pod"]
        states["Pod"] = CacheState(CachePhase.SYNCING, message="listing 1500/10000")
        main._titles()  # type: ignore[attr-defined]
        assert str(workloads.border_title) == "Workloads [2] · default · loading pods 1500/10000"
        states["Pod"] = CacheState(CachePhase.SYNCING, message="listing again")
        main._titles()  # type: ignore[attr-defined]
        assert "loading" not in str(workloads.border_title)
        states["Pod"] = live
        main._titles()  # type: ignore[attr-defined]
        assert str(workloads.border_title) == "Workloads [2] · default"


async def test_cj_shows_kubectls_cronjob_columns_and_all_workloads_say_what_ready_counts(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    seed(sim)
    template = {
        "spec": {
            "restartPolicy": "OnFailure",
            "containers": [{"name": "backup", "image": "tools:1.4"}],
        }
    }
    cronjob = sim.store.create(
        "batch",
        "cronjobs",
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "backup", "namespace": "default"},
            "spec": {"schedule": "*/30 * * * *", "jobTemplate": {"spec": {"template": template}}},
        },
    )
    uid = cronjob["metadata"]["uid"]
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 3, "deployments and the cronjob")
        assert workloads.move_cursor_to_key(uid)
        assert "0 active" in " ".join(texts(workloads))
        await pilot.press("colon", *"cj", "enter")
        await wait_for(pilot, lambda: workloads.total_count == 1, "only the cronjob")
        labels = [c.label for c in workloads.columns]
        assert labels == ["NAME", "SCHEDULE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"]
        assert texts(workloads)[0].startswith("backup */30 * * * * false 0")
        assert workloads.cursor_key == uid
        await pilot.press("colon", *"deploy", "enter")
        await wait_for(pilot, lambda: workloads.total_count == 2, "the deployments")
        assert "UP-TO-DATE" in [c.label for c in workloads.columns]
        assert "web" in " ".join(texts(workloads))


async def test_a_late_batch_of_a_replaced_cache_never_reaches_the_model(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    # The one generation check (where the app receives batches): after a namespace switch, a
    # batch the old cache's thread still had in flight is dropped, not applied to the new model.
    from ktui.cluster.batcher import ChangeBatch
    from ktui.cluster.state import CachePhase
    from ktui.ui.messages import BatchArrived

    seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 2, "default's deployments")
        old = app.generation
        app.set_namespace("team-b")
        await wait_for(
            pilot,
            lambda: (
                app.model.objects.states["Deployment"].phase is CachePhase.LIVE
                and workloads.total_count == 0
            ),
            "team-b listed (empty)",
        )
        ghost = {**deployment("ghost"), "kind": "Deployment"}
        ghost["metadata"] = {**ghost["metadata"], "uid": "ghost-uid", "namespace": "team-b"}
        batch = ChangeBatch(upserts={"Deployment": {"ghost-uid": ghost}}, sequence=10_000)
        app.post_message(BatchArrived(old, batch))
        await pilot.pause(0.3)
        assert "ghost-uid" not in app.model.objects.objects("Deployment")
        assert workloads.total_count == 0
        # The same batch under the current generation is applied (the check, not the batch).
        app.post_message(BatchArrived(app.generation, batch))
        await wait_for(pilot, lambda: workloads.total_count == 1, "the current batch shown")


async def test_a_namespace_switch_keeps_each_rollouts_timeline(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """`0` (all namespaces) and `:ns default` again: the rollout timeline ktui recorded since
    it started goes on; it does not restart at the switch with "ktui started watching"."""
    objs = seed(sim)
    web = objs["web"]["metadata"]["uid"]
    app = make_app(Settings(), connection=connect_to())
    app.timeline_interval = 0.0
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 2, "two deployments")

        def pods_in_tree() -> int:
            tree = app.model.timeline.latest(web)
            return 0 if tree is None else sum(len(node.pods) for node in tree.revisions)

        # web's tree with its three pods: the workload may be recorded before its pods are
        # listed, and a restart in the batch that brings a pod is recorded as it appearing.
        await wait_for(pilot, lambda: pods_in_tree() == 3, "web's pods in its timeline")
        first = app.model.timeline.entries(web)[0]
        # A pod of web restarts: one more moment in web's timeline.
        restarted = sim.store.get("", "pods", "default", objs["pods"][0]["metadata"]["name"])
        status = running_status()
        status["containerStatuses"][0]["restartCount"] = 1
        sim.store.update("", "pods", {**restarted, "status": status}, subresource="status")
        await wait_for(
            pilot,
            lambda: any(
                "restarted" in c.text for e in app.model.timeline.entries(web) for c in e.changes
            ),
            "the restart recorded",
        )
        recorded = app.model.timeline.entries(web)
        await pilot.press("0")
        await wait_for(
            pilot,
            lambda: app.connection.namespace is None and workloads.total_count == 2,
            "all namespaces",
        )
        await pilot.press("colon", *"ns default", "enter")
        await wait_for(
            pilot,
            lambda: app.connection.namespace == "default" and workloads.total_count == 2,
            "default again",
        )
        # Each switch listed web again. Once this model's lists are in, nothing is held back.
        await wait_for(
            pilot,
            lambda: all(s.phase is CachePhase.LIVE for s in app.model.objects.states.values()),
            "every watch live",
        )
        app.model.record_due_timeline()
        kept = app.model.timeline.entries(web)
        assert kept[0] is first and kept[: len(recorded)] == recorded
        starts = [e for e in kept if any("started watching" in c.text for c in e.changes)]
        assert starts == [first], "no second 'ktui started watching' after the switches"


async def test_when_the_child_under_the_cursor_goes_the_pods_pane_follows_the_next_one(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """The ReplicaSets pane has the focus, its cursor on an old ReplicaSet, and that one is
    deleted (revisionHistoryLimit): the cursor lands on another ReplicaSet, and the pods pane
    lists that one's pods, though none of them changed in the batch."""
    store = sim.store
    dep = store.create("apps", "deployments", deployment("web", replicas=2))
    old = store.create("apps", "replicasets", replicaset(dep, "aaa11", 1))
    new = store.create("apps", "replicasets", replicaset(dep, "bbb22", 2))
    old_pod = store.create("", "pods", pod(old, "a1"))
    new_pods = [store.create("", "pods", pod(new, s)) for s in ("b1", "b2")]
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        children = app.screen.query_one("#children", LiveTable)
        pods = app.screen.query_one("#pods", LiveTable)
        await wait_for(pilot, lambda: children.total_count == 2, "web's two ReplicaSets")
        await wait_for(pilot, lambda: pods.total_count == 3, "web's three pods")
        assert workloads.has_focus
        await pilot.press("tab")
        assert children.has_focus
        assert children.move_cursor_to_key(old["metadata"]["uid"])
        await wait_for(
            pilot,
            lambda: pods.ordered_keys() == [old_pod["metadata"]["uid"]],
            "the old ReplicaSet's pod only",
        )
        store.delete(
            "apps", "replicasets", "default", old["metadata"]["name"], propagation_policy="Orphan"
        )
        await wait_for(pilot, lambda: children.total_count == 1, "the old ReplicaSet gone")
        assert children.cursor_key == new["metadata"]["uid"]
        await wait_for(
            pilot,
            lambda: sorted(pods.ordered_keys()) == sorted(p["metadata"]["uid"] for p in new_pods),
            "the pods of the ReplicaSet the cursor is on now",
        )
