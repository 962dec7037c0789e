"""The live rollout tree on the rollout screen, against the embedded API server: revisions ->
ReplicaSets -> pods with glyphs, redrawn when a batch touches the workload's pods, not when a
batch only touches another workload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from test_rollout_ui import seed_two_revisions
from ui_support import deployment, pod, running_status, wait_for

from ktui.cluster.connection import Connection
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.rollout import RolloutScreen
from ktui.ui.widgets.safe import SafeStatic

Obj = dict[str, Any]


def tree_shown(app: KtuiApp) -> str:
    widget = app.screen.query_one("#tree-body", SafeStatic)
    options = app.console.options.update(width=200)
    return "".join(seg.text for seg in app.console.render(widget.content, options))


def rendered(app: KtuiApp, widget: SafeStatic) -> str:
    options = app.console.options.update(width=200)
    return "".join(seg.text for seg in app.console.render(widget.content, options))


def add_pod(sim: SimServer, owner: Obj, suffix: str, ready: bool = True) -> Obj:
    created = sim.store.create("", "pods", pod(owner, suffix))
    return sim.store.update(
        "", "pods", {**created, "status": running_status(ready)}, subresource="status"
    )


async def test_the_tree_shows_revisions_replicasets_and_pods_live(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    new_rs = sim.store.get("apps", "replicasets", "default", "web-new222")
    sim.store.update(
        "apps",
        "replicasets",
        {**new_rs, "status": {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2}},
        subresource="status",
    )
    add_pod(sim, new_rs, "aaaaa")
    second = add_pod(sim, new_rs, "bbbbb")
    app = make_app(Settings(), connection=connect_to())
    # A timeline moment per batch (the app's default merges a workload's changes per second),
    # so each step below is a moment of its own.
    app.timeline_interval = 0.0
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 1, "web listed")
        workloads.move_cursor_to_key(web["metadata"]["uid"])
        await pilot.press("h")
        assert isinstance(app.screen, RolloutScreen)
        screen = app.screen
        await wait_for(pilot, lambda: "web-new222-bbbbb" in tree_shown(app), "pods in the tree")
        shown = tree_shown(app)
        assert "● revision 2  ReplicaSet web-new222  current  desired 2 · current 2" in shown
        assert "◀ revision 1  ReplicaSet web-old111  previous  desired 0" in shown
        assert "✔ web-new222-aaaaa  Running  1/1" in shown
        # 2 replicas, 25% each way: surge 1 (rounded up), unavailable 0 (rounded down).
        assert "2 of at most 3 = 2 replicas + maxSurge 1 (25% of 2, rounded up)" in shown
        assert "maxUnavailable 0 (25% of 2, rounded down)" in shown
        assert "rollout tree deployment/web" in str(screen.query_one("#rollout-tree").border_title)

        # A pod goes unready: the batch that carries it redraws the tree.
        sim.store.update(
            "", "pods", {**second, "status": running_status(ready=False)}, subresource="status"
        )
        await wait_for(
            pilot, lambda: "⚠ web-new222-bbbbb  Running  0/1" in tree_shown(app), "unready pod"
        )

        # The timeline recorded it; left goes back to the moment before: the pod was ready.
        lane = screen.query_one("#timeline", SafeStatic)
        assert "←/→ move through time" in str(lane.border_title)
        assert "2,000" in str(lane.border_title)
        assert "● live" in rendered(app, lane)
        # The app records a workload at most once a second: the entry follows within one.
        await wait_for(
            pilot,
            lambda: "pod web-new222-bbbbb not ready (Running)" in rendered(app, lane),
            "the change on the lane",
        )
        await pilot.press("left")
        assert screen.moment is not None
        assert "✔ web-new222-bbbbb  Running  1/1" in tree_shown(app)
        assert " at " in str(screen.query_one("#rollout-tree").border_title)
        assert "● live" not in rendered(app, lane)
        # Live batches do not move the tree while it shows the past.
        await pilot.press("right")
        assert "⚠ web-new222-bbbbb  Running  0/1" in tree_shown(app)
        assert screen.moment is not None  # the newest moment, still scrubbing
        entries = len(app.model.timeline.entries(web["metadata"]["uid"]))
        second = sim.store.get("", "pods", "default", "web-new222-bbbbb")
        sim.store.update(
            "", "pods", {**second, "status": running_status(ready=True)}, subresource="status"
        )
        await wait_for(
            pilot,
            lambda: f"/{entries + 1}" in rendered(app, lane),
            "the lane grew while scrubbing",
        )
        assert "⚠ web-new222-bbbbb  Running  0/1" in tree_shown(app)
        await pilot.press("right")
        await pilot.press("right")
        assert screen.moment is None and "● live" in rendered(app, lane)
        assert "✔ web-new222-bbbbb  Running  1/1" in tree_shown(app)

        # A batch about another workload only does not.
        draws = screen.tree_draws
        sim.store.create("apps", "deployments", deployment("other"))
        await wait_for(
            pilot,
            lambda: (
                app.model.objects.objects("Deployment")
                and len(app.model.objects.objects("Deployment")) == 2
            ),
            "other arrived",
        )
        await pilot.pause()
        assert screen.tree_draws == draws
        # A pod that goes away leaves the tree.
        sim.store.delete("", "pods", "default", "web-new222-aaaaa")
        await wait_for(pilot, lambda: "web-new222-aaaaa" not in tree_shown(app), "deleted pod gone")
        assert screen.tree_draws > draws
