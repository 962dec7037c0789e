"""Every object the change batches delivered, by kind and uid, plus who owns whom.

The UI never reads the watch caches: they run ahead of the batches. The mirror is filled only
by `apply(batch)`, and its `OwnershipIndex` is fed from the same batch, so an owner chain never
names an object the screens have not been told about yet. Objects are shared with the cache
(never copied): treat them as read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from ktui.cluster.batcher import ChangeBatch
from ktui.cluster.kinds import REVISION_KINDS
from ktui.cluster.objects import involved_object, name_of, namespace_of, uid_of
from ktui.cluster.ownership import OwnershipIndex
from ktui.cluster.state import CacheState
from ktui.view.age import parse_time

Obj = dict[str, Any]
Target = tuple[str, str, str]
"""(kind, namespace, name): how an Event names the object it is about."""

_EMPTY: Mapping[str, Obj] = {}

__all__ = [
    "ObjectMirror",
    "batch_touches",
    "kind_of",
    "label_of",
    "name_of",
    "namespace_of",
    "uid_of",
]
"""The accessors are the cluster package's (`ktui.cluster.objects`), re-exported here."""

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"


def kind_of(obj: Mapping[str, Any]) -> str:
    """The object's kind (the cache fills `kind` in on arrival, list items included)."""
    kind = obj.get("kind")
    return kind if isinstance(kind, str) else ""


def label_of(obj: Mapping[str, Any]) -> str:
    """ "Deployment/web"."""
    return f"{kind_of(obj) or 'Object'}/{name_of(obj)}"


def batch_touches(batch: ChangeBatch, uids: Iterable[str], kinds: Iterable[str] = ()) -> bool:
    """Whether a batch upserts or deletes any of `uids`, or anything of `kinds`."""
    for kind in kinds:
        if batch.upserts.get(kind) or batch.deletes.get(kind):
            return True
    wanted = set(uids)
    for objects in batch.upserts.values():
        if not wanted.isdisjoint(objects):
            return True
    return any(not wanted.isdisjoint(deleted) for deleted in batch.deletes.values())


def revision_number(obj: Mapping[str, Any]) -> str | None:
    """A ReplicaSet's deployment.kubernetes.io/revision annotation, a ControllerRevision's
    `revision` (as text), None when it has none."""
    if kind_of(obj) == "ControllerRevision":
        value = obj.get("revision")
        return None if value is None else str(value)
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(REVISION_ANNOTATION) if isinstance(annotations, Mapping) else None
    return None if value is None else str(value)


_Key = TypeVar("_Key")


def _discard(index: dict[_Key, set[str]], key: _Key, uid: str) -> None:
    found = index.get(key)
    if found is not None:
        found.discard(uid)
        if not found:
            del index[key]


