"""The embedded cluster's object store: an in-process, thread-safe stand-in for etcd + apiserver.

Objects are plain JSON-like dicts. A resource is named by `(group, resource)`, e.g. `("", "pods")`,
`("apps", "deployments")`; `ktui.sim.resources.RESOURCES` lists what is served. One global
counter gives every write a new resourceVersion (a string of an int, like etcd).

Public API (all methods are thread-safe; every dict returned is the caller's own copy):

    store = Store(history_size=10_000, watch_queue_size=10_000, clock=time.time, bootstrap=True)
    store.create(group, resource, obj) -> dict
    store.get(group, resource, namespace, name) -> dict                 # namespace "" / None if
    store.list(group, resource, namespace=None, label_selector=None,     #   cluster-scoped
               field_selector=None) -> (items, resource_version)
    store.list_page(..., limit=None, continue_token=None) -> ListPage
    store.update(group, resource, obj, subresource=None) -> dict        # None | "status" | "scale"
    store.update_status(group, resource, obj) -> dict                   # = update(..., "status")
    store.patch(group, resource, namespace, name, patch_type, body, subresource=None) -> dict
    store.delete(group, resource, namespace, name, grace_period_seconds=None,
                 propagation_policy=None, preconditions=None) -> dict
    store.delete_collection(group, resource, namespace=None, label_selector=None,
                            field_selector=None, **delete options) -> list[dict]
    store.bind(namespace, pod_name, node_name) -> dict                  # what pods/binding does
    store.get_scale(group, resource, namespace, name) -> dict           # an autoscaling/v1 Scale
    store.watch(group=None, resource=None, namespace=None, resource_version=None,
                label_selector=None, field_selector=None, max_queue=...) -> Watch
    store.subscribe(callback, group=None, resource=None, namespace=None, label_selector=None,
                    resource_version=None) -> Subscription
    store.compact()                        # drop all watch history: older versions now expire
    with store.dry_run(): store.update(...) # validated and answered, stored nowhere
    store.resource_version -> str          # the current global resourceVersion
    store.log_source                       # a LogSource the server's pods/log reads (or None)
    store.info(group, resource) -> ResourceInfo   # 404 StoreError for an unserved resource

Used by the HTTP server: `get_raw()` (the stored JSON bytes), `list_entries()` (entries whose
`.raw()` is the cached JSON, plus resourceVersion / continue / remaining count), `delete_ex()`
(also says whether the object is gone), `close_watches()`.

Errors raise `StoreError(code, reason, message, details)`; `.status()` is the API `Status`.

Write semantics follow the real apiserver (v1.20): create assigns uid / resourceVersion /
creationTimestamp / generation (workload kinds) and `generateName`, fills defaults
(`resources.apply_defaults`: pod specs and the pod templates of every workload), resets status
(pods start `Pending`) and requires the namespace to exist; jobs get the generated
`batch.kubernetes.io/controller-uid` selector. `update` 409s on a stale
`metadata.resourceVersion` (an empty one means unconditional), keeps the old status and bumps
`metadata.generation` on spec changes (compared as Go's Semantic.DeepEqual does: null, empty and
missing alike; deployments: on annotation changes too). A write that changes nothing is a no-op
without a new resourceVersion.

Status writes (`subresource="status"`, PUT or PATCH) are the status strategies' PrepareForUpdate:
everything but the spec comes from the request, metadata included, and the generation stays; a
Deployment keeps its stored labels and `deprecated.deployment.rollback.to` annotation, a Pod its
stored ownerReferences. (The Deployment controller writes its revision annotation this way.)

DaemonSets carry `deprecated.daemonset.template.generation` (spec.templateGeneration inside the
apiserver): the request's value on create (at least 1), then the stored value, +1 whenever
`spec.template` changes; what a write sends for it is ignored (a non-integer is a 400).

Nulls are dropped on write, as decoding into Go types does, except inside a ControllerRevision's
`data` (a RawExtension: kept as sent, key order included). Objects are served as Go's encoder
writes them: compact, UTF-8, with <, >, & escaped (kubectl compares revision data bytes).

Deletion: objects with finalizers, and pods bound to a node (grace: the argument, else
spec.terminationGracePeriodSeconds) get `deletionTimestamp` + `deletionGracePeriodSeconds` and stay
until the finalizers are gone / a delete with grace 0 comes (the kubelet's job). Unbound or
finished pods go at once. Garbage collection runs synchronously inside the write that removes an
owner, so its effects show up as ordinary watch events: Background (default) deletes dependents
whose owners are all gone (dangling references to a gone owner are removed from dependents that
still have a live owner); Foreground marks the owner with the `foregroundDeletion` finalizer,
deletes the dependents and removes the owner once no dependent with `blockOwnerDeletion` is left;
Orphan strips the owner's references from its dependents. Deleting a namespace marks it
Terminating, deletes its content and removes it once empty. Objects created with owner
references to uids that never existed are not collected.

Watches: `Watch` yields `WatchEvent(type, object, group, resource)` with type ADDED / MODIFIED /
DELETED (DELETED carries the last state under a new resourceVersion). With resource_version None,
"" or "0" a watch starts with synthetic ADDED events for the current state; with a version it
replays the retained history after it. History is kept per resource (the last `history_size`
events); a version older than that raises `StoreError` 410 Expired ("too old resource version: R
(OLDEST)"). A watcher whose queue holds `max_queue` undelivered events is closed (`overflowed`),
never slowing the writer; `max_queue=None` means unbounded. Selector watches turn an object that
starts / stops matching into ADDED / DELETED, as the real watch cache does.

Dry run (`with store.dry_run():`, what the server does for `?dryRun=All`): the writes made
inside are checked and answered exactly as real ones, on a scratch copy of the store's indexes
that is thrown away at the end; nothing is kept, no watch event is sent (so no controller
reacts) and no resourceVersion is used up. As kube-apiserver's DryRunnableStorage answers, an
existing object keeps the resourceVersion it has (a deletion answers the object's stored one)
and a created one has none; uid, creationTimestamp, generation, generateName and defaults are
filled in as for a real write. The store's lock is held for the whole block: keep network I/O
out of it.

`subscribe()` is for in-process controllers: it runs `callback(event)` on its own daemon thread
for every event (unbounded queue, initial ADDED events unless a resource_version is given) until
`Subscription.cancel()`. The callback may call back into the store.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import builtins
import contextlib
import heapq
import json
import logging
import random
import re
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ktui.sim import resources as res
from ktui.sim.patch import APPLY_PATCH, PATCH_TYPES, PatchError, apply_patch, normalize_patch_type
from ktui.sim.resources import ResourceInfo, ResourceKey
from ktui.sim.selectors import FieldSelector, LabelSelector, SelectorError, selector_string

log = logging.getLogger(__name__)

Obj = dict[str, Any]
_T = TypeVar("_T")

FOREGROUND_FINALIZER = "foregroundDeletion"
ORPHAN_FINALIZER = "orphan"
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
DEFAULT_QUEUE = -1


# --- errors -------------------------------------------------------------------------------------


class StoreError(Exception):
    """An API error: becomes a `Status` object with this code/reason/message."""

    def __init__(
        self, code: int, reason: str, message: str, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = dict(details) if details else None

    def status(self) -> Obj:
        status: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details:
            status["details"] = self.details
        status["code"] = self.code
        return status

    def __repr__(self) -> str:
        return f"StoreError({self.code}, {self.reason!r}, {self.message!r})"


def _details(info: ResourceInfo, name: str, kind: str | None = None) -> Obj:
    details: Obj = {"name": name}
    if info.group:
        details["group"] = info.group
    details["kind"] = kind or info.resource
    return details


def not_found(info: ResourceInfo, name: str) -> StoreError:
    return StoreError(404, "NotFound", f'{info.qualified} "{name}" not found', _details(info, name))


def namespace_not_found(namespace: str) -> StoreError:
    return StoreError(
        404,
        "NotFound",
        f'namespaces "{namespace}" not found',
        {"name": namespace, "kind": "namespaces"},
    )


def already_exists(info: ResourceInfo, name: str) -> StoreError:
    return StoreError(
        409, "AlreadyExists", f'{info.qualified} "{name}" already exists', _details(info, name)
    )


def conflict(info: ResourceInfo, name: str, why: str | None = None) -> StoreError:
    why = why or (
        "the object has been modified; please apply your changes to the latest version and try"
        " again"
    )
    return StoreError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {info.qualified} "{name}": {why}',
        _details(info, name),
    )


def invalid(info: ResourceInfo, name: str, causes: list[tuple[str, str, str]]) -> StoreError:
    """causes: (field, reason e.g. FieldValueRequired, message e.g. "Required value")."""
    text = ", ".join(f"{f}: {m}" for f, _, m in causes)
    if len(causes) > 1:
        text = "[" + text + "]"
    details = _details(info, name, kind=info.kind)
    details["causes"] = [{"reason": r, "message": m, "field": f} for f, r, m in causes]
    return StoreError(422, "Invalid", f'{info.qualified_kind} "{name}" is invalid: {text}', details)


def bad_request(message: str) -> StoreError:
    return StoreError(400, "BadRequest", message)


def expired(requested: int, oldest: int) -> StoreError:
    return StoreError(410, "Expired", f"too old resource version: {requested} ({oldest})")


def unknown_resource() -> StoreError:
    return StoreError(404, "NotFound", "the server could not find the requested resource", {})


# --- internals ----------------------------------------------------------------------------------

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_GENERATE_CHARS = "bcdfghjklmnpqrstvwxz2456789"
_STATUS_ON_CREATE: dict[ResourceKey, Obj] = {
    ("apps", "deployments"): {},
    ("apps", "replicasets"): {"replicas": 0},
    ("apps", "statefulsets"): {"replicas": 0, "availableReplicas": 0},
    ("apps", "daemonsets"): {
        "currentNumberScheduled": 0,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 0,
        "numberReady": 0,
    },
    ("batch", "jobs"): {},
    ("batch", "cronjobs"): {},
}
_SELECTOR_REQUIRED = {
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
}
_SNAPSHOTS_KEPT = 64
_CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can"
    " start a new list without the continue parameter."
)
_SCALABLE = {("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets")}
_SCALE = ResourceInfo(
    group="autoscaling", version="v1", resource="scale", kind="Scale", singular="", namespaced=True
)
"""How Invalid errors about a scale subresource write name it: the workloads' ScaleREST
validates the autoscaling/v1 Scale ("Scale.autoscaling", details group autoscaling)."""


def clone(value: _T) -> _T:
    """A deep copy of a JSON-like value (several times faster than copy.deepcopy)."""
    kind = type(value)
    if kind is dict:
        return {k: clone(v) for k, v in value.items()}  # type: ignore[attr-defined,return-value]
    if kind is list:
        return [clone(v) for v in value]  # type: ignore[attr-defined,return-value]
    return value


def strip_nulls(value: Any) -> None:
    """Drop null-valued keys in place, as decoding into the API's Go types does (so that, e.g., a
    template's `creationTimestamp: null` and no creationTimestamp are the same object)."""
    if type(value) is dict:
        for key in [k for k, v in value.items() if v is None]:
            del value[key]
        for child in value.values():
            if type(child) is dict or type(child) is list:
                strip_nulls(child)
    elif type(value) is list:
        for child in value:
            if type(child) is dict or type(child) is list:
                strip_nulls(child)


