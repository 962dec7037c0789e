"""What the cache keeps of each object: the one projection, applied as objects arrive.

The watch caches hold objects for the rows, the ownership index, triage, the rollout logic and
the live detail screens (pod detail, logs, rollout tree). They never show a whole object: the
YAML view and describe fetch the full object with one GET when opened
(`ktui.cluster.fetch.fetch_object`). So the cache keeps only what those readers read, and
`slim_object` is applied by the watch thread to every object it parses (list pages and watch
events), before anything else sees it:

- **Pod** (the bulk of any cluster): an allow-list. `metadata`: name, namespace, uid,
  resourceVersion, creation and deletion times, labels, ownerReferences and only the
  annotations a reader uses (`POD_ANNOTATIONS`). `spec`: the node, restart policy, grace period,
  readiness and scheduling gates, and per container (init, sidecar, regular) its name, image,
  restartPolicy, `resources.limits` and its readiness and startup probes (the readiness
  sentence quotes them). Gone: env, envFrom, command, args, ports, volumeMounts, the liveness
  probe, security contexts, volumes, tolerations, affinity and the rest (describe and YAML
  fetch them). `status` is kept but for what nothing reads: `hostIP(s)`, each container
  status's `imageID`, `volumeMounts`, `resources`, `allocatedResources`, `user`, and an empty
  `lastState` (a missing one reads the same).
- **Workloads and their revisions** (Deployment, ReplicaSet, StatefulSet, DaemonSet,
  ControllerRevision, Job, CronJob): whole, because the rollout logic compares and diffs their
  pod templates (and undo restores them), but for the last-applied-configuration annotation.
- **Node**: whole but for `status.images` (every image on the node, nothing reads it) and the
  last-applied-configuration annotation.
- **Event** and anything else: as they are.

`metadata.managedFields` is never kept (`ktui.cluster.watch.prepare_object` drops it first).

Pods of one ReplicaSet have the same labels, owner, annotations and containers: those parts are
shared between pods (one dict or list for all of them, found in a bounded table by a cheap key
and compared whole before use) and the strings that repeat (namespaces, node names, images,
label keys and values, condition fields) are interned. Objects in the cache are read-only (a
change is a new object), which is what makes sharing safe. `slim_object` returns a new dict and
leaves its argument alone.
"""

from __future__ import annotations

import sys
from typing import Any, Final

__all__ = [
    "DROPPED_ANNOTATIONS",
    "POD_ANNOTATIONS",
    "WHOLE_KINDS",
    "slim_object",
]

Obj = dict[str, Any]

LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"
DROPPED_ANNOTATIONS: Final = frozenset({LAST_APPLIED})
"""Annotations no cached object keeps: each holds a whole manifest."""
POD_ANNOTATIONS: Final = frozenset({"kubectl.kubernetes.io/default-container"})
"""The pod annotations a reader uses (`ktui.view.logs`: which container `l` opens)."""
WHOLE_KINDS: Final = frozenset(
    {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ControllerRevision", "Job", "CronJob"}
)
"""Kept whole (but for `DROPPED_ANNOTATIONS`): the rollout logic reads their templates."""

_POD_METADATA: Final = (
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)
_POD_SPEC: Final = (
    "nodeName",
    "restartPolicy",
    "terminationGracePeriodSeconds",
    "readinessGates",
    "schedulingGates",
)
_CONTAINER_LISTS: Final = ("initContainers", "containers")
_CONTAINER: Final = ("name", "image", "restartPolicy", "readinessProbe", "startupProbe")
_POD_STATUS_DROPPED: Final = frozenset({"hostIP", "hostIPs"})
_CONTAINER_STATUS_LISTS: Final = (
    "initContainerStatuses",
    "containerStatuses",
    "ephemeralContainerStatuses",
)
_CONTAINER_STATUS_DROPPED: Final = frozenset(
    {
        "imageID",
        "volumeMounts",
        "resources",
        "allocatedResources",
        "allocatedResourcesStatus",
        "user",
    }
)

_SHARED_LIMIT: Final = 100_000
_shared: dict[tuple[str, int], Any] = {}
"""(what, hash of a cheap key) -> the one shared dict or list with that value (the key: label
items, owner uids, container names and images; a hit is compared whole before it is used, and a
collision or another value under the same key files the new value instead). Cleared at its
bound: entries of objects gone from the cache then go too."""

_intern = sys.intern


def _interned(value: Any) -> Any:
    return _intern(value) if type(value) is str else value


def _interned_tree(value: Any) -> Any:
    """`value` rebuilt with its strings interned (keys and values)."""
    if type(value) is dict:
        return {_interned(k): _interned_tree(v) for k, v in value.items()}
    if type(value) is list:
        return [_interned_tree(item) for item in value]
    return _interned(value)


def _share(what: str, key: Any, value: Any) -> Any:
    """The shared object equal to `value` (filed under `key`): `value` itself, its strings
    interned, the first time or when the one filed under `key` differs."""
    try:
        # The hash, not the key: a pod that shares nothing then costs the table an int.
        slot = (what, hash(key))
    except TypeError:  # an unhashable key: a malformed object, kept as it is
        return value
    found = _shared.get(slot)
    if found is not None and found == value:
        return found
    if len(_shared) >= _SHARED_LIMIT:
        _shared.clear()
    shared = _shared[slot] = _interned_tree(value)
    return shared


def _slim_container(container: Any) -> Any:
    if type(container) is not dict:
        return container
    slim = {key: container[key] for key in _CONTAINER if key in container}
    resources = container.get("resources")
    if type(resources) is dict and "limits" in resources:
        slim["resources"] = {"limits": resources["limits"]}
    return slim


def _containers(what: str, containers: list[Any]) -> Any:
    slim = [_slim_container(c) for c in containers]
    key = tuple((c.get("name"), c.get("image")) if type(c) is dict else None for c in slim)
    return _share(what, key, slim)


def _container_status(status: Any) -> Any:
    if type(status) is not dict:
        return status
    slim = {
        key: value
        for key, value in status.items()
        if key not in _CONTAINER_STATUS_DROPPED and (key != "lastState" or value)
    }
    for key in ("name", "image"):
        value = slim.get(key)
        if type(value) is str:
            slim[key] = _intern(value)
    return slim


def _conditions(conditions: Any) -> Any:
    if type(conditions) is not list:
        return conditions
    # Null fields (lastProbeTime) read as missing ones.
    return [
        {k: _interned(v) for k, v in c.items() if v is not None} if type(c) is dict else c
        for c in conditions
    ]


def _slim_pod(obj: Obj) -> Obj:
    slim: Obj = {key: obj[key] for key in ("kind", "apiVersion") if key in obj}
    source_meta = obj.get("metadata")
    if type(source_meta) is dict:
        meta = {key: source_meta[key] for key in _POD_METADATA if key in source_meta}
        namespace = meta.get("namespace")
        if type(namespace) is str:
            meta["namespace"] = _intern(namespace)
        labels = source_meta.get("labels")
        if type(labels) is dict:
            meta["labels"] = _share("labels", tuple(labels.items()), labels)
        annotations = source_meta.get("annotations")
        if type(annotations) is dict:
            kept = {k: v for k, v in annotations.items() if k in POD_ANNOTATIONS}
            if kept:
                meta["annotations"] = _share("annotations", tuple(kept.items()), kept)
        owners = source_meta.get("ownerReferences")
        if type(owners) is list:
            uids = tuple(ref.get("uid") if type(ref) is dict else None for ref in owners)
            meta["ownerReferences"] = _share("owners", uids, owners)
        elif owners is not None:
            meta["ownerReferences"] = owners
        slim["metadata"] = meta
    source_spec = obj.get("spec")
    if type(source_spec) is dict:
        spec = {key: source_spec[key] for key in _POD_SPEC if key in source_spec}
        node = spec.get("nodeName")
        if type(node) is str:
            spec["nodeName"] = _intern(node)
        for key in _CONTAINER_LISTS:
            containers = source_spec.get(key)
            if type(containers) is list:
                spec[key] = _containers(key, containers)
            elif containers is not None:
                spec[key] = containers
        slim["spec"] = spec
    elif "spec" in obj:
        slim["spec"] = obj["spec"]
    source_status = obj.get("status")
    if type(source_status) is dict:
        status: Obj = {}
        for key, value in source_status.items():
            if key in _POD_STATUS_DROPPED:
                continue
            if key in _CONTAINER_STATUS_LISTS and type(value) is list:
                status[key] = [_container_status(c) for c in value]
            elif key == "conditions":
                status[key] = _conditions(value)
            else:
                status[key] = _interned(value)
        slim["status"] = status
    elif "status" in obj:
        slim["status"] = obj["status"]
    return slim


def _without_annotations(obj: Obj, dropped: frozenset[str]) -> Obj:
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    if not isinstance(annotations, dict) or dropped.isdisjoint(annotations):
        return obj
    assert isinstance(meta, dict)
    kept = {k: v for k, v in annotations.items() if k not in dropped}
    return {**obj, "metadata": {**meta, "annotations": kept}}


def _slim_node(obj: Obj) -> Obj:
    obj = _without_annotations(obj, DROPPED_ANNOTATIONS)
    status = obj.get("status")
    if isinstance(status, dict) and "images" in status:
        obj = {**obj, "status": {k: v for k, v in status.items() if k != "images"}}
    return obj


def slim_object(obj: Obj) -> Obj:
    """What the cache keeps of `obj` (a parsed API object, its `kind` filled in): see the
    module docstring. Events and unknown kinds come back as they are (the same dict); every
    other kind as a new dict that may share parts with `obj` and with other cached objects."""
    kind = obj.get("kind")
    if kind == "Pod":
        return _slim_pod(obj)
    if kind in WHOLE_KINDS:
        return _without_annotations(obj, DROPPED_ANNOTATIONS)
    if kind == "Node":
        return _slim_node(obj)
    return obj
