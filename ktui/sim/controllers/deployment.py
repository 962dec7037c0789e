"""The Deployment controller (pkg/controller/deployment, v1.20): a port of deployment_controller.go,
sync.go, rolling.go, recreate.go, progress.go, rollback.go and util/deployment_util.go.

One sync of a Deployment, as upstream:

- claim ReplicaSets (adopt matching orphans, release ones that stopped matching);
- deleting -> status only; paused -> scale proportionally + clean up; deprecated rollback-to
  annotation -> roll the template back; a change of `spec.replicas` (the desired-replicas
  annotation of an active RS disagrees) -> proportional scaling; otherwise roll out with the
  strategy:
  - RollingUpdate: scale the new RS up to what maxSurge allows (surge rounds up), else scale old
    RSs down: unhealthy replicas first, then as far as maxUnavailable (rounds down; both 0 ->
    unavailable 1) allows, oldest RS first; clean up history once complete;
  - Recreate: scale every old RS to 0, wait until none of their pods is left (terminating ones
    included), then create / scale up the new RS;
- the new RS is the one whose template equals the Deployment's ignoring `pod-template-hash`
  (oldest first); it is created as `<deployment>-<hash>` with the hash label on its selector,
  template and labels, the Deployment's annotations minus the skip list, and
  `deployment.kubernetes.io/revision` = max old revision + 1 (an old RS that becomes new again
  gets the new number and its previous one appended to `revision-history`), plus
  `desired-replicas` / `max-replicas`;
- status: observedGeneration, replicas / updatedReplicas / readyReplicas / availableReplicas /
  unavailableReplicas from the RSs' status, conditions Available (MinimumReplicasAvailable /
  MinimumReplicasUnavailable) and Progressing (NewReplicaSetCreated, FoundNewReplicaSet,
  ReplicaSetUpdated, NewReplicaSetAvailable, ProgressDeadlineExceeded, DeploymentPaused /
  DeploymentResumed, ReplicaSetCreateError), ReplicaFailure promoted from the RSs; a rollout
  that shows no progress is looked at again when its deadline passes (controller clock).

As upstream, the Deployment's revision annotation is written through the status subresource
(a v1.20 apiserver keeps the request's metadata, labels aside, on a Deployment status update), so
it does not bump `metadata.generation`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Mapping
from typing import Any

from ktui.sim.controllers import util
from ktui.sim.controllers.base import (
    Controller,
    Informer,
    OwnedObjects,
    claim_objects,
    deep_copy,
    recheck_owner,
    resolve_owner,
)
from ktui.sim.store import StoreError

log = logging.getLogger(__name__)

Obj = dict[str, Any]

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
ROLLBACK_TO = "deprecated.deployment.rollback.to"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
HASH_LABEL = "pod-template-hash"
ANNOTATIONS_TO_SKIP = frozenset(
    {LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO}
)
MAX_REV_HISTORY_CHARS = 2000
MAX_INT32 = 2**31 - 1

# Condition reasons (deploymentutil).
REPLICA_SET_UPDATED = "ReplicaSetUpdated"
FAILED_RS_CREATE = "ReplicaSetCreateError"
NEW_REPLICA_SET = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
MIN_AVAILABLE = "MinimumReplicasAvailable"
MIN_UNAVAILABLE = "MinimumReplicasUnavailable"


# --- small accessors ----------------------------------------------------------------------------


def replicas(obj: Mapping[str, Any] | None) -> int:
    if obj is None:
        return 0
    return util.int_field(obj.get("spec"), "replicas", 1)


def status_int(obj: Mapping[str, Any] | None, key: str) -> int:
    if obj is None:
        return 0
    return util.int_field(obj.get("status"), key)


def strategy_type(d: Mapping[str, Any]) -> str:
    return str(((d.get("spec") or {}).get("strategy") or {}).get("type") or "")


def is_rolling(d: Mapping[str, Any]) -> bool:
    return strategy_type(d) == "RollingUpdate"


def _rolling_params(d: Mapping[str, Any]) -> Mapping[str, Any]:
    strategy = (d.get("spec") or {}).get("strategy") or {}
    return strategy.get("rollingUpdate") or {}


def resolve_fenceposts(max_surge: Any, max_unavailable: Any, desired: int) -> tuple[int, int]:
    """ResolveFenceposts: surge rounds up, unavailable rounds down; both 0 -> unavailable 1."""
    surge = util.scaled_value(max_surge if max_surge is not None else 0, desired, True)
    unavailable = util.scaled_value(
        max_unavailable if max_unavailable is not None else 0, desired, False
    )
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: Mapping[str, Any]) -> int:
    if not is_rolling(d):
        return 0
    params = _rolling_params(d)
    surge, _ = resolve_fenceposts(params.get("maxSurge"), params.get("maxUnavailable"), replicas(d))
    return surge


def max_unavailable(d: Mapping[str, Any]) -> int:
    if not is_rolling(d) or replicas(d) == 0:
        return 0
    params = _rolling_params(d)
    _, unavailable = resolve_fenceposts(
        params.get("maxSurge"), params.get("maxUnavailable"), replicas(d)
    )
    return min(unavailable, replicas(d))


def has_progress_deadline(d: Mapping[str, Any]) -> bool:
    value = (d.get("spec") or {}).get("progressDeadlineSeconds")
    return isinstance(value, int) and value != MAX_INT32


def has_revision_history_limit(d: Mapping[str, Any]) -> bool:
    value = (d.get("spec") or {}).get("revisionHistoryLimit")
    return isinstance(value, int) and value != MAX_INT32


def revision_of(obj: Mapping[str, Any]) -> int | None:
    """deploymentutil.Revision: 0 without the annotation, None when it does not parse."""
    value = util.annotations_of(obj).get(REVISION)
    if value is None:
        return 0
    try:
        return int(value)
    except ValueError:
        return None


def max_revision(rss: list[Obj]) -> int:
    best = 0
    for rs in rss:
        value = revision_of(rs)
        if value is not None and value > best:
            best = value
    return best


def last_revision(rss: list[Obj]) -> int:
    """LastRevision: the second highest revision."""
    highest = second = 0
    for rs in rss:
        value = revision_of(rs)
        if value is None:
            continue
        if value >= highest:
            second, highest = highest, value
        elif value > second:
            second = value
    return second


def int_annotation(obj: Mapping[str, Any], key: str) -> int | None:
    value = util.annotations_of(obj).get(key)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def filter_active(rss: list[Obj | None]) -> list[Obj]:
    return [rs for rs in rss if rs is not None and replicas(rs) > 0]


def _present(rss: list[Obj | None]) -> list[Obj]:
    return [rs for rs in rss if rs is not None]


def _by_creation(rss: list[Obj]) -> list[Obj]:
    return sorted(rss, key=util.creation_sort_key)


def _compare_creation(a: Obj, b: Obj) -> int:
    ka, kb = util.creation_sort_key(a), util.creation_sort_key(b)
    return -1 if ka < kb else 1 if ka > kb else 0


def _by_size_newer(rss: list[Obj]) -> list[Obj]:
    """ReplicaSetsBySizeNewer: bigger first; same size: newer first."""

    def cmp(a: Obj, b: Obj) -> int:
        if replicas(a) != replicas(b):
            return -1 if replicas(a) > replicas(b) else 1
        return _compare_creation(b, a)

    return sorted(rss, key=functools.cmp_to_key(cmp))


def _by_size_older(rss: list[Obj]) -> list[Obj]:
    """ReplicaSetsBySizeOlder: bigger first; same size: older first."""

    def cmp(a: Obj, b: Obj) -> int:
        if replicas(a) != replicas(b):
            return -1 if replicas(a) > replicas(b) else 1
        return _compare_creation(a, b)

    return sorted(rss, key=functools.cmp_to_key(cmp))


def template_of(obj: Mapping[str, Any]) -> Obj:
    return (obj.get("spec") or {}).get("template") or {}


def find_new_replicaset(d: Mapping[str, Any], rss: list[Obj]) -> Obj | None:
    """FindNewReplicaSet: the oldest RS whose template equals the Deployment's (ignoring the
    pod-template-hash label)."""
    for rs in _by_creation(rss):
        if util.templates_equal_ignoring_hash(template_of(rs), template_of(d), HASH_LABEL):
            return rs
    return None


def find_old_replicasets(d: Mapping[str, Any], rss: list[Obj]) -> tuple[list[Obj], list[Obj]]:
    """FindOldReplicaSets: (old RSs with replicas, all old RSs)."""
    new = find_new_replicaset(d, rss)
    new_uid = util.uid_of(new) if new is not None else None
    required: list[Obj] = []
    everything: list[Obj] = []
    for rs in _by_creation(rss):
        if new_uid is not None and util.uid_of(rs) == new_uid:
            continue
        everything.append(rs)
        if replicas(rs) != 0:
            required.append(rs)
    return required, everything


def find_active_or_latest(new_rs: Obj | None, old_rss: list[Obj]) -> Obj | None:
    if new_rs is None and not old_rss:
        return None
    old_sorted = list(reversed(_by_creation(old_rss)))
    active = filter_active([*old_sorted, new_rs])
    if not active:
        if new_rs is not None:
            return new_rs
        return old_sorted[0]
    if len(active) == 1:
        return active[0]
    return None


def is_saturated(d: Mapping[str, Any], rs: Obj | None) -> bool:
    if rs is None:
        return False
    desired = int_annotation(rs, DESIRED_REPLICAS)
    if desired is None:
        return False
    return (
        replicas(rs) == replicas(d)
        and desired == replicas(d)
        and status_int(rs, "availableReplicas") == replicas(d)
    )


def new_rs_new_replicas(d: Mapping[str, Any], all_rss: list[Obj | None], new_rs: Obj) -> int:
    """NewRSNewReplicas."""
    kind = strategy_type(d)
    if kind == "RollingUpdate":
        surge = util.scaled_value(_rolling_params(d).get("maxSurge"), replicas(d), True)
        current = sum(replicas(rs) for rs in _present(all_rss))
        max_total = replicas(d) + surge
        if current >= max_total:
            return replicas(new_rs)
        scale_up = min(max_total - current, replicas(d) - replicas(new_rs))
        return replicas(new_rs) + scale_up
    if kind == "Recreate":
        return replicas(d)
    raise ValueError(f"deployment type {kind} isn't supported")


def get_proportion(rs: Obj, d: Mapping[str, Any], to_add: int, added: int) -> int:
    if replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _replicaset_fraction(rs, d)
    allowed = to_add - added
    if to_add > 0:
        return min(fraction, allowed)
    return max(fraction, allowed)


def _replicaset_fraction(rs: Obj, d: Mapping[str, Any]) -> int:
    if replicas(d) == 0:
        return -replicas(rs)
    deployment_replicas = replicas(d) + max_surge(d)
    annotated = int_annotation(rs, MAX_REPLICAS)
    if annotated is None:
        annotated = status_int(d, "replicas")
    if annotated == 0:
        return 0
    new_size = float(replicas(rs) * deployment_replicas) / float(annotated)
    return util.round_half_away(new_size) - replicas(rs)


def set_replicas_annotations(rs: Obj, desired: int, maximum: int) -> bool:
    annotations = rs.setdefault("metadata", {}).setdefault("annotations", {})
    updated = False
    if annotations.get(DESIRED_REPLICAS) != str(desired):
        annotations[DESIRED_REPLICAS] = str(desired)
        updated = True
    if annotations.get(MAX_REPLICAS) != str(maximum):
        annotations[MAX_REPLICAS] = str(maximum)
        updated = True
    return updated


def replicas_annotations_need_update(rs: Obj, desired: int, maximum: int) -> bool:
    annotations = util.annotations_of(rs)
    return annotations.get(DESIRED_REPLICAS) != str(desired) or annotations.get(
        MAX_REPLICAS
    ) != str(maximum)


def copy_deployment_annotations(d: Mapping[str, Any], rs: Obj) -> bool:
    annotations = rs.setdefault("metadata", {}).setdefault("annotations", {})
    changed = False
    for key, value in util.annotations_of(d).items():
        if key in ANNOTATIONS_TO_SKIP or annotations.get(key, "") == value:
            continue
        annotations[key] = value
        changed = True
    return changed


def set_new_rs_annotations(
    d: Mapping[str, Any],
    rs: Obj,
    new_revision: str,
    exists: bool,
    limit: int = MAX_REV_HISTORY_CHARS,
) -> bool:
    """SetNewReplicaSetAnnotations."""
    changed = copy_deployment_annotations(d, rs)
    annotations = rs["metadata"]["annotations"]
    had_revision = REVISION in annotations
    old_revision = annotations.get(REVISION, "")
    try:
        old_int = int(old_revision)
    except ValueError:
        if old_revision != "":
            return False
        old_int = 0
    try:
        new_int = int(new_revision)
    except ValueError:
        return False
    if old_int < new_int:
        annotations[REVISION] = new_revision
        changed = True
    if had_revision and old_int < new_int:
        history = annotations.get(REVISION_HISTORY, "")
        old_revisions = history.split(",")
        if len(old_revisions[0]) == 0:
            annotations[REVISION_HISTORY] = old_revision
        else:
            total = len(history) + len(old_revision) + 1
            start = 0
            while total > limit and start < len(old_revisions):
                total = total - len(old_revisions[start]) - 1
                start += 1
            if total <= limit:
                annotations[REVISION_HISTORY] = ",".join([*old_revisions[start:], old_revision])
    if not exists and set_replicas_annotations(rs, replicas(d), replicas(d) + max_surge(d)):
        changed = True
    return changed


def set_deployment_revision(d: Obj, revision: str) -> bool:
    annotations = d.setdefault("metadata", {}).setdefault("annotations", {})
    if annotations.get(REVISION) != revision:
        annotations[REVISION] = revision
        return True
    return False


# --- status and conditions ----------------------------------------------------------------------


def get_condition(status: Mapping[str, Any], type_: str) -> Obj | None:
    for cond in status.get("conditions") or ():
        if isinstance(cond, dict) and cond.get("type") == type_:
            return cond
    return None


def new_condition(type_: str, status: str, reason: str, message: str, now: float) -> Obj:
    stamp = util.rfc3339(now)
    cond: Obj = {
        "type": type_,
        "status": status,
        "lastUpdateTime": stamp,
        "lastTransitionTime": stamp,
    }
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def set_condition(status: Obj, condition: Obj) -> None:
    """SetDeploymentCondition: no-op for the same status and reason; keeps lastTransitionTime
    when only the reason changes."""
    current = get_condition(status, condition["type"])
    if (
        current is not None
        and current.get("status") == condition["status"]
        and current.get("reason", "") == condition.get("reason", "")
    ):
        return
    if current is not None and current.get("status") == condition["status"]:
        condition = dict(condition)
        condition["lastTransitionTime"] = current.get("lastTransitionTime")
        condition = _reorder_condition(condition)
    remove_condition(status, condition["type"])
    status["conditions"] = [*(status.get("conditions") or []), condition]


def _reorder_condition(cond: Obj) -> Obj:
    order = ("type", "status", "lastUpdateTime", "lastTransitionTime", "reason", "message")
    out = {k: cond[k] for k in order if k in cond and cond[k] is not None}
    out.update({k: v for k, v in cond.items() if k not in out and v is not None})
    return out


def remove_condition(status: Obj, type_: str) -> None:
    status["conditions"] = [
        c
        for c in status.get("conditions") or ()
        if not (isinstance(c, dict) and c.get("type") == type_)
    ]


def render_status(status: Mapping[str, Any]) -> Obj:
    """DeploymentStatus as the API prints it (omitempty)."""
    out: Obj = {}
    for key in (
        "observedGeneration",
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
        "unavailableReplicas",
    ):
        value = util.int_field(status, key)
        if value:
            out[key] = value
    if status.get("conditions"):
        out["conditions"] = [dict(c) for c in status["conditions"]]
    if status.get("collisionCount") is not None:
        out["collisionCount"] = status["collisionCount"]
    return out


def deployment_complete(d: Mapping[str, Any], status: Mapping[str, Any]) -> bool:
    want = replicas(d)
    return (
        util.int_field(status, "updatedReplicas") == want
        and util.int_field(status, "replicas") == want
        and util.int_field(status, "availableReplicas") == want
        and util.int_field(status, "observedGeneration")
        >= util.int_field(d.get("metadata"), "generation")
    )


def deployment_progressing(d: Mapping[str, Any], new_status: Mapping[str, Any]) -> bool:
    old = d.get("status") or {}
    old_old = util.int_field(old, "replicas") - util.int_field(old, "updatedReplicas")
    new_old = util.int_field(new_status, "replicas") - util.int_field(new_status, "updatedReplicas")
    return (
        util.int_field(new_status, "updatedReplicas") > util.int_field(old, "updatedReplicas")
        or new_old < old_old
        or util.int_field(new_status, "readyReplicas") > util.int_field(old, "readyReplicas")
        or util.int_field(new_status, "availableReplicas")
        > util.int_field(old, "availableReplicas")
    )


def deployment_timed_out(d: Mapping[str, Any], new_status: Mapping[str, Any], now: float) -> bool:
    if not has_progress_deadline(d):
        return False
    condition = get_condition(new_status, "Progressing")
    if condition is None:
        return False
    if condition.get("reason") == NEW_RS_AVAILABLE:
        return False
    if condition.get("reason") == TIMED_OUT:
        return True
    since = util.parse_time(condition.get("lastUpdateTime"))
    if since is None:
        return False
    deadline = int((d.get("spec") or {})["progressDeadlineSeconds"])
    return since + deadline < now


def calculate_status(
    all_rss: list[Obj | None], new_rs: Obj | None, d: Mapping[str, Any], now: float
) -> Obj:
    present = _present(all_rss)
    available = sum(status_int(rs, "availableReplicas") for rs in present)
    total = sum(replicas(rs) for rs in present)
    old_status = d.get("status") or {}
    status: Obj = {
        "observedGeneration": util.int_field(d.get("metadata"), "generation"),
        "replicas": sum(status_int(rs, "replicas") for rs in present),
        "updatedReplicas": status_int(new_rs, "replicas"),
        "readyReplicas": sum(status_int(rs, "readyReplicas") for rs in present),
        "availableReplicas": available,
        "unavailableReplicas": max(total - available, 0),
        "conditions": [dict(c) for c in old_status.get("conditions") or () if isinstance(c, dict)],
        "collisionCount": old_status.get("collisionCount"),
    }
    if available >= replicas(d) - max_unavailable(d):
        cond = new_condition(
            "Available", "True", MIN_AVAILABLE, "Deployment has minimum availability.", now
        )
    else:
        cond = new_condition(
            "Available",
            "False",
            MIN_UNAVAILABLE,
            "Deployment does not have minimum availability.",
            now,
        )
    set_condition(status, cond)
    return status


def rollback_to(d: Mapping[str, Any]) -> int | None:
    value = util.annotations_of(d).get(ROLLBACK_TO)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None


# --- the controller -----------------------------------------------------------------------------


class DeploymentController(Controller):
    name = "deployment-controller"
    kind = "Deployment"
    api_version = "apps/v1"

    def register(self) -> None:
        self.deployments: Informer = self.informers.informer("apps", "deployments")
        self.replicasets: Informer = self.informers.informer("apps", "replicasets")
        self.pods: Informer = self.informers.informer("", "pods")
        self.deployments.add_handler(
            on_add=self.enqueue,
            on_update=lambda old, new: self.enqueue(new),
            on_delete=self.enqueue,
        )
        self.owned_replicasets = OwnedObjects(self.deployments, self.kind, self.enqueue)
        self.replicasets.add_handler(
            on_add=self.owned_replicasets.added,
            on_update=self.owned_replicasets.updated,
            on_delete=self.owned_replicasets.enqueue_owner,
        )
        self.pods.add_handler(on_delete=self._pod_deleted)

    def resync(self) -> None:
        for d in self.deployments.list():
            self.enqueue(d)

    # --- event handlers --------------------------------------------------------------------

    def _pod_deleted(self, pod: Obj) -> None:
        # A Recreate rollout waits for the old pods to be gone: look again once none is left.
        rs = resolve_owner(
            self.replicasets, "ReplicaSet", util.namespace_of(pod), util.controller_ref(pod)
        )
        if rs is None:
            return
        d = self.owned_replicasets.owner_of(rs)
        if d is None or strategy_type(d) != "Recreate":
            return
        for sibling in self.replicasets.controlled_by(util.uid_of(d)):
            if self.pods.controlled_by(util.uid_of(sibling)):
                return
        self.enqueue(d)

    # --- sync ------------------------------------------------------------------------------

    def sync(self, key: str) -> float | None:
        namespace, name = util.split_key(key)
        cached = self.deployments.get(namespace, name)
        if cached is None:
            return None
        d = deep_copy(cached)
        selector_dict = (d.get("spec") or {}).get("selector")
        if not selector_dict or not (
            selector_dict.get("matchLabels") or selector_dict.get("matchExpressions")
        ):
            self.record(
                d,
                "Warning",
                "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.",
            )
            status = d.get("status") or {}
            generation = util.int_field(d.get("metadata"), "generation")
            if util.int_field(status, "observedGeneration") < generation:
                d["status"] = {**status, "observedGeneration": generation}
                self._write_status(d)
            return None
        rs_list = self._replicasets_for(d)
        if util.is_deleting(d):
            new_rs, old_rss = self._get_all(d, rs_list, False)
            return self._sync_deployment_status([*old_rss, new_rs], new_rs, d)
        self._check_paused_conditions(d)
        if (d.get("spec") or {}).get("paused"):
            return self._sync(d, rs_list)
        if rollback_to(d) is not None:
            self._rollback(d, rs_list)
            return None
        if self._is_scaling_event(d, rs_list):
            return self._sync(d, rs_list)
        kind = strategy_type(d)
        if kind == "Recreate":
            return self._rollout_recreate(d, rs_list, self._pod_map(d, rs_list))
        if kind == "RollingUpdate":
            return self._rollout_rolling(d, rs_list)
        raise ValueError(f"unexpected deployment strategy type: {kind}")

    def _replicasets_for(self, d: Obj) -> list[Obj]:
        namespace = util.namespace_of(d)
        selector = util.selector_of(d)
        candidates = [
            *self.replicasets.controlled_by(util.uid_of(d)),
            *self.replicasets.orphans(namespace),
        ]
        return claim_objects(
            self,
            d,
            self.api_version,
            self.kind,
            "apps",
            "replicasets",
            candidates,
            lambda rs: not selector.empty and selector.matches(util.labels_of(rs)),
            recheck_owner(self, "apps", "deployments", d),
        )

    def _pod_map(self, d: Obj, rs_list: list[Obj]) -> dict[str, list[Obj]]:
        selector = util.selector_of(d)
        return {
            util.uid_of(rs): [
                p
                for p in self.pods.controlled_by(util.uid_of(rs))
                if selector.matches(util.labels_of(p))
            ]
            for rs in rs_list
        }

    def _refresh(self, rs_list: list[Obj]) -> list[Obj]:
        """The RSs as the cache now has them (our own writes included)."""
        fresh = []
        for rs in rs_list:
            current = self.replicasets.get(util.namespace_of(rs), util.name_of(rs))
            # Gone (or replaced by a namesake) since the sync began: no longer ours to count.
            if current is not None and util.uid_of(current) == util.uid_of(rs):
                fresh.append(current)
        return fresh

    def _refresh_one(self, rs: Obj | None) -> Obj | None:
        if rs is None:
            return None
        current = self.replicasets.get(util.namespace_of(rs), util.name_of(rs))
        if current is not None and util.uid_of(current) == util.uid_of(rs):
            return current
        return rs

    # --- writes to the deployment ----------------------------------------------------------

    def _write_status(self, d: Obj) -> Obj:
        """UpdateStatus of the Deployment (status + revision annotation); keeps `d`'s
        resourceVersion current so later writes of this sync do not conflict."""
        result = self.api_update_status("apps", "deployments", d)
        d["metadata"]["resourceVersion"] = util.meta(result).get("resourceVersion")
        return result

    def _write_status_if_changed(self, d: Obj, new_status: Obj) -> bool:
        if render_status(new_status) == render_status(d.get("status") or {}):
            return False
        d["status"] = render_status(new_status)
        self._write_status(d)
        return True

    # --- getAllReplicaSetsAndSyncRevision ---------------------------------------------------

    def _get_all(self, d: Obj, rs_list: list[Obj], create: bool) -> tuple[Obj | None, list[Obj]]:
        rs_list = self._refresh(rs_list)
        _, all_old = find_old_replicasets(d, rs_list)
        new_rs = self._get_new_rs(d, rs_list, all_old, create)
        return new_rs, all_old

    def _get_new_rs(
        self, d: Obj, rs_list: list[Obj], old_rss: list[Obj], create: bool
    ) -> Obj | None:
        now = self.clock()
        existing = find_new_replicaset(d, rs_list)
        new_revision = str(max_revision(old_rss) + 1)
        d_name = util.name_of(d)
        if existing is not None:
            rs_copy: Obj = deep_copy(existing)
            annotations_updated = set_new_rs_annotations(d, rs_copy, new_revision, True)
            d_min_ready = util.int_field(d.get("spec"), "minReadySeconds")
            if annotations_updated or util.int_field(rs_copy.get("spec"), "minReadySeconds") != (
                d_min_ready
            ):
                _set_min_ready(rs_copy, d_min_ready)
                return self.api_update("apps", "replicasets", rs_copy)
            needs_update = set_deployment_revision(
                d, util.annotations_of(rs_copy).get(REVISION, "")
            )
            status = d.setdefault("status", {})
            if has_progress_deadline(d) and get_condition(status, "Progressing") is None:
                set_condition(
                    status,
                    new_condition(
                        "Progressing",
                        "True",
                        FOUND_NEW_RS,
                        f'Found new replica set "{util.name_of(rs_copy)}"',
                        now,
                    ),
                )
                needs_update = True
            if needs_update:
                d["status"] = render_status(status)
                self._write_status(d)
            return rs_copy
        if not create:
            return None

        template = deep_copy(template_of(d))
        collision = (d.get("status") or {}).get("collisionCount")
        pod_hash = util.compute_hash(template, collision)
        template.setdefault("metadata", {})["labels"] = {
            **util.labels_of(template),
            HASH_LABEL: pod_hash,
        }
        selector = deep_copy((d.get("spec") or {}).get("selector") or {})
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), HASH_LABEL: pod_hash}
        rs_name = f"{d_name}-{pod_hash}"
        new_rs: Obj = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": rs_name,
                "namespace": util.namespace_of(d),
                "labels": dict(template["metadata"]["labels"]),
                "ownerReferences": [util.new_controller_ref(d, self.api_version, self.kind)],
            },
            "spec": {"replicas": 0, "selector": selector, "template": template},
        }
        _set_min_ready(new_rs, util.int_field(d.get("spec"), "minReadySeconds"))
        new_replicas = new_rs_new_replicas(d, [*old_rss, new_rs], new_rs)
        new_rs["spec"]["replicas"] = new_replicas
        set_new_rs_annotations(d, new_rs, new_revision, False)
        already_exists = False
        try:
            created = self.api_create("apps", "replicasets", new_rs)
        except StoreError as exc:
            if exc.code == 409 and exc.reason == "AlreadyExists":
                already_exists = True
                found = self.replicasets.get(util.namespace_of(d), rs_name)
                if found is None:
                    found = self.client.get("apps", "replicasets", util.namespace_of(d), rs_name)
                ref = util.controller_ref(found)
                if (
                    ref is not None
                    and ref.get("uid") == util.uid_of(d)
                    and util.templates_equal_ignoring_hash(
                        template_of(d), template_of(found), HASH_LABEL
                    )
                ):
                    created = found
                else:
                    status = d.setdefault("status", {})
                    status["collisionCount"] = int(status.get("collisionCount") or 0) + 1
                    with contextlib.suppress(StoreError):
                        self._write_status(d)
                    raise
            elif exc.code == 403 and "being terminated" in exc.message:
                raise
            else:
                message = f'Failed to create new replica set "{rs_name}": {exc.message}'
                if has_progress_deadline(d):
                    status = d.setdefault("status", {})
                    set_condition(
                        status,
                        new_condition("Progressing", "False", FAILED_RS_CREATE, message, now),
                    )
                    d["status"] = render_status(status)
                    with contextlib.suppress(StoreError):
                        self._write_status(d)
                self.record(d, "Warning", FAILED_RS_CREATE, message)
                raise
        if not already_exists and new_replicas > 0:
            self.record(
                d,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled up replica set {util.name_of(created)} to {new_replicas}",
            )
        needs_update = set_deployment_revision(d, new_revision)
        if not already_exists and has_progress_deadline(d):
            status = d.setdefault("status", {})
            set_condition(
                status,
                new_condition(
                    "Progressing",
                    "True",
                    NEW_REPLICA_SET,
                    f'Created new replica set "{util.name_of(created)}"',
                    now,
                ),
            )
            d["status"] = render_status(status)
            needs_update = True
        if needs_update:
            self._write_status(d)
        return created

    # --- scaling ---------------------------------------------------------------------------

    def _scale_rs_and_record(self, rs: Obj, new_scale: int, d: Obj) -> tuple[bool, Obj]:
        if replicas(rs) == new_scale:
            return False, rs
        operation = "up" if replicas(rs) < new_scale else "down"
        return self._scale_rs(rs, new_scale, d, operation)

    def _scale_rs(self, rs: Obj, new_scale: int, d: Obj, operation: str) -> tuple[bool, Obj]:
        size_needs_update = replicas(rs) != new_scale
        maximum = replicas(d) + max_surge(d)
        annotations_need_update = replicas_annotations_need_update(rs, replicas(d), maximum)
        scaled = False
        if size_needs_update or annotations_need_update:
            rs_copy = deep_copy(rs)
            rs_copy.setdefault("spec", {})["replicas"] = new_scale
            set_replicas_annotations(rs_copy, replicas(d), maximum)
            rs = self.api_update("apps", "replicasets", rs_copy)
            if size_needs_update:
                scaled = True
                self.record(
                    d,
                    "Normal",
                    "ScalingReplicaSet",
                    f"Scaled {operation} replica set {util.name_of(rs)} to {new_scale}",
                )
        return scaled, rs

    def _is_scaling_event(self, d: Obj, rs_list: list[Obj]) -> bool:
        new_rs, old_rss = self._get_all(d, rs_list, False)
        for rs in filter_active([*old_rss, new_rs]):
            desired = int_annotation(rs, DESIRED_REPLICAS)
            if desired is None:
                continue
            if desired != replicas(d):
                return True
        return False

    def _sync(self, d: Obj, rs_list: list[Obj]) -> float | None:
        """sync: scaling events and paused deployments."""
        new_rs, old_rss = self._get_all(d, rs_list, False)
        self._scale(d, new_rs, old_rss)
        if (d.get("spec") or {}).get("paused") and rollback_to(d) is None:
            self._cleanup(self._refresh(old_rss), d)
        all_rss = [*self._refresh(old_rss), self._refresh_one(new_rs)]
        return self._sync_deployment_status(all_rss, self._refresh_one(new_rs), d)

    def _scale(self, d: Obj, new_rs: Obj | None, old_rss: list[Obj]) -> None:
        active_or_latest = find_active_or_latest(new_rs, old_rss)
        if active_or_latest is not None:
            if replicas(active_or_latest) == replicas(d):
                return
            self._scale_rs_and_record(active_or_latest, replicas(d), d)
            return
        if is_saturated(d, new_rs):
            for old in filter_active(list(old_rss)):
                self._scale_rs_and_record(old, 0, d)
            return
        if not is_rolling(d):
            return
        all_rss = filter_active([*old_rss, new_rs])
        all_replicas = sum(replicas(rs) for rs in all_rss)
        allowed = replicas(d) + max_surge(d) if replicas(d) > 0 else 0
        to_add = allowed - all_replicas
        operation = ""
        if to_add > 0:
            all_rss = _by_size_newer(all_rss)
            operation = "up"
        elif to_add < 0:
            all_rss = _by_size_older(all_rss)
            operation = "down"
        added = 0
        sizes: dict[str, int] = {}
        for rs in all_rss:
            if to_add != 0:
                proportion = get_proportion(rs, d, to_add, added)
                sizes[util.name_of(rs)] = replicas(rs) + proportion
                added += proportion
            else:
                sizes[util.name_of(rs)] = replicas(rs)
        for i, rs in enumerate(all_rss):
            name = util.name_of(rs)
            if i == 0 and to_add != 0:
                sizes[name] = max(sizes[name] + to_add - added, 0)
            self._scale_rs(rs, sizes[name], d, operation)

    def _cleanup(self, old_rss: list[Obj], d: Obj) -> None:
        """cleanupDeployment: delete the oldest (by creation) zero-size RSs beyond
        revisionHistoryLimit."""
        if not has_revision_history_limit(d):
            return
        cleanable = [rs for rs in old_rss if rs is not None and not util.is_deleting(rs)]
        limit = int((d.get("spec") or {})["revisionHistoryLimit"])
        diff = len(cleanable) - limit
        if diff <= 0:
            return
        cleanable = _by_creation(cleanable)
        for rs in cleanable[:diff]:
            if (
                status_int(rs, "replicas") != 0
                or replicas(rs) != 0
                or util.int_field(rs.get("metadata"), "generation")
                > status_int(rs, "observedGeneration")
                or util.is_deleting(rs)
            ):
                continue
            try:
                self.api_delete("apps", "replicasets", util.namespace_of(rs), util.name_of(rs))
            except StoreError as exc:
                if exc.code != 404:
                    raise

    def _sync_deployment_status(
        self, all_rss: list[Obj | None], new_rs: Obj | None, d: Obj
    ) -> float | None:
        """syncDeploymentStatus (never asks for a requeue)."""
        new_status = calculate_status(all_rss, new_rs, d, self.clock())
        self._write_status_if_changed(d, new_status)
        return None

    def _check_paused_conditions(self, d: Obj) -> None:
        if not has_progress_deadline(d):
            return
        status = d.setdefault("status", {})
        cond = get_condition(status, "Progressing")
        if cond is not None and cond.get("reason") == TIMED_OUT:
            return
        paused_cond_exists = cond is not None and cond.get("reason") == PAUSED
        paused = bool((d.get("spec") or {}).get("paused"))
        now = self.clock()
        if paused and not paused_cond_exists:
            set_condition(
                status, new_condition("Progressing", "Unknown", PAUSED, "Deployment is paused", now)
            )
        elif not paused and paused_cond_exists:
            set_condition(
                status,
                new_condition("Progressing", "Unknown", RESUMED, "Deployment is resumed", now),
            )
        else:
            return
        d["status"] = render_status(status)
        self._write_status(d)

    # --- rolling ---------------------------------------------------------------------------

    def _rollout_rolling(self, d: Obj, rs_list: list[Obj]) -> float | None:
        new_rs, old_rss = self._get_all(d, rs_list, True)
        assert new_rs is not None
        all_rss: list[Obj | None] = [*old_rss, new_rs]
        if self._reconcile_new_rs(all_rss, new_rs, d):
            return self._sync_rollout_status(self._refreshed(all_rss), self._refresh_one(new_rs), d)
        if self._reconcile_old_rss(all_rss, filter_active(list(old_rss)), new_rs, d):
            return self._sync_rollout_status(self._refreshed(all_rss), self._refresh_one(new_rs), d)
        if deployment_complete(d, d.get("status") or {}):
            self._cleanup(self._refresh(old_rss), d)
        return self._sync_rollout_status(self._refreshed(all_rss), self._refresh_one(new_rs), d)

    def _refreshed(self, rss: list[Obj | None]) -> list[Obj | None]:
        return [self._refresh_one(rs) for rs in rss]

    def _reconcile_new_rs(self, all_rss: list[Obj | None], new_rs: Obj, d: Obj) -> bool:
        if replicas(new_rs) == replicas(d):
            return False
        if replicas(new_rs) > replicas(d):
            scaled, _ = self._scale_rs_and_record(new_rs, replicas(d), d)
            return scaled
        count = new_rs_new_replicas(d, all_rss, new_rs)
        scaled, _ = self._scale_rs_and_record(new_rs, count, d)
        return scaled

    def _reconcile_old_rss(
        self, all_rss: list[Obj | None], old_rss: list[Obj], new_rs: Obj, d: Obj
    ) -> bool:
        if sum(replicas(rs) for rs in old_rss) == 0:
            return False
        all_count = sum(replicas(rs) for rs in _present(all_rss))
        min_available = replicas(d) - max_unavailable(d)
        new_unavailable = replicas(new_rs) - status_int(new_rs, "availableReplicas")
        max_scaled_down = all_count - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        # Upstream swallows these errors (a conflict means a newer object is on its way and its
        # event will bring the deployment back); a rate-limited look again covers the case where
        # no event follows.
        try:
            old_rss, cleaned = self._cleanup_unhealthy(old_rss, d, max_scaled_down)
        except Exception as exc:
            log.debug("cleaning up unhealthy replicas of %s: %r", util.key_of(d), exc)
            self.queue.add_rate_limited(util.key_of(d))
            return False
        try:
            scaled_down = self._scale_down_old_for_rolling([*old_rss, new_rs], old_rss, d)
        except Exception as exc:
            log.debug("scaling down old replica sets of %s: %r", util.key_of(d), exc)
            self.queue.add_rate_limited(util.key_of(d))
            return False
        return cleaned + scaled_down > 0

    def _cleanup_unhealthy(
        self, old_rss: list[Obj], d: Obj, max_cleanup: int
    ) -> tuple[list[Obj], int]:
        old_rss = _by_creation(old_rss)
        total = 0
        for i, rs in enumerate(old_rss):
            if total >= max_cleanup:
                break
            if replicas(rs) == 0:
                continue
            available = status_int(rs, "availableReplicas")
            if replicas(rs) == available:
                continue
            count = min(max_cleanup - total, replicas(rs) - available)
            new_count = replicas(rs) - count
            if new_count > replicas(rs):
                raise ValueError(
                    f"when cleaning up unhealthy replicas, got invalid request to scale down"
                    f" {util.namespace_of(rs)}/{util.name_of(rs)} {replicas(rs)} -> {new_count}"
                )
            _, updated = self._scale_rs_and_record(rs, new_count, d)
            total += count
            old_rss[i] = updated
        return old_rss, total

    def _scale_down_old_for_rolling(self, all_rss: list[Obj], old_rss: list[Obj], d: Obj) -> int:
        min_available = replicas(d) - max_unavailable(d)
        available = sum(status_int(rs, "availableReplicas") for rs in all_rss)
        if available <= min_available:
            return 0
        total = 0
        to_scale = available - min_available
        for rs in _by_creation(old_rss):
            if total >= to_scale:
                break
            if replicas(rs) == 0:
                continue
            count = min(replicas(rs), to_scale - total)
            new_count = replicas(rs) - count
            if new_count > replicas(rs):
                raise ValueError(
                    f"when scaling down old RS, got invalid request to scale down"
                    f" {util.namespace_of(rs)}/{util.name_of(rs)} {replicas(rs)} -> {new_count}"
                )
            self._scale_rs_and_record(rs, new_count, d)
            total += count
        return total

    # --- recreate --------------------------------------------------------------------------

    def _rollout_recreate(
        self, d: Obj, rs_list: list[Obj], pod_map: dict[str, list[Obj]]
    ) -> float | None:
        new_rs, old_rss = self._get_all(d, rs_list, False)
        all_rss: list[Obj | None] = [*old_rss, new_rs]
        scaled_down = False
        for rs in filter_active(list(old_rss)):
            scaled, _ = self._scale_rs_and_record(rs, 0, d)
            scaled_down = scaled_down or scaled
        if scaled_down:
            return self._sync_rollout_status(self._refreshed(all_rss), self._refresh_one(new_rs), d)
        if _old_pods_running(new_rs, old_rss, pod_map):
            return self._sync_rollout_status(self._refreshed(all_rss), self._refresh_one(new_rs), d)
        if new_rs is None:
            new_rs, old_rss = self._get_all(d, rs_list, True)
            all_rss = [*old_rss, new_rs]
        assert new_rs is not None
        self._scale_rs_and_record(new_rs, replicas(d), d)
        if deployment_complete(d, d.get("status") or {}):
            self._cleanup(self._refresh(old_rss), d)
        return self._sync_rollout_status(self._refreshed(all_rss), self._refresh_one(new_rs), d)

    # --- progress --------------------------------------------------------------------------

    def _sync_rollout_status(
        self, all_rss: list[Obj | None], new_rs: Obj | None, d: Obj
    ) -> float | None:
        now = self.clock()
        new_status = calculate_status(all_rss, new_rs, d, now)
        if not has_progress_deadline(d):
            remove_condition(new_status, "Progressing")
        current = get_condition(d.get("status") or {}, "Progressing")
        is_complete = (
            util.int_field(new_status, "replicas") == util.int_field(new_status, "updatedReplicas")
            and current is not None
            and current.get("reason") == NEW_RS_AVAILABLE
        )
        if has_progress_deadline(d) and not is_complete:
            rs_name = util.name_of(new_rs) if new_rs is not None else ""
            if deployment_complete(d, new_status):
                message = (
                    f'ReplicaSet "{rs_name}" has successfully progressed.'
                    if new_rs is not None
                    else f'Deployment "{util.name_of(d)}" has successfully progressed.'
                )
                set_condition(
                    new_status, new_condition("Progressing", "True", NEW_RS_AVAILABLE, message, now)
                )
            elif deployment_progressing(d, new_status):
                message = (
                    f'ReplicaSet "{rs_name}" is progressing.'
                    if new_rs is not None
                    else f'Deployment "{util.name_of(d)}" is progressing.'
                )
                condition = new_condition("Progressing", "True", REPLICA_SET_UPDATED, message, now)
                if current is not None:
                    if current.get("status") == "True":
                        condition["lastTransitionTime"] = current.get("lastTransitionTime")
                    remove_condition(new_status, "Progressing")
                set_condition(new_status, condition)
            elif deployment_timed_out(d, new_status, now):
                message = (
                    f'ReplicaSet "{rs_name}" has timed out progressing.'
                    if new_rs is not None
                    else f'Deployment "{util.name_of(d)}" has timed out progressing.'
                )
                set_condition(
                    new_status, new_condition("Progressing", "False", TIMED_OUT, message, now)
                )
        failures = _replica_failures(all_rss, new_rs)
        if failures:
            set_condition(new_status, failures[0])
        else:
            remove_condition(new_status, "ReplicaFailure")
        if render_status(new_status) == render_status(d.get("status") or {}):
            return self._requeue_stuck(d, new_status, now)
        d["status"] = render_status(new_status)
        self._write_status(d)
        return None

    def _requeue_stuck(self, d: Obj, new_status: Obj, now: float) -> float | None:
        current = get_condition(d.get("status") or {}, "Progressing")
        if not has_progress_deadline(d) or current is None:
            return None
        if deployment_complete(d, new_status) or current.get("reason") == TIMED_OUT:
            return None
        since = util.parse_time(current.get("lastUpdateTime"))
        if since is None:
            return None
        deadline = int((d.get("spec") or {})["progressDeadlineSeconds"])
        after = since + deadline - now
        if after < 1:
            # Upstream requeues rate-limited until the deadline passes; on the controller's
            # clock the same is: just after the deadline.
            return max(after, 0.0) + 0.01
        return after + 1

    # --- rollback (deprecated rollback-to annotation) ---------------------------------------

    def _rollback(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, all_old = self._get_all(d, rs_list, True)
        all_rss = _present([*all_old, new_rs])
        target = rollback_to(d) or 0
        if target == 0:
            target = last_revision(all_rss)
            if target == 0:
                self.record(
                    d,
                    "Warning",
                    "DeploymentRollbackRevisionNotFound",
                    "Unable to find last revision.",
                )
                self._update_and_clear_rollback(d)
                return
        for rs in all_rss:
            if revision_of(rs) == target:
                performed = self._rollback_to_template(d, rs)
                if performed:
                    self.record(
                        d,
                        "Normal",
                        "DeploymentRollback",
                        f'Rolled back deployment "{util.name_of(d)}" to revision {target}',
                    )
                return
        self.record(
            d,
            "Warning",
            "DeploymentRollbackRevisionNotFound",
            "Unable to find the revision to rollback to.",
        )
        self._update_and_clear_rollback(d)

    def _rollback_to_template(self, d: Obj, rs: Obj) -> bool:
        performed = False
        if not util.templates_equal_ignoring_hash(template_of(d), template_of(rs), HASH_LABEL):
            template = deep_copy(template_of(rs))
            labels = {k: v for k, v in util.labels_of(template).items() if k != HASH_LABEL}
            template.setdefault("metadata", {})
            if labels:
                template["metadata"]["labels"] = labels
            else:
                template["metadata"].pop("labels", None)
            d.setdefault("spec", {})["template"] = template
            kept = {k: v for k, v in util.annotations_of(d).items() if k in ANNOTATIONS_TO_SKIP}
            for key, value in util.annotations_of(rs).items():
                if key not in ANNOTATIONS_TO_SKIP:
                    kept[key] = value
            d["metadata"]["annotations"] = kept
            performed = True
        else:
            self.record(
                d,
                "Warning",
                "DeploymentRollbackTemplateUnchanged",
                "The rollback revision contains the same template as current deployment"
                f' "{util.name_of(d)}"',
            )
        self._update_and_clear_rollback(d)
        return performed

    def _update_and_clear_rollback(self, d: Obj) -> None:
        annotations = d.setdefault("metadata", {}).setdefault("annotations", {})
        annotations.pop(ROLLBACK_TO, None)
        self.api_update("apps", "deployments", d)


def _set_min_ready(rs: Obj, value: int) -> None:
    spec = rs.setdefault("spec", {})
    if value:
        spec["minReadySeconds"] = value
    else:
        spec.pop("minReadySeconds", None)


def _old_pods_running(
    new_rs: Obj | None, old_rss: list[Obj], pod_map: dict[str, list[Obj]]
) -> bool:
    if sum(status_int(rs, "replicas") for rs in old_rss) > 0:
        return True
    new_uid = util.uid_of(new_rs) if new_rs is not None else None
    for rs_uid, pods in pod_map.items():
        if new_uid is not None and rs_uid == new_uid:
            continue
        for pod in pods:
            if util.pod_phase(pod) in ("Failed", "Succeeded"):
                continue
            return True
    return False


def _replica_failures(all_rss: list[Obj | None], new_rs: Obj | None) -> list[Obj]:
    def converted(rs: Obj) -> list[Obj]:
        out = []
        for cond in (rs.get("status") or {}).get("conditions") or ():
            if isinstance(cond, dict) and cond.get("type") == "ReplicaFailure":
                item: Obj = {
                    "type": "ReplicaFailure",
                    "status": cond.get("status"),
                    "lastUpdateTime": cond.get("lastTransitionTime"),
                    "lastTransitionTime": cond.get("lastTransitionTime"),
                }
                if cond.get("reason"):
                    item["reason"] = cond["reason"]
                if cond.get("message"):
                    item["message"] = cond["message"]
                out.append(item)
        return out

    if new_rs is not None:
        found = converted(new_rs)
        if found:
            return found
    failures: list[Obj] = []
    for rs in _present(all_rss):
        failures.extend(converted(rs))
    return failures
