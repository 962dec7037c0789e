"""The pod garbage collector (pkg/controller/podgc/gc_controller.go, v1.20).

- Pods bound to a node that no longer exists are force-deleted (grace 0) once the node has been
  missing for the quarantine time (40s upstream; controller clock) and a fresh read confirms it.
- Terminating pods that were never scheduled are force-deleted.
- Beyond `terminated_threshold` finished (Succeeded / Failed) pods, the oldest are deleted.
"""

from __future__ import annotations

from typing import Any

from ktui.sim.controllers import util
from ktui.sim.controllers.base import Controller, ControllerContext, Informer
from ktui.sim.store import StoreError

Obj = dict[str, Any]

QUARANTINE_SECONDS = 40.0
TERMINATED_THRESHOLD = 12500
_TERMINATED_KEY = "\x00terminated"
_NODE_PREFIX = "\x00node/"


def _terminated(pod: Obj) -> bool:
    return util.pod_phase(pod) not in ("Pending", "Running", "Unknown", "")


class PodGCController(Controller):
    name = "pod-garbage-collector"

    def __init__(
        self,
        ctx: ControllerContext,
        quarantine: float = QUARANTINE_SECONDS,
        terminated_threshold: int = TERMINATED_THRESHOLD,
    ) -> None:
        super().__init__(ctx)
        self.quarantine = quarantine
        self.terminated_threshold = terminated_threshold
        self._terminated: set[tuple[str, str]] = set()

    def register(self) -> None:
        self.pods: Informer = self.informers.informer("", "pods")
        self.nodes: Informer = self.informers.informer("", "nodes")
        self.pods.add_handler(
            on_add=self._pod_seen,
            on_update=lambda old, new: self._pod_seen(new),
            on_delete=self._pod_gone,
        )
        self.nodes.add_handler(on_delete=self._node_deleted)

    def resync(self) -> None:
        for pod in self.pods.list():
            self._pod_seen(pod)

    def _pod_seen(self, pod: Obj) -> None:
        key = (util.namespace_of(pod), util.name_of(pod))
        node = util.pod_node(pod)
        if node and self.nodes.get(None, node) is None and self.nodes.synced.is_set():
            self.queue.add_after(_NODE_PREFIX + node, self.quarantine)
        if util.is_deleting(pod) and not node:
            self.queue.add(util.key_of(pod))
        if _terminated(pod):
            self._terminated.add(key)
            if len(self._terminated) > self.terminated_threshold:
                self.queue.add(_TERMINATED_KEY)
        else:
            self._terminated.discard(key)

    def _pod_gone(self, pod: Obj) -> None:
        self._terminated.discard((util.namespace_of(pod), util.name_of(pod)))

    def _node_deleted(self, node: Obj) -> None:
        self.queue.add_after(_NODE_PREFIX + util.name_of(node), self.quarantine)

    def _force_delete(self, pod: Obj) -> None:
        try:
            self.api_delete("", "pods", util.namespace_of(pod), util.name_of(pod), 0)
        except StoreError as exc:
            if exc.code != 404:
                raise

    def sync(self, key: str) -> float | None:
        if key.startswith(_NODE_PREFIX):
            node = key[len(_NODE_PREFIX) :]
            if self.nodes.get(None, node) is not None:
                return None
            try:
                self.client.get("", "nodes", None, node)
                return None
            except StoreError as exc:
                if exc.code != 404:
                    raise
            for pod in self.pods.list():
                if util.pod_node(pod) == node:
                    self._force_delete(pod)
            return None
        if key == _TERMINATED_KEY:
            pods = [
                p
                for p in (self.pods.get(ns, name) for ns, name in list(self._terminated))
                if p is not None and _terminated(p)
            ]
            excess = len(pods) - self.terminated_threshold
            if excess > 0:
                for pod in sorted(pods, key=util.creation_sort_key)[:excess]:
                    self._force_delete(pod)
            return None
        namespace, name = util.split_key(key)
        current = self.pods.get(namespace, name)
        if current is not None and util.is_deleting(current) and not util.pod_node(current):
            self._force_delete(current)
        return None
