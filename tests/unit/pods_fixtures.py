"""Realistic Pod objects (as the API server returns them in JSON) in the states a cluster shows.

Every fixture is a function returning a fresh dict, so a test may mutate what it gets. Times are
relative to NOW, the clock every test passes to the view functions. The docstring of each fixture
says what `kubectl get pods` (v1.32) prints for it and which branch of printPod produces that.

Reusable by any test: `from pods_fixtures import NOW, crash_loop_back_off, ...` (tests/unit is on
sys.path under pytest's default import mode).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)

Pod = dict[str, Any]


def ts(seconds_ago: float) -> str:
    """An RFC 3339 timestamp `seconds_ago` before NOW (negative: in the future)."""
    moment = NOW - timedelta(seconds=seconds_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _condition(
    kind: str, status: str, seconds_ago: float, reason: str = "", message: str = ""
) -> dict[str, Any]:
    condition: dict[str, Any] = {
        "type": kind,
        "status": status,
        "lastProbeTime": None,
        "lastTransitionTime": ts(seconds_ago),
    }
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition


def running(seconds_ago: float) -> dict[str, Any]:
    return {"running": {"startedAt": ts(seconds_ago)}}


def waiting(reason: str, message: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {"reason": reason}
    if message:
        body["message"] = message
    return {"waiting": body}


def terminated(
    reason: str | None,
    exit_code: int,
    started_ago: float,
    finished_ago: float,
    signal: int = 0,
    message: str = "",
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "exitCode": exit_code,
        "startedAt": ts(started_ago),
        "finishedAt": ts(finished_ago),
        "containerID": "containerd://" + "ab" * 32,
    }
    if reason is not None:
        body["reason"] = reason
    if signal:
        body["signal"] = signal
    if message:
        body["message"] = message
    return {"terminated": body}


def container_status(
    name: str,
    image: str,
    state: dict[str, Any],
    *,
    ready: bool = False,
    started: bool | None = None,
    restarts: int = 0,
    last_state: dict[str, Any] | None = None,
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "name": name,
        "image": image,
        "imageID": "",
        "ready": ready,
        "restartCount": restarts,
        "state": state,
        "lastState": last_state or {},
    }
    if "waiting" not in state:
        status["imageID"] = image + "@sha256:" + "0f" * 32
        status["containerID"] = "containerd://" + "cd" * 32
    if started is not None:
        status["started"] = started
    return status


def _container(name: str, image: str, **extra: Any) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    container.update(extra)
    return container


def _pod(
    name: str,
    *,
    containers: list[dict[str, Any]],
    status: dict[str, Any],
    init_containers: list[dict[str, Any]] | None = None,
    node: str | None = "node-1",
    age: float = 600,
    restart_policy: str = "Always",
    owner: tuple[str, str] | None = ("ReplicaSet", "web-7d9f8b6c5d"),
) -> Pod:
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": "shop",
        "uid": f"uid-{name}",
        "resourceVersion": "4242",
        "creationTimestamp": ts(age),
        "labels": {"app": name.split("-")[0]},
    }
    if owner is not None:
        metadata["ownerReferences"] = [
            {
                "apiVersion": "apps/v1" if owner[0] == "ReplicaSet" else "batch/v1",
                "kind": owner[0],
                "name": owner[1],
                "uid": f"uid-{owner[1]}",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    spec: dict[str, Any] = {
        "containers": containers,
        "restartPolicy": restart_policy,
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "default",
        "schedulerName": "default-scheduler",
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
    }
    if init_containers:
        spec["initContainers"] = init_containers
    if node is not None:
        spec["nodeName"] = node
    full_status = {"qosClass": "BestEffort", **status}
    if node is not None and "hostIP" not in full_status and full_status.get("phase") != "Pending":
        full_status["hostIP"] = "10.0.0.11"
        full_status["hostIPs"] = [{"ip": "10.0.0.11"}]
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": metadata,
        "spec": spec,
        "status": full_status,
    }


def _scheduled_conditions(
    age: float,
    *,
    initialized: bool,
    containers_ready: bool,
    reason: str = "",
    initialized_ago: float | None = None,
) -> list[dict[str, Any]]:
    """Conditions as the kubelet sets them: False ones date from its first status report (a
    second after creation), True ones from when they became true."""
    first_report = max(age - 1, 0)
    initialized_at = (
        (initialized_ago if initialized_ago is not None else max(age - 5, 0))
        if initialized
        else first_report
    )
    ready_at = max(age - 12, 0) if containers_ready else first_report
    not_ready_reason = reason or (
        "ContainersNotReady" if initialized else "ContainersNotInitialized"
    )
    return [
        _condition("PodReadyToStartContainers", "True", max(age - 2, 0)),
        _condition(
            "Initialized",
            "True" if initialized else "False",
            initialized_at,
            "" if initialized else "ContainersNotInitialized",
        ),
        _condition(
            "Ready",
            "True" if containers_ready else "False",
            ready_at,
            "" if containers_ready else not_ready_reason,
        ),
        _condition(
            "ContainersReady",
            "True" if containers_ready else "False",
            ready_at,
            "" if containers_ready else not_ready_reason,
        ),
        _condition("PodScheduled", "True", age),
    ]


APP = "registry.example/shop/web:1.4.2"
SIDECAR = "registry.example/mesh/proxy:1.22"
TOOLS = "registry.example/shop/tools:1.4.2"


# ---- Pending -------------------------------------------------------------------------------------


def pending_unscheduled() -> Pod:
    """Pending, 0/1: status.phase, nothing overrides it (no container statuses yet)."""
    return _pod(
        "web-7d9f8b6c5d-q8x2p",
        containers=[_container("web", APP)],
        node=None,
        age=45,
        status={
            "phase": "Pending",
            "conditions": [
                _condition(
                    "PodScheduled",
                    "False",
                    45,
                    "Unschedulable",
                    "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are "
                    "available: 3 No preemption victims found for incoming pod.",
                )
            ],
        },
    )


def scheduling_gated() -> Pod:
    """SchedulingGated: PodScheduled condition with reason SchedulingGated replaces the phase."""
    pod = _pod(
        "batch-gated",
        containers=[_container("work", TOOLS)],
        node=None,
        age=30,
        owner=None,
        status={
            "phase": "Pending",
            "conditions": [
                _condition(
                    "PodScheduled",
                    "False",
                    30,
                    "SchedulingGated",
                    "Scheduling is blocked due to non-empty scheduling gates",
                )
            ],
        },
    )
    pod["spec"]["schedulingGates"] = [{"name": "example.com/quota"}]
    return pod


def container_creating() -> Pod:
    """ContainerCreating, 0/1: the regular container's waiting reason."""
    return _pod(
        "web-7d9f8b6c5d-c7k4n",
        containers=[_container("web", APP)],
        age=4,
        status={
            "phase": "Pending",
            "conditions": [
                _condition("PodReadyToStartContainers", "False", 4),
                _condition("Initialized", "True", 4),
                _condition(
                    "Ready",
                    "False",
                    4,
                    "ContainersNotReady",
                    "containers with unready status: [web]",
                ),
                _condition(
                    "ContainersReady",
                    "False",
                    4,
                    "ContainersNotReady",
                    "containers with unready status: [web]",
                ),
                _condition("PodScheduled", "True", 4),
            ],
            "startTime": ts(4),
            "containerStatuses": [container_status("web", APP, waiting("ContainerCreating"))],
        },
    )


