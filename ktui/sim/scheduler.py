"""A small kube-scheduler for the embedded cluster (a real control plane has its own).

    scheduler = Scheduler(client)        # any SimClient
    scheduler.start(); ...; scheduler.stop()

`Scheduler(client, *, clock=time.time, scheduler_name="default-scheduler", retry_interval=30.0,
event_burst=25, event_refill=300.0)` binds pending pods whose spec.schedulerName is its name
(pods without one count as the default scheduler's) to a node, filtering nodes like the v1.20
default plugins do, in their order: NodeUnschedulable (spec.unschedulable unless tolerated),
NodeResourcesFit (cpu / memory / any requested resource against allocatable minus what the pods
bound there request, and the pod count), NodeName, NodeAffinity (nodeSelector and the required
node affinity: matchExpressions In / NotIn / Exists / DoesNotExist / Gt / Lt on labels and
matchFields on metadata.name, as DaemonSet pods use), TaintToleration (NoSchedule / NoExecute
taints; a node whose Ready condition is not True counts as tainted not-ready / unreachable).
Among the nodes left it picks the least allocated one (cpu and memory with the scheduler's
non-zero defaults of 100m / 200Mi), then the one with fewer pods, then by name.

A bound pod gets a `Scheduled` event ("Successfully assigned default/web-1 to node-1"). A pod
that fits nowhere gets `PodScheduled=False`, reason `Unschedulable`, with kube-scheduler's
message ("0/3 nodes are available: 3 Insufficient cpu.") and a Warning `FailedScheduling` event
(aggregated); it is tried again when a node appears or changes in a way that matters, when a pod
goes away or finishes, and every `retry_interval` seconds. Nothing is decided before the node
and pod caches hold the whole cluster (their first lists are in).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from typing import Any

from ktui.sim.client import SimClient
from ktui.sim.lifecycle import parse_quantity, pod_requests, rfc3339
from ktui.sim.nodeagent.events import EventRecorder
from ktui.sim.nodeagent.reflector import Reflector
from ktui.sim.store import StoreError

log = logging.getLogger(__name__)

Obj = dict[str, Any]

DEFAULT_CPU_REQUEST = 0.1
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"

REASON_UNSCHEDULABLE = "node(s) were unschedulable"
REASON_SELECTOR = "node(s) didn't match node selector"
REASON_NODE_NAME = "node(s) didn't match the requested hostname"
REASON_TOO_MANY_PODS = "Too many pods"


def tolerates(tolerations: Any, taint: Mapping[str, Any]) -> bool:
    """Whether any toleration tolerates the taint (v1 Toleration.ToleratesTaint)."""
    for toleration in tolerations or ():
        if not isinstance(toleration, Mapping):
            continue
        effect = toleration.get("effect") or ""
        if effect and effect != taint.get("effect"):
            continue
        key = toleration.get("key") or ""
        operator = toleration.get("operator") or "Equal"
        if key and key != taint.get("key"):
            continue
        if operator == "Exists":
            return True
        if (
            operator == "Equal"
            and key
            and (toleration.get("value") or "") == (taint.get("value") or "")
        ):
            return True
    return False


def _requirement_matches(req: Mapping[str, Any], values: Mapping[str, str]) -> bool:
    key = str(req.get("key", ""))
    operator = req.get("operator")
    wanted = [str(v) for v in req.get("values") or ()]
    present = key in values
    value = values.get(key)
    if operator == "In":
        return present and value in wanted
    if operator == "NotIn":
        return not present or value not in wanted
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    if operator in ("Gt", "Lt") and present and len(wanted) == 1:
        try:
            have, limit = int(str(value)), int(wanted[0])
        except ValueError:
            return False
        return have > limit if operator == "Gt" else have < limit
    return False


def node_matches_term(term: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """One NodeSelectorTerm: all its matchExpressions (labels) and matchFields (name)."""
    meta = node.get("metadata") or {}
    labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    fields = {"metadata.name": str(meta.get("name", ""))}
    expressions = term.get("matchExpressions") or ()
    match_fields = term.get("matchFields") or ()
    if not expressions and not match_fields:
        return False  # an empty term matches no objects
    return all(_requirement_matches(r, labels) for r in expressions) and all(
        _requirement_matches(r, fields) for r in match_fields
    )


def node_affinity_matches(pod: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    spec = pod.get("spec") or {}
    labels = (node.get("metadata") or {}).get("labels") or {}
    for key, value in (spec.get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return False
    affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if isinstance(required, Mapping):
        terms = required.get("nodeSelectorTerms") or ()
        if not any(node_matches_term(t, node) for t in terms if isinstance(t, Mapping)):
            return False
    return True


def _effective_taints(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    taints = [t for t in (node.get("spec") or {}).get("taints") or () if isinstance(t, Mapping)]
    ready = next(
        (c for c in (node.get("status") or {}).get("conditions") or () if c.get("type") == "Ready"),
        None,
    )
    status = ready.get("status") if ready else "False"
    if status != "True":
        # What TaintNodesByCondition would have put there.
        key = UNREACHABLE_TAINT if status == "Unknown" else NOT_READY_TAINT
        if not any(t.get("key") == key for t in taints):
            taints.append({"key": key, "effect": "NoSchedule"})
    return taints


def _allocatable(node: Mapping[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, raw in ((node.get("status") or {}).get("allocatable") or {}).items():
        try:
            out[str(name)] = parse_quantity(raw)
        except ValueError:
            continue
    return out


def _node_signature(node: Mapping[str, Any]) -> Any:
    """What about a node matters for scheduling (heartbeats alone do not)."""
    meta = node.get("metadata") or {}
    spec = node.get("spec") or {}
    ready = [
        c.get("status")
        for c in (node.get("status") or {}).get("conditions") or ()
        if c.get("type") == "Ready"
    ]
    return (
        repr(sorted((meta.get("labels") or {}).items())),
        repr(spec.get("taints")),
        bool(spec.get("unschedulable")),
        repr(sorted(((node.get("status") or {}).get("allocatable") or {}).items())),
        tuple(ready),
    )


class _Usage:
    __slots__ = ("pods", "requested", "score_cpu", "score_memory")

    def __init__(self) -> None:
        self.requested: dict[str, float] = {}
        self.pods = 0
        self.score_cpu = 0.0
        self.score_memory = 0.0

    def add(self, requests: Mapping[str, float], sign: int) -> None:
        for name, value in requests.items():
            self.requested[name] = self.requested.get(name, 0.0) + sign * value
        self.pods += sign
        self.score_cpu += sign * (requests.get("cpu") or DEFAULT_CPU_REQUEST)
        self.score_memory += sign * (requests.get("memory") or DEFAULT_MEMORY_REQUEST)


def _terminal(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


class Scheduler:
    """See the module docstring."""

    def __init__(
        self,
        client: SimClient,
        *,
        clock: Callable[[], float] = time.time,
        scheduler_name: str = "default-scheduler",
        retry_interval: float = 30.0,
        event_burst: int = 25,
        event_refill: float = 300.0,
    ) -> None:
        self.client = client
        self.clock = clock
        self.scheduler_name = scheduler_name
        self.retry_interval = retry_interval
        self._recorder = EventRecorder(
            client, component=scheduler_name, clock=clock, burst=event_burst, refill=event_refill
        )
        self._nodes: dict[str, Obj] = {}
        self._signatures: dict[str, Any] = {}
        self._allocatable: dict[str, dict[str, float]] = {}
        self._usage: dict[str, _Usage] = {}
        self._assigned: dict[str, tuple[str, dict[str, float]]] = {}
        self._active: OrderedDict[str, Obj] = OrderedDict()
        self._unschedulable: dict[str, Obj] = {}
        self._messages: dict[str, str] = {}
        self._inbox: deque[tuple[str, str, Obj]] = deque()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._last_retry = 0.0
        self._reflectors = [
            Reflector(client, "", "nodes", self._on("nodes"), name="scheduler-nodes"),
            Reflector(client, "", "pods", self._on("pods"), name="scheduler-pods"),
        ]
        self.bound = 0

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Scheduler:
        if self._thread is not None:
            return self
        self._stopping = False
        self._recorder.start()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()
        for reflector in self._reflectors:
            reflector.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for reflector in self._reflectors:
            reflector.stop()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)
        self._recorder.stop()

    def __enter__(self) -> Scheduler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _on(self, resource: str) -> Callable[[str, Obj], None]:
        def handle(type_: str, obj: Obj) -> None:
            with self._cond:
                self._inbox.append((resource, type_, obj))
                self._cond.notify()

        return handle

    # --- cache --------------------------------------------------------------------------------

    def _node_event(self, type_: str, node: Obj) -> bool:
        name = str((node.get("metadata") or {}).get("name", ""))
        if type_ == "DELETED":
            self._nodes.pop(name, None)
            self._signatures.pop(name, None)
            self._allocatable.pop(name, None)
            return False
        signature = _node_signature(node)
        changed: bool = self._signatures.get(name) != signature
        self._nodes[name] = node
        self._signatures[name] = signature
        self._allocatable[name] = _allocatable(node)
        self._usage.setdefault(name, _Usage())
        return changed

    def _unassign(self, uid: str) -> bool:
        found = self._assigned.pop(uid, None)
        if found is None:
            return False
        node, requests = found
        usage = self._usage.get(node)
        if usage is not None:
            usage.add(requests, -1)
        return True

    def _assign(self, uid: str, node: str, requests: dict[str, float]) -> None:
        self._unassign(uid)
        self._assigned[uid] = (node, requests)
        self._usage.setdefault(node, _Usage()).add(requests, +1)

    def _pod_event(self, type_: str, pod: Obj) -> bool:
        """Update the cache; True when room may have been freed."""
        meta = pod.get("metadata") or {}
        spec = pod.get("spec") or {}
        uid = str(meta.get("uid", ""))
        if type_ == "DELETED":
            self._active.pop(uid, None)
            self._unschedulable.pop(uid, None)
            self._messages.pop(uid, None)
            return self._unassign(uid)
        node = spec.get("nodeName")
        if node:
            self._active.pop(uid, None)
            self._unschedulable.pop(uid, None)
            self._messages.pop(uid, None)
            if _terminal(pod):
                return self._unassign(uid)
            if uid not in self._assigned or self._assigned[uid][0] != node:
                self._assign(uid, str(node), pod_requests(spec))
            return False
        if (spec.get("schedulerName") or "default-scheduler") != self.scheduler_name:
            return False
        if meta.get("deletionTimestamp") or _terminal(pod):
            self._active.pop(uid, None)
            self._unschedulable.pop(uid, None)
            return False
        if uid in self._unschedulable:
            self._unschedulable[uid] = pod
        else:
            self._active[uid] = pod
        return False

    # --- loop ---------------------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            synced = all(r.synced.is_set() for r in self._reflectors)
            with self._cond:
                while not self._inbox and not self._stopping:
                    if not synced:
                        self._cond.wait(0.05)
                        break
                    if self._active:
                        break
                    wait = self.retry_interval - (time.monotonic() - self._last_retry)
                    if wait <= 0 and self._unschedulable:
                        break
                    self._cond.wait(max(0.05, wait) if self._unschedulable else None)
                if self._stopping:
                    return
                batch = list(self._inbox)
                self._inbox.clear()
            moved = False
            for resource, type_, obj in batch:
                try:
                    if resource == "nodes":
                        moved = self._node_event(type_, obj) or moved
                    else:
                        moved = self._pod_event(type_, obj) or moved
                except Exception:
                    log.exception("scheduler: handling a %s event failed", resource)
            if moved or time.monotonic() - self._last_retry >= self.retry_interval:
                self._last_retry = time.monotonic()
                for uid, pod in self._unschedulable.items():
                    self._active[uid] = pod
                self._unschedulable.clear()
            if not synced:
                continue  # decide nothing before both caches hold the whole cluster
            # Schedule a bounded batch, then look at new events again.
            for _ in range(min(len(self._active), 200)):
                if self._stopping:
                    return
                uid, pod = self._active.popitem(last=False)
                try:
                    self._schedule_one(uid, pod)
                except Exception:
                    log.exception("scheduler: scheduling pod %s failed", uid)

    # --- one pod ------------------------------------------------------------------------------

    def filter_reasons(
        self,
        pod: Mapping[str, Any],
        node: Mapping[str, Any],
        requests: Mapping[str, float] | None = None,
    ) -> list[str]:
        """Why the pod does not fit on the node (empty: it fits), first failing filter only."""
        spec = pod.get("spec") or {}
        name = str((node.get("metadata") or {}).get("name", ""))
        tolerations = spec.get("tolerations")
        node_spec = node.get("spec") or {}
        if node_spec.get("unschedulable") and not tolerates(
            tolerations, {"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"}
        ):
            return [REASON_UNSCHEDULABLE]
        if requests is None:
            requests = pod_requests(spec)
        allocatable = self._allocatable.get(name)
        if allocatable is None:
            allocatable = _allocatable(node)
        usage = self._usage.get(name) or _Usage()
        reasons = []
        max_pods = allocatable.get("pods")
        if max_pods is not None and usage.pods + 1 > max_pods:
            reasons.append(REASON_TOO_MANY_PODS)
        for resource, wanted in sorted(requests.items()):
            if wanted <= 0:
                continue
            have = allocatable.get(resource, 0.0)
            if usage.requested.get(resource, 0.0) + wanted > have + 1e-9:
                reasons.append(f"Insufficient {resource}")
        if reasons:
            return reasons
        if spec.get("nodeName") and spec.get("nodeName") != name:
            return [REASON_NODE_NAME]
        if not node_affinity_matches(pod, node):
            return [REASON_SELECTOR]
        for taint in _effective_taints(node):
            if taint.get("effect") not in ("NoSchedule", "NoExecute"):
                continue
            if not tolerates(tolerations, taint):
                return [
                    f"node(s) had taint {{{taint.get('key')}: {taint.get('value') or ''}}},"
                    " that the pod didn't tolerate"
                ]
        return []

    def _score(self, node_name: str, node: Mapping[str, Any], requests: Mapping[str, float]) -> Any:
        allocatable = self._allocatable.get(node_name) or _allocatable(node)
        usage = self._usage.get(node_name) or _Usage()
        fractions = []
        for resource, used, default in (
            ("cpu", usage.score_cpu, DEFAULT_CPU_REQUEST),
            ("memory", usage.score_memory, DEFAULT_MEMORY_REQUEST),
        ):
            capacity = allocatable.get(resource, 0.0)
            wanted = requests.get(resource) or default
            if capacity <= 0:
                fractions.append(0.0)
            else:
                fractions.append(max(0.0, (capacity - used - wanted) / capacity))
        least_allocated = sum(fractions) / len(fractions)
        return (-least_allocated, usage.pods, node_name)

    def _schedule_one(self, uid: str, pod: Obj) -> None:
        meta = pod.get("metadata") or {}
        namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
        requests = pod_requests(pod.get("spec") or {})
        counts: dict[str, int] = {}
        fitting: list[Any] = []
        for node_name, node in self._nodes.items():
            reasons = self.filter_reasons(pod, node, requests)
            if reasons:
                for reason in reasons:
                    counts[reason] = counts.get(reason, 0) + 1
            else:
                fitting.append((self._score(node_name, node, requests), node_name))
        if not fitting:
            self._unschedulable[uid] = pod
            self._fail(uid, pod, self._message(counts))
            return
        fitting.sort()
        target = fitting[0][1]
        try:
            self.client.bind(namespace, name, target)
        except StoreError as exc:
            if exc.code in (404, 409):
                return  # gone, or bound by someone else: the watch tells the rest
            log.warning("scheduler: binding %s/%s failed: %s", namespace, name, exc.message)
            self._unschedulable[uid] = pod
            return
        self.bound += 1
        # Count it at once: the watch event confirming the binding comes later.
        self._assign(uid, target, requests)
        self._messages.pop(uid, None)
        self._recorder.record(
            pod, "Scheduled", f"Successfully assigned {namespace}/{name} to {target}"
        )

    def _message(self, counts: Mapping[str, int]) -> str:
        if not self._nodes:
            return "no nodes available to schedule pods"
        parts = sorted(f"{count} {reason}" for reason, count in counts.items())
        return f"0/{len(self._nodes)} nodes are available: {', '.join(parts)}."

    def _fail(self, uid: str, pod: Obj, message: str) -> None:
        meta = pod.get("metadata") or {}
        self._recorder.record(pod, "FailedScheduling", message, type_="Warning")
        if self._messages.get(uid) == message:
            return
        self._messages[uid] = message
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": message,
            "lastTransitionTime": rfc3339(self.clock()),
        }
        for cond in (pod.get("status") or {}).get("conditions") or ():
            if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
                condition["lastTransitionTime"] = (
                    cond.get("lastTransitionTime") or condition["lastTransitionTime"]
                )
        try:
            self.client.patch(
                "", "pods", meta.get("namespace"), str(meta.get("name", "")), "strategic",
                {"status": {"conditions": [condition]}}, "status",
            )  # fmt: skip
        except StoreError as exc:
            if exc.code != 404:
                log.debug("scheduler: marking %s unschedulable: %s", meta.get("name"), exc.message)
