"""An index of ownerReferences: who owns whom, kept current on every upsert and delete.

The index stores only uids, kinds and owner references, never the objects. It answers
`children(uid)` (what a Deployment's ReplicaSets are, what a ReplicaSet's Pods are),
`controller_of(uid)` and `owner_chain(uid)` (Pod -> ReplicaSet -> Deployment).

Objects arrive in any order across kinds (a Pod's watch can deliver it before the ReplicaSet's
watch delivers its owner), so the child sets are keyed by the owner's uid whether or not that
owner is known yet. A child set exists exactly as long as some indexed object names that owner,
so deleting objects never leaves entries behind. An owner that is deleted while its children are
still indexed keeps its child set (the children still point at it until the garbage collector
removes them); it disappears with the last child.

All methods are thread-safe: watch threads update, the UI thread reads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class OwnerRef:
    uid: str
    kind: str
    name: str
    controller: bool


def owner_refs_of(obj: Mapping[str, Any]) -> tuple[OwnerRef, ...]:
    """The well-formed ownerReferences of an object, in the object's order."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return ()
    raw_refs = metadata.get("ownerReferences")
    if not isinstance(raw_refs, list):
        return ()
    refs: list[OwnerRef] = []
    for raw in raw_refs:
        if not isinstance(raw, dict):
            continue
        uid = raw.get("uid")
        if not isinstance(uid, str) or not uid:
            continue
        kind = raw.get("kind")
        name = raw.get("name")
        refs.append(
            OwnerRef(
                uid=uid,
                kind=kind if isinstance(kind, str) else "",
                name=name if isinstance(name, str) else "",
                controller=raw.get("controller") is True,
            )
        )
    return tuple(refs)


def _chain_owner(refs: tuple[OwnerRef, ...]) -> OwnerRef | None:
    """The owner a chain follows: the controller if there is one, else the first owner."""
    for ref in refs:
        if ref.controller:
            return ref
    return refs[0] if refs else None


class OwnershipIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kind_of: dict[str, str] = {}
        self._owners_of: dict[str, tuple[OwnerRef, ...]] = {}
        # owner uid -> child uids; a dict as an insertion-ordered set.
        self._children_of: dict[str, dict[str, None]] = {}

    # -- updates (watch threads) ------------------------------------------------------------

    def upsert(self, kind: str, uid: str, obj: Mapping[str, Any]) -> None:
        with self._lock:
            self._upsert_locked(kind, uid, obj)

    def _upsert_locked(self, kind: str, uid: str, obj: Mapping[str, Any]) -> None:
        refs = owner_refs_of(obj)
        self._kind_of[uid] = kind
        previous = self._owners_of.get(uid, ())
        if previous == refs:
            return
        self._unlink(uid, previous)
        if refs:
            self._owners_of[uid] = refs
            for ref in refs:
                self._children_of.setdefault(ref.uid, {})[uid] = None
        else:
            self._owners_of.pop(uid, None)

    def delete(self, uid: str) -> None:
        with self._lock:
            self._delete_locked(uid)

    def apply(
        self, kind: str, changes: Iterable[tuple[str, Mapping[str, Any] | None, bool]]
    ) -> None:
        """Apply (uid, object or None for a delete, _) changes of one kind in order."""
        with self._lock:
            for uid, obj, _existed in changes:
                if obj is None:
                    self._delete_locked(uid)
                else:
                    self._upsert_locked(kind, uid, obj)

    def _delete_locked(self, uid: str) -> None:
        self._kind_of.pop(uid, None)
        self._unlink(uid, self._owners_of.pop(uid, ()))

    def clear(self) -> None:
        with self._lock:
            self._kind_of.clear()
            self._owners_of.clear()
            self._children_of.clear()

    def _unlink(self, uid: str, refs: tuple[OwnerRef, ...]) -> None:
        for ref in refs:
            children = self._children_of.get(ref.uid)
            if children is None:
                continue
            children.pop(uid, None)
            if not children:
                del self._children_of[ref.uid]

    # -- queries ----------------------------------------------------------------------------

    def __contains__(self, uid: object) -> bool:
        with self._lock:
            return uid in self._kind_of

    def __len__(self) -> int:
        with self._lock:
            return len(self._kind_of)

    def kind_of(self, uid: str) -> str | None:
        with self._lock:
            return self._kind_of.get(uid)

    def owners(self, uid: str) -> tuple[OwnerRef, ...]:
        """All ownerReferences of `uid` (known objects only; () otherwise)."""
        with self._lock:
            return self._owners_of.get(uid, ())

    def children(self, uid: str, kind: str | None = None) -> list[str]:
        """Uids of the indexed objects that name `uid` as an owner, optionally only of `kind`.

        Children of an owner not (or no longer) indexed are returned too: they still point at it.
        """
        with self._lock:
            children = self._children_of.get(uid)
            if not children:
                return []
            if kind is None:
                return list(children)
            return [child for child in children if self._kind_of.get(child) == kind]

    def controller_of(self, uid: str) -> str | None:
        """The uid of `uid`'s controller (the ownerReference with controller=true), if any."""
        with self._lock:
            for ref in self._owners_of.get(uid, ()):
                if ref.controller:
                    return ref.uid
            return None

    def owner_chain(self, uid: str) -> list[str]:
        """`uid`'s owner, that owner's owner, ... nearest first (Pod -> [ReplicaSet, Deployment]).

        Each step follows the controller reference (else the first owner). The chain holds only
        indexed objects: it stops before the first owner that is not (yet) in the cache, and
        at a cycle.
        """
        chain: list[str] = []
        seen = {uid}
        with self._lock:
            current = uid
            while True:
                ref = _chain_owner(self._owners_of.get(current, ()))
                if ref is None or ref.uid in seen or ref.uid not in self._kind_of:
                    return chain
                chain.append(ref.uid)
                seen.add(ref.uid)
                current = ref.uid

    def stats(self) -> dict[str, int]:
        """Sizes of the internal maps (for tests and diagnostics: they must not grow unbounded)."""
        with self._lock:
            return {
                "objects": len(self._kind_of),
                "with_owners": len(self._owners_of),
                "owners_with_children": len(self._children_of),
            }