def image_pull_back_off() -> Pod:
    """ImagePullBackOff, 0/1: the regular container's waiting reason."""
    image = "registry.example/shop/web:9.9.9"
    return _pod(
        "web-5c6b7f9d8-x9t2z",
        containers=[_container("web", image)],
        age=300,
        status={
            "phase": "Pending",
            "conditions": _scheduled_conditions(300, initialized=True, containers_ready=False),
            "podIP": "10.244.1.17",
            "podIPs": [{"ip": "10.244.1.17"}],
            "startTime": ts(300),
            "containerStatuses": [
                container_status(
                    "web",
                    image,
                    waiting("ImagePullBackOff", f'Back-off pulling image "{image}"'),
                )
            ],
        },
    )


def err_image_pull() -> Pod:
    """ErrImagePull, 0/1."""
    pod = image_pull_back_off()
    pod["metadata"]["name"] = "web-5c6b7f9d8-h3m8v"
    pod["status"]["containerStatuses"][0]["state"] = waiting(
        "ErrImagePull",
        'failed to pull and unpack image "registry.example/shop/web:9.9.9": not found',
    )
    return pod


# ---- Init containers ---------------------------------------------------------------------------


def _init_pod(
    name: str,
    init_statuses: list[dict[str, Any]],
    *,
    initialized: bool,
    age: float = 20,
    initialized_ago: float | None = None,
) -> Pod:
    return _pod(
        name,
        init_containers=[_container("wait-for-db", TOOLS), _container("migrate", TOOLS)],
        containers=[_container("web", APP)],
        age=age,
        status={
            "phase": "Pending",
            "conditions": _scheduled_conditions(
                age,
                initialized=initialized,
                containers_ready=False,
                initialized_ago=initialized_ago,
            ),
            "podIP": "10.244.1.21",
            "podIPs": [{"ip": "10.244.1.21"}],
            "startTime": ts(age),
            "initContainerStatuses": init_statuses,
            "containerStatuses": [container_status("web", APP, waiting("PodInitializing"))],
        },
    )


