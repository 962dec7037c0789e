"""The DaemonSet controller (pkg/controller/daemon: daemon_controller.go, update.go, util, v1.20).

For every node (from the store) the DaemonSet's pod should run on — `spec.template.spec.nodeName`
if set, the node selector and required node affinity, and every NoSchedule / NoExecute taint
tolerated (DaemonSet pods get upstream's automatic tolerations: not-ready / unreachable
NoExecute; disk-, memory-, pid-pressure and unschedulable NoSchedule; network-unavailable with
hostNetwork — so, as upstream, a cordoned node still runs daemon pods) — exactly one pod runs:
missing ones are created (slow start, at most 250 a sync), failed ones deleted (with a per-node
back-off), extra ones deleted keeping the oldest, pods on nodes that should not run one deleted
(a NoExecute-tolerating pod may stay).

Pods are created with generateName `<ds>-`, labels `controller-revision-hash` (the current
ControllerRevision's hash; plus `pod-template-generation` when the DaemonSet carries the
`deprecated.daemonset.template.generation` annotation) and a required node affinity
`matchFields metadata.name In [<node>]`. As in v1.20, binding is the scheduler's job; with
`bind_pods=True` the controller binds each new pod to its node itself (for clusters without a
scheduler that honours matchFields).

Updates: RollingUpdate deletes unavailable old pods, then old available ones while fewer than
maxUnavailable (percent of desired, rounded up) pods are unavailable; OnDelete waits. History:
ControllerRevisions `<ds>-<hash>` (data = getPatch of the template; hash = controller.ComputeHash,
see `util.compute_hash` for its divergence) with `.revision` numbers, old ones beyond
revisionHistoryLimit deleted unless a pod still uses them. Status: desiredNumberScheduled,
currentNumberScheduled, numberMisscheduled, numberReady, numberAvailable, updatedNumberScheduled,
numberUnavailable, observedGeneration.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from ktui.sim.controllers import history, util
from ktui.sim.controllers.base import (
    STRATEGIC,
    Controller,
    ControllerContext,
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
from ktui.sim.selectors import LabelSelector
from ktui.sim.store import StoreError

Obj = dict[str, Any]

HASH_LABEL = "controller-revision-hash"
TEMPLATE_GENERATION_LABEL = "pod-template-generation"
TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"
BURST_REPLICAS = 250
FAILED_POD_BACKOFF = 1.0
FAILED_POD_BACKOFF_MAX = 15 * 60.0

_DAEMON_TOLERATIONS = (
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
)


def add_daemon_tolerations(spec: Obj) -> None:
    """util.AddOrUpdateDaemonPodTolerations."""
    wanted = list(_DAEMON_TOLERATIONS)
    if spec.get("hostNetwork"):
        wanted.append(("node.kubernetes.io/network-unavailable", "NoSchedule"))
    tolerations = [t for t in spec.get("tolerations") or () if isinstance(t, dict)]
    for key, effect in wanted:
        new = {"key": key, "operator": "Exists", "effect": effect}
        for i, existing in enumerate(tolerations):
            if existing.get("key") == key and existing.get("effect") == effect:
                tolerations[i] = new
                break
        else:
            tolerations.append(new)
    spec["tolerations"] = tolerations


def node_affinity_for(affinity: Obj | None, node_name: str) -> Obj:
    """util.ReplaceDaemonSetPodNodeNameNodeAffinity."""
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
    affinity = deep_copy(affinity) if isinstance(affinity, dict) else {}
    node_affinity = affinity.get("nodeAffinity")
    if not isinstance(node_affinity, dict):
        affinity["nodeAffinity"] = {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}
        }
        return affinity
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if not isinstance(required, dict):
        node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {
            "nodeSelectorTerms": [term]
        }
        return affinity
    required["nodeSelectorTerms"] = [term]
    return affinity


def target_node(pod: Mapping[str, Any]) -> str:
    """util.GetTargetNodeName: spec.nodeName, else the node of the matchFields affinity."""
    node = util.pod_node(pod)
    if node:
        return node
    spec = pod.get("spec") or {}
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in required.get("nodeSelectorTerms") or ():
        for field in (term or {}).get("matchFields") or ():
            if (
                field.get("key") == "metadata.name"
                and field.get("operator") == "In"
                and len(field.get("values") or ()) == 1
            ):
                return str(field["values"][0])
    return ""


def _tolerates(tolerations: list[Obj], taint: Mapping[str, Any]) -> bool:
    """TolerationsTolerateTaint (Toleration.ToleratesTaint for any of them)."""
    for tol in tolerations:
        effect = tol.get("effect") or ""
        if effect and effect != taint.get("effect"):
            continue
        key = tol.get("key") or ""
        if key and key != taint.get("key"):
            continue
        operator = tol.get("operator") or ""
        if operator in ("", "Equal"):
            if (tol.get("value") or "") == (taint.get("value") or ""):
                return True
        elif operator == "Exists":
            return True
    return False


def _untolerated(taints: list[Obj], tolerations: list[Obj], effects: tuple[str, ...]) -> bool:
    return any(t.get("effect") in effects and not _tolerates(tolerations, t) for t in taints)


def _node_selector_term_matches(term: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    labels = util.labels_of(node)
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return False
    for expr in exprs:
        key, op = expr.get("key"), expr.get("operator")
        values = [str(v) for v in expr.get("values") or ()]
        have = labels.get(str(key)) if key in labels else None
        if op == "In" and (have is None or have not in values):
            return False
        if op == "NotIn" and have is not None and have in values:
            return False
        if op == "Exists" and have is None:
            return False
        if op == "DoesNotExist" and have is not None:
            return False
        if op in ("Gt", "Lt"):
            try:
                have_int, want = int(have or ""), int(values[0])
            except (ValueError, IndexError):
                return False
            if (op == "Gt" and not have_int > want) or (op == "Lt" and not have_int < want):
                return False
    for field in fields:
        if field.get("key") != "metadata.name":
            return False
        values = [str(v) for v in field.get("values") or ()]
        name = util.name_of(node)
        if field.get("operator") == "In" and name not in values:
            return False
        if field.get("operator") == "NotIn" and name in values:
            return False
    return True


def pod_fits_node(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """PodMatchesNodeSelectorAndAffinityTerms."""
    selector = pod_spec.get("nodeSelector") or {}
    labels = util.labels_of(node)
    if any(labels.get(k) != v for k, v in selector.items()):
        return False
    required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if isinstance(required, dict):
        terms = required.get("nodeSelectorTerms") or []
        if not any(_node_selector_term_matches(t or {}, node) for t in terms):
            return False
    return True


def should_run(ds: Mapping[str, Any], node: Mapping[str, Any]) -> tuple[bool, bool]:
    """nodeShouldRunDaemonPod: (should run, should continue running)."""
    template_spec = deep_copy(((ds.get("spec") or {}).get("template") or {}).get("spec") or {})
    node_name = util.name_of(node)
    if template_spec.get("nodeName") and template_spec["nodeName"] != node_name:
        return False, False
    # NewPod: the template with the node's name and the daemon tolerations (the template's own
    # node affinity still applies).
    add_daemon_tolerations(template_spec)
    if not pod_fits_node(template_spec, node):
        return False, False
    taints = [t for t in (node.get("spec") or {}).get("taints") or () if isinstance(t, dict)]
    tolerations = template_spec["tolerations"]
    if _untolerated(taints, tolerations, ("NoExecute", "NoSchedule")):
        return False, not _untolerated(taints, tolerations, ("NoExecute",))
    return True, True


def template_generation(ds: Mapping[str, Any]) -> str | None:
    value = util.annotations_of(ds).get(TEMPLATE_GENERATION_ANNOTATION)
    if value is None:
        return None
    try:
        return str(int(value))
    except ValueError:
        return None


def is_pod_updated(pod: Mapping[str, Any], hash_: str, generation: str | None) -> bool:
    labels = util.labels_of(pod)
    template_matches = (
        generation is not None and labels.get(TEMPLATE_GENERATION_LABEL) == generation
    )
    hash_matches = bool(hash_) and labels.get(HASH_LABEL) == hash_
    return hash_matches or template_matches


def _by_creation_and_phase(pod: Mapping[str, Any]) -> tuple[int, float, str]:
    """podByCreationTimestampAndPhase: scheduled first, then oldest, then name."""
    created = util.creation_time(pod)
    return (0 if util.pod_node(pod) else 1, created or 0.0, util.name_of(pod))


class DaemonSetController(Controller):
    name = "daemonset-controller"
    kind = "DaemonSet"
    api_version = "apps/v1"

    def __init__(self, ctx: ControllerContext, bind_pods: bool = False) -> None:
        super().__init__(ctx)
        self.bind_pods = bind_pods
        self._failed_backoff: dict[str, tuple[float, float]] = {}

    def register(self) -> None:
        self.sets: Informer = self.informers.informer("apps", "daemonsets")
        self.pods: Informer = self.informers.informer("", "pods")
        self.nodes: Informer = self.informers.informer("", "nodes")
        self.revisions: Informer = self.informers.informer("apps", "controllerrevisions")
        self.sets.add_handler(
            on_add=self.enqueue,
            on_update=lambda old, new: self.enqueue(new),
            on_delete=self.enqueue,
        )
        self.owned_pods = OwnedObjects(
            self.sets,
            self.kind,
            self.enqueue,
            after_owner_update=min_ready_requeue(self.queue, slack=0),
        )
        self.pods.add_handler(
            on_add=self.owned_pods.changed,
            on_update=self.owned_pods.updated,
            on_delete=self.owned_pods.changed,
        )
        self.nodes.add_handler(
            on_add=lambda node: self.resync(),
            on_update=self._node_updated,
            on_delete=lambda node: self.resync(),
        )
        self.revisions.add_handler(
            on_add=self._revision_changed,
            on_update=lambda old, new: self._revision_changed(new),
            on_delete=self._revision_changed,
        )

    def resync(self) -> None:
        for ds in self.sets.list():
            self.enqueue(ds)

    # --- events ----------------------------------------------------------------------------

    def _revision_changed(self, revision: Obj) -> None:
        ds = self.owned_pods.owner_of(revision)
        if ds is not None:
            self.enqueue(ds)

    def _node_updated(self, old: Obj, new: Obj) -> None:
        def relevant(node: Obj) -> tuple[Any, ...]:
            spec = node.get("spec") or {}
            return (util.labels_of(node), spec.get("taints"), spec.get("unschedulable"))

        if relevant(old) != relevant(new):
            self.resync()

    # --- sync ------------------------------------------------------------------------------

    def sync(self, key: str) -> float | None:
        namespace, name = util.split_key(key)
        cached = self.sets.get(namespace, name)
        if cached is None:
            return None
        ds = deep_copy(cached)
        selector = util.selector_of(ds)
        if selector.empty:
            self.record(
                ds,
                "Warning",
                "SelectingAll",
                "This daemon set is selecting all pods. A non-empty selector is required.",
            )
            return None
        if util.is_deleting(ds):
            return None
        nodes = sorted(self.nodes.list(), key=util.name_of)
        current, old = self._construct_history(ds, selector)
        hash_ = util.labels_of(current).get(HASH_LABEL, "")
        after = self._manage(ds, selector, nodes, hash_)
        if after is None:
            # Upstream runs the rolling update only once the creations / deletions of `manage`
            # were observed: here, when manage had nothing to do.
            strategy = (ds.get("spec") or {}).get("updateStrategy") or {}
            if strategy.get("type") == "RollingUpdate":
                self._rolling_update(ds, selector, nodes, hash_)
        self._cleanup_history(ds, selector, old)
        status_after = self._update_status(ds, selector, nodes, hash_)
        waits = [w for w in (after, status_after) if w is not None and w > 0]
        return min(waits) if waits else None

    # --- pods ------------------------------------------------------------------------------

    def _daemon_pods(self, ds: Obj, selector: LabelSelector) -> list[Obj]:
        namespace = util.namespace_of(ds)
        candidates = [*self.pods.controlled_by(util.uid_of(ds)), *self.pods.orphans(namespace)]

        def match(pod: Obj) -> bool:
            return selector.matches(util.labels_of(pod))

        return claim_objects(
            self,
            ds,
            self.api_version,
            self.kind,
            "",
            "pods",
            candidates,
            match,
            recheck_owner(self, "apps", "daemonsets", ds),
        )

    def _nodes_to_pods(self, ds: Obj, selector: LabelSelector) -> dict[str, list[Obj]]:
        mapping: dict[str, list[Obj]] = {}
        for pod in self._daemon_pods(ds, selector):
            node = target_node(pod)
            if node:
                mapping.setdefault(node, []).append(pod)
        return mapping

    def _manage(
        self, ds: Obj, selector: LabelSelector, nodes: list[Obj], hash_: str
    ) -> float | None:
        """manage: returns None when nothing was created or deleted, else a requeue delay (0 for
        "look again at once")."""
        node_to_pods = self._nodes_to_pods(ds, selector)
        needing: list[str] = []
        to_delete: list[Obj] = []
        retry_after: float | None = None
        now = time.monotonic()
        for node in nodes:
            node_name = util.name_of(node)
            run, keep = should_run(ds, node)
            pods = node_to_pods.get(node_name)
            if run and not pods:
                needing.append(node_name)
            elif keep:
                running = []
                for pod in pods or ():
                    if util.is_deleting(pod):
                        continue
                    if util.pod_phase(pod) == "Failed":
                        wait = self._failed_pod_backoff(ds, node_name, now)
                        if wait is not None:
                            retry_after = wait if retry_after is None else min(retry_after, wait)
                            continue
                        self.record(
                            ds,
                            "Warning",
                            "FailedDaemonPod",
                            f"Found failed daemon pod {util.namespace_of(pod)}/"
                            f"{util.name_of(pod)} on node {node_name}, will try to kill it",
                        )
                        to_delete.append(pod)
                    else:
                        running.append(pod)
                if len(running) > 1:
                    running.sort(key=_by_creation_and_phase)
                    to_delete.extend(running[1:])
            elif pods:
                to_delete.extend(p for p in pods if not util.is_deleting(p))
        known = {util.name_of(n) for n in nodes}
        for node_name, pods in node_to_pods.items():
            if node_name in known:
                continue
            to_delete.extend(p for p in pods if not util.pod_node(p))
        if not needing and not to_delete:
            if retry_after is not None:
                self._requeue_real(ds, retry_after)
            return None
        self._sync_nodes(ds, to_delete, needing, hash_)
        if retry_after is not None:
            self._requeue_real(ds, retry_after)
        return 0.0

    def _requeue_real(self, ds: Obj, seconds: float) -> None:
        # The failed-pod back-off is in real time (like upstream's flowcontrol.Backoff).
        self.queue.add_after_real(util.key_of(ds), seconds)

    def _failed_pod_backoff(self, ds: Obj, node_name: str, now: float) -> float | None:
        """flowcontrol.Backoff per (ds, node): None when a kill may go ahead now, else how long
        until it may."""
        key = f"{util.uid_of(ds)}/{node_name}"
        entry = self._failed_backoff.get(key)
        if entry is not None:
            delay, last = entry
            if now - last < delay:
                return delay - (now - last)
            delay = min(delay * 2, FAILED_POD_BACKOFF_MAX)
            if now - last > 2 * FAILED_POD_BACKOFF_MAX:
                delay = FAILED_POD_BACKOFF
        else:
            delay = FAILED_POD_BACKOFF
        self._failed_backoff[key] = (delay, now)
        return None

    def _sync_nodes(self, ds: Obj, to_delete: list[Obj], needing: list[str], hash_: str) -> None:
        template = deep_copy((ds.get("spec") or {}).get("template") or {})
        add_daemon_tolerations(template.setdefault("spec", {}))
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        generation = template_generation(ds)
        if generation is not None:
            labels[TEMPLATE_GENERATION_LABEL] = generation
        if hash_:
            labels[HASH_LABEL] = hash_
        create_count = min(len(needing), BURST_REPLICAS)
        delete_count = min(len(to_delete), BURST_REPLICAS)
        pending = iter(needing[:create_count])

        def create() -> None:
            node_name = next(pending)

            def place(pod: Obj) -> None:
                pod["spec"]["affinity"] = node_affinity_for(pod["spec"].get("affinity"), node_name)

            try:
                created = create_pod_from_template(
                    self, template, ds, self.api_version, self.kind, mutate=place
                )
            except StoreError as exc:
                if exc.code == 403 and "being terminated" in exc.message:
                    return
                raise
            if self.bind_pods:
                try:
                    self.client.bind(util.namespace_of(created), util.name_of(created), node_name)
                except StoreError as exc:
                    if exc.code not in (404, 409):
                        raise

        _, first_error = slow_start_batch(create_count, 1, create)
        for pod in to_delete[:delete_count]:
            try:
                delete_pod(self, ds, pod)
            except Exception as exc:
                if first_error is None:
                    first_error = exc
        if first_error is not None:
            raise first_error

    # --- rolling update --------------------------------------------------------------------

    def _rolling_update(
        self, ds: Obj, selector: LabelSelector, nodes: list[Obj], hash_: str
    ) -> None:
        node_to_pods = self._nodes_to_pods(ds, selector)
        generation = template_generation(ds)
        old_pods = [
            p
            for pods in node_to_pods.values()
            for p in pods
            if not is_pod_updated(p, hash_, generation)
        ]
        max_unavailable, unavailable = self._unavailable_numbers(ds, nodes, node_to_pods)
        min_ready = util.int_field(ds.get("spec"), "minReadySeconds")
        now = self.clock()
        to_delete: list[Obj] = []
        for pod in old_pods:
            if not util.is_pod_available(pod, min_ready, now) and not util.is_deleting(pod):
                to_delete.append(pod)
        for pod in old_pods:
            if not util.is_pod_available(pod, min_ready, now):
                continue
            if unavailable >= max_unavailable:
                break
            to_delete.append(pod)
            unavailable += 1
        if to_delete:
            self._sync_nodes(ds, to_delete, [], hash_)

    def _unavailable_numbers(
        self, ds: Obj, nodes: list[Obj], node_to_pods: dict[str, list[Obj]]
    ) -> tuple[int, int]:
        min_ready = util.int_field(ds.get("spec"), "minReadySeconds")
        now = self.clock()
        unavailable = desired = 0
        for node in nodes:
            run, _ = should_run(ds, node)
            if not run:
                continue
            desired += 1
            pods = node_to_pods.get(util.name_of(node))
            if not pods:
                unavailable += 1
                continue
            if not any(
                util.is_pod_available(p, min_ready, now) and not util.is_deleting(p) for p in pods
            ):
                unavailable += 1
        rolling = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {}
        max_unavailable = util.scaled_value(rolling.get("maxUnavailable", 1), desired, True)
        return max_unavailable, unavailable

    # --- history ---------------------------------------------------------------------------

    def _controlled_revisions(self, ds: Obj, selector: LabelSelector) -> list[Obj]:
        namespace = util.namespace_of(ds)
        candidates = [
            *self.revisions.controlled_by(util.uid_of(ds)),
            *self.revisions.orphans(namespace),
        ]
        return claim_objects(
            self,
            ds,
            self.api_version,
            self.kind,
            "apps",
            "controllerrevisions",
            candidates,
            lambda rev: selector.matches(util.labels_of(rev)),
            recheck_owner(self, "apps", "daemonsets", ds),
        )

    def _construct_history(self, ds: Obj, selector: LabelSelector) -> tuple[Obj, list[Obj]]:
        patch_bytes = history.patch_raw(history.template_patch(ds))
        current_histories: list[Obj] = []
        old: list[Obj] = []
        for rev in self._controlled_revisions(ds, selector):
            if HASH_LABEL not in util.labels_of(rev):
                clone = deep_copy(rev)
                clone["metadata"].setdefault("labels", {})[HASH_LABEL] = util.name_of(rev)
                rev = self.api_update("apps", "controllerrevisions", clone)
            if history.revision_raw(rev) == patch_bytes:
                current_histories.append(rev)
            else:
                old.append(rev)
        current_number = history.max_revision(old) + 1
        if not current_histories:
            current = self._snapshot(ds, current_number)
        else:
            current = self._dedup(ds, current_histories)
            if history.revision_number(current) < current_number:
                clone = deep_copy(current)
                clone["revision"] = current_number
                current = self.api_update("apps", "controllerrevisions", clone)
        return current, old

    def _dedup(self, ds: Obj, histories: list[Obj]) -> Obj:
        """dedupCurHistories: keep the highest revision, relabel pods, delete the others."""
        if len(histories) == 1:
            return histories[0]
        keep = max(histories, key=history.revision_number)
        keep_hash = util.labels_of(keep).get(HASH_LABEL, "")
        for rev in histories:
            if util.uid_of(rev) == util.uid_of(keep):
                continue
            dup_hash = util.labels_of(rev).get(HASH_LABEL, "")
            for pod in self.pods.controlled_by(util.uid_of(ds)):
                if util.labels_of(pod).get(HASH_LABEL) == dup_hash:
                    self.api_patch(
                        "",
                        "pods",
                        util.namespace_of(pod),
                        util.name_of(pod),
                        STRATEGIC,
                        {"metadata": {"labels": {HASH_LABEL: keep_hash}}},
                    )
            try:
                self.api_delete(
                    "apps", "controllerrevisions", util.namespace_of(rev), util.name_of(rev)
                )
            except StoreError as exc:
                if exc.code != 404:
                    raise
        return keep

    def _snapshot(self, ds: Obj, number: int) -> Obj:
        # Upstream's getPatch is json.Marshal of a map: keys sorted at every level. The
        # apiserver keeps those bytes, and kubectl's undo compares them with its own.
        patch = json.loads(util.go_json(history.template_patch(ds)))
        template = (ds.get("spec") or {}).get("template") or {}
        collision = (ds.get("status") or {}).get("collisionCount")
        hash_ = util.compute_hash(template, collision)
        name = f"{util.name_of(ds)}-{hash_}"
        revision: Obj = {
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": {
                "name": name,
                "namespace": util.namespace_of(ds),
                "labels": {**util.labels_of(template), HASH_LABEL: hash_},
                "ownerReferences": [util.new_controller_ref(ds, self.api_version, self.kind)],
            },
            "data": patch,
            "revision": number,
        }
        annotations = util.annotations_of(ds)
        if annotations:
            revision["metadata"]["annotations"] = annotations
        try:
            return self.api_create("apps", "controllerrevisions", revision)
        except StoreError as exc:
            if not (exc.code == 409 and exc.reason == "AlreadyExists"):
                raise
            existing = self.client.get("apps", "controllerrevisions", util.namespace_of(ds), name)
            if history.revision_raw(existing) == history.patch_raw(patch):
                return existing
            fresh = self.client.get("apps", "daemonsets", util.namespace_of(ds), util.name_of(ds))
            fresh_collision = (fresh.get("status") or {}).get("collisionCount")
            if fresh_collision != collision:
                raise StoreError(
                    409, "Conflict", f"found a stale collision count of DaemonSet {name}"
                ) from None
            fresh.setdefault("status", {})["collisionCount"] = int(collision or 0) + 1
            self.api_update_status("apps", "daemonsets", fresh)
            raise

    def _cleanup_history(self, ds: Obj, selector: LabelSelector, old: list[Obj]) -> None:
        limit = util.int_field(ds.get("spec"), "revisionHistoryLimit", 10)
        to_kill = len(old) - limit
        if to_kill <= 0:
            return
        live = {
            util.labels_of(p).get(HASH_LABEL)
            for pods in self._nodes_to_pods(ds, selector).values()
            for p in pods
        }
        for rev in history.sort_revisions(old):
            if to_kill <= 0:
                break
            if util.labels_of(rev).get(HASH_LABEL) in live:
                continue
            try:
                self.api_delete(
                    "apps", "controllerrevisions", util.namespace_of(rev), util.name_of(rev)
                )
            except StoreError as exc:
                if exc.code != 404:
                    raise
            to_kill -= 1

    # --- status ----------------------------------------------------------------------------

    def _update_status(
        self, ds: Obj, selector: LabelSelector, nodes: list[Obj], hash_: str
    ) -> float | None:
        node_to_pods = self._nodes_to_pods(ds, selector)
        min_ready = util.int_field(ds.get("spec"), "minReadySeconds")
        now = self.clock()
        generation = template_generation(ds)
        desired = current = misscheduled = ready = updated = available = 0
        next_available: float | None = None
        for node in nodes:
            run, _ = should_run(ds, node)
            pods = node_to_pods.get(util.name_of(node)) or []
            if run:
                desired += 1
                if pods:
                    current += 1
                    pod = sorted(pods, key=_by_creation_and_phase)[0]
                    if util.is_pod_ready(pod):
                        ready += 1
                        if util.is_pod_available(pod, min_ready, now):
                            available += 1
                        else:
                            at = util.available_at(pod, min_ready)
                            if at is not None:
                                wait = max(at - now, 0.0) + 1.0
                                next_available = (
                                    wait if next_available is None else min(next_available, wait)
                                )
                    if is_pod_updated(pod, hash_, generation):
                        updated += 1
            elif pods:
                misscheduled += 1
        unavailable = desired - available
        status = ds.get("status") or {}
        ds_generation = util.int_field(ds.get("metadata"), "generation")
        counts = {
            "currentNumberScheduled": current,
            "numberMisscheduled": misscheduled,
            "desiredNumberScheduled": desired,
            "numberReady": ready,
            "updatedNumberScheduled": updated,
            "numberAvailable": available,
            "numberUnavailable": unavailable,
        }
        if (
            all(util.int_field(status, k) == v for k, v in counts.items())
            and util.int_field(status, "observedGeneration") >= ds_generation
        ):
            return next_available
        current_ds = ds
        for _ in range(2):
            candidate = deep_copy(current_ds)
            new_status = dict(candidate.get("status") or {})
            new_status["observedGeneration"] = ds_generation
            new_status.update(counts)
            candidate["status"] = _render_status(new_status)
            try:
                self.api_update_status("apps", "daemonsets", candidate)
                break
            except StoreError as exc:
                if exc.code != 409:
                    raise
                current_ds = self.client.get(
                    "apps", "daemonsets", util.namespace_of(ds), util.name_of(ds)
                )
        return next_available


def _render_status(status: Mapping[str, Any]) -> Obj:
    out: Obj = {
        "currentNumberScheduled": util.int_field(status, "currentNumberScheduled"),
        "numberMisscheduled": util.int_field(status, "numberMisscheduled"),
        "desiredNumberScheduled": util.int_field(status, "desiredNumberScheduled"),
        "numberReady": util.int_field(status, "numberReady"),
    }
    for key in (
        "observedGeneration",
        "updatedNumberScheduled",
        "numberAvailable",
        "numberUnavailable",
    ):
        if util.int_field(status, key):
            out[key] = util.int_field(status, key)
    if status.get("collisionCount") is not None:
        out["collisionCount"] = status["collisionCount"]
    if status.get("conditions"):
        out["conditions"] = status["conditions"]
    return out
