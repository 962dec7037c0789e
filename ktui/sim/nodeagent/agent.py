"""The node agent: the kubelet of a set of simulated nodes, over any `SimClient`.

See `ktui.sim.nodeagent` for the public API. Internals: one loop thread owns every pod's
`PodRuntime` and a heap of due times (one entry per pod, not a thread or a timer per pod); a
reflector thread feeds it pod events; status writes are coalesced per pod (one write per pod per
loop pass, with the newest status) and done by `status_writers` threads, each owning a fixed
share of the pods so that writes to one pod stay in order; node writes (heartbeats, leases,
node lifecycle) have their own thread; events go through an `EventRecorder`.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import queue
import random
import re
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ktui.sim.client import SimClient
from ktui.sim.lifecycle import (
    NODE_LOST_REASON,
    ContainerLogState,
    NodeAddresses,
    PodRuntime,
    Timings,
    rfc3339,
    rfc3339_micro,
)
from ktui.sim.logs import PodLogSource
from ktui.sim.nodeagent.events import EventRecorder
from ktui.sim.nodeagent.reflector import Reflector
from ktui.sim.store import Obj, StoreError

log = logging.getLogger(__name__)

LEASE_NAMESPACE = "kube-node-lease"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"
DEFAULT_CAPACITY = {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"}
_NODE_CONDITIONS = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory",
     "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)  # fmt: skip
_ZONES = ("zone-a", "zone-b", "zone-c")
_AGENT_IDS = itertools.count(1)


def _rv(obj: Mapping[str, Any]) -> int:
    try:
        return int((obj.get("metadata") or {}).get("resourceVersion") or 0)
    except (TypeError, ValueError):
        return 0


@dataclass
class _Node:
    name: str
    index: int
    addresses: NodeAddresses
    images: set[str] = field(default_factory=set)
    lost: bool = False
    unknown: bool = False
    frozen: set[str] = field(default_factory=set)
    transitions: dict[str, float] = field(default_factory=dict)
    """Ready condition lastTransitionTime as this kubelet knows it."""


@dataclass
class _Pod:
    uid: str
    namespace: str
    name: str
    node: str
    pod: Obj
    rv: int
    runtime: PodRuntime | None = None
    pod_ip: str = ""
    due: float | None = None
    last_status: Obj | None = None
    delete_sent: bool = False
    evict_at: float | None = None


@dataclass
class _Job:
    status: Obj | None = None
    delete: bool = False
    delete_grace: int | None = 0


class NodeAgent:
    """The kubelet (plus, in the embedded cluster, the node lifecycle controller) of some nodes.

    See the `ktui.sim.nodeagent` module docstring."""

    def __init__(
        self,
        client: SimClient,
        node_names: Iterable[str],
        *,
        clock: Callable[[], float] = time.time,
        timings: Timings | None = None,
        rng: random.Random | None = None,
        seed: int = 0,
        create_nodes: bool = True,
        node_lifecycle: bool = True,
        log_store: Any = None,
        register_logs: bool = True,
        node_capacity: Mapping[str, str] | None = None,
        kubelet_version: str = "v1.30.0",
        status_writers: int = 2,
        leases: bool = True,
    ) -> None:
        self.client = client
        self.node_names = list(dict.fromkeys(node_names))
        self.clock = clock
        self.timings = timings or Timings()
        self.rng = rng or random.Random(seed)
        self.create_nodes = create_nodes
        self.node_lifecycle = node_lifecycle
        self.node_capacity = dict(node_capacity or DEFAULT_CAPACITY)
        self.kubelet_version = kubelet_version
        self.use_leases = leases
        self.log_source = PodLogSource(self._log_state, clock=clock, scale=self.timings.scale)
        if log_store is None and register_logs:
            log_store = getattr(client, "store", None)
        self._log_store = log_store if register_logs else None
        self._nodes: dict[str, _Node] = {}
        used: set[int] = set()
        for position, name in enumerate(self.node_names, start=1):
            index = _node_index(name, position, used)
            used.add(index)
            self._nodes[name] = _Node(
                name=name,
                index=index,
                addresses=NodeAddresses(
                    internal_ip=f"172.18.0.{(index % 250) + 1}", pod_prefix=f"10.244.{index % 256}"
                ),
            )
        self._pods: dict[str, _Pod] = {}
        self._heap: list[tuple[float, int, str, str]] = []
        self._seq = itertools.count()
        self._inbox: deque[tuple[str, Any]] = deque()
        self._cond = threading.Condition()
        self._lock = threading.Lock()
        self._stopping = False
        self._stop_event = threading.Event()
        self._started = False
        self._loop_thread: threading.Thread | None = None
        self._writers = max(1, status_writers)
        self._jobs: dict[str, _Job] = {}
        self._write_queues: list[queue.Queue[str | None]] = [
            queue.Queue() for _ in range(self._writers)
        ]
        self._writer_threads: list[threading.Thread] = []
        self._in_flight = 0
        self._node_queue: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._node_thread: threading.Thread | None = None
        self._leases_served: bool | None = None
        self.thread_prefix = f"nodeagent{next(_AGENT_IDS)}"
        """Every thread of this agent is named <thread_prefix>-<role>."""
        self._recorder = EventRecorder(
            client,
            component="kubelet",
            clock=clock,
            burst=self.timings.event_burst,
            refill=self.timings.scaled(self.timings.event_refill),
            thread_name=f"{self.thread_prefix}-events",
        )
        self._controller_events = EventRecorder(
            client,
            component="node-controller",
            clock=clock,
            burst=self.timings.event_burst,
            refill=self.timings.scaled(self.timings.event_refill),
            thread_name=f"{self.thread_prefix}-controller-events",
        )
        self._reflector = Reflector(
            client, "", "pods", self._on_pod_event, name=f"{self.thread_prefix}-pods"
        )
        self.writes = 0
        """Pod status writes done (for benchmarks and tests)."""

    # --- public API ---------------------------------------------------------------------------

    def start(self) -> NodeAgent:
        """Create / adopt the nodes (synchronously: they are Ready when this returns) and start
        driving their pods."""
        if self._started:
            return self
        self._started = True
        self._stopping = False
        self._stop_event.clear()
        for node in self._nodes.values():
            self._ensure_node(node)
        if self._log_store is not None:
            self._log_store.log_source = self.log_source
        self._recorder.start()
        self._controller_events.start()
        for index in range(self._writers):
            thread = threading.Thread(
                target=self._writer,
                args=(index,),
                name=f"{self.thread_prefix}-writer-{index}",
                daemon=True,
            )
            thread.start()
            self._writer_threads.append(thread)
        self._node_thread = threading.Thread(
            target=self._node_worker, name=f"{self.thread_prefix}-nodes", daemon=True
        )
        self._node_thread.start()
        self._loop_thread = threading.Thread(
            target=self._loop, name=f"{self.thread_prefix}-loop", daemon=True
        )
        self._loop_thread.start()
        now = self.clock()
        with self._cond:
            for name in self._nodes:
                self._push(now + self.timings.heartbeat, "heartbeat", name)
        self._reflector.start()
        return self

    def stop(self) -> None:
        """Stop promptly (pending writes are abandoned; the nodes stay as they are)."""
        if not self._started:
            return
        self._started = False
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._stop_event.set()
        self._reflector.stop(timeout=5)
        if self._loop_thread is not None:
            self._loop_thread.join(timeout=5)
        for q in self._write_queues:
            q.put(None)
        self._node_queue.put(None)
        for thread in self._writer_threads:
            thread.join(timeout=5)
        self._writer_threads.clear()
        if self._node_thread is not None:
            self._node_thread.join(timeout=5)
        self._recorder.stop()
        self._controller_events.stop()
        if self._log_store is not None and self._log_store.log_source is self.log_source:
            self._log_store.log_source = None

    def __enter__(self) -> NodeAgent:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_synced(self, timeout: float = 10.0) -> bool:
        """True once the first pod list has been taken in."""
        return self._reflector.synced.wait(timeout)

    def lose_node(self, name: str) -> None:
        """The node's kubelet goes silent: no heartbeats, its pods freeze. In the embedded
        cluster (`node_lifecycle=True`) the node turns Unknown after `node_monitor_grace` and
        its pods are evicted after `pod_eviction_timeout`."""
        self._check_node(name)
        self._command(lambda: self._lose(name))

    def restore_node(self, name: str) -> None:
        """The kubelet is back: heartbeats resume, the node is Ready again, its pods go on."""
        self._check_node(name)
        self._command(lambda: self._restore(name))

    def is_lost(self, name: str) -> bool:
        self._check_node(name)
        return self._nodes[name].lost

    def _check_node(self, name: str) -> None:
        if name not in self._nodes:
            known = ", ".join(self._nodes)
            raise ValueError(f"node {name!r} is not one of this agent's nodes ({known})")

    def pod_count(self) -> int:
        with self._lock:
            return len(self._pods)

    def idle(self) -> bool:
        """No pod transition is due before the next tick and no write is waiting (tests)."""
        with self._lock:
            jobs = bool(self._jobs) or self._in_flight > 0
        with self._cond:
            inbox = bool(self._inbox)
        return not jobs and not inbox and self._recorder.idle()

    # --- loop ---------------------------------------------------------------------------------

    def _command(self, fn: Callable[[], None], timeout: float = 10.0) -> None:
        if not self._started or self._loop_thread is None:
            raise RuntimeError("the node agent is not running")
        done = threading.Event()

        def run() -> None:
            try:
                fn()
            finally:
                done.set()

        with self._cond:
            self._inbox.append(("command", run))
            self._cond.notify()
        done.wait(timeout)

    def _on_pod_event(self, type_: str, pod: dict[str, Any]) -> None:
        with self._cond:
            self._inbox.append((type_, pod))
            self._cond.notify()

    def _push(self, due: float, kind: str, key: str) -> None:
        heapq.heappush(self._heap, (due, next(self._seq), kind, key))

    def _schedule(self, rec: _Pod, due: float) -> None:
        if math.isinf(due):
            return
        if rec.due is not None and rec.due <= due:
            return
        rec.due = due
        self._push(due, "pod", rec.uid)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._inbox and not self._stopping:
                    wait = 1.0
                    if self._heap:
                        wait = min(wait, self._heap[0][0] - self.clock())
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                if self._stopping:
                    return
                batch = list(self._inbox)
                self._inbox.clear()
            dirty: dict[str, _Pod] = {}
            for type_, payload in batch:
                try:
                    if type_ == "command":
                        payload()
                    else:
                        self._pod_event(type_, payload)
                except Exception:
                    log.exception("node agent: handling %s failed", type_)
            now = self.clock()
            while self._heap and self._heap[0][0] <= now:
                due, _, kind, key = heapq.heappop(self._heap)
                try:
                    self._due(kind, key, due, now, dirty)
                except Exception:
                    log.exception("node agent: %s %s failed", kind, key)
            for rec in dirty.values():
                self._emit(rec)

    def _due(self, kind: str, key: str, due: float, now: float, dirty: dict[str, _Pod]) -> None:
        if kind == "pod":
            rec = self._pods.get(key)
            if rec is None or rec.due != due:
                return
            rec.due = None
            self._advance(rec, now, dirty)
        elif kind == "heartbeat":
            node = self._nodes[key]
            if not node.lost:
                self._node_queue.put(lambda: self._heartbeat(node))
            self._push(due + self.timings.heartbeat, "heartbeat", key)
        elif kind == "node-unknown":
            self._node_unknown(key, due)
        elif kind == "evict":
            self._evict(key, due)

    def _advance(self, rec: _Pod, now: float, dirty: dict[str, _Pod]) -> None:
        runtime = rec.runtime
        if runtime is None:
            return
        node = self._nodes[rec.node]
        if node.lost:
            node.frozen.add(rec.uid)
            return
        if runtime.advance(now):
            dirty[rec.uid] = rec
        for event in runtime.take_events():
            self._recorder.record(
                rec.pod,
                event.reason,
                event.message,
                type_=event.type,
                field_path=event.field_path,
                host=rec.node,
                at=event.time,
            )
        if runtime.ready_to_delete and not rec.delete_sent:
            dirty[rec.uid] = rec
        self._schedule(rec, runtime.next_due())

    def _emit(self, rec: _Pod) -> None:
        runtime = rec.runtime
        if runtime is None:
            return
        status = runtime.render_status()
        delete = runtime.ready_to_delete and not rec.delete_sent
        if delete:
            rec.delete_sent = True
        if status == rec.last_status and not delete:
            return
        rec.last_status = status
        self._submit(rec, status, delete=delete, grace=0)

    # --- pods ---------------------------------------------------------------------------------

    def _pod_event(self, type_: str, pod: dict[str, Any]) -> None:
        meta = pod.get("metadata") or {}
        uid = str(meta.get("uid", ""))
        if type_ == "DELETED":
            with self._lock:
                rec = self._pods.pop(uid, None)
                self._jobs.pop(uid, None)
            if rec is not None:
                node = self._nodes.get(rec.node)
                if node is not None:
                    node.addresses.release(rec.pod_ip)
                    node.frozen.discard(uid)
            return
        node_name = str((pod.get("spec") or {}).get("nodeName") or "")
        node = self._nodes.get(node_name)
        if node is None:
            return
        now = self.clock()
        with self._lock:
            rec = self._pods.get(uid)
            if rec is None:
                rec = _Pod(
                    uid=uid,
                    namespace=str(meta.get("namespace", "")),
                    name=str(meta.get("name", "")),
                    node=node_name,
                    pod=pod,
                    rv=_rv(pod),
                )
                self._pods[uid] = rec
                new = True
            else:
                new = False
                if _rv(pod) >= rec.rv:
                    rec.pod, rec.rv = pod, _rv(pod)
        if new:
            self._start_pod(rec, node, pod, now)
        elif rec.runtime is not None:
            rec.runtime.observe(rec.pod, now)
        self._schedule(rec, now)

    def _start_pod(self, rec: _Pod, node: _Node, pod: dict[str, Any], now: float) -> None:
        status = pod.get("status") or {}
        phase = status.get("phase")
        ip = str(status.get("podIP") or "")
        if ip.startswith(node.addresses.pod_prefix + "."):
            node.addresses.in_use.add(ip)
        else:
            ip = node.addresses.allocate()
        rec.pod_ip = ip
        runtime = PodRuntime(
            pod,
            host_ip=node.addresses.internal_ip,
            pod_ip=ip,
            images=node.images,
            timings=self.timings,
            rng=self.rng,
            now=now,
        )
        if (
            status.get("containerStatuses")
            or status.get("initContainerStatuses")
            or phase
            in (
                "Succeeded",
                "Failed",
            )
        ):
            runtime.adopt(status, now)
        runtime.observe(pod, now)
        rec.runtime = runtime

    # --- status writes ------------------------------------------------------------------------

    def _submit(self, rec: _Pod, status: Obj | None, *, delete: bool, grace: int | None) -> None:
        with self._lock:
            job = self._jobs.get(rec.uid)
            queued = job is not None
            if job is None:
                job = self._jobs[rec.uid] = _Job()
            if status is not None:
                job.status = status
            if delete:
                job.delete = True
                job.delete_grace = grace
        if not queued:
            self._write_queues[zlib.crc32(rec.uid.encode()) % self._writers].put(rec.uid)

    def _writer(self, index: int) -> None:
        q = self._write_queues[index]
        while True:
            uid = q.get()
            if uid is None or self._stopping:
                return
            with self._lock:
                job = self._jobs.pop(uid, None)
                if job is not None:
                    self._in_flight += 1
            if job is None:
                continue
            try:
                if job.status is not None:
                    self._write_status(uid, job.status)
                if job.delete:
                    self._delete_pod(uid, job.delete_grace)
            except Exception:
                log.exception("node agent: writing pod %s failed", uid)
            finally:
                with self._lock:
                    self._in_flight -= 1

    def _superseded(self, uid: str) -> bool:
        with self._lock:
            return uid in self._jobs or uid not in self._pods

    def _write_status(self, uid: str, status: Obj) -> None:
        attempt = 0
        while not self._stopping:
            attempt += 1
            with self._lock:
                rec = self._pods.get(uid)
                if rec is None:
                    return
                body = dict(rec.pod)
                meta = dict(body.get("metadata") or {})
                meta["resourceVersion"] = str(rec.rv) if rec.rv else meta.get("resourceVersion")
                body["metadata"] = meta
                body["status"] = status
                namespace, name = rec.namespace, rec.name
            try:
                result = self.client.update_status("", "pods", body)
            except StoreError as exc:
                if exc.code == 404:
                    return
                if exc.code == 409:
                    try:
                        fresh = self.client.get("", "pods", namespace, name)
                    except StoreError:
                        return
                    if (fresh.get("metadata") or {}).get("uid") != uid:
                        return
                    with self._lock:
                        rec = self._pods.get(uid)
                        if rec is not None and _rv(fresh) >= rec.rv:
                            rec.pod, rec.rv = fresh, _rv(fresh)
                    if attempt > 20:
                        return
                    continue
                if exc.code in (429, 500, 503, 504):
                    # The apiserver is away: keep trying (a newer status replaces this one).
                    self._stop_event.wait(min(5.0, 0.1 * 2 ** min(attempt, 6)))
                    if self._superseded(uid):
                        return
                    continue
                log.warning("node agent: status of pod %s/%s: %s", namespace, name, exc.message)
                return
            self.writes += 1
            with self._lock:
                rec = self._pods.get(uid)
                if rec is not None and _rv(result) >= rec.rv:
                    rec.pod, rec.rv = result, _rv(result)
            return

    def _delete_pod(self, uid: str, grace: int | None) -> None:
        with self._lock:
            rec = self._pods.get(uid)
            if rec is None:
                return
            namespace, name = rec.namespace, rec.name
        attempt = 0
        while not self._stopping:
            attempt += 1
            try:
                self.client.delete(
                    "", "pods", namespace, name, grace_period_seconds=grace,
                    preconditions={"uid": uid},
                )  # fmt: skip
                return
            except StoreError as exc:
                if exc.code in (404, 409):
                    return
                if exc.code in (429, 500, 503, 504):
                    self._stop_event.wait(min(5.0, 0.1 * 2 ** min(attempt, 6)))
                    continue
                log.warning("node agent: deleting pod %s/%s: %s", namespace, name, exc.message)
                return

    # --- logs ---------------------------------------------------------------------------------

    def _log_state(self, pod: Obj, container: str) -> ContainerLogState | None:
        uid = str((pod.get("metadata") or {}).get("uid", ""))
        with self._lock:
            rec = self._pods.get(uid)
        if rec is None or rec.runtime is None:
            return None
        return rec.runtime.log_state(container)

    # --- nodes --------------------------------------------------------------------------------

    def _node_object(self, node: _Node) -> Obj:
        name = node.name
        labels = {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": "ktui-sim.large",
            "topology.kubernetes.io/zone": _ZONES[(node.index - 1) % len(_ZONES)],
        }
        cidr = f"{node.addresses.pod_prefix}.0/24"
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "labels": labels,
                "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
            },
            "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
            "status": self._node_status(node, self.clock()),
        }

    def _conditions(self, node: _Node, now: float) -> list[Obj]:
        out = []
        for type_, status, reason, message in _NODE_CONDITIONS:
            since = node.transitions.setdefault(type_, now)
            out.append(
                {
                    "type": type_,
                    "status": status,
                    "lastHeartbeatTime": rfc3339(now),
                    "lastTransitionTime": rfc3339(since),
                    "reason": reason,
                    "message": message,
                }
            )
        return out

    def _node_status(self, node: _Node, now: float) -> Obj:
        return {
            "capacity": dict(self.node_capacity),
            "allocatable": dict(self.node_capacity),
            "conditions": self._conditions(node, now),
            "addresses": [
                {"type": "InternalIP", "address": node.addresses.internal_ip},
                {"type": "Hostname", "address": node.name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": f"{zlib.crc32(node.name.encode()):08x}" * 4,
                "systemUUID": f"{zlib.crc32(('uuid' + node.name).encode()):08x}-0000-4000-8000-"
                f"{zlib.crc32(node.name.encode()):012x}",
                "bootID": f"{zlib.crc32(('boot' + node.name).encode()):08x}-0000-4000-8000-"
                "000000000000",
                "kernelVersion": "6.1.0-18-amd64",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "containerRuntimeVersion": "containerd://1.7.13",
                "kubeletVersion": self.kubelet_version,
                "kubeProxyVersion": self.kubelet_version,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        }

    def _ensure_node(self, node: _Node) -> None:
        now = self.clock()
        try:
            existing = self.client.get("", "nodes", None, node.name)
        except StoreError as exc:
            if exc.code != 404 or not self.create_nodes:
                raise
            existing = None
        if existing is None:
            obj = self._node_object(node)
            try:
                created = self.client.create("", "nodes", obj)
            except StoreError as exc:
                if exc.code != 409:
                    raise
                created = self.client.get("", "nodes", None, node.name)
            created["status"] = obj["status"]
            self.client.update_status("", "nodes", created)
            self._recorder.record(
                _node_ref(node.name), "Starting", "Starting kubelet.", host=node.name, at=now
            )
            self._recorder.record(
                _node_ref(node.name), "NodeReady",
                f"Node {node.name} status is now: NodeReady", host=node.name, at=now,
            )  # fmt: skip
        else:
            self._adopt_node(node, existing, now)
        self._renew_lease(node)

    def _adopt_node(self, node: _Node, existing: Obj, now: float) -> None:
        """Take over a node someone else created: keep its addresses and pod CIDR, report the
        kubelet's conditions (keeping their transition times)."""
        spec = existing.get("spec") or {}
        status = existing.get("status") or {}
        cidr = str(spec.get("podCIDR") or "")
        if cidr.endswith(".0/24"):
            node.addresses.pod_prefix = cidr[: -len(".0/24")]
        for address in status.get("addresses") or ():
            if address.get("type") == "InternalIP" and address.get("address"):
                node.addresses.internal_ip = str(address["address"])
        for cond in status.get("conditions") or ():
            since = cond.get("lastTransitionTime")
            if cond.get("type") == "Ready" and cond.get("status") != "True":
                continue
            parsed = _parse(since)
            if parsed is not None:
                node.transitions[str(cond.get("type"))] = parsed
        patch: Obj = {
            "status": {
                "conditions": self._conditions(node, now),
                "addresses": [
                    {"type": "InternalIP", "address": node.addresses.internal_ip},
                    {"type": "Hostname", "address": node.name},
                ],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            }
        }
        if not status.get("capacity"):
            patch["status"]["capacity"] = dict(self.node_capacity)
            patch["status"]["allocatable"] = dict(self.node_capacity)
        self.client.patch("", "nodes", None, node.name, "strategic", patch, "status")

    def _node_worker(self) -> None:
        while True:
            task = self._node_queue.get()
            if task is None or self._stopping:
                return
            try:
                task()
            except StoreError as exc:
                log.debug("node agent: node write failed: %s", exc.message)
            except Exception:
                log.exception("node agent: node write failed")

    def _heartbeat(self, node: _Node) -> None:
        if node.lost or self._stopping:
            return
        patch = {"status": {"conditions": self._conditions(node, self.clock())}}
        self.client.patch("", "nodes", None, node.name, "strategic", patch, "status")
        self._renew_lease(node)

    def _renew_lease(self, node: _Node) -> None:
        if not self.use_leases or self._leases_served is False:
            return
        now = rfc3339_micro(self.clock())
        try:
            self.client.patch(
                "coordination.k8s.io", "leases", LEASE_NAMESPACE, node.name, "merge",
                {"spec": {"renewTime": now, "holderIdentity": node.name}},
            )  # fmt: skip
            self._leases_served = True
            return
        except StoreError as exc:
            if exc.code != 404:
                log.debug("node agent: lease of %s: %s", node.name, exc.message)
                return
            if not (exc.details or {}).get("name"):
                self._leases_served = False  # the server has no Lease resource
                return
        lease = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": node.name, "namespace": LEASE_NAMESPACE},
            "spec": {
                "holderIdentity": node.name,
                "leaseDurationSeconds": 40,
                "renewTime": now,
            },
        }
        try:
            self.client.create("coordination.k8s.io", "leases", lease)
            self._leases_served = True
        except StoreError as exc:
            if exc.code == 404 and not (exc.details or {}).get("name"):
                self._leases_served = False
            elif exc.code != 409:
                log.debug("node agent: creating lease of %s: %s", node.name, exc.message)

    # --- node lifecycle -----------------------------------------------------------------------

    def _lose(self, name: str) -> None:
        node = self._nodes[name]
        if node.lost:
            return
        node.lost = True
        if self.node_lifecycle:
            self._push(
                self.clock() + self.timings.scaled(self.timings.node_monitor_grace),
                "node-unknown",
                name,
            )

    def _pods_on(self, name: str) -> list[_Pod]:
        with self._lock:
            return [rec for rec in self._pods.values() if rec.node == name]

    def _node_unknown(self, name: str, now: float) -> None:
        node = self._nodes[name]
        if not node.lost or node.unknown:
            return
        node.unknown = True
        node.transitions["Ready"] = now
        conditions = []
        for type_, _, _, _ in _NODE_CONDITIONS:
            conditions.append(
                {
                    "type": type_,
                    "status": "Unknown",
                    "reason": "NodeStatusUnknown",
                    "message": "Kubelet stopped posting node status.",
                    "lastTransitionTime": rfc3339(now),
                }
            )
        stamp = rfc3339(now)

        def write() -> None:
            self.client.patch(
                "", "nodes", None, name, "strategic", {"status": {"conditions": conditions}},
                "status",
            )  # fmt: skip
            self._set_taints(
                name,
                [
                    {"key": UNREACHABLE_TAINT, "effect": "NoSchedule", "timeAdded": stamp},
                    {"key": UNREACHABLE_TAINT, "effect": "NoExecute", "timeAdded": stamp},
                ],
            )

        self._node_queue.put(write)
        self._controller_events.record(
            _node_ref(name), "NodeNotReady", f"Node {name} status is now: NodeNotReady", at=now
        )
        for rec in self._pods_on(name):
            status = self._current_status(rec)
            if status.get("phase") in ("Succeeded", "Failed"):
                continue
            self._controller_events.record(
                rec.pod, "NodeNotReady", "Node is not ready", type_="Warning", at=now
            )
            marked = _with_condition(status, "Ready", "False", now)
            rec.last_status = marked
            self._submit(rec, marked, delete=False, grace=None)
            delay = _eviction_delay(rec.pod, self.timings)
            if delay is not None:
                rec.evict_at = now + delay
                self._push(rec.evict_at, "evict", rec.uid)

    def _current_status(self, rec: _Pod) -> Obj:
        if rec.last_status is not None:
            return rec.last_status
        return dict(rec.pod.get("status") or {})

    def _evict(self, uid: str, now: float) -> None:
        rec = self._pods.get(uid)
        if rec is None or rec.evict_at is None or rec.evict_at > now:
            return
        node = self._nodes[rec.node]
        if not node.lost:
            return
        rec.evict_at = None
        status = dict(self._current_status(rec))
        status["reason"] = NODE_LOST_REASON
        status["message"] = f"Node {rec.node} which was running pod {rec.name} is unresponsive"
        rec.last_status = status
        self._controller_events.record(
            rec.pod, "TaintManagerEviction",
            f"Marking for deletion Pod {rec.namespace}/{rec.name}", component="taint-controller",
            at=now,
        )  # fmt: skip
        self._submit(rec, status, delete=True, grace=None)

    def _restore(self, name: str) -> None:
        node = self._nodes[name]
        if not node.lost:
            return
        node.lost = False
        now = self.clock()
        was_unknown = node.unknown
        node.unknown = False
        if was_unknown:
            node.transitions["Ready"] = now

        def write() -> None:
            self._heartbeat(node)
            if was_unknown:
                self._set_taints(name, [])

        self._node_queue.put(write)
        if was_unknown:
            self._recorder.record(
                _node_ref(name), "NodeReady", f"Node {name} status is now: NodeReady",
                host=name, at=now,
            )  # fmt: skip
        node.frozen.clear()
        for rec in self._pods_on(name):
            rec.evict_at = None
            if rec.runtime is not None:
                rec.runtime.changed = True
                rec.last_status = None
                rec.due = None
                self._schedule(rec, now)

    def _set_taints(self, name: str, unreachable: list[Obj]) -> None:
        """Replace the node's unreachable taints (a merge patch replaces the whole list, which
        is what taints need: two taints may share a key)."""
        for _ in range(5):
            node = self.client.get("", "nodes", None, name)
            taints = [
                t
                for t in (node.get("spec") or {}).get("taints") or ()
                if t.get("key") != UNREACHABLE_TAINT
            ]
            taints += unreachable
            body = {
                "metadata": {
                    "resourceVersion": (node.get("metadata") or {}).get("resourceVersion")
                },
                "spec": {"taints": taints or None},
            }
            try:
                self.client.patch("", "nodes", None, name, "merge", body)
                return
            except StoreError as exc:
                if exc.code != 409:
                    raise