def init_0_of_2() -> Pod:
    """Init:0/2: first init container running -> the loop's default branch with i = 0."""
    return _init_pod(
        "web-7d9f8b6c5d-i0a1b",
        [
            container_status("wait-for-db", TOOLS, running(18), started=True),
            container_status("migrate", TOOLS, waiting("PodInitializing"), started=False),
        ],
        initialized=False,
    )


def init_1_of_2() -> Pod:
    """Init:1/2: the first init container completed (exit 0, `continue`), the second runs.

    The first one failed once before succeeding (restartCount 1): RESTARTS is "1 (12s ago)"
    because while initializing kubectl counts the init containers' restarts.
    """
    return _init_pod(
        "web-7d9f8b6c5d-i1c2d",
        [
            container_status(
                "wait-for-db",
                TOOLS,
                terminated("Completed", 0, 11, 9),
                restarts=1,
                last_state=terminated("Error", 1, 19, 12),
                started=False,
            ),
            container_status("migrate", TOOLS, running(8), started=True),
        ],
        initialized=False,
    )


def init_crash_loop_back_off() -> Pod:
    """Init:CrashLoopBackOff: an init container waiting with a reason other than PodInitializing.

    RESTARTS "4 (30s ago)": the init container's restarts and its last termination.
    """
    return _init_pod(
        "web-7d9f8b6c5d-i3e4f",
        [
            container_status(
                "wait-for-db",
                TOOLS,
                waiting(
                    "CrashLoopBackOff",
                    "back-off 1m20s restarting failed container=wait-for-db "
                    "pod=web-7d9f8b6c5d-i3e4f_shop(uid)",
                ),
                restarts=4,
                last_state=terminated("Error", 1, 31, 30),
                started=False,
            ),
            container_status("migrate", TOOLS, waiting("PodInitializing"), started=False),
        ],
        initialized=False,
        age=240,
    )


def init_error() -> Pod:
    """Init:Error: an init container terminated non-zero with reason "Error" (restartPolicy Never,
    so the pod failed)."""
    pod = _init_pod(
        "migrate-once",
        [
            container_status("wait-for-db", TOOLS, terminated("Completed", 0, 60, 55)),
            container_status("migrate", TOOLS, terminated("Error", 3, 54, 50)),
        ],
        initialized=False,
        age=62,
    )
    pod["spec"]["restartPolicy"] = "Never"
    pod["status"]["phase"] = "Failed"
    return pod


def pod_initializing() -> Pod:
    """PodInitializing: init containers done; the regular container still waits with reason
    PodInitializing, which the regular-container loop copies."""
    return _init_pod(
        "web-7d9f8b6c5d-p5g6h",
        [
            container_status("wait-for-db", TOOLS, terminated("Completed", 0, 19, 15)),
            container_status("migrate", TOOLS, terminated("Completed", 0, 14, 2)),
        ],
        initialized=True,
        initialized_ago=2,
    )


# ---- Native sidecars (init containers with restartPolicy: Always) ------------------------------


def _sidecar_pod(
    name: str,
    sidecar: dict[str, Any],
    app: dict[str, Any],
    *,
    initialized: bool,
    ready: bool,
    phase: str,
    age: float = 60,
    with_plain_init: bool = False,
) -> Pod:
    init_containers = [_container("proxy", SIDECAR, restartPolicy="Always")]
    init_statuses = [sidecar]
    if with_plain_init:
        init_containers.insert(0, _container("migrate", TOOLS))
        init_statuses.insert(
            0, container_status("migrate", TOOLS, terminated("Completed", 0, age - 3, age - 4))
        )
    return _pod(
        name,
        init_containers=init_containers,
        containers=[_container("web", APP)],
        age=age,
        status={
            "phase": phase,
            "conditions": _scheduled_conditions(
                age, initialized=initialized, containers_ready=ready
            ),
            "podIP": "10.244.2.8",
            "podIPs": [{"ip": "10.244.2.8"}],
            "startTime": ts(age),
            "initContainerStatuses": init_statuses,
            "containerStatuses": [app],
        },
    )