_OMITTED_WHEN_EMPTY = ("labels", "annotations", "finalizers", "ownerReferences")
_RAW_FIELDS: dict[ResourceKey, str] = {("apps", "controllerrevisions"): "data"}
"""Fields that are a runtime.RawExtension in the Go type: the apiserver keeps their JSON as it
was sent (nulls and key order included), so the store does too."""


_RAW_PLACEHOLDER = object()


def _normalize(info: ResourceInfo, obj: Obj) -> None:
    """What a round trip through the API's Go types does: nulls and empty omitempty metadata
    fields disappear (raw fields are kept verbatim)."""
    raw_field = _RAW_FIELDS.get(info.key)
    raw = obj.get(raw_field) if raw_field is not None else None
    if raw_field is not None and raw is not None:
        obj[raw_field] = _RAW_PLACEHOLDER  # stays in place, so the key order stays too
        strip_nulls(obj)
        obj[raw_field] = raw
    else:
        strip_nulls(obj)
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        for key in _OMITTED_WHEN_EMPTY:
            if key in meta and not meta[key]:
                del meta[key]


_go_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
_ascii_encoder = json.JSONEncoder(separators=(",", ":"), check_circular=False)
_GO_HTML_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def go_json_encode(value: Any) -> bytes:
    """Compact JSON as the apiserver's Go encoder writes it: UTF-8 kept as is, and <, >, &,
    U+2028 and U+2029 escaped (kubectl compares ControllerRevision data with its own
    json.Marshal output byte for byte)."""
    text = _go_encoder.encode(value)
    for char, escape in _GO_HTML_ESCAPES:
        if char in text:
            text = text.replace(char, escape)
    try:
        return text.encode()
    except UnicodeEncodeError:
        # A lone surrogate (sent as a \ud800 escape) has no UTF-8 form: keep it escaped.
        text = _ascii_encoder.encode(value)
        for char, escape in _GO_HTML_ESCAPES[:3]:
            text = text.replace(char, escape)
        return text.encode()


_encode = go_json_encode


class _Entry:
    """A stored object (never mutated after it is stored) with its JSON, encoded on first use."""

    __slots__ = ("_raw", "obj")

    def __init__(self, obj: Obj) -> None:
        self.obj = obj
        self._raw: bytes | None = None

    def raw(self) -> bytes:
        raw = self._raw
        if raw is None:
            raw = self._raw = _encode(self.obj)
        return raw

    @property
    def rv(self) -> int:
        return int(self.obj["metadata"]["resourceVersion"])


class _Event:
    __slots__ = ("_raw", "entry", "key", "old", "rv", "type")

    def __init__(
        self, type_: str, key: ResourceKey, entry: _Entry, old: _Entry | None, rv: int
    ) -> None:
        self.type = type_
        self.key = key
        self.entry = entry
        self.old = old
        self.rv = rv
        self._raw: bytes | None = None

    def raw(self) -> bytes:
        raw = self._raw
        if raw is None:
            raw = self._raw = encode_event(self.type, self.entry)
        return raw


def encode_event(type_: str, entry: _Entry) -> bytes:
    """One watch-stream line: {"type":...,"object":...}\\n."""
    return b'{"type":"' + type_.encode() + b'","object":' + entry.raw() + b"}\n"


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _keep(
    new_meta: dict[str, Any], cur_meta: Mapping[str, Any], key: str, sub_key: str | None = None
) -> None:
    """Set new_meta[key] (or only new_meta[key][sub_key]) to the stored value, or drop it."""
    if sub_key is None:
        if key in cur_meta:
            new_meta[key] = clone(cur_meta[key])
        else:
            new_meta.pop(key, None)
        return
    stored = (cur_meta.get(key) or {}).get(sub_key)
    values = dict(new_meta.get(key) or {})
    if stored is None:
        values.pop(sub_key, None)
    else:
        values[sub_key] = stored
    if values:
        new_meta[key] = values
    else:
        new_meta.pop(key, None)


def _template_generation_of(annotations: Mapping[str, Any]) -> int | None:
    """The DaemonSet template generation annotation's value; a value that is not an int64 is
    refused, as the apiserver's conversion into its internal type refuses it."""
    value = annotations.get(res.DAEMONSET_TEMPLATE_GENERATION_ANNOTATION)
    if value is None:
        return None
    text = str(value)
    problem = None
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        problem = "invalid syntax"
    elif not -(2**63) <= int(text) < 2**63:
        problem = "value out of range"
    if problem is not None:
        raise bad_request(
            'DaemonSet in version "v1" cannot be handled as a DaemonSet: strconv.ParseInt:'
            f" parsing {json.dumps(text)}: {problem}"
        )
    return int(text)


