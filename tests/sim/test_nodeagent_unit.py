"""The pure lifecycle logic (ktui.sim.lifecycle) driven with explicit times, and log generation.

No threads and no clock here: `drive()` advances a PodRuntime to each due time in turn and
records what `kubectl get pods` would show after every change, so sequences are exact.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from ktui.sim.lifecycle import (
    Behavior,
    PodRuntime,
    Timings,
    behaviors_for,
    go_duration,
    image_problem,
    normalize_image,
    parse_behavior_tokens,
    parse_duration,
    parse_quantity,
    pod_requests,
    qos_class,
)
from ktui.sim.logs import PodLogSource, format_timestamp, log_state_from_status
from ktui.sim.store import StoreError
from ktui.view.pod import pod_ready, pod_status_reason

T0 = 1_700_000_000.0


def make_pod(
    containers: list[dict[str, Any]],
    *,
    init: list[dict[str, Any]] | None = None,
    annotations: dict[str, str] | None = None,
    restart_policy: str = "Always",
    name: str = "web-1",
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "nodeName": "node-1",
        "restartPolicy": restart_policy,
        "containers": containers,
    }
    if init:
        spec["initContainers"] = init
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"uid-{name}",
            "annotations": annotations or {},
        },
        "spec": spec,
        "status": {"phase": "Pending", "qosClass": "BestEffort"},
    }


def make_runtime(pod: dict[str, Any], images: set[str] | None = None) -> PodRuntime:
    return PodRuntime(
        pod,
        host_ip="172.18.0.2",
        pod_ip="10.244.1.2",
        images=images if images is not None else set(),
        timings=Timings(scale=1.0),
        rng=random.Random(1),
        now=T0,
    )


def snapshot(rt: PodRuntime, pod: dict[str, Any]) -> dict[str, Any]:
    return {**pod, "status": rt.render_status()}


def drive(
    rt: PodRuntime, pod: dict[str, Any], until: float
) -> list[tuple[float, str, dict[str, Any]]]:
    """Advance to every due time up to T0 + until; (seconds since start, STATUS, pod) per change."""
    seen: list[tuple[float, str, dict[str, Any]]] = []
    t = T0
    for _ in range(10_000):
        if rt.advance(t):
            current = snapshot(rt, pod)
            seen.append((t - T0, pod_status_reason(current), current))
        due = rt.next_due()
        if due > T0 + until:
            return seen
        t = max(t, due)
    raise AssertionError("the runtime never settled")


def reasons(seen: list[tuple[float, str, dict[str, Any]]]) -> list[str]:
    out: list[str] = []
    for _, reason, _ in seen:
        if not out or out[-1] != reason:
            out.append(reason)
    return out


def container(name: str = "app", image: str = "nginx:1.25", **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": image, "imagePullPolicy": "IfNotPresent", **extra}


# --- grammar and helpers --------------------------------------------------------------------


def test_behavior_tokens_parse_and_report_bad_ones() -> None:
    values, errors = parse_behavior_tokens("crash-after=5s, oom-after=1.5m;never-ready exit=3")
    assert values == {"crash_after": 5.0, "oom_after": 90.0, "never_ready": True, "exit_code": 3}
    assert errors == []
    values, errors = parse_behavior_tokens("crash-after=soon bogus exit=300 never-ready=2")
    assert values == {}
    assert [e.split(":")[0] for e in errors] == [
        "crash-after=soon",
        "bogus",
        "exit=300",
        "never-ready=2",
    ]


def test_container_behavior_overrides_pod_wide_behavior() -> None:
    pod = make_pod(
        [container("app"), container("side")],
        annotations={
            "sim.ktui.dev/behavior": "start-delay=2s crash-after=5s",
            "sim.ktui.dev/behavior-app": "crash-after=9s",
            "sim.ktui.dev/behavior-side": "after=3s",
        },
    )
    behaviors, errors = behaviors_for(pod)
    assert errors == []
    assert behaviors["app"] == Behavior(crash_after=9.0, start_delay=2.0)
    assert behaviors["side"] == Behavior(
        crash_after=5.0, start_delay=2.0, exit_code=0, exit_after=3.0
    )


def test_durations_quantities_and_images() -> None:
    assert parse_duration("500ms") == 0.5
    assert parse_duration("2h") == 7200.0
    assert parse_duration("7") == 7.0
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration("5 minutes")
    assert go_duration(10) == "10s"
    assert go_duration(80) == "1m20s"
    assert go_duration(300) == "5m0s"
    assert parse_quantity("100m") == pytest.approx(0.1)
    assert parse_quantity("1.5") == 1.5
    assert parse_quantity("128Mi") == 128 * 2**20
    assert parse_quantity("1Gi") == 2**30
    assert parse_quantity("1e3") == 1000
    with pytest.raises(ValueError):
        parse_quantity("lots")
    assert normalize_image("nginx") == "docker.io/library/nginx:latest"
    assert normalize_image("bitnami/redis:7") == "docker.io/bitnami/redis:7"
    assert normalize_image("ghcr.io/org/app:v1") == "ghcr.io/org/app:v1"
    assert image_problem("nginx:1.25", Behavior()) is None
    assert image_problem("doesnotexist", Behavior()) == "ErrImagePull"
    assert image_problem("nginx:does-not-exist", Behavior()) == "ErrImagePull"
    assert image_problem("nginx", Behavior(image_pull_error=True)) == "ErrImagePull"
    assert image_problem("Nginx:1.25", Behavior()) == "InvalidImageName"


def test_requests_and_qos() -> None:
    spec = {
        "initContainers": [
            {"name": "init", "resources": {"requests": {"cpu": "2"}}},
            {"name": "side", "restartPolicy": "Always", "resources": {"requests": {"cpu": "100m"}}},
        ],
        "containers": [
            {"name": "a", "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}},
            {"name": "b", "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}}},
        ],
    }
    requests = pod_requests(spec)
    assert requests["cpu"] == pytest.approx(2.0)  # the init container dominates
    assert requests["memory"] == 64 * 2**20 + 2**30
    assert qos_class(spec) == "Burstable"
    assert qos_class({"containers": [{"name": "a"}]}) == "BestEffort"
    guaranteed = {
        "containers": [{"name": "a", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]
    }
    assert qos_class(guaranteed) == "Guaranteed"


# --- lifecycle paths --------------------------------------------------------------------------


def test_plain_pod_pulls_starts_and_is_ready() -> None:
    pod = make_pod([container()])
    rt = make_runtime(pod)
    seen = drive(rt, pod, 60)
    assert reasons(seen) == ["ContainerCreating", "Running"]
    final = seen[-1][2]
    status = final["status"]
    assert status["phase"] == "Running"
    assert status["podIP"] == "10.244.1.2" and status["hostIP"] == "172.18.0.2"
    assert status["startTime"]
    conds = {c["type"]: c for c in status["conditions"]}
    assert conds["Ready"]["status"] == "True" and conds["ContainersReady"]["status"] == "True"
    assert all(c["lastTransitionTime"] for c in status["conditions"])
    cs = status["containerStatuses"][0]
    assert cs["ready"] and cs["started"] and cs["restartCount"] == 0
    assert cs["containerID"].startswith("containerd://")
    assert cs["imageID"].startswith("docker.io/library/nginx@sha256:")
    assert [e.reason for e in rt.take_events()] == ["Pulling", "Pulled", "Created", "Started"]


def test_image_already_on_the_node_is_not_pulled_again() -> None:
    images = {"nginx:1.25"}
    pod = make_pod([container()])
    rt = make_runtime(pod, images)
    drive(rt, pod, 60)
    events = rt.take_events()
    assert [e.reason for e in events] == ["Pulled", "Created", "Started"]
    assert events[0].message == 'Container image "nginx:1.25" already present on machine'


def test_init_containers_run_one_at_a_time() -> None:
    pod = make_pod(
        [container()], init=[container("init-a", "busybox"), container("init-b", "busybox")]
    )
    rt = make_runtime(pod)
    seen = drive(rt, pod, 60)
    assert reasons(seen) == ["Init:0/2", "Init:1/2", "PodInitializing", "Running"]
    for _, reason, current in seen:
        init = current["status"]["initContainerStatuses"]
        running = [s["name"] for s in init if "running" in s["state"]]
        assert len(running) <= 1, f"two init containers ran at once at {reason}"
        if reason == "Init:1/2":
            assert init[0]["state"]["terminated"]["reason"] == "Completed"
            assert init[0]["state"]["terminated"]["exitCode"] == 0
        if reason.startswith("Init:"):
            assert current["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == (
                "PodInitializing"
            )
            conds = {c["type"]: c for c in current["status"]["conditions"]}
            assert conds["Initialized"]["status"] == "False"
            assert conds["Initialized"]["reason"] == "ContainersNotInitialized"


def test_native_sidecar_starts_first_and_keeps_running() -> None:
    pod = make_pod(
        [container("app", ready_after=None)],
        init=[
            container("proxy", "envoy:1.29", restartPolicy="Always"),
            container("migrate", "busybox"),
        ],
        annotations={"sim.ktui.dev/behavior-proxy": "ready-after=20s"},
    )
    pod["spec"]["containers"][0].pop("ready_after")
    rt = make_runtime(pod)
    seen = drive(rt, pod, 120)
    by_reason = {reason: current for _, reason, current in seen}
    # The regular init container only ran once the sidecar had started.
    at_init = by_reason["Init:1/2"]["status"]["initContainerStatuses"]
    assert "running" in at_init[0]["state"] and at_init[0]["started"] is True
    final = seen[-1][2]["status"]
    proxy = final["initContainerStatuses"][0]
    assert "running" in proxy["state"] and proxy["ready"] is True and proxy["restartCount"] == 0
    assert final["initContainerStatuses"][1]["state"]["terminated"]["reason"] == "Completed"
    assert pod_ready(seen[-1][2]) == (2, 2)
    # The pod was Running (app up) before it was Ready (waiting for the sidecar's readiness).
    ready_flags = [
        {c["type"]: c["status"] for c in current["status"]["conditions"]}["Ready"]
        for _, reason, current in seen
        if reason == "Running"
    ]
    assert ready_flags[0] == "False" and ready_flags[-1] == "True"


def test_readiness_probe_delays_ready() -> None:
    probe = {"httpGet": {"path": "/", "port": 80}, "initialDelaySeconds": 15, "periodSeconds": 10}
    pod = make_pod([container(readinessProbe=probe)])
    rt = make_runtime(pod)
    seen = drive(rt, pod, 120)
    running = [(t, current) for t, reason, current in seen if reason == "Running"]
    started = next(
        t
        for t, current in running
        if "running" in current["status"]["containerStatuses"][0]["state"]
    )
    ready_at = next(
        t for t, current in running if current["status"]["containerStatuses"][0]["ready"]
    )
    # First probe at or after initialDelaySeconds, on the probe period: 20s after the start.
    assert ready_at - started == pytest.approx(20.0)


def test_crash_loop_backs_off_10_20_40_and_caps_at_300() -> None:
    pod = make_pod([container()], annotations={"sim.ktui.dev/behavior-app": "crash-after=5s"})
    rt = make_runtime(pod)
    seen = drive(rt, pod, 3000)
    messages = []
    for _, _, current in seen:
        waiting = current["status"]["containerStatuses"][0]["state"].get("waiting") or {}
        if waiting.get("reason") == "CrashLoopBackOff" and (
            not messages or messages[-1] != waiting["message"]
        ):
            messages.append(waiting["message"])
    delays = [m.split()[1] for m in messages]
    assert delays[:6] == ["10s", "20s", "40s", "1m20s", "2m40s", "5m0s"]
    assert set(delays[6:]) <= {"5m0s"}
    assert messages[0] == (
        "back-off 10s restarting failed container=app pod=web-1_default(uid-web-1)"
    )
    last = seen[-1][2]["status"]["containerStatuses"][0]
    assert last["restartCount"] >= 7
    assert last["lastState"]["terminated"]["exitCode"] == 1
    assert last["lastState"]["terminated"]["reason"] == "Error"
    # STATUS goes Running -> Error -> Running (first restart at once) -> Error -> CrashLoopBackOff.
    assert reasons(seen)[:6] == [
        "ContainerCreating",
        "Running",
        "Error",
        "Running",
        "Error",
        "CrashLoopBackOff",
    ]
    assert seen[-1][2]["status"]["phase"] == "Running"


def test_in_crash_loop_back_off_last_state_is_the_run_that_just_ended() -> None:
    # What the kubelet reports (kubelet_pods.go moves the exited state into lastState when it
    # writes waiting: CrashLoopBackOff): lastState is the newest dead container, whose
    # containerID is also the status's, and restartCount is still that run's.
    pod = make_pod([container()], annotations={"sim.ktui.dev/behavior-app": "crash-after=5s"})
    rt = make_runtime(pod)
    checked = 0
    previous_exit: dict[str, Any] | None = None
    for _, _, current in drive(rt, pod, 200):
        status = current["status"]["containerStatuses"][0]
        if "terminated" in status["state"]:
            previous_exit = status["state"]["terminated"]
        if (status["state"].get("waiting") or {}).get("reason") != "CrashLoopBackOff":
            continue
        assert previous_exit is not None
        last = status["lastState"]["terminated"]
        assert last["finishedAt"] == previous_exit["finishedAt"]
        assert last["startedAt"] == previous_exit["startedAt"]
        assert last["containerID"] == status["containerID"]
        checked += 1
    assert checked >= 3
    # `kubectl logs --previous` is that run, as the kubelet reads lastState's containerID.
    state = rt.log_state("app")
    assert state is not None and state.previous is not None and state.current is not None
    assert state.previous.container_id == state.current.container_id


def test_image_pull_error_then_back_off() -> None:
    pod = make_pod([container(image="registry.example/doesnotexist:1.0")])
    rt = make_runtime(pod)
    seen = drive(rt, pod, 100)
    # A retried pull keeps showing ImagePullBackOff until it fails again.
    assert reasons(seen)[:5] == [
        "ContainerCreating",
        "ErrImagePull",
        "ImagePullBackOff",
        "ErrImagePull",
        "ImagePullBackOff",
    ]
    events = rt.take_events()
    messages = [e.message for e in events if e.reason == "Failed"]
    assert "Error: ErrImagePull" in messages and "Error: ImagePullBackOff" in messages
    assert any(
        e.reason == "BackOff"
        and e.message == 'Back-off pulling image "registry.example/doesnotexist:1.0"'
        for e in events
    )
    assert seen[-1][2]["status"]["phase"] == "Pending"


def test_oom_killed_with_restart_policy_never_fails_the_pod() -> None:
    pod = make_pod(
        [container()],
        annotations={"sim.ktui.dev/behavior-app": "oom-after=8s"},
        restart_policy="Never",
    )
    rt = make_runtime(pod)
    seen = drive(rt, pod, 100)
    assert reasons(seen)[-1] == "OOMKilled"
    status = seen[-1][2]["status"]
    assert status["phase"] == "Failed"
    term = status["containerStatuses"][0]["state"]["terminated"]
    assert term["exitCode"] == 137 and term["reason"] == "OOMKilled"
    assert rt.next_due() == float("inf")


@pytest.mark.parametrize(
    ("behavior", "policy", "phase", "shown", "restarts"),
    [
        ("exit=0 after=3s", "Never", "Succeeded", "Completed", 0),
        ("exit=1 after=3s", "Never", "Failed", "Error", 0),
        ("exit=1 after=3s crashes=1", "OnFailure", "Succeeded", "Completed", 1),
        ("", "OnFailure", "Succeeded", "Completed", 0),
    ],
)
def test_job_pods_end_succeeded_or_failed(
    behavior: str, policy: str, phase: str, shown: str, restarts: int
) -> None:
    pod = make_pod(
        [container("worker", "busybox")],
        annotations={"sim.ktui.dev/behavior-worker": behavior} if behavior else {},
        restart_policy=policy,
    )
    rt = make_runtime(pod)
    seen = drive(rt, pod, 600)
    status = seen[-1][2]["status"]
    assert status["phase"] == phase
    assert seen[-1][1] == shown
    assert status["containerStatuses"][0]["restartCount"] == restarts
    conds = {c["type"]: c for c in status["conditions"]}
    assert conds["Ready"]["status"] == "False" and conds["Ready"]["reason"] == "PodCompleted"


def test_restart_policy_always_restarts_a_clean_exit() -> None:
    pod = make_pod([container()], annotations={"sim.ktui.dev/behavior-app": "exit=0 after=5s"})
    rt = make_runtime(pod)
    seen = drive(rt, pod, 100)
    assert "Completed" in reasons(seen)
    assert "CrashLoopBackOff" in reasons(seen)
    assert seen[-1][2]["status"]["phase"] == "Running"


def test_job_with_sidecar_stops_the_sidecar_when_done() -> None:
    pod = make_pod(
        [container("worker", "busybox")],
        init=[container("logshipper", "fluent-bit:3", restartPolicy="Always")],
        annotations={"sim.ktui.dev/behavior-worker": "exit=0 after=5s"},
        restart_policy="Never",
    )
    rt = make_runtime(pod)
    seen = drive(rt, pod, 200)
    status = seen[-1][2]["status"]
    assert status["phase"] == "Succeeded"
    side = status["initContainerStatuses"][0]
    assert side["state"]["terminated"]["exitCode"] == 0
    assert any(
        e.reason == "Killing" and e.field_path == "spec.initContainers{logshipper}"
        for e in rt.take_events()
    )


def test_graceful_termination_honours_the_grace_period() -> None:
    pod = make_pod(
        [container("app"), container("stubborn", "busybox")],
        annotations={"sim.ktui.dev/behavior-stubborn": "ignore-sigterm"},
    )
    rt = make_runtime(pod)
    drive(rt, pod, 60)
    rt.take_events()
    deleting = {
        **pod,
        "metadata": {**pod["metadata"], "deletionTimestamp": "x", "deletionGracePeriodSeconds": 30},
    }
    rt.observe(deleting, T0 + 100)
    seen = drive(rt, deleting, 200)
    assert rt.ready_to_delete
    status = seen[-1][2]["status"]
    by_name = {s["name"]: s["state"]["terminated"] for s in status["containerStatuses"]}
    assert by_name["app"]["exitCode"] == 0 and by_name["app"]["reason"] == "Completed"
    assert by_name["stubborn"]["exitCode"] == 137
    killing = [e for e in rt.take_events() if e.reason == "Killing"]
    assert {e.message for e in killing} == {"Stopping container app", "Stopping container stubborn"}
    # SIGKILL came at the end of the grace period, not before.
    assert seen[-1][0] == pytest.approx(130.0)


def test_pending_pod_being_deleted_is_ready_to_delete_at_once() -> None:
    pod = make_pod([container(image="doesnotexist")])
    rt = make_runtime(pod)
    drive(rt, pod, 5)
    rt.observe(
        {
            **pod,
            "metadata": {
                **pod["metadata"],
                "deletionTimestamp": "x",
                "deletionGracePeriodSeconds": 30,
            },
        },
        T0 + 6,
    )
    rt.advance(T0 + 6)
    assert rt.ready_to_delete


def test_invalid_image_name_and_invalid_behavior() -> None:
    pod = make_pod(
        [container(image="Nginx")], annotations={"sim.ktui.dev/behavior-app": "explode=now"}
    )
    rt = make_runtime(pod)
    seen = drive(rt, pod, 60)
    assert reasons(seen) == ["InvalidImageName"]
    events = rt.take_events()
    assert events[0].reason == "InvalidBehavior" and events[0].type == "Warning"
    assert "explode" in events[0].message
    assert any(e.message == "Error: InvalidImageName" for e in events)


def test_adopting_a_running_pod_keeps_its_restarts() -> None:
    pod = make_pod(
        [container()], annotations={"sim.ktui.dev/behavior-app": "crash-after=5s crashes=2"}
    )
    rt = make_runtime(pod)
    seen = drive(rt, pod, 400)
    before = seen[-1][2]
    assert before["status"]["containerStatuses"][0]["restartCount"] == 2
    again = make_runtime(before)
    again.adopt(before["status"], T0 + 500)
    after = snapshot(again, before)
    again.advance(T0 + 500)
    after = snapshot(again, before)
    cs = after["status"]["containerStatuses"][0]
    assert cs["restartCount"] == 2 and "running" in cs["state"]
    assert (
        cs["state"]["running"]["startedAt"]
        == before["status"]["containerStatuses"][0]["state"]["running"]["startedAt"]
    )
    assert again.take_events() == []


# --- logs -------------------------------------------------------------------------------------


def test_logs_are_deterministic_and_tail_matches_the_end() -> None:
    pod = make_pod(
        [container()],
        annotations={"sim.ktui.dev/behavior-app": "exit=1 after=60s"},
        restart_policy="Never",
    )
    rt = make_runtime(pod)
    seen = drive(rt, pod, 200)
    final = seen[-1][2]
    source = PodLogSource(lambda p, c: rt.log_state(c), clock=lambda: T0 + 1000)
    full = b"".join(
        source.read_log(
            final, "app", follow=False, previous=False, timestamps=False, tail_lines=None
        )
    )
    again = b"".join(
        source.read_log(
            final, "app", follow=False, previous=False, timestamps=False, tail_lines=None
        )
    )
    assert full == again
    lines = full.decode().splitlines()
    assert lines[0].startswith("/docker-entrypoint.sh")  # nginx flavour
    assert any('"GET ' in line for line in lines)
    assert "[emerg]" in lines[-1]  # it died of an error
    tail = b"".join(
        source.read_log(final, "app", follow=False, previous=False, timestamps=True, tail_lines=3)
    )
    tail_lines = tail.decode().splitlines()
    assert [line.split(" ", 1)[1] for line in tail_lines] == lines[-3:]
    assert tail_lines[0][:30].endswith("Z") and len(tail_lines[0].split(" ", 1)[0]) == 30


def test_log_errors_are_the_kubelets() -> None:
    pod = make_pod([container(image="doesnotexist")])
    rt = make_runtime(pod)
    drive(rt, pod, 0)
    status_pod = snapshot(rt, pod)
    source = PodLogSource(lambda p, c: rt.log_state(c))
    with pytest.raises(StoreError) as info:
        source.read_log(
            status_pod, "app", follow=False, previous=False, timestamps=False, tail_lines=None
        )
    assert info.value.code == 400
    assert (
        info.value.message
        == 'container "app" in pod "web-1" is waiting to start: ContainerCreating'
    )
    drive(rt, pod, 10)
    with pytest.raises(StoreError) as info:
        source.read_log(
            status_pod, "app", follow=False, previous=False, timestamps=False, tail_lines=None
        )
    assert info.value.message.endswith("is waiting to start: trying and failing to pull image")
    with pytest.raises(StoreError) as info:
        source.read_log(
            status_pod, "app", follow=False, previous=True, timestamps=False, tail_lines=None
        )
    assert info.value.message == 'previous terminated container "app" in pod "web-1" not found'


def test_log_state_from_status_reads_runs_back() -> None:
    pod = make_pod([container()], annotations={"sim.ktui.dev/behavior-app": "crash-after=5s"})
    rt = make_runtime(pod)
    seen = drive(rt, pod, 30)
    final = seen[-1][2]
    state = log_state_from_status(final, "app")
    assert state is not None and state.previous is not None
    assert state.previous.exit_code == 1
    assert format_timestamp(T0 + 0.5) == "2023-11-14T22:13:20.500000000Z"