def sidecar_starting() -> Pod:
    """Init:0/1, 0/2: the sidecar runs but has not started (startup probe pending), so it is not
    skipped as a started restartable init container; default branch."""
    return _sidecar_pod(
        "web-7d9f8b6c5d-s1a2b",
        container_status("proxy", SIDECAR, running(5), started=False),
        container_status("web", APP, waiting("PodInitializing")),
        initialized=False,
        ready=False,
        phase="Pending",
        age=6,
    )


def sidecar_running_main_starting() -> Pod:
    """Running, 1/2: the started, ready sidecar counts as ready in the init loop; the main
    container runs but is not ready yet, so the phase stays."""
    return _sidecar_pod(
        "web-7d9f8b6c5d-s3c4d",
        container_status("proxy", SIDECAR, running(9), started=True, ready=True),
        container_status("web", APP, running(6), started=False),
        initialized=True,
        ready=False,
        phase="Running",
        age=10,
    )


def sidecar_and_init_running() -> Pod:
    """Running, 2/2: a completed plain init container, a ready sidecar and a ready main container.

    The sidecar restarted once (RESTARTS counts it after initialization): "1 (40s ago)".
    """
    pod = _sidecar_pod(
        "web-7d9f8b6c5d-s5e6f",
        container_status(
            "proxy",
            SIDECAR,
            running(39),
            started=True,
            ready=True,
            restarts=1,
            last_state=terminated("Error", 2, 115, 40),
        ),
        container_status("web", APP, running(110), started=True, ready=True),
        initialized=True,
        ready=True,
        phase="Running",
        age=120,
        with_plain_init=True,
    )
    return pod


# ---- Running -----------------------------------------------------------------------------------


def running_2_of_2() -> Pod:
    """Running, 2/2: both containers running and ready."""
    return _pod(
        "web-7d9f8b6c5d-r7g8h",
        containers=[_container("web", APP), _container("metrics", "registry.example/exporter:0.9")],
        age=7200,
        status={
            "phase": "Running",
            "conditions": _scheduled_conditions(7200, initialized=True, containers_ready=True),
            "podIP": "10.244.1.30",
            "podIPs": [{"ip": "10.244.1.30"}],
            "startTime": ts(7200),
            "containerStatuses": [
                container_status(
                    "metrics",
                    "registry.example/exporter:0.9",
                    running(7195),
                    started=True,
                    ready=True,
                ),
                container_status("web", APP, running(7195), started=True, ready=True),
            ],
        },
    )


def running_not_ready() -> Pod:
    """Running, 0/1: running but its readiness probe fails; STATUS stays the phase."""
    return _pod(
        "web-7d9f8b6c5d-n9j0k",
        containers=[_container("web", APP)],
        age=90,
        status={
            "phase": "Running",
            "conditions": _scheduled_conditions(90, initialized=True, containers_ready=False),
            "podIP": "10.244.1.31",
            "podIPs": [{"ip": "10.244.1.31"}],
            "startTime": ts(90),
            "containerStatuses": [
                container_status("web", APP, running(85), started=True, ready=False)
            ],
        },
    )


def not_ready_with_completed_container() -> Pod:
    """NotReady, 1/2: one container completed (reason Completed), another still runs ready, and
    the pod's Ready condition is False -> the `reason == "Completed" && hasRunning` branch."""
    return _pod(
        "report-agent",
        containers=[_container("agent", APP), _container("setup", TOOLS)],
        age=900,
        owner=None,
        restart_policy="OnFailure",
        status={
            "phase": "Running",
            "conditions": _scheduled_conditions(
                900, initialized=True, containers_ready=False, reason="ContainersNotReady"
            ),
            "podIP": "10.244.1.40",
            "podIPs": [{"ip": "10.244.1.40"}],
            "startTime": ts(900),
            "containerStatuses": [
                container_status("agent", APP, running(895), started=True, ready=True),
                container_status(
                    "setup", TOOLS, terminated("Completed", 0, 895, 880), started=False
                ),
            ],
        },
    )