class ObjectMirror:
    """What the UI knows of the cluster: kind -> uid -> object, as of the last batch applied."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._by_kind: dict[str, dict[str, Obj]] = {}
        self.index = OwnershipIndex()
        self.states: dict[str, CacheState] = {}
        """kind -> the cache state the last batch that mentioned it carried."""
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.started = self.clock()
        """When this mirror began: a revision created later was deployed while we watched."""
        self._deployed: dict[str, datetime] = {}
        """ReplicaSet / ControllerRevision uid -> when a batch showed its revision change (a
        rollout or a rollback made it current again)."""
        # Which events are about what, kept as Event batches arrive: `events_about` is asked on
        # every open of a pod or describe screen and on every Event batch while one is shown;
        # a big cluster keeps tens of thousands of events, too many to scan each time.
        self._event_about: dict[str, tuple[str, Target, int]] = {}
        """Event uid -> (its involved object's uid or "", its (kind, namespace, name), the
        order it first arrived in)."""
        self._events_by_uid: dict[str, set[str]] = {}
        self._events_by_target: dict[Target, set[str]] = {}
        self._event_arrivals = 0

    def keep_history_of(self, previous: ObjectMirror) -> None:
        """Go on from `previous`, a mirror of another scope of the same cluster (a namespace
        switch): when ktui started and the deploys it saw stay known, so a revision seen
        deployed before the switch is not shown as "only its creation time" after it."""
        self.started = previous.started
        self._deployed.update(previous._deployed)

    def apply(self, batch: ChangeBatch) -> None:
        for kind in REVISION_KINDS:
            self._note_revisions(kind, batch.upserts.get(kind, {}))
            for uid in batch.deletes.get(kind, ()):
                self._deployed.pop(uid, None)
        self._index_events(batch.upserts.get("Event", _EMPTY), batch.deletes.get("Event", ()))
        for kind, upserts in batch.upserts.items():
            self._by_kind.setdefault(kind, {}).update(upserts)
            self.index.apply(kind, ((uid, obj, True) for uid, obj in upserts.items()))
        for kind, uids in batch.deletes.items():
            objects = self._by_kind.get(kind)
            if objects is not None:
                for uid in uids:
                    objects.pop(uid, None)
            self.index.apply(kind, ((uid, None, True) for uid in uids))
        self.states.update(batch.states)

    def _index_events(self, upserts: Mapping[str, Obj], deletes: Iterable[str]) -> None:
        about = self._event_about
        for uid in deletes:
            self._unindex_event(uid)
        for uid, event in upserts.items():
            involved = involved_object(event)
            involved_uid = involved.get("uid")
            involved_uid = involved_uid if isinstance(involved_uid, str) else ""
            namespace = involved.get("namespace") or namespace_of(event)
            target = (str(involved.get("kind", "")), str(namespace), str(involved.get("name", "")))
            known = about.get(uid)
            if known is not None and known[:2] == (involved_uid, target):
                continue
            arrival = known[2] if known is not None else self._event_arrivals
            if known is None:
                self._event_arrivals += 1
            else:
                self._unindex_event(uid)
            about[uid] = (involved_uid, target, arrival)
            if involved_uid:
                self._events_by_uid.setdefault(involved_uid, set()).add(uid)
            self._events_by_target.setdefault(target, set()).add(uid)

    def _unindex_event(self, uid: str) -> None:
        known = self._event_about.pop(uid, None)
        if known is None:
            return
        involved_uid, target, _arrival = known
        _discard(self._events_by_uid, involved_uid, uid)
        _discard(self._events_by_target, target, uid)

    def _note_revisions(self, kind: str, upserts: Mapping[str, Obj]) -> None:
        known = self._by_kind.get(kind, _EMPTY)
        now: datetime | None = None
        for uid, obj in upserts.items():
            old = known.get(uid)
            if old is None:
                continue
            new_revision = revision_number(obj)
            if new_revision is not None and new_revision != revision_number(old):
                now = now or self.clock()
                self._deployed[uid] = now

    # ------------------------------------------------------------------ queries

    def deployed_at(self, uid: str) -> tuple[datetime | None, bool]:
        """When the ReplicaSet / ControllerRevision `uid` was last deployed, and whether that
        was seen (True: its revision number changed in a batch, or it was created after this
        mirror started) or is only its creation time (False: nothing better is known)."""
        seen = self._deployed.get(uid)
        if seen is not None:
            return seen, True
        obj = self.get(uid)
        created = parse_time((obj.get("metadata") or {}).get("creationTimestamp")) if obj else None
        # creationTimestamp has whole seconds: compare with the second ktui started in.
        return created, created is not None and created >= self.started.replace(microsecond=0)

    def objects(self, kind: str) -> Mapping[str, Obj]:
        """uid -> object of `kind` (empty when none arrived, or the kind is not watched)."""
        return self._by_kind.get(kind, _EMPTY)

    def get(self, uid: str) -> Obj | None:
        kind = self.index.kind_of(uid)
        if kind is None:
            return None
        return self._by_kind.get(kind, _EMPTY).get(uid)

    def kind_of(self, uid: str) -> str | None:
        return self.index.kind_of(uid)

    def owner_chain(self, uid: str) -> list[str]:
        return self.index.owner_chain(uid)

    def controller_of(self, uid: str) -> str | None:
        return self.index.controller_of(uid)

    def children(self, uid: str, kind: str | None = None) -> list[Obj]:
        """The objects that name `uid` as an owner (optionally only of `kind`)."""
        found = []
        for child_uid in self.index.children(uid, kind):
            child = self.get(child_uid)
            if child is not None:
                found.append(child)
        return found

    def descendants(self, uid: str, depth: int = 3) -> list[str]:
        """Objects owned by `uid`, their own dependents, ... (CronJob -> Job -> Pod is depth 2)."""
        found: list[str] = []
        frontier = [uid]
        seen = {uid}
        for _ in range(depth):
            next_frontier: list[str] = []
            for owner in frontier:
                for child in self.index.children(owner):
                    if child not in seen:
                        seen.add(child)
                        found.append(child)
                        next_frontier.append(child)
            frontier = next_frontier
        return found

    def events_about(self, objects: Iterable[Mapping[str, Any]]) -> list[Obj]:
        """Events whose involved object is one of `objects`, by uid, or by (kind, namespace,
        name) for events recorded before the object had a uid or by tools that leave it out."""
        matched: set[str] = set()
        for obj in objects:
            uid = uid_of(obj)
            if uid:
                matched.update(self._events_by_uid.get(uid, ()))
            target = (kind_of(obj), namespace_of(obj), name_of(obj))
            matched.update(self._events_by_target.get(target, ()))
        about = self._event_about
        events = self.objects("Event")
        found = []
        # In the order the events first arrived, as the mirror holds them.
        for uid in sorted(matched, key=lambda uid: about[uid][2]):
            event = events.get(uid)
            if event is not None:
                found.append(event)
        return found
