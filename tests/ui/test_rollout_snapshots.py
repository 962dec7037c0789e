"""SVG snapshots of the rollout screen mid-rollout: the tree (two ReplicaSets, the budget) and the
timeline lane, live and scrubbed back with ←.

The timeline records one entry per batch (`timeline_interval = 0`), so its lane depends on how
changes were grouped into batches. The watch caches group them by timing; here the app's model is
fed fixed batches instead (`FedCache` stands in for the watch caches), one rollout step each, at
fixed moments of a clock the test sets: every run records the same entries at the same times.

Update after an intended change with `pytest tests/ui/test_rollout_snapshots.py --snapshot-update`,
and look at the SVGs under tests/ui/__snapshots__/ before committing them.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_rollout_tree_ui import rendered
from test_snapshots import stable_connection
from ui_support import FROZEN_NOW, deployment, pod, replicaset, running_status, wait_for

from ktui.cluster.batcher import ChangeBatch
from ktui.cluster.kinds import ALL_KINDS
from ktui.cluster.state import CachePhase, CacheState
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.rollout import RolloutScreen
from ktui.ui.widgets.safe import SafeStatic

Obj = dict[str, Any]
SIZE = (140, 40)
WEB_UID = "uid-web"
START = FROZEN_NOW - timedelta(seconds=90)
"""When ktui "started": the first batch (the list of everything) arrives."""


@pytest.fixture(autouse=True)
def utc_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The lane shows moments in local time: make local time UTC for the snapshot."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


class FedCache:
    """The watch caches' interface to the app (states, start, stop, retry, ack_batch), without
    watches: the test hands batches to `on_batch` itself."""

    def __init__(self, on_batch: Callable[[ChangeBatch], None]) -> None:
        self.on_batch = on_batch
        self.sequence = 0

    def states(self) -> dict[str, CacheState]:
        return {spec.kind: CacheState(CachePhase.LIVE, since=START) for spec in ALL_KINDS}

    def start(self) -> None:
        pass

    def stop(self, timeout: float | None = None) -> None:
        pass

    def retry(self, kind: str | None = None) -> list[str]:
        return []

    def ack_batch(self) -> None:
        pass

    def feed(self, *objects: Obj, deletes: tuple[tuple[str, str], ...] = ()) -> None:
        upserts: dict[str, dict[str, Obj]] = {}
        for obj in objects:
            upserts.setdefault(obj["kind"], {})[obj["metadata"]["uid"]] = copy.deepcopy(obj)
        removed: dict[str, set[str]] = {}
        for kind, uid in deletes:
            removed.setdefault(kind, set()).add(uid)
        self.sequence += 1
        self.on_batch(ChangeBatch(upserts, removed, sequence=self.sequence))


class Objects:
    """Objects as the API server would hand them out: uid, creation time, a resourceVersion
    bumped on every change (the timeline reads a pod again only when it changed)."""

    def __init__(self) -> None:
        self.version = 100

    def stamp(self, obj: Obj, created: datetime) -> Obj:
        meta = obj["metadata"]
        meta["uid"] = f"uid-{meta['name']}"
        meta["creationTimestamp"] = iso(created)
        meta["generation"] = 1
        return self.changed(obj)

    def changed(self, obj: Obj) -> Obj:
        self.version += 1
        obj["metadata"]["resourceVersion"] = str(self.version)
        return obj


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def creating_status() -> Obj:
    status = running_status(ready=False)
    status["phase"] = "Pending"
    container = status["containerStatuses"][0]
    container["started"] = False
    container["state"] = {"waiting": {"reason": "ContainerCreating"}}
    return status


def rs_status(replicas: int, ready: int) -> Obj:
    return {
        "observedGeneration": 1,
        "replicas": replicas,
        "fullyLabeledReplicas": replicas,
        "readyReplicas": ready,
        "availableReplicas": ready,
    }


def deployment_status(updated: int, ready: int, total: int, since: datetime) -> Obj:
    return {
        "observedGeneration": 2,
        "replicas": total,
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "unavailableReplicas": max(0, 4 - ready),
        "conditions": [
            {
                "type": "Available",
                "status": "True",
                "reason": "MinimumReplicasAvailable",
                "lastUpdateTime": iso(START),
                "lastTransitionTime": iso(START),
            },
            {
                "type": "Progressing",
                "status": "True",
                "reason": "ReplicaSetUpdated",
                "lastUpdateTime": iso(since),
                "lastTransitionTime": iso(START),
            },
        ],
    }


async def play_rollout(app: KtuiApp, cache: FedCache, moment: list[datetime], pilot: Any) -> None:
    """web (4 replicas, 25% surge and unavailable: 1 and 1) rolls from nginx:1.26 to nginx:1.27;
    each step is one batch at its own moment, recorded as one timeline entry."""
    objects = Objects()
    entries = 0

    async def step(at: datetime, *changed: Obj, deletes: tuple[tuple[str, str], ...] = ()) -> None:
        nonlocal entries
        moment[0] = at
        cache.feed(*changed, deletes=deletes)
        entries += 1
        await wait_for(
            pilot,
            lambda: app.model.timeline.count(WEB_UID) == entries,
            f"timeline entry {entries}",
        )

    created = START - timedelta(days=3)
    web = deployment("web", replicas=4, image="nginx:1.26")
    # What the API server defaults: 25% each way (1 surge pod, 1 unavailable of 4).
    web["spec"]["strategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }
    web["spec"]["progressDeadlineSeconds"] = 600
    web["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "1"}
    objects.stamp(web, created)
    web["status"] = {
        "observedGeneration": 1,
        "replicas": 4,
        "updatedReplicas": 4,
        "readyReplicas": 4,
        "availableReplicas": 4,
    }
    old = objects.stamp(replicaset(copy.deepcopy(web), "6f8d9c", 1), created)
    old["metadata"]["annotations"]["kubernetes.io/change-cause"] = "release 1.26"
    old["status"] = rs_status(4, 4)
    old_pods = []
    for suffix in ("x2k4p", "m9q7z", "b5n2w", "t8r3c"):
        one = objects.stamp(pod(old, suffix, nodeName="node-1"), created)
        one["status"] = running_status(ready=True)
        old_pods.append(one)
    await step(START, web, old, *old_pods)

    # The image changes: the controller creates revision 2 with one surge pod and takes one old
    # pod away (maxUnavailable 1).
    rolled_at = START + timedelta(seconds=10)
    web["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    web["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "2"
    web["metadata"]["annotations"]["kubernetes.io/change-cause"] = "release 1.27"
    web["metadata"]["generation"] = 2
    web["status"] = deployment_status(updated=0, ready=4, total=4, since=rolled_at)
    objects.changed(web)
    new = objects.stamp(replicaset(copy.deepcopy(web), "7b5c4d", 2), rolled_at)
    new["metadata"]["annotations"]["kubernetes.io/change-cause"] = "release 1.27"
    new["spec"]["replicas"] = 1
    new["status"] = rs_status(0, 0)
    old["spec"]["replicas"] = 3
    objects.changed(old)
    await step(rolled_at, web, new, old)

    # The first new pod is created; the first old pod terminates.
    first = objects.stamp(pod(new, "q4w8e", nodeName="node-2"), rolled_at)
    first["status"] = creating_status()
    new["status"] = rs_status(1, 0)
    objects.changed(new)
    going = old_pods[0]
    going["metadata"]["deletionTimestamp"] = iso(rolled_at + timedelta(seconds=30))
    objects.changed(going)
    await step(START + timedelta(seconds=12), first, new, going)

    # The old pod is gone, its ReplicaSet counts three.
    old["status"] = rs_status(3, 3)
    objects.changed(old)
    web["status"] = deployment_status(updated=1, ready=3, total=4, since=rolled_at)
    objects.changed(web)
    await step(
        START + timedelta(seconds=25), old, web, deletes=(("Pod", going["metadata"]["uid"]),)
    )

    # The new pod is ready: the controller scales revision 2 up and revision 1 down by one.
    ready_at = START + timedelta(seconds=40)
    first["status"] = running_status(ready=True)
    objects.changed(first)
    new["status"] = rs_status(1, 1)
    objects.changed(new)
    await step(ready_at, first, new)
    new["spec"]["replicas"] = 2
    objects.changed(new)
    old["spec"]["replicas"] = 2
    objects.changed(old)
    web["status"] = deployment_status(updated=1, ready=4, total=4, since=ready_at)
    objects.changed(web)
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web.17f0a", "namespace": "default", "uid": "uid-event-1"},
        "involvedObject": {"kind": "Deployment", "name": "web", "uid": WEB_UID},
        "reason": "ScalingReplicaSet",
        "message": "Scaled up replica set web-7b5c4d to 2",
        "type": "Normal",
        "count": 1,
        "lastTimestamp": iso(ready_at),
    }
    objects.changed(event)
    await step(START + timedelta(seconds=41), new, old, web, event)

    # The second new pod is being created; a second old pod terminates.
    second = objects.stamp(pod(new, "z7y6u", nodeName="node-3"), ready_at)
    second["status"] = creating_status()
    going = old_pods[1]
    going["metadata"]["deletionTimestamp"] = iso(ready_at + timedelta(seconds=30))
    objects.changed(going)
    new["status"] = rs_status(2, 1)
    objects.changed(new)
    await step(START + timedelta(seconds=43), second, going, new)

    # Now: the last batch was 45 seconds ago.
    moment[0] = FROZEN_NOW


class Fed:
    """The app under test, the clock it reads and the cache that feeds it."""

    def __init__(self, sim: SimServer, tmp_path: Path) -> None:
        self.moment = [START]
        self.caches: list[FedCache] = []

        def factory(connection: Any, on_batch: Callable[[ChangeBatch], None]) -> Any:
            self.caches.append(FedCache(on_batch))
            return self.caches[-1]

        self.app = make_app(
            Settings(),
            connection=stable_connection(sim, tmp_path),
            clock=lambda: self.moment[0],
            cache_factory=factory,
        )
        # Every batch that changes the rollout is an entry of its own (no merging per second).
        self.app.timeline_interval = 0.0

    async def open_rollout(self, pilot: Any) -> RolloutScreen:
        app = self.app
        await play_rollout(app, self.caches[-1], self.moment, pilot)
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 1, "web listed")
        workloads.move_cursor_to_key(WEB_UID)
        await pilot.press("h")
        screen = app.screen
        assert isinstance(screen, RolloutScreen)
        # The lane is drawn as the screen opens, not a second later on the first tick.
        assert "● live" in rendered(app, screen.query_one("#timeline", SafeStatic))
        history = screen.query_one("#history", LiveTable)
        await wait_for(
            pilot,
            lambda: screen.rollout_tree is not None and history.total_count == 2,
            "the tree and two revisions",
        )
        return screen


def test_rollout_screen_mid_rollout(sim: SimServer, tmp_path: Path, snap_compare: Any) -> None:
    fed = Fed(sim, tmp_path)

    async def run_before(pilot: Any) -> None:
        screen = await fed.open_rollout(pilot)
        assert screen.moment is None  # live
        await pilot.pause()

    assert snap_compare(fed.app, terminal_size=SIZE, run_before=run_before)


def test_rollout_screen_scrubbed_back(sim: SimServer, tmp_path: Path, snap_compare: Any) -> None:
    fed = Fed(sim, tmp_path)

    async def run_before(pilot: Any) -> None:
        screen = await fed.open_rollout(pilot)
        entries = fed.app.model.timeline.entries(WEB_UID)
        assert len(entries) == 7
        # Back to the moment revision 2 appeared (live counts as the newest moment).
        await pilot.press(*["left"] * (len(entries) - 2))
        assert screen.moment is entries[1]
        await pilot.pause()

    assert snap_compare(fed.app, terminal_size=SIZE, run_before=run_before)


def test_rollout_screen_at_80_by_24(sim: SimServer, tmp_path: Path, snap_compare: Any) -> None:
    """The smallest terminal: the history keeps a row, the lane keeps two lines."""
    fed = Fed(sim, tmp_path)

    async def run_before(pilot: Any) -> None:
        screen = await fed.open_rollout(pilot)
        await pilot.pause()
        history = screen.query_one("#history", LiveTable)
        # The border, the header and revision 1's row at least.
        assert history.outer_size.height >= 5
        lane = screen.query_one("#timeline", SafeStatic)
        # The latest moment's changes are longer than 80 columns: cut, not wrapped.
        assert len(rendered(fed.app, lane).splitlines()[1]) > 80
        assert lane.outer_size.height == 4

    assert snap_compare(fed.app, terminal_size=(80, 24), run_before=run_before)