def crash_loop_back_off() -> Pod:
    """CrashLoopBackOff, 0/1, RESTARTS "5 (2m10s ago)": waiting reason; the previous run ended
    with Error, exit code 1, 130 s before NOW."""
    return _pod(
        "web-7d9f8b6c5d-c1l2b",
        containers=[_container("web", APP)],
        age=900,
        status={
            "phase": "Running",
            "conditions": _scheduled_conditions(900, initialized=True, containers_ready=False),
            "podIP": "10.244.1.50",
            "podIPs": [{"ip": "10.244.1.50"}],
            "startTime": ts(900),
            "containerStatuses": [
                container_status(
                    "web",
                    APP,
                    waiting(
                        "CrashLoopBackOff",
                        "back-off 2m40s restarting failed container=web "
                        "pod=web-7d9f8b6c5d-c1l2b_shop(uid-web-7d9f8b6c5d-c1l2b)",
                    ),
                    started=False,
                    restarts=5,
                    last_state=terminated(
                        "Error", 1, 140, 130, message="panic: cannot connect to db"
                    ),
                )
            ],
        },
    )


def oom_killed() -> Pod:
    """OOMKilled, 0/1, RESTARTS "2 (75s ago)": the container has just been killed (terminated
    reason OOMKilled, exit 137) and not restarted yet; the restart time is the previous kill."""
    return _pod(
        "worker-6f5d4c3b2a-o0m1k",
        containers=[_container("worker", APP, resources={"limits": {"memory": "128Mi"}})],
        age=1800,
        owner=("ReplicaSet", "worker-6f5d4c3b2a"),
        status={
            "phase": "Running",
            "conditions": _scheduled_conditions(1800, initialized=True, containers_ready=False),
            "podIP": "10.244.2.12",
            "podIPs": [{"ip": "10.244.2.12"}],
            "startTime": ts(1800),
            "containerStatuses": [
                container_status(
                    "worker",
                    APP,
                    terminated("OOMKilled", 137, 70, 1),
                    started=False,
                    restarts=2,
                    last_state=terminated("OOMKilled", 137, 200, 75),
                )
            ],
        },
    )


# ---- Finished ----------------------------------------------------------------------------------


def completed_job_pod() -> Pod:
    """Completed, 0/1: phase Succeeded, the container's terminated reason Completed."""
    return _pod(
        "backup-28991520-t4w2q",
        containers=[_container("backup", TOOLS)],
        age=3600,
        restart_policy="Never",
        owner=("Job", "backup-28991520"),
        status={
            "phase": "Succeeded",
            "conditions": _scheduled_conditions(
                3600, initialized=True, containers_ready=False, reason="PodCompleted"
            ),
            "podIP": "10.244.1.60",
            "podIPs": [{"ip": "10.244.1.60"}],
            "startTime": ts(3600),
            "containerStatuses": [
                container_status(
                    "backup", TOOLS, terminated("Completed", 0, 3595, 3480), started=False
                )
            ],
        },
    )


def failed_job_pod() -> Pod:
    """Error, 0/1: phase Failed, the container's terminated reason Error (exit 1)."""
    return _pod(
        "backup-28991580-z8r3m",
        containers=[_container("backup", TOOLS)],
        age=600,
        restart_policy="Never",
        owner=("Job", "backup-28991580"),
        status={
            "phase": "Failed",
            "conditions": _scheduled_conditions(
                600, initialized=True, containers_ready=False, reason="PodFailed"
            ),
            "podIP": "10.244.1.61",
            "podIPs": [{"ip": "10.244.1.61"}],
            "startTime": ts(600),
            "containerStatuses": [
                container_status(
                    "backup",
                    TOOLS,
                    terminated("Error", 1, 595, 560, message="upload failed: 403"),
                    started=False,
                )
            ],
        },
    )


# ---- Deletion and node trouble -----------------------------------------------------------------


def terminating() -> Pod:
    """Terminating, 1/1: deletionTimestamp set and the phase is not terminal."""
    pod = running_not_ready()
    pod["metadata"]["name"] = "web-7d9f8b6c5d-t3r4m"
    pod["metadata"]["deletionTimestamp"] = ts(-25)
    pod["metadata"]["deletionGracePeriodSeconds"] = 30
    pod["status"]["containerStatuses"][0]["ready"] = True
    pod["status"]["conditions"] = _scheduled_conditions(90, initialized=True, containers_ready=True)
    return pod


