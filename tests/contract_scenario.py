"""The contract scenario: one Deployment rollout and a `kubectl rollout undo`, observed through
watches, run the same way against the embedded cluster and the real control plane.

`run_rollout_scenario(kubeconfig, context, namespace)` creates NAMESPACE and in it a 3-replica
Deployment (RollingUpdate, maxSurge 1, maxUnavailable 0, minReadySeconds 0), changes its image
with `kubectl set image`, undoes that with `kubectl rollout undo deployment/web`, and returns the
normalised trace (a plain dict of lists / dicts of strings, so a failing `==` shows a readable
diff). `EXPECTED_TRACE` is what the v1.20 deployment and ReplicaSet controllers must produce;
both `tests/e2e/test_contract.py` and `tests/sim/test_contract_embedded.py` compare with it.

The scenario has three steps: "create", "rollout" (image change) and "undo". Each step ends once
the watches show it settled: the current template's ReplicaSet at 3/3 (spec / ready and
available), every other one at 0 with no pods, exactly 3 pods all Running on the current image
and none terminating, and the Deployment's status caught up (observedGeneration, 3 updated /
ready / available).

What is recorded, and how it is normalised:

- ReplicaSets are named by the order they were first seen: `rs1` is the first template's
  ReplicaSet (revision 1, revision 3 after the undo), `rs2` the image change's. Names, uids,
  pod-template-hashes, timestamps and resourceVersions never enter the trace.
- `scaling` (per step): the joint sequence of every ReplicaSet's spec.replicas
  (`"rs1=2 rs2=1"`), starting with the state at the start of the step, consecutive duplicates
  removed. With maxSurge 1 / maxUnavailable 0 this sequence is fully determined by the
  controller's algorithm: a sync scales the new RS up only as far as maxSurge allows over the
  sum of all specs, and scales old RSs down only by what is *available* beyond
  `replicas - maxUnavailable` (bounded by the new RS's unavailable pods), and each sync makes at
  most one of the two writes. So the steps alternate (new+1, old-1, new+1, ...) and nothing
  about timing can reorder them: every write waits for the readiness the previous one caused,
  and all of them come through one watch in resourceVersion order.
- `replica_sets` (whole run): each ReplicaSet's sequence of `spec/readyReplicas`, consecutive
  duplicates removed and, within a run of equal spec.replicas, only the first and the last
  readyReplicas kept. Readiness timing is not deterministic: three pods starting together may
  be counted ready one by one or two at once by one status write. The first value of a run
  (what readyReplicas was when the spec changed) and the last (where it settled before the
  next spec change) are fixed by the algorithm, because the spec only changes once the
  previous readiness change has been written.
- `pod_phases` (per step, per ReplicaSet): counts of the ReplicaSet's live pods per
  status.phase (`"Pending=1 Running=2"`, `"none"`), starting with the state at the start of the
  step, consecutive duplicates removed. A pod that has a deletionTimestamp no longer counts (as
  for the ReplicaSet controller): how long its graceful termination overlaps the next step is
  timing. In the "create" step only the first and last states are kept: its three pods start
  together and how their Pending -> Running transitions interleave with their creations is
  timing. In "rollout" and "undo" maxSurge 1 / maxUnavailable 0 allow one pod starting at a
  time, so those sequences are exact.
- `revisions`: the final `deployment.kubernetes.io/*` annotations of the Deployment and of each
  ReplicaSet; `history`: the (REVISION, CHANGE-CAUSE) rows of `kubectl rollout history`;
  `deployment`: its final generation / observedGeneration, replica counts and conditions
  (type, status, reason).

Only the standard library, the kubernetes client (for the kubeconfig) and ktui's HttpClient (raw
JSON over the kubeconfig's connection) are used, so the same code runs against either server.
"""

from __future__ import annotations

import contextlib
import functools
import json
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kubernetes import config as kube_config

from ktui.sim.httpclient import HttpClient
from ktui.sim.store import StoreError