def semantic_equal(a: Any, b: Any) -> bool:
    """apiequality.Semantic.DeepEqual on decoded JSON: null, an empty map or list and a missing
    field are all the same."""
    return bool(_semantic(a) == _semantic(b))


def _semantic(value: Any) -> Any:
    if type(value) is dict:
        out = {}
        for key, child in value.items():
            child = _semantic(child)
            if child is None or (type(child) in (dict, list) and not child):
                continue
            out[key] = child
        return out
    if type(value) is list:
        return [_semantic(child) for child in value]
    return value


def _owner_uids(obj: Mapping[str, Any]) -> set[str]:
    refs = _meta(obj).get("ownerReferences") or ()
    return {str(r.get("uid")) for r in refs if isinstance(r, Mapping) and r.get("uid")}


@dataclass(frozen=True)
class WatchEvent:
    type: str
    """ADDED, MODIFIED or DELETED."""
    object: Obj
    group: str
    resource: str

    @property
    def resource_version(self) -> str:
        return str(self.object.get("metadata", {}).get("resourceVersion", ""))


@dataclass(frozen=True)
class ListPage:
    items: list[Obj]
    resource_version: str
    continue_token: str | None = None
    remaining_item_count: int | None = None


def _as_label_selector(value: str | LabelSelector | None) -> LabelSelector:
    if isinstance(value, LabelSelector):
        return value
    try:
        return LabelSelector.parse(value)
    except SelectorError as exc:
        raise bad_request(str(exc)) from None


def _as_field_selector(
    value: str | FieldSelector | None, infos: list[ResourceInfo]
) -> FieldSelector:
    if isinstance(value, FieldSelector):
        return value
    allowed: tuple[str, ...] | None = infos[0].selectable_fields() if len(infos) == 1 else None
    try:
        return FieldSelector.parse(value, allowed)
    except SelectorError as exc:
        raise bad_request(str(exc)) from None