def terminating_completed() -> Pod:
    """Completed: a Succeeded pod being deleted keeps its terminal status (v1.31+ printPod:
    Terminating only when the phase is not Succeeded/Failed)."""
    pod = completed_job_pod()
    pod["metadata"]["deletionTimestamp"] = ts(-30)
    pod["metadata"]["finalizers"] = ["batch.kubernetes.io/job-tracking"]
    return pod


def node_lost() -> Pod:
    """Unknown: deletionTimestamp set and status.reason NodeLost."""
    pod = running_2_of_2()
    pod["metadata"]["name"] = "web-7d9f8b6c5d-u5n6k"
    pod["metadata"]["deletionTimestamp"] = ts(300)
    pod["status"]["reason"] = "NodeLost"
    pod["status"]["message"] = (
        "Node node-1 which was running pod web-7d9f8b6c5d-u5n6k is unresponsive"
    )
    return pod


def evicted() -> Pod:
    """Evicted: phase Failed with status.reason Evicted and no container statuses to override it."""
    return _pod(
        "web-7d9f8b6c5d-e7v8c",
        containers=[_container("web", APP)],
        age=86400 * 3,
        status={
            "phase": "Failed",
            "reason": "Evicted",
            "message": "The node was low on resource: ephemeral-storage. Threshold quantity: "
            "1Gi, available: 512Mi. Container web was using 3Gi, request is 0, has larger "
            "consumption of ephemeral-storage.",
            "startTime": ts(86400 * 3),
        },
    )


def evicted_container_status_unknown() -> Pod:
    """ContainerStatusUnknown: status.reason is Evicted, but the regular-container loop overwrites
    it with the container's terminated reason, as for pods evicted by newer kubelets."""
    pod = evicted()
    pod["metadata"]["name"] = "web-7d9f8b6c5d-e9w0x"
    pod["status"]["containerStatuses"] = [
        container_status(
            "web",
            APP,
            terminated(
                "ContainerStatusUnknown",
                137,
                86400 * 3,
                86400 * 2,
                message="The container could not be located when the pod was terminated",
            ),
            started=False,
            last_state=terminated("ContainerStatusUnknown", 137, 86400 * 3, 86400 * 2),
        )
    ]
    return pod


# Every fixture with the STATUS, READY and RESTARTS that kubectl v1.32 prints for it at NOW.
EXPECTED_COLUMNS: dict[str, tuple[str, str, str]] = {
    "pending_unscheduled": ("Pending", "0/1", "0"),
    "scheduling_gated": ("SchedulingGated", "0/1", "0"),
    "container_creating": ("ContainerCreating", "0/1", "0"),
    "image_pull_back_off": ("ImagePullBackOff", "0/1", "0"),
    "err_image_pull": ("ErrImagePull", "0/1", "0"),
    "init_0_of_2": ("Init:0/2", "0/1", "0"),
    "init_1_of_2": ("Init:1/2", "0/1", "1 (12s ago)"),
    "init_crash_loop_back_off": ("Init:CrashLoopBackOff", "0/1", "4 (30s ago)"),
    "init_error": ("Init:Error", "0/1", "0"),
    "pod_initializing": ("PodInitializing", "0/1", "0"),
    "sidecar_starting": ("Init:0/1", "0/2", "0"),
    "sidecar_running_main_starting": ("Running", "1/2", "0"),
    "sidecar_and_init_running": ("Running", "2/2", "1 (40s ago)"),
    "running_2_of_2": ("Running", "2/2", "0"),
    "running_not_ready": ("Running", "0/1", "0"),
    "not_ready_with_completed_container": ("NotReady", "1/2", "0"),
    "crash_loop_back_off": ("CrashLoopBackOff", "0/1", "5 (2m10s ago)"),
    "oom_killed": ("OOMKilled", "0/1", "2 (75s ago)"),
    "completed_job_pod": ("Completed", "0/1", "0"),
    "failed_job_pod": ("Error", "0/1", "0"),
    "terminating": ("Terminating", "1/1", "0"),
    "terminating_completed": ("Completed", "0/1", "0"),
    "node_lost": ("Unknown", "2/2", "0"),
    "evicted": ("Evicted", "0/1", "0"),
    "evicted_container_status_unknown": ("ContainerStatusUnknown", "0/1", "0"),
}


def all_pods() -> dict[str, Pod]:
    """Every fixture by its function name."""
    return {name: globals()[name]() for name in EXPECTED_COLUMNS}
