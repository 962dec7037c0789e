"""A workload's rollout as a tree: revision -> ReplicaSet / ControllerRevision -> pods.

What `kubectl argo rollouts get rollout -w` draws for an Argo Rollout, for the built-in kinds,
plus the rolling update's budget resolved to numbers exactly as kube-controller-manager does:

- Deployment (deployment/util ResolveFenceposts, MaxSurge, MaxUnavailable): maxSurge and
  maxUnavailable scaled against spec.replicas by `intstr.GetScaledValueFromIntOrPercent`, surge
  rounded up, unavailable rounded down; both 0 -> unavailable 1; maxUnavailable capped at the
  replicas (0 when there are none). The controller keeps the pods of all ReplicaSets (their
  spec.replicas) at most replicas + maxSurge and the available pods at least
  replicas - maxUnavailable. Recreate has no budget.
- StatefulSet (stateful_set_control getStatefulSetMaxUnavailable): partition (ordinals below it
  keep the current revision) and maxUnavailable scaled against the replicas rounded down,
  default 1, never below 1 (honoured only with the MaxUnavailableStatefulSet feature gate; one at
  a time otherwise, which is the same number for the default). OnDelete has no budget.
- DaemonSet (daemon/util SurgeCount, UnavailableCount, updatedDesiredNodeCounts): per node,
  against status.desiredNumberScheduled, both rounded up; both 0 with nodes to run on ->
  unavailable 1. maxSurge nodes may run an old and a new pod at once; maxUnavailable nodes may
  be without an available pod.

Pure: objects in, frozen dataclasses out (no clock, no model), so the same function draws the
tree now and at any moment the timeline kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ktui.view import _json as j
from ktui.view.children import (
    child_revision,
    controller_revision_rows,
    current_replicaset_name,
    revision_of,
)
from ktui.view.images import container_images, pod_template
from ktui.view.pod import Severity, pod_ready, pod_restarts, pod_status_reason, status_severity

REVISION_HASH_LABEL = "controller-revision-hash"
STATEFULSET_POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
_EPOCH_ZERO = datetime(1970, 1, 1, tzinfo=UTC)
"""Which revision is current does not depend on the time."""
_ATOI = re.compile(r"^[+-]?[0-9]+$")


class IntOrPercentError(ValueError):
    """The value is neither an int nor "N%" (the API server's validation refuses such values)."""


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent: an int as is; "N%" of `total`, rounded up or
    down (math.Ceil / math.Floor of N * total / 100 in float64). Raises IntOrPercentError for
    anything else, as the Go function returns an error."""
    if isinstance(value, bool):
        raise IntOrPercentError(f"invalid value for IntOrString: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%") and _ATOI.match(value[:-1]):
        scaled = float(int(value[:-1])) * float(total) / 100
        return math.ceil(scaled) if round_up else math.floor(scaled)
    raise IntOrPercentError(f"invalid value for IntOrString: invalid value {value!r}")


def resolve_fenceposts(max_surge: Any, max_unavailable: Any, desired: int) -> tuple[int, int]:
    """deployment/util ResolveFenceposts: (surge, unavailable); a missing value is 0."""
    surge = scaled_value(0 if max_surge is None else max_surge, desired, True)
    unavailable = scaled_value(0 if max_unavailable is None else max_unavailable, desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


@dataclass(frozen=True)
class Budget:
    """The rolling update's limits, resolved, and where the workload stands against them."""

    kind: str
    strategy: str
    """RollingUpdate, Recreate or OnDelete (as the spec names it)."""
    desired: int
    """Deployment/StatefulSet: spec.replicas; DaemonSet: nodes that should run a pod."""
    max_surge: int | None = None
    """Resolved; None where the kind or strategy has no surge."""
    max_unavailable: int | None = None
    surge_spec: str = ""
    """The value as written ("25%", "1"), for showing how the number came about."""
    unavailable_spec: str = ""
    partition: int | None = None
    """StatefulSet RollingUpdate only."""
    pods: int = 0
    """Deployment: the ReplicaSets' spec.replicas summed (what the surge limit is checked
    against); StatefulSet: status.replicas; DaemonSet: nodes running a daemon pod."""
    available: int = 0
    """Deployment/StatefulSet: available replicas; DaemonSet: nodes with an available pod."""
    surging: int = 0
    """DaemonSet: nodes running more than one daemon pod (a surge in use)."""
    error: str = ""
    """Why the budget could not be resolved (a value validation would refuse)."""

    @property
    def max_pods(self) -> int | None:
        """Deployment: replicas + maxSurge, the most pods the ReplicaSets may ask for."""
        if self.max_surge is None:
            return None
        return self.desired + self.max_surge

    @property
    def min_available(self) -> int | None:
        """replicas - maxUnavailable: fewer available pods and the controller stops scaling
        old ReplicaSets down (never below 0)."""
        if self.max_unavailable is None:
            return None
        return max(0, self.desired - self.max_unavailable)


@dataclass(frozen=True)
class PodNode:
    name: str
    uid: str
    status: str
    """kubectl's STATUS."""
    severity: Severity
    ready: int
    containers: int
    restarts: int
    deleting: bool
    node: str


@dataclass(frozen=True)
class RevisionNode:
    kind: str
    """ReplicaSet or ControllerRevision ("" for the pods no revision claims)."""
    name: str
    uid: str
    revision: int | None
    is_current: bool
    is_previous: bool
    """The revision `rollout undo` goes back to by default (kubectl: the second-highest)."""
    desired: int | None
    """ReplicaSet spec.replicas; None for a ControllerRevision (it has no replicas)."""
    current: int
    """ReplicaSet status.replicas; ControllerRevision: its pods."""
    ready: int
    available: int | None
    """ReplicaSet status.availableReplicas; None for a ControllerRevision."""
    images: tuple[str, ...]
    pods: tuple[PodNode, ...]

    @property
    def scaled_down(self) -> bool:
        return not self.pods and not self.current and not self.desired


@dataclass(frozen=True)
class RolloutTree:
    kind: str
    name: str
    budget: Budget
    revisions: tuple[RevisionNode, ...]
    """Highest revision first; a last node of kind "" holds pods no revision claims."""

    def revision(self, uid: str) -> RevisionNode | None:
        return next((node for node in self.revisions if node.uid == uid), None)


# ---------------------------------------------------------------------- budget


def _rolling(strategy: Mapping[str, Any]) -> Mapping[str, Any]:
    return j.obj(strategy.get("rollingUpdate"))


def _spec_text(value: Any) -> str:
    return "" if value is None else str(value)


def _replicas(obj: j.Obj) -> int:
    value = j.spec(obj).get("replicas")
    return 1 if value is None else j.integer(value)


def deployment_budget(deployment: j.Obj, replicasets: Iterable[j.Obj]) -> Budget:
    spec = j.spec(deployment)
    strategy = j.obj(spec.get("strategy"))
    kind = j.text(strategy.get("type")) or "RollingUpdate"
    desired = _replicas(deployment)
    status = j.status(deployment)
    pods = sum(_replicas(rs) for rs in replicasets)
    available = j.integer(status.get("availableReplicas"))
    if kind != "RollingUpdate":
        return Budget("Deployment", kind, desired, pods=pods, available=available)
    rolling = _rolling(strategy)
    surge_value, unavailable_value = rolling.get("maxSurge"), rolling.get("maxUnavailable")
    try:
        surge, unavailable = resolve_fenceposts(surge_value, unavailable_value, desired)
    except IntOrPercentError as exc:
        return Budget("Deployment", kind, desired, pods=pods, available=available, error=str(exc))
    # MaxUnavailable: none with no replicas, never more than the replicas.
    unavailable = 0 if desired == 0 else min(unavailable, desired)
    return Budget(
        "Deployment",
        kind,
        desired,
        max_surge=surge,
        max_unavailable=unavailable,
        surge_spec=_spec_text(surge_value),
        unavailable_spec=_spec_text(unavailable_value),
        pods=pods,
        available=available,
    )


def statefulset_budget(statefulset: j.Obj) -> Budget:
    spec = j.spec(statefulset)
    strategy = j.obj(spec.get("updateStrategy"))
    kind = j.text(strategy.get("type")) or "RollingUpdate"
    desired = _replicas(statefulset)
    status = j.status(statefulset)
    pods = j.integer(status.get("replicas"))
    available = j.integer(status.get("availableReplicas", status.get("readyReplicas")))
    if kind != "RollingUpdate":
        return Budget("StatefulSet", kind, desired, pods=pods, available=available)
    rolling = _rolling(strategy)
    value = rolling.get("maxUnavailable")
    try:
        unavailable = max(1, scaled_value(1 if value is None else value, desired, False))
    except IntOrPercentError as exc:
        return Budget("StatefulSet", kind, desired, pods=pods, available=available, error=str(exc))
    return Budget(
        "StatefulSet",
        kind,
        desired,
        max_unavailable=unavailable,
        unavailable_spec=_spec_text(value) or "1",
        partition=j.integer(rolling.get("partition")),
        pods=pods,
        available=available,
    )


def daemonset_budget(daemonset: j.Obj, pods: Iterable[j.Obj]) -> Budget:
    spec = j.spec(daemonset)
    strategy = j.obj(spec.get("updateStrategy"))
    kind = j.text(strategy.get("type")) or "RollingUpdate"
    status = j.status(daemonset)
    desired = j.integer(status.get("desiredNumberScheduled"))
    per_node: dict[str, int] = {}
    for pod in pods:
        node = j.text(j.spec(pod).get("nodeName"))
        if node and j.meta(pod).get("deletionTimestamp") is None:
            per_node[node] = per_node.get(node, 0) + 1
    scheduled = j.integer(status.get("currentNumberScheduled"))
    available = j.integer(status.get("numberAvailable"))
    surging = sum(1 for count in per_node.values() if count > 1)
    if kind != "RollingUpdate":
        return Budget(
            "DaemonSet", kind, desired, pods=scheduled, available=available, surging=surging
        )
    rolling = _rolling(strategy)
    surge_value, unavailable_value = rolling.get("maxSurge"), rolling.get("maxUnavailable")
    try:
        surge = 0 if surge_value is None else scaled_value(surge_value, desired, True)
        unavailable = (
            1 if unavailable_value is None else scaled_value(unavailable_value, desired, True)
        )
    except IntOrPercentError as exc:
        return Budget(
            "DaemonSet",
            kind,
            desired,
            pods=scheduled,
            available=available,
            surging=surging,
            error=str(exc),
        )
    if desired > 0 and surge == 0 and unavailable == 0:
        unavailable = 1
    return Budget(
        "DaemonSet",
        kind,
        desired,
        max_surge=surge,
        max_unavailable=unavailable,
        surge_spec=_spec_text(surge_value) or "0",
        unavailable_spec=_spec_text(unavailable_value) or "1",
        pods=scheduled,
        available=available,
        surging=surging,
    )


# ---------------------------------------------------------------------- nodes


def pod_node(pod: j.Obj) -> PodNode:
    status = pod_status_reason(pod)
    ready, total = pod_ready(pod)
    restarts, _ = pod_restarts(pod)
    return PodNode(
        name=j.name(pod),
        uid=j.text(j.meta(pod).get("uid")),
        status=status,
        severity=status_severity(status, ready, total),
        ready=ready,
        containers=total,
        restarts=restarts,
        deleting=j.meta(pod).get("deletionTimestamp") is not None,
        node=j.text(j.spec(pod).get("nodeName")),
    )


def _controller_uid(obj: j.Obj) -> str:
    for ref in j.objs(j.meta(obj).get("ownerReferences")):
        if ref.get("controller") is True:
            return j.text(ref.get("uid"))
    return ""


@dataclass(frozen=True, slots=True)
class PodPlace:
    """What the tree reads of one pod object: where it goes and its node. Read once per pod
    object (`pod_place`), so a caller that keeps these between trees rebuilds a tree without
    reading any pod's JSON again."""

    uid: str
    controller: str
    """The uid of its controller ownerReference (a Deployment's pod: its ReplicaSet)."""
    revision_hash: str
    """Its controller-revision-hash label (a StatefulSet's or DaemonSet's pod: its revision)."""
    node: PodNode


def revision_hashes(revision: j.Obj) -> set[str]:
    """The `controller-revision-hash` values of a ControllerRevision's pods: a StatefulSet's
    pods carry the revision's name, a DaemonSet's its hash (the revision's own label)."""
    labels = j.obj(j.meta(revision).get("labels"))
    hashes = {j.name(revision), j.text(labels.get(REVISION_HASH_LABEL))}
    hashes.discard("")
    return hashes


def pod_revision_hash(pod: j.Obj) -> str:
    """A StatefulSet's or DaemonSet's pod: the revision it was made from (its label)."""
    return j.text(j.obj(j.meta(pod).get("labels")).get(REVISION_HASH_LABEL))


def pod_place(pod: j.Obj, node_of: Callable[[j.Obj], PodNode] = pod_node) -> PodPlace:
    meta = j.meta(pod)
    return PodPlace(
        uid=j.text(meta.get("uid")),
        controller=_controller_uid(pod),
        revision_hash=pod_revision_hash(pod),
        node=node_of(pod),
    )


def _pod_key(node: PodNode) -> tuple[int, str]:
    # StatefulSet ordinals in order (web-2 before web-10), the rest by name.
    head, _, tail = node.name.rpartition("-")
    if head and tail.isdigit():
        return (int(tail), node.name)
    return (0, node.name)


def _previous(numbers: Iterable[int | None]) -> int | None:
    """The second-highest revision: what `kubectl rollout undo` rolls back to by default."""
    known = sorted({n for n in numbers if n is not None})
    return known[-2] if len(known) >= 2 else None


def build_rollout_tree(
    workload: j.Obj,
    children: Iterable[j.Obj],
    pods: Iterable[j.Obj],
    place_of: Callable[[j.Obj], PodPlace] = pod_place,
) -> RolloutTree:
    """The tree of a Deployment, StatefulSet or DaemonSet from its objects as the model holds
    them: `children` its ReplicaSets / ControllerRevisions (others are ignored), `pods` its
    pods. Revisions highest first; pods by ordinal, then name. `place_of` reads a pod (a
    caller that keeps them between calls passes a memo)."""
    kind = j.text(workload.get("kind"))
    pod_list = list(pods)
    places = [place_of(pod) for pod in pod_list]
    nodes = {place.uid: place.node for place in places}
    claimed: set[str] = set()
    revisions: list[RevisionNode] = []
    if kind == "Deployment":
        replicasets = [c for c in children if c.get("kind") == "ReplicaSet"]
        budget = deployment_budget(workload, replicasets)
        current = current_replicaset_name(workload, replicasets)
        previous = _previous(revision_of(rs) for rs in replicasets)
        by_controller: dict[str, list[PodPlace]] = {}
        for place in places:
            by_controller.setdefault(place.controller, []).append(place)
        for rs in replicasets:
            uid = j.text(j.meta(rs).get("uid"))
            mine = by_controller.get(uid, [])
            claimed.update(p.uid for p in mine)
            status = j.status(rs)
            number = revision_of(rs)
            revisions.append(
                RevisionNode(
                    kind="ReplicaSet",
                    name=j.name(rs),
                    uid=uid,
                    revision=number,
                    is_current=j.name(rs) == current,
                    is_previous=number is not None and number == previous,
                    desired=_replicas(rs),
                    current=j.integer(status.get("replicas")),
                    ready=j.integer(status.get("readyReplicas")),
                    available=j.integer(status.get("availableReplicas")),
                    images=tuple(container_images(pod_template(rs))),
                    pods=tuple(sorted((nodes[p.uid] for p in mine), key=_pod_key)),
                )
            )
    else:
        budget = (
            statefulset_budget(workload)
            if kind == "StatefulSet"
            else daemonset_budget(workload, pod_list)
        )
        history = [c for c in children if c.get("kind") == "ControllerRevision"]
        rows = {row.uid: row for row in controller_revision_rows(workload, history, _EPOCH_ZERO)}
        previous = _previous(child_revision(cr) for cr in history)
        for cr in history:
            uid = j.text(j.meta(cr).get("uid"))
            hashes = revision_hashes(cr)
            mine = [p for p in places if p.revision_hash in hashes]
            claimed.update(p.uid for p in mine)
            my_nodes = tuple(sorted((nodes[p.uid] for p in mine), key=_pod_key))
            row = rows.get(uid)
            number = child_revision(cr)
            revisions.append(
                RevisionNode(
                    kind="ControllerRevision",
                    name=j.name(cr),
                    uid=uid,
                    revision=number,
                    is_current=row is not None and row.is_current,
                    is_previous=number is not None and number == previous,
                    desired=None,
                    current=len(my_nodes),
                    ready=sum(1 for n in my_nodes if n.containers and n.ready >= n.containers),
                    available=None,
                    images=tuple(container_images(pod_template(cr))),
                    pods=my_nodes,
                )
            )
    revisions.sort(
        key=lambda node: (-(node.revision if node.revision is not None else -1), node.name)
    )
    stray = tuple(sorted((n for uid, n in nodes.items() if uid not in claimed), key=_pod_key))
    if stray:
        revisions.append(
            RevisionNode(
                kind="",
                name="",
                uid="",
                revision=None,
                is_current=False,
                is_previous=False,
                desired=None,
                current=len(stray),
                ready=sum(1 for n in stray if n.containers and n.ready >= n.containers),
                available=None,
                images=(),
                pods=stray,
            )
        )
    return RolloutTree(kind=kind, name=j.name(workload), budget=budget, revisions=tuple(revisions))