Obj = dict[str, Any]

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
DEPLOYMENT = "web"
CONTAINER = "app"
# Images no other test uses: the e2e tier's nodes are shared by the whole session, and another
# test may count the pulls of its own images.
FIRST_IMAGE = "registry.example/ktui-contract/web:1"
SECOND_IMAGE = "registry.example/ktui-contract/web:2"
REPLICAS = 3
STEPS = ("create", "rollout", "undo")
ANNOTATION_PREFIX = "deployment.kubernetes.io/"
NO_PODS = "none"
NO_REPLICASETS = "-"


EXPECTED_TRACE: dict[str, Any] = {
    "scaling": {
        "create": [NO_REPLICASETS, "rs1=3"],
        "rollout": [
            "rs1=3",
            "rs1=3 rs2=1",
            "rs1=2 rs2=1",
            "rs1=2 rs2=2",
            "rs1=1 rs2=2",
            "rs1=1 rs2=3",
            "rs1=0 rs2=3",
        ],
        "undo": [
            "rs1=0 rs2=3",
            "rs1=1 rs2=3",
            "rs1=1 rs2=2",
            "rs1=2 rs2=2",
            "rs1=2 rs2=1",
            "rs1=3 rs2=1",
            "rs1=3 rs2=0",
        ],
    },
    "replica_sets": {
        "rs1": [
            *("3/0", "3/3"),  # create
            # rollout: scaled down by one each time rs2 has one more ready pod
            *("2/3", "2/2", "1/2", "1/1", "0/1", "0/0"),
            # undo: the new ReplicaSet again
            *("1/0", "1/1", "2/1", "2/2", "3/2", "3/3"),
        ],
        "rs2": [
            *("1/0", "1/1", "2/1", "2/2", "3/2", "3/3"),  # rollout
            *("2/3", "2/2", "1/2", "1/1", "0/1", "0/0"),  # undo
        ],
    },
    "pod_phases": {
        "create": {"rs1": [NO_PODS, "Running=3"]},
        "rollout": {
            "rs1": ["Running=3", "Running=2", "Running=1", NO_PODS],
            "rs2": [
                NO_PODS,
                "Pending=1",
                "Running=1",
                "Pending=1 Running=1",
                "Running=2",
                "Pending=1 Running=2",
                "Running=3",
            ],
        },
        "undo": {
            "rs1": [
                NO_PODS,
                "Pending=1",
                "Running=1",
                "Pending=1 Running=1",
                "Running=2",
                "Pending=1 Running=2",
                "Running=3",
            ],
            "rs2": ["Running=3", "Running=2", "Running=1", NO_PODS],
        },
    },
    "revisions": {
        "deployment": {"deployment.kubernetes.io/revision": "3"},
        "rs1": {
            "deployment.kubernetes.io/desired-replicas": "3",
            "deployment.kubernetes.io/max-replicas": "4",
            "deployment.kubernetes.io/revision": "3",
            "deployment.kubernetes.io/revision-history": "1",
        },
        "rs2": {
            "deployment.kubernetes.io/desired-replicas": "3",
            "deployment.kubernetes.io/max-replicas": "4",
            "deployment.kubernetes.io/revision": "2",
        },
    },
    "history": [["2", "<none>"], ["3", "<none>"]],
    "deployment": {
        "generation": 3,
        "observedGeneration": 3,
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "conditions": [
            ["Available", "True", "MinimumReplicasAvailable"],
            ["Progressing", "True", "NewReplicaSetAvailable"],
        ],
    },
}


class ScenarioError(AssertionError):
    """The scenario could not run to its end (a step never settled, a command failed...)."""


# --------------------------------------------------------------------------------------------
# objects -> states
# --------------------------------------------------------------------------------------------


def _uid(obj: Mapping[str, Any]) -> str:
    return str(obj["metadata"]["uid"])


