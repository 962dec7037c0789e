"""The ReplicaSet controller (pkg/controller/replicaset/replica_set.go, v1.20).

Keeps `spec.replicas` active pods per ReplicaSet: creates pods from the template (named by the
apiserver from generateName `<rs>-`, owned with controller=true / blockOwnerDeletion=true) in
slow-start batches of at most 500 per sync, and deletes the surplus in the ActivePodsWithRanks
order (unscheduled < scheduled, Pending < Unknown < Running, not ready < ready, more pods of the
same deployment on the node first, ready for less time first, more restarts first, newer first).
Adopts matching orphans, releases pods that stopped matching, and writes status replicas /
fullyLabeledReplicas / readyReplicas / availableReplicas / observedGeneration and the
ReplicaFailure condition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ktui.sim.controllers import util
from ktui.sim.controllers.base import (
    Controller,
    Informer,
    OwnedObjects,
    claim_objects,
    create_pod_from_template,
    deep_copy,
    delete_pod,
    min_ready_requeue,
    recheck_owner,
    slow_start_batch,
)
from ktui.sim.store import StoreError

Obj = dict[str, Any]

BURST_REPLICAS = 500
SLOW_START_INITIAL_BATCH = 1
STATUS_UPDATE_RETRIES = 1


class ReplicaSetController(Controller):
    name = "replicaset-controller"
    kind = "ReplicaSet"
    api_version = "apps/v1"

    def register(self) -> None:
        self.replicasets: Informer = self.informers.informer("apps", "replicasets")
        self.pods: Informer = self.informers.informer("", "pods")
        self.replicasets.add_handler(
            on_add=self.enqueue,
            on_update=lambda old, new: self.enqueue(new),
            on_delete=self.enqueue,
        )
        self.owned_pods = OwnedObjects(
            self.replicasets,
            self.kind,
            self.enqueue,
            deleting_update_is_delete=True,
            after_owner_update=min_ready_requeue(self.queue, slack=1),
        )
        self.pods.add_handler(
            on_add=self.owned_pods.added,
            on_update=self.owned_pods.updated,
            on_delete=self.owned_pods.enqueue_owner,
        )

    def resync(self) -> None:
        for rs in self.replicasets.list():
            self.enqueue(rs)

    # --- sync ------------------------------------------------------------------------------

    def sync(self, key: str) -> float | None:
        namespace, name = util.split_key(key)
        rs = self.replicasets.get(namespace, name)
        if rs is None:
            return None
        selector = util.selector_of(rs)
        uid = util.uid_of(rs)
        candidates = [
            p
            for p in (*self.pods.controlled_by(uid), *self.pods.orphans(namespace))
            if util.is_pod_active(p)
        ]
        pods = claim_objects(
            self,
            rs,
            self.api_version,
            self.kind,
            "",
            "pods",
            candidates,
            lambda p: not selector.empty and selector.matches(util.labels_of(p)),
            recheck_owner(self, "apps", "replicasets", rs),
        )
        manage_error: Exception | None = None
        if not util.is_deleting(rs):
            try:
                self._manage_replicas(pods, rs)
            except Exception as exc:
                manage_error = exc
        new_status = calculate_status(rs, pods, manage_error, self.clock())
        updated = self._update_status(rs, new_status)
        after = None
        if manage_error is None and updated is not None:
            after = self._next_availability(updated, pods)
        if manage_error is not None:
            raise manage_error
        return after

    def _next_availability(self, rs: Obj, pods: list[Obj]) -> float | None:
        """When a ready pod passes minReadySeconds, status.availableReplicas changes: look again
        then (upstream requeues after minReadySeconds for the same reason)."""
        min_ready = util.int_field(rs.get("spec"), "minReadySeconds")
        if min_ready <= 0:
            return None
        now = self.clock()
        soonest: float | None = None
        for pod in pods:
            at = util.available_at(pod, min_ready)
            if at is None or util.is_pod_available(pod, min_ready, now):
                continue
            wait = max(at - now, 0.0) + 1.0
            soonest = wait if soonest is None else min(soonest, wait)
        return soonest

    def _manage_replicas(self, pods: list[Obj], rs: Obj) -> None:
        replicas = util.int_field(rs.get("spec"), "replicas", 1)
        diff = len(pods) - replicas
        if diff < 0:
            count = min(-diff, BURST_REPLICAS)
            template = (rs.get("spec") or {}).get("template") or {}
            if not util.labels_of(template):
                raise ValueError("unable to create pods, no labels")

            def create() -> None:
                try:
                    create_pod_from_template(self, template, rs, self.api_version, self.kind)
                except StoreError as exc:
                    if exc.code == 403 and "being terminated" in exc.message:
                        return
                    raise

            _, error = slow_start_batch(count, SLOW_START_INITIAL_BATCH, create)
            if error is not None:
                raise error
        elif diff > 0:
            count = min(diff, BURST_REPLICAS)
            related = self._related_pods(rs)
            first_error: Exception | None = None
            for pod in pods_to_delete(pods, related, count):
                try:
                    delete_pod(self, rs, pod)
                except Exception as exc:
                    if first_error is None:
                        first_error = exc
            if first_error is not None:
                raise first_error

    def _related_pods(self, rs: Obj) -> list[Obj]:
        """getIndirectlyRelatedPods: pods of every ReplicaSet with the same controller."""
        ref = util.controller_ref(rs)
        if ref is None:
            return []
        seen: set[str] = set()
        related = []
        for sibling in self.replicasets.list(util.namespace_of(rs)):
            sibling_ref = util.controller_ref(sibling)
            if sibling_ref is None or sibling_ref.get("uid") != ref.get("uid"):
                continue
            for pod in self.pods.controlled_by(util.uid_of(sibling)):
                uid = util.uid_of(pod)
                if uid not in seen:
                    seen.add(uid)
                    related.append(pod)
        return related

    def _update_status(self, rs: Obj, new_status: Obj) -> Obj | None:
        """updateReplicaSetStatus: write only when something changed; one retry on conflict."""
        status = rs.get("status") or {}
        generation = util.int_field(rs.get("metadata"), "generation")
        if (
            _same_counts(status, new_status)
            and generation == util.int_field(status, "observedGeneration")
            and (status.get("conditions") or []) == (new_status.get("conditions") or [])
        ):
            return rs
        new_status = dict(new_status)
        new_status["observedGeneration"] = generation
        current = rs
        for attempt in range(STATUS_UPDATE_RETRIES + 1):
            candidate = deep_copy(current)
            candidate["status"] = render_status(new_status)
            try:
                return self.api_update_status("apps", "replicasets", candidate)
            except StoreError as exc:
                if exc.code != 409 or attempt >= STATUS_UPDATE_RETRIES:
                    raise
                current = self.client.get(
                    "apps", "replicasets", util.namespace_of(rs), util.name_of(rs)
                )
        return None


def _same_counts(status: Mapping[str, Any], new_status: Mapping[str, Any]) -> bool:
    return all(
        util.int_field(status, k) == util.int_field(new_status, k)
        for k in ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas")
    )


def calculate_status(rs: Obj, pods: list[Obj], manage_error: Exception | None, now: float) -> Obj:
    """calculateStatus of replica_set_utils.go."""
    spec = rs.get("spec") or {}
    template_labels = util.labels_of(spec.get("template") or {})
    min_ready = util.int_field(spec, "minReadySeconds")
    fully_labeled = ready = available = 0
    for pod in pods:
        labels = util.labels_of(pod)
        if all(labels.get(k) == v for k, v in template_labels.items()):
            fully_labeled += 1
        if util.is_pod_ready(pod):
            ready += 1
            if util.is_pod_available(pod, min_ready, now):
                available += 1
    status = rs.get("status") or {}
    conditions = [c for c in status.get("conditions") or () if isinstance(c, dict)]
    failure = next((c for c in conditions if c.get("type") == "ReplicaFailure"), None)
    if manage_error is not None and failure is None:
        diff = len(pods) - util.int_field(spec, "replicas", 1)
        reason = "FailedCreate" if diff < 0 else "FailedDelete" if diff > 0 else ""
        message = (
            manage_error.message if isinstance(manage_error, StoreError) else str(manage_error)
        )
        condition: Obj = {
            "type": "ReplicaFailure",
            "status": "True",
            "lastTransitionTime": util.rfc3339(now),
        }
        if reason:
            condition["reason"] = reason
        if message:
            condition["message"] = message
        conditions = [*conditions, condition]
    elif manage_error is None and failure is not None:
        conditions = [c for c in conditions if c.get("type") != "ReplicaFailure"]
    return {
        "replicas": len(pods),
        "fullyLabeledReplicas": fully_labeled,
        "readyReplicas": ready,
        "availableReplicas": available,
        "observedGeneration": util.int_field(status, "observedGeneration"),
        "conditions": conditions,
    }


def render_status(status: Mapping[str, Any]) -> Obj:
    """The status as the API prints it (omitempty: zero counts and empty lists are left out,
    `replicas` always present)."""
    out: Obj = {"replicas": util.int_field(status, "replicas")}
    for key in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration"):
        value = util.int_field(status, key)
        if value:
            out[key] = value
    if status.get("conditions"):
        out["conditions"] = list(status["conditions"])
    return out


def pods_to_delete(pods: list[Obj], related: list[Obj], count: int) -> list[Obj]:
    """getPodsToDelete: the first `count` pods in ActivePodsWithRanks order, ranked by how many
    active related pods share their node."""
    if count >= len(pods):
        return list(pods)[:count]
    on_node: dict[str, int] = {}
    for pod in related:
        if util.is_pod_active(pod):
            node = util.pod_node(pod)
            on_node[node] = on_node.get(node, 0) + 1
    ranked = sorted(
        pods, key=lambda p: util.active_pod_sort_key(p, on_node.get(util.pod_node(p), 0))
    )
    return ranked[:count]


__all__ = ["ReplicaSetController", "calculate_status", "pods_to_delete"]
