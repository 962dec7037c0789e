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
shared between pods (one dict or list for all of them, looked up by value in a bounded table)
and the strings that repeat (namespaces, node names, images, label keys and values, times) are
interned. Objects in the cache are read-only (a change is a new object), which is what makes
sharing safe. `slim_object` returns a new dict and leaves its argument alone.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
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
_TIMES: Final = frozenset({"startedAt", "finishedAt", "lastTransitionTime", "lastProbeTime"})

_SHARED_LIMIT: Final = 200_000
_shared: dict[tuple[str, Any], Any] = {}
"""(what, key) -> the one shared dict/list with that value. Cleared at its bound: entries of
objects gone from the cache then go too (what is already shared stays shared)."""


def _intern(value: Any) -> Any:
    return sys.intern(value) if type(value) is str else value


def _share(what: str, key: Any, build: Callable[[], Any]) -> Any:
    """The shared object for `key` (built the first time)."""
    slot = (what, key)
    found = _shared.get(slot)
    if found is None:
        if len(_shared) >= _SHARED_LIMIT:
            _shared.clear()
        found = _shared[slot] = build()
    return found


def _shared_strings(what: str, mapping: Mapping[str, Any]) -> Obj:
    """A str -> str map (labels, annotations), shared by value, its strings interned."""
    if not mapping:
        return {}
    try:
        key = tuple(mapping.items())
        hash(key)
    except TypeError:  # a malformed value (a list): keep it as it is, unshared
        return dict(mapping)
    return _share(what, key, lambda: {_intern(k): _intern(v) for k, v in mapping.items()})  # type: ignore[no-any-return]


def _shared_json(what: str, value: Any) -> Any:
    """A JSON value (containers, owner references) shared by value (its JSON text)."""
    try:
        key = json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError):
        return value
    return _share(what, key, lambda: _interned_tree(value))


def _interned_tree(value: Any) -> Any:
    """`value` rebuilt with its strings interned (keys and values)."""
    if isinstance(value, dict):
        return {_intern(k): _interned_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_interned_tree(item) for item in value]
    return _intern(value)


def _pick(source: Mapping[str, Any], keys: Iterable[str]) -> Obj:
    return {key: _intern(source[key]) for key in keys if key in source}


def _slim_container(container: Any) -> Any:
    if not isinstance(container, dict):
        return container
    slim = _pick(container, _CONTAINER)
    resources = container.get("resources")
    if isinstance(resources, dict) and "limits" in resources:
        slim["resources"] = {"limits": resources["limits"]}
    return slim


def _slim_container_status(status: Any) -> Any:
    if not isinstance(status, dict):
        return status
    slim: Obj = {}
    for key, value in status.items():
        if key in _CONTAINER_STATUS_DROPPED or (key == "lastState" and value == {}):
            continue
        slim[key] = _state(value) if key in ("state", "lastState") else _intern(value)
    return slim


def _state(state: Any) -> Any:
    """A container state ({"running": {"startedAt": ...}}), its times interned."""
    if not isinstance(state, dict):
        return state
    return {
        key: {k: _intern(v) if k in _TIMES else v for k, v in detail.items()}
        if isinstance(detail, dict)
        else detail
        for key, detail in state.items()
    }


def _conditions(conditions: Any) -> Any:
    if not isinstance(conditions, list):
        return conditions
    return [{k: _intern(v) for k, v in c.items()} if isinstance(c, dict) else c for c in conditions]


def _slim_pod(obj: Obj) -> Obj:
    slim: Obj = {key: obj[key] for key in ("kind", "apiVersion") if key in obj}
    source_meta = obj.get("metadata")
    if isinstance(source_meta, dict):
        meta = _pick(source_meta, _POD_METADATA)
        labels = source_meta.get("labels")
        if isinstance(labels, dict):
            meta["labels"] = _shared_strings("labels", labels)
        annotations = source_meta.get("annotations")
        if isinstance(annotations, dict):
            kept = {k: v for k, v in annotations.items() if k in POD_ANNOTATIONS}
            if kept:
                meta["annotations"] = _shared_strings("annotations", kept)
        owners = source_meta.get("ownerReferences")
        if owners is not None:
            meta["ownerReferences"] = _shared_json("owners", owners)
        slim["metadata"] = meta
    source_spec = obj.get("spec")
    if isinstance(source_spec, dict):
        spec = _pick(source_spec, _POD_SPEC)
        for key in _CONTAINER_LISTS:
            containers = source_spec.get(key)
            if isinstance(containers, list):
                spec[key] = _shared_json(key, [_slim_container(c) for c in containers])
            elif containers is not None:
                spec[key] = containers
        slim["spec"] = spec
    elif "spec" in obj:
        slim["spec"] = obj["spec"]
    source_status = obj.get("status")
    if isinstance(source_status, dict):
        status: Obj = {}
        for key, value in source_status.items():
            if key in _POD_STATUS_DROPPED:
                continue
            if key in _CONTAINER_STATUS_LISTS and isinstance(value, list):
                status[key] = [_slim_container_status(c) for c in value]
            elif key == "conditions":
                status[key] = _conditions(value)
            else:
                status[key] = _intern(value)
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