class Watch:
    """One watcher's event queue, filled by the store and drained by a consumer thread."""

    def __init__(
        self,
        store: Store,
        keys: tuple[ResourceKey, ...] | None,
        namespace: str | None,
        labels: LabelSelector,
        fields: FieldSelector,
        max_queue: int | None,
    ) -> None:
        self._store = store
        self.keys = keys
        self.namespace = namespace or None
        self._labels = labels
        self._fields = fields
        self._max_queue = max_queue
        self._queue: deque[_Event] = deque()
        self._cond = threading.Condition(threading.Lock())
        self._closed = False
        self.overflowed = False
        """True when the store closed this watcher because it fell `max_queue` events behind."""

    # called by the store, under its lock
    def _offer(self, event: _Event) -> bool:
        with self._cond:
            if self._closed:
                return False
            if self._max_queue is not None and len(self._queue) >= self._max_queue:
                self._closed = True
                self.overflowed = True
                self._cond.notify_all()
                return False
            self._queue.append(event)
            self._cond.notify()
            return True

    def _matches(self, obj: Mapping[str, Any]) -> bool:
        if self.namespace is not None and _meta(obj).get("namespace") != self.namespace:
            return False
        if not self._labels.empty and not self._labels.matches(_meta(obj).get("labels")):
            return False
        return self._fields.empty or self._fields.matches(obj)

    def _filter(self, event: _Event) -> tuple[str, _Event] | None:
        """The event as this watcher sees it: selector transitions become ADDED / DELETED."""
        matches_new = self._matches(event.entry.obj)
        if event.type == "MODIFIED" and event.old is not None:
            matches_old = self._matches(event.old.obj)
            if matches_new and matches_old:
                return ("MODIFIED", event)
            if matches_new:
                return ("ADDED", event)
            if matches_old:
                return ("DELETED", event)
            return None
        return (event.type, event) if matches_new else None

    def next_raw(self, timeout: float | None = None) -> tuple[str, _Event] | None:
        """The next (type, event) for this watcher; None on timeout or once closed and drained."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._cond:
                while not self._queue:
                    if self._closed:
                        return None
                    if deadline is None:
                        self._cond.wait()
                    else:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            return None
                        self._cond.wait(remaining)
                event = self._queue.popleft()
            filtered = self._filter(event)
            if filtered is not None:
                return filtered

    def get(self, timeout: float | None = None) -> WatchEvent | None:
        """The next event (a private copy); None on timeout or when the watch has ended."""
        item = self.next_raw(timeout)
        if item is None:
            return None
        type_, event = item
        return WatchEvent(type_, clone(event.entry.obj), event.key[0], event.key[1])

    def __iter__(self) -> Iterator[WatchEvent]:
        while True:
            event = self.get()
            if event is None:
                return
            yield event

    @property
    def closed(self) -> bool:
        """True once closed (by close(), overflow or the store) — queued events may remain."""
        return self._closed

    @property
    def pending(self) -> int:
        return len(self._queue)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._store._unregister(self)

    def bookmark_resource_version(self) -> str | None:
        """A resourceVersion this watcher has seen everything up to, if its queue is empty."""
        with self._store._lock, self._cond:
            if self._queue or self._closed:
                return None
            return str(self._store._rv)

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Subscription:
    """A callback fed from a Watch on its own daemon thread; see Store.subscribe."""

    def __init__(self, watch: Watch, callback: Callable[[WatchEvent], None], name: str) -> None:
        self.watch = watch
        self._callback = callback
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for event in self.watch:
            try:
                self._callback(event)
            except Exception:
                log.exception("store subscriber %s failed on %s", self._thread.name, event.type)

    def cancel(self, wait: bool = True) -> None:
        self.watch.close()
        if wait and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)


class LogSource(Protocol):
    """Where pods/log reads container logs from (the node agent provides one).

    The server has already checked that the pod exists and resolved `container` to one of its
    containers. Yield chunks of bytes (lines with their newline); with `follow`, keep yielding
    until the container stops (yielding b"" now and then lets the server notice a client that went
    away). Raise StoreError (e.g. 400 BadRequest) for a container with no logs to show.
    `since` (epoch seconds) leaves out lines stamped before it; the server applies limitBytes.
    A source may have a `clock()` method: the time its lines are stamped with.
    """

    def read_log(
        self,
        pod: Obj,
        container: str,
        *,
        follow: bool,
        previous: bool,
        timestamps: bool,
        tail_lines: int | None,
        since: float | None = None,
    ) -> Iterator[bytes]: ...


# --- the store ----------------------------------------------------------------------------------


class Store:
    def __init__(
        self,
        *,
        history_size: int = 10_000,
        watch_queue_size: int = 10_000,
        clock: Callable[[], float] = time.time,
        bootstrap: bool = True,
    ) -> None:
        self._lock = threading.RLock()
        self._rv = 0
        self._clock = clock
        self._history_size = history_size
        self.watch_queue_size = watch_queue_size
        self._objects: dict[ResourceKey, dict[tuple[str, str], _Entry]] = {
            key: {} for key in res.RESOURCES
        }
        self._by_uid: dict[str, tuple[ResourceKey, str, str]] = {}
        self._dependents: dict[str, set[tuple[ResourceKey, str, str]]] = {}
        self._ns_count: dict[str, int] = {}
        self._history: dict[ResourceKey, deque[_Event]] = {
            key: deque(maxlen=history_size) for key in res.RESOURCES
        }
        self._floor: dict[ResourceKey, int] = dict.fromkeys(res.RESOURCES, 0)
        self._watchers: dict[ResourceKey | None, set[Watch]] = {}
        self._snapshots: OrderedDict[int, builtins.list[tuple[tuple[str, str], _Entry]]] = (
            OrderedDict()
        )
        self._snapshot_seq = 0
        self._dry_run = False
        """True while a `dry_run()` block runs on scratch indexes (seen only under the lock)."""
        self.log_source: LogSource | None = None
        if bootstrap:
            for namespace in DEFAULT_NAMESPACES:
                self.create("", "namespaces", {"metadata": {"name": namespace}})

    # --- small helpers ----------------------------------------------------------------------

    @staticmethod
    def info(group: str, resource: str) -> ResourceInfo:
        info = res.RESOURCES.get((group, resource))
        if info is None:
            raise unknown_resource()
        return info

    @property
    def resource_version(self) -> str:
        with self._lock:
            return str(self._rv)

    def _now(self, offset: float = 0) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self._clock() + offset))

    def _key(self, info: ResourceInfo, namespace: str | None, name: str) -> tuple[str, str]:
        return ((namespace or "") if info.namespaced else "", name)

    def _entry(self, info: ResourceInfo, namespace: str | None, name: str) -> _Entry:
        entry = self._objects[info.key].get(self._key(info, namespace, name))
        if entry is None:
            raise not_found(info, name)
        return entry

    def _next_rv(self) -> int:
        self._rv += 1
        return self._rv

    def _stamp(self, meta: dict[str, Any], previous: Mapping[str, Any] | None) -> None:
        """Give a written object its resourceVersion: the next one; in a dry run, which stores
        nothing, the one the object had (`previous`, its stored metadata), or none when it is
        being created."""
        if not self._dry_run:
            meta["resourceVersion"] = str(self._next_rv())
        elif previous is not None and "resourceVersion" in previous:
            meta["resourceVersion"] = previous["resourceVersion"]
        else:
            meta.pop("resourceVersion", None)

    @contextlib.contextmanager
    def dry_run(self) -> Iterator[None]:
        """Writes inside the block are validated and answered as usual but stored nowhere: no
        object, index, watch event or resourceVersion outlives the block (see the module
        docstring). The lock is held throughout, so other threads see the store as it was."""
        with self._lock:
            if self._dry_run:
                yield
                return
            saved = (self._objects, self._by_uid, self._dependents, self._ns_count, self._rv)
            # Entries are never mutated once stored, so copying the containers is enough.
            self._objects = {key: dict(objects) for key, objects in self._objects.items()}
            self._by_uid = dict(self._by_uid)
            self._dependents = {uid: set(refs) for uid, refs in self._dependents.items()}
            self._ns_count = dict(self._ns_count)
            self._dry_run = True
            try:
                yield
            finally:
                self._dry_run = False
                (
                    self._objects,
                    self._by_uid,
                    self._dependents,
                    self._ns_count,
                    self._rv,
                ) = saved

    def _commit(self, type_: str, info: ResourceInfo, entry: _Entry, old: _Entry | None) -> None:
        if self._dry_run:
            return  # nothing was stored: no history, no watch event
        event = _Event(type_, info.key, entry, old, entry.rv)
        history = self._history[info.key]
        if len(history) == history.maxlen:
            self._floor[info.key] = history[0].rv
        history.append(event)
        for watchers in (self._watchers.get(info.key), self._watchers.get(None)):
            if not watchers:
                continue
            for watcher in list(watchers):
                if not watcher._offer(event):
                    watchers.discard(watcher)

    def _store_entry(self, info: ResourceInfo, obj: Obj, old: _Entry | None) -> _Entry:
        """Index and store `obj` (which already carries its new resourceVersion)."""
        meta = obj["metadata"]
        key = self._key(info, meta.get("namespace"), meta["name"])
        entry = _Entry(obj)
        self._objects[info.key][key] = entry
        uid = meta["uid"]
        new_owners = _owner_uids(obj)
        old_owners = _owner_uids(old.obj) if old is not None else set()
        ref = (info.key, key[0], key[1])
        for owner in old_owners - new_owners:
            deps = self._dependents.get(owner)
            if deps is not None:
                deps.discard(ref)
                if not deps:
                    del self._dependents[owner]
        for owner in new_owners - old_owners:
            self._dependents.setdefault(owner, set()).add(ref)
        if old is None:
            self._by_uid[uid] = ref
            if info.namespaced:
                self._ns_count[key[0]] = self._ns_count.get(key[0], 0) + 1
        return entry

    # --- create -----------------------------------------------------------------------------

    def create(self, group: str, resource: str, obj: Mapping[str, Any]) -> Obj:
        info = self.info(group, resource)
        with self._lock:
            entry = self._create_locked(info, clone(dict(obj)))
        return clone(entry.obj)

    def _validate_name(self, info: ResourceInfo, name: str) -> None:
        if info.key == ("", "namespaces"):
            if len(name) > 63 or not _DNS_LABEL.match(name):
                raise invalid(
                    info,
                    name,
                    [
                        (
                            "metadata.name",
                            "FieldValueInvalid",
                            f'Invalid value: "{name}": a lowercase RFC 1123 label must consist of'
                            " lower case alphanumeric characters or '-', and must start and end"
                            " with an alphanumeric character",
                        )
                    ],
                )
            return
        if info.key == ("", "events"):
            return
        if len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
            raise invalid(
                info,
                name,
                [
                    (
                        "metadata.name",
                        "FieldValueInvalid",
                        f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of'
                        " lower case alphanumeric characters, '-' or '.', and must start and end"
                        " with an alphanumeric character",
                    )
                ],
            )

    def _validate_spec(self, info: ResourceInfo, obj: Obj, name: str) -> None:
        if info.key not in _SELECTOR_REQUIRED:
            return
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            raise invalid(info, name, [("spec", "FieldValueRequired", "Required value")])
        selector = spec.get("selector")
        if not isinstance(selector, dict) or not (
            selector.get("matchLabels") or selector.get("matchExpressions")
        ):
            raise invalid(info, name, [("spec.selector", "FieldValueRequired", "Required value")])
        try:
            parsed = LabelSelector.from_dict(selector)
        except SelectorError as exc:
            raise invalid(
                info, name, [("spec.selector", "FieldValueInvalid", f"Invalid value: {exc}")]
            ) from None
        template = spec.get("template") or {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        if not parsed.matches(labels):
            raise invalid(
                info,
                name,
                [
                    (
                        "spec.template.metadata.labels",
                        "FieldValueInvalid",
                        f"Invalid value: {json.dumps(labels)}: `selector` does not match template"
                        " `labels`",
                    )
                ],
            )

    def _check_namespace(self, info: ResourceInfo, namespace: str, name: str) -> None:
        ns_entry = self._objects[("", "namespaces")].get(("", namespace))
        if ns_entry is None:
            raise namespace_not_found(namespace)
        if _meta(ns_entry.obj).get("deletionTimestamp"):
            raise StoreError(
                403,
                "Forbidden",
                f'{info.qualified} "{name}" is forbidden: unable to create new content in'
                f" namespace {namespace} because it is being terminated",
                _details(info, name),
            )

    def _create_locked(self, info: ResourceInfo, obj: Obj) -> _Entry:
        _normalize(info, obj)
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            meta = obj["metadata"] = {}
        meta.pop("managedFields", None)
        name = meta.get("name") or ""
        if not name:
            generate = meta.get("generateName") or ""
            if not generate:
                raise invalid(
                    info,
                    "",
                    [
                        (
                            "metadata.name",
                            "FieldValueRequired",
                            "Required value: name or generateName is required",
                        )
                    ],
                )
            for _ in range(16):
                name = generate + "".join(random.choices(_GENERATE_CHARS, k=5))
                if self._key(info, meta.get("namespace"), name) not in self._objects[info.key]:
                    break
            meta["name"] = name
        self._validate_name(info, name)
        if info.namespaced:
            namespace = meta.get("namespace") or ""
            if not namespace:
                raise bad_request(f"a namespace is required to create {info.qualified}")
            self._check_namespace(info, namespace, name)
        else:
            meta.pop("namespace", None)
        if self._key(info, meta.get("namespace"), name) in self._objects[info.key]:
            raise already_exists(info, name)

        obj["apiVersion"] = info.api_version
        obj["kind"] = info.kind
        uid = str(uuid.uuid4())
        meta["uid"] = uid
        meta["creationTimestamp"] = self._now()
        for dropped in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(dropped, None)
        if info.has_generation:
            meta["generation"] = 1
        else:
            meta.pop("generation", None)

        if info.key == ("batch", "jobs"):
            self._default_job_selector(obj, uid, name)
        res.apply_defaults(info, obj)
        self._validate_spec(info, obj, name)
        if info.key == ("apps", "daemonsets"):
            self._template_generation(info, obj, None, template_changed=False)
        if info.key in _STATUS_ON_CREATE:
            obj["status"] = clone(_STATUS_ON_CREATE[info.key])
        elif info.key == ("", "pods"):
            obj["status"] = {"phase": "Pending", "qosClass": res.pod_qos_class(obj["spec"])}
        elif info.key == ("", "namespaces"):
            obj["status"] = {"phase": "Active"}

        self._stamp(meta, None)
        entry = self._store_entry(info, obj, None)
        self._commit("ADDED", info, entry, None)
        return entry

    @staticmethod
    def _default_job_selector(obj: Obj, uid: str, name: str) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict) or spec.get("manualSelector"):
            return
        generated = {
            "batch.kubernetes.io/controller-uid": uid,
            "batch.kubernetes.io/job-name": name,
            "controller-uid": uid,
            "job-name": name,
        }
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        template = spec.setdefault("template", {})
        if isinstance(template, dict):
            template_meta = template.setdefault("metadata", {})
            labels = template_meta.setdefault("labels", {})
            for key, value in generated.items():
                labels.setdefault(key, value)

    # --- read -------------------------------------------------------------------------------

    def get(self, group: str, resource: str, namespace: str | None, name: str) -> Obj:
        info = self.info(group, resource)
        with self._lock:
            entry = self._entry(info, namespace, name)
        return clone(entry.obj)

    def get_raw(self, group: str, resource: str, namespace: str | None, name: str) -> bytes:
        """The stored object's JSON (used by the HTTP server)."""
        info = self.info(group, resource)
        with self._lock:
            entry = self._entry(info, namespace, name)
        return entry.raw()

    def list(
        self,
        group: str,
        resource: str,
        namespace: str | None = None,
        label_selector: str | LabelSelector | None = None,
        field_selector: str | FieldSelector | None = None,
    ) -> tuple[builtins.list[Obj], str]:
        page = self.list_page(group, resource, namespace, label_selector, field_selector)
        return page.items, page.resource_version

    def list_page(
        self,
        group: str,
        resource: str,
        namespace: str | None = None,
        label_selector: str | LabelSelector | None = None,
        field_selector: str | FieldSelector | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
    ) -> ListPage:
        entries, rv, token, remaining = self.list_entries(
            group, resource, namespace, label_selector, field_selector, limit, continue_token
        )
        return ListPage([clone(e.obj) for e in entries], rv, token, remaining)

    def list_entries(
        self,
        group: str,
        resource: str,
        namespace: str | None = None,
        label_selector: str | LabelSelector | None = None,
        field_selector: str | FieldSelector | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
    ) -> tuple[builtins.list[_Entry], str, str | None, int | None]:
        """(entries, resourceVersion, continue token, remaining count) — the server's list."""
        info = self.info(group, resource)
        labels = _as_label_selector(label_selector)
        fields = _as_field_selector(field_selector, [info])
        if limit is not None and limit <= 0:
            limit = None
        namespace = (namespace or None) if info.namespaced else None
        snapshot: builtins.list[tuple[tuple[str, str], _Entry]] | None = None
        snapshot_id: int | None = None
        start: tuple[str, str] | None = None
        if continue_token:
            rv, start, snapshot_id = _decode_continue(continue_token)
            with self._lock:
                if rv < self._floor[info.key]:
                    raise StoreError(410, "Expired", _CONTINUE_EXPIRED)
                snapshot = self._snapshots.get(snapshot_id) if snapshot_id else None
        if snapshot is not None:
            # Continue the consistent snapshot the first page was cut from (like etcd at rv).
            assert start is not None
            position = bisect.bisect_right([k for k, _ in snapshot], start)
            matched = snapshot[position:]
        else:
            with self._lock:
                if not continue_token:
                    rv = self._rv
                pairs = list(self._objects[info.key].items())
            if namespace is not None:
                pairs = [p for p in pairs if p[0][0] == namespace]
            pairs.sort(key=lambda p: p[0])
            if start is not None:
                pairs = [p for p in pairs if p[0] > start]
            matched = []
            for key, entry in pairs:
                obj = entry.obj
                if not labels.empty and not labels.matches(_meta(obj).get("labels")):
                    continue
                if not fields.empty and not fields.matches(obj):
                    continue
                matched.append((key, entry))
        token = None
        remaining = None
        if limit is not None and len(matched) > limit:
            remaining = len(matched) - limit
            if snapshot is None:
                with self._lock:
                    self._snapshot_seq += 1
                    snapshot_id = self._snapshot_seq
                    self._snapshots[snapshot_id] = matched
                    while len(self._snapshots) > _SNAPSHOTS_KEPT:
                        self._snapshots.popitem(last=False)
            matched = matched[:limit]
            token = _encode_continue(rv, matched[-1][0], snapshot_id)
        return [e for _, e in matched], str(rv), token, remaining

    def get_scale(self, group: str, resource: str, namespace: str | None, name: str) -> Obj:
        info = self.info(group, resource)
        if info.key not in _SCALABLE:
            raise unknown_resource()
        with self._lock:
            entry = self._entry(info, namespace, name)
        return _scale_of(entry.obj)

    # --- update / patch ---------------------------------------------------------------------

    def update(
        self, group: str, resource: str, obj: Mapping[str, Any], subresource: str | None = None
    ) -> Obj:
        info = self.info(group, resource)
        with self._lock:
            entry = self._update_locked(info, clone(dict(obj)), subresource)
        return clone(entry.obj)

    def update_status(self, group: str, resource: str, obj: Mapping[str, Any]) -> Obj:
        return self.update(group, resource, obj, subresource="status")

    def patch(
        self,
        group: str,
        resource: str,
        namespace: str | None,
        name: str,
        patch_type: str,
        body: Any,
        subresource: str | None = None,
    ) -> Obj:
        info = self.info(group, resource)
        with self._lock:
            entry = self._patch_locked(info, namespace, name, patch_type, body, subresource)
        if subresource == "scale":
            return _scale_of(entry.obj)
        return clone(entry.obj)

    def _patch_locked(
        self,
        info: ResourceInfo,
        namespace: str | None,
        name: str,
        patch_type: str,
        body: Any,
        subresource: str | None,
    ) -> _Entry:
        kind = normalize_patch_type(patch_type)
        if kind == APPLY_PATCH or kind not in PATCH_TYPES:
            raise StoreError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted media types"
                f" include: {', '.join(PATCH_TYPES)}",
            )
        current = self._entry(info, namespace, name)
        target = _scale_of(current.obj) if subresource == "scale" else current.obj
        try:
            patched = apply_patch(kind, target, body)
        except PatchError as exc:
            if exc.invalid:
                raise StoreError(422, "Invalid", str(exc), _details(info, name)) from None
            raise bad_request(str(exc)) from None
        if not isinstance(patched, dict):
            raise bad_request("the patch did not produce an object")
        patched = clone(patched)
        patched_meta = patched.setdefault("metadata", {})
        if not isinstance(patched_meta, dict):
            raise bad_request("metadata must be an object")
        if patched_meta.get("name", name) != name:
            raise bad_request(
                f"the name of the object ({patched_meta.get('name')}) does not match the name"
                f" on the URL ({name})"
            )
        patched_meta["name"] = name
        if info.namespaced:
            patched_meta["namespace"] = namespace
        return self._update_locked(info, patched, subresource)

    def _update_locked(self, info: ResourceInfo, obj: Obj, subresource: str | None) -> _Entry:
        _normalize(info, obj)
        meta = obj.get("metadata")
        if not isinstance(meta, dict) or not meta.get("name"):
            raise invalid(info, "", [("metadata.name", "FieldValueRequired", "Required value")])
        name = meta["name"]
        if info.namespaced and not meta.get("namespace"):
            raise bad_request(f"a namespace is required to update {info.qualified}")
        current = self._entry(info, meta.get("namespace"), name)
        cur_obj = current.obj
        cur_meta = cur_obj["metadata"]
        wanted_rv = meta.get("resourceVersion")
        if wanted_rv and str(wanted_rv) != cur_meta["resourceVersion"]:
            raise conflict(info, name)

        if subresource == "status":
            if not info.has_status:
                raise unknown_resource()
            # The status strategies' PrepareForUpdate: everything but the spec comes from the
            # request (metadata included: the Deployment controller writes its revision
            # annotation this way), with a few per-kind exceptions.
            new = obj
            new.pop("spec", None)
            if "spec" in cur_obj:
                new["spec"] = clone(cur_obj["spec"])
            self._carry_system_meta(info, new, cur_meta)
            new_meta = new["metadata"]
            if info.key == ("apps", "deployments"):
                _keep(new_meta, cur_meta, "labels")
                # The rollback-to annotation is spec.rollbackTo inside the apiserver.
                _keep(new_meta, cur_meta, "annotations", res.DEPLOYMENT_ROLLBACK_TO_ANNOTATION)
            elif info.key == ("", "pods"):
                # Old kubelets corrupted owner references through pods/status.
                _keep(new_meta, cur_meta, "ownerReferences")
            elif info.key == ("apps", "daemonsets"):
                self._template_generation(info, new, cur_obj, template_changed=False)
        elif subresource == "scale":
            if info.key not in _SCALABLE:
                raise unknown_resource()
            replicas = (obj.get("spec") or {}).get("replicas")
            if replicas is None:
                replicas = 0
            if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
                raise invalid(
                    _SCALE,
                    name,
                    [
                        (
                            "spec.replicas",
                            "FieldValueInvalid",
                            f"Invalid value: {replicas}: must be greater than or equal to 0",
                        )
                    ],
                )
            new = clone(cur_obj)
            new.setdefault("spec", {})["replicas"] = replicas
        elif subresource is None:
            new = obj
            if info.has_status:
                new.pop("status", None)
                if "status" in cur_obj:
                    new["status"] = clone(cur_obj["status"])
            self._carry_system_meta(info, new, cur_meta)
            res.apply_defaults(info, new)
            self._validate_spec(info, new, name)
            if info.key == ("apps", "daemonsets"):
                old_template = (cur_obj.get("spec") or {}).get("template")
                new_template = (new.get("spec") or {}).get("template")
                changed = not semantic_equal(old_template, new_template)
                self._template_generation(info, new, cur_obj, template_changed=changed)
        else:
            raise unknown_resource()

        new_meta = new["metadata"]
        new_meta["resourceVersion"] = cur_meta["resourceVersion"]
        if info.has_generation:
            # Status writes never bump it (the status strategies do not; their spec is the old).
            bump = subresource != "status" and not semantic_equal(
                new.get("spec"), cur_obj.get("spec")
            )
            if info.key == ("apps", "deployments") and subresource is None:
                # Annotations are copied to the ReplicaSets, so they count as desired state.
                bump = bump or new_meta.get("annotations") != cur_meta.get("annotations")
            generation = int(cur_meta.get("generation") or 1)
            new_meta["generation"] = generation + 1 if bump else generation
        if new == cur_obj:
            return current
        return self._write(info, new, current)

    @staticmethod
    def _carry_system_meta(info: ResourceInfo, new: Obj, cur_meta: Mapping[str, Any]) -> None:
        """What rest.BeforeUpdate keeps from the stored object whatever the request says."""
        new_meta = new["metadata"]
        new_meta.pop("managedFields", None)
        for kept in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "generateName",
        ):
            _keep(new_meta, cur_meta, kept)
        if info.namespaced:
            new_meta["namespace"] = cur_meta["namespace"]
        else:
            new_meta.pop("namespace", None)
        new["apiVersion"] = info.api_version
        new["kind"] = info.kind

    @staticmethod
    def _template_generation(
        info: ResourceInfo, new: Obj, current: Obj | None, template_changed: bool
    ) -> None:
        """A DaemonSet's spec.templateGeneration, which apps/v1 shows as the
        `deprecated.daemonset.template.generation` annotation: the request's value on create
        (at least 1), then the stored one, plus one whenever the template changes."""
        annotations = new["metadata"].get("annotations") or {}
        requested = _template_generation_of(annotations)
        if current is None:
            generation = max(requested or 0, 1)
        else:
            stored = _template_generation_of(_meta(current).get("annotations") or {})
            generation = (stored or 0) + (1 if template_changed else 0)
        new["metadata"]["annotations"] = {
            **annotations,
            res.DAEMONSET_TEMPLATE_GENERATION_ANNOTATION: str(generation),
        }

    def _write(self, info: ResourceInfo, new: Obj, current: _Entry) -> _Entry:
        """Store a modified object, or remove it when that completes a pending deletion."""
        new_meta = new["metadata"]
        self._stamp(new_meta, current.obj["metadata"])
        entry = self._store_entry(info, new, current)
        done = (
            new_meta.get("deletionTimestamp")
            and not new_meta.get("finalizers")
            and not new_meta.get("deletionGracePeriodSeconds")
        )
        if done and info.key == ("", "namespaces") and (new.get("spec") or {}).get("finalizers"):
            done = False
        if done:
            return self._remove(info, entry, already_bumped=True)
        self._commit("MODIFIED", info, entry, current)
        return entry

    def bind(self, namespace: str, name: str, node_name: str) -> Obj:
        """Set a pending pod's spec.nodeName, as POST pods/{name}/binding does."""
        info = self.info("", "pods")
        with self._lock:
            current = self._entry(info, namespace, name)
            if (current.obj.get("spec") or {}).get("nodeName"):
                raise conflict(
                    info,
                    name,
                    f'pod {name} is already assigned to node "{current.obj["spec"]["nodeName"]}"',
                )
            new = clone(current.obj)
            new["spec"]["nodeName"] = node_name
            conditions = new.setdefault("status", {}).setdefault("conditions", [])
            conditions[:] = [c for c in conditions if c.get("type") != "PodScheduled"]
            conditions.append(
                {
                    "type": "PodScheduled",
                    "status": "True",
                    "lastTransitionTime": self._now(),
                }
            )
            entry = self._write(info, new, current)
        return clone(entry.obj)

    # --- delete -----------------------------------------------------------------------------

    def delete(
        self,
        group: str,
        resource: str,
        namespace: str | None,
        name: str,
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
        preconditions: Mapping[str, Any] | None = None,
    ) -> Obj:
        """Delete (or start deleting) an object; returns its last / current state."""
        obj, _ = self.delete_ex(
            group,
            resource,
            namespace,
            name,
            grace_period_seconds,
            propagation_policy,
            preconditions,
        )
        return obj

    def delete_ex(
        self,
        group: str,
        resource: str,
        namespace: str | None,
        name: str,
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
        preconditions: Mapping[str, Any] | None = None,
    ) -> tuple[Obj, bool]:
        """Like delete; also tells whether the object is gone (False: deletion is pending)."""
        info = self.info(group, resource)
        if propagation_policy not in (None, "", "Background", "Foreground", "Orphan"):
            raise bad_request(
                f'DeletionPropagation: Unsupported value: "{propagation_policy}": supported'
                ' values: "Foreground", "Background", "Orphan"'
            )
        with self._lock:
            entry = self._entry(info, namespace, name)
            if preconditions:
                self._check_preconditions(info, entry, preconditions)
            result, removed = self._delete_locked(
                info, entry, grace_period_seconds, propagation_policy or None
            )
        return clone(result.obj), removed

    def delete_collection(
        self,
        group: str,
        resource: str,
        namespace: str | None = None,
        label_selector: str | LabelSelector | None = None,
        field_selector: str | FieldSelector | None = None,
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
    ) -> builtins.list[Obj]:
        info = self.info(group, resource)
        entries, *_ = self.list_entries(group, resource, namespace, label_selector, field_selector)
        deleted: builtins.list[Obj] = []
        with self._lock:
            for stale in entries:
                meta = stale.obj["metadata"]
                entry = self._objects[info.key].get(
                    self._key(info, meta.get("namespace"), meta["name"])
                )
                if entry is None or entry.obj["metadata"]["uid"] != meta["uid"]:
                    continue
                result, _ = self._delete_locked(
                    info, entry, grace_period_seconds, propagation_policy or None
                )
                deleted.append(clone(result.obj))
        return deleted

    def _check_preconditions(
        self, info: ResourceInfo, entry: _Entry, preconditions: Mapping[str, Any]
    ) -> None:
        meta = entry.obj["metadata"]
        uid = preconditions.get("uid")
        if uid and uid != meta["uid"]:
            raise conflict(
                info,
                meta["name"],
                f"Precondition failed: UID in precondition: {uid}, UID in object meta:"
                f" {meta['uid']}",
            )
        rv = preconditions.get("resourceVersion")
        if rv and str(rv) != meta["resourceVersion"]:
            raise conflict(
                info,
                meta["name"],
                f"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in"
                f" object meta: {meta['resourceVersion']}",
            )

    def _pod_grace(self, obj: Obj, requested: int | None) -> int:
        spec = obj.get("spec") or {}
        phase = (obj.get("status") or {}).get("phase")
        if not spec.get("nodeName") or phase in ("Succeeded", "Failed"):
            return 0
        if requested is not None:
            return max(0, int(requested))
        grace = spec.get("terminationGracePeriodSeconds")
        return 30 if grace is None else max(0, int(grace))

    def _delete_locked(
        self, info: ResourceInfo, entry: _Entry, grace: int | None, policy: str | None
    ) -> tuple[_Entry, bool]:
        obj = entry.obj
        meta = obj["metadata"]
        uid = meta["uid"]
        if info.key == ("", "namespaces"):
            return self._delete_namespace(info, entry)

        is_pod = info.key == ("", "pods")
        grace_seconds = self._pod_grace(obj, grace) if is_pod else 0
        if meta.get("deletionTimestamp"):
            # Already terminating: only a shorter grace period changes anything.
            pending = meta.get("deletionGracePeriodSeconds") or 0
            if grace_seconds >= pending:
                return entry, False
            new = clone(obj)
            new["metadata"]["deletionGracePeriodSeconds"] = grace_seconds
            new["metadata"]["deletionTimestamp"] = self._now(grace_seconds)
            written = self._write(info, new, entry)
            return written, self._objects[info.key].get(self._key_of(info, new)) is not written

        if policy == "Orphan":
            for dep_key in sorted(self._dependents.get(uid, ())):
                self._drop_owner_refs(dep_key, {uid})
        foreground = policy == "Foreground" and bool(self._dependents.get(uid))
        finalizers = list(meta.get("finalizers") or ())
        if foreground and FOREGROUND_FINALIZER not in finalizers:
            finalizers.append(FOREGROUND_FINALIZER)

        if not finalizers and grace_seconds == 0:
            return self._remove(info, entry), True

        new = clone(obj)
        new_meta = new["metadata"]
        new_meta["deletionTimestamp"] = self._now(grace_seconds)
        new_meta["deletionGracePeriodSeconds"] = grace_seconds
        if finalizers:
            new_meta["finalizers"] = finalizers
        if info.has_generation:
            new_meta["generation"] = int(meta.get("generation") or 1) + 1
        marked = self._write(info, new, entry)
        if foreground:
            for dep_key in sorted(self._dependents.get(uid, ())):
                self._collect_dependent(dep_key, "Foreground")
            owner = self._lookup_uid(uid)
            if owner is not None:
                self._maybe_finish_foreground(*owner)
        current = self._lookup_uid(uid)
        if current is None:
            return marked, True
        return current[1], False

    def _key_of(self, info: ResourceInfo, obj: Obj) -> tuple[str, str]:
        meta = obj["metadata"]
        return self._key(info, meta.get("namespace"), meta["name"])

    def _lookup_uid(self, uid: str) -> tuple[ResourceInfo, _Entry] | None:
        ref = self._by_uid.get(uid)
        if ref is None:
            return None
        key, namespace, name = ref
        entry = self._objects[key].get((namespace, name))
        if entry is None:
            return None
        return res.RESOURCES[key], entry

    def _remove(self, info: ResourceInfo, entry: _Entry, already_bumped: bool = False) -> _Entry:
        obj = entry.obj
        meta = obj["metadata"]
        key = self._key_of(info, obj)
        del self._objects[info.key][key]
        uid = meta["uid"]
        self._by_uid.pop(uid, None)
        ref = (info.key, key[0], key[1])
        for owner in _owner_uids(obj):
            deps = self._dependents.get(owner)
            if deps is not None:
                deps.discard(ref)
                if not deps:
                    del self._dependents[owner]
        if info.namespaced:
            self._ns_count[key[0]] = self._ns_count.get(key[0], 1) - 1
        if already_bumped:
            final = entry
        else:
            final_obj = dict(obj)
            final_obj["metadata"] = dict(meta)
            self._stamp(final_obj["metadata"], meta)
            final = _Entry(final_obj)
        self._commit("DELETED", info, final, None)
        self._after_remove(info, final.obj)
        return final

    def _after_remove(self, info: ResourceInfo, obj: Obj) -> None:
        meta = obj["metadata"]
        uid = meta["uid"]
        # Dependents of the removed object: collect the orphans (background GC).
        for dep_key in sorted(self._dependents.pop(uid, ())):
            self._collect_dependent(dep_key, "Background")
        # Owners waiting in foreground deletion for this object.
        for owner_uid in _owner_uids(obj):
            owner = self._lookup_uid(owner_uid)
            if owner is not None:
                self._maybe_finish_foreground(*owner)
        # A terminating namespace goes once it is empty.
        namespace = meta.get("namespace")
        if info.namespaced and namespace and self._ns_count.get(namespace, 0) <= 0:
            ns_entry = self._objects[("", "namespaces")].get(("", namespace))
            if ns_entry is not None and _meta(ns_entry.obj).get("deletionTimestamp"):
                self._finish_namespace(ns_entry)

    def _collect_dependent(self, dep_key: tuple[ResourceKey, str, str], policy: str) -> None:
        """GC one dependent: delete it if no live owner is left, else drop dangling refs."""
        key, namespace, name = dep_key
        entry = self._objects[key].get((namespace, name))
        if entry is None:
            return
        info = res.RESOURCES[key]
        owners = _owner_uids(entry.obj)
        live = set()
        for owner_uid in owners:
            found = self._lookup_uid(owner_uid)
            if found is not None and not (
                policy == "Foreground" and _meta(found[1].obj).get("deletionTimestamp")
            ):
                live.add(owner_uid)
        if live:
            dead = owners - live
            if dead and policy == "Background":
                self._drop_owner_refs(dep_key, dead)
            elif dead:
                # The dependent outlives a foreground-deleted owner: unlink it.
                self._drop_owner_refs(dep_key, dead)
            return
        if _meta(entry.obj).get("deletionTimestamp") and policy != "Foreground":
            return
        self._delete_locked(info, entry, None, policy)

    def _drop_owner_refs(self, dep_key: tuple[ResourceKey, str, str], uids: set[str]) -> None:
        key, namespace, name = dep_key
        entry = self._objects[key].get((namespace, name))
        if entry is None:
            return
        info = res.RESOURCES[key]
        new = clone(entry.obj)
        refs = [r for r in new["metadata"].get("ownerReferences") or () if r.get("uid") not in uids]
        if refs:
            new["metadata"]["ownerReferences"] = refs
        else:
            new["metadata"].pop("ownerReferences", None)
        self._write(info, new, entry)

    def _maybe_finish_foreground(self, info: ResourceInfo, entry: _Entry) -> None:
        meta = entry.obj["metadata"]
        if not meta.get("deletionTimestamp") or FOREGROUND_FINALIZER not in (
            meta.get("finalizers") or ()
        ):
            return
        uid = meta["uid"]
        for dep_key in self._dependents.get(uid, ()):
            key, namespace, name = dep_key
            dep = self._objects[key].get((namespace, name))
            if dep is None:
                continue
            for ref in _meta(dep.obj).get("ownerReferences") or ():
                if ref.get("uid") == uid and ref.get("blockOwnerDeletion"):
                    return
        new = clone(entry.obj)
        finalizers = [f for f in new["metadata"]["finalizers"] if f != FOREGROUND_FINALIZER]
        if finalizers:
            new["metadata"]["finalizers"] = finalizers
        else:
            new["metadata"].pop("finalizers", None)
        self._write(info, new, entry)

    def _delete_namespace(self, info: ResourceInfo, entry: _Entry) -> tuple[_Entry, bool]:
        meta = entry.obj["metadata"]
        name = meta["name"]
        if not meta.get("deletionTimestamp"):
            new = clone(entry.obj)
            new["metadata"]["deletionTimestamp"] = self._now()
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            new.setdefault("status", {})["phase"] = "Terminating"
            # The "kubernetes" spec finalizer keeps the namespace until its content is gone.
            spec_finalizers = new.setdefault("spec", {}).setdefault("finalizers", [])
            if "kubernetes" not in spec_finalizers:
                spec_finalizers.append("kubernetes")
            entry = self._write(info, new, entry)
        for key, objects in self._objects.items():
            content_info = res.RESOURCES[key]
            if not content_info.namespaced:
                continue
            for obj_key, content in list(objects.items()):
                if obj_key[0] != name or objects.get(obj_key) is not content:
                    continue
                if _meta(content.obj).get("deletionTimestamp"):
                    continue
                self._delete_locked(content_info, content, None, None)
        current = self._objects[info.key].get(("", name))
        if current is not None and self._ns_count.get(name, 0) <= 0:
            self._finish_namespace(current)
        current = self._objects[info.key].get(("", name))
        if current is None:
            return entry, True
        return current, False

    def _finish_namespace(self, ns_entry: _Entry) -> None:
        info = res.RESOURCES[("", "namespaces")]
        new = clone(ns_entry.obj)
        spec = new.setdefault("spec", {})
        spec["finalizers"] = [f for f in spec.get("finalizers") or () if f != "kubernetes"]
        if new != ns_entry.obj:
            self._write(info, new, ns_entry)
        elif not _meta(ns_entry.obj).get("finalizers"):
            self._remove(info, ns_entry)

    # --- watch ------------------------------------------------------------------------------

    def watch(
        self,
        group: str | None = None,
        resource: str | None = None,
        namespace: str | None = None,
        resource_version: str | int | None = None,
        label_selector: str | LabelSelector | None = None,
        field_selector: str | FieldSelector | None = None,
        max_queue: int | None = DEFAULT_QUEUE,
    ) -> Watch:
        """A new Watch; group/resource None watches every resource (in-process use).

        max_queue: DEFAULT_QUEUE means the store's `watch_queue_size`; None means unbounded.
        """
        if resource is None:
            infos = list(res.RESOURCE_LIST)
            keys: tuple[ResourceKey, ...] | None = None
        else:
            info = self.info(group or "", resource)
            infos = [info]
            keys = (info.key,)
        labels = _as_label_selector(label_selector)
        fields = _as_field_selector(field_selector, infos)
        start = _parse_rv(resource_version)
        queue_size = self.watch_queue_size if max_queue == DEFAULT_QUEUE else max_queue
        watch = Watch(self, keys, namespace, labels, fields, queue_size)
        with self._lock:
            watched = keys if keys is not None else tuple(res.RESOURCES)
            if start is None:
                initial = [
                    _Event("ADDED", key, entry, None, entry.rv)
                    for key in watched
                    for _, entry in sorted(self._objects[key].items(), key=lambda p: p[0])
                ]
            else:
                for key in watched:
                    if start < self._floor[key]:
                        raise expired(start, self._floor[key])
                streams = [
                    [e for e in _history_after(self._history[key], start)] for key in watched
                ]
                initial = list(heapq.merge(*streams, key=lambda e: e.rv))
            with watch._cond:
                watch._queue.extend(initial)
                if watch._max_queue is not None:
                    # The bound is on falling behind live traffic, not on the initial backlog.
                    watch._max_queue += len(initial)
            self._watchers.setdefault(keys[0] if keys else None, set()).add(watch)
        return watch

    def _unregister(self, watch: Watch) -> None:
        with self._lock:
            watchers = self._watchers.get(watch.keys[0] if watch.keys else None)
            if watchers is not None:
                watchers.discard(watch)

    def close_watches(self) -> None:
        """End every open watch (consumers drain what is queued, then see the end)."""
        with self._lock:
            all_watches = [w for ws in self._watchers.values() for w in ws]
        for watch in all_watches:
            watch.close()

    def subscribe(
        self,
        callback: Callable[[WatchEvent], None],
        group: str | None = None,
        resource: str | None = None,
        namespace: str | None = None,
        label_selector: str | None = None,
        resource_version: str | None = None,
    ) -> Subscription:
        watch = self.watch(
            group, resource, namespace, resource_version, label_selector, max_queue=None
        )
        name = f"store-subscriber-{group or '*'}/{resource or '*'}"
        return Subscription(watch, callback, name)

    def compact(self) -> None:
        """Forget all history: a watch from any version before now, or a continue token issued
        before now, gets 410 Expired."""
        with self._lock:
            for key, history in self._history.items():
                history.clear()
                self._floor[key] = self._rv
            self._snapshots.clear()


