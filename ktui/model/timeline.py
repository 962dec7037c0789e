"""What happened to each rollout since ktui started, kept from the change batches.

For every Deployment, StatefulSet and DaemonSet, each batch that touches the workload, its
ReplicaSets / ControllerRevisions or its pods rebuilds its rollout tree (`view.rollout_tree`)
and compares it with the last one: a revision that became current or appeared, a ReplicaSet's
desired / current / ready / available counts, a pod created, deleted, terminating, becoming
ready or not ready, changing STATUS (CrashLoopBackOff...) or restarting. Events about the
workload or its ReplicaSets / ControllerRevisions (and Warning events about its pods) are
changes too. A batch with any change is one entry, holding the changes and the whole tree at
that moment, so the rollout screen can redraw the tree as it was.

Bounded: at most `TIMELINE_LIMIT` entries per workload, the oldest dropped first. Trees share
every pod and revision node that did not change with the entry before (a node equal to the
previous one is the previous object), so an entry costs about one pointer per pod.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from ktui.view.pod import Severity
from ktui.view.rollout_tree import (
    PodNode,
    PodPlace,
    RevisionNode,
    RolloutTree,
    build_rollout_tree,
    pod_place,
)

Obj = dict[str, Any]
TIMELINE_LIMIT = 2000
"""Entries kept per workload; the oldest go first."""


class ChangeKind(StrEnum):
    START = "start"
    REVISION = "revision"
    REPLICAS = "replicas"
    POD = "pod"
    EVENT = "event"


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    text: str
    bad: bool = False
    """A pod failing or not ready, a Warning event."""


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    changes: tuple[Change, ...]
    tree: RolloutTree
    """The workload's rollout tree right after this moment."""
    unwatched_since: datetime | None = None
    """Set when these changes happened while ktui did not watch the workload (out of the
    namespace scope, or a switch's re-list), some time between this and `at`, when they were
    seen: `at` is when ktui saw them, not when they happened."""

    @property
    def kind(self) -> ChangeKind:
        """The change that matters most: revision, then replicas, pods, events."""
        order = [ChangeKind.START, ChangeKind.REVISION, ChangeKind.REPLICAS, ChangeKind.POD]
        for kind in order:
            if any(change.kind == kind for change in self.changes):
                return kind
        return ChangeKind.EVENT

    @property
    def bad(self) -> bool:
        return any(change.bad for change in self.changes)


def _label(node: RevisionNode) -> str:
    number = "?" if node.revision is None else str(node.revision)
    return f"revision {number} ({node.name})"


def _counts(node: RevisionNode) -> tuple[int | None, int, int, int | None]:
    return (node.desired, node.current, node.ready, node.available)


def _pod_text(old: PodNode | None, new: PodNode) -> Change | None:
    bad = new.severity in (Severity.ERROR, Severity.WARNING)
    if old is None:
        return Change(ChangeKind.POD, f"pod {new.name} appeared ({new.status})")
    if new.deleting and not old.deleting:
        return Change(ChangeKind.POD, f"pod {new.name} terminating")
    if new.restarts > old.restarts:
        return Change(ChangeKind.POD, f"pod {new.name} restarted ({new.restarts})", True)
    became_ready = new.containers and new.ready >= new.containers
    was_ready = old.containers and old.ready >= old.containers
    if became_ready and not was_ready:
        return Change(ChangeKind.POD, f"pod {new.name} ready")
    if was_ready and not became_ready:
        return Change(ChangeKind.POD, f"pod {new.name} not ready ({new.status})", True)
    if new.status != old.status:
        return Change(ChangeKind.POD, f"pod {new.name} {new.status}", bad)
    return None


def tree_changes(old: RolloutTree | None, new: RolloutTree) -> list[Change]:
    """What differs between two trees of one workload, in words."""
    if old is None:
        current = next((n for n in new.revisions if n.is_current), None)
        pods = sum(len(n.pods) for n in new.revisions)
        what = f"{_label(current)} current" if current else "no current revision"
        return [Change(ChangeKind.START, f"ktui started watching: {what}, {pods} pods")]
    changes: list[Change] = []
    before = {n.uid: n for n in old.revisions if n.kind}
    old_current = next((n.uid for n in old.revisions if n.is_current), None)
    for node in new.revisions:
        if not node.kind:
            continue
        previous = before.get(node.uid)
        if previous is None:
            changes.append(Change(ChangeKind.REVISION, f"new {node.kind} {_label(node)}"))
        elif previous.revision != node.revision:
            changes.append(
                Change(ChangeKind.REVISION, f"{node.name} is revision {node.revision} now")
            )
        if node.is_current and node.uid != old_current:
            changes.append(Change(ChangeKind.REVISION, f"{_label(node)} is current"))
        if previous is not None and _counts(previous) != _counts(node):
            parts = []
            names = ("desired", "current", "ready", "available")
            for name, a, b in zip(names, _counts(previous), _counts(node), strict=True):
                if a != b and b is not None:
                    parts.append(f"{name} {a}→{b}")
            changes.append(Change(ChangeKind.REPLICAS, f"{node.name}: {', '.join(parts)}"))
    for uid, node in before.items():
        if all(n.uid != uid for n in new.revisions):
            changes.append(Change(ChangeKind.REVISION, f"{node.kind} {node.name} deleted"))
    old_pods = {p.uid: p for n in old.revisions for p in n.pods}
    new_pods = {p.uid: p for n in new.revisions for p in n.pods}
    for uid, pod in new_pods.items():
        change = _pod_text(old_pods.get(uid), pod)
        if change is not None:
            changes.append(change)
    for uid, pod in old_pods.items():
        if uid not in new_pods:
            changes.append(Change(ChangeKind.POD, f"pod {pod.name} deleted"))
    return changes


