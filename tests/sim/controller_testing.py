"""Test helpers for the controllers: a fake clock and a minimal scheduler + kubelet.

    clock = FakeClock(1_600_000_000)
    clock.advance(30)

    kubelet = MiniKubelet(client, nodes=["node-1"], clock=clock)
    kubelet.start()
    kubelet.ready = False            # new pods stay Running but not Ready ...
    kubelet.ready = True; kubelet.resync()        # ... until told otherwise
    kubelet.stop()

MiniKubelet is deliberately tiny: it binds unbound pods (to the node of a DaemonSet pod's
matchFields affinity, else round-robin over its nodes), turns Pending pods Running (Ready if
`ready(pod)` / `ready` says so), finishes pods with restartPolicy Never / OnFailure as
`job_result(pod)` says ("Succeeded", "Failed" or None to keep running) and completes graceful
deletions at once. It is not the node agent; it only stands in for it where a test needs pods
to move.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from ktui.sim.client import SimClient
from ktui.sim.controllers import util
from ktui.sim.controllers.daemonset import target_node
from ktui.sim.store import StoreError

Obj = dict[str, Any]


class FakeClock:
    """A controllable epoch clock (thread-safe)."""

    def __init__(self, start: float = 1_600_000_000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, value: float) -> None:
        with self._lock:
            self._now = float(value)


def wait_for(predicate: Callable[[], Any], message: str, timeout: float = 10.0) -> Any:
    """Poll until predicate() is truthy (returned), or raise AssertionError(message)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s: {message}")
        time.sleep(0.01)


def make_node(
    name: str,
    labels: dict[str, str] | None = None,
    taints: list[Obj] | None = None,
    unschedulable: bool = False,
) -> Obj:
    node: Obj = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": {},
    }
    if taints:
        node["spec"]["taints"] = taints
    if unschedulable:
        node["spec"]["unschedulable"] = True
    return node


class MiniKubelet:
    def __init__(
        self,
        client: SimClient,
        *,
        nodes: Iterable[str] = ("node-1",),
        clock: Callable[[], float] = time.time,
        ready: bool | Callable[[Obj], bool] = True,
        job_result: Callable[[Obj], str | None] = lambda pod: "Succeeded",
        create_nodes: bool = True,
    ) -> None:
        self.client = client
        self.nodes = list(nodes)
        self.clock = clock
        self.ready = ready
        self.job_result = job_result
        self._cycle = itertools.cycle(self.nodes) if self.nodes else None
        self._watch: Any = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        if create_nodes:
            for name in self.nodes:
                try:
                    client.create("", "nodes", make_node(name))
                except StoreError as exc:
                    if exc.code != 409:
                        raise

    def start(self) -> MiniKubelet:
        items, rv = self.client.list("", "pods")
        self._watch = self.client.watch("", "pods", resource_version=rv)
        self._thread = threading.Thread(target=self._run, name="mini-kubelet", daemon=True)
        self._thread.start()
        for pod in items:
            self.handle(pod)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._watch is not None:
            self._watch.close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> MiniKubelet:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _run(self) -> None:
        assert self._watch is not None
        for event in self._watch:
            if self._stop.is_set():
                return
            if event.type == "DELETED":
                continue
            try:
                self.handle(event.object)
            except Exception:  # a test helper must never die silently mid-test
                import logging

                logging.getLogger(__name__).exception("mini kubelet failed")

    def resync(self) -> None:
        """Re-evaluate every pod (after changing `ready` or `job_result`)."""
        items, _ = self.client.list("", "pods")
        for pod in items:
            self.handle(pod)

    def _is_ready(self, pod: Obj) -> bool:
        ready = self.ready
        return bool(ready(pod)) if callable(ready) else bool(ready)

    def handle(self, pod: Obj) -> None:
        with self._lock:
            self._handle(pod)

    def _handle(self, pod: Obj) -> None:
        namespace, name = util.namespace_of(pod), util.name_of(pod)
        if util.is_deleting(pod):
            try:
                self.client.delete("", "pods", namespace, name, grace_period_seconds=0)
            except StoreError as exc:
                if exc.code != 404:
                    raise
            return
        if not util.pod_node(pod):
            node = target_node(pod) or (next(self._cycle) if self._cycle else "")
            if not node:
                return
            try:
                self.client.bind(namespace, name, node)
            except StoreError as exc:
                if exc.code not in (404, 409):
                    raise
            return
        phase = util.pod_phase(pod)
        if phase in ("Succeeded", "Failed"):
            return
        restart_policy = (pod.get("spec") or {}).get("restartPolicy") or "Always"
        if restart_policy != "Always":
            result = self.job_result(pod)
            if result in ("Succeeded", "Failed"):
                self._write(pod, result, ready=False)
                return
        want_ready = self._is_ready(pod)
        if phase == "Running" and util.is_pod_ready(pod) == want_ready:
            return
        self._write(pod, "Running", ready=want_ready)

    def _write(self, pod: Obj, phase: str, ready: bool) -> None:
        namespace, name = util.namespace_of(pod), util.name_of(pod)
        for _ in range(10):
            current = self.client.get("", "pods", namespace, name)
            if util.is_deleting(current):
                return
            stamp = util.rfc3339(self.clock())
            status = dict(current.get("status") or {})
            old_ready = util.pod_ready_condition(current)
            ready_value = "True" if ready else "False"
            ready_since = (
                old_ready.get("lastTransitionTime")
                if old_ready is not None and old_ready.get("status") == ready_value
                else stamp
            )
            status["phase"] = phase
            status["hostIP"] = "10.0.0.1"
            status["podIP"] = status.get("podIP") or "10.244.0.10"
            status.setdefault("startTime", stamp)
            status["conditions"] = [
                {"type": "Initialized", "status": "True", "lastTransitionTime": stamp},
                {"type": "Ready", "status": ready_value, "lastTransitionTime": ready_since},
                {
                    "type": "ContainersReady",
                    "status": ready_value,
                    "lastTransitionTime": ready_since,
                },
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": stamp},
            ]
            containers = [
                c
                for c in (current.get("spec") or {}).get("containers") or ()
                if isinstance(c, dict)
            ]
            if phase == "Running":
                state: Obj = {"running": {"startedAt": stamp}}
            else:
                code = 0 if phase == "Succeeded" else 1
                state = {
                    "terminated": {
                        "exitCode": code,
                        "reason": "Completed" if code == 0 else "Error",
                        "startedAt": stamp,
                        "finishedAt": stamp,
                    }
                }
            status["containerStatuses"] = [
                {
                    "name": c.get("name"),
                    "image": c.get("image"),
                    "imageID": "",
                    "ready": ready and phase == "Running",
                    "restartCount": 0,
                    "started": phase == "Running",
                    "state": state,
                }
                for c in containers
            ]
            current["status"] = status
            try:
                self.client.update_status("", "pods", current)
                return
            except StoreError as exc:
                if exc.code == 404:
                    return
                if exc.code != 409:
                    raise