def _spec_replicas(rs: Mapping[str, Any]) -> int:
    return int((rs.get("spec") or {}).get("replicas") or 0)


def _status_int(obj: Mapping[str, Any], key: str) -> int:
    return int((obj.get("status") or {}).get(key) or 0)


def _controller_uid(obj: Mapping[str, Any]) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


def _images(template_holder: Mapping[str, Any]) -> list[str]:
    spec = template_holder.get("spec") or {}
    pod_spec = (spec.get("template") or {}).get("spec") or spec
    return [str(c.get("image")) for c in pod_spec.get("containers") or ()]


def _phase(pod: Mapping[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase") or "(unset)")


def _live(pod: Mapping[str, Any]) -> bool:
    return not pod["metadata"].get("deletionTimestamp")


def _phase_counts(pods: Iterable[Mapping[str, Any]]) -> str:
    counts = Counter(_phase(p) for p in pods if _live(p))
    if not counts:
        return NO_PODS
    return " ".join(f"{phase}={n}" for phase, n in sorted(counts.items()))


def _dedup(items: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if not out or out[-1] != item:
            out.append(item)
    return out


def _first_and_last_per_spec(states: list[tuple[int, int]]) -> list[str]:
    """Within each run of equal spec.replicas keep the first and last readyReplicas."""
    out: list[tuple[int, int]] = []
    run: list[tuple[int, int]] = []
    for state in [*_dedup(states), None]:
        if run and (state is None or state[0] != run[0][0]):
            out.extend(_dedup([run[0], run[-1]]))
            run = []
        if state is not None:
            run.append(state)
    return [f"{spec}/{ready}" for spec, ready in out]


# --------------------------------------------------------------------------------------------
# the observer: two watches (ReplicaSets, Pods) in the scenario's namespace
# --------------------------------------------------------------------------------------------


class _Observer:
    """Follows ReplicaSets and Pods of one namespace and records their states per step.

    ReplicaSets are recorded by uid (named rs1, rs2... at the end, in the order the watch first
    showed them); pods by their controller's uid, since the pod stream may run ahead of the
    ReplicaSet stream.
    """

    def __init__(self, http: HttpClient, namespace: str) -> None:
        self.http = http
        self.namespace = namespace
        self.lock = threading.Lock()
        self.step = "start"
        self.replicasets: dict[str, Obj] = {}
        self.rs_order: list[str] = []
        self.pods: dict[str, Obj] = {}
        self.scaling: dict[str, list[tuple[tuple[str, int], ...]]] = {}
        self.rs_states: dict[str, list[tuple[int, int]]] = {}
        self.pod_phases: dict[str, dict[str, list[str]]] = {}
        self.errors: list[str] = []
        self._stopping = threading.Event()
        self._streams: dict[str, Any] = {}
        self._opened: dict[str, threading.Event] = {
            "replicasets": threading.Event(),
            "pods": threading.Event(),
        }
        self._threads = [
            threading.Thread(
                target=self._follow,
                args=("apps", "replicasets", self._on_replicaset),
                name="contract-rs-watch",
                daemon=True,
            ),
            threading.Thread(
                target=self._follow,
                args=("", "pods", self._on_pod),
                name="contract-pod-watch",
                daemon=True,
            ),
        ]

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float) -> None:
        for thread in self._threads:
            thread.start()
        for resource, opened in self._opened.items():
            if not opened.wait(timeout):
                raise ScenarioError(f"the {resource} watch did not open within {timeout:.0f}s")
        self.check()

    def stop(self) -> None:
        self._stopping.set()
        with self.lock:
            streams = list(self._streams.values())
        for stream in streams:
            with contextlib.suppress(Exception):
                stream.close()
        for thread in self._threads:
            thread.join(timeout=10)

    def check(self) -> None:
        with self.lock:
            if self.errors:
                raise ScenarioError("; ".join(self.errors))

    def begin(self, step: str) -> None:
        """Start recording `step`, each sequence beginning with the current state."""
        with self.lock:
            self.step = step
            self.scaling[step] = [self._joint_spec()]
            phases: dict[str, list[str]] = {}
            for owner in self._owners():
                phases[owner] = [self._owner_phases(owner)]
            self.pod_phases[step] = phases

    # -- following ---------------------------------------------------------------------------

    def _follow(self, group: str, resource: str, handle: Callable[[str, Obj], None]) -> None:
        try:
            items, version = self.http.list(group, resource, self.namespace)
            with self.lock:
                for item in items:
                    handle("ADDED", item)
            while not self._stopping.is_set():
                stream = self.http.watch(group, resource, self.namespace, resource_version=version)
                with self.lock:
                    self._streams[resource] = stream
                self._opened[resource].set()
                if self._stopping.is_set():
                    stream.close()
                for event in stream:
                    version = str(event.object["metadata"].get("resourceVersion") or version)
                    with self.lock:
                        handle(event.type, event.object)
                # A stream that ends on its own (server timeout) is resumed where it stopped.
        except StoreError as exc:
            if not self._stopping.is_set():
                with self.lock:
                    self.errors.append(f"{resource} watch failed: {exc.code} {exc.message}")
        except Exception as exc:  # reported to the scenario, which fails with it
            if not self._stopping.is_set():
                with self.lock:
                    self.errors.append(f"{resource} watch failed: {exc!r}")
        finally:
            self._opened[resource].set()

    def _on_replicaset(self, kind: str, rs: Obj) -> None:
        uid = _uid(rs)
        if kind == "DELETED":
            self.replicasets.pop(uid, None)
        else:
            if uid not in self.rs_order:
                self.rs_order.append(uid)
            self.replicasets[uid] = rs
            state = (_spec_replicas(rs), _status_int(rs, "readyReplicas"))
            states = self.rs_states.setdefault(uid, [])
            if not states or states[-1] != state:
                states.append(state)
        if self.step in self.scaling:
            joint = self._joint_spec()
            if self.scaling[self.step][-1] != joint:
                self.scaling[self.step].append(joint)

    def _on_pod(self, kind: str, pod: Obj) -> None:
        uid = _uid(pod)
        if kind == "DELETED":
            old = self.pods.pop(uid, None)
            owner = _controller_uid(old or pod)
        else:
            self.pods[uid] = pod
            owner = _controller_uid(pod)
        phases = self.pod_phases.get(self.step)
        if phases is None:
            return
        key = owner or "(no controller)"
        if key not in phases:
            # An owner that had no pods when the step began.
            phases[key] = [NO_PODS]
        state = self._owner_phases(owner)
        if phases[key][-1] != state:
            phases[key].append(state)

    # -- derived states (lock held) ----------------------------------------------------------

    def _joint_spec(self) -> tuple[tuple[str, int], ...]:
        return tuple(
            (uid, _spec_replicas(self.replicasets[uid]))
            for uid in self.rs_order
            if uid in self.replicasets
        )

    def _owners(self) -> list[str]:
        owners = [uid for uid in self.rs_order if uid in self.replicasets]
        for pod in self.pods.values():
            owner = _controller_uid(pod) or "(no controller)"
            if owner not in owners:
                owners.append(owner)
        return owners

    def _owner_phases(self, owner: str | None) -> str:
        return _phase_counts(p for p in self.pods.values() if _controller_uid(p) == owner)

    # -- settling ----------------------------------------------------------------------------

    def settled_on(self, image: str) -> str | None:
        """None once the namespace shows the rollout to `image` finished, else what is missing."""
        with self.lock:
            current = [rs for rs in self.replicasets.values() if _images(rs) == [image]]
            if len(current) != 1:
                return f"{len(current)} ReplicaSets with the template image {image}"
            rs = current[0]
            counts = (
                _spec_replicas(rs),
                _status_int(rs, "readyReplicas"),
                _status_int(rs, "availableReplicas"),
            )
            if counts != (REPLICAS, REPLICAS, REPLICAS):
                return f"current ReplicaSet spec/ready/available {counts}"
            for other in self.replicasets.values():
                if other is not rs and (_spec_replicas(other) or _status_int(other, "replicas")):
                    return "an old ReplicaSet still has replicas"
            pods = list(self.pods.values())
            if len(pods) != REPLICAS:
                return f"{len(pods)} pods (terminating ones included)"
            for pod in pods:
                if not _live(pod) or _phase(pod) != "Running" or _images(pod) != [image]:
                    return f"pod {pod['metadata']['name']} not yet Running on {image}"
        deployment = self.http.get("apps", "deployments", self.namespace, DEPLOYMENT)
        status = deployment.get("status") or {}
        if status.get("observedGeneration") != deployment["metadata"].get("generation"):
            return "the Deployment's status is behind its generation"
        for key in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"):
            if status.get(key) != REPLICAS:
                return f"Deployment status.{key}={status.get(key)}"
        return None

    # -- the trace ---------------------------------------------------------------------------

    def labels(self) -> dict[str, str]:
        with self.lock:
            return {uid: f"rs{i}" for i, uid in enumerate(self.rs_order, start=1)}


# --------------------------------------------------------------------------------------------
# kubectl
# --------------------------------------------------------------------------------------------


class _Kubectl:
    def __init__(self, kubeconfig: str, context: str, cache_dir: str) -> None:
        # A private discovery cache: a port reused by another server must not answer from
        # the previous server's cache.
        self.base = [
            KUBECTL,
            "--kubeconfig",
            kubeconfig,
            "--context",
            context,
            "--cache-dir",
            cache_dir,
        ]

    def __call__(self, *args: str, stdin: str | None = None, check: bool = True) -> str:
        result = subprocess.run(
            [*self.base, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if check and result.returncode != 0:
            raise ScenarioError(
                f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}"
            )
        return result.stdout


def deployment_manifest(namespace: str) -> Obj:
    labels = {"app": DEPLOYMENT}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": DEPLOYMENT, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": REPLICAS,
            "selector": {"matchLabels": labels},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": CONTAINER, "image": FIRST_IMAGE}]},
            },
        },
    }