def _share(old: RolloutTree | None, new: RolloutTree) -> RolloutTree:
    """`new` with every node equal to one of `old` replaced by that node (memory is shared)."""
    if old is None:
        return new
    if old == new:
        return old
    old_nodes = {n.uid: n for n in old.revisions}
    old_pods = {p.uid: p for n in old.revisions for p in n.pods}
    revisions = []
    for node in new.revisions:
        previous = old_nodes.get(node.uid)
        if previous == node:
            revisions.append(previous)
            continue
        pods = tuple(old_pods[p.uid] if old_pods.get(p.uid) == p else p for p in node.pods)
        revisions.append(replace(node, pods=pods))
    budget = old.budget if old.budget == new.budget else new.budget
    return RolloutTree(new.kind, new.name, budget, tuple(revisions))


def event_change(event: Mapping[str, Any], about: str) -> Change:
    reason = str(event.get("reason") or "")
    message = " ".join(str(event.get("message") or "").split())
    warning = event.get("type") == "Warning"
    return Change(ChangeKind.EVENT, f"{about}: {reason} {message}".rstrip(), warning)


UNWATCHED_GAP_S = 5.0
"""A gap in watching a workload shorter than this (a namespace switch's re-list) is not said
on the entry that follows it."""


class Timeline:
    """Per workload uid, the entries so far (oldest first, at most `TIMELINE_LIMIT`)."""

    def __init__(self, limit: int = TIMELINE_LIMIT) -> None:
        self.limit = limit
        self._entries: dict[str, deque[TimelineEntry]] = {}
        self._last: dict[str, RolloutTree] = {}
        self._pod_places: dict[str, tuple[str, PodPlace]] = {}
        """Pod uid -> (resourceVersion, what the tree reads of it): a pod is read again only
        when it changed."""
        self._seen_events: dict[str, str] = {}
        """Event uid -> its count and last time, as last recorded (an update that repeats it
        is not a new change)."""
        self._unwatched_since: dict[str, datetime] = {}
        """Workload uid -> since when ktui has not watched it (`unwatched`): its next entry
        says its changes happened in that gap."""

    def unwatched(self, uids: Iterable[str], since: datetime) -> None:
        """ktui stops watching these workloads at `since` (a namespace switch restarts every
        watch); a workload not watched since earlier keeps the earlier moment."""
        for uid in uids:
            self._unwatched_since.setdefault(uid, since)

    def entries(self, uid: str) -> list[TimelineEntry]:
        return list(self._entries.get(uid, ()))

    def count(self, uid: str) -> int:
        return len(self._entries.get(uid, ()))

    def latest(self, uid: str) -> RolloutTree | None:
        """The workload's tree as of the last batch that touched it."""
        return self._last.get(uid)

    def __len__(self) -> int:
        return len(self._entries)

    def _place_of(self, pod: Mapping[str, Any]) -> PodPlace:
        meta = pod.get("metadata") or {}
        uid = str(meta.get("uid", ""))
        version = str(meta.get("resourceVersion", ""))
        known = self._pod_places.get(uid)
        if known is not None and known[0] == version and version:
            return known[1]
        place = pod_place(pod)
        self._pod_places[uid] = (version, place)
        return place

    def note_pod(self, pod: Mapping[str, Any], place: PodPlace) -> None:
        """Remember what the tree reads of this pod object, read ahead (`model.prepared`)."""
        version = str((pod.get("metadata") or {}).get("resourceVersion", ""))
        self._pod_places[place.uid] = (version, place)

    def record(
        self,
        uid: str,
        workload: Obj,
        children: Iterable[Obj],
        pods: Iterable[Obj],
        events: Iterable[Change],
        now: datetime,
    ) -> TimelineEntry | None:
        """Rebuild the workload's tree; an entry when anything that matters changed."""
        tree = build_rollout_tree(workload, children, pods, self._place_of)
        old = self._last.get(uid)
        changes = tree_changes(old, tree)
        changes.extend(events)
        tree = _share(old, tree)
        self._last[uid] = tree
        unwatched = self._unwatched_since.pop(uid, None)
        if not changes:
            return None
        if unwatched is not None and (now - unwatched).total_seconds() < UNWATCHED_GAP_S:
            unwatched = None  # a switch's re-list: too short a gap to say
        entry = TimelineEntry(now, tuple(changes), tree, unwatched)
        entries = self._entries.get(uid)
        if entries is None:
            entries = self._entries[uid] = deque(maxlen=self.limit)
        entries.append(entry)
        return entry

    def new_event(self, event: Mapping[str, Any]) -> bool:
        """Whether this Event upsert says something not recorded yet (a new event, or one
        whose count went up)."""
        meta = event.get("metadata") or {}
        uid = str(meta.get("uid", ""))
        stamp = f"{event.get('count')}/{event.get('lastTimestamp') or event.get('eventTime')}"
        if self._seen_events.get(uid) == stamp:
            return False
        self._seen_events[uid] = stamp
        return True

    def forget(self, uid: str) -> None:
        """The workload was deleted: its timeline goes with it."""
        self._entries.pop(uid, None)
        self._last.pop(uid, None)
        self._unwatched_since.pop(uid, None)

    def forget_pod(self, uid: str) -> None:
        self._pod_places.pop(uid, None)

    def forget_event(self, uid: str) -> None:
        self._seen_events.pop(uid, None)


__all__ = [
    "TIMELINE_LIMIT",
    "Change",
    "ChangeKind",
    "Timeline",
    "TimelineEntry",
    "event_change",
    "tree_changes",
]
