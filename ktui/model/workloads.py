"""What the three linked panes show, kept current batch by batch (no Textual here).

`WorkloadTree` is fed only by the cache's change batches: it applies each batch to its
`ObjectMirror` (objects and an ownership index built from the same batch) and remembers, for
every Pod and every ReplicaSet / ControllerRevision / Job, which top-level workload it belongs
to. A batch then touches only the workloads whose own object or whose pods changed, so the work
per batch scales with the changes, not with the cache. Deleted objects are resolved through the
remembered mapping (the mirror forgets them as the batch is applied).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ktui.cluster.batcher import ChangeBatch
from ktui.cluster.kinds import CHILD_KINDS, ROLLOUT_KINDS, WORKLOAD_KINDS
from ktui.cluster.objects import involved_object
from ktui.cluster.state import CachePhase
from ktui.model.objects import ObjectMirror
from ktui.model.read_ahead import BatchFacts, read_ahead
from ktui.model.timeline import Change, Timeline, event_change
from ktui.model.triage import Triage
from ktui.view.pod import Phase
from ktui.view.rollout_tree import pod_revision_hash, revision_hashes
from ktui.view.stuck import StuckReason, looks_at_pods, rollout_problem

Obj = dict[str, Any]


@dataclass
class TreeChanges:
    """What one batch changed, in the terms of the panes."""

    workloads: set[str] = field(default_factory=set)
    """Workload uids whose row must be recomputed (their object or their pods changed)."""
    removed_workloads: set[str] = field(default_factory=set)
    children: dict[str, set[str]] = field(default_factory=dict)
    """Workload uid -> child uids (ReplicaSet/ControllerRevision/Job) upserted."""
    removed_children: dict[str, set[str]] = field(default_factory=dict)
    pods: dict[str, set[str]] = field(default_factory=dict)
    """Workload uid -> pod uids upserted."""
    removed_pods: dict[str, set[str]] = field(default_factory=dict)
    events: bool = False
    states: bool = False
    problems: set[str] = field(default_factory=set)
    """Uids whose triage problem appeared, changed or went away."""


class WorkloadTree:
    def __init__(
        self, clock: Callable[[], datetime] | None = None, *, timeline_interval: float = 0.0
    ) -> None:
        self.objects = ObjectMirror(clock)
        """Everything the batches delivered; screens read objects, events and owners here."""
        self.triage = Triage()
        """What is not fine (the header's count, the problems screen), from the same batches."""
        self.timeline = Timeline()
        """Per rollout workload, what changed since ktui started."""
        self.timeline_interval = timeline_interval
        """Seconds between two timeline entries of one workload at least (0: every batch).
        Recording rebuilds the workload's tree, a walk over its pods: under thousands of pod
        changes a second the app records each workload at most once a second, each entry
        summing what changed since the one before."""
        self.timeline_budget: float | None = None
        """Seconds one `record_due_timeline` call may spend at most (None: no bound). The
        workloads left over stay due, oldest first, for the next batch or the app's timer: with
        every workload changing, their intervals end together, and recording them all at once
        held the event loop for a hundred trees in a row (a key waited ~250 ms at 10,000
        pods)."""
        self._timeline_due: dict[str, None] = {}
        """Rollout workloads changed since their last timeline entry (an ordered set, the
        longest waiting first: a workload recorded goes to the end when it changes again)."""
        self._timeline_events: dict[str, list[Change]] = {}
        self._timeline_at: dict[str, float] = {}
        """Workload uid -> `time.monotonic()` of its last timeline entry."""
        self._timeline_held = False
        """True while a timeline kept from another scope waits for this model's first lists
        (`keep_history_of`): a tree built from a half-listed workload would be recorded as
        its pods and revisions deleted, then appearing again."""
        self.workloads: dict[str, Obj] = {}
        self.workload_kind: dict[str, str] = {}
        self.pod_owner: dict[str, str | None] = {}
        self.pod_parent: dict[str, str | None] = {}
        """Pod uid -> its direct controller (ReplicaSet, Job, StatefulSet...)."""
        self.pod_phase: dict[str, Phase] = {}
        self.child_owner: dict[str, str | None] = {}
        self.child_kind: dict[str, str] = {}
        self.pods_of: dict[str, set[str]] = {}
        self.children_of: dict[str, set[str]] = {}
        self._counts: dict[str, dict[Phase, int]] = {}
        self._counted: dict[str, tuple[tuple[str, ...], Phase]] = {}
        """Pod uid -> the workloads its phase is counted in, and that phase."""
        self._troubled_pods: set[str] = set()
        """Pods that cannot start (`view.stuck.pod_problem`), kept pod by pod as they change."""
        self._stuck: dict[str, StuckReason | None] = {}
        """Rollout workload uid -> `rollout_problem`'s verdict, judged again only when a batch
        changes the workload, its ReplicaSets / ControllerRevisions or its pods. HEALTH, the
        rollout screen and the triage all read it: one verdict, computed once per change."""

    # ------------------------------------------------------------------ queries

    def is_top_level(self, uid: str) -> bool:
        """A Job run by a CronJob is shown under its CronJob, not beside it."""
        return self.workload_kind.get(uid) != "Job" or self.child_owner.get(uid) is None

    def phase_counts(self, workload_uid: str) -> dict[Phase, int]:
        """Pods per phase, kept current pod by pod (no walk over the workload's pods)."""
        counts = dict.fromkeys(Phase, 0)
        counts.update(self._counts.get(workload_uid, {}))
        return counts

    def _recount(self, pod_uid: str) -> None:
        """Move the pod's contribution to the workloads that now hold it, in its phase now."""
        phase = self.pod_phase.get(pod_uid)
        targets: tuple[str, ...] = ()
        if phase is not None:
            targets = tuple(
                w
                for w in (self.pod_owner.get(pod_uid), self.pod_parent.get(pod_uid))
                if w is not None and pod_uid in self.pods_of.get(w, ())
            )
        new = (tuple(dict.fromkeys(targets)), phase) if phase is not None else None
        old = self._counted.get(pod_uid)
        if old == new:
            return
        if old is not None:
            for workload in old[0]:
                bucket = self._counts.get(workload)
                if bucket is not None:
                    bucket[old[1]] = bucket.get(old[1], 0) - 1
        if new is None:
            self._counted.pop(pod_uid, None)
            return
        for workload in new[0]:
            bucket = self._counts.setdefault(workload, {})
            bucket[new[1]] = bucket.get(new[1], 0) + 1
        self._counted[pod_uid] = new

    def pods(self, workload_uid: str, parent_uid: str | None = None) -> list[Obj]:
        """The workload's pods, or only those of one of its children: a ReplicaSet's or a
        Job's (they own them), a ControllerRevision's (made from it: its hash label; the
        StatefulSet or DaemonSet owns them)."""
        hashes: set[str] | None = None
        if parent_uid is not None and self.child_kind.get(parent_uid) == "ControllerRevision":
            revision = self.objects.get(parent_uid)
            hashes = revision_hashes(revision) if revision is not None else set()
        result = []
        for pod_uid in self.pods_of.get(workload_uid, ()):
            pod = self.objects.get(pod_uid)
            if pod is None:
                continue
            if hashes is not None:
                if pod_revision_hash(pod) not in hashes:
                    continue
            elif parent_uid is not None and not self.under(pod_uid, parent_uid):
                continue
            result.append(pod)
        return result

    def children(self, workload_uid: str) -> list[Obj]:
        result = []
        for child_uid in self.children_of.get(workload_uid, ()):
            child = self.objects.get(child_uid)
            if child is not None:
                result.append(child)
        return result

    def has_troubled_pods(self, workload_uid: str) -> bool:
        """Whether one of the workload's pods cannot start (then `rollout_problem` reads its
        pods; otherwise only the workload and its children)."""
        return not self._troubled_pods.isdisjoint(self.pods_of.get(workload_uid, ()))

    def rollout_problem(self, workload_uid: str, now: datetime) -> StuckReason | None:
        """Why the workload's rollout does not progress (view.stuck), from what the batches
        delivered: its ReplicaSets / ControllerRevisions and, only while a rollout is under way
        or short of pods, its pods. The verdict is kept from the last batch that touched the
        workload (`rollout_problem` reads no clock)."""
        if workload_uid in self._stuck:
            return self._stuck[workload_uid]
        return self._judge(workload_uid, now)

    def _judge(self, workload_uid: str, now: datetime) -> StuckReason | None:
        obj = self.workloads.get(workload_uid)
        if obj is None or self.workload_kind.get(workload_uid) not in ROLLOUT_KINDS:
            return None
        # Pod-based reasons need a pod that cannot start; most workloads have none, and then
        # their pods are not read at all (the verdict is the same without them).
        troubled = self.has_troubled_pods(workload_uid)
        pods = self.pods(workload_uid) if troubled and looks_at_pods(obj) else []
        return rollout_problem(obj, self.children(workload_uid), pods, now)

    def under(self, pod_uid: str, parent_uid: str) -> bool:
        if self.pod_parent.get(pod_uid) == parent_uid:
            return True
        return parent_uid in self.objects.owner_chain(pod_uid)

    # ------------------------------------------------------------------ updates

    def apply(self, batch: ChangeBatch, facts: BatchFacts | None = None) -> TreeChanges:
        """Apply one batch, whole. `facts`: what `read_ahead(batch)` read of its objects (the
        app reads them on the batcher thread, see `model.read_ahead`); None reads them here."""
        if facts is None:
            facts = read_ahead(batch)
        self.objects.apply(batch)
        changes = TreeChanges(events=bool(batch.upserts.get("Event") or batch.deletes.get("Event")))
        changes.states = bool(batch.states)
        arrived: list[str] = []
        """Workloads and children new in this batch: owners that pods may have been waiting for."""
        for kind in WORKLOAD_KINDS:
            for uid, obj in batch.upserts.get(kind, {}).items():
                if uid not in self.workloads:
                    arrived.append(uid)
                self.workloads[uid] = obj
                self.workload_kind[uid] = kind
                changes.workloads.add(uid)
            for uid in batch.deletes.get(kind, ()):
                if self.workloads.pop(uid, None) is not None:
                    changes.removed_workloads.add(uid)
                self.workload_kind.pop(uid, None)
                self.pods_of.pop(uid, None)
                self.children_of.pop(uid, None)
                self._counts.pop(uid, None)
        for kind in CHILD_KINDS:
            for uid in batch.upserts.get(kind, {}):
                if self._place_child(uid, changes):
                    arrived.append(uid)
                self.child_kind[uid] = kind
            for uid in batch.deletes.get(kind, ()):
                owner = self.child_owner.pop(uid, None)
                self.child_kind.pop(uid, None)
                if owner is not None:
                    self.children_of.get(owner, set()).discard(uid)
                    changes.removed_children.setdefault(owner, set()).add(uid)
        # Pods (and children) that arrived before their owners are placed again once an owner
        # shows up: only those below an owner new in this batch (or a child that changed
        # hands), never a rescan of every unplaced pod (bare pods are never placed).
        if arrived:
            for uid in dict.fromkeys(
                d for owner in arrived for d in self.objects.descendants(owner, depth=2)
            ):
                if uid in self.pod_owner and self.pod_owner[uid] is None:
                    self._place_pod(uid, self.objects.get(uid), changes)
                elif uid in self.child_owner and self.child_owner[uid] is None:
                    self._place_child(uid, changes)
        timeline = self.timeline
        for uid, pod in batch.upserts.get("Pod", {}).items():
            pod_facts = facts.pods[uid]
            self.pod_phase[uid] = pod_facts.phase
            if pod_facts.troubled:
                self._troubled_pods.add(uid)
            else:
                self._troubled_pods.discard(uid)
            self._place_pod(uid, pod, changes)
            if self.workload_kind.get(self.pod_owner.get(uid) or "") in ROLLOUT_KINDS:
                # The timeline's next tree of this workload reads this pod from here.
                timeline.note_pod(pod, pod_facts.place)
        for uid in batch.deletes.get("Pod", ()):
            self.pod_phase.pop(uid, None)
            self._troubled_pods.discard(uid)
            parent = self.pod_parent.pop(uid, None)
            if parent is not None and parent in self.pods_of:
                self.pods_of[parent].discard(uid)
                changes.workloads.add(parent)
            owner = self.pod_owner.pop(uid, None)
            if owner is not None:
                self.pods_of.get(owner, set()).discard(uid)
                changes.removed_pods.setdefault(owner, set()).add(uid)
                changes.workloads.add(owner)
            self._recount(uid)
        changes.workloads &= set(self.workloads)
        changes.problems = self.triage.apply(batch, self._judge_touched(changes), facts.problems)
        self._record(batch, changes)
        return changes

    def _judge_touched(self, changes: TreeChanges) -> dict[str, tuple[Obj, StuckReason | None]]:
        """Judge again the rollout workloads whose object, children or pods the batch changed
        (and only those: at 2,000 pod changes a second the others are not read)."""
        for uid in changes.removed_workloads:
            self._stuck.pop(uid, None)
        touched = changes.workloads.union(changes.children, changes.removed_children)
        verdicts: dict[str, tuple[Obj, StuckReason | None]] = {}
        now = self.objects.clock()
        for uid in touched:
            obj = self.workloads.get(uid)
            if obj is None or self.workload_kind.get(uid) not in ROLLOUT_KINDS:
                continue
            stuck = self._judge(uid, now)
            self._stuck[uid] = stuck
            verdicts[uid] = (obj, stuck)
        return verdicts

    def _record(self, batch: ChangeBatch, changes: TreeChanges) -> None:
        """Feed the timeline: every rollout workload the batch touched, with the events about
        it, its ReplicaSets / ControllerRevisions (and Warning events about its pods)."""
        timeline = self.timeline
        for uid in changes.removed_workloads:
            timeline.forget(uid)
        for uid in batch.deletes.get("Pod", ()):
            timeline.forget_pod(uid)
        for uid in batch.deletes.get("Event", ()):
            timeline.forget_event(uid)
        events: dict[str, list[Change]] = {}
        for event in batch.upserts.get("Event", {}).values():
            involved = involved_object(event)
            target = str(involved.get("uid") or "")
            if not target:
                continue
            if target in self.workloads:
                owner: str | None = target
            elif target in self.child_owner:
                owner = self.child_owner[target]
            elif target in self.pod_owner and event.get("type") == "Warning":
                owner = self.pod_owner[target]
            else:
                continue
            if owner is None or self.workload_kind.get(owner) not in ROLLOUT_KINDS:
                continue
            if timeline.new_event(event):
                about = f"{involved.get('kind', '')}/{involved.get('name', '')}"
                events.setdefault(owner, []).append(event_change(event, about))
        touched = set(changes.workloads).union(
            changes.children, changes.removed_children, changes.pods, changes.removed_pods, events
        )
        for uid in changes.removed_workloads:
            self._timeline_due.pop(uid, None)
            self._timeline_events.pop(uid, None)
            self._timeline_at.pop(uid, None)
        for uid in touched:
            if uid in self.workloads and self.workload_kind.get(uid) in ROLLOUT_KINDS:
                self._timeline_due.setdefault(uid, None)
                self._timeline_events.setdefault(uid, []).extend(events.get(uid, ()))
        self.record_due_timeline()

    def keep_history_of(self, previous: WorkloadTree) -> None:
        """Go on from `previous`, the model of another scope of the same cluster (a namespace
        switch): what ktui saw happen since it started (each rollout's timeline, the deploys
        it witnessed) is kept, not restarted at the switch. Its workloads are compared with
        their last recorded trees once this model has listed them: what changed while they
        were out of scope is one entry, and an unchanged workload none."""
        self.timeline = previous.timeline
        self.objects.keep_history_of(previous.objects)
        self._timeline_held = True
        # Every watch restarts: what the old scope's workloads do until this model lists them
        # again is seen, not watched (and those out of this scope are not watched at all).
        rollouts = [uid for uid, kind in previous.workload_kind.items() if kind in ROLLOUT_KINDS]
        self.timeline.unwatched(rollouts, self.objects.clock())

    def _lists_in(self) -> bool:
        """Every kind a rollout tree reads has been listed once (none is still syncing)."""
        states = self.objects.states
        for kind in (*ROLLOUT_KINDS, *CHILD_KINDS, "Pod"):
            state = states.get(kind)
            if state is not None and state.phase is CachePhase.SYNCING:
                return False
        return True

    def record_due_timeline(self) -> int:
        """Record the workloads whose entry is due (changed, and the interval passed since
        their last one); the app also calls this on a timer, so a last change is not left
        waiting for another batch. At least one is recorded per call, then as many as
        `timeline_budget` allows. How many entries were recorded."""
        if not self._timeline_due:
            return 0
        if self._timeline_held:
            if not self._lists_in():
                return 0
            self._timeline_held = False
        timeline = self.timeline
        recorded = 0
        budget = self.timeline_budget
        started = time.perf_counter()
        clock = time.monotonic()
        now = self.objects.clock()
        for uid in list(self._timeline_due):
            last = self._timeline_at.get(uid)
            if last is not None and clock - last < self.timeline_interval:
                continue
            del self._timeline_due[uid]
            obj = self.workloads.get(uid)
            if obj is None:
                continue
            self._timeline_at[uid] = clock
            pending = self._timeline_events.pop(uid, [])
            if timeline.record(uid, obj, self.children(uid), self.pods(uid), pending, now):
                recorded += 1
            if budget is not None and time.perf_counter() - started >= budget:
                break
        return recorded

    def _top_workload(self, uid: str, chain: list[str] | None = None) -> str | None:
        """The outermost workload in the owner chain of `uid` (CronJob over its Job)."""
        if chain is None:
            chain = self.objects.owner_chain(uid)
        top = None
        for owner_uid in chain:
            if owner_uid in self.workloads:
                top = owner_uid
        return top

    def _place_child(self, uid: str, changes: TreeChanges) -> bool:
        """Put the child under its top workload; whether it is new or changed hands."""
        owner = self._top_workload(uid)
        moved = uid not in self.child_owner or self.child_owner[uid] != owner
        previous = self.child_owner.get(uid)
        if previous is not None and previous != owner:
            self.children_of.get(previous, set()).discard(uid)
            changes.removed_children.setdefault(previous, set()).add(uid)
        self.child_owner[uid] = owner
        if owner is not None:
            self.children_of.setdefault(owner, set()).add(uid)
            changes.children.setdefault(owner, set()).add(uid)
            if uid in self.workloads:
                # A Job that belongs to a CronJob: its own row leaves the top level.
                changes.workloads.add(uid)
        return moved

    def _place_pod(self, uid: str, pod: Obj | None, changes: TreeChanges) -> None:
        if pod is None:
            return
        chain = self.objects.owner_chain(uid)
        owner = self._top_workload(uid, chain)
        previous = self.pod_owner.get(uid)
        if previous is not None and previous != owner:
            self.pods_of.get(previous, set()).discard(uid)
            changes.removed_pods.setdefault(previous, set()).add(uid)
            changes.workloads.add(previous)
        self.pod_owner[uid] = owner
        self.pod_parent[uid] = chain[0] if chain else None
        if owner is not None:
            self.pods_of.setdefault(owner, set()).add(uid)
            changes.pods.setdefault(owner, set()).add(uid)
            changes.workloads.add(owner)
            # A Job under a CronJob keeps its own pod count too.
            parent = self.pod_parent[uid]
            if parent is not None and parent != owner and parent in self.workloads:
                self.pods_of.setdefault(parent, set()).add(uid)
                changes.workloads.add(parent)
        self._recount(uid)


def affected(changes: TreeChanges, workload_uid: str | None) -> bool:
    """Whether the panes below the selected workload must be recomputed."""
    if workload_uid is None:
        return False
    return (
        workload_uid in changes.workloads
        or workload_uid in changes.removed_workloads
        or workload_uid in changes.children
        or workload_uid in changes.removed_children
        or workload_uid in changes.pods
        or workload_uid in changes.removed_pods
    )