class Cluster:
    """A store, a LocalClient, a running ControllerManager and (optionally) a MiniKubelet."""

    def __init__(
        self,
        *,
        nodes: Iterable[str] = ("node-1",),
        clock: Callable[[], float] | None = None,
        kubelet: bool = True,
        ready: bool | Callable[[Obj], bool] = True,
        job_result: Callable[[Obj], str | None] = lambda pod: "Succeeded",
        **manager_options: Any,
    ) -> None:
        from ktui.sim.client import LocalClient
        from ktui.sim.controllers.manager import ControllerManager
        from ktui.sim.store import Store

        self.clock = clock or time.time
        self.store = Store(clock=self.clock)
        self.client = LocalClient(self.store)
        self.kubelet: MiniKubelet | None = None
        if kubelet:
            self.kubelet = MiniKubelet(
                self.client, nodes=nodes, clock=self.clock, ready=ready, job_result=job_result
            )
        else:
            for name in nodes:
                self.client.create("", "nodes", make_node(name))
        self.manager = ControllerManager(self.client, clock=self.clock, **manager_options)

    def start(self) -> Cluster:
        if self.kubelet is not None:
            self.kubelet.start()
        self.manager.start()
        return self

    def stop(self) -> None:
        self.manager.stop()
        if self.kubelet is not None:
            self.kubelet.stop()
        self.store.close_watches()

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def advance(self, seconds: float) -> None:
        """Move a FakeClock and let the controllers notice."""
        assert isinstance(self.clock, FakeClock), "advance() needs a FakeClock"
        self.clock.advance(seconds)
        self.manager.wake()

    # shorthands
    def get(self, group: str, resource: str, name: str, namespace: str = "default") -> Obj:
        return self.client.get(group, resource, namespace, name)

    def get_or_none(
        self, group: str, resource: str, name: str, namespace: str = "default"
    ) -> Obj | None:
        try:
            return self.client.get(group, resource, namespace, name)
        except StoreError as exc:
            if exc.code == 404:
                return None
            raise

    def list(
        self,
        group: str,
        resource: str,
        namespace: str = "default",
        label_selector: str | None = None,
    ) -> list[Obj]:
        items, _ = self.client.list(group, resource, namespace, label_selector)
        return items

    def create(self, obj: Obj) -> Obj:
        api_version = str(obj.get("apiVersion") or "v1")
        group = api_version.split("/")[0] if "/" in api_version else ""
        resource = str(obj.get("kind") or "").lower() + "s"
        obj.setdefault("metadata", {}).setdefault("namespace", "default")
        return self.client.create(group, resource, obj)

    def patch(
        self, group: str, resource: str, name: str, body: Obj, namespace: str = "default"
    ) -> Obj:
        return self.client.patch(
            group, resource, namespace, name, "application/strategic-merge-patch+json", body
        )
