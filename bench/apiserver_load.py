"""kube-apiserver v1.20.2 as the bench's API server: the e2e tier's control plane, loaded fast.

`ApiServerLoad(workdir).start()` boots etcd + kube-apiserver (+ controller-manager and
scheduler, which are stopped once up: like the bare embedded server, nothing but the bench
changes the pods, so N stays exactly N) with `tests/e2e/controlplane.py`, the harness the e2e
tests use; the binaries come from `scripts/build-control-plane.sh` (~/.cache/ktui).

`load(count)` creates namespace `load` with 100 paused Deployments, one ReplicaSet each and
`count` pods spread over them, each pod *realistic*: `ktui.sim.realistic`'s (init container,
native sidecar — which v1.20 keeps as a plain init container —, two app containers with env,
probes, resources and mounts, a projected service-account token volume and more, Helm-style
labels and annotations, a Running status); the server adds its own managedFields. Each pod is
created and then given its Running status (the server resets status on create), by
`concurrency` threads that each keep one TLS connection open. Ten nodes `load-node-N` exist; no
kubelet owns them.

`start_loaded(count)` does both, or, when a snapshot of etcd loaded with `count` pods by this
same loader is cached (`~/.cache/ktui/bench-apiserver/`, keyed by the count and a hash of this
file and of `ktui.sim.realistic`), boots etcd from it (`etcdctl snapshot restore`): loading
100,000 realistic pods takes ~15 minutes here, a restore well under one. etcd's quota is
raised to 8 GiB (100,000 pods x 11 KB x two revisions pass the e2e tier's 2 GiB).

`Churn(rate, kind)` then PATCHes `rate` pod statuses per second (a restart and a readiness
flip with `status`, an annotation with `annotation`), as far as the server keeps up: it
counts what it made.
"""

from __future__ import annotations

import hashlib
import http.client
import itertools
import json
import os
import queue
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from controlplane import ControlPlane, ensure_built

import ktui.sim.realistic
from ktui.sim.load import run_paced
from ktui.sim.realistic import realistic_pod

Obj = dict[str, Any]
LOAD_NAMESPACE = "load"
GROUPS = 100
LOAD_NODES = 10
STRATEGIC_MERGE = "application/strategic-merge-patch+json"
INIT_REFUSED = frozenset(
    {"readinessProbe", "livenessProbe", "startupProbe", "lifecycle", "restartPolicy"}
)
ETCD_QUOTA_BYTES = 8 * 1024**3


def snapshot_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ktui" / "bench-apiserver"


def snapshot_path(count: int) -> Path:
    """Where etcd loaded with `count` pods by this loader is cached: a new loader (this file
    or the realistic pod changed) never restores an old snapshot."""
    digest = hashlib.sha256()
    for source in (Path(__file__), Path(ktui.sim.realistic.__file__)):
        digest.update(source.read_bytes())
    return snapshot_dir() / f"pods-{count}-{digest.hexdigest()[:12]}.db"