def _history_rows(output: str) -> list[list[str]]:
    """The (REVISION, CHANGE-CAUSE) rows of `kubectl rollout history`."""
    rows: list[list[str]] = []
    in_table = False
    for line in output.splitlines():
        fields = line.split(None, 1)
        if fields[:1] == ["REVISION"]:
            in_table = True
            continue
        if in_table and fields:
            rows.append([fields[0], fields[1].strip() if len(fields) > 1 else ""])
    return rows


def _wait(
    what: str, pending: Callable[[], str | None], observer: _Observer, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        observer.check()
        missing = pending()
        if missing is None:
            return
        if time.monotonic() > deadline:
            raise ScenarioError(f"timed out after {timeout:.0f}s waiting for {what}: {missing}")
        time.sleep(0.05)


# --------------------------------------------------------------------------------------------
# the scenario
# --------------------------------------------------------------------------------------------


def run_rollout_scenario(
    kubeconfig: str, context: str, namespace: str = "contract", step_timeout: float = 120.0
) -> dict[str, Any]:
    """Run the scenario in `namespace` (created here; it must not exist) of the cluster that
    `kubeconfig` / `context` point at; return the normalised trace (see the module docstring).

    Raises ScenarioError when a step does not settle within `step_timeout` seconds or a
    command fails.
    """
    api = kube_config.new_client_from_config(config_file=kubeconfig, context=context)
    http = HttpClient(api)
    with contextlib.closing(api), tempfile.TemporaryDirectory(prefix="ktui-contract-") as cache_dir:
        kubectl = _Kubectl(kubeconfig, context, cache_dir)
        kubectl("create", "namespace", namespace)
        observer = _Observer(http, namespace)
        try:
            observer.start(timeout=30)
            steps: list[tuple[str, list[str], str]] = [
                ("create", ["create", "-f", "-"], FIRST_IMAGE),
                (
                    "rollout",
                    ["set", "image", f"deployment/{DEPLOYMENT}", f"{CONTAINER}={SECOND_IMAGE}"],
                    SECOND_IMAGE,
                ),
                ("undo", ["rollout", "undo", f"deployment/{DEPLOYMENT}"], FIRST_IMAGE),
            ]
            manifest = json.dumps(deployment_manifest(namespace))
            for step, args, image in steps:
                observer.begin(step)
                kubectl("-n", namespace, *args, stdin=manifest if step == "create" else None)
                _wait(
                    f"step {step!r} to settle on {image}",
                    functools.partial(observer.settled_on, image),
                    observer,
                    step_timeout,
                )
            history = kubectl("-n", namespace, "rollout", "history", f"deployment/{DEPLOYMENT}")
            deployment = http.get("apps", "deployments", namespace, DEPLOYMENT)
            replicasets, _ = http.list("apps", "replicasets", namespace)
        finally:
            observer.stop()
        observer.check()
    return _normalise(observer, deployment, replicasets, history)


def _normalise(
    observer: _Observer, deployment: Obj, replicasets: list[Obj], history: str
) -> dict[str, Any]:
    labels = observer.labels()

    def label(uid: str) -> str:
        return labels.get(uid, f"unknown owner {uid}")

    def joint(state: tuple[tuple[str, int], ...]) -> str:
        return " ".join(f"{label(uid)}={spec}" for uid, spec in state) or NO_REPLICASETS

    with observer.lock:
        scaling = {step: _dedup(joint(s) for s in observer.scaling[step]) for step in STEPS}
        replica_sets = {
            label(uid): _first_and_last_per_spec(states)
            for uid, states in observer.rs_states.items()
        }
        pod_phases: dict[str, dict[str, list[str]]] = {}
        for step in STEPS:
            per_owner = {
                label(owner): states
                for owner, states in observer.pod_phases[step].items()
                # An owner whose pods were all gone before the step and stay gone tells nothing.
                if states != [NO_PODS]
            }
            if step == "create":
                per_owner = {k: _dedup([v[0], v[-1]]) for k, v in per_owner.items()}
            pod_phases[step] = dict(sorted(per_owner.items()))

    def prefixed(obj: Mapping[str, Any]) -> dict[str, str]:
        annotations = obj["metadata"].get("annotations") or {}
        return {
            k: str(v) for k, v in sorted(annotations.items()) if k.startswith(ANNOTATION_PREFIX)
        }

    revisions: dict[str, dict[str, str]] = {"deployment": prefixed(deployment)}
    for rs in sorted(replicasets, key=lambda r: label(_uid(r))):
        revisions[label(_uid(rs))] = prefixed(rs)
    status = deployment.get("status") or {}
    return {
        "scaling": scaling,
        "replica_sets": dict(sorted(replica_sets.items())),
        "pod_phases": pod_phases,
        "revisions": revisions,
        "history": _history_rows(history),
        "deployment": {
            "generation": deployment["metadata"].get("generation"),
            "observedGeneration": status.get("observedGeneration"),
            **{
                key: status.get(key)
                for key in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
            },
            "conditions": sorted(
                [str(c.get("type")), str(c.get("status")), str(c.get("reason"))]
                for c in status.get("conditions") or ()
            ),
        },
    }


def describe_differences(trace: Mapping[str, Any], expected: Mapping[str, Any]) -> str:
    """One line per top-level part of the trace that differs from `expected`."""
    lines = []
    for key in sorted(set(trace) | set(expected)):
        if trace.get(key) != expected.get(key):
            lines.append(
                f"{key}: observed {json.dumps(trace.get(key))}\n"
                f"{' ' * len(key)}  expected {json.dumps(expected.get(key))}"
            )
    return "\n".join(lines)