def _node_index(name: str, position: int, used: set[int]) -> int:
    """The node's number (node-3 -> 3), which picks its addresses, so that nodes of separate
    agents get different ones; its position in the list when the name has no number."""
    digits = re.search(r"(\d+)$", name)
    index = int(digits.group(1)) if digits else position
    while index in used or index <= 0:
        index += 1
    return index


def _node_ref(name: str) -> Obj:
    return {"kind": "Node", "apiVersion": "v1", "metadata": {"name": name, "uid": name}}


def _parse(value: Any) -> float | None:
    from ktui.sim.lifecycle import parse_time

    return parse_time(value)


def _with_condition(status: Mapping[str, Any], type_: str, value: str, now: float) -> Obj:
    out = dict(status)
    conditions = []
    for cond in status.get("conditions") or ():
        cond = dict(cond)
        if cond.get("type") == type_ and cond.get("status") != value:
            cond["status"] = value
            cond["lastTransitionTime"] = rfc3339(now)
            cond.pop("reason", None)
            cond.pop("message", None)
        conditions.append(cond)
    out["conditions"] = conditions
    return out


def _eviction_delay(pod: Mapping[str, Any], timings: Timings) -> float | None:
    """Seconds until the taint manager deletes a pod of an unreachable node; None: never."""
    delay: float | None = timings.scaled(timings.pod_eviction_timeout)
    for toleration in (pod.get("spec") or {}).get("tolerations") or ():
        key = toleration.get("key")
        operator = toleration.get("operator") or "Equal"
        effect = toleration.get("effect")
        if effect not in (None, "", "NoExecute"):
            continue
        if not (key == UNREACHABLE_TAINT or (not key and operator == "Exists")):
            continue
        seconds = toleration.get("tolerationSeconds")
        if seconds is None:
            return None
        delay = timings.scaled(max(0.0, float(seconds)))
    return delay