class KeepAliveClient:
    """One keep-alive HTTPS connection to the API server, as admin (urllib would open one per
    request). Not thread-safe: one per thread."""

    def __init__(self, cp: ControlPlane) -> None:
        self.host, port = cp.server.removeprefix("https://").rsplit(":", 1)
        self.port = int(port)
        self.token = cp.admin_token
        self.context = ssl.create_default_context(cafile=str(cp.ca_cert_path))
        self.connection: http.client.HTTPSConnection | None = None

    def send(
        self, method: str, path: str, body: Any = None, content_type: str = ""
    ) -> tuple[int, bytes]:
        """One request, on a new connection once if the kept one broke: (status, body)."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type or "application/json"
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPSConnection(
                    self.host, self.port, context=self.context, timeout=60
                )
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException):
                self.connection.close()
                self.connection = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def call(self, method: str, path: str, body: Any = None, content_type: str = "") -> Obj:
        """The decoded answer; 429 and 5xx tried again, other errors (but 409) raised."""
        for attempt in range(3):
            status, raw = self.send(method, path, body, content_type)
            if status == 429 or status >= 500:
                time.sleep(0.2 * (attempt + 1))
                continue
            if status >= 400 and status != 409:
                message = json.loads(raw or b"{}").get("message", "") if raw[:1] == b"{" else ""
                raise RuntimeError(f"{method} {path}: HTTP {status} {message[:300]}")
            return dict(json.loads(raw or b"{}"))
        raise RuntimeError(f"{method} {path}: the server kept refusing (429/5xx)")


def _owner(kind: str, obj: Obj) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _completed(status: Obj) -> Obj:
    """An init container's status as done (on v1.20 a sidecar is a plain init container,
    which must end before the app containers start)."""
    state = status.get("state") or {}
    started = (state.get("running") or state.get("terminated") or {}).get("startedAt")
    done = {"exitCode": 0, "reason": "Completed", "startedAt": started, "finishedAt": started}
    if status.get("containerID"):
        done["containerID"] = status["containerID"]
    return {**status, "ready": True, "started": False, "state": {"terminated": done}}


class ApiServerLoad:
    """The control plane, its admin kubeconfig, and the pods loaded into it."""

    def __init__(self, workdir: Path, concurrency: int = 12) -> None:
        self.workdir = workdir
        self.concurrency = concurrency
        self.cp: ControlPlane | None = None
        self.pods: list[tuple[str, str]] = []

    def start(self, snapshot: Path | None = None) -> ApiServerLoad:
        reason = ensure_built()
        if reason is not None:
            raise SystemExit(f"bench: kube-apiserver v1.20.2 is not available: {reason}")
        cp = ControlPlane.start(
            self.workdir / "cp",
            nodes=[f"load-node-{n}" for n in range(LOAD_NODES)],
            etcd_quota_bytes=ETCD_QUOTA_BYTES,
            etcd_snapshot=snapshot,
        )
        self.cp = cp
        # Nothing but the bench changes the pods (no ReplicaSet, garbage or node lifecycle
        # controller acting on kubelet-less pods), so N stays exactly N.
        cp.stop_components("kube-controller-manager", "kube-scheduler")
        return self

    @property
    def kubeconfig(self) -> Path:
        assert self.cp is not None
        return self.cp.kubeconfig_path

    @property
    def url(self) -> str:
        assert self.cp is not None
        return self.cp.server

    def client(self) -> KeepAliveClient:
        assert self.cp is not None
        return KeepAliveClient(self.cp)

    def _parallel(self, jobs: Iterator[Callable[[KeepAliveClient], None]]) -> None:
        """Run the jobs on `concurrency` threads, each with its own connection."""
        work: queue.Queue[Callable[[KeepAliveClient], None] | None] = queue.Queue(maxsize=1000)
        errors: list[BaseException] = []

        def worker() -> None:
            client = self.client()
            while (job := work.get()) is not None:
                if not errors:
                    try:
                        job(client)
                    except BaseException as exc:  # reported once all threads stop
                        errors.append(exc)

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(self.concurrency)]
        for thread in threads:
            thread.start()
        for job in jobs:
            work.put(job)
        for _ in threads:
            work.put(None)
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def start_loaded(
        self, count: int, progress: Callable[[int], None] | None = None
    ) -> ApiServerLoad:
        """`start` + `load(count)`, from the cached snapshot of the same load when there is
        one (and writing it when there is not)."""
        snapshot = snapshot_path(count)
        if snapshot.is_file():
            self.start(snapshot)
            self.pods = self._pod_names(count, min(GROUPS, max(count, 1)))
            return self
        self.start()
        self.load(count, progress)
        assert self.cp is not None
        self.cp.save_etcd_snapshot(snapshot)
        return self

    @staticmethod
    def _pod_names(count: int, groups: int) -> list[tuple[str, str]]:
        return [(LOAD_NAMESPACE, f"load-{i % groups:03d}-load-{i:06d}") for i in range(count)]

    def load(self, count: int, progress: Callable[[int], None] | None = None) -> None:
        client = self.client()
        client.call("POST", "/api/v1/namespaces", {"metadata": {"name": LOAD_NAMESPACE}})
        base = f"/apis/apps/v1/namespaces/{LOAD_NAMESPACE}"
        groups = min(GROUPS, max(count, 1))
        owners: list[tuple[Obj, dict[str, str], str]] = []
        for g in range(groups):
            size = count // groups + (1 if g < count % groups else 0)
            name = f"load-{g:03d}"
            labels = {"app": name}
            image = f"registry.example.com/{name}/app:2.31.0"
            template = {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": image}]},
            }
            deployment = client.call(
                "POST",
                f"{base}/deployments",
                {
                    "metadata": {"name": name, "labels": labels},
                    "spec": {
                        "replicas": size,
                        "paused": True,
                        "selector": {"matchLabels": labels},
                        "template": template,
                    },
                },
            )
            rs_labels = {**labels, "pod-template-hash": "load"}
            replicaset = client.call(
                "POST",
                f"{base}/replicasets",
                {
                    "metadata": {
                        "name": f"{name}-load",
                        "labels": rs_labels,
                        "annotations": {"deployment.kubernetes.io/revision": "1"},
                        "ownerReferences": [_owner("Deployment", deployment)],
                    },
                    "spec": {
                        "replicas": size,
                        "selector": {"matchLabels": rs_labels},
                        "template": {**template, "metadata": {"labels": rs_labels}},
                    },
                },
            )
            owners.append((replicaset, rs_labels, name))
        pods_path = f"/api/v1/namespaces/{LOAD_NAMESPACE}/pods"
        done = itertools.count(1)

        per_group = max(1, count // groups)

        def make(i: int) -> Callable[[KeepAliveClient], None]:
            replicaset, labels, _group = owners[i % groups]
            name = f"{replicaset['metadata']['name']}-{i:06d}"

            def job(client: KeepAliveClient) -> None:
                # ktui.sim.realistic's pod (as the memory bench's), made this server's: its
                # name, the load ReplicaSet as owner, a load node; no explicit priority (the
                # Priority admission plugin refuses one without a PriorityClass).
                real = realistic_pod(i, replicas=per_group, nodes=LOAD_NODES)
                meta = real["metadata"]
                spec = {
                    k: v
                    for k, v in real["spec"].items()
                    if k not in ("priority", "preemptionPolicy")
                }
                spec["nodeName"] = f"load-node-{i % LOAD_NODES}"
                # v1.20 has no native sidecars: it refuses probes on an init container.
                spec["initContainers"] = [
                    {k: v for k, v in c.items() if k not in INIT_REFUSED}
                    for c in spec.get("initContainers", ())
                ]
                pod = {
                    "metadata": {
                        "name": name,
                        "labels": {**meta.get("labels", {}), **labels},
                        "annotations": meta.get("annotations", {}),
                        "ownerReferences": [_owner("ReplicaSet", replicaset)],
                    },
                    "spec": spec,
                }
                client.call("POST", pods_path, pod)
                status = real["status"]
                status["initContainerStatuses"] = [
                    _completed(c) for c in status.get("initContainerStatuses", ())
                ]
                client.call(
                    "PATCH",
                    f"{pods_path}/{name}/status",
                    {"status": status},
                    "application/merge-patch+json",
                )
                n = next(done)
                if progress is not None and n % 1000 == 0:
                    progress(n)

            return job

        self._parallel(make(i) for i in range(count))
        self.pods = self._pod_names(count, groups)

    def stop(self) -> None:
        if self.cp is not None:
            self.cp.stop()
            self.cp = None


class Churn:
    """`rate` pod status changes per second over the loaded pods, on several connections,
    as far as the server keeps up; `changes` counts those the server accepted."""

    def __init__(self, load: ApiServerLoad, rate: int, kind: str = "status") -> None:
        self.load = load
        self.rate = rate
        self.kind = kind
        self.changes = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._restarts: dict[str, int] = {}
        self._targets = itertools.cycle(load.pods)
        self._threads = [
            threading.Thread(target=self._run, name=f"bench-apiserver-churn-{n}", daemon=True)
            for n in range(min(8, load.concurrency))
        ]

    def start(self) -> Churn:
        if self.rate > 0 and self.load.pods:
            for thread in self._threads:
                thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=5)

    def _patch(self, name: str) -> tuple[str, Obj]:
        if self.kind != "status":
            return "", {"metadata": {"annotations": {"bench.ktui.dev/tick": str(time.time())}}}
        with self._lock:
            restarts = self._restarts.get(name, 0) + 1
            self._restarts[name] = restarts
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        ready = restarts % 2 == 0
        app = {
            "name": "app",
            "ready": ready,
            "restartCount": restarts,
            "state": {"running": {"startedAt": now}},
            "lastState": {
                "terminated": {
                    "exitCode": 1,
                    "reason": "Error",
                    "startedAt": now,
                    "finishedAt": now,
                }
            },
        }
        # A strategic-merge patch keyed by container name, as a kubelet's status update.
        return "/status", {
            "status": {
                "conditions": [{"type": "Ready", "status": str(ready), "lastTransitionTime": now}],
                "containerStatuses": [app],
            }
        }

    def _run(self) -> None:
        client = self.load.client()
        path = f"/api/v1/namespaces/{LOAD_NAMESPACE}/pods"

        def change() -> None:
            with self._lock:
                _namespace, name = next(self._targets)
            suffix, body = self._patch(name)
            try:
                client.call(
                    "PATCH",
                    f"{path}/{name}{suffix}",
                    body,
                    "application/strategic-merge-patch+json",
                )
            except (RuntimeError, OSError, http.client.HTTPException):
                return
            with self._lock:
                self.changes += 1

        run_paced(self.rate / len(self._threads), self._stop, change)
