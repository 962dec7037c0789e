"""The rollout timeline, recorded by the model from the change batches: one entry per batch
that changed something that matters, with the tree as it was then; bounded per workload."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from test_view_rollout_tree import _deployment, _pod, _rs

from ktui.cluster.batcher import ChangeBatch
from ktui.cluster.state import CachePhase, CacheState
from ktui.model.timeline import TIMELINE_LIMIT, ChangeKind, Timeline
from ktui.model.workloads import WorkloadTree

Obj = dict[str, Any]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 1.0) -> None:
        self.now += timedelta(seconds=seconds)


def upsert(*objects: Obj) -> ChangeBatch:
    batch = ChangeBatch()
    for obj in objects:
        batch.upserts.setdefault(obj["kind"], {})[obj["metadata"]["uid"]] = obj
    return batch


def versioned(obj: Obj, version: int) -> Obj:
    out = copy.deepcopy(obj)
    out["metadata"]["resourceVersion"] = str(version)
    return out


def texts(entry: Any) -> list[str]:
    return [change.text for change in entry.changes]


def test_a_rolling_update_is_recorded_step_by_step_with_the_tree_of_each_moment() -> None:
    clock = Clock()
    model = WorkloadTree(clock)
    d = _deployment(1, 1, 0)
    old = _rs("old", 1, "nginx:1.26", 1)
    old_pod = versioned(_pod("web-old-a", "rs-old"), 1)
    model.apply(upsert(d, old, old_pod))
    [start] = model.timeline.entries("d1")
    assert start.kind is ChangeKind.START
    assert texts(start) == ["ktui started watching: no current revision, 1 pods"]

    # The template changes, the controller creates the new ReplicaSet with a pod on its way.
    clock.tick()
    d2 = copy.deepcopy(d)
    d2["spec"]["template"] = copy.deepcopy(_rs("new", 2, "nginx:1.27", 1)["spec"]["template"])
    new = _rs("new", 2, "nginx:1.27", 1, ready=0)
    new_pod = versioned(_pod("web-new-a", "rs-new", ready=False, waiting="ContainerCreating"), 1)
    model.apply(upsert(d2, new, new_pod))
    entry = model.timeline.entries("d1")[-1]
    assert entry.kind is ChangeKind.REVISION and entry.at == clock.now
    assert "new ReplicaSet revision 2 (web-new)" in texts(entry)
    assert "revision 2 (web-new) is current" in texts(entry)
    assert "pod web-new-a appeared (ContainerCreating)" in texts(entry)

    # A batch that changes nothing that matters (a pod's resourceVersion only): no entry.
    count = model.timeline.count("d1")
    model.apply(upsert(versioned(old_pod, 2)))
    assert model.timeline.count("d1") == count

    # The new pod becomes ready, the old ReplicaSet scales down.
    clock.tick()
    ready_pod = versioned(_pod("web-new-a", "rs-new"), 2)
    model.apply(upsert(ready_pod, _rs("new", 2, "nginx:1.27", 1)))
    entry = model.timeline.entries("d1")[-1]
    assert "pod web-new-a ready" in texts(entry)
    assert "web-new: ready 0→1, available 0→1" in texts(entry)
    clock.tick()
    scaled = _rs("old", 1, "nginx:1.26", 0)
    model.apply(
        ChangeBatch(upserts={"ReplicaSet": {"rs-old": scaled}}, deletes={"Pod": {"uid-web-old-a"}})
    )
    entry = model.timeline.entries("d1")[-1]
    assert "web-old: desired 1→0, current 1→0, ready 1→0, available 1→0" in texts(entry)
    assert "pod web-old-a deleted" in texts(entry)

    # Each entry keeps the tree of its moment.
    entries = model.timeline.entries("d1")
    first_tree = entries[0].tree
    assert [p.name for n in first_tree.revisions for p in n.pods] == ["web-old-a"]
    mid = entries[1].tree
    assert mid.revision("rs-new") is not None
    assert mid.revision("rs-new").pods[0].status == "ContainerCreating"  # type: ignore[union-attr]
    assert entries[-1].tree.revision("rs-old").desired == 0  # type: ignore[union-attr]
    assert model.timeline.latest("d1") is entries[-1].tree


def test_unchanged_nodes_are_shared_between_entries() -> None:
    clock = Clock()
    model = WorkloadTree(clock)
    d = _deployment(2)
    rs = _rs("a", 1, "nginx:1.27", 2)
    a = versioned(_pod("web-a-1", "rs-a"), 1)
    b = versioned(_pod("web-a-2", "rs-a"), 1)
    model.apply(upsert(d, rs, a, b))
    model.apply(upsert(versioned(_pod("web-a-2", "rs-a", restarts=1), 2)))
    first, second = model.timeline.entries("d1")
    assert texts(second) == ["pod web-a-2 restarted (1)"] and second.bad
    assert first.tree.revisions[0].pods[0] is second.tree.revisions[0].pods[0]


def test_events_about_the_workload_and_its_replicasets_are_recorded_once() -> None:
    model = WorkloadTree(Clock())
    d = _deployment(1)
    rs = _rs("a", 1, "nginx:1.27", 1)
    model.apply(upsert(d, rs))
    event = {
        "kind": "Event",
        "metadata": {"uid": "e1", "namespace": "shop", "name": "web.1"},
        "involvedObject": {"kind": "ReplicaSet", "name": "web-a", "uid": "rs-a"},
        "reason": "FailedCreate",
        "message": 'pods "web-a-x" is forbidden: exceeded quota',
        "type": "Warning",
        "count": 1,
    }
    model.apply(upsert(event))
    entry = model.timeline.entries("d1")[-1]
    assert entry.kind is ChangeKind.EVENT and entry.bad
    assert texts(entry) == [
        'ReplicaSet/web-a: FailedCreate pods "web-a-x" is forbidden: exceeded quota'
    ]
    count = model.timeline.count("d1")
    model.apply(upsert(event))  # the same event again: nothing new
    assert model.timeline.count("d1") == count
    model.apply(upsert({**event, "count": 2}))
    assert model.timeline.count("d1") == count + 1
    # A Normal event about a pod is noise; a Warning one is not.
    pod = _pod("web-a-1", "rs-a")
    model.apply(upsert(pod))
    count = model.timeline.count("d1")
    about_pod = {
        **event,
        "involvedObject": {"kind": "Pod", "name": "web-a-1", "uid": "uid-web-a-1"},
    }
    model.apply(upsert({**about_pod, "metadata": {"uid": "e2"}, "type": "Normal"}))
    assert model.timeline.count("d1") == count
    model.apply(upsert({**about_pod, "metadata": {"uid": "e3"}, "reason": "BackOff"}))
    assert model.timeline.count("d1") == count + 1


def test_the_timeline_is_bounded_and_forgotten_with_its_workload() -> None:
    assert TIMELINE_LIMIT == 2000
    model = WorkloadTree(Clock())
    model.timeline = Timeline(limit=5)
    d = _deployment(1)
    model.apply(upsert(d, _rs("a", 1, "nginx:1.27", 1)))
    for restarts in range(1, 10):
        model.apply(upsert(versioned(_pod("web-a-1", "rs-a", restarts=restarts), restarts)))
    entries = model.timeline.entries("d1")
    assert len(entries) == 5
    assert texts(entries[-1]) == ["pod web-a-1 restarted (9)"]
    model.apply(ChangeBatch(deletes={"Deployment": {"d1"}}))
    assert model.timeline.entries("d1") == []


def test_with_an_interval_a_workloads_changes_are_merged_into_one_moment(monkeypatch: Any) -> None:
    import ktui.model.workloads as workloads

    ticks = [100.0]
    monkeypatch.setattr(workloads.time, "monotonic", lambda: ticks[0])
    model = WorkloadTree(Clock(), timeline_interval=1.0)
    d = _deployment(1, 1, 0)
    rs = _rs("old", 1, "nginx:1.26", 1)
    model.apply(upsert(d, rs, versioned(_pod("web-old-a", "rs-old"), 1)))
    assert len(model.timeline.entries("d1")) == 1  # the first moment is recorded at once
    # Two changes within the interval: held back, then recorded as one moment.
    ticks[0] += 0.3
    model.apply(upsert(versioned(_pod("web-old-b", "rs-old"), 2)))
    ticks[0] += 0.3
    model.apply(upsert(versioned(_pod("web-old-c", "rs-old"), 3)))
    assert len(model.timeline.entries("d1")) == 1
    assert model.record_due_timeline() == 0  # still within the interval
    ticks[0] += 0.5
    assert model.record_due_timeline() == 1  # the timer's call, no batch needed
    moments = model.timeline.entries("d1")
    assert len(moments) == 2
    assert {"web-old-b", "web-old-c"} <= {
        pod.name for rev in moments[-1].tree.revisions for pod in rev.pods
    }


def _renamed(obj: Obj, n: int) -> Obj:
    """A copy of a test object for a Deployment `d{n}` of its own (uids and owners renamed)."""
    out = copy.deepcopy(obj)
    meta = out["metadata"]
    meta["uid"] = f"d{n}" if meta["uid"] == "d1" else f"{meta['uid']}-{n}"
    meta["name"] = f"{meta['name']}-{n}"
    for ref in meta.get("ownerReferences", ()):
        ref["uid"] = f"d{n}" if ref["uid"] == "d1" else f"{ref['uid']}-{n}"
    return out


def test_a_budget_spreads_the_recording_over_calls_and_loses_nothing() -> None:
    model = WorkloadTree(Clock())
    model.timeline_budget = 0.0  # one workload per call: the rest stays due
    objects = []
    for n in (1, 2, 3):
        d = _renamed(_deployment(1, 1, 0), n)
        rs = _renamed(_rs("old", 1, "nginx:1.26", 1), n)
        pod = _renamed(versioned(_pod("web-old-a", "rs-old"), 1), n)
        objects += [d, rs, pod]
    model.apply(upsert(*objects))
    assert sum(model.timeline.count(f"d{n}") for n in (1, 2, 3)) == 1
    assert [model.record_due_timeline() for _ in range(3)] == [1, 1, 0]
    for n in (1, 2, 3):
        [start] = model.timeline.entries(f"d{n}")
        assert texts(start) == ["ktui started watching: no current revision, 1 pods"]


def _states(phase: CachePhase, *kinds: str) -> ChangeBatch:
    return ChangeBatch(states={kind: CacheState(phase) for kind in kinds})


def test_a_namespace_switch_keeps_what_was_seen_and_waits_for_the_new_lists() -> None:
    """The model of a new scope of the same cluster goes on from the old one's timeline and
    witnessed deploys; a half-listed workload is not recorded as deleted and back again."""
    clock = Clock()
    before = WorkloadTree(clock)
    d = _deployment(1)
    rs = _rs("a", 1, "nginx:1.27", 1)
    pod = versioned(_pod("web-a-1", "rs-a"), 1)
    before.apply(upsert(d, rs, pod))
    clock.tick()
    rolled_back = copy.deepcopy(rs)  # the same ReplicaSet made current again: revision 3
    rolled_back["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "3"
    before.apply(upsert(rolled_back))
    seen_deployed = clock.now
    assert before.objects.deployed_at("rs-a") == (seen_deployed, True)
    recorded = before.timeline.count("d1")
    assert recorded == 2

    clock.tick(60)
    after = WorkloadTree(clock)
    after.keep_history_of(before)
    tree_kinds = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision")
    after.objects.states.update(_states(CachePhase.SYNCING, *tree_kinds, "Pod").states)
    # The workload and its ReplicaSet are listed, its pods are not yet: nothing recorded.
    batch = upsert(d, rolled_back)
    batch.states.update(_states(CachePhase.LIVE, *tree_kinds).states)
    after.apply(batch)
    assert after.record_due_timeline() == 0
    assert after.timeline.count("d1") == recorded
    # The pods are in: the workload is as it was, so no entry (and no "started watching").
    batch = upsert(pod)
    batch.states.update(_states(CachePhase.LIVE, "Pod").states)
    after.apply(batch)
    after.record_due_timeline()
    assert after.timeline.count("d1") == recorded
    assert after.timeline.entries("d1")[0].kind is ChangeKind.START
    # The deploy seen before the switch is still a seen deploy, at its moment.
    assert after.objects.deployed_at("rs-a") == (seen_deployed, True)
    assert after.objects.started == before.objects.started
    # What changes now is recorded as before the switch.
    clock.tick()
    after.apply(upsert(versioned(_pod("web-a-1", "rs-a", restarts=1), 2)))
    assert texts(after.timeline.entries("d1")[-1]) == ["pod web-a-1 restarted (1)"]


def test_a_new_model_starts_its_own_timeline() -> None:
    """Without `keep_history_of` (a new context), nothing of another model is kept."""
    clock = Clock()
    before = WorkloadTree(clock)
    before.apply(upsert(_deployment(1), _rs("a", 1, "nginx:1.27", 1)))
    clock.tick(60)
    after = WorkloadTree(clock)
    after.apply(upsert(_deployment(1), _rs("a", 1, "nginx:1.27", 1)))
    [start] = after.timeline.entries("d1")
    assert start.kind is ChangeKind.START and start.at == clock.now


def test_changes_made_while_a_workload_was_out_of_scope_say_so() -> None:
    """Out of the namespace scope, nothing is watched: on return, what changed meanwhile is
    one entry saying it was seen on return, and since when it was not watched."""
    clock = Clock()
    tree_kinds = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision")
    live = _states(CachePhase.LIVE, *tree_kinds, "Pod").states
    first = WorkloadTree(clock)
    d = _deployment(1)
    rs = _rs("a", 1, "nginx:1.27", 1)
    pod = versioned(_pod("web-a-1", "rs-a"), 1)
    first.apply(upsert(d, rs, pod))
    clock.tick(10)
    left_at = clock.now
    elsewhere = WorkloadTree(clock)  # `:ns other`: the deployment is out of scope
    elsewhere.keep_history_of(first)
    batch = ChangeBatch()
    batch.states.update(live)
    elsewhere.apply(batch)
    clock.tick(120)
    back = WorkloadTree(clock)  # `:ns default` again
    back.keep_history_of(elsewhere)
    batch = upsert(d, rs, versioned(_pod("web-a-1", "rs-a", restarts=2), 2))
    batch.states.update(live)
    back.apply(batch)
    back.record_due_timeline()
    entry = back.timeline.entries("d1")[-1]
    assert texts(entry) == ["pod web-a-1 restarted (2)"]
    assert entry.unwatched_since == left_at and entry.at == clock.now
    # Watched again: the next change is an entry of its own moment.
    clock.tick()
    back.apply(upsert(versioned(_pod("web-a-1", "rs-a", restarts=3), 3)))
    assert back.timeline.entries("d1")[-1].unwatched_since is None


def test_a_switch_whose_lists_come_back_at_once_says_nothing_of_a_gap() -> None:
    clock = Clock()
    tree_kinds = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision")
    first = WorkloadTree(clock)
    d = _deployment(1)
    rs = _rs("a", 1, "nginx:1.27", 1)
    first.apply(upsert(d, rs, versioned(_pod("web-a-1", "rs-a"), 1)))
    after = WorkloadTree(clock)
    after.keep_history_of(first)
    clock.tick(2)  # the re-list took 2 s, during which the pod restarted
    batch = upsert(d, rs, versioned(_pod("web-a-1", "rs-a", restarts=1), 2))
    batch.states.update(_states(CachePhase.LIVE, *tree_kinds, "Pod").states)
    after.apply(batch)
    after.record_due_timeline()
    entry = after.timeline.entries("d1")[-1]
    assert texts(entry) == ["pod web-a-1 restarted (1)"] and entry.unwatched_since is None