def _history_after(history: deque[_Event], start: int) -> list[_Event]:
    found: list[_Event] = []
    for event in reversed(history):
        if event.rv <= start:
            break
        found.append(event)
    found.reverse()
    return found


def _parse_rv(value: str | int | None) -> int | None:
    """None for "current state first" (unset, "" or "0"); else the version to resume after."""
    if value is None or value == "" or value == "0" or value == 0:
        return None
    try:
        parsed = int(value)
    except (TypeError, ValueError):
        raise bad_request(f'invalid resource version "{value}"') from None
    if parsed < 0:
        raise bad_request(f'invalid resource version "{value}"')
    return parsed


def _encode_continue(rv: int, start: tuple[str, str], snapshot_id: int | None) -> str:
    data = {"v": 1, "rv": rv, "start": list(start), "s": snapshot_id or 0}
    raw = json.dumps(data, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[int, tuple[str, str], int]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        rv = int(data["rv"])
        namespace, name = data["start"]
        return rv, (str(namespace), str(name)), int(data.get("s") or 0)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion "
            "(version meta.k8s.io/v1)"
        ) from None


def _scale_of(obj: Obj) -> Obj:
    meta = obj["metadata"]
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    scale_meta: Obj = {
        "name": meta["name"],
        "namespace": meta.get("namespace"),
        "uid": meta["uid"],
        "resourceVersion": meta["resourceVersion"],
        "creationTimestamp": meta.get("creationTimestamp"),
    }
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": scale_meta,
        "spec": {"replicas": spec.get("replicas", 0)},
        "status": {
            "replicas": status.get("replicas", 0),
            "selector": selector_string(spec.get("selector")),
        },
    }
