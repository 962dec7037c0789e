"""The StatefulSet controller (pkg/controller/statefulset, v1.20: stateful_set.go,
stateful_set_control.go, stateful_set_utils.go).

Pods are `<set>-<ordinal>` with hostname = pod name and subdomain = spec.serviceName, labels
`statefulset.kubernetes.io/pod-name` and `controller-revision-hash` (= the revision's name).
Each sync, as upstream's `updateStatefulSet`:

- revisions: the current template as a ControllerRevision `<set>-<hash>` (data = getPatch, hash =
  FNV-32 of that JSON: the same name a real cluster gives the same defaulted template); an
  equal older revision is reused with its `.revision` bumped (rollback); status.currentRevision
  stays until a rolling update completes; history beyond revisionHistoryLimit is deleted;
- OrderedReady: create missing ordinals one at a time, lowest first, waiting for each to be
  Running and Ready; scale down from the highest ordinal, one at a time; Parallel: all at once;
- failed pods are deleted and recreated; pods of ordinals below the partition are created at the
  current revision, the others at the update revision;
- RollingUpdate: delete the highest-ordinal pod not at the update revision (>= partition), one at
  a time, waiting for the replacement to be healthy; OnDelete: never delete for updates;
- status: replicas / readyReplicas / currentReplicas / updatedReplicas / currentRevision /
  updateRevision / collisionCount / observedGeneration (+ availableReplicas, a v1.22 field the
  store serves).

Divergence: volumeClaimTemplates become pod volumes named after the claim with claimName
`<claim>-<set>-<ordinal>`, but no PersistentVolumeClaim objects are created (the store does not
serve them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ktui.sim.controllers import history, util
from ktui.sim.controllers.base import (
    STRATEGIC,
    Controller,
    Informer,
    OwnedObjects,
    claim_objects,
    deep_copy,
    pod_from_template,
    recheck_owner,
)
from ktui.sim.selectors import LabelSelector
from ktui.sim.store import StoreError

Obj = dict[str, Any]

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
REVISION_LABEL = "controller-revision-hash"
_ORDINAL_RE = re.compile(r"^(.*)-([0-9]+)$")


def parent_and_ordinal(pod: Mapping[str, Any]) -> tuple[str, int]:
    match = _ORDINAL_RE.match(util.name_of(pod))
    if match is None:
        return "", -1
    try:
        return match.group(1), int(match.group(2))
    except ValueError:
        return "", -1


def ordinal_of(pod: Mapping[str, Any]) -> int:
    return parent_and_ordinal(pod)[1]


def pod_revision(pod: Mapping[str, Any]) -> str:
    return util.labels_of(pod).get(REVISION_LABEL, "")


def is_created(pod: Mapping[str, Any]) -> bool:
    return bool(util.pod_phase(pod))


def is_failed(pod: Mapping[str, Any]) -> bool:
    return util.pod_phase(pod) == "Failed"


def is_running_and_ready(pod: Mapping[str, Any]) -> bool:
    return util.pod_phase(pod) == "Running" and util.is_pod_ready(pod)


def is_healthy(pod: Mapping[str, Any]) -> bool:
    return is_running_and_ready(pod) and not util.is_deleting(pod)


def claim_name(claim: Mapping[str, Any], set_: Mapping[str, Any], ordinal: int) -> str:
    return f"{util.name_of(claim)}-{util.name_of(set_)}-{ordinal}"


def identity_matches(set_: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    parent, ordinal = parent_and_ordinal(pod)
    return (
        ordinal >= 0
        and util.name_of(set_) == parent
        and util.name_of(pod) == f"{util.name_of(set_)}-{ordinal}"
        and util.namespace_of(pod) == util.namespace_of(set_)
        and util.labels_of(pod).get(POD_NAME_LABEL) == util.name_of(pod)
    )


def storage_matches(set_: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    ordinal = ordinal_of(pod)
    if ordinal < 0:
        return False
    volumes = {
        v.get("name"): v
        for v in (pod.get("spec") or {}).get("volumes") or ()
        if isinstance(v, dict)
    }
    for claim in (set_.get("spec") or {}).get("volumeClaimTemplates") or ():
        volume = volumes.get(util.name_of(claim))
        if volume is None:
            return False
        source = volume.get("persistentVolumeClaim") or {}
        if source.get("claimName") != claim_name(claim, set_, ordinal):
            return False
    return True


def update_storage(set_: Mapping[str, Any], pod: Obj) -> None:
    ordinal = ordinal_of(pod)
    claims = [c for c in (set_.get("spec") or {}).get("volumeClaimTemplates") or () if c]
    if not claims:
        return
    spec = pod.setdefault("spec", {})
    names = {util.name_of(c) for c in claims}
    volumes = [
        {
            "name": util.name_of(c),
            "persistentVolumeClaim": {"claimName": claim_name(c, set_, ordinal)},
        }
        for c in claims
    ]
    volumes.extend(v for v in spec.get("volumes") or () if v.get("name") not in names)
    spec["volumes"] = volumes


def update_identity(set_: Mapping[str, Any], pod: Obj) -> None:
    name = f"{util.name_of(set_)}-{ordinal_of(pod)}"
    metadata = pod.setdefault("metadata", {})
    metadata["name"] = name
    metadata["namespace"] = util.namespace_of(set_)
    metadata.setdefault("labels", {})[POD_NAME_LABEL] = name


def new_stateful_pod(set_: Mapping[str, Any], ordinal: int) -> Obj:
    """newStatefulSetPod."""
    template = (set_.get("spec") or {}).get("template") or {}
    pod = pod_from_template(template, set_, "apps/v1", "StatefulSet")
    pod["metadata"]["name"] = f"{util.name_of(set_)}-{ordinal}"
    update_identity(set_, pod)
    pod["spec"]["hostname"] = util.name_of(pod)
    service = (set_.get("spec") or {}).get("serviceName")
    if service:
        pod["spec"]["subdomain"] = service
    update_storage(set_, pod)
    return pod


def new_versioned_pod(
    current_set: Obj, update_set: Obj, current_revision: str, update_revision: str, ordinal: int
) -> Obj:
    """newVersionedStatefulSetPod (with upstream's operator precedence)."""
    spec = current_set.get("spec") or {}
    strategy = spec.get("updateStrategy") or {}
    rolling = strategy.get("rollingUpdate")
    current_replicas = util.int_field(current_set.get("status"), "currentReplicas")
    if (
        strategy.get("type") == "RollingUpdate" and rolling is None and ordinal < current_replicas
    ) or (rolling is not None and ordinal < util.int_field(rolling, "partition")):
        pod = new_stateful_pod(current_set, ordinal)
        pod["metadata"].setdefault("labels", {})[REVISION_LABEL] = current_revision
        return pod
    pod = new_stateful_pod(update_set, ordinal)
    pod["metadata"].setdefault("labels", {})[REVISION_LABEL] = update_revision
    return pod


def render_status(status: Mapping[str, Any]) -> Obj:
    out: Obj = {}
    if util.int_field(status, "observedGeneration"):
        out["observedGeneration"] = util.int_field(status, "observedGeneration")
    out["replicas"] = util.int_field(status, "replicas")
    for key in ("readyReplicas", "currentReplicas", "updatedReplicas"):
        if util.int_field(status, key):
            out[key] = util.int_field(status, key)
    for key in ("currentRevision", "updateRevision"):
        if status.get(key):
            out[key] = status[key]
    if status.get("collisionCount") is not None:
        out["collisionCount"] = status["collisionCount"]
    if status.get("conditions"):
        out["conditions"] = status["conditions"]
    out["availableReplicas"] = util.int_field(status, "availableReplicas")
    return out


class StatefulSetController(Controller):
    name = "statefulset-controller"
    kind = "StatefulSet"
    api_version = "apps/v1"

    def register(self) -> None:
        self.sets: Informer = self.informers.informer("apps", "statefulsets")
        self.pods: Informer = self.informers.informer("", "pods")
        self.revisions: Informer = self.informers.informer("apps", "controllerrevisions")
        self.sets.add_handler(
            on_add=self.enqueue,
            on_update=lambda old, new: self.enqueue(new),
            on_delete=self.enqueue,
        )
        self.owned_pods = OwnedObjects(self.sets, self.kind, self.enqueue)
        self.pods.add_handler(
            on_add=self.owned_pods.changed,
            on_update=self.owned_pods.updated,
            on_delete=self.owned_pods.changed,
        )

    def resync(self) -> None:
        for set_ in self.sets.list():
            self.enqueue(set_)

    # --- sync ------------------------------------------------------------------------------

    def sync(self, key: str) -> float | None:
        namespace, name = util.split_key(key)
        cached = self.sets.get(namespace, name)
        if cached is None:
            return None
        set_ = deep_copy(cached)
        selector = util.selector_of(set_)
        self._adopt_orphan_revisions(set_, selector)
        pods = self._pods_for(set_, selector)
        revisions = history.sort_revisions(self._revisions_for(set_, selector))
        current, update = None, None
        error: Exception | None = None
        try:
            current, update = self._perform_update(set_, pods, revisions)
        except Exception as exc:
            error = exc
        self._truncate_history(set_, pods, revisions, current, update)
        if error is not None:
            raise error
        return self._next_availability(set_, pods)

    def _next_availability(self, set_: Obj, pods: list[Obj]) -> float | None:
        """When a ready pod passes minReadySeconds, status.availableReplicas changes."""
        min_ready = util.int_field(set_.get("spec"), "minReadySeconds")
        if min_ready <= 0:
            return None
        now = self.clock()
        soonest: float | None = None
        for pod in pods:
            at = util.available_at(pod, min_ready)
            if at is None or not is_running_and_ready(pod):
                continue
            if util.is_pod_available(pod, min_ready, now):
                continue
            wait = max(at - now, 0.0) + 1.0
            soonest = wait if soonest is None else min(soonest, wait)
        return soonest

    def _matches(self, selector: LabelSelector, obj: Mapping[str, Any]) -> bool:
        return not selector.empty and selector.matches(util.labels_of(obj))

    def _pods_for(self, set_: Obj, selector: LabelSelector) -> list[Obj]:
        namespace = util.namespace_of(set_)
        candidates = [*self.pods.controlled_by(util.uid_of(set_)), *self.pods.orphans(namespace)]
        set_name = util.name_of(set_)
        return claim_objects(
            self,
            set_,
            self.api_version,
            self.kind,
            "",
            "pods",
            candidates,
            lambda p: self._matches(selector, p) and parent_and_ordinal(p)[0] == set_name,
            recheck_owner(self, "apps", "statefulsets", set_),
        )

    def _revisions_for(self, set_: Obj, selector: LabelSelector) -> list[Obj]:
        return [
            rev
            for rev in self.revisions.controlled_by(util.uid_of(set_))
            if self._matches(selector, rev)
        ]

    def _adopt_orphan_revisions(self, set_: Obj, selector: LabelSelector) -> None:
        orphans = [
            rev
            for rev in self.revisions.orphans(util.namespace_of(set_))
            if self._matches(selector, rev)
        ]
        if not orphans:
            return
        if not recheck_owner(self, "apps", "statefulsets", set_)():
            return
        for rev in orphans:
            body = {
                "metadata": {
                    "ownerReferences": [util.new_controller_ref(set_, self.api_version, self.kind)],
                    "uid": util.uid_of(rev),
                }
            }
            self.api_patch(
                "apps",
                "controllerrevisions",
                util.namespace_of(rev),
                util.name_of(rev),
                STRATEGIC,
                body,
            )

    # --- revisions -------------------------------------------------------------------------

    def _new_revision(self, set_: Obj, number: int, collision_count: int) -> Obj:
        template = (set_.get("spec") or {}).get("template") or {}
        rev = history.new_revision(
            set_,
            self.api_version,
            self.kind,
            util.labels_of(template),
            history.template_patch(set_),
            number,
            collision_count,
        )
        annotations = util.annotations_of(set_)
        if annotations:
            rev["metadata"]["annotations"] = annotations
        return rev

    def _create_revision(self, set_: Obj, revision: Obj, collision_count: int) -> tuple[Obj, int]:
        """realHistory.CreateControllerRevision: retry with a bumped collision count while the
        name is taken by a different revision."""
        raw = util.go_json(revision["data"])
        for _ in range(100):
            hash_ = history.hash_revision(raw, collision_count)
            candidate = deep_copy(revision)
            candidate["metadata"]["name"] = history.revision_name(util.name_of(set_), hash_)
            try:
                return self.api_create("apps", "controllerrevisions", candidate), collision_count
            except StoreError as exc:
                if not (exc.code == 409 and exc.reason == "AlreadyExists"):
                    raise
                existing = self.client.get(
                    "apps",
                    "controllerrevisions",
                    util.namespace_of(set_),
                    candidate["metadata"]["name"],
                )
                if history.revision_raw(existing) == history.patch_raw(candidate["data"]):
                    return existing, collision_count
                collision_count += 1
        raise RuntimeError("too many ControllerRevision name collisions")

    def _update_revision_number(self, revision: Obj, number: int) -> Obj:
        current = revision
        for _ in range(5):
            if history.revision_number(current) == number:
                return current
            clone = deep_copy(current)
            clone["revision"] = number
            try:
                return self.api_update("apps", "controllerrevisions", clone)
            except StoreError as exc:
                if exc.code != 409:
                    raise
                current = self.client.get(
                    "apps",
                    "controllerrevisions",
                    util.namespace_of(revision),
                    util.name_of(revision),
                )
        raise StoreError(409, "Conflict", "could not update the revision number")

    def _get_revisions(self, set_: Obj, revisions: list[Obj]) -> tuple[Obj, Obj, int]:
        """getStatefulSetRevisions."""
        count = len(revisions)
        collision_count = util.int_field(set_.get("status"), "collisionCount")
        update = self._new_revision(set_, history.next_revision(revisions), collision_count)
        equal = history.find_equal_revisions(revisions, update)
        if equal and history.equal_revision(revisions[count - 1], equal[-1]):
            update = revisions[count - 1]
        elif equal:
            update = self._update_revision_number(equal[-1], history.revision_number(update))
        else:
            update, collision_count = self._create_revision(set_, update, collision_count)
        current_name = (set_.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if util.name_of(r) == current_name), None)
        if current is None:
            current = update
        return current, update, collision_count

    def _truncate_history(
        self,
        set_: Obj,
        pods: list[Obj],
        revisions: list[Obj],
        current: Obj | None,
        update: Obj | None,
    ) -> None:
        live = {pod_revision(p) for p in pods}
        for rev in (current, update):
            if rev is not None:
                live.add(util.name_of(rev))
        old = [r for r in revisions if util.name_of(r) not in live]
        limit = util.int_field(set_.get("spec"), "revisionHistoryLimit", 10)
        if len(old) <= limit:
            return
        for rev in old[: len(old) - limit]:
            try:
                self.api_delete(
                    "apps", "controllerrevisions", util.namespace_of(rev), util.name_of(rev)
                )
            except StoreError as exc:
                if exc.code != 404:
                    raise

    # --- the update ------------------------------------------------------------------------

    def _perform_update(self, set_: Obj, pods: list[Obj], revisions: list[Obj]) -> tuple[Obj, Obj]:
        current, update, collision_count = self._get_revisions(set_, revisions)
        status = self._update_stateful_set(set_, current, update, collision_count, pods)
        self._update_status(set_, status)
        return current, update

    def _create_pod(self, set_: Obj, pod: Obj) -> None:
        try:
            self.api_create("", "pods", pod)
        except StoreError as exc:
            if exc.code == 409 and exc.reason == "AlreadyExists":
                return
            self._pod_event(set_, pod, "create", exc)
            raise
        self._pod_event(set_, pod, "create", None)

    def _delete_pod(self, set_: Obj, pod: Obj) -> None:
        try:
            self.api_delete("", "pods", util.namespace_of(pod), util.name_of(pod))
        except StoreError as exc:
            if exc.code == 404:
                return
            self._pod_event(set_, pod, "delete", exc)
            raise
        self._pod_event(set_, pod, "delete", None)

    def _update_pod(self, set_: Obj, pod: Obj) -> None:
        update_identity(set_, pod)
        update_storage(set_, pod)
        try:
            self.api_update("", "pods", pod)
        except StoreError as exc:
            self._pod_event(set_, pod, "update", exc)
            raise
        self._pod_event(set_, pod, "update", None)

    def _pod_event(self, set_: Obj, pod: Obj, verb: str, error: StoreError | None) -> None:
        pod_name, set_name = util.name_of(pod), util.name_of(set_)
        if error is None:
            self.record(
                set_,
                "Normal",
                f"Successful{verb.capitalize()}",
                f"{verb} Pod {pod_name} in StatefulSet {set_name} successful",
            )
        else:
            self.record(
                set_,
                "Warning",
                f"Failed{verb.capitalize()}",
                f"{verb} Pod {pod_name} in StatefulSet {set_name} failed error: {error.message}",
            )

    def _update_stateful_set(
        self, set_: Obj, current: Obj, update: Obj, collision_count: int, pods: list[Obj]
    ) -> Obj:
        current_set = history.apply_revision(set_, current)
        update_set = history.apply_revision(set_, update)
        current_name, update_name = util.name_of(current), util.name_of(update)
        spec = set_.get("spec") or {}
        now = self.clock()
        min_ready = util.int_field(spec, "minReadySeconds")
        status: Obj = {
            "observedGeneration": util.int_field(set_.get("metadata"), "generation"),
            "currentRevision": current_name,
            "updateRevision": update_name,
            "collisionCount": collision_count,
            "replicas": 0,
            "readyReplicas": 0,
            "availableReplicas": 0,
            "currentReplicas": 0,
            "updatedReplicas": 0,
        }
        replica_count = util.int_field(spec, "replicas", 1)
        replicas: list[Obj | None] = [None] * replica_count
        condemned: list[Obj] = []
        for pod in pods:
            status["replicas"] += 1
            if is_running_and_ready(pod):
                status["readyReplicas"] += 1
                if util.is_pod_available(pod, min_ready, now):
                    status["availableReplicas"] += 1
            if is_created(pod) and not util.is_deleting(pod):
                if pod_revision(pod) == current_name:
                    status["currentReplicas"] += 1
                if pod_revision(pod) == update_name:
                    status["updatedReplicas"] += 1
            ordinal = ordinal_of(pod)
            if 0 <= ordinal < replica_count:
                replicas[ordinal] = pod
            elif ordinal >= replica_count:
                condemned.append(pod)
        for ordinal in range(replica_count):
            if replicas[ordinal] is None:
                replicas[ordinal] = new_versioned_pod(
                    current_set, update_set, current_name, update_name, ordinal
                )
        condemned.sort(key=ordinal_of)
        first_unhealthy: Obj | None = None
        first_unhealthy_ordinal = 2**31 - 1
        for candidate in [*replicas, *condemned]:
            assert candidate is not None
            if not is_healthy(candidate):
                ordinal = ordinal_of(candidate)
                if ordinal < first_unhealthy_ordinal:
                    first_unhealthy_ordinal = ordinal
                    first_unhealthy = candidate
        if util.is_deleting(set_):
            return status
        monotonic = spec.get("podManagementPolicy") != "Parallel"

        for i in range(replica_count):
            replica = replicas[i]
            assert replica is not None
            pod = replica
            if is_failed(pod):
                self.record(
                    set_,
                    "Warning",
                    "RecreatingFailedPod",
                    f"StatefulSet {util.namespace_of(set_)}/{util.name_of(set_)} is recreating"
                    f" failed Pod {util.name_of(pod)}",
                )
                self._delete_pod(set_, pod)
                if pod_revision(pod) == current_name:
                    status["currentReplicas"] -= 1
                if pod_revision(pod) == update_name:
                    status["updatedReplicas"] -= 1
                status["replicas"] -= 1
                pod = replicas[i] = new_versioned_pod(
                    current_set, update_set, current_name, update_name, i
                )
            if not is_created(pod):
                self._create_pod(set_, pod)
                status["replicas"] += 1
                if pod_revision(pod) == current_name:
                    status["currentReplicas"] += 1
                if pod_revision(pod) == update_name:
                    status["updatedReplicas"] += 1
                if monotonic:
                    return status
                continue
            if util.is_deleting(pod) and monotonic:
                return status
            if not is_running_and_ready(pod) and monotonic:
                return status
            if identity_matches(set_, pod) and storage_matches(set_, pod):
                continue
            self._update_pod(update_set, deep_copy(pod))

        for target in range(len(condemned) - 1, -1, -1):
            pod = condemned[target]
            if util.is_deleting(pod):
                if monotonic:
                    return status
                continue
            if not is_running_and_ready(pod) and monotonic and pod is not first_unhealthy:
                return status
            self._delete_pod(set_, pod)
            if pod_revision(pod) == current_name:
                status["currentReplicas"] -= 1
            if pod_revision(pod) == update_name:
                status["updatedReplicas"] -= 1
            if monotonic:
                return status

        strategy = spec.get("updateStrategy") or {}
        if strategy.get("type") == "OnDelete":
            return status
        update_min = 0
        if strategy.get("rollingUpdate") is not None:
            update_min = util.int_field(strategy["rollingUpdate"], "partition")
        for target in range(replica_count - 1, update_min - 1, -1):
            target_pod = replicas[target]
            assert target_pod is not None
            pod = target_pod
            if pod_revision(pod) != update_name and not util.is_deleting(pod):
                self._delete_pod(set_, pod)
                status["currentReplicas"] -= 1
                return status
            if not is_healthy(pod):
                return status
        return status

    def _update_status(self, set_: Obj, status: Obj) -> None:
        strategy = (set_.get("spec") or {}).get("updateStrategy") or {}
        if (
            strategy.get("type") == "RollingUpdate"
            and status["updatedReplicas"] == status["replicas"]
            and status["readyReplicas"] == status["replicas"]
        ):
            status["currentReplicas"] = status["updatedReplicas"]
            status["currentRevision"] = status["updateRevision"]
        old = set_.get("status") or {}
        if not (
            status["observedGeneration"] > util.int_field(old, "observedGeneration")
            or any(
                util.int_field(old, k) != status[k]
                for k in (
                    "replicas",
                    "currentReplicas",
                    "readyReplicas",
                    "updatedReplicas",
                    "availableReplicas",
                )
            )
            or (old.get("currentRevision") or "") != status["currentRevision"]
            or (old.get("updateRevision") or "") != status["updateRevision"]
        ):
            return
        current = set_
        for _ in range(5):
            candidate = deep_copy(current)
            rendered = render_status(status)
            if (current.get("status") or {}).get("conditions"):
                rendered["conditions"] = current["status"]["conditions"]
            candidate["status"] = rendered
            try:
                self.api_update_status("apps", "statefulsets", candidate)
                return
            except StoreError as exc:
                if exc.code != 409:
                    raise
                current = self.client.get(
                    "apps", "statefulsets", util.namespace_of(set_), util.name_of(set_)
                )
        raise StoreError(409, "Conflict", "could not update the StatefulSet status")
